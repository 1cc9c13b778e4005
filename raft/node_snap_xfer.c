/*
 * node_snap_xfer.c — streaming snapshots to followers and receiving them.
 *
 * Not built yet: it waits for raft/snapshot_xfer (branch c5-snap).  Until
 * then a RAFT_MSG_SNAPSHOT is not sent (logged), so a follower behind a
 * compacted log does not catch up.
 */
#include "raft/node_int.h"

int node_xfer_open(struct raft_node *n)
{
	(void)n;
	return 0;
}

void node_xfer_close(struct raft_node *n)
{
	(void)n;
}

bool node_xfer_receiving(struct raft_node *n)
{
	(void)n;
	return false;
}

void node_snap_tick(struct raft_node *n)
{
	(void)n;
}

bool node_snap_send(struct raft_node *n, const struct raft_msg *m)
{
	node_logf(n, 2, "node %llu needs snapshot %llu: snapshot transfer "
		  "not built yet", (unsigned long long)m->to,
		  (unsigned long long)m->snapshot.meta.index);
	return true;
}

void node_snap_frame(struct raft_node *n, uint64_t from, uint8_t type,
		     const uint8_t *data, size_t len)
{
	(void)n;
	(void)from;
	(void)type;
	(void)data;
	(void)len;
}
