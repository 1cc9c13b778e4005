# raft/: the consensus core (pure: no I/O), see DESIGN.md and raft/raft.h.
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
	raft/codec.c
