/*
 * test_linearizability.c — the checker accepts histories known to be
 * linearizable and rejects ones known not to be.  A checker that accepts
 * everything would make the raft simulator's proof empty, so the rejection
 * cases matter as much as the acceptance ones.
 */
#include "tests/linearizability.h"
#include "tests/testutil.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>

#define INF LIN_TIME_INF

static struct lin_op put(uint32_t c, uint64_t k, uint64_t v, uint64_t call,
			 uint64_t ret)
{
	return (struct lin_op){.kind = LIN_PUT, .client = c, .key = k,
			       .value = v, .call = call, .ret = ret};
}

static struct lin_op get(uint32_t c, uint64_t k, uint64_t v, uint64_t call,
			 uint64_t ret)
{
	return (struct lin_op){.kind = LIN_GET, .client = c, .key = k,
			       .value = v, .call = call, .ret = ret};
}

static struct lin_op del(uint32_t c, uint64_t k, uint64_t call, uint64_t ret)
{
	return (struct lin_op){.kind = LIN_DELETE, .client = c, .key = k,
			       .call = call, .ret = ret};
}

static struct lin_op cas(uint32_t c, uint64_t k, uint64_t expect, uint64_t v,
			 bool ok, uint64_t call, uint64_t ret)
{
	return (struct lin_op){.kind = LIN_CAS, .client = c, .key = k,
			       .expect = expect, .value = v, .ok = ok,
			       .call = call, .ret = ret};
}

#define CHECK_HIST(expected, ...)                                           \
	do {                                                                \
		struct lin_op h_[] = {__VA_ARGS__};                         \
		size_t n_ = sizeof h_ / sizeof h_[0];                       \
		int rc_ = lin_check(h_, n_, 0, NULL);                       \
		if (rc_ != (expected))                                      \
			lin_print_key(stderr, h_, n_, h_[0].key);           \
		ck_assert_msg(rc_ == (expected), "got %s, want %s",         \
			      lin_result_name(rc_),                         \
			      lin_result_name(expected));                   \
	} while (0)

START_TEST(test_lin_empty_ok)
{
	ck_assert_int_eq(lin_check(NULL, 0, 0, NULL), LIN_OK);
}
END_TEST

/* A read of a key never written sees "absent". */
START_TEST(test_lin_sequential_ok)
{
	CHECK_HIST(LIN_OK, get(0, 1, LIN_ABSENT, 0, 1), put(0, 1, 7, 2, 3),
		   get(0, 1, 7, 4, 5), del(0, 1, 6, 7),
		   get(0, 1, LIN_ABSENT, 8, 9));
}
END_TEST

/* A read overlapping a write may see either the old or the new value. */
START_TEST(test_lin_concurrent_read_sees_old_or_new)
{
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), put(1, 1, 2, 2, 10),
		   get(2, 1, 1, 3, 4), get(3, 1, 2, 5, 6));
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), put(1, 1, 2, 2, 10),
		   get(2, 1, 2, 3, 4));
}
END_TEST

/*
 * Once a concurrent read has seen the new value, a later read (starting
 * after it ended) may not see the old one: that would be a stale read.
 */
START_TEST(test_lin_new_then_old_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1), put(1, 1, 2, 2, 10),
		   get(2, 1, 2, 3, 4), get(3, 1, 1, 5, 6));
}
END_TEST

/* Two overlapping writes may take effect in either order. */
START_TEST(test_lin_concurrent_writes_either_order)
{
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 5), put(1, 1, 2, 1, 6),
		   get(2, 1, 1, 7, 8));
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 5), put(1, 1, 2, 1, 6),
		   get(2, 1, 2, 7, 8));
}
END_TEST

/* Stale read: a completed write is followed by a read of the older value. */
START_TEST(test_lin_stale_read_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1), put(0, 1, 2, 2, 3),
		   get(1, 1, 1, 4, 5));
}
END_TEST

/* Lost write: an acknowledged write is never seen by a later read. */
START_TEST(test_lin_lost_write_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 5, 0, 1),
		   get(1, 1, LIN_ABSENT, 2, 3));
	/* A delete that was acknowledged, then the value reappears. */
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 5, 0, 1), del(0, 1, 2, 3),
		   get(1, 1, 5, 4, 5));
}
END_TEST

/* A read may not return a value nobody wrote. */
START_TEST(test_lin_read_of_unwritten_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 5, 0, 1), get(1, 1, 6, 2, 3));
}
END_TEST

/*
 * A read may not return a value whose write began only after the read
 * ended (a read of an uncommitted, future value).
 */
START_TEST(test_lin_read_from_future_rejected)
{
	CHECK_HIST(LIN_VIOLATION, get(1, 1, 9, 0, 1), put(0, 1, 9, 2, 3));
}
END_TEST

/* An unknown-outcome write that took effect: later reads may see it. */
START_TEST(test_lin_unknown_write_happened_ok)
{
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), put(1, 1, 2, 2, INF),
		   get(2, 1, 2, 10, 11), get(2, 1, 2, 12, 13));
}
END_TEST

/* An unknown-outcome write that never took effect. */
START_TEST(test_lin_unknown_write_not_happened_ok)
{
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), put(1, 1, 2, 2, INF),
		   get(2, 1, 1, 10, 11), get(2, 1, 1, 12, 13));
}
END_TEST

/* An unknown write happens at most once: seen, then unseen, then seen. */
START_TEST(test_lin_unknown_write_flicker_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1), put(1, 1, 2, 2, INF),
		   get(2, 1, 2, 10, 11), get(2, 1, 1, 12, 13));
}
END_TEST

/* An unknown-outcome write cannot take effect before it was invoked. */
START_TEST(test_lin_unknown_write_before_call_rejected)
{
	CHECK_HIST(LIN_VIOLATION, get(2, 1, 2, 0, 1), put(1, 1, 2, 2, INF));
}
END_TEST

/* An unanswered read is ignored whatever value it carries. */
START_TEST(test_lin_unknown_read_ignored)
{
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), get(1, 1, 77, 2, INF),
		   get(2, 1, 1, 3, 4));
}
END_TEST

START_TEST(test_lin_cas_ok)
{
	CHECK_HIST(LIN_OK, cas(0, 1, LIN_ABSENT, 1, true, 0, 1),
		   cas(1, 1, LIN_ABSENT, 2, false, 2, 3),
		   cas(1, 1, 1, 2, true, 4, 5), get(0, 1, 2, 6, 7));
	/* Two concurrent CAS from the same value: exactly one wins. */
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), cas(1, 1, 1, 2, true, 2, 6),
		   cas(2, 1, 1, 3, false, 3, 7), get(0, 1, 2, 8, 9));
}
END_TEST

/* CAS anomaly: two CAS from the same value both succeed (a lost update). */
START_TEST(test_lin_cas_double_success_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1),
		   cas(1, 1, 1, 2, true, 2, 6), cas(2, 1, 1, 3, true, 3, 7));
}
END_TEST

/* CAS anomaly: a CAS fails though the value equalled its expectation. */
START_TEST(test_lin_cas_spurious_failure_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1),
		   cas(1, 1, 1, 2, false, 2, 3));
}
END_TEST

/* CAS anomaly: a CAS succeeds though the value did not match. */
START_TEST(test_lin_cas_wrong_success_rejected)
{
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1),
		   cas(1, 1, 5, 2, true, 2, 3));
}
END_TEST

/* An unknown CAS takes effect only if its expectation held. */
START_TEST(test_lin_unknown_cas)
{
	CHECK_HIST(LIN_OK, put(0, 1, 1, 0, 1), cas(1, 1, 1, 2, false, 2, INF),
		   get(2, 1, 2, 5, 6));
	CHECK_HIST(LIN_VIOLATION, put(0, 1, 1, 0, 1),
		   cas(1, 1, 3, 2, false, 2, INF), get(2, 1, 2, 5, 6));
}
END_TEST

/* The failing key is reported; other keys do not mask it. */
START_TEST(test_lin_per_key_report)
{
	struct lin_op h[] = {put(0, 1, 1, 0, 1), put(0, 2, 1, 0, 1),
			     get(1, 1, 1, 2, 3), get(1, 2, 9, 2, 3),
			     put(0, 3, 4, 4, 5)};
	struct lin_report rep;
	ck_assert_int_eq(lin_check(h, 5, 0, &rep), LIN_VIOLATION);
	ck_assert_uint_eq(rep.bad_key, 2);
	/* Writing k1's value to k2 (a cross-key mix-up) is caught too. */
	struct lin_op h2[] = {put(0, 1, 1, 0, 1), get(1, 2, 1, 2, 3)};
	ck_assert_int_eq(lin_check(h2, 2, 0, NULL), LIN_VIOLATION);
}
END_TEST

START_TEST(test_lin_malformed_rejected)
{
	struct lin_op h[] = {put(0, 1, 1, 5, 5)};
	ck_assert_int_eq(lin_check(h, 1, 0, NULL), -EINVAL);
}
END_TEST

/*
 * Generates a linearizable history: nc clients; each op is invoked, takes
 * effect on a sequential map at some later step, then responds later still
 * (or never: an unknown outcome, possibly never having taken effect).
 */
static size_t gen_history(struct test_rng *r, struct lin_op *h, size_t n,
			  uint32_t nc, uint64_t nkeys)
{
	uint64_t map[8] = {0};
	enum { IDLE, INVOKED, DONE } st[16] = {0};
	size_t cur[16] = {0}, m = 0;
	uint64_t t = 1, nextval = 1;
	ck_assert(nc <= 16 && nkeys <= 8);
	for (uint64_t bound = 0; bound < 100 * n && m < n; bound++, t++) {
		uint32_t c = (uint32_t)test_rng_below(r, nc);
		struct lin_op *o = &h[cur[c]];
		if (st[c] == IDLE) {
			cur[c] = m++;
			o = &h[cur[c]];
			*o = (struct lin_op){.kind = test_rng_below(r, 4),
					     .client = c,
					     .key = test_rng_below(r, nkeys),
					     .call = t, .ret = INF};
			o->value = nextval++;
			o->expect = test_rng_below(r, 2) ? map[o->key]
							 : test_rng_below(r, 3);
			st[c] = INVOKED;
		} else if (st[c] == INVOKED) {
			if (test_rng_below(r, 20) == 0) {
				st[c] = IDLE; /* gave up before it happened */
				continue;
			}
			uint64_t *v = &map[o->key];
			if (o->kind == LIN_PUT)
				*v = o->value;
			else if (o->kind == LIN_DELETE)
				*v = LIN_ABSENT;
			else if (o->kind == LIN_GET)
				o->value = *v;
			else if ((o->ok = (*v == o->expect)))
				*v = o->value;
			st[c] = DONE;
		} else {
			if (test_rng_below(r, 20) != 0)
				o->ret = t; /* else: answered, but lost */
			st[c] = IDLE;
		}
	}
	return m;
}

/* Random linearizable histories pass; corrupting one read makes them fail. */
START_TEST(test_lin_random_histories)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0x11ea);
	struct lin_op h[300];
	for (int iter = 0; iter < 200; iter++) {
		uint32_t nc = 2 + (uint32_t)test_rng_below(&r, 6);
		size_t n = gen_history(&r, h, 40 + test_rng_below(&r, 260),
				       nc, 1 + test_rng_below(&r, 4));
		struct lin_report rep;
		int rc = lin_check(h, n, 0, &rep);
		if (rc != LIN_OK)
			lin_print_key(stderr, h, n, rep.bad_key);
		ck_assert_msg(rc == LIN_OK, "iter %d: %s", iter,
			      lin_result_name(rc));
		/* A completed read of a value no one wrote must be caught. */
		for (size_t i = 0; i < n; i++) {
			if (h[i].kind == LIN_GET && h[i].ret != INF) {
				h[i].value = 1000000 + i;
				rc = lin_check(h, n, 0, NULL);
				ck_assert_int_eq(rc, LIN_VIOLATION);
				break;
			}
		}
	}
}
END_TEST

/* Running out of budget is its own result, never LIN_OK. */
START_TEST(test_lin_budget_undecided)
{
	struct test_rng r;
	test_rng_init(&r, test_seed() ^ 0xb0d6e7);
	struct lin_op h[200];
	size_t n = gen_history(&r, h, 200, 8, 1);
	ck_assert_int_eq(lin_check(h, n, 0, NULL), LIN_OK);
	ck_assert_int_eq(lin_check(h, n, 10, NULL), LIN_UNDECIDED);
}
END_TEST

/*
 * Many concurrent unknown-outcome writes of which none was seen: the cache
 * keeps this from exploring every order (2^k states, not k!).
 */
START_TEST(test_lin_many_unknown_writes_tractable)
{
	struct lin_op h[24];
	size_t n = 0;
	for (uint32_t i = 0; i < 12; i++)
		h[n++] = put(i, 1, 100 + i, i + 1, INF);
	for (uint32_t i = 0; i < 12; i++)
		h[n++] = get(99, 1, 100 + (i % 3), 100 + 2 * i, 101 + 2 * i);
	struct lin_report rep;
	/* 100, 101, 102, 100: each write happens once, so this flickers. */
	ck_assert_int_eq(lin_check(h, n, 0, &rep), LIN_VIOLATION);
	ck_assert_uint_lt(rep.steps, 10000000);
	for (uint32_t i = 0; i < 12; i++)
		h[12 + i].value = 105;
	ck_assert_int_eq(lin_check(h, n, 0, &rep), LIN_OK);
	ck_assert_uint_lt(rep.steps, 10000000);
}
END_TEST

Suite *linearizability_suite(void);
Suite *linearizability_suite(void)
{
	Suite *s = suite_create("linearizability");
	TCase *tc = tcase_create("checker");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_lin_empty_ok);
	tcase_add_test(tc, test_lin_sequential_ok);
	tcase_add_test(tc, test_lin_concurrent_read_sees_old_or_new);
	tcase_add_test(tc, test_lin_new_then_old_rejected);
	tcase_add_test(tc, test_lin_concurrent_writes_either_order);
	tcase_add_test(tc, test_lin_stale_read_rejected);
	tcase_add_test(tc, test_lin_lost_write_rejected);
	tcase_add_test(tc, test_lin_read_of_unwritten_rejected);
	tcase_add_test(tc, test_lin_read_from_future_rejected);
	tcase_add_test(tc, test_lin_unknown_write_happened_ok);
	tcase_add_test(tc, test_lin_unknown_write_not_happened_ok);
	tcase_add_test(tc, test_lin_unknown_write_flicker_rejected);
	tcase_add_test(tc, test_lin_unknown_write_before_call_rejected);
	tcase_add_test(tc, test_lin_unknown_read_ignored);
	tcase_add_test(tc, test_lin_cas_ok);
	tcase_add_test(tc, test_lin_cas_double_success_rejected);
	tcase_add_test(tc, test_lin_cas_spurious_failure_rejected);
	tcase_add_test(tc, test_lin_cas_wrong_success_rejected);
	tcase_add_test(tc, test_lin_unknown_cas);
	tcase_add_test(tc, test_lin_per_key_report);
	tcase_add_test(tc, test_lin_malformed_rejected);
	tcase_add_test(tc, test_lin_random_histories);
	tcase_add_test(tc, test_lin_budget_undecided);
	tcase_add_test(tc, test_lin_many_unknown_writes_tractable);
	suite_add_tcase(s, tc);
	return s;
}
