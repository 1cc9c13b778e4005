/*
 * raft.h — the Raft consensus core: a pure, deterministic state machine.
 *
 * Shaped like etcd's raft.  Inputs: messages (raft_step), time as ticks
 * (raft_tick), proposals (raft_propose, raft_propose_conf_change), read
 * requests (raft_read_index), leadership transfer.  Output: a ready record
 * (raft_ready) that lists what to persist, what to send and what to apply;
 * the driver does it, in the order documented at struct raft_ready, then
 * calls raft_advance().  The stable log is read through a read-only storage
 * interface (struct raft_storage) that the driver owns and writes.
 *
 * No sockets, threads, files, clocks or global state inside; randomness
 * comes from config.seed.  Same inputs, same outputs.
 *
 * Threading: a struct raft is not thread safe; one thread at a time.
 *
 * Memory: every pointer the core hands out (in a ready record, in messages)
 * is owned by the core and stays valid until the matching raft_advance() or
 * raft_free(), whichever comes first.  Every pointer the caller passes in is
 * borrowed for the duration of the call only; the core copies what it keeps.
 *
 * Membership change: single-server changes (add learner, promote learner to
 * voter, remove), one in flight at a time, taking effect when APPLIED (as
 * etcd does), i.e. inside raft_advance() for the committed conf-change
 * entries of that ready.  The safety argument is at raft/confchange.c.
 *
 * API change log (raft-sim: watch this list):
 *   v1 (initial).
 */
#ifndef VS_RAFT_RAFT_H
#define VS_RAFT_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most nodes (voters + learners) in one configuration: bounds every array. */
#define RAFT_NODES_MAX 16
/* Node id 0 means "none" (no vote, no known leader). */
#define RAFT_NONE 0

/*
 * Error codes: negative, in their own range, below -1000 so they never clash
 * with -errno.  raft_strerror() names them.
 */
enum raft_err {
	RAFT_ERR_NOT_LEADER = -1001,  /* operation needs the leader */
	RAFT_ERR_NO_LEADER = -1002,   /* follower knows no leader to forward to */
	RAFT_ERR_PENDING_CONF = -1003,/* a conf change is already in flight */
	RAFT_ERR_TRANSFERRING = -1004,/* leadership transfer in progress */
	RAFT_ERR_BUSY = -1005,        /* a bounded queue is full; retry later */
	RAFT_ERR_INVALID = -1006,     /* bad argument (unknown node, bad type) */
	RAFT_ERR_COMPACTED = -1007,   /* storage: index is before first_index */
	RAFT_ERR_UNAVAILABLE = -1008, /* storage: index is after last_index */
	RAFT_ERR_CORRUPT = -1009,     /* storage/codec: inconsistent or bad bytes */
	RAFT_ERR_TOO_BIG = -1010,     /* entry larger than config.max_entry_bytes */
	RAFT_ERR_VERSION = -1011,     /* codec: unknown format version */
};
/* A static string naming a raft or errno code; never NULL. */
const char *raft_strerror(int err);

enum raft_role {
	RAFT_FOLLOWER = 0,
	RAFT_PRE_CANDIDATE = 1,
	RAFT_CANDIDATE = 2,
	RAFT_LEADER = 3,
};
const char *raft_role_name(enum raft_role role);

enum raft_entry_type {
	RAFT_ENTRY_NORMAL = 0, /* application command (or empty: leader no-op) */
	RAFT_ENTRY_CONF = 1,   /* data is an encoded struct raft_conf_change */
};

/*
 * A log entry.  data is NULL iff len == 0.  Ownership depends on where the
 * entry is found; see each place.
 */
struct raft_entry {
	uint64_t term;
	uint64_t index;
	uint8_t type; /* enum raft_entry_type */
	uint32_t len;
	uint8_t *data;
};

/*
 * The durable hard state: one atomic record (Raft §5.1 Figure 2 "persistent
 * state": currentTerm, votedFor; plus commit, as etcd keeps it).
 */
struct raft_hard_state {
	uint64_t term;
	uint64_t vote;   /* RAFT_NONE or the node voted for in term */
	uint64_t commit; /* highest index known committed */
};

/* A configuration: voters and learners, each list sorted ascending, disjoint. */
struct raft_conf_state {
	uint32_t n_voters;
	uint32_t n_learners;
	uint64_t voters[RAFT_NODES_MAX];
	uint64_t learners[RAFT_NODES_MAX];
};

/* What a snapshot covers: state up to and including index (of term). */
struct raft_snapshot_meta {
	uint64_t index;
	uint64_t term;
	struct raft_conf_state conf; /* configuration as of index */
};

/*
 * A snapshot: its metadata plus opaque application bytes (may be empty when
 * the driver streams the state out of band, as issue 5 does).
 */
struct raft_snapshot {
	struct raft_snapshot_meta meta;
	size_t len;
	uint8_t *data; /* NULL iff len == 0 */
};

enum raft_conf_change_type {
	RAFT_CC_ADD_LEARNER = 1, /* add a non-voting member that catches up */
	RAFT_CC_PROMOTE = 2,     /* make an existing learner a voter */
	RAFT_CC_REMOVE = 3,      /* remove a voter or learner */
};
struct raft_conf_change {
	uint8_t type; /* enum raft_conf_change_type */
	uint64_t node;
};
/* Size of an encoded conf change (entry data of RAFT_ENTRY_CONF). */
#define RAFT_CONF_CHANGE_BYTES 10
/* Encodes cc into out[RAFT_CONF_CHANGE_BYTES]. */
void raft_conf_change_encode(const struct raft_conf_change *cc,
			     uint8_t out[RAFT_CONF_CHANGE_BYTES]);
/* Decodes; 0 or RAFT_ERR_CORRUPT (bad length, version or type, node 0). */
int raft_conf_change_decode(const uint8_t *data, size_t len,
			    struct raft_conf_change *cc);

enum raft_msg_type {
	RAFT_MSG_APPEND = 1,          /* AppendEntries (§5.3); heartbeats separate */
	RAFT_MSG_APPEND_RESP = 2,     /* also acknowledges RAFT_MSG_SNAPSHOT */
	RAFT_MSG_VOTE = 3,            /* RequestVote (§5.2) */
	RAFT_MSG_VOTE_RESP = 4,
	RAFT_MSG_PREVOTE = 5,         /* thesis §9.6: term is the would-be term */
	RAFT_MSG_PREVOTE_RESP = 6,
	RAFT_MSG_HEARTBEAT = 7,       /* leader liveness + commit + read round */
	RAFT_MSG_HEARTBEAT_RESP = 8,
	RAFT_MSG_SNAPSHOT = 9,        /* InstallSnapshot (§7) */
	RAFT_MSG_TIMEOUT_NOW = 10,    /* leader transfer: campaign now (thesis §3.10) */
	RAFT_MSG_READ_INDEX = 11,     /* follower -> leader: read index for ctx */
	RAFT_MSG_READ_INDEX_RESP = 12,/* leader -> follower: index for ctx */
};
#define RAFT_MSG_TYPE_MAX 12
const char *raft_msg_type_name(int type);

/*
 * A message between nodes.  Field use by type (unused fields are 0):
 *   APPEND:       index/log_term = entry preceding entries[]; commit =
 *                 leader commit; entries[] (possibly none: a probe).
 *   APPEND_RESP:  reject=0: index = highest index now known to match.
 *                 reject=1: index = the rejected APPEND's index;
 *                 reject_hint/log_term = follower's hint (fast backtracking,
 *                 §5.3 end): the last index <= the rejected index whose
 *                 term <= the APPEND's log_term, and that index's term.
 *   VOTE/PREVOTE: index/log_term = candidate's last entry (§5.4.1);
 *                 transfer=1 when caused by a leader transfer (overrides
 *                 the leader lease).
 *   *_VOTE_RESP:  reject=1 refuses.  term: see raft_step.
 *   HEARTBEAT:    commit = min(leader commit, follower's match); ctx = the
 *                 read round being confirmed (0: none).
 *   HEARTBEAT_RESP: ctx echoed.
 *   SNAPSHOT:     snapshot (meta + data).
 *   READ_INDEX:   ctx = the caller's request id.
 *   READ_INDEX_RESP: ctx echoed, index = read index; reject=1: refused
 *                 (no longer leader / not yet committed in term).
 * entries and snapshot.data: in messages from the core, owned by the core
 * (see top); in messages passed to raft_step, borrowed for the call.
 */
struct raft_msg {
	uint8_t type; /* enum raft_msg_type */
	uint8_t reject;
	uint8_t transfer;
	uint64_t from;
	uint64_t to;
	uint64_t term;
	uint64_t log_term;
	uint64_t index;
	uint64_t commit;
	uint64_t reject_hint;
	uint64_t ctx;
	size_t n_entries;
	struct raft_entry *entries;
	struct raft_snapshot snapshot; /* only RAFT_MSG_SNAPSHOT */
};

/* A ReadIndex result: once applied >= index, a read for ctx is linearizable. */
struct raft_read_state {
	uint64_t index;
	uint64_t ctx;
};

/*
 * The stable log and durable state, read-only to the core, written by the
 * driver as it executes ready records.  All callbacks get ctx first.  Data
 * pointers returned are borrowed until the core's next storage call (the
 * core copies them at once).  Entry indexes in storage are contiguous from
 * first_index to last_index; the entry at first_index - 1 is the snapshot
 * (its term is still answered by term()).
 */
struct raft_storage {
	void *ctx;
	/*
	 * The durable hard state and the configuration as of config.applied
	 * (for a new cluster: the initial voters, empty log, zero hard state).
	 * Called once, from raft_new.  Returns 0 or a negative error.
	 */
	int (*initial_state)(void *ctx, struct raft_hard_state *hs,
			     struct raft_conf_state *conf);
	/* Index of the first entry still in the log (snapshot index + 1). */
	uint64_t (*first_index)(void *ctx);
	/* Index of the last entry, or the snapshot index if the log is empty. */
	uint64_t (*last_index)(void *ctx);
	/*
	 * Term of entry i, for first_index - 1 <= i <= last_index.  Returns 0,
	 * RAFT_ERR_COMPACTED (i < first_index - 1) or RAFT_ERR_UNAVAILABLE.
	 */
	int (*term)(void *ctx, uint64_t i, uint64_t *term);
	/*
	 * Entries [lo, hi), first_index <= lo < hi <= last_index + 1, into
	 * out[0 .. hi-lo), stopping early once their data exceeds max_bytes but
	 * always returning at least one.  *n = how many.  0 or an error.
	 */
	int (*entries)(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes,
		       struct raft_entry *out, size_t *n);
	/* The latest snapshot (meta index 0 if none).  0 or an error. */
	int (*snapshot)(void *ctx, struct raft_snapshot *out);
};

/* Log callback: one line per event, no trailing newline; level 0..3. */
typedef void (*raft_log_fn)(void *log_ctx, int level, const char *line);

struct raft_config {
	uint64_t id; /* this node, != RAFT_NONE */
	/*
	 * Election timeout in ticks (randomized per term in [election_tick,
	 * 2*election_tick), §5.2) and heartbeat interval; heartbeat_tick <
	 * election_tick.  Typical: 10 and 1.
	 */
	unsigned election_tick;
	unsigned heartbeat_tick;
	/* Last index applied to the state machine (restart); 0 for new. */
	uint64_t applied;
	/* Byte bound of the entries in one APPEND (at least one is sent). */
	uint64_t max_msg_bytes;
	/* Flow control per follower: APPENDs in flight, and their bytes. */
	uint32_t max_inflight_msgs;
	uint64_t max_inflight_bytes; /* 0: unbounded */
	/* Largest proposal accepted (RAFT_ERR_TOO_BIG above). 0: 64 MiB. */
	uint32_t max_entry_bytes;
	/* Committed entries handed out per ready, by bytes (>= 1 entry). */
	uint64_t max_committed_bytes; /* 0: unbounded */
	bool pre_vote;     /* thesis §9.6 */
	bool check_quorum; /* thesis §6.2; also enables the leader lease */
	/*
	 * Leaders serve reads from a clock lease (the node layer, thesis
	 * §6.4.1): a freshly started node then also refuses votes for its
	 * first election timeout, as if it had just heard from a leader.  It
	 * may have acknowledged a leader's heartbeat just before it crashed,
	 * and that leader still counts on its refusal.  Needs check_quorum.
	 */
	bool lease_guard;
	uint64_t seed;     /* drives randomized timeouts */
	raft_log_fn log;   /* may be NULL */
	void *log_ctx;
};
/* Fills cfg with defaults (id and seed 0: set them). */
void raft_config_default(struct raft_config *cfg);

/*
 * The ready record.  The driver must, in this order:
 *   1. send msgs[] (they do not depend on this ready's persistence);
 *   2. if has_snapshot: persist the snapshot, and make storage reflect it
 *      (log replaced: entries <= snapshot.meta.index discarded; if the log
 *      has the snapshot's index with its term, the suffix may be kept);
 *   3. persist entries[]: first delete every stored entry with index >=
 *      entries[0].index (the truncation they imply), then append them;
 *   4. if has_hard_state: persist hs (one atomic record);
 *      steps 2-4 must be durable (fsync) before step 5; a crash may keep
 *      any prefix of 2..4 in order, so write hs last (or all atomically);
 *   5. send msgs_after_persist[];
 *   6. if has_snapshot: restore the state machine from it;
 *   7. apply committed[] in order (they are already durable locally);
 *   8. serve read_states[] once applied >= their index;
 *   9. raft_advance(r, &rd).
 * Between raft_ready() and raft_advance() no other raft_* call that changes
 * the node is allowed (asserted).  All pointers here are owned by the core
 * and valid until raft_advance().
 */
struct raft_ready {
	/* Soft state, informational: always filled. */
	enum raft_role role;
	uint64_t leader;

	bool has_hard_state;
	struct raft_hard_state hs;

	bool has_snapshot;
	struct raft_snapshot snapshot;

	size_t n_entries;
	struct raft_entry *entries; /* contiguous, ascending index */

	size_t n_msgs;
	struct raft_msg *msgs;
	size_t n_msgs_after_persist;
	struct raft_msg *msgs_after_persist;

	size_t n_committed;
	struct raft_entry *committed; /* contiguous, from applied + 1 */

	size_t n_read_states;
	struct raft_read_state *read_states;
};

/* Progress of one peer as the leader sees it (§5.3 nextIndex/matchIndex). */
enum raft_progress_state {
	RAFT_PROGRESS_PROBE = 0,     /* one APPEND at a time until a match */
	RAFT_PROGRESS_REPLICATE = 1, /* pipelined, bounded by in-flight limits */
	RAFT_PROGRESS_SNAPSHOT = 2,  /* waiting for a snapshot to be applied */
};
struct raft_peer_status {
	uint64_t id;
	bool learner;
	uint8_t state; /* enum raft_progress_state */
	uint64_t match;
	uint64_t next;
	uint32_t inflight_msgs;
	uint64_t inflight_bytes;
	bool recent_active;
};

/* A copy of the node's state, for drivers, invariant checks and tests. */
struct raft_status {
	uint64_t id;
	enum raft_role role;
	uint64_t leader;
	struct raft_hard_state hs; /* current, possibly not yet durable */
	uint64_t applied;
	uint64_t first_index; /* first index still in storage */
	uint64_t last_index;  /* last index in the log, durable or not */
	uint64_t stable_index;/* last index known durable (entries persisted) */
	uint64_t pending_conf_index; /* leader: last conf change index or 0 */
	uint64_t transfer_target;    /* leader: RAFT_NONE if none */
	struct raft_conf_state conf; /* configuration in effect */
	uint32_t n_peers;            /* leader only: progress of every member */
	struct raft_peer_status peers[2 * RAFT_NODES_MAX];
};

struct raft; /* opaque */

/*
 * Creates a node from cfg and storage (both copied; storage->ctx must stay
 * valid until raft_free).  Reads initial_state; the node starts as follower
 * at the durable term.  *out owned by the caller (raft_free).  Returns 0,
 * RAFT_ERR_INVALID (bad config), RAFT_ERR_CORRUPT (hard state commit beyond
 * the log, applied beyond commit), a storage error or -ENOMEM.
 */
int raft_new(const struct raft_config *cfg, const struct raft_storage *storage,
	     struct raft **out);
/* Frees r and everything it owns, including an outstanding ready. NULL ok. */
void raft_free(struct raft *r);

/*
 * One tick of logical time: followers count towards an election timeout,
 * leaders send heartbeats and check quorum.
 */
void raft_tick(struct raft *r);

/*
 * Feeds a message addressed to this node (m->to == id).  m is borrowed for
 * the call.  Messages from older terms are ignored or answered as Raft §5.1
 * says; a higher term makes this node a follower (except for pre-votes and
 * lease-protected votes, thesis §9.6 / §6.2).  Returns 0, or
 * RAFT_ERR_INVALID for a message that is malformed (wrong type, to != id,
 * entries not contiguous), which is otherwise ignored.
 */
int raft_step(struct raft *r, const struct raft_msg *m);

/*
 * Leader only: appends a normal entry with a copy of data[0..len) and returns
 * its index in *index (may be NULL).  Returns 0, RAFT_ERR_NOT_LEADER,
 * RAFT_ERR_TRANSFERRING, RAFT_ERR_TOO_BIG or -ENOMEM.  Committed only if it
 * survives: the caller matches by (index, term) when it is applied.
 */
int raft_propose(struct raft *r, const void *data, size_t len,
		 uint64_t *index);

/*
 * Leader only: appends a conf change entry.  Refused with
 * RAFT_ERR_PENDING_CONF while an earlier one is not yet applied (including
 * everything in the log when this node became leader, so a new leader first
 * commits its no-op: thesis §4.1 bug fix), RAFT_ERR_INVALID for a change
 * that makes no sense (add an existing node, promote a non-learner, remove
 * an unknown node, remove the last voter).
 */
int raft_propose_conf_change(struct raft *r, const struct raft_conf_change *cc,
			     uint64_t *index);

/*
 * Requests a linearizable read (thesis §6.4).  ctx identifies the request
 * (caller's choice).  A read state {index, ctx} appears in a later ready
 * once the leader has committed an entry in its term and confirmed its
 * leadership with a heartbeat quorum; a follower forwards the request to the
 * leader.  Requests may be lost (leader change, drops): the caller retries
 * after a timeout.  Returns 0, RAFT_ERR_NO_LEADER (follower without leader),
 * RAFT_ERR_BUSY (too many pending) or RAFT_ERR_NOT_LEADER (candidate).
 */
int raft_read_index(struct raft *r, uint64_t ctx);

/*
 * Leader only: transfers leadership to voter target (thesis §3.10): stops
 * accepting proposals, brings target up to date, sends TIMEOUT_NOW.  Aborted
 * after an election timeout.  Returns 0, RAFT_ERR_NOT_LEADER,
 * RAFT_ERR_INVALID (not a voter, or self) or RAFT_ERR_TRANSFERRING.
 */
int raft_transfer_leader(struct raft *r, uint64_t target);

/* Starts an election now (tests, bootstrap).  No-op for learners/leaders. */
void raft_campaign(struct raft *r);

/*
 * The driver has captured the state machine up to index (<= applied) as a
 * snapshot and updated storage (snapshot() returns it; entries <= index may
 * be gone).  The core reads storage again when it needs to; this call checks
 * the claim.  Returns 0 or RAFT_ERR_INVALID (index > applied, or storage
 * does not agree).
 */
int raft_compact(struct raft *r, uint64_t index);

/* True when raft_ready would return something to do. */
bool raft_has_ready(const struct raft *r);
/*
 * Fills *rd with everything to do now (see struct raft_ready).  Must be
 * followed by raft_advance(r, rd) before any other changing call.
 */
void raft_ready(struct raft *r, struct raft_ready *rd);
/*
 * The driver has done everything in rd.  Marks entries/snapshot/hard state
 * durable, counts the leader's own durable entries and the candidate's own
 * durable vote, applies committed conf changes (a leader removed by one
 * steps down), and frees rd's memory.
 */
void raft_advance(struct raft *r, struct raft_ready *rd);

/* Snapshot of the node's state.  Never fails. */
void raft_status(const struct raft *r, struct raft_status *st);
/* The configuration in effect (as of applied conf changes). */
void raft_conf_state(const struct raft *r, struct raft_conf_state *cs);
/* Term of entry i in this node's log (unstable or stable). 0 or error. */
int raft_log_term(const struct raft *r, uint64_t i, uint64_t *term);

#endif /* VS_RAFT_RAFT_H */
