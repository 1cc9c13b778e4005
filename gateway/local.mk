# gateway/: see DESIGN.md. Sources are added here as the module grows.
#
# libgateway.a: request authentication and integrity, independent of the
# HTTP library: SigV4 verification and signing, the aws-chunked decoder,
# and the checksums S3 clients declare (MD5, SHA-1, SHA-256, CRC32, CRC32C,
# CRC64NVME) with base64.  The object layer is gateway/libobject.a
# (gateway/object.mk).
noinst_LIBRARIES += gateway/libgateway.a
gateway_libgateway_a_SOURCES = \
	gateway/base64.c gateway/base64.h \
	gateway/crc64nvme.c gateway/crc64nvme.h \
	gateway/checksum.c gateway/checksum.h \
	gateway/sigv4.c gateway/sigv4_parse.c gateway/sigv4_parse.h \
	gateway/sigv4_sign.c gateway/sigv4.h \
	gateway/aws_chunked.c gateway/aws_chunked.h \
	gateway/tagging.c gateway/tagging.h
gateway_libgateway_a_CFLAGS = $(AM_CFLAGS) $(CRYPTO_CFLAGS) $(ISAL_CFLAGS)
GATEWAY_AUTH_LIBS = gateway/libgateway.a $(CRYPTO_LIBS) $(ISAL_LIBS)

include %D%/object.mk

include %D%/server.mk
