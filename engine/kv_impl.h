/*
 * kv_impl.h — the engine handle shared by kv.c, iter.c, checkpoint.c and
 * compact.c (internal to engine/).
 *
 * Lock order: the log's append lock (kv_rlog_lock, taken inside
 * kv_rlog_append) -> ix_lock -> the log's segment lock (pins).  ckpt_mu
 * (one checkpoint or compaction at a time) is taken before all of them.
 */
#ifndef VS_ENGINE_KV_IMPL_H
#define VS_ENGINE_KV_IMPL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>

#include "engine/batch.h"
#include "engine/index.h"
#include "engine/kv.h"
#include "engine/record_log.h"

struct kv {
	struct kv_options opts;
	const struct kv_io *io;
	char *dir;
	int lock_fd;
	struct kv_rlog *log;

	/*
	 * Index state: changed only under the append lock and the write side
	 * of ix_lock, so the index always reflects a prefix of the log in log
	 * order.  A write is visible once appended (before its fdatasync in
	 * KV_SYNC_GROUP mode): readers may see a value a crash then loses,
	 * but only one whose writer had not yet been told it was durable.
	 */
	pthread_rwlock_t ix_lock;
	struct kv_index *ix;
	_Atomic uint64_t applied;
	_Atomic int err; /* sticky KV_EREADONLY after an in-memory failure */

	pthread_mutex_t ckpt_mu;
	uint64_t ckpt_seq; /* newest checkpoint file number, under ckpt_mu */

	_Atomic uint64_t writes, compactions, compacted_bytes, checkpoints;

	/* Background threads: interval sync and compaction. */
	pthread_mutex_t bg_mu;
	pthread_cond_t bg_cv;
	bool stopping;
	bool sync_thread_on, compact_thread_on;
	pthread_t sync_thread, compact_thread;
};

void kv_logf(struct kv *kv, enum kv_log_level lv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Applies one decoded entry at segment position (seg, off) to the index. */
int kv_apply_entry(struct kv *kv, const struct kv_ent *e, uint64_t seg,
		   uint64_t off, bool account);

/*
 * One pread of the entry (header + key + value) at off of seg, verified
 * against key, klen and vlen; *ent is malloc'd for the caller.
 */
int kv_read_entry(struct kv *kv, struct kv_rlog_seg *seg, uint64_t off,
		  const void *key, size_t klen, uint32_t vlen,
		  unsigned char **ent);

/* Sleeps on the background condition: true once the engine is stopping. */
bool kv_bg_wait_ms(struct kv *kv, uint64_t ms);

/* Recomputes each segment's live bytes from the index (after open). */
int kv_recount(struct kv *kv);

/* Checkpoints (checkpoint.c). */
struct kv_ckpt_loaded {
	struct kv_rlog_pos pos;
	uint64_t applied;
	uint64_t seq;
	struct kv_rlog_seginfo *segs;
	size_t nsegs;
};
/*
 * Loads the newest valid checkpoint of kv->dir not newer than below into
 * kv->ix; 1 with *out filled, 0 if there is none.
 */
int kv_ckpt_load(struct kv *kv, uint64_t below, struct kv_ckpt_loaded *out);
/* Sets checkpoint seq aside (renamed *.bad): corrupt or unusable. */
int kv_ckpt_discard(struct kv *kv, uint64_t seq);
/* Writes a checkpoint; the excluded segments (being retired) not listed. */
int kv_ckpt_write(struct kv *kv, const uint64_t *exclude, size_t nexclude);

/* Compaction thread body (compact.c). */
void *kv_compact_thread(void *arg);

#endif /* VS_ENGINE_KV_IMPL_H */
