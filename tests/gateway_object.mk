# Tests of the object layer (gateway/object*, store*, gc): tests/check_object.
# The suites run on the memory store (tests/test_object_memstore.c) and,
# when the engine library is built, on the local adapter over the engine.

check_PROGRAMS += tests/check_object
TESTS += tests/check_object
tests_check_object_SOURCES = \
	tests/check_object.c \
	tests/test_object.h \
	tests/test_object_backend.c \
	tests/test_object_memstore.c \
	tests/test_object_meta.c \
	tests/test_object_store.c \
	tests/test_object_ops.c \
	tests/test_object_list.c \
	tests/test_object_multipart.c \
	tests/test_object_gc.c \
	tests/test_object_model.c
tests_check_object_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(CRYPTO_CFLAGS)
tests_check_object_LDADD = gateway/libobject.a tests/libtestutil.a \
	$(CHECK_LIBS) $(CRYPTO_LIBS)
