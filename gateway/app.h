/*
 * app.h — what every S3 handler reaches through its request: the settings,
 * the object layer over the store, and the authentication state.  One per
 * process, created by main() before the server starts and freed after it
 * stops; handlers only read it (the layers inside are thread-safe).
 */
#ifndef VS_GATEWAY_APP_H
#define VS_GATEWAY_APP_H

#include "gateway/cluster.h"
#include "gateway/config.h"
#include "gateway/gc.h"
#include "gateway/object.h"
#include "gateway/request.h"
#include "gateway/server.h"
#include "gateway/sigv4.h"
#include "gateway/store.h"

struct gw_app {
	const struct gw_config *cfg;
	struct gw_cluster *cluster; /* transport, Raft node, replicated store */
	struct store *store;        /* the cluster's */
	struct obj *obj;
	struct sigv4_key_cache *key_cache;
	struct gc *gc;     /* the collector (gateway/gc.h) */
};

/*
 * Joins the cluster (gateway/cluster.h: the replicated store over
 * cfg->data_dir/kv and /raft; a cluster of one without --node-id), the
 * object layer over it, the signing-key cache and the collector (started;
 * it collects while this node is the leader).  cfg is borrowed for the
 * app's life.  Returns 0, or -1 after logging why; gw_app_close is safe on
 * a partly opened app.
 */
int gw_app_open(struct gw_app *app, const struct gw_config *cfg);
/* Stops the collector and frees everything; the node stops and the engine
 * syncs as the cluster closes. */
void gw_app_close(struct gw_app *app);

static inline struct gw_app *gw_app_of(const struct gw_request *req)
{
	return (struct gw_app *)gw_server_app(req->server);
}

#endif /* VS_GATEWAY_APP_H */
