/*
 * test_xml_encode.c — the response encoders, compared byte for byte with
 * documents written from the S3 API reference's examples (same values, our
 * element order and escaping as real S3 sends them), plus escaping, S3's URL
 * encoding and ISO 8601 times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "tests/testutil.h"
#include "xml/s3xml.h"
#include "xml/writer.h"

Suite *test_xml_encode_suite(void);

#define PROLOG "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define NS     " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\""
/* 2009-10-12T17:50:30.000Z, the timestamp of S3's listing examples. */
#define T2009 1255369830000LL

static const struct s3xml_owner owner = {
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
    "mtd@amazon.com"};

/* Checks rc == 0 and the exact document, then frees it.  Takes pointers:
 * the encoder call in the same argument list fills them. */
static void expect_doc(int rc, char **body, size_t *len, const char *want)
{
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(*body);
	ck_assert_str_eq(*body, want);
	ck_assert_uint_eq(*len, strlen(want));
	free(*body);
	*body = NULL;
}

START_TEST(error_document)
{
	/* "Error responses", REST error response example. */
	struct s3xml_error e = {"NoSuchKey",
	                        "The resource you requested does not exist",
	                        "/mybucket/myfoto.jpg",
	                        "4442587FB7D0A2F9",
	                        NULL,
	                        0};
	char *b = NULL;
	size_t n = 0;
	expect_doc(
	    s3xml_encode_error(&e, &b, &n), &b, &n,
	    PROLOG
	    "<Error><Code>NoSuchKey</Code>"
	    "<Message>The resource you requested does not exist</Message>"
	    "<Resource>/mybucket/myfoto.jpg</Resource>"
	    "<RequestId>4442587FB7D0A2F9</RequestId></Error>");
}
END_TEST

START_TEST(error_extra_fields)
{
	struct s3xml_error_field extra[] = {{"Region", "eu-west-1"},
	                                    {"BucketName", "a&b"}};
	struct s3xml_error e = {"AuthorizationHeaderMalformed",
	                        "wrong <region>",
	                        NULL,
	                        "R1",
	                        extra,
	                        2};
	char *b = NULL;
	size_t n = 0;
	expect_doc(
	    s3xml_encode_error(&e, &b, &n), &b, &n,
	    PROLOG
	    "<Error><Code>AuthorizationHeaderMalformed</Code>"
	    "<Message>wrong &lt;region&gt;</Message><Region>eu-west-1</Region>"
	    "<BucketName>a&amp;b</BucketName><RequestId>R1</RequestId></"
	    "Error>");
}
END_TEST

START_TEST(list_buckets)
{
	struct s3xml_bucket bk[] = {{"quotes", 1172846760000LL},
	                            {"samples", 1172846760000LL}};
	char *b = NULL;
	size_t n = 0;
	expect_doc(s3xml_encode_list_buckets(&owner, bk, 2, &b, &n), &b, &n,
	           PROLOG
	           "<ListAllMyBucketsResult" NS "><Owner>"
	           "<ID>"
	           "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54"
	           "ba06a</ID>"
	           "<DisplayName>mtd@amazon.com</DisplayName></Owner><Buckets>"
	           "<Bucket><Name>quotes</"
	           "Name><CreationDate>2007-03-02T14:46:00.000Z</"
	           "CreationDate></Bucket>"
	           "<Bucket><Name>samples</"
	           "Name><CreationDate>2007-03-02T14:46:00.000Z</"
	           "CreationDate></Bucket>"
	           "</Buckets></ListAllMyBucketsResult>");
	expect_doc(s3xml_encode_list_buckets(&owner, NULL, 0, &b, &n), &b, &n,
	           PROLOG "<ListAllMyBucketsResult" NS "><Owner>"
	                  "<ID>"
	                  "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c"
	                  "6caea54ba06a</ID>"
	                  "<DisplayName>mtd@amazon.com</DisplayName></"
	                  "Owner><Buckets></Buckets>"
	                  "</ListAllMyBucketsResult>");
}
END_TEST

START_TEST(location_and_versioning)
{
	char *b = NULL;
	size_t n = 0;
	expect_doc(s3xml_encode_location("us-east-1", &b, &n), &b, &n,
	           PROLOG "<LocationConstraint" NS "/>");
	expect_doc(s3xml_encode_location(NULL, &b, &n), &b, &n,
	           PROLOG "<LocationConstraint" NS "/>");
	expect_doc(s3xml_encode_location("EU", &b, &n), &b, &n,
	           PROLOG "<LocationConstraint" NS ">EU</LocationConstraint>");
	expect_doc(s3xml_encode_versioning(&b, &n), &b, &n,
	           PROLOG "<VersioningConfiguration" NS "/>");
}
END_TEST

/* ListObjectsV2 "Example 1: Listing keys" values. */
START_TEST(list_v2_basic)
{
	struct s3xml_object o[] = {{"ExampleObject.txt", 1487170591000LL,
	                            "\"599bab3ed2c697f1d26842727561fd94\"", 857,
	                            "REDUCED_REDUNDANCY", NULL},
	                           {"my-image.jpg", T2009,
	                            "\"fba9dede5f27731c9771645a39863328\"",
	                            434234, NULL, NULL}};
	struct s3xml_list l = {.bucket = "bucket",
	                       .max_keys = 1000,
	                       .owner = &owner,
	                       .objects = o,
	                       .object_count = 2};
	char *b = NULL;
	size_t n = 0;
	/* No fetch-owner: the owner is left out; no prefix: <Prefix></Prefix>.
	 */
	expect_doc(s3xml_encode_list_objects_v2(&l, &b, &n), &b, &n,
	           PROLOG
	           "<ListBucketResult" NS
	           "><Name>bucket</Name><Prefix></Prefix>"
	           "<KeyCount>2</KeyCount><MaxKeys>1000</"
	           "MaxKeys><IsTruncated>false</IsTruncated>"
	           "<Contents><Key>ExampleObject.txt</Key>"
	           "<LastModified>2017-02-15T14:56:31.000Z</LastModified>"
	           "<ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag>"
	           "<Size>857</Size><StorageClass>REDUCED_REDUNDANCY</"
	           "StorageClass></Contents>"
	           "<Contents><Key>my-image.jpg</Key>"
	           "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	           "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
	           "<Size>434234</Size><StorageClass>STANDARD</StorageClass></"
	           "Contents>"
	           "</ListBucketResult>");
}
END_TEST

/* ListObjectsV2 reference, "Listing keys using the prefix and delimiter
 * parameters": the documented response, byte for byte without its
 * indentation. */
START_TEST(list_v2_doc_delimiter_example)
{
	struct s3xml_object o[] = {{"photos/2006/", 1462060289000LL,
	                            "\"d41d8cd98f00b204e9800998ecf8427e\"", 0,
	                            NULL, NULL}};
	const char *cp[] = {"photos/2006/February/", "photos/2006/January/"};
	struct s3xml_list l = {.bucket = "example-bucket",
	                       .prefix = "photos/2006/",
	                       .delimiter = "/",
	                       .max_keys = 1000,
	                       .objects = o,
	                       .object_count = 1,
	                       .common_prefixes = cp,
	                       .common_prefix_count = 2};
	char *b = NULL;
	size_t n = 0;
	expect_doc(
	    s3xml_encode_list_objects_v2(&l, &b, &n), &b, &n,
	    PROLOG
	    "<ListBucketResult" NS "><Name>example-bucket</Name>"
	    "<Prefix>photos/2006/</Prefix><KeyCount>3</KeyCount>"
	    "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
	    "<IsTruncated>false</IsTruncated><Contents><Key>photos/2006/</Key>"
	    "<LastModified>2016-04-30T23:51:29.000Z</LastModified>"
	    "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>"
	    "<Size>0</Size><StorageClass>STANDARD</StorageClass></Contents>"
	    "<CommonPrefixes><Prefix>photos/2006/February/</Prefix></"
	    "CommonPrefixes>"
	    "<CommonPrefixes><Prefix>photos/2006/January/</Prefix></"
	    "CommonPrefixes>"
	    "</ListBucketResult>");
}
END_TEST

START_TEST(list_v2_tokens_owner_prefixes)
{
	struct s3xml_object o[] = {
	    {"photos/2006/a b.jpg", T2009, "\"e\"", 1, NULL, "CRC32"}};
	const char *cp[] = {"photos/2006/February/", "photos/2006/J+n/"};
	struct s3xml_list l = {
	    .bucket = "example-bucket",
	    .prefix = "photos/2006/",
	    .delimiter = "/",
	    .max_keys = 2,
	    .is_truncated = true,
	    .owner = &owner,
	    .fetch_owner = true,
	    .continuation_token =
	        "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
	    .next_continuation_token = "NEXT/+=",
	    .start_after = "photos/2006/0",
	    .objects = o,
	    .object_count = 1,
	    .common_prefixes = cp,
	    .common_prefix_count = 2};
	char *b = NULL;
	size_t n = 0;
	expect_doc(
	    s3xml_encode_list_objects_v2(&l, &b, &n), &b, &n,
	    PROLOG
	    "<ListBucketResult" NS "><Name>example-bucket</Name>"
	    "<Prefix>photos/2006/</Prefix>"
	    "<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
	    "ContinuationToken>"
	    "<NextContinuationToken>NEXT/+=</NextContinuationToken>"
	    "<StartAfter>photos/2006/0</StartAfter>"
	    "<KeyCount>3</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>"
	    "<IsTruncated>true</IsTruncated>"
	    "<Contents><Key>photos/2006/a b.jpg</Key>"
	    "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	    "<ETag>&quot;e&quot;</ETag><ChecksumAlgorithm>CRC32</"
	    "ChecksumAlgorithm>"
	    "<Size>1</Size><Owner>"
	    "<ID>"
	    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</"
	    "ID>"
	    "<DisplayName>mtd@amazon.com</DisplayName></Owner>"
	    "<StorageClass>STANDARD</StorageClass></Contents>"
	    "<CommonPrefixes><Prefix>photos/2006/February/</Prefix></"
	    "CommonPrefixes>"
	    "<CommonPrefixes><Prefix>photos/2006/J+n/</Prefix></CommonPrefixes>"
	    "</ListBucketResult>");
	/* encoding-type=url: key-like fields encoded, tokens verbatim. */
	l.encoding_url = true;
	l.fetch_owner = false;
	expect_doc(
	    s3xml_encode_list_objects_v2(&l, &b, &n), &b, &n,
	    PROLOG
	    "<ListBucketResult" NS "><Name>example-bucket</Name>"
	    "<Prefix>photos/2006/</Prefix>"
	    "<ContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
	    "ContinuationToken>"
	    "<NextContinuationToken>NEXT/+=</NextContinuationToken>"
	    "<StartAfter>photos/2006/0</StartAfter>"
	    "<KeyCount>3</KeyCount><MaxKeys>2</MaxKeys><Delimiter>/</Delimiter>"
	    "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>photos/2006/a+b.jpg</Key>"
	    "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	    "<ETag>&quot;e&quot;</ETag><ChecksumAlgorithm>CRC32</"
	    "ChecksumAlgorithm>"
	    "<Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>"
	    "<CommonPrefixes><Prefix>photos/2006/February/</Prefix></"
	    "CommonPrefixes>"
	    "<CommonPrefixes><Prefix>photos/2006/J%2Bn/</Prefix></"
	    "CommonPrefixes>"
	    "</ListBucketResult>");
}
END_TEST

/* ListObjects (v1) "Sample Response": owner always, Marker always. */
START_TEST(list_v1)
{
	struct s3xml_object o[] = {{"my-image.jpg", T2009,
	                            "\"fba9dede5f27731c9771645a39863328\"",
	                            434234, NULL, NULL}};
	const char *cp[] = {"dir one/"};
	struct s3xml_list l = {.bucket = "bucket",
	                       .delimiter = "/",
	                       .max_keys = 1000,
	                       .is_truncated = true,
	                       .owner = &owner,
	                       .next_marker = "my-image.jpg",
	                       .objects = o,
	                       .object_count = 1,
	                       .common_prefixes = cp,
	                       .common_prefix_count = 1};
	char *b = NULL;
	size_t n = 0;
	expect_doc(s3xml_encode_list_objects_v1(&l, &b, &n), &b, &n,
	           PROLOG
	           "<ListBucketResult" NS
	           "><Name>bucket</Name><Prefix></Prefix>"
	           "<Marker></Marker><NextMarker>my-image.jpg</NextMarker>"
	           "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
	           "<IsTruncated>true</IsTruncated>"
	           "<Contents><Key>my-image.jpg</Key>"
	           "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	           "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
	           "<Size>434234</Size><Owner>"
	           "<ID>"
	           "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54"
	           "ba06a</ID>"
	           "<DisplayName>mtd@amazon.com</DisplayName></Owner>"
	           "<StorageClass>STANDARD</StorageClass></Contents>"
	           "<CommonPrefixes><Prefix>dir one/</Prefix></CommonPrefixes>"
	           "</ListBucketResult>");
	l.encoding_url = true;
	l.marker = "a b";
	l.object_count = 0;
	expect_doc(
	    s3xml_encode_list_objects_v1(&l, &b, &n), &b, &n,
	    PROLOG
	    "<ListBucketResult" NS "><Name>bucket</Name><Prefix></Prefix>"
	    "<Marker>a+b</Marker><NextMarker>my-image.jpg</NextMarker>"
	    "<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
	    "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
	    "<CommonPrefixes><Prefix>dir+one/</Prefix></CommonPrefixes>"
	    "</ListBucketResult>");
}
END_TEST

START_TEST(list_versions)
{
	struct s3xml_object o[] = {{"my-image.jpg", T2009,
	                            "\"fba9dede5f27731c9771645a39863328\"",
	                            434234, NULL, NULL}};
	struct s3xml_list l = {.bucket = "bucket",
	                       .prefix = "my",
	                       .max_keys = 5,
	                       .owner = &owner,
	                       .objects = o,
	                       .object_count = 1};
	char *b = NULL;
	size_t n = 0;
	expect_doc(s3xml_encode_list_versions(&l, &b, &n), &b, &n,
	           PROLOG
	           "<ListVersionsResult" NS
	           "><Name>bucket</Name><Prefix>my</Prefix>"
	           "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
	           "<MaxKeys>5</MaxKeys><IsTruncated>false</IsTruncated>"
	           "<Version><Key>my-image.jpg</Key><VersionId>null</VersionId>"
	           "<IsLatest>true</IsLatest>"
	           "<LastModified>2009-10-12T17:50:30.000Z</LastModified>"
	           "<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag>"
	           "<Size>434234</Size><Owner>"
	           "<ID>"
	           "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54"
	           "ba06a</ID>"
	           "<DisplayName>mtd@amazon.com</DisplayName></Owner>"
	           "<StorageClass>STANDARD</StorageClass></Version></"
	           "ListVersionsResult>");
	l.is_truncated = true;
	l.next_key_marker = "my-image.jpg";
	l.next_version_id_marker = "null";
	l.object_count = 0;
	expect_doc(s3xml_encode_list_versions(&l, &b, &n), &b, &n,
	           PROLOG
	           "<ListVersionsResult" NS
	           "><Name>bucket</Name><Prefix>my</Prefix>"
	           "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
	           "<NextKeyMarker>my-image.jpg</NextKeyMarker>"
	           "<NextVersionIdMarker>null</NextVersionIdMarker>"
	           "<MaxKeys>5</MaxKeys><IsTruncated>true</IsTruncated></"
	           "ListVersionsResult>");
}
END_TEST

START_TEST(multipart_initiate_complete)
{
	char *b = NULL;
	size_t n = 0;
	/* CreateMultipartUpload example. */
	expect_doc(
	    s3xml_encode_initiate_upload(
	        "example-bucket", "example-object",
	        "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
	        &b, &n),
	    &b, &n,
	    PROLOG "<InitiateMultipartUploadResult" NS
	           "><Bucket>example-bucket</Bucket>"
	           "<Key>example-object</Key>"
	           "<UploadId>"
	           "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA<"
	           "/UploadId>"
	           "</InitiateMultipartUploadResult>");
	/* CompleteMultipartUpload example. */
	struct s3xml_complete_result r = {
	    "http://Example-Bucket.s3.region.amazonaws.com/Example-Object",
	    "Example-Bucket",
	    "Example-Object",
	    "\"3858f62230ac3c915f300c664312c11f-9\"",
	    {NULL}};
	expect_doc(s3xml_encode_complete_upload(&r, &b, &n), &b, &n,
	           PROLOG
	           "<CompleteMultipartUploadResult" NS ">"
	           "<Location>http://Example-Bucket.s3.region.amazonaws.com/"
	           "Example-Object</Location>"
	           "<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
	           "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
	           "</CompleteMultipartUploadResult>");
	r.location = NULL;
	r.checksum[S3XML_CHECKSUM_CRC32] = "AAAAAA==-9";
	r.checksum[S3XML_CHECKSUM_SHA256] = "x/y=";
	expect_doc(s3xml_encode_complete_upload(&r, &b, &n), &b, &n,
	           PROLOG
	           "<CompleteMultipartUploadResult" NS ">"
	           "<Bucket>Example-Bucket</Bucket><Key>Example-Object</Key>"
	           "<ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
	           "<ChecksumCRC32>AAAAAA==-9</ChecksumCRC32><ChecksumSHA256>x/"
	           "y=</ChecksumSHA256>"
	           "</CompleteMultipartUploadResult>");
}
END_TEST

START_TEST(multipart_list_parts)
{
	/* ListParts example values. */
	struct s3xml_part_info p[] = {
	    {2, 1289422080000LL, "\"7778aef83f66abc1fa1e8477f296d394\"",
	     10485760},
	    {3, 1289422080000LL, "\"aaaa18db4cc2f85cedef654fccc4a4x8\"",
	     10485760}};
	struct s3xml_list_parts l = {
	    "example-bucket",
	    "example-object",
	    "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA",
	    &owner,
	    NULL,
	    1,
	    3,
	    2,
	    true,
	    p,
	    2};
	char *b = NULL;
	size_t n = 0;
	expect_doc(
	    s3xml_encode_list_parts(&l, &b, &n), &b, &n,
	    PROLOG
	    "<ListPartsResult" NS "><Bucket>example-bucket</Bucket>"
	    "<Key>example-object</Key>"
	    "<UploadId>"
	    "XXBsb2FkIElEIGZvciBlbHZpbmcncyVcdS1tb3ZpZS5tMnRzEEEwbG9hZA</"
	    "UploadId>"
	    "<Initiator><ID>"
	    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</"
	    "ID>"
	    "<DisplayName>mtd@amazon.com</DisplayName></Initiator>"
	    "<Owner><ID>"
	    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</"
	    "ID>"
	    "<DisplayName>mtd@amazon.com</DisplayName></Owner>"
	    "<StorageClass>STANDARD</StorageClass><PartNumberMarker>1</"
	    "PartNumberMarker>"
	    "<NextPartNumberMarker>3</NextPartNumberMarker><MaxParts>2</"
	    "MaxParts>"
	    "<IsTruncated>true</IsTruncated>"
	    "<Part><PartNumber>2</"
	    "PartNumber><LastModified>2010-11-10T20:48:00.000Z</LastModified>"
	    "<ETag>&quot;7778aef83f66abc1fa1e8477f296d394&quot;</"
	    "ETag><Size>10485760</Size></Part>"
	    "<Part><PartNumber>3</"
	    "PartNumber><LastModified>2010-11-10T20:48:00.000Z</LastModified>"
	    "<ETag>&quot;aaaa18db4cc2f85cedef654fccc4a4x8&quot;</"
	    "ETag><Size>10485760</Size></Part>"
	    "</ListPartsResult>");
}
END_TEST

START_TEST(multipart_list_uploads)
{
	struct s3xml_upload u[] = {
	    {"my divisor", "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw",
	     1291062630000LL, NULL}};
	const char *cp[] = {"photos/"};
	struct s3xml_list_uploads l = {.bucket = "bucket",
	                               .next_key_marker = "my divisor",
	                               .next_upload_id_marker = "XMg",
	                               .max_uploads = 3,
	                               .is_truncated = true,
	                               .owner = &owner,
	                               .uploads = u,
	                               .upload_count = 1,
	                               .common_prefixes = cp,
	                               .common_prefix_count = 1,
	                               .delimiter = "/"};
	char *b = NULL;
	size_t n = 0;
	const char *own = "<ID>"
	                  "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c"
	                  "6caea54ba06a</ID>"
	                  "<DisplayName>mtd@amazon.com</DisplayName>";
	char want[2048];
	snprintf(want, sizeof(want),
	         PROLOG
	         "<ListMultipartUploadsResult" NS "><Bucket>bucket</Bucket>"
	         "<KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>"
	         "<NextKeyMarker>my divisor</NextKeyMarker>"
	         "<NextUploadIdMarker>XMg</NextUploadIdMarker><Delimiter>/</"
	         "Delimiter>"
	         "<MaxUploads>3</MaxUploads><IsTruncated>true</IsTruncated>"
	         "<Upload><Key>my divisor</Key>"
	         "<UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</"
	         "UploadId>"
	         "<Initiator>%s</Initiator><Owner>%s</"
	         "Owner><StorageClass>STANDARD</StorageClass>"
	         "<Initiated>2010-11-29T20:30:30.000Z</Initiated></Upload>"
	         "<CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>"
	         "</ListMultipartUploadsResult>",
	         own, own);
	expect_doc(s3xml_encode_list_uploads(&l, &b, &n), &b, &n, want);
}
END_TEST

START_TEST(copy_and_delete_results)
{
	char *b = NULL;
	size_t n = 0;
	/* CopyObject example: 2009-10-28T22:32:00.000Z. */
	expect_doc(
	    s3xml_encode_copy_object("\"9b2cf535f27731c974343645a3985328\"",
	                             1256769120000LL, &b, &n),
	    &b, &n,
	    PROLOG "<CopyObjectResult" NS
	           "><LastModified>2009-10-28T22:32:00.000Z</LastModified>"
	           "<ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></"
	           "CopyObjectResult>");
	expect_doc(s3xml_encode_copy_part("\"b\"", 0, &b, &n), &b, &n,
	           PROLOG
	           "<CopyPartResult" NS
	           "><LastModified>1970-01-01T00:00:00.000Z</LastModified>"
	           "<ETag>&quot;b&quot;</ETag></CopyPartResult>");
	/* DeleteObjects example. */
	struct s3xml_deleted d[] = {{"sample1.txt", NULL}, {"v.txt", "null"}};
	struct s3xml_delete_error e[] = {
	    {"sample2.txt", NULL, "AccessDenied", "Access Denied"}};
	expect_doc(
	    s3xml_encode_delete_result(d, 2, e, 1, &b, &n), &b, &n,
	    PROLOG
	    "<DeleteResult" NS "><Deleted><Key>sample1.txt</Key></Deleted>"
	    "<Deleted><Key>v.txt</Key><VersionId>null</VersionId></Deleted>"
	    "<Error><Key>sample2.txt</Key><Code>AccessDenied</Code>"
	    "<Message>Access Denied</Message></Error></DeleteResult>");
	expect_doc(s3xml_encode_delete_result(NULL, 0, NULL, 0, &b, &n), &b, &n,
	           PROLOG "<DeleteResult" NS "></DeleteResult>");
}
END_TEST

START_TEST(escaping)
{
	/* Markup characters, CR and C0 controls as references; TAB, LF and
	 * multi-byte UTF-8 literal. */
	struct s3xml_deleted d[] = {
	    {"a&b<c>d\"e'f\tg\nh\ri\x01j\x1f\xc3\xa9\xef\xbf\xbe", NULL}};
	char *b = NULL;
	size_t n = 0;
	expect_doc(
	    s3xml_encode_delete_result(d, 1, NULL, 0, &b, &n), &b, &n,
	    PROLOG
	    "<DeleteResult" NS "><Deleted><Key>"
	    "a&amp;b&lt;c&gt;d&quot;e'f\tg\nh&#xD;i&#x1;j&#x1F;\xc3\xa9&#xFFFE;"
	    "</Key></Deleted></DeleteResult>");
}
END_TEST

START_TEST(invalid_utf8_refused)
{
	const char *bad[] = {"\xff",
	                     "a\xc3",
	                     "\xc0\xaf",
	                     "\xed\xa0\x80",
	                     "\xf4\x90\x80\x80",
	                     "\xe0\x80\x80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct s3xml_deleted d[] = {{bad[i], NULL}};
		char *b = (char *)"untouched";
		size_t n = 7;
		ck_assert_int_eq(
		    s3xml_encode_delete_result(d, 1, NULL, 0, &b, &n),
		    S3XML_ERR_ENCODING);
		ck_assert_str_eq(b, "untouched");
		ck_assert_uint_eq(n, 7);
		ck_assert_ptr_null(s3xml_url_encode(bad[i]));
	}
}
END_TEST

static void expect_url(const char *in, const char *want)
{
	char *s = s3xml_url_encode(in);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, want);
	free(s);
}

START_TEST(url_encoding)
{
	/* Observed S3 answers with encoding-type=url. */
	expect_url("a b.txt", "a+b.txt");
	expect_url("a+b.txt", "a%2Bb.txt");
	expect_url("100%.csv", "100%25.csv");
	expect_url("\xed\x95\x9c\xea\xb8\x80/x.txt",
	           "%ED%95%9C%EA%B8%80/x.txt");
	expect_url("run books/x.txt", "run+books/x.txt");
	/* Java URLEncoder's safe set plus '/'. */
	expect_url("AZaz09-_.*/", "AZaz09-_.*/");
	expect_url("~!'()&=?#:;,@$\x01\x7f",
	           "%7E%21%27%28%29%26%3D%3F%23%3A%3B%2C%40%24%01%7F");
	expect_url("", "");
}
END_TEST

static void expect_time(int64_t ms, const char *want)
{
	char t[S3XML_TIME_BYTES];
	ck_assert_int_eq(s3xml_time_format_ms(ms, t), 0);
	ck_assert_str_eq(t, want);
}

START_TEST(iso_times)
{
	expect_time(0, "1970-01-01T00:00:00.000Z");
	expect_time(T2009, "2009-10-12T17:50:30.000Z");
	expect_time(T2009 + 7, "2009-10-12T17:50:30.007Z");
	expect_time(-1, "1969-12-31T23:59:59.999Z");
	expect_time(1709208000123LL, "2024-02-29T12:00:00.123Z");
	expect_time(253402300799999LL, "9999-12-31T23:59:59.999Z");
	expect_time(-62167219200000LL, "0000-01-01T00:00:00.000Z");
	char t[S3XML_TIME_BYTES];
	ck_assert_int_eq(s3xml_time_format_ms(253402300800000LL, t),
	                 S3XML_ERR_ENCODING);
	ck_assert_int_eq(s3xml_time_format_ms(-62167219200001LL, t),
	                 S3XML_ERR_ENCODING);
	ck_assert_int_eq(s3xml_time_format_ms(INT64_MAX, t),
	                 S3XML_ERR_ENCODING);
	ck_assert_int_eq(s3xml_time_format_ms(INT64_MIN, t),
	                 S3XML_ERR_ENCODING);
	ck_assert_int_eq(s3xml_time_format_ns(1255369830123456789LL, t), 0);
	ck_assert_str_eq(t, "2009-10-12T17:50:30.123Z");
	ck_assert_int_eq(s3xml_time_format_ns(-1, t), 0);
	ck_assert_str_eq(t, "1969-12-31T23:59:59.999Z");
	ck_assert_int_eq(s3xml_ms_from_ns(-1000000), -1);
	ck_assert_int_eq(s3xml_ms_from_ns(-1000001), -2);
	ck_assert_int_eq(s3xml_ms_from_ns(1999999), 1);
	/* A bad time in a document fails the whole document. */
	char *b = NULL;
	size_t n = 0;
	ck_assert_int_eq(s3xml_encode_copy_object("\"e\"", INT64_MAX, &b, &n),
	                 S3XML_ERR_ENCODING);
	ck_assert_ptr_null(b);
}
END_TEST

/* The arithmetic date conversion agrees with gmtime_r over random times
 * spanning the whole 0000..9999 range. */
START_TEST(iso_times_vs_gmtime)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x7133);
	const int64_t lo = -62167219200000LL, hi = 253402300799999LL;
	for (int i = 0; i < 20000; i++) {
		int64_t ms =
		    lo + (int64_t)test_rng_below(&r, (uint64_t)(hi - lo + 1));
		if (i % 2)
			ms = (int64_t)test_rng_below(
			    &r, 4102444800000ULL); /* 1970..2100 */
		char got[S3XML_TIME_BYTES], want[64];
		ck_assert_int_eq(s3xml_time_format_ms(ms, got), 0);
		int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		time_t t = (time_t)secs;
		struct tm tm;
		ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
		snprintf(
		    want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ms - secs * 1000));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

/* 1000 entries: one pass; the buffer grows by doubling (capacity within 2x
 * of the length, so no quadratic reallocation), and every entry is there. */
START_TEST(large_listing)
{
	enum { N = 1000 };
	static struct s3xml_object o[N];
	static char keys[N][32];
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "dir/key-%06d", i);
		o[i] = (struct s3xml_object){
		    keys[i],
		    T2009 + i,
		    "\"0123456789abcdef0123456789abcdef\"",
		    (uint64_t)i,
		    NULL,
		    NULL};
	}
	struct s3xml_list l = {
	    .bucket = "b", .max_keys = 1000, .objects = o, .object_count = N};
	char *b = NULL;
	size_t n = 0;
	ck_assert_int_eq(s3xml_encode_list_objects_v2(&l, &b, &n), 0);
	size_t count = 0;
	for (const char *p = b; (p = strstr(p, "<Contents>")) != NULL; p++)
		count++;
	ck_assert_uint_eq(count, N);
	ck_assert_ptr_nonnull(strstr(b, "<Key>dir/key-000999</Key>"));
	ck_assert_ptr_nonnull(strstr(b, "<KeyCount>1000</KeyCount>"));
	ck_assert_uint_eq(strlen(b), n);
	free(b);

	struct xw w;
	xw_init(&w, 0);
	for (int i = 0; i < 100000; i++)
		xw_text(&w, "abc&");
	ck_assert_int_eq(w.err, 0);
	ck_assert_uint_lt(w.cap, 2 * w.len + 2);
	ck_assert_int_eq(xw_finish(&w, &b, &n), 0);
	free(b);
}
END_TEST

/* Finds the first element called name below n (depth first). */
static xmlNodePtr find_elem(xmlNodePtr n, const char *name)
{
	for (; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
		xmlNodePtr c = find_elem(n->children, name);
		if (c != NULL)
			return c;
	}
	return NULL;
}

/* Random listings with awkward keys parse as well-formed XML (libxml2,
 * strict) and give back every key exactly, URL-decoded when encoded. */
static char *url_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1);
	ck_assert_ptr_nonnull(out);
	size_t n = 0;
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '+') {
			out[n++] = ' ';
		} else if (s[i] == '%') {
			unsigned v = 0;
			ck_assert_int_eq(sscanf(s + i + 1, "%2X", &v), 1);
			out[n++] = (char)v;
			i += 2;
		} else {
			out[n++] = s[i];
		}
	}
	out[n] = '\0';
	return out;
}

START_TEST(listing_roundtrip)
{
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
	                               "]]>",
	                               "\xc3\xa9",
	                               "\xe2\x82\xac",
	                               "\xf0\x9f\x98\x80",
	                               "%",
	                               "+",
	                               "/",
	                               "~",
	                               "&amp;",
	                               "\x01"};
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x11);
	for (int iter = 0; iter < 300; iter++) {
		char key[256];
		size_t len = 0;
		size_t parts = 1 + test_rng_below(&r, 20);
		bool url = test_rng_below(&r, 2) == 0;
		for (size_t i = 0; i < parts; i++) {
			/* Without URL encoding, control characters other than
			 * TAB/LF/CR make the document unparseable by design. */
			size_t np =
			    sizeof(pieces) / sizeof(pieces[0]) - (url ? 0 : 1);
			const char *p = pieces[test_rng_below(&r, np)];
			memcpy(key + len, p, strlen(p));
			len += strlen(p);
		}
		key[len] = '\0';
		struct s3xml_object o = {key, T2009, "\"e\"", 1, NULL, NULL};
		struct s3xml_list l = {.bucket = "b",
		                       .max_keys = 1,
		                       .encoding_url = url,
		                       .objects = &o,
		                       .object_count = 1};
		char *b = NULL;
		size_t n = 0;
		ck_assert_int_eq(s3xml_encode_list_objects_v2(&l, &b, &n), 0);
		xmlDocPtr doc = xmlReadMemory(
		    b, (int)n, NULL, NULL,
		    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
		ck_assert_msg(doc != NULL, "not well-formed: %s", b);
		xmlNodePtr k = find_elem(xmlDocGetRootElement(doc), "Key");
		ck_assert_ptr_nonnull(k);
		xmlChar *text = xmlNodeGetContent(k);
		char *got = url ? url_decode((const char *)text)
		                : strdup((const char *)text);
		ck_assert_str_eq(got, key);
		free(got);
		xmlFree(text);
		xmlFreeDoc(doc);
		free(b);
	}
}
END_TEST

START_TEST(error_codes_named)
{
	ck_assert_str_eq(s3xml_err_s3code(S3XML_ERR_MALFORMED), "MalformedXML");
	ck_assert_str_eq(s3xml_err_s3code(S3XML_ERR_DTD), "MalformedXML");
	ck_assert_str_eq(s3xml_err_s3code(S3XML_ERR_TOO_MANY), "MalformedXML");
	ck_assert_str_eq(s3xml_err_s3code(S3XML_ERR_TOO_LARGE),
	                 "MaxMessageLengthExceeded");
	ck_assert_str_eq(s3xml_err_s3code(S3XML_ERR_KEY_TOO_LONG),
	                 "KeyTooLongError");
	ck_assert_str_eq(s3xml_err_s3code(S3XML_ERR_PART_NUMBER),
	                 "InvalidArgument");
	ck_assert_str_eq(s3xml_err_s3code(-12345), "InternalError");
	ck_assert_str_ne(s3xml_strerror(S3XML_ERR_LIMIT),
	                 s3xml_strerror(-12345));
	ck_assert_str_eq(s3xml_checksum_name(S3XML_CHECKSUM_CRC64NVME),
	                 "CRC64NVME");
}
END_TEST

Suite *test_xml_encode_suite(void)
{
	Suite *s = suite_create("xml_encode");
	TCase *tc = tcase_create("encode");
	tcase_add_test(tc, error_document);
	tcase_add_test(tc, error_extra_fields);
	tcase_add_test(tc, list_buckets);
	tcase_add_test(tc, location_and_versioning);
	tcase_add_test(tc, list_v2_basic);
	tcase_add_test(tc, list_v2_doc_delimiter_example);
	tcase_add_test(tc, list_v2_tokens_owner_prefixes);
	tcase_add_test(tc, list_v1);
	tcase_add_test(tc, list_versions);
	tcase_add_test(tc, multipart_initiate_complete);
	tcase_add_test(tc, multipart_list_parts);
	tcase_add_test(tc, multipart_list_uploads);
	tcase_add_test(tc, copy_and_delete_results);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, invalid_utf8_refused);
	tcase_add_test(tc, url_encoding);
	tcase_add_test(tc, iso_times);
	tcase_add_test(tc, iso_times_vs_gmtime);
	tcase_add_test(tc, large_listing);
	tcase_add_test(tc, error_codes_named);
	tcase_add_test(tc, listing_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
