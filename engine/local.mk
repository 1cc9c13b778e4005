# engine/: the durable KV engine (engine/kv.h).

noinst_LIBRARIES += engine/libengine.a
engine_libengine_a_SOURCES = \
	engine/assert.h \
	engine/batch.c engine/batch.h \
	engine/checkpoint.c \
	engine/compact.c \
	engine/bytes.h engine/crc32c.c engine/crc32c.h \
	engine/index.c engine/index.h \
	engine/io_posix.c \
	engine/iter.c \
	engine/kv.c engine/kv.h engine/kv_impl.h engine/kv_io.h \
	engine/record.c engine/record.h \
	engine/record_log.c engine/record_log.h \
	engine/segment.c engine/segment.h
engine_libengine_a_CFLAGS = $(AM_CFLAGS) $(ISAL_CFLAGS)
# Programs linking engine/libengine.a add $(ENGINE_LIBS).
ENGINE_LIBS = $(ISAL_LIBS)

# veristore-kv, the engine shell: see engine/shell.mk.
include %D%/shell.mk
