/*
 * fuzz_raft_codec.c — decodes untrusted bytes as a raft message and as an
 * entry; whatever decodes must re-encode to exactly the same bytes (the
 * format has one encoding per value).  Never crashes, never over-allocates.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_one(const uint8_t *data, size_t size)
{
	struct raft_msg m;
	if (raft_msg_decode(data, size, &m) == 0) {
		size_t n = raft_msg_encoded_bytes(&m), w = 0;
		ASSERT(n == size);
		uint8_t *buf = malloc(n);
		ASSERT(buf != NULL);
		ASSERT(raft_msg_encode(&m, buf, n, &w) == 0 && w == n);
		ASSERT(memcmp(buf, data, n) == 0);
		free(buf);
		raft_msg_decoded_free(&m);
	}
	struct raft_entry e;
	if (raft_entry_decode(data, size, &e) == 0) {
		size_t n = raft_entry_encoded_bytes(&e), w = 0;
		ASSERT(n == size);
		uint8_t *buf = malloc(n);
		ASSERT(buf != NULL);
		ASSERT(raft_entry_encode(&e, buf, n, &w) == 0 && w == n);
		ASSERT(memcmp(buf, data, n) == 0);
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_one(data, size);
	/*
	 * Random bytes almost never carry a valid CRC32C, which would leave
	 * the parser behind it unexplored: also try the input resealed.
	 */
	if (size >= 6) {
		uint8_t *copy = malloc(size);
		ASSERT(copy != NULL);
		memcpy(copy, data, size);
		uint32_t c = kv_crc32c(copy, size - 4);
		for (int i = 0; i < 4; i++)
			copy[size - 4 + i] = (uint8_t)(c >> (8 * i));
		check_one(copy, size);
		free(copy);
	}
	return 0;
}
