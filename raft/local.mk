# raft/: the consensus core (pure: no I/O), see DESIGN.md and raft/raft.h.
noinst_LIBRARIES += raft/libraft.a
raft_libraft_a_SOURCES = \
	raft/raft.h \
	raft/codec.h \
	raft/names.c
