# The S3 server: configuration, credentials, logging, the error table.
noinst_LIBRARIES += gateway/libgwserver.a
gateway_libgwserver_a_SOURCES = \
	gateway/config.c gateway/config.h \
	gateway/credentials.c gateway/credentials.h \
	gateway/log.c gateway/log.h \
	gateway/route.c gateway/route.h \
	gateway/s3_error.c gateway/s3_error.h
