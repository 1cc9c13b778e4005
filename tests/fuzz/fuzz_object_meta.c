/*
 * fuzz_object_meta.c — the object record decoder (gateway/object_meta.c)
 * on arbitrary bytes: it must reject or decode consistently, never read
 * out of bounds; whatever it accepts must re-encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "gateway/object_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obj_meta *m = NULL;
	int rc = obj_meta_decode(data, size, &m);
	ASSERT(rc == 0 || rc == OBJ_ECORRUPT);
	if (rc != 0)
		return 0;
	uint64_t sum = 0;
	for (uint32_t i = 0; i < m->extent_count; i++)
		sum += m->extents[i].size;
	ASSERT(sum == m->size);
	void *enc = NULL;
	size_t len = 0;
	rc = obj_meta_encode(m, &enc, &len);
	ASSERT(rc == 0);
	ASSERT(len == size && memcmp(enc, data, size) == 0);
	free(enc);
	obj_meta_free(m);
	return 0;
}
