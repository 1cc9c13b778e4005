/*
 * fuzz_store_batch.c — the store batch decoder (gateway/store_batch.c), the
 * bytes a replicated store will read back from its log and the network:
 * refuse or decode, never read out of bounds; what it accepts re-encodes
 * to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "gateway/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_batch *b = NULL;
	int rc = store_batch_decode(data, size, &b);
	ASSERT(rc == 0 || rc == STORE_EINVAL);
	if (rc != 0)
		return 0;
	void *enc = NULL;
	size_t len = 0;
	ASSERT(store_batch_encode(b, &enc, &len) == 0);
	ASSERT(len == size && memcmp(enc, data, size) == 0);
	free(enc);
	store_batch_free(b);
	return 0;
}
