/*
 * test_object_model.c — the object layer against a reference model.
 *
 * Random puts, overwrites, deletes, copies (including onto itself with
 * REPLACE), multipart uploads completed or aborted, listings with prefix,
 * delimiter and paging, collector passes with the clock moving, and store
 * reopens (restarts) in the middle.  After every step that changes
 * something, and in full every few steps, the store must agree with the
 * model: byte-for-byte contents, ETags, metadata and exact listings.
 *
 * Object contents are described by segments (seed, size) and generated on
 * the fly, so the model stays small whatever the sizes.
 * VERISTORE_OBJ_MODEL_OPS sets the number of steps (default 500).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/object_keys.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

#define CHUNK 4096u
#define NKEYS 24
#define SEC 1000000000ull

struct seg {
	uint64_t seed, size;
};

struct mobj {
	bool exists;
	struct seg seg[3];
	int nseg;
	char etag[48];
	char mtime_meta[32]; /* x-amz-meta-mtime */
	char ctype[32];
};

struct mupload {
	bool live;
	int key;
	char id[OBJ_UPLOAD_ID_LEN_BUF];
	struct seg part[3]; /* parts 1..3; size 0 seed 0 = not uploaded */
	bool has[3];
	char etag[3][33];
};

struct model {
	struct tenv e;
	struct gc *gc;
	struct test_rng rng;
	struct mobj obj[NKEYS];
	struct mupload up[4];
	char keys[NKEYS][40];
	/* What the run exercised, printed at the end. */
	unsigned puts, cond_fails, copies, self_copies, parts, completes,
		too_small, aborts, restarts;
};

static uint8_t seg_byte(uint64_t seed, uint64_t i)
{
	uint64_t x = (seed ^ (i * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
	return (uint8_t)(x >> 56);
}

static uint64_t mobj_size(const struct mobj *m)
{
	uint64_t n = 0;
	for (int i = 0; i < m->nseg; i++)
		n += m->seg[i].size;
	return n;
}

static void gen_keys(struct model *md)
{
	const char *dirs[] = {"", "a/", "a/b/", "c/", "photos/2024/"};
	for (int i = 0; i < NKEYS; i++)
		snprintf(md->keys[i], sizeof md->keys[i], "%sk%02d",
			 dirs[i % 5], i);
}

static void model_gc_new(struct model *md)
{
	struct gc_options go;
	gc_options_init(&go);
	go.grace_ns = 10 * SEC;
	go.inflight_max_ns = 3600 * SEC;
	go.clock_ns = test_clock_ns;
	go.clock_ctx = &md->e.clock;
	ck_assert_int_eq(gc_new(md->e.o, &go, &md->gc), 0);
}

/* Streams a segment into w in uneven pieces. */
static void write_seg(struct obj_writer *w, const struct seg *s)
{
	uint8_t buf[3001];
	uint64_t off = 0;
	while (off < s->size) {
		size_t n = (size_t)(s->size - off < sizeof buf ? s->size - off
							       : sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = seg_byte(s->seed, off + i);
		ck_assert_int_eq(obj_writer_write(w, buf, n), 0);
		off += n;
	}
}

static uint64_t rand_size(struct model *md)
{
	switch (test_rng_below(&md->rng, 4)) {
	case 0:
		return test_rng_below(&md->rng, 3);
	case 1:
		return CHUNK - 1 + test_rng_below(&md->rng, 3);
	default:
		return test_rng_below(&md->rng, 4 * CHUNK);
	}
}

static void op_put(struct model *md, int k)
{
	struct mobj m = {.exists = true, .nseg = 1};
	m.seg[0] = (struct seg){test_rng_next(&md->rng), rand_size(md)};
	snprintf(m.etag, sizeof m.etag, "%016llx%016llx",
		 (unsigned long long)m.seg[0].seed,
		 (unsigned long long)m.seg[0].size);
	snprintf(m.mtime_meta, sizeof m.mtime_meta, "%llu",
		 (unsigned long long)test_rng_below(&md->rng, 1000000));
	snprintf(m.ctype, sizeof m.ctype, "type/%d", k);
	struct obj_writer *w = NULL;
	const char *key = md->keys[k];
	ck_assert_int_eq(obj_writer_new(md->e.o, "bkt", key, strlen(key), &w), 0);
	write_seg(w, &m.seg[0]);
	struct obj_pair p = {"mtime", m.mtime_meta};
	struct obj_attrs a = {.etag = m.etag, .content_type = m.ctype,
			      .user = &p, .user_count = 1};
	/* Sometimes guard with If-None-Match: * (must fail iff it exists). */
	struct obj_cond c = {.if_none_match_any = test_rng_below(&md->rng, 4) == 0};
	int rc = obj_put_finish(w, &a, &c, NULL);
	obj_writer_free(w);
	if (c.if_none_match_any && md->obj[k].exists) {
		ck_assert_int_eq(rc, OBJ_EPRECONDITION);
		md->cond_fails++;
		return;
	}
	ck_assert_int_eq(rc, 0);
	md->obj[k] = m;
	md->puts++;
}

static void op_delete(struct model *md, int k)
{
	ck_assert_int_eq(obj_delete(md->e.o, "bkt", md->keys[k],
				    strlen(md->keys[k])), 0);
	md->obj[k].exists = false;
}

static void op_copy(struct model *md, int src, int dst)
{
	const char *sk = md->keys[src], *dk = md->keys[dst];
	struct obj_pair p = {"mtime", "replaced"};
	struct obj_attrs rep = {.content_type = "type/replaced", .user = &p,
				.user_count = 1};
	bool replace = src == dst || test_rng_below(&md->rng, 2);
	int rc = obj_copy(md->e.o, "bkt", sk, strlen(sk), "bkt", dk, strlen(dk),
			  replace ? &rep : NULL, NULL, NULL);
	if (!md->obj[src].exists) {
		ck_assert_int_eq(rc, OBJ_ENOKEY);
		return;
	}
	ck_assert_int_eq(rc, 0);
	md->copies++;
	md->self_copies += src == dst;
	struct mobj m = md->obj[src];
	if (replace) {
		snprintf(m.mtime_meta, sizeof m.mtime_meta, "replaced");
		snprintf(m.ctype, sizeof m.ctype, "type/replaced");
	}
	md->obj[dst] = m;
}

static void op_upload(struct model *md)
{
	struct mupload *u = &md->up[test_rng_below(&md->rng, 4)];
	if (!u->live) {
		memset(u, 0, sizeof *u);
		u->key = (int)test_rng_below(&md->rng, NKEYS);
		const char *key = md->keys[u->key];
		struct obj_attrs a = {.content_type = "type/mpu"};
		ck_assert_int_eq(obj_upload_new(md->e.o, "bkt", key, strlen(key),
						&a, u->id), 0);
		u->live = true;
		return;
	}
	const char *key = md->keys[u->key];
	uint64_t r = test_rng_below(&md->rng, 10);
	if (r < 6) { /* upload (or re-upload) a part */
		int pn = (int)test_rng_below(&md->rng, 3);
		/* Only the first part is ever large: 5 MiB + a little, and
		 * only sometimes, to keep the run short. */
		uint64_t size = pn == 0 && test_rng_below(&md->rng, 3) == 0
					? OBJ_PART_BYTES_MIN + test_rng_below(&md->rng, 100)
					: rand_size(md);
		struct seg s = {test_rng_next(&md->rng), size};
		struct obj_writer *w = NULL;
		ck_assert_int_eq(obj_part_writer_new(md->e.o, "bkt", key, strlen(key),
						     u->id, (uint32_t)pn + 1, &w), 0);
		write_seg(w, &s);
		snprintf(u->etag[pn], 33, "%016llx%016llx",
			 (unsigned long long)s.seed, (unsigned long long)s.size);
		ck_assert_int_eq(obj_part_finish(w, u->etag[pn], NULL), 0);
		obj_writer_free(w);
		u->part[pn] = s;
		u->has[pn] = true;
		md->parts++;
	} else if (r < 8) { /* complete with every uploaded part */
		struct obj_part_ref refs[3];
		int n = 0;
		bool small = false;
		for (int i = 0; i < 3; i++) {
			if (!u->has[i])
				continue;
			if (n > 0 && refs[n - 1].part > 0 &&
			    u->part[refs[n - 1].part - 1].size < OBJ_PART_BYTES_MIN)
				small = true;
			refs[n++] = (struct obj_part_ref){(uint32_t)i + 1, u->etag[i]};
		}
		struct obj_meta *m = NULL;
		int rc = obj_upload_complete(md->e.o, "bkt", key, strlen(key), u->id,
					     refs, (size_t)n, NULL, NULL, &m);
		if (n == 0) {
			ck_assert_int_eq(rc, OBJ_EARGUMENT);
			return;
		}
		if (small) {
			ck_assert_int_eq(rc, OBJ_ETOOSMALL);
			md->too_small++;
			return;
		}
		md->completes++;
		ck_assert_int_eq(rc, 0);
		struct mobj o = {.exists = true};
		for (int i = 0; i < n; i++)
			o.seg[o.nseg++] = u->part[refs[i].part - 1];
		snprintf(o.etag, sizeof o.etag, "%s", m->attrs.etag);
		ck_assert_uint_eq(m->part_count, (uint32_t)n);
		snprintf(o.ctype, sizeof o.ctype, "type/mpu");
		obj_meta_free(m);
		md->obj[u->key] = o;
		u->live = false;
	} else { /* abort */
		ck_assert_int_eq(obj_upload_abort(md->e.o, "bkt", key, strlen(key),
						  u->id), 0);
		u->live = false;
		md->aborts++;
	}
}

static void verify_object(struct model *md, int k)
{
	const char *key = md->keys[k];
	const struct mobj *m = &md->obj[k];
	struct obj_reader *r = NULL;
	int rc = obj_reader_new(md->e.o, "bkt", key, strlen(key), NULL, &r);
	if (!m->exists) {
		ck_assert_int_eq(rc, OBJ_ENOKEY);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", key, obj_strerror(rc));
	const struct obj_meta *om = obj_reader_meta(r);
	ck_assert_uint_eq(om->size, mobj_size(m));
	ck_assert_str_eq(om->attrs.etag, m->etag);
	ck_assert_str_eq(om->attrs.content_type, m->ctype);
	if (m->mtime_meta[0] != '\0')
		ck_assert_str_eq(om->attrs.user[0].value, m->mtime_meta);
	uint8_t buf[2999];
	int s = 0;
	uint64_t in_seg = 0, total = 0;
	for (;;) {
		size_t got = 0;
		ck_assert_int_eq(obj_reader_read(r, buf, sizeof buf, &got), 0);
		if (got == 0)
			break;
		for (size_t i = 0; i < got; i++) {
			while (in_seg == m->seg[s].size) {
				s++;
				in_seg = 0;
			}
			/* Check's assertions cost a pipe write each: test
			 * first, assert only on a difference. */
			if (buf[i] != seg_byte(m->seg[s].seed, in_seg))
				ck_abort_msg("%s: byte %llu differs", key,
					     (unsigned long long)(total + i));
			in_seg++;
		}
		total += got;
	}
	ck_assert_uint_eq(total, mobj_size(m));
	obj_reader_free(r);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void verify_listing(struct model *md)
{
	char *keys[NKEYS];
	size_t n = 0;
	for (int i = 0; i < NKEYS; i++)
		if (md->obj[i].exists)
			keys[n++] = md->keys[i];
	qsort(keys, n, sizeof *keys, cmp_str);
	const char *prefixes[] = {"", "a/", "photos/", "c"};
	const char *p = prefixes[test_rng_below(&md->rng, 4)];
	const char *d = test_rng_below(&md->rng, 2) ? "/" : NULL;
	uint32_t max = 1 + (uint32_t)test_rng_below(&md->rng, 5);
	check_listing(md->e.o, "bkt", keys, n, p, d, NULL, max);
	check_listing(md->e.o, "bkt", keys, n, p, d, NULL, 1000);
	if (n > 0)
		check_listing(md->e.o, "bkt", keys, n, p, d,
			      keys[test_rng_below(&md->rng, n)], max);
}

static void verify_all(struct model *md)
{
	for (int k = 0; k < NKEYS; k++)
		verify_object(md, k);
	verify_listing(md);
}

static void model_step(struct model *md, uint64_t step)
{
	int k = (int)test_rng_below(&md->rng, NKEYS);
	uint64_t r = test_rng_below(&md->rng, 100);
	md->e.clock.ns += SEC;
	if (r < 35)
		op_put(md, k);
	else if (r < 45)
		op_delete(md, k);
	else if (r < 55)
		op_copy(md, test_rng_below(&md->rng, 3) == 0
				    ? k : (int)test_rng_below(&md->rng, NKEYS),
			k);
	else if (r < 80)
		op_upload(md);
	else if (r < 88)
		verify_listing(md);
	else if (r < 93)
		ck_assert_int_eq(gc_run_eager(md->gc), 0);
	else if (r < 96)
		ck_assert_int_eq(gc_run_sweep(md->gc), 0);
	else { /* restart */
		gc_free(md->gc);
		tenv_reopen(&md->e);
		model_gc_new(md);
		md->restarts++;
	}
	verify_object(md, k);
	if (step % 25 == 0)
		verify_all(md);
}

static void model_run(bool memory)
{
	struct model *md = calloc(1, sizeof *md);
	test_rng_init(&md->rng, test_seed() ^ 0x0b1ec7);
	tenv_init_kind(&md->e, "obj-model", CHUNK, memory);
	gen_keys(md);
	model_gc_new(md);
	ck_assert_int_eq(obj_bucket_create(md->e.o, "bkt", NULL), 0);
	uint64_t steps = test_env_u64("OBJ_MODEL_OPS", 500);
	for (uint64_t i = 1; i <= steps; i++)
		model_step(md, i);
	verify_all(md);
	/* Everything left unreferenced is reclaimed once the grace period has
	 * passed; what remains is exactly the live objects' and uploads'. */
	for (int i = 0; i < 4; i++)
		if (md->up[i].live)
			ck_assert_int_eq(obj_upload_abort(md->e.o, "bkt",
				md->keys[md->up[i].key], strlen(md->keys[md->up[i].key]),
				md->up[i].id), 0);
	md->e.clock.ns += 60 * SEC;
	ck_assert_int_eq(gc_run_eager(md->gc), 0);
	ck_assert_int_eq(gc_run_sweep(md->gc), 0);
	uint64_t want_chunks = 0;
	for (int k = 0; k < NKEYS; k++)
		for (int s = 0; md->obj[k].exists && s < md->obj[k].nseg; s++)
			want_chunks += (md->obj[k].seg[s].size + CHUNK - 1) / CHUNK;
	ck_assert_uint_eq(test_backend_chunks(md->e.be), want_chunks);
	ck_assert_uint_eq(test_backend_count_family(md->e.be, OBJ_KEY_GARBAGE), 0);
	verify_all(md);
	struct gc_stats st;
	gc_stats_get(md->gc, &st);
	fprintf(stderr, "model (%s): %llu steps: %u puts, %u If-None-Match refusals, "
		"%u copies (%u onto itself), %u parts, %u completes, %u "
		"EntityTooSmall, %u aborts, %u restarts\n",
		memory ? "memory store" : "engine", (unsigned long long)steps, md->puts, md->cond_fails, md->copies,
		md->self_copies, md->parts, md->completes, md->too_small,
		md->aborts, md->restarts);
	fprintf(stderr, "model: since the last restart gc reclaimed %llu extents "
		"eagerly (%llu chunks), sweeps found %llu\n",
		(unsigned long long)st.garbage_records,
		(unsigned long long)st.eager_chunks,
		(unsigned long long)st.sweep_extents);
	ck_assert_uint_eq(st.sweep_extents, 0); /* eager missed nothing */
	gc_free(md->gc);
	tenv_fini(&md->e);
	free(md);
}

/* On the engine through the local adapter. */
START_TEST(model_random_ops)
{
	model_run(false);
}
END_TEST

/* The same steps on the memory store: both implementations of the store
 * interface must give the layer the same behaviour. */
START_TEST(model_random_ops_memory)
{
	model_run(true);
}
END_TEST

Suite *suite_object_model(void)
{
	Suite *s = suite_create("object_model");
	TCase *tc = tcase_create("model");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, model_random_ops);
	tcase_add_test(tc, model_random_ops_memory);
	suite_add_tcase(s, tc);
	return s;
}
