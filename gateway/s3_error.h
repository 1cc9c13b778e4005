/*
 * s3_error.h — S3 errors as data.
 *
 * Handlers return an enum s3_error; one table (s3_error.c) maps each to the
 * HTTP status and the S3 error code that clients branch on, following the
 * "List of error codes" in the Amazon S3 API Reference.  No handler writes
 * error XML itself: the server renders the table's entry.
 */
#ifndef VS_GATEWAY_S3_ERROR_H
#define VS_GATEWAY_S3_ERROR_H

enum s3_error {
	S3_OK = 0,
	S3_ACCESS_DENIED,
	S3_AUTHORIZATION_HEADER_MALFORMED,
	S3_BAD_DIGEST,
	S3_BUCKET_ALREADY_EXISTS,
	S3_BUCKET_ALREADY_OWNED_BY_YOU,
	S3_BUCKET_NOT_EMPTY,
	S3_CONDITIONAL_REQUEST_CONFLICT,
	S3_ENTITY_TOO_LARGE,
	S3_ENTITY_TOO_SMALL,
	S3_ILLEGAL_LOCATION_CONSTRAINT,
	S3_INCOMPLETE_BODY,
	S3_INTERNAL_ERROR,
	S3_INVALID_ACCESS_KEY_ID,
	S3_INVALID_ARGUMENT,
	S3_INVALID_BUCKET_NAME,
	S3_INVALID_CHUNK_SIZE,
	S3_INVALID_DIGEST,
	S3_INVALID_PART,
	S3_INVALID_PART_NUMBER,
	S3_INVALID_PART_ORDER,
	S3_INVALID_RANGE,
	S3_INVALID_REQUEST,
	S3_INVALID_STORAGE_CLASS,
	S3_KEY_TOO_LONG,
	S3_MALFORMED_XML,
	S3_METADATA_TOO_LARGE,
	S3_METHOD_NOT_ALLOWED,
	S3_MISSING_CONTENT_LENGTH,
	S3_MISSING_REQUEST_BODY,
	S3_MISSING_SECURITY_HEADER,
	S3_NO_SUCH_BUCKET,
	S3_NO_SUCH_KEY,
	S3_NO_SUCH_UPLOAD,
	S3_NOT_IMPLEMENTED,
	S3_NOT_MODIFIED,
	S3_PRECONDITION_FAILED,
	S3_REQUEST_HEADER_TOO_LARGE,
	S3_REQUEST_TIME_TOO_SKEWED,
	S3_REQUEST_TIMEOUT,
	S3_SERVICE_UNAVAILABLE,
	S3_SIGNATURE_DOES_NOT_MATCH,
	S3_SLOW_DOWN,
	S3_USER_KEY_MUST_BE_SPECIFIED,
	S3_X_AMZ_CONTENT_SHA256_MISMATCH,
	S3_ERROR_COUNT /* not an error: the table's size */
};

/* The S3 error code string, e.g. "NoSuchKey".  Static. */
const char *s3_error_code(enum s3_error e);
/* The HTTP status S3 answers with for e, e.g. 404. */
unsigned s3_error_status(enum s3_error e);
/* S3's usual human-readable message for e.  Static. */
const char *s3_error_message(enum s3_error e);

#endif /* VS_GATEWAY_S3_ERROR_H */
