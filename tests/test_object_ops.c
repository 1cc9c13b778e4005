/*
 * test_object_ops.c — buckets, PUT/GET/HEAD with ranges, delete, copy,
 * preconditions (including the If-None-Match: * race) and bounded memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/object_keys.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

#define CHUNK 1000u /* small chunks: many chunk boundaries in small data */

static uint8_t *pattern(size_t len, uint64_t seed)
{
	struct test_rng r;
	test_rng_init(&r, seed);
	uint8_t *p = malloc(len ? len : 1);
	test_rng_bytes(&r, p, len);
	return p;
}

static int list_buckets_cb(void *arg, const struct obj_bucket_info *b)
{
	char *out = arg;
	strcat(out, b->name);
	strcat(out, ",");
	return 0;
}

START_TEST(buckets)
{
	struct tenv e;
	tenv_init(&e, "obj-buckets", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "zeta", NULL), 0);
	ck_assert_int_eq(obj_bucket_create(e.o, "alpha", "eu-west-1"), 0);
	ck_assert_int_eq(obj_bucket_create(e.o, "alpha", NULL), OBJ_EBUCKETEXISTS);
	ck_assert_int_eq(obj_bucket_create(e.o, "Bad_Name", NULL), OBJ_EBUCKETNAME);
	struct obj_bucket_info bi;
	ck_assert_int_eq(obj_bucket_head(e.o, "alpha", &bi), 0);
	ck_assert_str_eq(bi.region, "eu-west-1");
	ck_assert(bi.ctime_ns == (int64_t)e.clock.ns);
	ck_assert_int_eq(obj_bucket_head(e.o, "nope", &bi), OBJ_ENOBUCKET);
	char names[256] = "";
	ck_assert_int_eq(obj_bucket_list(e.o, list_buckets_cb, names), 0);
	ck_assert_str_eq(names, "alpha,zeta,");
	/* Not empty while an object or an upload exists. */
	ck_assert_int_eq(tobj_put(e.o, "alpha", "k", "v", 1, NULL), 0);
	ck_assert_int_eq(obj_bucket_delete(e.o, "alpha"), OBJ_ENOTEMPTY);
	ck_assert_int_eq(obj_delete(e.o, "alpha", "k", 1), 0);
	char up[OBJ_UPLOAD_ID_LEN_BUF];
	ck_assert_int_eq(obj_upload_new(e.o, "alpha", "m", 1, NULL, up), 0);
	ck_assert_int_eq(obj_bucket_delete(e.o, "alpha"), OBJ_ENOTEMPTY);
	ck_assert_int_eq(obj_upload_abort(e.o, "alpha", "m", 1, up), 0);
	ck_assert_int_eq(obj_bucket_delete(e.o, "alpha"), 0);
	ck_assert_int_eq(obj_bucket_delete(e.o, "alpha"), OBJ_ENOBUCKET);
	ck_assert_int_eq(tobj_put(e.o, "alpha", "k", "v", 1, NULL), OBJ_ENOBUCKET);
	tenv_fini(&e);
}
END_TEST

START_TEST(put_get_ranges)
{
	struct tenv e;
	tenv_init(&e, "obj-put", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	size_t sizes[] = {0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK + 17};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		uint8_t *data = pattern(n, i + 1);
		ck_assert_int_eq(tobj_put(e.o, "bk1", "obj", data, n, NULL), 0);
		uint8_t *got = NULL;
		size_t glen = 0;
		ck_assert_int_eq(tobj_get(e.o, "bk1", "obj", NULL, 7, &got, &glen), 0);
		ck_assert_uint_eq(glen, n);
		ck_assert(n == 0 || memcmp(got, data, n) == 0);
		free(got);
		struct obj_meta *m = NULL;
		ck_assert_int_eq(obj_head(e.o, "bk1", "obj", 3, &m), 0);
		char etag[33];
		test_etag(data, n, etag);
		ck_assert_str_eq(m->attrs.etag, etag);
		ck_assert_uint_eq(m->size, n);
		ck_assert(m->mtime_ns == (int64_t)e.clock.ns);
		obj_meta_free(m);
		/* Every satisfiable range form, checked against the data. */
		struct obj_range rs[] = {
			{OBJ_RANGE_FROM_TO, 0, 0},
			{OBJ_RANGE_FROM_TO, n / 3, n / 2},
			{OBJ_RANGE_FROM_TO, n / 2, n + 100},
			{OBJ_RANGE_FROM, n / 4, 0},
			{OBJ_RANGE_SUFFIX, n / 3 + 1, 0},
			{OBJ_RANGE_SUFFIX, n + 10, 0},
		};
		for (size_t j = 0; j < sizeof rs / sizeof *rs; j++) {
			uint64_t first = 0, last = 0; /* expected, inclusive */
			bool ok = n > 0;
			switch (rs[j].kind) {
			case OBJ_RANGE_FROM_TO:
				first = rs[j].a;
				last = rs[j].b < n ? rs[j].b : n - 1;
				ok = ok && first < n;
				break;
			case OBJ_RANGE_FROM:
				first = rs[j].a;
				last = n - 1;
				ok = ok && first < n;
				break;
			default:
				first = rs[j].a >= n ? 0 : n - rs[j].a;
				last = n - 1;
				break;
			}
			int rc = tobj_get(e.o, "bk1", "obj", &rs[j], 13, &got, &glen);
			if (!ok) {
				ck_assert_int_eq(rc, OBJ_ERANGE);
				continue;
			}
			ck_assert_int_eq(rc, 0);
			ck_assert_uint_eq(glen, last - first + 1);
			ck_assert_mem_eq(got, data + first, glen);
			free(got);
		}
		free(data);
		e.clock.ns += 1000;
	}
	struct obj_range bad = {OBJ_RANGE_FROM, 100000, 0};
	uint8_t *got = NULL;
	size_t glen = 0;
	ck_assert_int_eq(tobj_get(e.o, "bk1", "obj", &bad, 10, &got, &glen), OBJ_ERANGE);
	ck_assert_int_eq(tobj_get(e.o, "bk1", "none", NULL, 10, &got, &glen), OBJ_ENOKEY);
	ck_assert_int_eq(tobj_get(e.o, "bk2", "obj", NULL, 10, &got, &glen), OBJ_ENOBUCKET);
	tenv_fini(&e);
}
END_TEST

START_TEST(delete_and_names)
{
	struct tenv e;
	tenv_init(&e, "obj-del", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	ck_assert_int_eq(obj_delete(e.o, "bk1", "missing", 7), 0);
	ck_assert_int_eq(obj_delete(e.o, "nob", "missing", 7), OBJ_ENOBUCKET);
	ck_assert_int_eq(tobj_put(e.o, "bk1", "x", "hello", 5, NULL), 0);
	ck_assert_int_eq(obj_delete(e.o, "bk1", "x", 1), 0);
	struct obj_meta *m = NULL;
	ck_assert_int_eq(obj_head(e.o, "bk1", "x", 1, &m), OBJ_ENOKEY);
	/* Key limits: 1024 bytes is fine, 1025 and NUL are not. */
	char key[1026];
	memset(key, 'k', sizeof key);
	key[1024] = '\0';
	ck_assert_int_eq(tobj_put(e.o, "bk1", key, "v", 1, NULL), 0);
	key[1024] = 'k';
	key[1025] = '\0';
	ck_assert_int_eq(tobj_put(e.o, "bk1", key, "v", 1, NULL), OBJ_EKEYNAME);
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_writer_new(e.o, "bk1", "a\0b", 3, &w), OBJ_EKEYNAME);
	tenv_fini(&e);
}
END_TEST

START_TEST(user_metadata_limit)
{
	struct tenv e;
	tenv_init(&e, "obj-meta", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	char big[2100];
	memset(big, 'v', sizeof big);
	big[2048 - 4] = '\0'; /* "name" + 2044 = exactly 2 KiB */
	struct obj_pair p = {"name", big};
	struct obj_attrs a = {.etag = "00000000000000000000000000000000",
			      .user = &p, .user_count = 1};
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_writer_new(e.o, "bk1", "k", 1, &w), 0);
	ck_assert_int_eq(obj_put_finish(w, &a, NULL, NULL), 0);
	obj_writer_free(w);
	big[2048 - 4] = 'v';
	big[2048 - 3] = '\0';
	ck_assert_int_eq(obj_writer_new(e.o, "bk1", "k2", 2, &w), 0);
	ck_assert_int_eq(obj_put_finish(w, &a, NULL, NULL), OBJ_EMETATOOLARGE);
	obj_writer_free(w);
	struct obj_meta *m = NULL;
	ck_assert_int_eq(obj_head(e.o, "bk1", "k2", 2, &m), OBJ_ENOKEY);
	ck_assert_int_eq(obj_head(e.o, "bk1", "k", 1, &m), 0);
	ck_assert_uint_eq(strlen(m->attrs.user[0].value), 2044);
	obj_meta_free(m);
	tenv_fini(&e);
}
END_TEST

START_TEST(preconditions)
{
	struct tenv e;
	tenv_init(&e, "obj-cond", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	struct obj_cond inm = {.if_none_match_any = true};
	ck_assert_int_eq(tobj_put(e.o, "bk1", "k", "one", 3, &inm), 0);
	ck_assert_int_eq(tobj_put(e.o, "bk1", "k", "two", 3, &inm), OBJ_EPRECONDITION);
	char etag[33];
	test_etag("one", 3, etag);
	char quoted[40];
	snprintf(quoted, sizeof quoted, "\"%s\"", etag);
	struct obj_cond im = {.if_match = quoted};
	struct obj_cond wrong = {.if_match = "ffffffffffffffffffffffffffffffff"};
	ck_assert_int_eq(tobj_put(e.o, "bk1", "k", "three", 5, &wrong), OBJ_EPRECONDITION);
	ck_assert_int_eq(tobj_put(e.o, "bk1", "k", "three", 5, &im), 0);
	ck_assert_int_eq(tobj_put(e.o, "bk1", "absent", "x", 1, &im), OBJ_EPRECONDITION);
	uint8_t *got = NULL;
	size_t glen = 0;
	ck_assert_int_eq(tobj_get(e.o, "bk1", "k", NULL, 100, &got, &glen), 0);
	ck_assert_uint_eq(glen, 5);
	ck_assert_mem_eq(got, "three", 5);
	free(got);
	tenv_fini(&e);
}
END_TEST

struct race {
	struct obj *o;
	pthread_barrier_t *bar;
	char key[32];
	char body[8];
	int rc;
};

static void *race_thread(void *p)
{
	struct race *r = p;
	struct obj_cond inm = {.if_none_match_any = true};
	struct obj_writer *w = NULL;
	r->rc = obj_writer_new(r->o, "bk1", r->key, strlen(r->key), &w);
	if (r->rc == 0)
		r->rc = obj_writer_write(w, r->body, strlen(r->body));
	pthread_barrier_wait(r->bar); /* both bodies streamed: race the commit */
	char etag[33];
	test_etag(r->body, strlen(r->body), etag);
	struct obj_attrs a = {.etag = etag};
	if (r->rc == 0)
		r->rc = obj_put_finish(w, &a, &inm, NULL);
	obj_writer_free(w);
	return NULL;
}

START_TEST(if_none_match_race)
{
	struct tenv e;
	tenv_init(&e, "obj-race", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	for (int round = 0; round < 40; round++) {
		pthread_barrier_t bar;
		pthread_barrier_init(&bar, NULL, 2);
		struct race r[2];
		pthread_t th[2];
		for (int i = 0; i < 2; i++) {
			r[i] = (struct race){.o = e.o, .bar = &bar};
			snprintf(r[i].key, sizeof r[i].key, "race-%d", round);
			snprintf(r[i].body, sizeof r[i].body, "w%d", i);
			pthread_create(&th[i], NULL, race_thread, &r[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&bar);
		int wins = (r[0].rc == 0) + (r[1].rc == 0);
		ck_assert_int_eq(wins, 1);
		int loser = r[0].rc == 0 ? 1 : 0;
		ck_assert_int_eq(r[loser].rc, OBJ_EPRECONDITION);
		uint8_t *got = NULL;
		size_t glen = 0;
		ck_assert_int_eq(tobj_get(e.o, "bk1", r[0].key, NULL, 10, &got, &glen), 0);
		ck_assert_mem_eq(got, r[1 - loser].body, 2);
		free(got);
	}
	tenv_fini(&e);
}
END_TEST

START_TEST(bounded_memory)
{
	/* 64 chunks of 64 KiB streamed in and out in 1000-byte pieces: the
	 * layer holds one chunk buffer, never the object. */
	struct tenv e;
	tenv_init(&e, "obj-mem", 64 * 1024);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	const size_t total = 64u * 64 * 1024 + 123;
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_writer_new(e.o, "bk1", "big", 3, &w), 0);
	uint8_t piece[1000];
	uint64_t sum_in = 0;
	for (size_t off = 0; off < total; off += sizeof piece) {
		size_t n = total - off < sizeof piece ? total - off : sizeof piece;
		for (size_t i = 0; i < n; i++) {
			piece[i] = (uint8_t)((off + i) * 2654435761u >> 13);
			sum_in += piece[i] * (off + i + 1);
		}
		ck_assert_int_eq(obj_writer_write(w, piece, n), 0);
	}
	struct obj_attrs a = {.etag = "0123456789abcdef0123456789abcdef"};
	ck_assert_int_eq(obj_put_finish(w, &a, NULL, NULL), 0);
	obj_writer_free(w);
	struct obj_stats st;
	obj_stats_get(e.o, &st);
	ck_assert_uint_eq(st.buffer_bytes, 0);
	ck_assert_uint_eq(st.buffer_bytes_peak, 64 * 1024);
	ck_assert_uint_eq(st.chunks_written, 65);
	struct obj_reader *r = NULL;
	ck_assert_int_eq(obj_reader_new(e.o, "bk1", "big", 3, NULL, &r), 0);
	uint64_t sum_out = 0, off = 0;
	for (;;) {
		size_t got = 0;
		ck_assert_int_eq(obj_reader_read(r, piece, sizeof piece, &got), 0);
		if (got == 0)
			break;
		for (size_t i = 0; i < got; i++)
			sum_out += piece[i] * (off + i + 1);
		off += got;
	}
	obj_reader_free(r);
	ck_assert_uint_eq(off, total);
	ck_assert_uint_eq(sum_out, sum_in);
	/* A copy uses one more buffer, still not the object. */
	ck_assert_int_eq(obj_copy(e.o, "bk1", "big", 3, "bk1", "big2", 4, NULL,
				  NULL, NULL), 0);
	obj_stats_get(e.o, &st);
	ck_assert_uint_eq(st.buffer_bytes, 0);
	ck_assert_uint_eq(st.buffer_bytes_peak, 2 * 64 * 1024);
	tenv_fini(&e);
}
END_TEST

/* The tag set is replaced in place: ETag, Last-Modified and extents stay;
 * it survives a restart, is copied by CopyObject (COPY), and a missing key
 * or bucket is reported. */
START_TEST(tagging_in_place)
{
	struct tenv e;
	tenv_init(&e, "obj-tags", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	uint8_t *data = pattern(2 * CHUNK + 1, 4);
	ck_assert_int_eq(tobj_put(e.o, "bkt", "k", data, 2 * CHUNK + 1, NULL), 0);
	struct obj_meta *before = NULL, *m = NULL;
	ck_assert_int_eq(obj_head(e.o, "bkt", "k", 1, &before), 0);
	ck_assert_ptr_null(before->attrs.tagging);
	size_t chunks = test_backend_chunks(e.be);
	e.clock.ns += 1000000;
	ck_assert_int_eq(obj_tagging_set(e.o, "bkt", "k", 1, "a=1&b=2", &m), 0);
	ck_assert_str_eq(m->attrs.tagging, "a=1&b=2");
	obj_meta_free(m);
	tenv_reopen(&e);
	ck_assert_int_eq(obj_head(e.o, "bkt", "k", 1, &m), 0);
	ck_assert_str_eq(m->attrs.tagging, "a=1&b=2");
	ck_assert_str_eq(m->attrs.etag, before->attrs.etag);
	ck_assert(m->mtime_ns == before->mtime_ns);
	ck_assert_mem_eq(m->extents[0].id, before->extents[0].id, 16);
	ck_assert_uint_eq(test_backend_chunks(e.be), chunks);
	obj_meta_free(m);
	ck_assert_int_eq(obj_copy(e.o, "bkt", "k", 1, "bkt", "c", 1, NULL, NULL, &m), 0);
	ck_assert_str_eq(m->attrs.tagging, "a=1&b=2");
	obj_meta_free(m);
	ck_assert_int_eq(obj_tagging_set(e.o, "bkt", "k", 1, "", NULL), 0);
	ck_assert_int_eq(obj_head(e.o, "bkt", "k", 1, &m), 0);
	ck_assert_ptr_null(m->attrs.tagging);
	obj_meta_free(m);
	ck_assert_int_eq(obj_tagging_set(e.o, "bkt", "nope", 4, "a=1", NULL), OBJ_ENOKEY);
	ck_assert_int_eq(obj_tagging_set(e.o, "nobkt", "k", 1, "a=1", NULL), OBJ_ENOBUCKET);
	obj_meta_free(before);
	free(data);
	tenv_fini(&e);
}
END_TEST

START_TEST(copy_objects)
{
	struct tenv e;
	tenv_init(&e, "obj-copy", CHUNK);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk1", NULL), 0);
	ck_assert_int_eq(obj_bucket_create(e.o, "bk2", NULL), 0);
	uint8_t *data = pattern(3 * CHUNK + 5, 9);
	ck_assert_int_eq(tobj_put(e.o, "bk1", "src", data, 3 * CHUNK + 5, NULL), 0);
	struct obj_meta *src = NULL;
	ck_assert_int_eq(obj_head(e.o, "bk1", "src", 3, &src), 0);
	e.clock.ns += 5000;
	/* COPY keeps metadata; the copy's bytes are its own chunks. */
	struct obj_meta *m = NULL;
	ck_assert_int_eq(obj_copy(e.o, "bk1", "src", 3, "bk2", "dst", 3, NULL,
				  NULL, &m), 0);
	ck_assert_str_eq(m->attrs.etag, src->attrs.etag);
	ck_assert_str_eq(m->attrs.content_type, "application/x-test");
	ck_assert_mem_ne(m->extents[0].id, src->extents[0].id, 16);
	obj_meta_free(m);
	ck_assert_int_eq(obj_delete(e.o, "bk1", "src", 3), 0);
	uint8_t *got = NULL;
	size_t glen = 0;
	ck_assert_int_eq(tobj_get(e.o, "bk2", "dst", NULL, 99, &got, &glen), 0);
	ck_assert_uint_eq(glen, 3 * CHUNK + 5);
	ck_assert_mem_eq(got, data, glen);
	free(got);
	/* Onto itself with REPLACE: new metadata, same extents, no data. */
	ck_assert_int_eq(obj_head(e.o, "bk2", "dst", 3, &m), 0);
	struct obj_pair p = {"mtime", "12345"};
	struct obj_attrs rep = {.content_type = "text/new", .user = &p,
				.user_count = 1};
	struct obj_stats before, after;
	obj_stats_get(e.o, &before);
	size_t chunks = test_backend_chunks(e.be);
	e.clock.ns += 5000;
	struct obj_meta *m2 = NULL;
	ck_assert_int_eq(obj_copy(e.o, "bk2", "dst", 3, "bk2", "dst", 3, &rep,
				  NULL, &m2), 0);
	obj_stats_get(e.o, &after);
	ck_assert_uint_eq(after.chunks_written, before.chunks_written);
	ck_assert_uint_eq(test_backend_chunks(e.be), chunks);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_GARBAGE), 1);
	ck_assert_mem_eq(m2->extents[0].id, m->extents[0].id, 16);
	ck_assert_str_eq(m2->attrs.etag, m->attrs.etag);
	ck_assert_str_eq(m2->attrs.content_type, "text/new");
	ck_assert_str_eq(m2->attrs.user[0].value, "12345");
	ck_assert(m2->mtime_ns == (int64_t)e.clock.ns);
	obj_meta_free(m2);
	obj_meta_free(m);
	/* Onto itself without REPLACE is refused. */
	ck_assert_int_eq(obj_copy(e.o, "bk2", "dst", 3, "bk2", "dst", 3, NULL,
				  NULL, NULL), OBJ_EARGUMENT);
	ck_assert_int_eq(obj_copy(e.o, "bk1", "src", 3, "bk2", "x", 1, NULL,
				  NULL, NULL), OBJ_ENOKEY);
	obj_meta_free(src);
	free(data);
	tenv_fini(&e);
}
END_TEST

#ifdef TEST_OBJECT_ENGINE
static int count_cb(void *arg, const struct obj_list_entry *e)
{
	(void)e;
	++*(int *)arg;
	return 0;
}

struct put_arg {
	struct obj *o;
	int id;
};

static void *put_thread(void *p)
{
	struct put_arg *a = p;
	uint8_t body[4096];
	memset(body, a->id, sizeof body);
	for (int i = 0; i < 25; i++) {
		char key[32];
		snprintf(key, sizeof key, "t%02d/%03d", a->id, i);
		ck_assert_int_eq(tobj_put(a->o, "bkt", key, body, sizeof body, NULL), 0);
	}
	return NULL;
}

/* Measured, not timed: 16 threads x 25 durable 4 KiB PUTs through the
 * layer; the store's kv_sync count must stay below the number of PUTs
 * (each PUT's metadata commit waits for durability, but they share). */
START_TEST(concurrent_puts_share_fsyncs)
{
	struct tenv e;
	tenv_init(&e, "obj-conc", 1u << 20);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	/* On the Raft path (VERISTORE_TEST_STORE=raft) the log's group
	 * commit is the node's, not counted here: the PUTs still must all
	 * land. */
	bool local = !test_backend_raft(e.be);
	struct store_local_stats before = {0}, after = {0};
	if (local)
		store_local_stats(e.st, &before);
	enum { T = 16 };
	pthread_t th[T];
	struct put_arg args[T];
	for (int i = 0; i < T; i++) {
		args[i] = (struct put_arg){e.o, i};
		pthread_create(&th[i], NULL, put_thread, &args[i]);
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	if (local) {
		store_local_stats(e.st, &after);
		uint64_t syncs = after.syncs - before.syncs;
		fprintf(stderr, "concurrent PUTs: %d objects, %llu kv_syncs\n",
			T * 25, (unsigned long long)syncs);
		ck_assert_uint_lt(syncs, T * 25);
	}
	struct obj_list_params p = {.max_keys = 1000};
	struct obj_list_result res;
	int n = 0;
	ck_assert_int_eq(obj_list(e.o, "bkt", &p, count_cb, &n, &res), 0);
	ck_assert_int_eq(n, T * 25);
	ck_assert(!res.truncated);
	free(res.next);
	tenv_fini(&e);
}
END_TEST
#endif

Suite *suite_object_ops(void)
{
	Suite *s = suite_create("object_ops");
	TCase *tc = tcase_create("ops");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, buckets);
	tcase_add_test(tc, put_get_ranges);
	tcase_add_test(tc, delete_and_names);
	tcase_add_test(tc, user_metadata_limit);
	tcase_add_test(tc, preconditions);
	tcase_add_test(tc, if_none_match_race);
	tcase_add_test(tc, bounded_memory);
	tcase_add_test(tc, copy_objects);
	tcase_add_test(tc, tagging_in_place);
#ifdef TEST_OBJECT_ENGINE
	tcase_add_test(tc, concurrent_puts_share_fsyncs);
#endif
	suite_add_tcase(s, tc);
	return s;
}
