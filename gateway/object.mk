# The object layer: store interface, objects, chunks, multipart, GC.
# gateway/: see DESIGN.md.  No HTTP, XML or SigV4 here: the S3 handlers
# (gateway/local.mk) call gateway/object.h and map its codes to S3 errors.

noinst_LIBRARIES += gateway/libobject.a
gateway_libobject_a_SOURCES = \
	gateway/store.h \
	gateway/store_batch.c \
	gateway/store_local.c \
	gateway/store_raft.c \
	gateway/object.h \
	gateway/object_keys.h \
	gateway/object_keys.c \
	gateway/object_meta.h \
	gateway/object_meta.c \
	gateway/object.c \
	gateway/object_bucket.c \
	gateway/object_put.c \
	gateway/object_get.c \
	gateway/object_copy.c \
	gateway/object_tagging.c \
	gateway/object_list.c \
	gateway/object_multipart.c \
	gateway/object_upload_list.c \
	gateway/gc.h \
	gateway/gc.c \
	gateway/gc_idset.h \
	gateway/gc_idset.c
gateway_libobject_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
