# bench/: benchmark programs; each area has its own fragment.
include %D%/engine.mk
include %D%/raft.mk
include %D%/gateway.mk
include %D%/cluster.mk
