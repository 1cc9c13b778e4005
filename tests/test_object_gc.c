/*
 * test_object_gc.c — the collector with an injected clock (no sleeping):
 * eager reclamation after the grace period (and what a too-slow reader
 * then sees), in-flight uploads untouched, the sweep's orphans (crashed
 * PUTs, expired in-flight records, young chunks kept, orphan parts).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/object_keys.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

#define CHUNK 1000u
#define SEC 1000000000ull

static struct gc *gc_for(struct tenv *e)
{
	struct gc_options go;
	gc_options_init(&go);
	go.grace_ns = 100 * SEC;
	go.inflight_max_ns = 3600 * SEC;
	go.batch_keys = 3; /* many small batches */
	go.clock_ns = test_clock_ns;
	go.clock_ctx = &e->clock;
	struct gc *g = NULL;
	ck_assert_int_eq(gc_new(e->o, &go, &g), 0);
	return g;
}

START_TEST(gc_eager_after_grace)
{
	struct tenv e;
	tenv_init(&e, "gc-eager", CHUNK);
	struct gc *g = gc_for(&e);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	uint8_t a[3000], b[1500];
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	ck_assert_int_eq(tobj_put(e.o, "bkt", "k", a, sizeof a, NULL), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 3);
	/* A reader opens the old version, then it is overwritten. */
	struct obj_reader *r = NULL;
	ck_assert_int_eq(obj_reader_new(e.o, "bkt", "k", 1, NULL, &r), 0);
	ck_assert_int_eq(tobj_put(e.o, "bkt", "k", b, sizeof b, NULL), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 5);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_GARBAGE), 1);
	/* Within the grace period nothing goes, and the reader proceeds. */
	e.clock.ns += 99 * SEC;
	ck_assert_int_eq(gc_run_eager(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 5);
	uint8_t buf[1000];
	size_t got = 0;
	ck_assert_int_eq(obj_reader_read(r, buf, sizeof buf, &got), 0);
	ck_assert_uint_eq(got, 1000);
	ck_assert_int_eq(buf[0], 'a');
	/* After it, the old chunks go; a reader still on the old version
	 * fails cleanly (never reads other bytes). */
	e.clock.ns += 2 * SEC;
	ck_assert_int_eq(gc_run_eager(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 2);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_GARBAGE), 0);
	ck_assert_int_eq(obj_reader_read(r, buf, sizeof buf, &got), OBJ_ECORRUPT);
	obj_reader_free(r);
	struct gc_stats st;
	gc_stats_get(g, &st);
	ck_assert_uint_eq(st.garbage_records, 1);
	ck_assert_uint_eq(st.eager_chunks, 3);
	/* Delete, then an aborted upload: all reclaimed. */
	ck_assert_int_eq(obj_delete(e.o, "bkt", "k", 1), 0);
	char up[OBJ_UPLOAD_ID_LEN_BUF];
	ck_assert_int_eq(obj_upload_new(e.o, "bkt", "m", 1, NULL, up), 0);
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_part_writer_new(e.o, "bkt", "m", 1, up, 1, &w), 0);
	ck_assert_int_eq(obj_writer_write(w, a, sizeof a), 0);
	ck_assert_int_eq(obj_part_finish(w, "00000000000000000000000000000000", NULL), 0);
	obj_writer_free(w);
	ck_assert_int_eq(obj_upload_abort(e.o, "bkt", "m", 1, up), 0);
	e.clock.ns += 101 * SEC;
	ck_assert_int_eq(gc_run_eager(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 0);
	/* A sweep now finds nothing more. */
	ck_assert_int_eq(gc_run_sweep(g), 0);
	gc_stats_get(g, &st);
	ck_assert_uint_eq(st.sweep_extents, 0);
	ck_assert_uint_eq(st.errors, 0);
	gc_free(g);
	tenv_fini(&e);
}
END_TEST

START_TEST(gc_inflight_untouched)
{
	struct tenv e;
	tenv_init(&e, "gc-inflight", CHUNK);
	struct gc *g = gc_for(&e);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	uint8_t a[2500];
	memset(a, 'x', sizeof a);
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_writer_new(e.o, "bkt", "slow", 4, &w), 0);
	ck_assert_int_eq(obj_writer_write(w, a, sizeof a), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 2);
	/* Long past the grace period, short of the in-flight limit. */
	e.clock.ns += 1800 * SEC;
	ck_assert_int_eq(gc_run_eager(g), 0);
	ck_assert_int_eq(gc_run_sweep(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 2);
	struct obj_attrs at = {.etag = "11111111111111111111111111111111"};
	ck_assert_int_eq(obj_put_finish(w, &at, NULL, NULL), 0);
	obj_writer_free(w);
	uint8_t *got = NULL;
	size_t glen = 0;
	ck_assert_int_eq(tobj_get(e.o, "bkt", "slow", NULL, 333, &got, &glen), 0);
	ck_assert_uint_eq(glen, sizeof a);
	ck_assert_mem_eq(got, a, glen);
	free(got);
	/* A committed object is never swept, however old. */
	e.clock.ns += 10000 * SEC;
	ck_assert_int_eq(gc_run_sweep(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 3);
	gc_free(g);
	tenv_fini(&e);
}
END_TEST

static void put_raw(struct store *s, const struct obj_key *k, const void *v,
		    size_t vl)
{
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(store_batch_put(b, k->buf, k->len, v, vl), 0);
	ck_assert_int_eq(store_submit(s, b, NULL), 0);
	store_batch_free(b);
}

START_TEST(gc_sweep_orphans)
{
	struct tenv e;
	tenv_init(&e, "gc-sweep", CHUNK);
	struct gc *g = gc_for(&e);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	uint64_t t0 = e.clock.ns;
	/* A crashed PUT without in-flight record: 2 old chunks. */
	uint8_t old_id[16], young_id[16], dead_id[16];
	memset(old_id, 1, 16);
	obj_be64_put(old_id, t0 - 500 * SEC);
	memset(young_id, 2, 16);
	obj_be64_put(young_id, t0 - 10 * SEC);
	memset(dead_id, 3, 16);
	obj_be64_put(dead_id, t0 - 7200 * SEC);
	struct obj_key k;
	for (uint32_t i = 0; i < 2; i++) {
		obj_key_chunk(&k, old_id, i);
		put_raw(e.st, &k, "zz", 2);
		obj_key_chunk(&k, young_id, i);
		put_raw(e.st, &k, "yy", 2);
		obj_key_chunk(&k, dead_id, i);
		put_raw(e.st, &k, "dd", 2);
	}
	/* A PUT in flight for two hours: its record expired. */
	uint8_t tv[8];
	obj_be64_put(tv, t0 - 7200 * SEC);
	obj_key_inflight(&k, dead_id);
	put_raw(e.st, &k, tv, 8);
	/* An orphan part (its upload is gone), with an old extent. */
	char up[OBJ_UPLOAD_ID_LEN_BUF];
	ck_assert_int_eq(obj_upload_new(e.o, "bkt", "m", 1, NULL, up), 0);
	struct obj_writer *w = NULL;
	e.clock.ns -= 1000 * SEC; /* the part's data id is old */
	ck_assert_int_eq(obj_part_writer_new(e.o, "bkt", "m", 1, up, 1, &w), 0);
	e.clock.ns += 1000 * SEC;
	ck_assert_int_eq(obj_writer_write(w, "part", 4), 0);
	ck_assert_int_eq(obj_part_finish(w, "22222222222222222222222222222222", NULL), 0);
	obj_writer_free(w);
	struct obj_key ku;
	obj_key_upload(&ku, "bkt", "m", 1, up);
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(store_batch_del(b, ku.buf, ku.len), 0);
	ck_assert_int_eq(store_submit(e.st, b, NULL), 0);
	store_batch_free(b);
	/* A live object whose id is just as old stays. */
	e.clock.ns -= 1000 * SEC;
	ck_assert_int_eq(tobj_put(e.o, "bkt", "live", "L", 1, NULL), 0);
	e.clock.ns += 1000 * SEC;
	ck_assert_uint_eq(test_backend_chunks(e.be), 8);
	ck_assert_int_eq(gc_run_sweep(g), 0);
	struct gc_stats st;
	gc_stats_get(g, &st);
	ck_assert_uint_eq(st.inflight_expired, 1);
	ck_assert_uint_eq(st.orphan_parts, 1);
	ck_assert_uint_eq(st.sweep_extents, 3); /* old, dead, orphan part */
	ck_assert_uint_eq(st.sweep_chunks, 5);
	ck_assert_uint_eq(test_backend_chunks(e.be), 3); /* young 2 + live 1 */
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_PART), 0);
	ck_assert_uint_eq(test_backend_count_family(e.be, OBJ_KEY_INFLIGHT), 0);
	uint8_t *got = NULL;
	size_t glen = 0;
	ck_assert_int_eq(tobj_get(e.o, "bkt", "live", NULL, 1, &got, &glen), 0);
	free(got);
	/* The young chunks go once they are old enough. */
	e.clock.ns += 100 * SEC;
	ck_assert_int_eq(gc_run_sweep(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 1);
	gc_free(g);
	tenv_fini(&e);
}
END_TEST

START_TEST(gc_expired_put_cannot_commit)
{
	struct tenv e;
	tenv_init(&e, "gc-expire", CHUNK);
	struct gc *g = gc_for(&e);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	struct obj_writer *w = NULL;
	ck_assert_int_eq(obj_writer_new(e.o, "bkt", "k", 1, &w), 0);
	uint8_t a[2000] = {0};
	ck_assert_int_eq(obj_writer_write(w, a, sizeof a), 0);
	e.clock.ns += 2 * 3600 * SEC;
	ck_assert_int_eq(gc_run_sweep(g), 0);
	ck_assert_uint_eq(test_backend_chunks(e.be), 0);
	struct obj_attrs at = {.etag = "33333333333333333333333333333333"};
	ck_assert_int_eq(obj_put_finish(w, &at, NULL, NULL), OBJ_ECONFLICT);
	obj_writer_free(w);
	struct obj_meta *m = NULL;
	ck_assert_int_eq(obj_head(e.o, "bkt", "k", 1, &m), OBJ_ENOKEY);
	gc_free(g);
	tenv_fini(&e);
}
END_TEST

START_TEST(gc_thread_start_stop)
{
	struct tenv e;
	tenv_init(&e, "gc-thread", CHUNK);
	struct gc *g = gc_for(&e);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(gc_start(g), 0);
		ck_assert_int_eq(gc_start(g), 0); /* idempotent */
		gc_stop(g);
		gc_stop(g);
	}
	gc_free(g);
	tenv_fini(&e);
}
END_TEST

/* The app's "am I the leader" hook: the thread's passes run only while it
 * says yes (issue 5: the collector runs on the leader only). */
struct leader_hook {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool leader;
	unsigned calls;
};

static bool hook_active(void *ctx)
{
	struct leader_hook *h = ctx;
	pthread_mutex_lock(&h->mu);
	h->calls++;
	bool r = h->leader;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return r;
}

/* Waits (no timeout: the tcase's bounds it) until the hook was asked n
 * more times; returns the count. */
static unsigned hook_wait(struct leader_hook *h, unsigned n, int leader)
{
	pthread_mutex_lock(&h->mu);
	if (leader >= 0)
		h->leader = leader != 0;
	unsigned target = h->calls + n;
	while (h->calls < target)
		pthread_cond_wait(&h->cv, &h->mu);
	unsigned c = h->calls;
	pthread_mutex_unlock(&h->mu);
	return c;
}

START_TEST(gc_thread_leader_only)
{
	struct tenv e;
	tenv_init(&e, "gc-leader", CHUNK);
	struct leader_hook h = {.leader = false};
	pthread_mutex_init(&h.mu, NULL);
	pthread_cond_init(&h.cv, NULL);
	struct gc_options go;
	gc_options_init(&go);
	go.interval_ms = 1;
	go.grace_ns = 100 * SEC;
	go.clock_ns = test_clock_ns;
	go.clock_ctx = &e.clock;
	go.active = hook_active;
	go.active_ctx = &h;
	struct gc *g = NULL;
	ck_assert_int_eq(gc_new(e.o, &go, &g), 0);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	uint8_t a[3000], b[1500];
	memset(a, 'a', sizeof a);
	memset(b, 'b', sizeof b);
	ck_assert_int_eq(tobj_put(e.o, "bkt", "k", a, sizeof a, NULL), 0);
	ck_assert_int_eq(tobj_put(e.o, "bkt", "k", b, sizeof b, NULL), 0);
	e.clock.ns += 200 * SEC; /* the old chunks are garbage now */
	ck_assert_uint_eq(test_backend_chunks(e.be), 5);
	ck_assert_int_eq(gc_start(g), 0);
	hook_wait(&h, 5, -1); /* five passes as a follower */
	struct gc_stats st;
	gc_stats_get(g, &st);
	ck_assert_uint_eq(st.passes, 0);
	ck_assert_uint_ge(st.idle_passes, 4);
	ck_assert_uint_eq(test_backend_chunks(e.be), 5);
	/* Leader: the pass after the switch completes before the hook is
	 * asked twice more. */
	hook_wait(&h, 2, 1);
	hook_wait(&h, 1, -1);
	gc_stop(g);
	gc_stats_get(g, &st);
	ck_assert_uint_ge(st.passes, 1);
	ck_assert_uint_eq(test_backend_chunks(e.be), 2);
	gc_free(g);
	pthread_mutex_destroy(&h.mu);
	pthread_cond_destroy(&h.cv);
	tenv_fini(&e);
}
END_TEST

Suite *suite_object_gc(void)
{
	Suite *s = suite_create("object_gc");
	TCase *tc = tcase_create("gc");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, gc_eager_after_grace);
	tcase_add_test(tc, gc_inflight_untouched);
	tcase_add_test(tc, gc_sweep_orphans);
	tcase_add_test(tc, gc_expired_put_cannot_commit);
	tcase_add_test(tc, gc_thread_start_stop);
	tcase_add_test(tc, gc_thread_leader_only);
	suite_add_tcase(s, tc);
	return s;
}
