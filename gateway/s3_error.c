/*
 * s3_error.c — the one table from VeriStore's S3 errors to HTTP status, S3
 * code and message (Amazon S3 API Reference, "Error responses": "List of
 * error codes").  Statuses are S3's, not our guesses: clients such as s3cmd
 * and botocore branch on the pair.
 */
#include "gateway/s3_error.h"

#include "engine/assert.h"

struct s3_error_entry {
	const char *code;
	unsigned status;
	const char *message;
};

static const struct s3_error_entry s3_errors[S3_ERROR_COUNT] = {
	[S3_OK] = {"OK", 200, "OK"},
	[S3_ACCESS_DENIED] = {"AccessDenied", 403, "Access Denied"},
	[S3_AUTHORIZATION_HEADER_MALFORMED] = {"AuthorizationHeaderMalformed", 400,
		"The authorization header is malformed."},
	[S3_AUTHORIZATION_QUERY_PARAMETERS_ERROR] = {"AuthorizationQueryParametersError", 400,
		"Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."},
	[S3_BAD_DIGEST] = {"BadDigest", 400,
		"The Content-MD5 or checksum you specified did not match what we received."},
	[S3_BUCKET_ALREADY_EXISTS] = {"BucketAlreadyExists", 409,
		"The requested bucket name is not available."},
	[S3_BUCKET_ALREADY_OWNED_BY_YOU] = {"BucketAlreadyOwnedByYou", 409,
		"Your previous request to create the named bucket succeeded and you already own it."},
	[S3_BUCKET_NOT_EMPTY] = {"BucketNotEmpty", 409,
		"The bucket you tried to delete is not empty."},
	[S3_CONDITIONAL_REQUEST_CONFLICT] = {"ConditionalRequestConflict", 409,
		"A conflicting conditional operation is currently in progress against this resource."},
	[S3_ENTITY_TOO_LARGE] = {"EntityTooLarge", 400,
		"Your proposed upload exceeds the maximum allowed object size."},
	[S3_ENTITY_TOO_SMALL] = {"EntityTooSmall", 400,
		"Your proposed upload is smaller than the minimum allowed object size."},
	[S3_ILLEGAL_LOCATION_CONSTRAINT] = {"IllegalLocationConstraintException", 400,
		"The specified location-constraint is not valid for this server."},
	[S3_INCOMPLETE_BODY] = {"IncompleteBody", 400,
		"You did not provide the number of bytes specified by the Content-Length HTTP header."},
	[S3_INTERNAL_ERROR] = {"InternalError", 500,
		"We encountered an internal error. Please try again."},
	[S3_INVALID_ACCESS_KEY_ID] = {"InvalidAccessKeyId", 403,
		"The AWS access key ID you provided does not exist in our records."},
	[S3_INVALID_ARGUMENT] = {"InvalidArgument", 400, "Invalid Argument"},
	[S3_INVALID_BUCKET_NAME] = {"InvalidBucketName", 400,
		"The specified bucket is not valid."},
	[S3_INVALID_CHUNK_SIZE] = {"InvalidChunkSizeError", 400,
		"Only the last chunk is allowed to have a size less than 8192 bytes"},
	[S3_INVALID_DIGEST] = {"InvalidDigest", 400,
		"The Content-MD5 or checksum you specified is not valid."},
	[S3_INVALID_PART] = {"InvalidPart", 400,
		"One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag."},
	[S3_INVALID_PART_NUMBER] = {"InvalidPartNumber", 416,
		"The requested partnumber is not satisfiable"},
	[S3_INVALID_PART_ORDER] = {"InvalidPartOrder", 400,
		"The list of parts was not in ascending order. Parts must be ordered by part number."},
	[S3_INVALID_RANGE] = {"InvalidRange", 416,
		"The requested range is not satisfiable"},
	[S3_INVALID_REQUEST] = {"InvalidRequest", 400, "Invalid Request"},
	[S3_INVALID_STORAGE_CLASS] = {"InvalidStorageClass", 400,
		"The storage class you specified is not valid"},
	[S3_INVALID_TAG] = {"InvalidTag", 400,
		"The tag provided was not a valid tag."},
	[S3_KEY_TOO_LONG] = {"KeyTooLongError", 400, "Your key is too long"},
	[S3_MALFORMED_TRAILER] = {"MalformedTrailerError", 400,
		"The request contained trailing data that was not well-formed or did not conform to our published schema."},
	[S3_MAX_MESSAGE_LENGTH_EXCEEDED] = {"MaxMessageLengthExceeded", 400,
		"Your request was too big."},
	[S3_MALFORMED_XML] = {"MalformedXML", 400,
		"The XML you provided was not well-formed or did not validate against our published schema"},
	[S3_METADATA_TOO_LARGE] = {"MetadataTooLarge", 400,
		"Your metadata headers exceed the maximum allowed metadata size"},
	[S3_METHOD_NOT_ALLOWED] = {"MethodNotAllowed", 405,
		"The specified method is not allowed against this resource."},
	[S3_MISSING_CONTENT_LENGTH] = {"MissingContentLength", 411,
		"You must provide the Content-Length HTTP header."},
	[S3_MISSING_REQUEST_BODY] = {"MissingRequestBodyError", 400,
		"Request Body is empty"},
	[S3_MISSING_SECURITY_HEADER] = {"MissingSecurityHeader", 400,
		"Your request was missing a required header"},
	[S3_NO_SUCH_BUCKET] = {"NoSuchBucket", 404, "The specified bucket does not exist"},
	[S3_NO_SUCH_KEY] = {"NoSuchKey", 404, "The specified key does not exist."},
	[S3_NO_SUCH_UPLOAD] = {"NoSuchUpload", 404,
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."},
	[S3_NOT_IMPLEMENTED] = {"NotImplemented", 501,
		"A header or operation you provided implies functionality that is not implemented"},
	[S3_NOT_MODIFIED] = {"NotModified", 304, "Not Modified"},
	[S3_PRECONDITION_FAILED] = {"PreconditionFailed", 412,
		"At least one of the pre-conditions you specified did not hold"},
	[S3_REQUEST_HEADER_TOO_LARGE] = {"RequestHeaderSectionTooLarge", 400,
		"Your request header section exceeds the maximum allowed size."},
	[S3_REQUEST_TIME_TOO_SKEWED] = {"RequestTimeTooSkewed", 403,
		"The difference between the request time and the current time is too large."},
	[S3_REQUEST_TIMEOUT] = {"RequestTimeout", 400,
		"Your socket connection to the server was not read from or written to within the timeout period."},
	[S3_SERVICE_UNAVAILABLE] = {"ServiceUnavailable", 503,
		"Please reduce your request rate."},
	[S3_SIGNATURE_DOES_NOT_MATCH] = {"SignatureDoesNotMatch", 403,
		"The request signature we calculated does not match the signature you provided. Check your key and signing method."},
	[S3_SLOW_DOWN] = {"SlowDown", 503, "Please reduce your request rate."},
	[S3_USER_KEY_MUST_BE_SPECIFIED] = {"UserKeyMustBeSpecified", 400,
		"The bucket POST must contain the specified field name. If it is specified, check the order of the fields."},
	[S3_X_AMZ_CONTENT_SHA256_MISMATCH] = {"XAmzContentSHA256Mismatch", 400,
		"The provided 'x-amz-content-sha256' header does not match what was computed."},
};

static const struct s3_error_entry *s3_error_entry(enum s3_error e)
{
	ASSERT((unsigned)e < S3_ERROR_COUNT);
	const struct s3_error_entry *entry = &s3_errors[e];
	ASSERT(entry->code != NULL);
	return entry;
}

const char *s3_error_code(enum s3_error e)
{
	return s3_error_entry(e)->code;
}

unsigned s3_error_status(enum s3_error e)
{
	return s3_error_entry(e)->status;
}

const char *s3_error_message(enum s3_error e)
{
	return s3_error_entry(e)->message;
}
