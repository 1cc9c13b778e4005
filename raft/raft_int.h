/*
 * raft_int.h — the core's internal state, shared by the raft/ sources and by the
 * behaviour tests (tests/test_raft_*.c).  Not a public header.
 */
#ifndef VS_RAFT_RAFT_INT_H
#define VS_RAFT_RAFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/assert.h"
#include "raft/raft.h"

/* Pending read requests at a leader (bounded queue, thesis §6.4). */
#define RAFT_READS_MAX 1024
/* Default largest proposal. */
#define RAFT_ENTRY_BYTES_DEFAULT (64u << 20)

/*
 * The log: the stable part lives in storage (read-only here), the unstable
 * tail [offset, offset + n) in memory until raft_advance() declares it
 * durable.  A received snapshot not yet persisted is pending here too.
 */
struct raft_log {
	struct raft_storage st;
	struct raft_entry *unstable; /* owned, each data owned */
	size_t n_unstable;
	size_t cap_unstable;
	uint64_t offset; /* index of unstable[0]; storage valid below it */
	bool has_snap;   /* pending snapshot (not yet durable) */
	struct raft_snapshot snap; /* owned data when has_snap */
	uint64_t committed;
	uint64_t applied;
};

struct raft_progress {
	uint64_t id;
	bool learner;
	uint8_t state; /* enum raft_progress_state */
	bool probe_sent;    /* probe: one APPEND outstanding */
	bool recent_active; /* heard from since the last quorum check */
	uint64_t match;
	uint64_t next;
	uint64_t pending_snapshot; /* snapshot state: index sent */
	uint64_t read_acked;       /* highest read round acknowledged */
	/* In-flight APPENDs (replicate state): ring of last index + bytes. */
	uint64_t *infl_index;
	uint64_t *infl_bytes;
	uint32_t infl_start;
	uint32_t infl_count;
	uint32_t infl_cap;
	uint64_t infl_total_bytes;
};

struct raft_read_req {
	uint64_t ctx;
	uint64_t from;  /* RAFT_NONE: local */
	uint64_t index; /* commit index when the round began */
	uint64_t round; /* 0: waiting for the first commit of the term */
};

/* A growable message list; each message's memory is one owned block. */
struct raft_msg_list {
	struct raft_msg *v;
	size_t n;
	size_t cap;
};

struct raft {
	struct raft_config cfg;
	uint64_t id;
	uint64_t term;
	uint64_t vote;
	uint64_t lead;
	enum raft_role role;
	struct raft_log log;

	struct raft_conf_state conf;
	struct raft_progress prs[2 * RAFT_NODES_MAX];
	uint32_t n_prs;

	/* Election (§5.2): votes[i] for voters[i]: 0 none, 1 yes, 2 no. */
	uint8_t votes[RAFT_NODES_MAX];
	bool self_vote_pending; /* candidate: own vote counted once durable */
	unsigned election_elapsed;
	unsigned heartbeat_elapsed;
	unsigned randomized_timeout;
	unsigned boot_ticks; /* ticks since raft_new, up to election_tick */
	uint64_t rng;

	uint64_t pending_conf_index;
	uint64_t transferee;

	/* ReadIndex (thesis §6.4). */
	struct raft_read_req *reads; /* ring of RAFT_READS_MAX */
	size_t reads_start;
	size_t reads_n;
	uint64_t read_round;
	struct raft_read_state *read_states;
	size_t n_read_states;
	size_t cap_read_states;

	struct raft_msg_list msgs;
	struct raft_msg_list msgs_after;

	struct raft_hard_state persisted_hs;
	bool in_ready;
	void *ready_block; /* committed entries handed out, freed at advance */
	uint64_t ready_applied_to;
	/* Set when advance must also count the leader's own durable entries. */
};

/* memory: allocation failure aborts (the pure core has no way back). */
void *raft_xmalloc(size_t n);
void *raft_xrealloc(void *p, size_t n);
void raft_logf(const struct raft *r, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* log.c */
int raft_log_init(struct raft_log *l, const struct raft_storage *st);
void raft_log_free(struct raft_log *l);
uint64_t raft_log_last_index(const struct raft_log *l);
uint64_t raft_log_first_index(const struct raft_log *l);
int raft_log_term_at(const struct raft_log *l, uint64_t i, uint64_t *term);
uint64_t raft_log_last_term(const struct raft_log *l);
bool raft_log_match_term(const struct raft_log *l, uint64_t i, uint64_t t);
bool raft_log_up_to_date(const struct raft_log *l, uint64_t idx, uint64_t t);
void raft_log_append(struct raft_log *l, const struct raft_entry *e,
		     size_t n);
int raft_log_slice(const struct raft_log *l, uint64_t lo, uint64_t hi,
		   uint64_t max_bytes, struct raft_entry **out, size_t *n,
		   void **block);
uint64_t raft_log_find_conflict(const struct raft_log *l,
				const struct raft_entry *e, size_t n);
void raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index,
				    uint64_t term, uint64_t *hint_index,
				    uint64_t *hint_term);
void raft_log_commit_to(struct raft_log *l, uint64_t index);
void raft_log_restore(struct raft_log *l, const struct raft_snapshot *s);
void raft_log_stable_to(struct raft_log *l, size_t n);
uint64_t raft_log_stable_index(const struct raft_log *l);

/* progress.c */
void raft_pr_init(struct raft_progress *pr, uint64_t id, bool learner,
		  uint64_t next, uint32_t infl_cap);
void raft_pr_free(struct raft_progress *pr);
void raft_pr_become_probe(struct raft_progress *pr);
void raft_pr_become_replicate(struct raft_progress *pr);
void raft_pr_become_snapshot(struct raft_progress *pr, uint64_t snap_index);
bool raft_pr_maybe_update(struct raft_progress *pr, uint64_t index);
bool raft_pr_maybe_decr_to(struct raft_progress *pr, uint64_t rejected,
			   uint64_t match_hint);
bool raft_pr_is_paused(const struct raft_progress *pr,
		       const struct raft_config *cfg);
void raft_pr_infl_add(struct raft_progress *pr, uint64_t last,
		      uint64_t bytes);
void raft_pr_infl_free_le(struct raft_progress *pr, uint64_t index);
void raft_pr_infl_free_first(struct raft_progress *pr);
struct raft_progress *raft_pr_find(struct raft *r, uint64_t id);
bool raft_conf_is_voter(const struct raft_conf_state *c, uint64_t id);
bool raft_conf_is_learner(const struct raft_conf_state *c, uint64_t id);
uint64_t raft_quorum_match(const struct raft *r);
void raft_prs_reset(struct raft *r);

/* raft.c (roles, elections, ticks) */
void raft_become_follower(struct raft *r, uint64_t term, uint64_t lead);
void raft_send(struct raft *r, struct raft_msg *m);
void raft_send_owned(struct raft *r, struct raft_msg *m);
bool raft_promotable(const struct raft *r);
bool raft_committed_in_term(const struct raft *r);
void raft_count_own_vote(struct raft *r);

/* replication.c */
bool raft_send_append(struct raft *r, struct raft_progress *pr,
		      bool send_if_empty);
void raft_bcast_append(struct raft *r);
void raft_bcast_heartbeat(struct raft *r);
bool raft_maybe_commit(struct raft *r);
void raft_leader_append_resp(struct raft *r, const struct raft_msg *m);
void raft_leader_heartbeat_resp(struct raft *r, const struct raft_msg *m);
void raft_handle_append(struct raft *r, const struct raft_msg *m);
void raft_handle_heartbeat(struct raft *r, const struct raft_msg *m);
void raft_handle_snapshot(struct raft *r, const struct raft_msg *m);
void raft_leader_self_durable(struct raft *r);

/* read_index.c */
int raft_read_request(struct raft *r, uint64_t ctx, uint64_t from);
void raft_reads_on_commit(struct raft *r);
void raft_reads_on_ack(struct raft *r);
void raft_reads_reset(struct raft *r);
void raft_read_state_add(struct raft *r, uint64_t index, uint64_t ctx);

/* confchange.c */
int raft_conf_change_check(const struct raft *r,
			   const struct raft_conf_change *cc);
void raft_conf_change_apply(struct raft *r, const struct raft_conf_change *cc);
void raft_conf_set(struct raft *r, const struct raft_conf_state *cs);

/* ready.c */
void raft_msg_list_free(struct raft_msg_list *l);

#endif /* VS_RAFT_RAFT_INT_H */
