/*
 * admin.h — the cluster admin API under the path prefix /_veristore/ (no
 * bucket can be named so: S3 bucket names cannot start with '_'),
 * authenticated by SigV4 with the S3 credentials like any request
 * (cluster-common.md):
 *
 *   GET  /_veristore/cluster                        this node's view, JSON
 *   POST /_veristore/cluster/add?id=N&addr=H:P[&promote=1]
 *   POST /_veristore/cluster/remove?id=N
 *   POST /_veristore/cluster/transfer?id=N
 *   POST /_veristore/faults?peer=N&drop=none|out|in|both
 *        (only with VERISTORE_TEST_FAULTS=1 in the environment; else 403
 *        AccessDenied)
 *
 * Answers are JSON: 200 {"ok":true} or the status; a refusal is
 * {"error":"...","leader":N} with 421 (not the leader: ask node N), 409
 * (another change in flight), 400 (bad argument), 503 (no quorum in time,
 * or the outcome is unknown: retry) or 500.
 */
#ifndef VS_GATEWAY_ADMIN_H
#define VS_GATEWAY_ADMIN_H

#include <stddef.h>

#include "gateway/handler.h"
#include "raft/node.h"

#define GW_ADMIN_BUCKET "_veristore"

extern const struct gw_handler gw_handler_admin;

/* The status document (see the top; field names are the contract), in a
 * malloc'd NUL-terminated buffer of *len bytes.  0 or -ENOMEM. */
int gw_admin_status_json(const struct raft_node_status *st, char **out,
			 size_t *len);

#endif /* VS_GATEWAY_ADMIN_H */
