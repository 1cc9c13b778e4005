/*
 * app.c — opening and closing what the handlers use: the cluster (the
 * replicated store under the data directory), the object layer, the
 * signing-key cache, the collector.
 */
#include "gateway/app.h"

#include <stdio.h>
#include <string.h>

#include "gateway/log.h"

/* Signing keys cached: one per (secret, day, region) in use. */
#define KEY_CACHE_ENTRIES 64

static void gc_log(void *ctx, const char *line)
{
	(void)ctx;
	gw_log(GW_LOG_INFO, "gc: %s", line);
}

int gw_app_open(struct gw_app *app, const struct gw_config *cfg)
{
	memset(app, 0, sizeof *app);
	app->cfg = cfg;
	if (gw_cluster_open(cfg, &app->cluster) != 0)
		return -1;
	app->store = gw_cluster_store(app->cluster);
	int rc;
	struct obj_options oo;
	obj_options_init(&oo);
	oo.chunk_bytes = (uint32_t)cfg->chunk_bytes;
	if ((rc = obj_new(app->store, &oo, &app->obj)) != 0 ||
	    (rc = sigv4_key_cache_new(KEY_CACHE_ENTRIES, &app->key_cache)) != 0) {
		gw_log(GW_LOG_ERROR, "cannot start the object layer: %d", rc);
		return -1;
	}
	struct gc_options go;
	gc_options_init(&go);
	go.interval_ms = cfg->gc_interval_s * 1000;
	go.grace_ns = cfg->gc_grace_s * 1000000000ull;
	go.log_fn = gc_log;
	go.active = gw_cluster_is_leader; /* issue 5: leader-only, via the log */
	go.active_ctx = app->cluster;
	if ((rc = gc_new(app->obj, &go, &app->gc)) != 0 || (rc = gc_start(app->gc)) != 0) {
		gw_log(GW_LOG_ERROR, "cannot start the garbage collector: %d", rc);
		return -1;
	}
	return 0;
}

void gw_app_close(struct gw_app *app)
{
	gc_free(app->gc);
	sigv4_key_cache_free(app->key_cache);
	obj_free(app->obj);
	gw_cluster_close(app->cluster);
}

