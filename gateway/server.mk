# The S3 server: HTTP, routing, authentication, the body pipeline, the
# operation handlers, and the veristore program.
noinst_LIBRARIES += gateway/libgwserver.a
gateway_libgwserver_a_SOURCES = \
	gateway/admin.c gateway/admin.h \
	gateway/app.c gateway/app.h \
	gateway/cluster.c gateway/cluster.h \
	gateway/auth.c gateway/auth.h \
	gateway/body.c gateway/body.h \
	gateway/config.c gateway/config.h \
	gateway/credentials.c gateway/credentials.h \
	gateway/fs_util.c gateway/fs_util.h \
	gateway/handler.h gateway/handlers.c \
	gateway/http_util.c gateway/http_util.h \
	gateway/log.c gateway/log.h \
	gateway/object_attrs.c gateway/object_attrs.h \
	gateway/request.h \
	gateway/route.c gateway/route.h \
	gateway/s3_bucket.c gateway/s3_delete_objects.c gateway/s3_list.c \
	gateway/s3_multipart.c gateway/s3_object.c gateway/s3_ops.h \
	gateway/s3_tagging.c \
	gateway/s3_error.c gateway/s3_error.h \
	gateway/server.c gateway/server.h
gateway_libgwserver_a_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(CRYPTO_CFLAGS)

# Everything the server links, in dependency order.
VERISTORE_LIBS = gateway/libgwserver.a gateway/libobject.a gateway/libgateway.a \
	xml/libs3xml.a raft/libraft.a engine/libengine.a
VERISTORE_SYSLIBS = $(MHD_LIBS) $(XML_LIBS) $(CRYPTO_LIBS) $(ISAL_LIBS) $(ZLIB_LIBS)

bin_PROGRAMS += veristore
veristore_SOURCES = gateway/main.c
veristore_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
veristore_LDADD = $(VERISTORE_LIBS) $(VERISTORE_SYSLIBS)

# veristore-ctl: the admin API (gateway/admin.h) from the command line.
bin_PROGRAMS += veristore-ctl
veristore_ctl_SOURCES = gateway/ctl_main.c
veristore_ctl_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS)
veristore_ctl_LDADD = $(GATEWAY_AUTH_LIBS)
