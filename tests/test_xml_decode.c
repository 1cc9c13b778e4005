/*
 * test_xml_decode.c — the request decoders: valid documents in the shapes
 * clients send them (with and without the S3 namespace, pretty-printed or
 * not), missing and wrong-typed elements, and hostile documents (DOCTYPE,
 * XXE, billion laughs, depth, size, element and object counts).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testutil.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

Suite *test_xml_decode_suite(void);

#define NS "http://s3.amazonaws.com/doc/2006-03-01/"

static int dec_delete(const char *doc, struct s3xml_delete **out)
{
	return s3xml_decode_delete(doc, strlen(doc), 0, out);
}

static int dec_complete(const char *doc, struct s3xml_complete **out)
{
	return s3xml_decode_complete(doc, strlen(doc), 0, out);
}

/* Growable string for generated documents. */
struct sb {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sb *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		ck_assert_ptr_nonnull(b->s);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

START_TEST(delete_valid)
{
	/* DeleteObjects request example, as botocore sends it. */
	const char *doc =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Delete xmlns=\"" NS "\">\n"
	    "  <Object>\n    <Key>sample1.txt</Key>\n  </Object>\n"
	    "  <Object>\n    <Key>sample2.txt</Key>\n"
	    "    <VersionId> "
	    "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo "
	    "</VersionId>\n"
	    "  </Object>\n  <Quiet>true</Quiet>\n</Delete>\n";
	struct s3xml_delete *d = NULL;
	ck_assert_int_eq(dec_delete(doc, &d), 0);
	ck_assert(d->quiet);
	ck_assert_uint_eq(d->object_count, 2);
	ck_assert_str_eq(d->objects[0].key, "sample1.txt");
	ck_assert_ptr_null(d->objects[0].version_id);
	ck_assert_str_eq(d->objects[1].key, "sample2.txt");
	ck_assert_str_eq(
	    d->objects[1].version_id,
	    "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");
	s3xml_delete_free(d);
	s3xml_delete_free(NULL);
}
END_TEST

START_TEST(delete_variants)
{
	struct s3xml_delete *d = NULL;
	/* No namespace, no prolog, no Quiet; keys verbatim with spaces,
	 * entities, character references and CDATA; unknown elements skipped.
	 */
	ck_assert_int_eq(
	    dec_delete("<Delete><Object><Key> a&amp;b&#x20;&lt;</Key>"
	               "<ETag>\"x\"</ETag><Size>3</Size></Object>"
	               "<Object><Key><![CDATA[<c>&]]></Key></Object>"
	               "<Unknown><Deep>1</Deep></Unknown><!-- c --></Delete>",
	               &d),
	    0);
	ck_assert(!d->quiet);
	ck_assert_uint_eq(d->object_count, 2);
	ck_assert_str_eq(d->objects[0].key, " a&b <");
	ck_assert_str_eq(d->objects[1].key, "<c>&");
	s3xml_delete_free(d);
	/* A prefixed S3 namespace; Quiet case-insensitive and padded. */
	ck_assert_int_eq(
	    dec_delete("<s3:Delete xmlns:s3=\"" NS
	               "\"><s3:Quiet> False </s3:Quiet>"
	               "<s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>",
	               &d),
	    0);
	ck_assert(!d->quiet);
	ck_assert_str_eq(d->objects[0].key, "k");
	s3xml_delete_free(d);
	/* A foreign-namespace child is not an Object of ours. */
	ck_assert_int_eq(
	    dec_delete("<Delete "
	               "xmlns:o=\"urn:other\"><o:Object><Key>x</Key></o:Object>"
	               "<Object><Key>y</Key></Object></Delete>",
	               &d),
	    0);
	ck_assert_uint_eq(d->object_count, 1);
	ck_assert_str_eq(d->objects[0].key, "y");
	s3xml_delete_free(d);
	/* CR in a key arrives through a character reference. */
	ck_assert_int_eq(
	    dec_delete(
	        "<Delete><Object><Key>a&#xD;b\xc3\xa9</Key></Object></Delete>",
	        &d),
	    0);
	ck_assert_str_eq(d->objects[0].key, "a\rb\xc3\xa9");
	s3xml_delete_free(d);
}
END_TEST

START_TEST(delete_invalid)
{
	const struct {
		const char *doc;
		int err;
	} cases[] = {
	    {"<Delete></Delete>", S3XML_ERR_MALFORMED},
	    {"<Delete><Quiet>true</Quiet></Delete>", S3XML_ERR_MALFORMED},
	    {"<Delete><Object></Object></Delete>", S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key></Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a<b/></Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a</Key></Object><Quiet>yes</Quiet></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a</Key></Object><Quiet>true</"
	     "Quiet><Quiet>true</Quiet></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete>text<Object><Key>a</Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a</Key></Object>", S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a&foo;</Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a&#0;</Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a\xff</Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Delete "
	     "xmlns=\"urn:other\"><Object><Key>a</Key></Object></Delete>",
	     S3XML_ERR_MALFORMED},
	    {"<Remove><Object><Key>a</Key></Object></Remove>",
	     S3XML_ERR_MALFORMED},
	    {"", S3XML_ERR_MALFORMED},
	    {"   ", S3XML_ERR_MALFORMED},
	    {"not xml", S3XML_ERR_MALFORMED},
	    {"<Delete><Object><Key>a</Key></Object></Delete><Delete/>",
	     S3XML_ERR_MALFORMED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct s3xml_delete *d = (struct s3xml_delete *)&cases[i];
		int rc = dec_delete(cases[i].doc, &d);
		ck_assert_msg(rc == cases[i].err, "case %zu: %d != %d", i, rc,
		              cases[i].err);
		ck_assert_ptr_eq(
		    d, (struct s3xml_delete *)&cases[i]); /* untouched */
	}
}
END_TEST

static char *delete_of(size_t objects)
{
	struct sb b = {0};
	sb_add(&b, "<Delete>");
	for (size_t i = 0; i < objects; i++) {
		char o[64];
		snprintf(o, sizeof(o), "<Object><Key>k%zu</Key></Object>", i);
		sb_add(&b, o);
	}
	sb_add(&b, "</Delete>");
	return b.s;
}

START_TEST(delete_object_limit)
{
	struct s3xml_delete *d = NULL;
	char *doc = delete_of(1000);
	ck_assert_int_eq(dec_delete(doc, &d), 0);
	ck_assert_uint_eq(d->object_count, 1000);
	ck_assert_str_eq(d->objects[999].key, "k999");
	s3xml_delete_free(d);
	free(doc);
	doc = delete_of(1001);
	d = NULL;
	ck_assert_int_eq(dec_delete(doc, &d), S3XML_ERR_TOO_MANY);
	ck_assert_ptr_null(d);
	free(doc);
}
END_TEST

START_TEST(delete_key_length)
{
	/* 1024 bytes of UTF-8 (512 two-byte characters) pass; 1025 fail. */
	struct sb b = {0};
	sb_add(&b, "<Delete><Object><Key>");
	for (int i = 0; i < 512; i++)
		sb_add(&b, "\xc3\xa9");
	sb_add(&b, "</Key></Object></Delete>");
	struct s3xml_delete *d = NULL;
	ck_assert_int_eq(dec_delete(b.s, &d), 0);
	ck_assert_uint_eq(strlen(d->objects[0].key), 1024);
	s3xml_delete_free(d);
	free(b.s);
	b = (struct sb){0};
	sb_add(&b, "<Delete><Object><Key>x");
	for (int i = 0; i < 512; i++)
		sb_add(&b, "\xc3\xa9");
	sb_add(&b, "</Key></Object></Delete>");
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_KEY_TOO_LONG);
	free(b.s);
}
END_TEST

START_TEST(complete_valid)
{
	/* CompleteMultipartUpload request example plus checksums. */
	const char *doc =
	    "<CompleteMultipartUpload xmlns=\"" NS "\">\n"
	    "  <Part>\n    <PartNumber>1</PartNumber>\n"
	    "    <ETag>\"a54357aff0632cce46d942af68356b38\"</ETag>\n  </Part>\n"
	    "  <Part><ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag>"
	    "<PartNumber> 0003 "
	    "</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
	    "<ChecksumSHA256>x/y=</ChecksumSHA256><Extra/></Part>\n"
	    "  "
	    "<Part><PartNumber>2</"
	    "PartNumber><ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag>"
	    "<ChecksumCRC64NVME>c</ChecksumCRC64NVME></Part>\n"
	    "</CompleteMultipartUpload>";
	struct s3xml_complete *c = NULL;
	ck_assert_int_eq(dec_complete(doc, &c), 0);
	ck_assert_uint_eq(c->part_count, 3);
	/* Order as given: the gateway decides about InvalidPartOrder. */
	ck_assert_uint_eq(c->parts[0].part_number, 1);
	ck_assert_uint_eq(c->parts[1].part_number, 3);
	ck_assert_uint_eq(c->parts[2].part_number, 2);
	ck_assert_str_eq(c->parts[0].etag,
	                 "\"a54357aff0632cce46d942af68356b38\"");
	ck_assert_str_eq(c->parts[2].etag, "acbd18db4cc2f85cedef654fccc4a4d8");
	ck_assert_str_eq(c->parts[1].checksum[S3XML_CHECKSUM_CRC32],
	                 "AAAAAA==");
	ck_assert_str_eq(c->parts[1].checksum[S3XML_CHECKSUM_SHA256], "x/y=");
	ck_assert_ptr_null(c->parts[1].checksum[S3XML_CHECKSUM_CRC32C]);
	ck_assert_str_eq(c->parts[2].checksum[S3XML_CHECKSUM_CRC64NVME], "c");
	s3xml_complete_free(c);
	s3xml_complete_free(NULL);
}
END_TEST

START_TEST(complete_invalid)
{
	const struct {
		const char *part;
		int err;
	} cases[] = {
	    {"<Part><PartNumber>abc</PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber>0</PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_PART_NUMBER},
	    {"<Part><PartNumber>10001</PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_PART_NUMBER},
	    {"<Part><PartNumber>99999999999999999999999</PartNumber><ETag>e</"
	     "ETag></Part>",
	     S3XML_ERR_PART_NUMBER},
	    {"<Part><PartNumber>-1</PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber>1.5</PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber></PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber>1</PartNumber></Part>", S3XML_ERR_MALFORMED},
	    {"<Part><ETag>e</ETag></Part>", S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber>1</PartNumber><ETag></ETag></Part>",
	     S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber>1</PartNumber><PartNumber>2</"
	     "PartNumber><ETag>e</ETag></Part>",
	     S3XML_ERR_MALFORMED},
	    {"<Part><PartNumber>1</PartNumber><ETag>e</ETag><ChecksumCRC32>a</"
	     "ChecksumCRC32>"
	     "<ChecksumCRC32>b</ChecksumCRC32></Part>",
	     S3XML_ERR_MALFORMED},
	    {"", S3XML_ERR_MALFORMED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[512];
		snprintf(
		    doc, sizeof(doc),
		    "<CompleteMultipartUpload>%s</CompleteMultipartUpload>",
		    cases[i].part);
		struct s3xml_complete *c = NULL;
		int rc = dec_complete(doc, &c);
		ck_assert_msg(rc == cases[i].err, "case %zu: %d != %d", i, rc,
		              cases[i].err);
		ck_assert_ptr_null(c);
	}
	struct s3xml_complete *c = NULL;
	ck_assert_int_eq(dec_complete("<CompleteMultipartUpload/>", &c),
	                 S3XML_ERR_MALFORMED);
	/* 10000 parts pass, 10001 do not. */
	struct sb b = {0};
	sb_add(&b, "<CompleteMultipartUpload>");
	for (int i = 1; i <= 10001; i++) {
		char p[96];
		snprintf(p, sizeof(p),
		         "<Part><PartNumber>%d</PartNumber><ETag>\"e\"</ETag></"
		         "Part>",
		         i > 10000 ? 1 : i);
		sb_add(&b, p);
		if (i == 10000) {
			struct sb ok = {0};
			sb_add(&ok, b.s);
			sb_add(&ok, "</CompleteMultipartUpload>");
			ck_assert_int_eq(dec_complete(ok.s, &c), 0);
			ck_assert_uint_eq(c->part_count, 10000);
			ck_assert_uint_eq(c->parts[9999].part_number, 10000);
			s3xml_complete_free(c);
			c = NULL;
			free(ok.s);
		}
	}
	sb_add(&b, "</CompleteMultipartUpload>");
	ck_assert_int_eq(dec_complete(b.s, &c), S3XML_ERR_TOO_MANY);
	free(b.s);
}
END_TEST

START_TEST(create_bucket)
{
	struct s3xml_create_bucket *c = NULL;
	ck_assert_int_eq(s3xml_decode_create_bucket("", 0, 0, &c), 0);
	ck_assert_ptr_null(c->location_constraint);
	s3xml_create_bucket_free(c);
	ck_assert_int_eq(s3xml_decode_create_bucket(NULL, 0, 0, &c), 0);
	s3xml_create_bucket_free(c);
	ck_assert_int_eq(s3xml_decode_create_bucket(" \r\n", 3, 0, &c), 0);
	ck_assert_ptr_null(c->location_constraint);
	s3xml_create_bucket_free(c);
	const char *doc =
	    "<CreateBucketConfiguration xmlns=\"" NS "\">\n"
	    "   <LocationConstraint>eu-west-1</LocationConstraint>\n"
	    "</CreateBucketConfiguration >\n";
	ck_assert_int_eq(s3xml_decode_create_bucket(doc, strlen(doc), 0, &c),
	                 0);
	ck_assert_str_eq(c->location_constraint, "eu-west-1");
	s3xml_create_bucket_free(c);
	doc = "<CreateBucketConfiguration><LocationConstraint/></"
	      "CreateBucketConfiguration>";
	ck_assert_int_eq(s3xml_decode_create_bucket(doc, strlen(doc), 0, &c),
	                 0);
	ck_assert_ptr_null(c->location_constraint);
	s3xml_create_bucket_free(c);
	doc =
	    "<CreateBucketConfiguration><Bucket><Type>Directory</Type></Bucket>"
	    "</CreateBucketConfiguration>";
	ck_assert_int_eq(s3xml_decode_create_bucket(doc, strlen(doc), 0, &c),
	                 0);
	ck_assert_ptr_null(c->location_constraint);
	s3xml_create_bucket_free(c);
	c = NULL;
	doc = "<CreateBucketConfiguration><LocationConstraint>a</"
	      "LocationConstraint>"
	      "<LocationConstraint>b</LocationConstraint></"
	      "CreateBucketConfiguration>";
	ck_assert_int_eq(s3xml_decode_create_bucket(doc, strlen(doc), 0, &c),
	                 S3XML_ERR_MALFORMED);
	doc = "<LocationConstraint>a</LocationConstraint>";
	ck_assert_int_eq(s3xml_decode_create_bucket(doc, strlen(doc), 0, &c),
	                 S3XML_ERR_MALFORMED);
	ck_assert_int_eq(s3xml_decode_create_bucket("  ", 2, 1, &c),
	                 S3XML_ERR_TOO_LARGE);
	ck_assert_ptr_null(c);
}
END_TEST

START_TEST(versioning)
{
	struct s3xml_versioning *v = NULL;
	const char *doc = "<VersioningConfiguration xmlns=\"" NS
	                  "\"><Status>Suspended</Status>"
	                  "</VersioningConfiguration>";
	ck_assert_int_eq(s3xml_decode_versioning(doc, strlen(doc), 0, &v), 0);
	ck_assert_int_eq(v->status, S3XML_VERSIONING_SUSPENDED);
	ck_assert_int_eq(v->mfa_delete, S3XML_VERSIONING_UNSET);
	s3xml_versioning_free(v);
	doc = "<VersioningConfiguration>\n <MfaDelete>Disabled</MfaDelete>\n"
	      " <Status> Enabled </Status>\n</VersioningConfiguration>";
	ck_assert_int_eq(s3xml_decode_versioning(doc, strlen(doc), 0, &v), 0);
	ck_assert_int_eq(v->status, S3XML_VERSIONING_ENABLED);
	ck_assert_int_eq(v->mfa_delete, S3XML_VERSIONING_DISABLED);
	s3xml_versioning_free(v);
	doc = "<VersioningConfiguration/>";
	ck_assert_int_eq(s3xml_decode_versioning(doc, strlen(doc), 0, &v), 0);
	ck_assert_int_eq(v->status, S3XML_VERSIONING_UNSET);
	s3xml_versioning_free(v);
	v = NULL;
	const char *bad[] = {"<VersioningConfiguration><Status>enabled</"
	                     "Status></VersioningConfiguration>",
	                     "<VersioningConfiguration><Status>Disabled</"
	                     "Status></VersioningConfiguration>",
	                     "<VersioningConfiguration><MfaDelete>Suspended</"
	                     "MfaDelete></VersioningConfiguration>",
	                     "<VersioningConfiguration><Status>Enabled</"
	                     "Status><Status>Enabled</Status>"
	                     "</VersioningConfiguration>",
	                     ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(
		    s3xml_decode_versioning(bad[i], strlen(bad[i]), 0, &v),
		    S3XML_ERR_MALFORMED);
	ck_assert_ptr_null(v);
}
END_TEST

START_TEST(tagging)
{
	struct s3xml_tagging *t = NULL;
	const char *doc = "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>"
	                  "<Tag><Key> spaced key </Key><Value>a&amp;b</Value></Tag>"
	                  "<Tag><Value></Value><Key>k2</Key></Tag>"
	                  "</TagSet></Tagging>";
	ck_assert_int_eq(s3xml_decode_tagging(doc, strlen(doc), 0, &t), 0);
	ck_assert_uint_eq(t->tag_count, 2);
	ck_assert_str_eq(t->tags[0].key, " spaced key ");
	ck_assert_str_eq(t->tags[0].value, "a&b");
	ck_assert_str_eq(t->tags[1].key, "k2");
	ck_assert_str_eq(t->tags[1].value, "");
	s3xml_tagging_free(t);
	doc = "<Tagging><TagSet/></Tagging>";
	ck_assert_int_eq(s3xml_decode_tagging(doc, strlen(doc), 0, &t), 0);
	ck_assert_uint_eq(t->tag_count, 0);
	s3xml_tagging_free(t);
	static const char *const bad[] = {
	    "<Tagging></Tagging>",
	    "<Tagging><TagSet/><TagSet/></Tagging>",
	    "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
	    "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
	    "<Tagging><TagSet><Tag><Key>k</Key><Key>k</Key><Value/></Tag></TagSet></Tagging>",
	    "<Tags><TagSet/></Tags>",
	    "<Tagging><TagSet>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = NULL;
		ck_assert_msg(s3xml_decode_tagging(bad[i], strlen(bad[i]), 0, &t) ==
		                  S3XML_ERR_MALFORMED,
		              "%s", bad[i]);
		ck_assert_ptr_null(t);
	}
	/* The encoder's output decodes to the same tags. */
	const char *keys[] = {"k<1>", "k2"}, *vals[] = {"v&1", ""};
	char *body = NULL;
	size_t len = 0;
	ck_assert_int_eq(s3xml_encode_tagging(keys, vals, 2, &body, &len), 0);
	ck_assert_int_eq(s3xml_decode_tagging(body, len, 0, &t), 0);
	ck_assert_uint_eq(t->tag_count, 2);
	ck_assert_str_eq(t->tags[0].key, "k<1>");
	ck_assert_str_eq(t->tags[0].value, "v&1");
	ck_assert_str_eq(t->tags[1].value, "");
	s3xml_tagging_free(t);
	free(body);
}
END_TEST

START_TEST(doctype_rejected)
{
	const char *docs[] = {
	    /* Billion laughs (10^9 expansions if anything expanded). */
	    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	    "<!ENTITY lol2 "
	    "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
	    "<!ENTITY lol3 "
	    "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
	    "<!ENTITY lol4 "
	    "\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
	    "<!ENTITY lol5 "
	    "\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
	    "<!ENTITY lol6 "
	    "\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
	    "<!ENTITY lol7 "
	    "\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
	    "<!ENTITY lol8 "
	    "\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
	    "<!ENTITY lol9 "
	    "\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]"
	    ">"
	    "<Delete><Object><Key>&lol9;</Key></Object></Delete>",
	    /* XXE: external entity to a local file, and over the network. */
	    "<!DOCTYPE d [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
	    "<Delete><Object><Key>&xxe;</Key></Object></Delete>",
	    "<!DOCTYPE d [<!ENTITY xxe SYSTEM \"http://127.0.0.1:1/x\">]>"
	    "<Delete><Object><Key>&xxe;</Key></Object></Delete>",
	    /* Parameter entity and an external DTD. */
	    "<!DOCTYPE d [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
	    "<Delete><Object><Key>a</Key></Object></Delete>",
	    "<!DOCTYPE Delete SYSTEM \"file:///etc/passwd\">"
	    "<Delete><Object><Key>a</Key></Object></Delete>",
	    /* Even a harmless DOCTYPE. */
	    "<!DOCTYPE Delete><Delete><Object><Key>a</Key></Object></Delete>",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct s3xml_delete *d = NULL;
		int rc = dec_delete(docs[i], &d);
		ck_assert_msg(rc == S3XML_ERR_DTD, "case %zu: %d", i, rc);
		ck_assert_ptr_null(d);
	}
	struct s3xml_complete *c = NULL;
	const char *cdoc =
	    "<!DOCTYPE x [<!ENTITY e \"1\">]><CompleteMultipartUpload><Part>"
	    "<PartNumber>&e;</PartNumber><ETag>e</ETag></Part></"
	    "CompleteMultipartUpload>";
	ck_assert_int_eq(dec_complete(cdoc, &c), S3XML_ERR_DTD);
}
END_TEST

START_TEST(depth_limit)
{
	/* Root depth 1; unknown nesting inside an Object up to 32 passes,
	 * 33 is refused. */
	for (int depth = 31; depth <= 34; depth++) {
		struct sb b = {0};
		sb_add(&b, "<Delete><Object><Key>k</Key>");
		for (int i = 3; i <= depth; i++)
			sb_add(&b, "<x>");
		for (int i = 3; i <= depth; i++)
			sb_add(&b, "</x>");
		sb_add(&b, "</Object></Delete>");
		struct s3xml_delete *d = NULL;
		int rc = dec_delete(b.s, &d);
		if (depth <= 32) {
			ck_assert_int_eq(rc, 0);
			s3xml_delete_free(d);
		} else {
			ck_assert_int_eq(rc, S3XML_ERR_LIMIT);
		}
		free(b.s);
	}
	/* Hostile depth far past libxml2's own limit stops at ours, before
	 * the root is even checked. */
	struct sb b = {0};
	for (int i = 0; i < 100000; i++)
		sb_add(&b, "<a>");
	struct s3xml_delete *d = NULL;
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_LIMIT);
	free(b.s);
	b = (struct sb){0};
	sb_add(&b, "<Delete>");
	for (int i = 0; i < 100000; i++)
		sb_add(&b, "<a>");
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_LIMIT);
	free(b.s);
}
END_TEST

START_TEST(size_and_count_limits)
{
	struct s3xml_delete *d = NULL;
	const char *doc = "<Delete><Object><Key>k</Key></Object></Delete>";
	size_t n = strlen(doc);
	ck_assert_int_eq(s3xml_decode_delete(doc, n, n, &d), 0);
	s3xml_delete_free(d);
	d = NULL;
	ck_assert_int_eq(s3xml_decode_delete(doc, n, n - 1, &d),
	                 S3XML_ERR_TOO_LARGE);
	ck_assert_ptr_null(d);
	/* The default limit: one byte over 2 MiB (padding with spaces). */
	size_t big = S3XML_BODY_BYTES_MAX + 1;
	char *s = malloc(big);
	ck_assert_ptr_nonnull(s);
	memset(s, ' ', big);
	memcpy(s, doc, n);
	ck_assert_int_eq(s3xml_decode_delete(s, big, 0, &d),
	                 S3XML_ERR_TOO_LARGE);
	ck_assert_int_eq(s3xml_decode_delete(s, big - 1, 0, &d), 0);
	s3xml_delete_free(d);
	d = NULL;
	free(s);
	/* More than S3XML_ELEMENTS_MAX elements (unknown, so only the count
	 * limit can catch them). */
	struct sb b = {0};
	sb_add(&b, "<Delete><Object><Key>k</Key></Object>");
	for (unsigned i = 0; i < S3XML_ELEMENTS_MAX; i++)
		sb_add(&b, "<u/>");
	sb_add(&b, "</Delete>");
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_LIMIT);
	ck_assert_ptr_null(d);
	free(b.s);
	/* A VersionId longer than the text limit. */
	b = (struct sb){0};
	sb_add(&b, "<Delete><Object><Key>k</Key><VersionId>");
	for (unsigned i = 0; i <= S3XML_TEXT_BYTES_MAX; i++)
		sb_add(&b, "v");
	sb_add(&b, "</VersionId></Object></Delete>");
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_LIMIT);
	free(b.s);
}
END_TEST

/* Attributes and namespace declarations: libxml2 2.9 checks them pairwise,
 * so a tag with tens of thousands of them would take minutes; the limits
 * refuse them before parsing.  Markup inside comments, CDATA, processing
 * instructions and quoted values is not mistaken for tags. */
START_TEST(attribute_limits)
{
	struct s3xml_delete *d = NULL;
	struct sb b = {0};
	sb_add(&b, "<Delete");
	for (unsigned i = 0; i < 40000; i++) {
		char a[32];
		snprintf(a, sizeof(a), " a%u=\"\"", i);
		sb_add(&b, a);
	}
	sb_add(&b, "><Object><Key>k</Key></Object></Delete>");
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_LIMIT);
	free(b.s);
	/* 17 on one tag: refused; 16 pass. */
	b = (struct sb){0};
	sb_add(&b, "<Delete xmlns=\"" NS "\"");
	for (unsigned i = 0; i < 15; i++) {
		char a[32];
		snprintf(a, sizeof(a), " xmlns:n%u='x%u'", i, i);
		sb_add(&b, a);
	}
	sb_add(&b, "><Object><Key>k</Key></Object></Delete>");
	ck_assert_int_eq(dec_delete(b.s, &d), 0);
	s3xml_delete_free(d);
	d = NULL;
	b.s[strlen("<Delete")] = '\0';
	struct sb c = {0};
	sb_add(&c, b.s);
	sb_add(&c, " a=\"1\" ");
	sb_add(&c, b.s + strlen("<Delete") + 1);
	ck_assert_int_eq(dec_delete(c.s, &d), S3XML_ERR_LIMIT);
	free(b.s);
	free(c.s);
	/* More than 256 in the document, spread over many tags. */
	b = (struct sb){0};
	sb_add(&b, "<Delete><Object><Key>k</Key></Object>");
	for (unsigned i = 0; i < 257; i++)
		sb_add(&b, "<x a=\"1\"/>");
	sb_add(&b, "</Delete>");
	ck_assert_int_eq(dec_delete(b.s, &d), S3XML_ERR_LIMIT);
	free(b.s);
	/* '=' and '<' in text, comments, CDATA, PIs and attribute values
	 * are not attributes or tags. */
	const char *ok =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<!-- <x a=1 b=2> --><Delete><?pi a=b c=d?>"
	    "<Object a='>=&lt;' b=\"=\"><Key>a=b=c=d=e=f=g=h=i=j=k=l=m=n=o=p=q"
	    "<![CDATA[<y a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 "
	    "l=12 m=13 n=14 o=15 p=16 q=17>]]></Key></Object></Delete>";
	ck_assert_int_eq(dec_delete(ok, &d), 0);
	ck_assert_str_eq(d->objects[0].key,
	                 "a=b=c=d=e=f=g=h=i=j=k=l=m=n=o=p=q"
	                 "<y a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 "
	                 "j=10 k=11 l=12 m=13 n=14 o=15 p=16 q=17>");
	s3xml_delete_free(d);
}
END_TEST

/* Any valid UTF-8 key the escaper writes decodes back to the same bytes. */
START_TEST(escape_roundtrip)
{
	struct test_rng r;
	test_rng_init(&r, test_seed());
	static const char *pieces[] = {"a",
	                               " ",
	                               "&",
	                               "<",
	                               ">",
	                               "\"",
	                               "'",
	                               "\r",
	                               "\n",
	                               "\t",
	                               "\r\n",
	                               "]]>",
	                               "\xc3\xa9",
	                               "\xe2\x82\xac",
	                               "\xf0\x9f\x98\x80",
	                               "%",
	                               "+",
	                               "/",
	                               ";",
	                               "&amp;"};
	for (int iter = 0; iter < 500; iter++) {
		char key[256];
		size_t len = 0;
		size_t parts = 1 + test_rng_below(&r, 20);
		for (size_t i = 0; i < parts; i++) {
			const char *p = pieces[test_rng_below(
			    &r, sizeof(pieces) / sizeof(pieces[0]))];
			memcpy(key + len, p, strlen(p));
			len += strlen(p);
		}
		key[len] = '\0';
		struct xw w = {0};
		xw_raw(&w, "", 0);
		xw_str(&w, "<Delete><Object><Key>");
		xw_text(&w, key);
		xw_str(&w, "</Key></Object></Delete>");
		ck_assert_int_eq(w.err, 0);
		struct s3xml_delete *d = NULL;
		ck_assert_int_eq(dec_delete(w.buf, &d), 0);
		ck_assert_str_eq(d->objects[0].key, key);
		s3xml_delete_free(d);
		free(w.buf);
	}
}
END_TEST

/* Random byte mutations of valid documents: every outcome is success or a
 * codec error, never a crash (ASan builds check memory too). */
START_TEST(mutation_smoke)
{
	static const char *seeds[] = {
	    "<Delete><Object><Key>a</Key><VersionId>v</VersionId></"
	    "Object><Quiet>true</Quiet></Delete>",
	    "<CompleteMultipartUpload><Part><PartNumber>1</"
	    "PartNumber><ETag>\"e\"</ETag></Part>"
	    "</CompleteMultipartUpload>",
	    "<CreateBucketConfiguration><LocationConstraint>eu</"
	    "LocationConstraint>"
	    "</CreateBucketConfiguration>",
	    "<VersioningConfiguration><Status>Enabled</Status></"
	    "VersioningConfiguration>"};
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x5eed);
	for (int iter = 0; iter < 4000; iter++) {
		const char *seed = seeds[iter % 4];
		char buf[256];
		size_t len = strlen(seed);
		memcpy(buf, seed, len);
		for (int m = 0; m < 1 + (int)test_rng_below(&r, 4); m++) {
			size_t at = test_rng_below(&r, len);
			buf[at] = (char)test_rng_below(&r, 256);
		}
		if (test_rng_below(&r, 4) == 0)
			len = test_rng_below(&r, len + 1);
		int rc;
		void *out = NULL;
		switch (iter % 4) {
		case 0:
			rc = s3xml_decode_delete(buf, len, 0,
			                         (struct s3xml_delete **)&out);
			if (rc == 0)
				s3xml_delete_free(out);
			break;
		case 1:
			rc = s3xml_decode_complete(
			    buf, len, 0, (struct s3xml_complete **)&out);
			if (rc == 0)
				s3xml_complete_free(out);
			break;
		case 2:
			rc = s3xml_decode_create_bucket(
			    buf, len, 0, (struct s3xml_create_bucket **)&out);
			if (rc == 0)
				s3xml_create_bucket_free(out);
			break;
		default:
			rc = s3xml_decode_versioning(
			    buf, len, 0, (struct s3xml_versioning **)&out);
			if (rc == 0)
				s3xml_versioning_free(out);
			break;
		}
		ck_assert(rc == 0 || (rc <= S3XML_ERR_MALFORMED &&
		                      rc >= S3XML_ERR_ENCODING));
		ck_assert(rc == 0 || out == NULL);
	}
}
END_TEST

/* Decoders on several threads at once (libxml2 initialised once; each
 * call owns its parser): every thread gets exactly its own answers. */
static void *decode_worker(void *arg)
{
	uintptr_t id = (uintptr_t)arg;
	for (int i = 0; i < 300; i++) {
		char doc[160];
		snprintf(doc, sizeof(doc),
		         "<Delete><Object><Key>t%u-%d</Key></Object><Quiet>%s</"
		         "Quiet></Delete>",
		         (unsigned)id, i, i % 2 ? "true" : "false");
		struct s3xml_delete *d = NULL;
		if (dec_delete(doc, &d) != 0)
			return (void *)1;
		char want[32];
		snprintf(want, sizeof(want), "t%u-%d", (unsigned)id, i);
		bool ok = strcmp(d->objects[0].key, want) == 0 &&
		          d->quiet == (i % 2 == 1);
		s3xml_delete_free(d);
		struct s3xml_delete *bad = NULL;
		if (!ok ||
		    dec_delete("<!DOCTYPE x><Delete/>", &bad) != S3XML_ERR_DTD)
			return (void *)1;
	}
	return NULL;
}

START_TEST(concurrent_decoders)
{
	enum { THREADS = 4 };
	pthread_t t[THREADS];
	for (uintptr_t i = 0; i < THREADS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, decode_worker, (void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		void *res = (void *)1;
		ck_assert_int_eq(pthread_join(t[i], &res), 0);
		ck_assert_ptr_null(res);
	}
}
END_TEST

Suite *test_xml_decode_suite(void)
{
	Suite *s = suite_create("xml_decode");
	TCase *tc = tcase_create("decode");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, delete_valid);
	tcase_add_test(tc, delete_variants);
	tcase_add_test(tc, delete_invalid);
	tcase_add_test(tc, delete_object_limit);
	tcase_add_test(tc, delete_key_length);
	tcase_add_test(tc, complete_valid);
	tcase_add_test(tc, complete_invalid);
	tcase_add_test(tc, create_bucket);
	tcase_add_test(tc, versioning);
	tcase_add_test(tc, tagging);
	tcase_add_test(tc, doctype_rejected);
	tcase_add_test(tc, depth_limit);
	tcase_add_test(tc, size_and_count_limits);
	tcase_add_test(tc, attribute_limits);
	tcase_add_test(tc, escape_roundtrip);
	tcase_add_test(tc, mutation_smoke);
	tcase_add_test(tc, concurrent_decoders);
	suite_add_tcase(s, tc);
	return s;
}
