/*
 * raft_sim.h — a deterministic cluster simulator for the raft core.
 *
 * One seed drives everything: the cluster size, a fault profile (how likely
 * drops, duplicates, partitions, crashes, torn disks are), the network's
 * delays, the nodes' tick skew, the clients' operations.  The simulator runs
 * the pure core (raft/raft.h) as a driver would: it persists each ready on a
 * simulated disk in the documented order, in steps, and can crash a node
 * between any two of them; the disk keeps only what was synced, plus, for a
 * crash, an in-order prefix (possibly torn) of what was written since.
 *
 * After every event (message delivery, tick, ready, crash, restart, client
 * request) the invariants of raft_sim_check.c are checked; at the end of a
 * run, faults stop and the cluster must converge (liveness), and the client
 * history must be linearizable (tests/linearizability.h).
 *
 * The files:
 *   raft_sim.c         cluster, driver (ready handling), faults, run loop
 *   raft_sim_disk.c    simulated disk + the raft_storage over it
 *   raft_sim_net.c     in-flight messages (delay, reorder, drop, duplicate)
 *   raft_sim_client.c  clients, the KV state machine, the op codec
 *   raft_sim_check.c   safety invariants
 * This header is internal to them and to raft_sim_main.c.
 */
#ifndef VS_TESTS_RAFT_SIM_H
#define VS_TESTS_RAFT_SIM_H

#include "raft/raft.h"
#include "tests/linearizability.h"
#include "tests/testutil.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Public entry point. */
struct sim_result {
	bool ok;
	char why[512];   /* first failure, if !ok */
	uint64_t steps;  /* simulated steps (10 per nominal tick) */
	uint64_t events; /* events, each followed by an invariant check */
	uint64_t ops, ops_unknown, committed, crashes, elections;
	uint64_t reads, snap_installs, conf_changes, torn_crashes;
	uint64_t lin_steps;
};

/*
 * Runs one seed.  verbose traces every event on stderr.  Returns 0 if the
 * run passed, 1 if it failed (res->why says how).  Never aborts on a core
 * bug it can detect (the core's own ASSERTs may still abort).
 */
int sim_run(uint64_t seed, bool verbose, struct sim_result *res);

/*
 * Deliberately broken drivers, to show the checks have teeth: a run with a
 * mutant must fail on some seeds (tests/check_raft_sim_mutants.sh).
 */
enum sim_mutant {
	SIM_MUTANT_NONE = 0,
	SIM_MUTANT_EARLY_ACK = 1,  /* send msgs_after_persist before persisting */
	SIM_MUTANT_STALE_READ = 2, /* serve reads at once from local state */
};
/* Applies to every later sim_run in this process. */
void sim_set_mutant(enum sim_mutant m);

/* ---- internal ---- */

#define SIM_SLOTS_MAX  9  /* nodes, including spares for membership */
#define SIM_KEYS       5
#define SIM_CLIENTS_MAX 6
#define SIM_STEPS_PER_TICK 10

/* One entry on the simulated disk: data owned by the log holding it. */
struct sim_ent {
	uint64_t term, index;
	uint8_t type;
	uint32_t len;
	uint8_t *data;
	uint64_t chain; /* hash of this entry and every one before it */
};

/* A node's persistent state: hard state, snapshot, entries after it. */
struct sim_log {
	struct raft_hard_state hs;
	struct raft_snapshot_meta snap;
	uint8_t *snap_data;
	size_t snap_len;
	uint64_t snap_chain; /* chain hash of the entries the snapshot covers */
	struct sim_ent *ents; /* ents[k].index == snap.index + 1 + k */
	size_t n, cap;
};

enum sim_wop { SIM_WOP_SNAP, SIM_WOP_ENTS, SIM_WOP_HS };

/* A write since the last sync, kept so a crash can keep a prefix of them. */
struct sim_write {
	enum sim_wop kind;
	struct raft_hard_state hs;
	struct raft_snapshot_meta meta;
	uint8_t *data;
	size_t len;
	uint64_t chain;
	struct sim_ent *ents; /* owned copies */
	size_t n;
};

struct sim;

struct sim_disk {
	struct sim_log durable; /* survives a crash */
	struct sim_log written; /* what the core sees through raft_storage */
	struct sim_write *journal;
	size_t nj, capj;
	struct raft_conf_state boot_conf; /* configuration of a fresh node */
	struct sim *sim;                  /* for log-matching checks */
	int slot;
};

void sim_log_free(struct sim_log *log);
uint64_t sim_log_last(const struct sim_log *log);
/* Term of entry i (snapshot index included); false if not held. */
bool sim_log_term(const struct sim_log *log, uint64_t i, uint64_t *term);
const struct sim_ent *sim_log_ent(const struct sim_log *log, uint64_t i);
uint64_t sim_chain(uint64_t prev, uint64_t term, uint64_t index, uint8_t type,
		   const uint8_t *data, uint32_t len);

void sim_disk_init(struct sim_disk *d, struct sim *s, int slot,
		   const struct raft_conf_state *boot);
void sim_disk_free(struct sim_disk *d);
/* Each returns 0, or -1 when the core's request is inconsistent (reported). */
int sim_disk_write_snap(struct sim_disk *d, const struct raft_snapshot *snap);
int sim_disk_write_ents(struct sim_disk *d, const struct raft_entry *e,
			size_t n);
void sim_disk_write_hs(struct sim_disk *d, const struct raft_hard_state *hs);
void sim_disk_sync(struct sim_disk *d);
/* Crash: keep a prefix of the journal (torn in the middle if tear). */
void sim_disk_crash(struct sim_disk *d, size_t keep, size_t tear_keep);
/* Local compaction (durable at once; journal must be empty). */
void sim_disk_compact(struct sim_disk *d, uint64_t index, uint64_t term,
		      const struct raft_conf_state *conf, const uint8_t *data,
		      size_t len, uint64_t chain);
/* The raft_storage reading d->written. */
struct raft_storage sim_disk_storage(struct sim_disk *d);

/* Messages in flight. */
struct sim_msg {
	uint64_t at, seq;
	struct raft_msg m; /* deep copy: entries and snapshot data owned */
};
struct sim_net {
	struct sim_msg *heap;
	size_t n, cap;
	uint64_t seq;
	bool cut[SIM_SLOTS_MAX][SIM_SLOTS_MAX]; /* cut[a][b]: a -> b lost */
};
void sim_msg_copy(struct raft_msg *dst, const struct raft_msg *src);
void sim_msg_free(struct raft_msg *m);
void sim_net_push(struct sim_net *net, uint64_t at, const struct raft_msg *m);
/* Pops the earliest message due at or before now into *out (owned). */
bool sim_net_pop(struct sim_net *net, uint64_t now, struct sim_msg *out);
void sim_net_free(struct sim_net *net);

/* The replicated state machine: a tiny KV map. */
struct sim_sm {
	uint64_t vals[SIM_KEYS];
	uint64_t applied;
	uint64_t chain; /* sim_chain over every applied entry */
};
#define SIM_SNAP_BYTES (8 * (SIM_KEYS + 2))
void sim_sm_encode(const struct sim_sm *sm, uint8_t out[SIM_SNAP_BYTES]);
int sim_sm_decode(struct sim_sm *sm, const uint8_t *p, size_t len);

/* A client operation as carried in an entry. */
#define SIM_OP_BYTES 36
struct sim_op {
	uint8_t kind; /* enum lin_kind */
	uint16_t client;
	uint32_t seq;
	uint8_t key;
	uint64_t value, expect;
	uint64_t hist; /* index of the op in the history (for resolving) */
};
void sim_op_encode(const struct sim_op *op, uint8_t out[SIM_OP_BYTES]);
int sim_op_decode(struct sim_op *op, const uint8_t *p, size_t len);
/* Applies op; returns the CAS outcome (true for other kinds). */
bool sim_sm_apply_op(struct sim_sm *sm, const struct sim_op *op);

enum sim_slot_state { SIM_SPARE, SIM_MEMBER, SIM_REMOVED };

struct sim_pending_prop {
	uint64_t index;
	int client;
};
struct sim_pending_read {
	uint64_t ctx, index;
	bool has_index;
	int client;
};
#define SIM_PENDING_MAX 32

struct sim_node {
	uint64_t id;
	enum sim_slot_state state;
	bool up; /* process running */
	struct raft *r;
	struct sim_disk disk;
	struct sim_sm sm;
	uint64_t tick_period, next_tick, restart_at;
	struct sim_pending_prop props[SIM_PENDING_MAX];
	size_t n_props;
	struct sim_pending_read reads[SIM_PENDING_MAX];
	size_t n_reads;
	/* Per incarnation, for monotonicity checks. */
	uint64_t seen_commit, seen_applied;
	bool have_prev;
	struct raft_conf_state prev_conf;
	uint64_t durable_commit_seen;
	bool remove_pending; /* a REMOVE of this node was proposed */
};

enum sim_client_state { SIM_C_IDLE, SIM_C_SEND, SIM_C_PENDING };
struct sim_client {
	enum sim_client_state state;
	size_t hist; /* index of the current op in the history */
	uint32_t seq;
	int target;
	uint64_t deadline, retry_at;
	bool accepted; /* a proposal of this op was accepted by a leader */
	uint64_t last_seen[SIM_KEYS];
};

/* The per-seed fault profile. */
struct sim_profile {
	int nodes, voters; /* slots used; initial voters */
	unsigned drop_pm, dup_pm;          /* per mille */
	unsigned delay_min, delay_max;     /* steps */
	unsigned partition_pm;             /* per tick, per mille */
	unsigned crash_pm;                 /* per tick, per mille */
	unsigned crash_in_ready_pm;        /* per ready, per mille */
	unsigned tear_pct;                 /* crash tears a write, percent */
	unsigned skew;   /* tick period differs by up to this many steps */
	unsigned jitter; /* each tick early or late by up to jitter/2 steps */
	unsigned snap_every;               /* entries between local snapshots */
	unsigned conf_pm;                  /* membership change, per tick */
	unsigned transfer_pm;              /* leader transfer, per tick */
	int clients;
	unsigned op_pm;                    /* client op start, per step */
	unsigned keys;                     /* keys in use, <= SIM_KEYS */
	uint64_t op_timeout_ticks;         /* client gives up (about) */
	uint64_t fault_ticks, live_ticks;
};

/* Committed entry records, by index, for the cluster-wide checks. */
struct sim_committed {
	uint64_t *term, *chain;
	uint64_t *commit_term; /* term in which the commit was first seen */
	size_t cap;
	uint64_t max; /* highest index recorded */
};

struct sim_lmap_slot {
	uint64_t index, term, chain;
};

struct sim {
	uint64_t seed;
	bool verbose;
	struct test_rng rng;
	struct sim_profile p;
	struct raft_config base_cfg;
	uint64_t now; /* step */
	uint64_t hist_clock;
	struct sim_node nodes[SIM_SLOTS_MAX];
	struct sim_net net;
	struct sim_client clients[SIM_CLIENTS_MAX];
	struct lin_op *hist;
	size_t n_hist, cap_hist;
	/*
	 * Per history op: when its entry was first applied anywhere (0: not
	 * yet) and the CAS outcome then.  With resolve_unknown, ops whose
	 * client never heard back get their outcome from this omniscient view.
	 */
	uint64_t *first_applied;
	bool *first_ok;
	bool resolve_unknown;
	bool faults_on;
	uint64_t partition_until;
	uint64_t next_id;
	/* checks */
	uint64_t *leader_of_term; /* leader id by term, 0 none */
	size_t cap_terms;
	struct sim_committed com;
	uint64_t max_commit, maj_checked;
	struct sim_lmap_slot *lmap; /* (index, term) -> chain, open addressing */
	size_t lmap_n, lmap_cap;
	uint64_t read_ctx;
	uint64_t conf_seen; /* highest conf-change index counted */
	bool failed;
	struct sim_result *res;
};

/* Records the first failure; later ones are ignored.  printf-style. */
void sim_fail(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_trace(struct sim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* raft_sim_check.c */
void sim_check_log_entry(struct sim *s, int slot, const struct sim_ent *e);
void sim_check_applied(struct sim *s, int slot, uint64_t index, uint64_t term,
		       uint64_t chain);
void sim_check_event(struct sim *s);
void sim_check_free(struct sim *s);

/* raft_sim_client.c */
void sim_clients_step(struct sim *s);
void sim_client_done(struct sim *s, int c, bool ok, uint64_t value);
void sim_client_retry(struct sim *s, int c);
void sim_client_unknown(struct sim *s, int c);
void sim_clients_finish(struct sim *s);
/* The entry carrying op was applied for the first time, with outcome ok. */
void sim_op_first_applied(struct sim *s, const struct sim_op *op, bool ok);
/* After convergence: settles unknown outcomes (if resolve_unknown). */
void sim_clients_resolve(struct sim *s);
bool sim_clients_idle(const struct sim *s);

/* raft_sim.c */
uint64_t sim_rand(struct sim *s, uint64_t n);
bool sim_pm(struct sim *s, unsigned per_mille);
int sim_slot_of(const struct sim *s, uint64_t id);
/* Starts slot k's process from its durable disk. */
void sim_node_start(struct sim *s, int k);
/* Kills slot k's process mid-whatever; its disk keeps what it keeps. */
void sim_node_crash(struct sim *s, int k);

/* raft_sim_faults.c: once per nominal tick while faults are on. */
void sim_faults_tick(struct sim *s);
/* Ends every fault: heals the network, restarts crashed members. */
void sim_faults_stop(struct sim *s);
/* The up leader with the highest term, or -1. */
int sim_leader(struct sim *s);

#endif /* VS_TESTS_RAFT_SIM_H */
