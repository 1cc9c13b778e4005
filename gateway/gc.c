/*
 * gc.c — the collector (see gc.h for what it reclaims and why it is safe).
 *
 * Sweep ordering argument.  The mark phase scans, in this order, in-flight
 * records (I), part records (P), object records (O) and garbage records
 * (G); then the sweep scans chunks (C).  Every transition of an extent
 * moves its reference atomically from an earlier family in that order to
 * a later one (I->P, I->O, P->O, I->G, P->G, O->G) or creates it young:
 * an extent referenced when the mark starts is therefore seen by the scan
 * of the family that holds it when that scan passes it, and an extent
 * whose data id was created after the sweep started is younger than the
 * grace period and skipped.  Deletion of an expired in-flight record makes
 * a late commit of that PUT fail (its commit requires the record), so no
 * object can come to reference chunks the sweep deleted.
 *
 * Assumption: the wall clock does not step back by more than the grace
 * period while a sweep runs (data id ages come from it).
 */
#include "gateway/gc.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/assert.h"
#include "gateway/gc_idset.h"
#include "gateway/object_meta.h"

struct gc {
	struct obj *o;
	struct store *st;
	struct gc_options opts;
	pthread_mutex_t pass_mu; /* one pass at a time */
	pthread_mutex_t mu;      /* stats, thread state */
	pthread_cond_t cv;
	pthread_t thread;
	bool running, stop;
	struct gc_stats stats;
	struct store_batch *b;
	uint32_t pending; /* deletions in b */
};

void gc_options_init(struct gc_options *o)
{
	memset(o, 0, sizeof *o);
	o->interval_ms = 1000;
	o->sweep_every = 600;
	o->grace_ns = 15ull * 60 * 1000000000;
	o->inflight_max_ns = 24ull * 3600 * 1000000000;
	o->batch_keys = 256;
	o->records_per_pass = 10000;
}

static uint64_t gc_now(struct gc *g)
{
	if (g->opts.clock_ns != NULL)
		return g->opts.clock_ns(g->opts.clock_ctx);
	return obj_now_ns(g->o);
}

static void gc_log(struct gc *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void gc_log(struct gc *g, const char *fmt, ...)
{
	if (g->opts.log_fn == NULL)
		return;
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	g->opts.log_fn(g->opts.log_ctx, line);
}

static void stat_add(struct gc *g, uint64_t *f, uint64_t n)
{
	pthread_mutex_lock(&g->mu);
	*f += n;
	pthread_mutex_unlock(&g->mu);
}

/* Submits the pending deletions (lazy: a lost deletion is redone). */
static int gc_flush(struct gc *g)
{
	if (store_batch_op_count(g->b) == 0 &&
	    store_batch_cond_count(g->b) == 0)
		return 0;
	store_batch_set_lazy(g->b, true);
	int rc = store_submit(g->st, g->b, NULL);
	store_batch_clear(g->b);
	g->pending = 0;
	return rc == STORE_ECOND ? 0 : rc; /* a changed record: next time */
}

static int gc_del(struct gc *g, const void *key, size_t len)
{
	int rc = store_batch_del(g->b, key, len);
	if (rc == 0 && ++g->pending >= g->opts.batch_keys)
		rc = gc_flush(g);
	return rc;
}

/* Deletes chunks [0, n) of id; bounded by n. */
static int gc_del_chunks(struct gc *g, const uint8_t *id, uint32_t n)
{
	int rc = 0;
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		struct obj_key k;
		obj_key_chunk(&k, id, i);
		rc = gc_del(g, k.buf, k.len);
	}
	return rc;
}

/* ---- Eager reclamation ---- */

static int eager_one(struct gc *g, const uint8_t *key, size_t kl,
		     const uint8_t *v, size_t vl, uint64_t *chunks)
{
	if (kl != OBJ_GARBAGE_KEY_LEN || vl != 12)
		return OBJ_ECORRUPT;
	uint64_t size = obj_be64_get(v);
	uint32_t cb = obj_be32_get(v + 8);
	if (cb == 0 || size > OBJ_OBJECT_BYTES_MAX)
		return OBJ_ECORRUPT;
	uint32_t n = obj_chunk_count(size, cb);
	int rc = gc_del_chunks(g, key + 9, n);
	/* The record goes last: if a crash cuts the pass short, the chunks
	 * left behind are still recorded. */
	if (rc == 0)
		rc = gc_del(g, key, kl);
	if (rc == 0)
		rc = gc_flush(g);
	if (rc == 0)
		*chunks += n;
	return rc;
}

int gc_run_eager(struct gc *g)
{
	pthread_mutex_lock(&g->pass_mu);
	uint64_t now = gc_now(g), records = 0, chunks = 0;
	uint8_t lo = OBJ_KEY_GARBAGE, hi = OBJ_KEY_GARBAGE + 1;
	struct store_scan *it = NULL;
	int rc = store_scan_new(g->st, &lo, 1, &hi, 1, &it);
	if (rc == 0)
		rc = store_scan_seek(it, &lo, 1);
	while (rc == 0 && store_scan_valid(it) &&
	       records < g->opts.records_per_pass) {
		size_t kl = 0, vl = 0;
		const uint8_t *k = store_scan_key(it, &kl);
		const void *v = NULL;
		if (kl != OBJ_GARBAGE_KEY_LEN) {
			rc = OBJ_ECORRUPT;
			break;
		}
		uint64_t since = obj_be64_get(k + 1);
		if (since > now || now - since < g->opts.grace_ns)
			break; /* ordered by time: the rest are younger */
		uint8_t key[OBJ_GARBAGE_KEY_LEN];
		memcpy(key, k, kl);
		rc = store_scan_value(it, &v, &vl);
		if (rc == 0)
			rc = eager_one(g, key, kl, v, vl, &chunks);
		records++;
		if (rc == 0)
			rc = store_scan_next(it);
	}
	store_scan_free(it);
	pthread_mutex_lock(&g->mu);
	g->stats.passes++;
	g->stats.garbage_records += records;
	g->stats.eager_chunks += chunks;
	if (rc != 0)
		g->stats.errors++;
	pthread_mutex_unlock(&g->mu);
	if (records > 0 || rc != 0)
		gc_log(g, "gc: eager pass reclaimed %" PRIu64 " extents, %" PRIu64
		       " chunks (%s)", records, chunks, obj_strerror(rc));
	pthread_mutex_unlock(&g->pass_mu);
	return rc;
}

/* ---- Mark and sweep ---- */

/* Calls fn for each key of family tag; bounded by the family's size. */
static int scan_family(struct gc *g, uint8_t tag,
		       int (*fn)(struct gc *g, struct gc_idset *live,
				 const uint8_t *k, size_t kl,
				 struct store_scan *it),
		       struct gc_idset *live)
{
	uint8_t lo = tag, hi = (uint8_t)(tag + 1);
	struct store_scan *it = NULL;
	int rc = store_scan_new(g->st, &lo, 1, &hi, 1, &it);
	if (rc == 0)
		rc = store_scan_seek(it, &lo, 1);
	while (rc == 0 && store_scan_valid(it)) {
		size_t kl = 0;
		const uint8_t *k = store_scan_key(it, &kl);
		rc = fn(g, live, k, kl, it);
		if (rc == 0)
			rc = store_scan_next(it);
	}
	store_scan_free(it);
	return rc;
}

static int mark_inflight(struct gc *g, struct gc_idset *live,
			 const uint8_t *k, size_t kl, struct store_scan *it)
{
	const void *v = NULL;
	size_t vl = 0;
	if (kl != 1 + OBJ_DATA_ID_BYTES)
		return OBJ_ECORRUPT;
	int rc = store_scan_value(it, &v, &vl);
	if (rc != 0)
		return rc;
	if (vl != 8)
		return OBJ_ECORRUPT;
	uint64_t t = obj_be64_get(v), now = gc_now(g);
	if (t > now || now - t < g->opts.inflight_max_ns)
		return gc_idset_add(live, k + 1);
	/* A PUT that died long ago: expire it (unless it just changed). */
	rc = store_batch_cond(g->b, STORE_COND_EQUALS, k, kl, v, vl);
	if (rc == 0)
		rc = store_batch_del(g->b, k, kl);
	if (rc == 0)
		rc = gc_flush(g);
	if (rc == 0)
		stat_add(g, &g->stats.inflight_expired, 1);
	return rc;
}

static int mark_meta(struct gc_idset *live, struct store_scan *it)
{
	const void *v = NULL;
	size_t vl = 0;
	struct obj_meta *m = NULL;
	int rc = store_scan_value(it, &v, &vl);
	if (rc == 0)
		rc = obj_meta_decode(v, vl, &m);
	for (uint32_t i = 0; rc == 0 && i < m->extent_count; i++)
		rc = gc_idset_add(live, m->extents[i].id);
	obj_meta_free(m);
	return rc;
}

static int mark_object(struct gc *g, struct gc_idset *live, const uint8_t *k,
		       size_t kl, struct store_scan *it)
{
	(void)g;
	(void)k;
	(void)kl;
	return mark_meta(live, it);
}

/* A part whose upload record is gone is an orphan: drop the record. */
static int mark_part(struct gc *g, struct gc_idset *live, const uint8_t *k,
		     size_t kl, struct store_scan *it)
{
	if (kl < 1 + 4 + OBJ_UPLOAD_ID_LEN + 2 || kl > OBJ_STORE_KEY_MAX)
		return OBJ_ECORRUPT;
	struct obj_key ku = {.len = kl - 4};
	memcpy(ku.buf, k, ku.len);
	ku.buf[0] = OBJ_KEY_UPLOAD;
	void *uv = NULL;
	size_t uvl = 0;
	int rc = store_get(g->st, ku.buf, ku.len, &uv, &uvl);
	free(uv);
	if (rc == 0)
		return mark_meta(live, it);
	if (rc != STORE_ENOTFOUND)
		return rc;
	const void *v = NULL;
	size_t vl = 0;
	rc = store_scan_value(it, &v, &vl);
	if (rc == 0)
		rc = store_batch_cond(g->b, STORE_COND_ABSENT, ku.buf, ku.len,
				      NULL, 0);
	if (rc == 0)
		rc = store_batch_cond(g->b, STORE_COND_EQUALS, k, kl, v, vl);
	if (rc == 0)
		rc = store_batch_del(g->b, k, kl);
	if (rc == 0)
		rc = gc_flush(g);
	if (rc == 0)
		stat_add(g, &g->stats.orphan_parts, 1);
	return rc; /* its chunks are unreferenced now: the sweep takes them */
}

static int mark_garbage(struct gc *g, struct gc_idset *live, const uint8_t *k,
			size_t kl, struct store_scan *it)
{
	(void)g;
	(void)it;
	if (kl != OBJ_GARBAGE_KEY_LEN)
		return OBJ_ECORRUPT;
	return gc_idset_add(live, k + 9); /* eager reclamation's job */
}

/* Walks chunks extent by extent: one seek past each live extent. */
static int sweep_chunks(struct gc *g, const struct gc_idset *live,
			uint64_t start_ns)
{
	uint8_t lo = OBJ_KEY_CHUNK, hi = OBJ_KEY_CHUNK + 1;
	struct store_scan *it = NULL;
	int rc = store_scan_new(g->st, &lo, 1, &hi, 1, &it);
	if (rc == 0)
		rc = store_scan_seek(it, &lo, 1);
	uint8_t cur[OBJ_DATA_ID_BYTES];
	bool deleting = false, have = false;
	while (rc == 0 && store_scan_valid(it)) {
		size_t kl = 0;
		const uint8_t *k = store_scan_key(it, &kl);
		if (kl != OBJ_CHUNK_KEY_LEN) {
			rc = OBJ_ECORRUPT;
			break;
		}
		const uint8_t *id = k + 1;
		if (!have || memcmp(id, cur, OBJ_DATA_ID_BYTES) != 0) {
			memcpy(cur, id, OBJ_DATA_ID_BYTES);
			have = true;
			uint64_t t = obj_data_id_time_ns(id);
			deleting = !gc_idset_has(live, id) && t <= start_ns &&
				   start_ns - t >= g->opts.grace_ns;
			if (deleting) {
				stat_add(g, &g->stats.sweep_extents, 1);
			} else {
				struct obj_key s = {.len = 1 + OBJ_DATA_ID_BYTES};
				memcpy(s.buf, k, s.len);
				if (!obj_key_successor(&s))
					break;
				rc = store_scan_seek(it, s.buf, s.len);
				continue;
			}
		}
		rc = gc_del(g, k, kl);
		if (rc == 0)
			stat_add(g, &g->stats.sweep_chunks, 1);
		if (rc == 0)
			rc = store_scan_next(it);
	}
	if (rc == 0)
		rc = gc_flush(g);
	store_scan_free(it);
	return rc;
}

int gc_run_sweep(struct gc *g)
{
	pthread_mutex_lock(&g->pass_mu);
	uint64_t start = gc_now(g);
	struct gc_stats before;
	gc_stats_get(g, &before);
	struct gc_idset live;
	gc_idset_init(&live);
	int rc = scan_family(g, OBJ_KEY_INFLIGHT, mark_inflight, &live);
	if (rc == 0)
		rc = scan_family(g, OBJ_KEY_PART, mark_part, &live);
	if (rc == 0)
		rc = scan_family(g, OBJ_KEY_OBJECT, mark_object, &live);
	if (rc == 0)
		rc = scan_family(g, OBJ_KEY_GARBAGE, mark_garbage, &live);
	if (rc == 0)
		rc = sweep_chunks(g, &live, start);
	store_batch_clear(g->b);
	g->pending = 0;
	gc_idset_clear(&live);
	struct gc_stats after;
	pthread_mutex_lock(&g->mu);
	g->stats.sweeps++;
	if (rc != 0)
		g->stats.errors++;
	after = g->stats;
	pthread_mutex_unlock(&g->mu);
	gc_log(g, "gc: sweep found %" PRIu64 " unreferenced extents, deleted %"
	       PRIu64 " chunks, expired %" PRIu64 " in-flight, %" PRIu64
	       " orphan parts (%s)", after.sweep_extents - before.sweep_extents,
	       after.sweep_chunks - before.sweep_chunks,
	       after.inflight_expired - before.inflight_expired,
	       after.orphan_parts - before.orphan_parts, obj_strerror(rc));
	pthread_mutex_unlock(&g->pass_mu);
	return rc;
}

/* ---- The thread ---- */

static void gc_count_idle(struct gc *g)
{
	pthread_mutex_lock(&g->mu);
	g->stats.idle_passes++;
	pthread_cond_broadcast(&g->cv); /* tests wait on the count */
	pthread_mutex_unlock(&g->mu);
}

static void *gc_main(void *arg)
{
	struct gc *g = arg;
	uint64_t pass = 0;
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + g->opts.interval_ms * 1000000;
		ts.tv_sec += (time_t)(ns / 1000000000);
		ts.tv_nsec = (long)(ns % 1000000000);
		while (!g->stop &&
		       pthread_cond_timedwait(&g->cv, &g->mu, &ts) == 0)
			;
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->mu);
		if (g->opts.active != NULL && !g->opts.active(g->opts.active_ctx)) {
			gc_count_idle(g);
		} else {
			(void)gc_run_eager(g);
			if (g->opts.sweep_every > 0 &&
			    ++pass % g->opts.sweep_every == 0)
				(void)gc_run_sweep(g);
		}
		pthread_mutex_lock(&g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int gc_new(struct obj *o, const struct gc_options *opts, struct gc **out)
{
	struct gc *g = calloc(1, sizeof *g);
	if (g == NULL)
		return -ENOMEM;
	int rc = store_batch_new(&g->b);
	if (rc != 0) {
		free(g);
		return rc;
	}
	g->o = o;
	g->st = obj_store(o);
	if (opts != NULL)
		g->opts = *opts;
	else
		gc_options_init(&g->opts);
	if (g->opts.batch_keys == 0)
		g->opts.batch_keys = 256;
	if (g->opts.records_per_pass == 0)
		g->opts.records_per_pass = 10000;
	pthread_mutex_init(&g->pass_mu, NULL);
	pthread_mutex_init(&g->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = g;
	return 0;
}

int gc_start(struct gc *g)
{
	pthread_mutex_lock(&g->mu);
	int rc = 0;
	if (!g->running) {
		g->stop = false;
		rc = -pthread_create(&g->thread, NULL, gc_main, g);
		g->running = rc == 0;
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

void gc_stop(struct gc *g)
{
	pthread_mutex_lock(&g->mu);
	bool running = g->running;
	g->stop = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (running)
		pthread_join(g->thread, NULL);
	pthread_mutex_lock(&g->mu);
	g->running = false;
	pthread_mutex_unlock(&g->mu);
}

void gc_free(struct gc *g)
{
	if (g == NULL)
		return;
	gc_stop(g);
	store_batch_free(g->b);
	pthread_mutex_destroy(&g->pass_mu);
	pthread_mutex_destroy(&g->mu);
	pthread_cond_destroy(&g->cv);
	free(g);
}

void gc_stats_get(struct gc *g, struct gc_stats *out)
{
	pthread_mutex_lock(&g->mu);
	*out = g->stats;
	pthread_mutex_unlock(&g->mu);
}
