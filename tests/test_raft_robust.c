/*
 * test_raft_robust.c — raft_step on hostile input: messages with random
 * types, terms, indexes and entries never trip an assertion (STYLE: never
 * assert on bytes from the network); malformed ones are refused with
 * RAFT_ERR_INVALID.
 */
#include <check.h>
#include <string.h>

#include "tests/raft_test_net.h"
#include "tests/testutil.h"

static uint64_t small(struct test_rng *g, uint64_t base)
{
	/* Mostly near the interesting values, sometimes far off. */
	switch (test_rng_below(g, 4)) {
	case 0: return test_rng_below(g, 4);
	case 1: return base + test_rng_below(g, 3);
	case 2: return base > 2 ? base - test_rng_below(g, 3) : 0;
	default: return test_rng_next(g) >> test_rng_below(g, 64);
	}
}

static void random_step(struct test_rng *g, struct tn_net *net, uint64_t to)
{
	struct raft_status st = tn_status(net, to);
	struct raft_entry e[4];
	struct raft_msg m = tn_msg(
		(uint8_t)test_rng_below(g, RAFT_MSG_TYPE_MAX + 2),
		1 + test_rng_below(g, 4), to, small(g, st.hs.term));
	m.index = small(g, st.last_index);
	m.log_term = small(g, st.hs.term);
	m.commit = small(g, st.hs.commit);
	m.reject = (uint8_t)test_rng_below(g, 2);
	m.transfer = (uint8_t)test_rng_below(g, 2);
	m.reject_hint = small(g, st.last_index);
	m.ctx = small(g, 1);
	if (test_rng_below(g, 2)) {
		m.n_entries = (size_t)test_rng_below(g, 4);
		for (size_t i = 0; i < m.n_entries; i++)
			e[i] = (struct raft_entry){
				.term = small(g, m.term),
				.index = test_rng_below(g, 8) ? m.index + 1 + i
							      : small(g, 5),
				.type = (uint8_t)test_rng_below(g, 2)};
		m.entries = e;
	}
	if (m.type == RAFT_MSG_SNAPSHOT) {
		m.snapshot.meta.index = small(g, st.last_index);
		m.snapshot.meta.term = small(g, st.hs.term);
		m.snapshot.meta.conf.n_voters =
			(uint32_t)test_rng_below(g, RAFT_NODES_MAX + 1);
		for (uint32_t i = 0; i < m.snapshot.meta.conf.n_voters; i++)
			m.snapshot.meta.conf.voters[i] = 1 + i;
	}
	int rc = raft_step(tn_raft(net, to), &m);
	ck_assert(rc == 0 || rc == RAFT_ERR_INVALID);
}

/* STYLE "never assert on bytes from the network": random messages into a
 * live cluster never abort the core. */
START_TEST(test_step_hostile_messages)
{
	struct test_rng g;
	test_rng_init(&g, test_seed() ^ 0x5eed);
	for (int round = 0; round < 30; round++) {
		struct tn_net *net = tn_new(3, 3, 0, round % 2 == 0,
					    round % 3 == 0, test_seed() + round);
		tn_elect(net, 1 + (uint64_t)(round % 3));
		for (int i = 0; i < 300; i++) {
			random_step(&g, net, 1 + test_rng_below(&g, 3));
			/* Execute readies but drop what the garbage caused. */
			for (uint64_t id = 1; id <= 3; id++)
				while (tn_process(net, id))
					;
			tn_drop_queue(net);
			if (i % 50 == 0)
				for (uint64_t id = 1; id <= 3; id++)
					raft_tick(tn_raft(net, id));
		}
		tn_free(net);
	}
}
END_TEST

Suite *raft_robust_suite(void)
{
	Suite *s = suite_create("raft_robust");
	TCase *tc = tcase_create("robust");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_step_hostile_messages);
	suite_add_tcase(s, tc);
	return s;
}
