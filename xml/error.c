/*
 * error.c — the codec's error codes as log text and as the S3 error code the
 * gateway answers with (S3 API reference, "List of error codes").
 */
#include <errno.h>

#include "engine/assert.h"
#include "xml/s3xml.h"

const char *s3xml_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case S3XML_ERR_MALFORMED:
		return "XML not well-formed or not the expected document";
	case S3XML_ERR_DTD:
		return "XML with a DOCTYPE (DTDs and entities are refused)";
	case S3XML_ERR_TOO_LARGE:
		return "XML body larger than allowed";
	case S3XML_ERR_LIMIT:
		return "XML too deep, too many elements or a value too long";
	case S3XML_ERR_TOO_MANY:
		return "too many objects or parts in one request";
	case S3XML_ERR_KEY_TOO_LONG:
		return "object key longer than 1024 bytes";
	case S3XML_ERR_PART_NUMBER:
		return "part number outside 1..10000";
	case S3XML_ERR_ENCODING:
		return "invalid UTF-8 or time out of range in a response";
	case -ENOMEM:
		return "out of memory";
	default:
		return "unknown s3xml error";
	}
}

const char *s3xml_err_s3code(int err)
{
	switch (err) {
	case S3XML_ERR_MALFORMED:
	case S3XML_ERR_DTD:
	case S3XML_ERR_LIMIT:
	case S3XML_ERR_TOO_MANY:
		return "MalformedXML";
	case S3XML_ERR_TOO_LARGE:
		return "MaxMessageLengthExceeded";
	case S3XML_ERR_KEY_TOO_LONG:
		return "KeyTooLongError";
	case S3XML_ERR_PART_NUMBER:
		return "InvalidArgument";
	default:
		return "InternalError";
	}
}

const char *s3xml_checksum_name(enum s3xml_checksum c)
{
	static const char *const names[S3XML_CHECKSUM_COUNT] = {
	    [S3XML_CHECKSUM_CRC32] = "CRC32",
	    [S3XML_CHECKSUM_CRC32C] = "CRC32C",
	    [S3XML_CHECKSUM_CRC64NVME] = "CRC64NVME",
	    [S3XML_CHECKSUM_SHA1] = "SHA1",
	    [S3XML_CHECKSUM_SHA256] = "SHA256",
	};
	ASSERT((unsigned)c < S3XML_CHECKSUM_COUNT);
	return names[c];
}
