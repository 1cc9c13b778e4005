/*
 * node_snapshot.c — local snapshots and log compaction, and installing a
 * snapshot the leader sent.
 *
 * Layout: DIR/snap/<index> is the snapshot covering <index>: the app's
 * directory (app->snapshot_create: an engine checkpoint, flat regular
 * files) plus a copy of the address book (raft-peers).  DIR/snap/tmp-*
 * and DIR/snap/recv are work in progress, removed at start.
 *
 * Order when taking one (never compact ahead of a durable snapshot):
 *   app->sync (everything applied is durable), app->snapshot_create into
 *   a temp dir, address book into it, rename to DIR/snap/<index>; then the
 *   log store's snapshot record + sync, raft_compact, log store compaction;
 *   then older snapshot directories go, unless one is being streamed.
 * Streaming to followers and receiving: node_snap_xfer.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/assert.h"
#include "raft/node_int.h"

void node_snap_path(struct raft_node *n, char *buf, size_t len,
		    uint64_t index)
{
	snprintf(buf, len, "%s/snap/%llu", n->dir, (unsigned long long)index);
}

/* rm -rf of a snapshot directory (flat: regular files only). */
int node_rmdir_flat(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	char p[4096];
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(p, sizeof p, "%s/%s", path, de->d_name) >=
		    (int)sizeof p)
			continue;
		struct stat sb;
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			(void)node_rmdir_flat(p);
		else
			(void)unlink(p);
	}
	closedir(d);
	return rmdir(path) == 0 ? 0 : -errno;
}

/* Removes every entry of DIR/snap except the snapshots keep1 and keep2. */
static void prune(struct raft_node *n, uint64_t keep1, uint64_t keep2)
{
	char root[4096], p[4096];
	snprintf(root, sizeof root, "%s/snap", n->dir);
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char *end;
		unsigned long long idx = strtoull(de->d_name, &end, 10);
		bool numeric = *end == 0 && end != de->d_name;
		if (numeric && (idx == keep1 || idx == keep2))
			continue;
		if (!strcmp(de->d_name, "recv") && n->snap && node_xfer_receiving(n))
			continue;
		if (snprintf(p, sizeof p, "%s/%s", root, de->d_name) <
		    (int)sizeof p)
			(void)node_rmdir_flat(p);
	}
	closedir(d);
}

int node_snap_open(struct raft_node *n)
{
	char root[4096];
	snprintf(root, sizeof root, "%s/snap", n->dir);
	if (mkdir(root, 0755) != 0 && errno != EEXIST)
		return -errno;
	struct raft_snapshot_meta sm;
	raft_log_store_snapshot_meta(n->ls, &sm);
	n->snap_index = sm.index;
	prune(n, sm.index, sm.index);
	return node_xfer_open(n);
}

void node_snap_close(struct raft_node *n)
{
	node_xfer_close(n);
}

/* Takes a snapshot at the applied index; see top for the order.  Driver,
 * under mu (dropped around the app and the disk). */
static int snap_create(struct raft_node *n)
{
	uint64_t index = n->applied;
	struct raft_snapshot_meta meta = {.index = index};
	int rc = raft_log_term(n->r, index, &meta.term);
	if (rc != 0)
		return rc;
	raft_conf_state(n->r, &meta.conf); /* as of applied == index */
	char tmp[4096], dir[4096];
	snprintf(tmp, sizeof tmp, "%s/snap/tmp-%llu", n->dir,
		 (unsigned long long)index);
	node_snap_path(n, dir, sizeof dir, index);
	(void)node_rmdir_flat(tmp);
	pthread_mutex_unlock(&n->mu);
	uint64_t got = 0;
	rc = n->app.sync(n->app.ctx);
	if (rc == 0)
		rc = n->app.snapshot_create(n->app.ctx, tmp, &got);
	pthread_mutex_lock(&n->mu);
	if (rc == 0 && got != index)
		rc = RAFT_ERR_INVALID; /* the app must cover what it applied */
	if (rc == 0)
		rc = node_addrs_save_to(n, tmp);
	if (rc == 0 && rename(tmp, dir) != 0)
		rc = -errno;
	if (rc != 0) {
		(void)node_rmdir_flat(tmp);
		return rc;
	}
	return node_snap_commit(n, &meta);
}

/* The snapshot dir for meta exists: record it in the log, compact. */
int node_snap_commit(struct raft_node *n, const struct raft_snapshot_meta *meta)
{
	int rc = raft_log_store_set_snapshot(n->ls, meta, NULL);
	if (rc == 0)
		rc = raft_log_store_sync(n->ls, 0);
	if (rc != 0)
		return rc; /* log store now read-only: fatal */
	ASSERT(raft_compact(n->r, meta->index) == 0);
	unsigned deleted = 0;
	rc = raft_log_store_compact(n->ls, &deleted);
	if (rc != 0)
		return rc;
	n->snap_index = meta->index;
	n->since_snap = 0;
	node_logf(n, 1, "snapshot taken at index %llu (term %llu), "
		  "%u log segments compacted",
		  (unsigned long long)meta->index,
		  (unsigned long long)meta->term, deleted);
	prune(n, meta->index, n->snap_busy_index);
	return 0;
}

void node_snap_maybe_create(struct raft_node *n)
{
	bool force = n->snap_force;
	n->snap_force = false;
	if (!force && (n->since_snap < n->opts.snapshot_entries ||
		       n->applied <= n->snap_index))
		return;
	if (n->applied == 0)
		return; /* nothing to capture */
	char dir[4096];
	struct stat sb;
	node_snap_path(n, dir, sizeof dir, n->applied);
	if (n->applied == n->snap_index && stat(dir, &sb) == 0)
		return; /* already have it */
	int rc = snap_create(n);
	if (rc != 0) {
		node_logf(n, 2, "snapshot at %llu failed: %s",
			  (unsigned long long)n->applied,
			  raft_log_store_strerror(rc));
		if (raft_log_store_error(n->ls) != 0)
			node_fail(n, rc);
		else
			n->since_snap = 0; /* try again later, not every pass */
	}
}

/* Restores the app from DIR/snap/<meta->index> (ready step 6, or at start
 * after a crash between steps 2 and 6).  Under mu (dropped around the
 * app).  0 or an error (fatal). */
int node_snap_install(struct raft_node *n,
		      const struct raft_snapshot_meta *meta)
{
	char dir[4096], book[4200];
	node_snap_path(n, dir, sizeof dir, meta->index);
	snprintf(book, sizeof book, "%s/%s", dir, NODE_SNAP_PEERS);
	struct stat sb;
	if (stat(dir, &sb) != 0) {
		node_logf(n, 3, "snapshot %llu to install is missing (%s)",
			  (unsigned long long)meta->index, dir);
		return -ENOENT;
	}
	int rc = node_addrs_read(n, book);
	if (rc == 0)
		rc = node_addrs_save(n);
	else if (rc == -ENOENT)
		rc = 0; /* a snapshot without a book: keep ours */
	(void)unlink(book); /* not part of the app's state */
	if (rc != 0)
		return rc;
	pthread_mutex_unlock(&n->mu);
	rc = n->app.snapshot_install(n->app.ctx, dir, meta->index);
	pthread_mutex_lock(&n->mu);
	if (rc != 0) {
		node_logf(n, 3, "installing snapshot %llu failed: %d",
			  (unsigned long long)meta->index, rc);
		return RAFT_NODE_EFAILED;
	}
	n->applied = meta->index;
	n->snap_index = meta->index;
	n->since_snap = 0;
	node_logf(n, 1, "installed snapshot at index %llu (term %llu)",
		  (unsigned long long)meta->index,
		  (unsigned long long)meta->term);
	return 0;
}
