# raft/transport*: the TCP implementation of struct raft_net (raft/net.h),
# part of libraft.a; programs that use it also link engine/libengine.a
# $(ENGINE_LIBS) (CRC32C).
raft_libraft_a_SOURCES += \
	raft/transport.h \
	raft/transport_int.h \
	raft/transport.c \
	raft/transport_peer.c
