# xml/: the S3 XML codec (see DESIGN.md and xml/s3xml.h).  Only this module
# includes libxml2.
noinst_LIBRARIES += xml/libs3xml.a
xml_libs3xml_a_SOURCES = \
	xml/s3xml.h \
	xml/writer.h xml/writer.c \
	xml/parse.h xml/parse.c \
	xml/error.c \
	xml/encode_bucket.c xml/encode_list.c xml/encode_multipart.c xml/encode_object.c \
	xml/decode.c
xml_libs3xml_a_CFLAGS = $(AM_CFLAGS) $(XML_CFLAGS)
