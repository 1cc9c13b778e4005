/*
 * test_object_store_raft.c — the store contract on store_raft (the third
 * implementation, beside the local adapter and the memory store): a cluster
 * of one, restarted; three nodes in one process over the in-memory net
 * (tests/raft_node_test_net.h), every node serving submits (forwarded to
 * the leader) and linearizable reads; a node cut off from the majority
 * answers "unavailable" (the object layer's OBJ_EUNAVAILABLE, which the S3
 * layer answers 503) and commits nothing, then catches up once healed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "raft/node.h"
#include "tests/raft_node_test_net.h"
#include "tests/test_object.h"
#include "tests/testutil.h"

#define N3 3

struct rnode {
	char kv[4096], raft[4096];
	struct store *s;
};

/* Snapshot threshold of the nodes rnode_open starts (0: the default). */
static uint64_t snapshot_entries;

static void rnode_open(struct rnode *r, struct tnet *net, const char *root,
		       uint64_t id, int n_voters)
{
	snprintf(r->kv, sizeof r->kv, "%s/n%llu-kv", root, (unsigned long long)id);
	snprintf(r->raft, sizeof r->raft, "%s/n%llu-raft", root,
		 (unsigned long long)id);
	struct raft_node_peer peers[N3];
	for (int i = 0; i < n_voters; i++) {
		peers[i].id = (uint64_t)i + 1;
		snprintf(peers[i].addr, sizeof peers[i].addr, "mem:%d", i + 1);
	}
	struct raft_node_options o = {
		.id = id, .dir = r->raft, .n_peers = (size_t)n_voters,
		.peers = peers, .net = tnet_endpoint(net, id), .tick_ms = 10,
		.propose_timeout_ms = 1500, .snapshot_entries = snapshot_entries,
	};
	int rc = store_raft_open(r->kv, &o, n_voters == 1 ? STORE_RAFT_NO_PEERS : 0,
				 &r->s);
	ck_assert_msg(rc == 0, "store_raft_open: %d", rc);
	tnet_attach(net, id, store_raft_node(r->s));
}

static void rnode_close(struct rnode *r, struct tnet *net, uint64_t id)
{
	tnet_attach(net, id, NULL);
	store_close(r->s);
	r->s = NULL;
}

static int put_str(struct store *s, const char *k, const char *v)
{
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(store_batch_put(b, k, strlen(k), v, strlen(v)), 0);
	int rc = store_submit(s, b, NULL);
	store_batch_free(b);
	return rc;
}

/* The first write of a new cluster may meet no leader yet: retried a
 * bounded number of times (each try waits up to propose_timeout_ms). */
static void put_until_leader(struct store *s, const char *k, const char *v)
{
	int rc = STORE_EUNAVAILABLE;
	for (int i = 0; i < 20 && rc != 0; i++) {
		rc = put_str(s, k, v);
		ck_assert_msg(rc == 0 || rc == STORE_EUNAVAILABLE ||
				      rc == STORE_EINDETERMINATE,
			      "put: %s", store_strerror(rc));
	}
	ck_assert_int_eq(rc, 0);
}

static void expect_value(struct store *s, const char *k, const char *want)
{
	void *v = NULL;
	size_t n = 0;
	int rc = store_get(s, k, strlen(k), &v, &n);
	if (want == NULL) {
		ck_assert_int_eq(rc, STORE_ENOTFOUND);
		return;
	}
	ck_assert_msg(rc == 0, "get %s: %s", k, store_strerror(rc));
	ck_assert_uint_eq(n, strlen(want));
	ck_assert_mem_eq(v, want, n);
	free(v);
}

/* Every key and value of s, as "k=v;" lines in order (malloc'd). */
static char *dump(struct store *s)
{
	struct store_scan *it = NULL;
	ck_assert_int_eq(store_scan_new(s, NULL, 0, NULL, 0, &it), 0);
	ck_assert_int_eq(store_scan_seek(it, "", 0), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	for (int i = 0; store_scan_valid(it); i++) {
		ck_assert_int_lt(i, 100000);
		size_t kl = 0, vl = 0;
		const void *k = store_scan_key(it, &kl), *v = NULL;
		ck_assert_int_eq(store_scan_value(it, &v, &vl), 0);
		fwrite(k, 1, kl, f);
		fputc('=', f);
		fwrite(v, 1, vl, f);
		fputc(';', f);
		ck_assert_int_eq(store_scan_next(it), 0);
	}
	fclose(f);
	store_scan_free(it);
	return buf;
}

/* A cluster of one: the contract, then a restart keeps exactly what was
 * applied (the engine's marker says where the log replay starts). */
START_TEST(store_raft_single)
{
	char *root = test_tmpdir_new("sraft1");
	struct tnet *net = tnet_new();
	struct rnode r;
	rnode_open(&r, net, root, 1, 1);
	store_contract_conditions(r.s);
	store_contract_scan(r.s);
	char *before = dump(r.s);
	struct raft_node_status st;
	raft_node_status(store_raft_node(r.s), &st);
	ck_assert_uint_eq(st.role, RAFT_LEADER);
	ck_assert_uint_eq(st.applied, st.commit);
	uint64_t applied = st.applied;
	rnode_close(&r, net, 1);

	rnode_open(&r, net, root, 1, 1);
	char *after = dump(r.s);
	ck_assert_str_eq(before, after);
	raft_node_status(store_raft_node(r.s), &st);
	ck_assert_uint_ge(st.applied, applied);
	put_str(r.s, "after-restart", "1");
	expect_value(r.s, "after-restart", "1");
	free(before);
	free(after);
	rnode_close(&r, net, 1);
	tnet_free(net);
	test_tmpdir_free(root);
}
END_TEST

static uint64_t leader_of(struct rnode *r)
{
	for (int i = 0; i < N3; i++) {
		struct raft_node_status st;
		raft_node_status(store_raft_node(r[i].s), &st);
		if (st.role == RAFT_LEADER)
			return st.id;
	}
	return 0;
}

/* Three nodes: the contract through two different nodes (one of them a
 * follower, so its submits are forwarded), every node's linearizable read
 * sees each acknowledged write, and the three engines end identical. */
START_TEST(store_raft_three_nodes)
{
	char *root = test_tmpdir_new("sraft3");
	struct tnet *net = tnet_new();
	struct rnode r[N3];
	for (int i = 0; i < N3; i++)
		rnode_open(&r[i], net, root, (uint64_t)i + 1, N3);
	put_until_leader(r[0].s, "hello", "world");
	uint64_t leader = leader_of(r);
	ck_assert_uint_ne(leader, 0);
	size_t follower = leader == 1 ? 1 : 0; /* index of a non-leader */
	store_contract_conditions(r[follower].s);
	store_contract_scan(r[(follower + 2) % N3].s);
	for (int i = 0; i < N3; i++) {
		expect_value(r[i].s, "hello", "world");
		expect_value(r[i].s, "c", "x");
		expect_value(r[i].s, "b", NULL);
		expect_value(r[i].s, "pin", "after!!");
	}
	char *d0 = dump(r[0].s);
	for (int i = 1; i < N3; i++) {
		char *di = dump(r[i].s);
		ck_assert_str_eq(d0, di);
		free(di);
	}
	free(d0);
	for (int i = N3 - 1; i >= 0; i--)
		rnode_close(&r[i], net, (uint64_t)i + 1);
	tnet_free(net);
	test_tmpdir_free(root);
}
END_TEST

/* A follower cut off from the others: its object writes and reads fail as
 * unavailable (503 to S3 clients), never as success or stale data; the
 * majority keeps committing; after healing the follower converges. */
START_TEST(store_raft_minority_unavailable)
{
	char *root = test_tmpdir_new("sraftp");
	struct tnet *net = tnet_new();
	struct rnode r[N3];
	for (int i = 0; i < N3; i++)
		rnode_open(&r[i], net, root, (uint64_t)i + 1, N3);
	put_until_leader(r[0].s, "warm", "up");
	uint64_t leader = leader_of(r);
	ck_assert_uint_ne(leader, 0);
	size_t cut = leader == 3 ? 0 : 2, lead = leader - 1;
	struct obj *oc = NULL, *ol = NULL;
	struct obj_options oo;
	obj_options_init(&oo);
	ck_assert_int_eq(obj_new(r[cut].s, &oo, &oc), 0);
	ck_assert_int_eq(obj_new(r[lead].s, &oo, &ol), 0);
	ck_assert_int_eq(obj_bucket_create(ol, "bkt", NULL), 0);
	ck_assert_int_eq(tobj_put(ol, "bkt", "k", "v1", 2, NULL), 0);

	tnet_isolate(net, (uint64_t)cut + 1, true);
	int rc = tobj_put(oc, "bkt", "k", "v2", 2, NULL);
	ck_assert_msg(rc == OBJ_EUNAVAILABLE, "isolated put: %d", rc);
	uint8_t *data = NULL;
	size_t len = 0;
	rc = tobj_get(oc, "bkt", "k", NULL, 64, &data, &len);
	ck_assert_msg(rc == OBJ_EUNAVAILABLE, "isolated get: %d", rc);
	void *v = NULL;
	size_t vl = 0;
	rc = store_get(r[cut].s, "warm", 4, &v, &vl);
	ck_assert_int_eq(rc, STORE_EUNAVAILABLE);
	/* The majority commits meanwhile. */
	ck_assert_int_eq(tobj_put(ol, "bkt", "k", "v3", 2, NULL), 0);

	tnet_isolate(net, (uint64_t)cut + 1, false);
	rc = -1;
	for (int i = 0; i < 20 && rc != 0; i++) {
		free(data);
		data = NULL;
		rc = tobj_get(oc, "bkt", "k", NULL, 64, &data, &len);
	}
	ck_assert_int_eq(rc, 0);
	/* The isolated put was never acknowledged; whether it committed is
	 * unknown to its caller, but v3 came after it in any order the
	 * majority chose, and v3 is what every node reads now. */
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(data, "v3", 2);
	free(data);
	obj_free(oc);
	obj_free(ol);
	for (int i = N3 - 1; i >= 0; i--)
		rnode_close(&r[i], net, (uint64_t)i + 1);
	tnet_free(net);
	test_tmpdir_free(root);
}
END_TEST

static int submit_lazy_put(struct store *s, const char *k, const char *v)
{
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	store_batch_set_lazy(b, true);
	ck_assert_int_eq(store_batch_put(b, k, strlen(k), v, strlen(v)), 0);
	int rc = store_submit(s, b, NULL);
	store_batch_free(b);
	return rc;
}

static uint64_t commit_of(struct store *s)
{
	struct raft_node_status st;
	raft_node_status(store_raft_node(s), &st);
	return st.commit;
}

struct get_arg {
	struct store *s;
	const char *key;
	int rc;
};

static void *get_thread(void *p)
{
	struct get_arg *a = p;
	void *v = NULL;
	size_t n = 0;
	a->rc = store_get(a->s, a->key, strlen(a->key), &v, &n);
	free(v);
	return NULL;
}

/* Lazy batches without conditions travel in the thread's next entry
 * (store.h, "Lazy durability"): the thread reads its own held writes; the
 * next batch's conditions see them; a failed condition still applies them;
 * one entry carries both; once carried every thread and a restart see them. */
START_TEST(store_raft_lazy_carried)
{
	char *root = test_tmpdir_new("sraftl");
	struct tnet *net = tnet_new();
	struct rnode r;
	rnode_open(&r, net, root, 1, 1);
	uint64_t c0 = commit_of(r.s);
	ck_assert_int_eq(submit_lazy_put(r.s, "i/1", "inflight"), 0);
	ck_assert_int_eq(submit_lazy_put(r.s, "c/1", "chunk"), 0);
	expect_value(r.s, "c/1", "chunk"); /* this thread sees its own */
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_EXISTS, "i/1", 3, NULL, 0), 0);
	ck_assert_int_eq(store_batch_put(b, "m/1", 3, "meta", 4), 0);
	ck_assert_int_eq(store_batch_del(b, "i/1", 3), 0);
	ck_assert_int_eq(store_submit(r.s, b, NULL), 0);
	ck_assert_uint_eq(commit_of(r.s), c0 + 1); /* one entry for all three */
	struct get_arg ga = {r.s, "c/1", -1};
	pthread_t th;
	pthread_create(&th, NULL, get_thread, &ga);
	pthread_join(th, NULL);
	ck_assert_int_eq(ga.rc, 0);
	expect_value(r.s, "i/1", NULL);
	expect_value(r.s, "m/1", "meta");

	/* A failed condition: the carried lazy write still lands. */
	ck_assert_int_eq(submit_lazy_put(r.s, "c/2", "chunk2"), 0);
	store_batch_clear(b);
	ck_assert_int_eq(store_batch_cond(b, STORE_COND_ABSENT, "m/1", 3, NULL, 0), 0);
	ck_assert_int_eq(store_batch_put(b, "m/1", 3, "other", 5), 0);
	size_t failed = 9;
	ck_assert_int_eq(store_submit(r.s, b, &failed), STORE_ECOND);
	ck_assert_uint_eq(failed, 0);
	ga = (struct get_arg){r.s, "c/2", -1};
	pthread_create(&th, NULL, get_thread, &ga);
	pthread_join(th, NULL);
	ck_assert_int_eq(ga.rc, 0);

	/* A value handle sees a held write (it is proposed first). */
	ck_assert_int_eq(submit_lazy_put(r.s, "c/3", "pinned"), 0);
	struct store_value *v = NULL;
	ck_assert_int_eq(store_value_open(r.s, "c/3", 3, &v), 0);
	ck_assert_uint_eq(store_value_len(v), 6);
	store_value_close(v);
	store_batch_free(b);
	rnode_close(&r, net, 1);
	rnode_open(&r, net, root, 1, 1);
	expect_value(r.s, "c/1", "chunk");
	expect_value(r.s, "c/2", "chunk2");
	expect_value(r.s, "c/3", "pinned");
	expect_value(r.s, "m/1", "meta");
	rnode_close(&r, net, 1);
	tnet_free(net);
	test_tmpdir_free(root);
}
END_TEST

/* A follower that was down while the others wrote and compacted their logs
 * catches up by snapshot: store_raft's install swaps its engine directory
 * (while reads may be in flight) and it then reads everything written. */
START_TEST(store_raft_snapshot_catch_up)
{
	char *root = test_tmpdir_new("sraftsn");
	struct tnet *net = tnet_new();
	struct rnode r[N3];
	snapshot_entries = 16;
	for (int i = 0; i < N3; i++)
		rnode_open(&r[i], net, root, (uint64_t)i + 1, N3);
	put_until_leader(r[0].s, "before", "down");
	uint64_t leader = leader_of(r);
	size_t down = leader == 3 ? 1 : 2, up = leader - 1;
	rnode_close(&r[down], net, (uint64_t)down + 1);
	char k[32], v[32];
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof k, "k%03d", i);
		snprintf(v, sizeof v, "v%d", i * 7);
		ck_assert_int_eq(put_str(r[up].s, k, v), 0);
	}
	struct raft_node_status st;
	raft_node_status(store_raft_node(r[up].s), &st);
	ck_assert_uint_gt(st.first_index, 10); /* compacted past what it has */
	rnode_open(&r[down], net, root, (uint64_t)down + 1, N3);
	/* Reads on the returning node wait for it to catch up (ReadIndex);
	 * a wait longer than propose_timeout_ms answers "unavailable". */
	int rc = STORE_EUNAVAILABLE;
	for (int i = 0; i < 40 && rc == STORE_EUNAVAILABLE; i++) {
		void *val = NULL;
		size_t n = 0;
		rc = store_get(r[down].s, "before", 6, &val, &n);
		free(val);
	}
	ck_assert_msg(rc == 0, "read after restart: %s", store_strerror(rc));
	expect_value(r[down].s, "before", "down");
	for (int i = 0; i < 200; i++) {
		snprintf(k, sizeof k, "k%03d", i);
		snprintf(v, sizeof v, "v%d", i * 7);
		expect_value(r[down].s, k, v);
	}
	raft_node_status(store_raft_node(r[down].s), &st);
	ck_assert_uint_gt(st.snapshot_index, 0);
	char *d_up = dump(r[up].s), *d_down = dump(r[down].s);
	ck_assert_str_eq(d_up, d_down);
	free(d_up);
	free(d_down);
	for (int i = N3 - 1; i >= 0; i--)
		rnode_close(&r[i], net, (uint64_t)i + 1);
	snapshot_entries = 0;
	tnet_free(net);
	test_tmpdir_free(root);
}
END_TEST

Suite *suite_object_store_raft(void)
{
	Suite *s = suite_create("object_store_raft");
	TCase *tc = tcase_create("raft");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, store_raft_single);
	tcase_add_test(tc, store_raft_three_nodes);
	tcase_add_test(tc, store_raft_minority_unavailable);
	tcase_add_test(tc, store_raft_lazy_carried);
	tcase_add_test(tc, store_raft_snapshot_catch_up);
	suite_add_tcase(s, tc);
	return s;
}
