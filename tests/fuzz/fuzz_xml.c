/*
 * fuzz_xml.c — libFuzzer target for the four request decoders.  The first
 * byte picks the decoder (so one corpus covers all four); the rest is the
 * body.  Every decoded result is walked (so ASan sees its strings) and freed.
 */
#include <stdint.h>
#include <string.h>

#include "engine/assert.h"
#include "xml/s3xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk_str(const char *s)
{
	return s ? strlen(s) : 0;
}

static void check_rc(int rc)
{
	ASSERT(rc == 0 ||
	       (rc <= S3XML_ERR_MALFORMED && rc >= S3XML_ERR_ENCODING));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *body = data + 1;
	size_t len = size - 1;
	size_t sum = 0;
	switch (data[0] % 4) {
	case 0: {
		struct s3xml_delete *d = NULL;
		int rc = s3xml_decode_delete(body, len, 0, &d);
		check_rc(rc);
		if (rc == 0) {
			ASSERT(d->object_count >= 1 &&
			       d->object_count <= S3XML_DELETE_OBJECTS_MAX);
			for (size_t i = 0; i < d->object_count; i++) {
				size_t k = walk_str(d->objects[i].key);
				ASSERT(k >= 1 && k <= S3XML_KEY_BYTES_MAX);
				sum += k + walk_str(d->objects[i].version_id);
			}
		}
		s3xml_delete_free(d);
		break;
	}
	case 1: {
		struct s3xml_complete *c = NULL;
		int rc = s3xml_decode_complete(body, len, 0, &c);
		check_rc(rc);
		if (rc == 0) {
			ASSERT(c->part_count >= 1 &&
			       c->part_count <= S3XML_PARTS_MAX);
			for (size_t i = 0; i < c->part_count; i++) {
				ASSERT(c->parts[i].part_number >= 1 &&
				       c->parts[i].part_number <=
				           S3XML_PARTS_MAX);
				sum += walk_str(c->parts[i].etag);
				for (int k = 0; k < S3XML_CHECKSUM_COUNT; k++)
					sum +=
					    walk_str(c->parts[i].checksum[k]);
			}
		}
		s3xml_complete_free(c);
		break;
	}
	case 2: {
		struct s3xml_create_bucket *b = NULL;
		int rc = s3xml_decode_create_bucket(body, len, 0, &b);
		check_rc(rc);
		if (rc == 0)
			sum += walk_str(b->location_constraint);
		s3xml_create_bucket_free(b);
		break;
	}
	default: {
		struct s3xml_versioning *v = NULL;
		check_rc(s3xml_decode_versioning(body, len, 0, &v));
		s3xml_versioning_free(v);
		break;
	}
	}
	(void)sum;
	return 0;
}
