# Tests of the object layer (gateway/object*, store*, gc): tests/check_object.
# The suites run on the local adapter over the engine in temp dirs
# (TEST_OBJECT_ENGINE); tests/test_object_memstore.c is an in-memory store
# used as the store contract's second implementation and for counting.

check_PROGRAMS += tests/check_object
TESTS += tests/check_object
tests_check_object_SOURCES = \
	tests/check_object.c \
	tests/test_object.h \
	tests/test_object_backend.c \
	tests/test_object_memstore.c \
	tests/test_object_meta.c \
	tests/test_object_store.c \
	tests/test_object_store_raft.c \
	tests/raft_node_test_net.c tests/raft_node_test_net.h \
	tests/test_object_ops.c \
	tests/test_object_list.c \
	tests/test_object_multipart.c \
	tests/test_object_gc.c \
	tests/test_object_model.c \
	tests/test_object_crash.c \
	tests/fault_io.c tests/fault_io.h
tests_check_object_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_OBJECT_ENGINE=1
tests_check_object_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_check_object_LDADD = gateway/libobject.a raft/libraft.a engine/libengine.a \
	tests/libtestutil.a $(CHECK_LIBS) $(CRYPTO_LIBS) $(ENGINE_LIBS)

# The same suites with the engine-backed store replaced by store_raft (a
# cluster of one over the in-memory net): the object layer, its reference
# model and the store contract on the Raft path.
TESTS += tests/check_object_raft.sh
EXTRA_DIST += tests/check_object_raft.sh

# The record decoder's fuzz target; its corpus replays in make check.
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_object_meta
else
check_PROGRAMS += tests/fuzz/fuzz_object_meta
TESTS += tests/fuzz/fuzz_object_meta
endif
tests_fuzz_fuzz_object_meta_SOURCES = tests/fuzz/fuzz_object_meta.c
tests_fuzz_fuzz_object_meta_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
tests_fuzz_fuzz_object_meta_LDADD = $(FUZZ_MAIN) gateway/libobject.a \
	$(CRYPTO_LIBS)
tests_fuzz_fuzz_object_meta_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)

# The store batch decoder (what a replicated store reads from its log).
if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_store_batch
else
check_PROGRAMS += tests/fuzz/fuzz_store_batch
TESTS += tests/fuzz/fuzz_store_batch
endif
tests_fuzz_fuzz_store_batch_SOURCES = tests/fuzz/fuzz_store_batch.c
tests_fuzz_fuzz_store_batch_LDADD = $(FUZZ_MAIN) gateway/libobject.a
tests_fuzz_fuzz_store_batch_LDFLAGS = $(AM_LDFLAGS) $(FUZZER_LINK_FLAGS)
