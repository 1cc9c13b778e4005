/*
 * test_object_multipart.c — multipart uploads: parts stream to chunks,
 * complete references them without copying, S3's validation errors, the
 * multipart ETag, abort, ListParts and ListMultipartUploads paging.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/object_keys.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

#define CHUNK (64u * 1024)
#define MIB (1024u * 1024)

static void md5_hex(const void *p, size_t n, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	ck_assert_int_eq(EVP_Digest(p, n, md, &len, EVP_md5(), NULL), 1);
	for (unsigned i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void upload_part(struct obj *o, const char *up, uint32_t part,
			const uint8_t *data, size_t len, char etag[33])
{
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_part_writer_new(o, "bkt", "big", 3, up, part, &w), 0);
	for (size_t off = 0; off < len; off += 7777) {
		size_t n = len - off < 7777 ? len - off : 7777;
		ck_assert_int_eq(obj_writer_write(w, data + off, n), 0);
	}
	md5_hex(data, len, etag);
	ck_assert_int_eq(obj_part_finish(w, etag, NULL), 0);
	obj_writer_free(w);
}

static uint8_t *rand_bytes(size_t n, uint64_t seed)
{
	struct test_rng r;
	test_rng_init(&r, seed);
	uint8_t *p = malloc(n);
	test_rng_bytes(&r, p, n);
	return p;
}

struct ck_probe {
	int rc;
	char algo[16];
	size_t n;
	uint64_t sizes[4];
};

static int probe_checksum(void *arg, const struct obj_meta *upload,
			  const struct obj_meta *const *parts, size_t n,
			  char out[OBJ_CHECKSUM_VALUE_MAX])
{
	struct ck_probe *p = arg;
	snprintf(p->algo, sizeof p->algo, "%s",
		 upload->attrs.checksum_algo ? upload->attrs.checksum_algo : "");
	p->n = n;
	for (size_t i = 0; i < n && i < 4; i++)
		p->sizes[i] = parts[i]->size;
	snprintf(out, OBJ_CHECKSUM_VALUE_MAX, "AAAAAA==-%zu", n);
	return p->rc;
}

START_TEST(multipart_complete)
{
	struct tenv e;
	tenv_init(&e, "obj-mpu", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	struct obj_pair pair = {"color", "blue"};
	struct obj_attrs a = {.content_type = "video/mp4", .user = &pair,
			      .user_count = 1, .checksum_algo = "CRC32"};
	char up[OBJ_UPLOAD_ID_LEN_BUF];
	ck_assert_int_eq(obj_upload_new(e.o, "bkt", "big", 3, &a, up), 0);
	size_t sizes[3] = {5 * MIB, 5 * MIB + 3, 12345};
	uint8_t *data[3];
	char etags[3][33];
	for (int i = 0; i < 3; i++) {
		data[i] = rand_bytes(sizes[i], 100 + i);
		upload_part(e.o, up, (uint32_t)(i + 1), data[i], sizes[i], etags[i]);
	}
	/* Re-upload part 2 with different bytes: it replaces the first. */
	free(data[1]);
	data[1] = rand_bytes(sizes[1], 999);
	char old2[33];
	memcpy(old2, etags[1], 33);
	upload_part(e.o, up, 2, data[1], sizes[1], etags[1]);
	/* Invisible until complete. */
	struct obj_meta *m = NULL;
	ck_assert_int_eq(obj_head(e.o, "bkt", "big", 3, &m), OBJ_ENOKEY);
	struct obj_part_ref refs[3] = {{1, etags[0]}, {2, etags[1]}, {3, etags[2]}};
	struct obj_part_ref stale[3] = {{1, etags[0]}, {2, old2}, {3, etags[2]}};
	struct obj_part_ref order[2] = {{2, etags[1]}, {1, etags[0]}};
	struct obj_part_ref missing[2] = {{1, etags[0]}, {4, etags[2]}};
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, stale, 3,
					     NULL, NULL, NULL), OBJ_EINVALIDPART);
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, order, 2,
					     NULL, NULL, NULL), OBJ_EPARTORDER);
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, missing, 2,
					     NULL, NULL, NULL), OBJ_EINVALIDPART);
	struct obj_part_ref small2[2] = {{3, etags[2]}, {3, etags[2]}};
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, small2, 2,
					     NULL, NULL, NULL), OBJ_EPARTORDER);
	struct obj_stats before, after;
	obj_stats_get(e.o, &before);
	size_t chunks = test_backend_chunks(e.be);
	e.clock.ns += 77;
	/* A checksum function that fails aborts the completion: nothing is
	 * committed and the upload stays. */
	struct ck_probe probe = {.rc = OBJ_EINVALIDPART};
	struct obj_checksum_fn ck = {probe_checksum, &probe};
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, refs, 3,
					     &ck, NULL, &m), OBJ_EINVALIDPART);
	ck_assert_int_eq(obj_head(e.o, "bkt", "big", 3, &m), OBJ_ENOKEY);
	probe.rc = 0;
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, refs, 3,
					     &ck, NULL, &m), 0);
	/* It saw the upload's record and the listed parts, in order. */
	ck_assert_str_eq(probe.algo, "CRC32");
	ck_assert_uint_eq(probe.n, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(probe.sizes[i], sizes[i]);
	obj_stats_get(e.o, &after);
	ck_assert_uint_eq(after.chunks_written, before.chunks_written);
	ck_assert_uint_eq(test_backend_chunks(e.be), chunks); /* nothing copied */
	/* ETag: MD5 of the binary part MD5s, "-3". */
	uint8_t cat[48];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 16; j++) {
			unsigned v;
			sscanf(etags[i] + 2 * j, "%2x", &v);
			cat[16 * i + j] = (uint8_t)v;
		}
	char want[40];
	md5_hex(cat, 48, want);
	strcat(want, "-3");
	ck_assert_str_eq(m->attrs.etag, want);
	ck_assert_str_eq(m->attrs.content_type, "video/mp4");
	ck_assert_str_eq(m->attrs.user[0].value, "blue");
	ck_assert_str_eq(m->attrs.checksum_algo, "CRC32");
	ck_assert_str_eq(m->attrs.checksum_value, "AAAAAA==-3");
	ck_assert_uint_eq(m->part_count, 3);
	ck_assert_uint_eq(m->size, sizes[0] + sizes[1] + sizes[2]);
	ck_assert(m->mtime_ns == (int64_t)e.clock.ns);
	obj_meta_free(m);
	/* Bytes read back across part boundaries, and a range spanning one. */
	uint8_t *got = NULL;
	size_t glen = 0;
	ck_assert_int_eq(tobj_get(e.o, "bkt", "big", NULL, 100000, &got, &glen), 0);
	ck_assert_uint_eq(glen, sizes[0] + sizes[1] + sizes[2]);
	ck_assert_mem_eq(got, data[0], sizes[0]);
	ck_assert_mem_eq(got + sizes[0], data[1], sizes[1]);
	ck_assert_mem_eq(got + sizes[0] + sizes[1], data[2], sizes[2]);
	free(got);
	struct obj_range r = {OBJ_RANGE_FROM_TO, sizes[0] - 10, sizes[0] + 9};
	ck_assert_int_eq(tobj_get(e.o, "bkt", "big", &r, 3, &got, &glen), 0);
	ck_assert_uint_eq(glen, 20);
	ck_assert_mem_eq(got, data[0] + sizes[0] - 10, 10);
	ck_assert_mem_eq(got + 10, data[1], 10);
	free(got);
	/* The upload is gone; its part records too; the replaced part 2 and
	 * nothing else is garbage. */
	ck_assert_int_eq(obj_upload_abort(e.o, "bkt", "big", 3, up), OBJ_ENOUPLOAD);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_PART), 0);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_UPLOAD), 0);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_GARBAGE), 1);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_INFLIGHT), 0);
	for (int i = 0; i < 3; i++)
		free(data[i]);
	tenv_fini(&e);
}
END_TEST

START_TEST(multipart_small_part_and_abort)
{
	struct tenv e;
	tenv_init(&e, "obj-mpu2", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	char up[OBJ_UPLOAD_ID_LEN_BUF];
	ck_assert_int_eq(obj_upload_new(e.o, "bkt", "big", 3, NULL, up), 0);
	uint8_t *d = rand_bytes(100000, 5);
	char e1[33], e2[33];
	upload_part(e.o, up, 1, d, 100000, e1);
	upload_part(e.o, up, 2, d, 1000, e2);
	struct obj_part_ref refs[2] = {{1, e1}, {2, e2}};
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, refs, 2,
					     NULL, NULL, NULL), OBJ_ETOOSMALL);
	/* A single small part is fine (the last part has no minimum). */
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_part_writer_new(e.o, "bkt", "big", 3, up, 0, &w), OBJ_EARGUMENT);
	ck_assert_int_eq(obj_part_writer_new(e.o, "bkt", "big", 3, up, 10001, &w), OBJ_EARGUMENT);
	ck_assert_int_eq(obj_part_writer_new(e.o, "bkt", "big", 3,
					     "0123456789abcdef0123456789abcdef", 1, &w),
			 OBJ_ENOUPLOAD);
	ck_assert_int_eq(obj_upload_abort(e.o, "bkt", "big", 3, up), 0);
	ck_assert_int_eq(obj_upload_abort(e.o, "bkt", "big", 3, up), OBJ_ENOUPLOAD);
	ck_assert_int_eq(obj_upload_complete(e.o, "bkt", "big", 3, up, refs, 1,
					     NULL, NULL, NULL), OBJ_ENOUPLOAD);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_PART), 0);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_GARBAGE), 2);
	/* A part writer whose upload is aborted before it finishes. */
	ck_assert_int_eq(obj_upload_new(e.o, "bkt", "big", 3, NULL, up), 0);
	ck_assert_int_eq(obj_part_writer_new(e.o, "bkt", "big", 3, up, 1, &w), 0);
	ck_assert_int_eq(obj_writer_write(w, d, 100000), 0);
	ck_assert_int_eq(obj_upload_abort(e.o, "bkt", "big", 3, up), 0);
	ck_assert_int_eq(obj_part_finish(w, e1, NULL), OBJ_ENOUPLOAD);
	obj_writer_free(w); /* its chunks become garbage */
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_GARBAGE), 3);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_INFLIGHT), 0);
	free(d);
	tenv_fini(&e);
}
END_TEST

static int parts_cb(void *arg, const struct obj_part_info *p)
{
	char *out = arg;
	char line[64];
	snprintf(line, sizeof line, "%u:%llu,", p->part,
		 (unsigned long long)p->meta->size);
	strcat(out, line);
	return 0;
}

static int uploads_cb(void *arg, const struct obj_upload_entry *u)
{
	char *out = arg;
	char line[128];
	snprintf(line, sizeof line, "%s%.*s,", u->is_prefix ? "p:" : "",
		 (int)u->key_len, u->key);
	strcat(out, line);
	return 0;
}

START_TEST(multipart_listings)
{
	struct tenv e;
	tenv_init(&e, "obj-mpl", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	char up[OBJ_UPLOAD_ID_LEN_BUF];
	ck_assert_int_eq(obj_upload_new(e.o, "bkt", "big", 3, NULL, up), 0);
	uint8_t d[64] = {0};
	char etag[33];
	for (uint32_t p = 1; p <= 9; p += 2)
		upload_part(e.o, up, p, d, p, etag);
	char out[512] = "";
	bool trunc = false;
	uint32_t next = 0;
	ck_assert_int_eq(obj_upload_list_parts(e.o, "bkt", "big", 3, up, 0, 2,
					       parts_cb, out, &trunc, &next), 0);
	ck_assert_str_eq(out, "1:1,3:3,");
	ck_assert(trunc);
	ck_assert_uint_eq(next, 3);
	out[0] = '\0';
	ck_assert_int_eq(obj_upload_list_parts(e.o, "bkt", "big", 3, up, next, 10,
					       parts_cb, out, &trunc, &next), 0);
	ck_assert_str_eq(out, "5:5,7:7,9:9,");
	ck_assert(!trunc);
	/* Uploads: ordered by key then id, prefix/delimiter, markers. */
	const char *keys[] = {"a/1", "a/2", "b", "b", "c/d/e"};
	char ids[5][OBJ_UPLOAD_ID_LEN_BUF];
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(obj_upload_new(e.o, "bkt", keys[i], strlen(keys[i]),
						NULL, ids[i]), 0);
	struct obj_upload_list_params p = {.max_uploads = 1000};
	struct obj_upload_list_result res;
	out[0] = '\0';
	ck_assert_int_eq(obj_upload_list(e.o, "bkt", &p, uploads_cb, out, &res), 0);
	ck_assert_str_eq(out, "a/1,a/2,b,b,big,c/d/e,");
	ck_assert(!res.truncated);
	free(res.next_key);
	p.delimiter = "/";
	p.delimiter_len = 1;
	out[0] = '\0';
	ck_assert_int_eq(obj_upload_list(e.o, "bkt", &p, uploads_cb, out, &res), 0);
	ck_assert_str_eq(out, "p:a/,b,b,big,p:c/,");
	free(res.next_key);
	/* Page by one through the two uploads of "b". */
	p.delimiter = NULL;
	p.delimiter_len = 0;
	p.key_marker = "a/2";
	p.key_marker_len = 3;
	p.max_uploads = 1;
	out[0] = '\0';
	ck_assert_int_eq(obj_upload_list(e.o, "bkt", &p, uploads_cb, out, &res), 0);
	ck_assert_str_eq(out, "b,");
	ck_assert(res.truncated);
	ck_assert_str_eq(res.next_key, "b");
	char first_b[OBJ_UPLOAD_ID_LEN_BUF];
	memcpy(first_b, res.next_upload_id, sizeof first_b);
	p.key_marker = "b";
	p.key_marker_len = 1;
	p.upload_id_marker = first_b;
	free(res.next_key);
	ck_assert_int_eq(obj_upload_list(e.o, "bkt", &p, uploads_cb, out, &res), 0);
	ck_assert_str_eq(out, "b,b,");
	ck_assert_str_ne(res.next_upload_id, first_b);
	free(res.next_key);
	p.upload_id_marker = NULL; /* after every upload of "b" */
	ck_assert_int_eq(obj_upload_list(e.o, "bkt", &p, uploads_cb, out, &res), 0);
	ck_assert_str_eq(out, "b,b,big,");
	free(res.next_key);
	/* Uploads never show up as objects. */
	struct obj_list_params lp = {.max_keys = 1000};
	struct obj_list_result lr;
	ck_assert_int_eq(obj_list(e.o, "bkt", &lp, NULL, NULL, &lr), 0);
	ck_assert_uint_eq(lr.count, 0);
	tenv_fini(&e);
}
END_TEST

Suite *suite_object_multipart(void)
{
	Suite *s = suite_create("object_multipart");
	TCase *tc = tcase_create("multipart");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, multipart_complete);
	tcase_add_test(tc, multipart_small_part_and_abort);
	tcase_add_test(tc, multipart_listings);
	suite_add_tcase(s, tc);
	return s;
}
