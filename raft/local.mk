# raft/: the consensus core (pure: no I/O), see DESIGN.md and raft/raft.h;
# and its log storage on disk (raft/log_store*, over engine/record_log.h:
# programs that use it also link engine/libengine.a $(ENGINE_LIBS)).
noinst_LIBRARIES += raft/libraft.a
raft_libraft_a_SOURCES = \
	raft/raft.h \
	raft/codec.h \
	raft/raft_int.h \
	raft/names.c \
	raft/log.c \
	raft/progress.c \
	raft/raft.c \
	raft/replication.c \
	raft/read_index.c \
	raft/confchange.c \
	raft/ready.c \
	raft/codec.c \
	raft/snapshot_xfer.h \
	raft/snapshot_xfer_int.h \
	raft/snapshot_xfer.c \
	raft/snapshot_xfer_send.c \
	raft/snapshot_xfer_recv.c \
	raft/snapshot_xfer_install.c \
	raft/transport.h \
	raft/transport_int.h \
	raft/transport.c \
	raft/transport_peer.c \
	raft/transport_wire.c \
	raft/log_store.h \
	raft/log_store_int.h \
	raft/log_store.c \
	raft/log_store_record.c \
	raft/log_store_conf.c \
	raft/net.h \
	raft/node.h \
	raft/node_int.h \
	raft/node.c \
	raft/node_propose.c \
	raft/node_read.c \
	raft/node_admin.c \
	raft/node_peers.c \
	raft/node_snapshot.c \
	raft/node_snap_xfer.c
