/*
 * gc.h — the collector: reclaims the chunks no committed object and no
 * live upload references, through the store interface (so under Raft its
 * deletions go through the log like any other change).
 *
 * Two mechanisms:
 *   - eager: every replace, delete, abort or re-uploaded part records the
 *     extents it made unreachable ('G' records, object_keys.h) in the same
 *     batch; the collector deletes their chunks once grace_ns has passed
 *     since (readers that opened the old metadata get that long);
 *   - sweep (mark and sweep): marks every extent referenced by an in-flight
 *     record, a part of a live upload, an object, or a pending garbage
 *     record, then deletes the chunks of every other extent whose data id
 *     is older than grace_ns.  It also expires in-flight records older
 *     than inflight_max_ns (a crashed PUT) and deletes part records whose
 *     upload is gone (a part that raced an abort).
 *
 * Under Raft it runs on the leader only: the thread skips its passes
 * while gc_options.active says this node is not the leader.  A gc is driven by its thread or, in tests, by calling
 * gc_run_eager/gc_run_sweep directly with an injected clock.
 */
#ifndef VS_GATEWAY_GC_H
#define VS_GATEWAY_GC_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/object.h"

struct gc_options {
	uint64_t interval_ms;     /* between passes; default 1000 */
	uint32_t sweep_every;     /* passes per sweep; default 600 */
	uint64_t grace_ns;        /* default 15 minutes */
	uint64_t inflight_max_ns; /* default 24 hours */
	uint32_t batch_keys;      /* deletions per batch; default 256 */
	uint32_t records_per_pass; /* eager records per pass; default 10000 */
	/* Wall clock (ns since the epoch); NULL = the object layer's. */
	uint64_t (*clock_ns)(void *ctx);
	void *clock_ctx;
	/*
	 * Whether the thread's passes should run now (NULL: always).  Under
	 * Raft the app answers "this node is the leader", so one node
	 * collects and its deletions go through the log; a pass skipped here
	 * counts in gc_stats.idle_passes.  Called from the gc thread.
	 */
	bool (*active)(void *ctx);
	void *active_ctx;
	/* One line per event; NULL = silent.  Called from the gc thread. */
	void (*log_fn)(void *ctx, const char *line);
	void *log_ctx;
};
void gc_options_init(struct gc_options *o);

struct gc_stats {
	uint64_t passes;
	uint64_t sweeps;
	uint64_t garbage_records; /* eager records processed */
	uint64_t eager_chunks;    /* chunks deleted by eager reclamation */
	uint64_t sweep_extents;   /* unreferenced extents found by sweeps */
	uint64_t sweep_chunks;    /* chunks deleted by sweeps */
	uint64_t inflight_expired;
	uint64_t orphan_parts;
	uint64_t errors;
	uint64_t idle_passes;     /* thread passes skipped: not active */
};

struct gc;
/* The layer is borrowed and must outlive the gc. */
int gc_new(struct obj *o, const struct gc_options *opts, struct gc **out);
/* Stops the thread if running, then frees. */
void gc_free(struct gc *g);
/* Starts / stops the background thread (idempotent). */
int gc_start(struct gc *g);
void gc_stop(struct gc *g);
/* One eager pass now, in the caller's thread (not concurrently with the
 * gc thread's own pass: a mutex serialises passes). */
int gc_run_eager(struct gc *g);
/* One sweep now, in the caller's thread. */
int gc_run_sweep(struct gc *g);
void gc_stats_get(struct gc *g, struct gc_stats *out);

#endif /* VS_GATEWAY_GC_H */
