# The raft cluster simulator and the linearizability checker.
