/*
 * test_object_crash.c — power loss under the object layer.
 *
 * The engine runs on the simulated disk of tests/fault_io.c.  A random
 * sequence of PUTs (chunks written lazily, metadata durably) and DELETEs
 * is cut by a crash at a random mutating I/O call that keeps a random
 * prefix of the unsynced writes, torn.  After the restart every key must
 * hold exactly its last acknowledged version, or the version whose
 * operation was in flight at the crash; whatever is visible must read back
 * intact, byte for byte (a committed object never references a lost
 * chunk).  Then the collector, with the clock moved past its limits, must
 * leave exactly the live objects' chunks.  VERISTORE_OBJ_CRASH_TRIALS sets
 * the number of crashes (default 40).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/object_keys.h"
#include "tests/fault_io.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

#define DIR "/vs"
#define NK 6
#define CHUNK 512u
#define SEC 1000000000ull

struct ver {
	bool exists;
	uint64_t seed, size;
};

struct crash {
	struct fault_io *f;
	struct store *st;
	struct obj *o;
	struct test_clock clock;
	struct test_rng rng;
	struct ver acked[NK], maybe[NK];
	bool in_doubt[NK];
};

static uint8_t vbyte(uint64_t seed, uint64_t i)
{
	return (uint8_t)(((seed ^ i) * 0x9e3779b97f4a7c15ull) >> 56);
}

static int crash_open(struct crash *c)
{
	int rc = store_local_open_io(DIR, fault_io_table(c->f), &c->st);
	if (rc != 0)
		return rc;
	struct obj_options oo;
	obj_options_init(&oo);
	oo.chunk_bytes = CHUNK;
	oo.clock_ns = test_clock_ns;
	oo.clock_ctx = &c->clock;
	return obj_new(c->st, &oo, &c->o);
}

static void crash_close(struct crash *c)
{
	obj_free(c->o);
	store_close(c->st);
	c->o = NULL;
	c->st = NULL;
}

static int do_put(struct crash *c, int k, const struct ver *v)
{
	char key[8] = {'k', (char)('0' + k), 0};
	struct obj_writer *w = NULL;
	int rc = obj_writer_new(c->o, "bkt", key, 2, &w);
	uint8_t buf[700];
	for (uint64_t off = 0; rc == 0 && off < v->size; off += sizeof buf) {
		size_t n = v->size - off < sizeof buf ? (size_t)(v->size - off)
						      : sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = vbyte(v->seed, off + i);
		rc = obj_writer_write(w, buf, n);
	}
	char etag[33];
	snprintf(etag, sizeof etag, "%032llx", (unsigned long long)v->seed);
	struct obj_attrs a = {.etag = etag};
	if (rc == 0)
		rc = obj_put_finish(w, &a, NULL, NULL);
	obj_writer_free(w);
	return rc;
}

/* Runs operations until one fails (the crash) or the budget ends. */
static void crash_workload(struct crash *c)
{
	for (int op = 0; op < 80; op++) {
		int k = (int)test_rng_below(&c->rng, NK);
		struct ver v = {0};
		if (test_rng_below(&c->rng, 4) != 0) {
			v = (struct ver){true, test_rng_next(&c->rng),
					 test_rng_below(&c->rng, 5 * CHUNK + 3)};
		}
		c->maybe[k] = v;
		c->in_doubt[k] = true;
		c->clock.ns += SEC;
		char key[8] = {'k', (char)('0' + k), 0};
		int rc = v.exists ? do_put(c, k, &v) : obj_delete(c->o, "bkt", key, 2);
		if (rc != 0)
			return; /* the crash: this operation is in doubt */
		c->acked[k] = v;
		c->in_doubt[k] = false;
	}
}

/* Reads key k and returns which version it matches. */
static bool matches(struct crash *c, int k, const struct ver *v)
{
	char key[8] = {'k', (char)('0' + k), 0};
	struct obj_reader *r = NULL;
	int rc = obj_reader_new(c->o, "bkt", key, 2, NULL, &r);
	if (!v->exists) {
		obj_reader_free(r);
		return rc == OBJ_ENOKEY;
	}
	if (rc != 0)
		return false;
	bool ok = obj_reader_meta(r)->size == v->size;
	uint8_t buf[333];
	uint64_t off = 0;
	while (ok) {
		size_t got = 0;
		rc = obj_reader_read(r, buf, sizeof buf, &got);
		ck_assert_msg(rc == 0, "k%d: read failed: %s (lost chunk?)", k,
			      obj_strerror(rc));
		if (got == 0)
			break;
		for (size_t i = 0; ok && i < got; i++)
			ok = buf[i] == vbyte(v->seed, off + i);
		off += got;
	}
	obj_reader_free(r);
	return ok && off == v->size;
}

static size_t count_family(struct store *st, uint8_t tag)
{
	uint8_t hi = (uint8_t)(tag + 1);
	struct store_scan *it = NULL;
	ck_assert_int_eq(store_scan_new(st, &tag, 1, &hi, 1, &it), 0);
	ck_assert_int_eq(store_scan_seek(it, &tag, 1), 0);
	size_t n = 0;
	while (store_scan_valid(it)) {
		n++;
		ck_assert_int_eq(store_scan_next(it), 0);
	}
	store_scan_free(it);
	return n;
}

static void crash_check_gc(struct crash *c)
{
	struct gc_options go;
	gc_options_init(&go);
	go.grace_ns = 10 * SEC;
	go.inflight_max_ns = 3600 * SEC;
	go.clock_ns = test_clock_ns;
	go.clock_ctx = &c->clock;
	struct gc *g = NULL;
	ck_assert_int_eq(gc_new(c->o, &go, &g), 0);
	c->clock.ns += 2 * 3600 * SEC;
	ck_assert_int_eq(gc_run_eager(g), 0);
	ck_assert_int_eq(gc_run_sweep(g), 0);
	gc_free(g);
	size_t want = 0;
	for (int k = 0; k < NK; k++)
		if (c->acked[k].exists)
			want += (c->acked[k].size + CHUNK - 1) / CHUNK;
	ck_assert_uint_eq(count_family(c->st, OBJ_KEY_CHUNK), want);
	ck_assert_uint_eq(count_family(c->st, OBJ_KEY_INFLIGHT), 0);
	ck_assert_uint_eq(count_family(c->st, OBJ_KEY_GARBAGE), 0);
	for (int k = 0; k < NK; k++)
		ck_assert(matches(c, k, &c->acked[k]));
}

START_TEST(crash_during_puts_and_deletes)
{
	uint64_t trials = test_env_u64("OBJ_CRASH_TRIALS", 40);
	uint64_t seed = test_seed();
	unsigned survived_in_doubt = 0, lost_in_doubt = 0;
	for (uint64_t t = 0; t < trials; t++) {
		struct crash *c = calloc(1, sizeof *c);
		test_rng_init(&c->rng, seed + t);
		c->clock.ns = 1700000000ull * SEC;
		c->f = fault_io_new(seed + t);
		ck_assert_int_eq(fault_io_mkdirs(c->f, DIR), 0);
		ck_assert_int_eq(crash_open(c), 0);
		ck_assert_int_eq(obj_bucket_create(c->o, "bkt", NULL), 0);
		static const enum fault_crash_mode modes[] = {
			FAULT_CRASH_RANDOM, FAULT_CRASH_DROP,
			FAULT_CRASH_TEAR_LAST};
		/* Half the crashes replace an fdatasync: the commit's record
		 * is then written, and may survive in part or whole. */
		if (t % 2)
			fault_io_crash_at(c->f, FAULT_FDATASYNC,
					  1 + test_rng_below(&c->rng, 40),
					  modes[t % 3]);
		else
			fault_io_crash_at(c->f, FAULT_MUTATING,
					  1 + test_rng_below(&c->rng, 300),
					  modes[t % 3]);
		crash_workload(c);
		crash_close(c);
		fault_io_restart(c->f);
		ck_assert_int_eq(crash_open(c), 0);
		for (int k = 0; k < NK; k++) {
			if (matches(c, k, &c->acked[k]))
				continue;
			ck_assert_msg(c->in_doubt[k] && matches(c, k, &c->maybe[k]),
				      "trial %llu: k%d is neither its acknowledged "
				      "nor its in-flight version",
				      (unsigned long long)t, k);
			c->acked[k] = c->maybe[k]; /* it survived */
			survived_in_doubt++;
		}
		for (int k = 0; k < NK; k++)
			lost_in_doubt += c->in_doubt[k] &&
					 !matches(c, k, &c->maybe[k]);
		crash_check_gc(c);
		crash_close(c);
		fault_io_free(c->f);
		free(c);
	}
	fprintf(stderr, "object crash: %llu crashes; in-flight operations that "
		"survived %u, that were lost %u\n", (unsigned long long)trials,
		survived_in_doubt, lost_in_doubt);
}
END_TEST

/* A failed fsync: the PUT whose commit it covered is reported as
 * indeterminate (503 to the client), never as success or as a clean
 * failure; the store refuses writes until reopened. */
START_TEST(failed_sync_is_indeterminate)
{
	struct crash *c = calloc(1, sizeof *c);
	c->clock.ns = 1700000000ull * SEC;
	c->f = fault_io_new(test_seed());
	ck_assert_int_eq(fault_io_mkdirs(c->f, DIR), 0);
	ck_assert_int_eq(crash_open(c), 0);
	ck_assert_int_eq(obj_bucket_create(c->o, "bkt", NULL), 0);
	struct ver v = {true, 42, 1000};
	ck_assert_int_eq(do_put(c, 0, &v), 0);
	fault_io_fail(c->f, FAULT_FDATASYNC, 1, EIO, 1, false);
	struct ver w = {true, 43, 700};
	ck_assert_int_eq(do_put(c, 1, &w), OBJ_EUNAVAILABLE);
	fault_io_fail_clear(c->f);
	int rc = do_put(c, 2, &w);
	ck_assert_msg(rc != 0 && rc != OBJ_EUNAVAILABLE, "%s", obj_strerror(rc));
	crash_close(c);
	fault_io_restart(c->f);
	ck_assert_int_eq(crash_open(c), 0);
	ck_assert(matches(c, 0, &v));
	crash_close(c);
	fault_io_free(c->f);
	free(c);
}
END_TEST

Suite *suite_object_crash(void)
{
	Suite *s = suite_create("object_crash");
	TCase *tc = tcase_create("crash");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, crash_during_puts_and_deletes);
	tcase_add_test(tc, failed_sync_is_indeterminate);
	suite_add_tcase(s, tc);
	return s;
}
