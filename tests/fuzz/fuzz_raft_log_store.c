/*
 * fuzz_raft_log_store.c — the raft log store's recovery on arbitrary
 * records.  The input is turned into well-framed records of the engine's
 * record log (so the CRC passes and the store's own decoding is what gets
 * exercised), spread over segments, on an in-memory fault_io disk; then
 * raft_log_store_open must either refuse cleanly or give a store whose log
 * is contiguous and readable (an entry failing its checksum is reported,
 * not asserted), which accepts one more entry that survives a reopen.
 *
 * Input: records, each [u8 kind][u8 flags][u16 len LE][len bytes]:
 * kind % 4 picks ENTRIES, HARD, SNAP or a foreign type; flags bit 0 starts
 * a new segment before the record.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/record_log.h"
#include "raft/log_store.h"
#include "tests/fault_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DIR "/rl"

static int skip(void *arg, const struct kv_rlog_pos *at, uint32_t type,
		const unsigned char *p, uint32_t len)
{
	(void)arg, (void)at, (void)type, (void)p, (void)len;
	return 0;
}

static void write_records(struct fault_io *f, const uint8_t *data,
			  size_t size)
{
	static const uint32_t types[4] = {0x524c0001u, 0x524c0002u,
					  0x524c0003u, 0x1234u};
	struct kv_rlog_options o = {.io = fault_io_table(f),
				    .segment_bytes = 4096};
	struct kv_rlog *l;
	ASSERT(kv_rlog_open(DIR, &o, skip, NULL, &l) == 0);
	unsigned char *rec = malloc(KV_RLOG_HDR + 65536);
	ASSERT(rec != NULL);
	/* Bounded: each record consumes at least 4 input bytes. */
	while (size >= 4) {
		uint32_t type = types[data[0] % 4];
		bool rotate = data[1] & 1;
		size_t len = (size_t)(data[2] | data[3] << 8);
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		if (rotate)
			ASSERT(kv_rlog_rotate(l, NULL) == 0);
		memcpy(rec + KV_RLOG_HDR, data, len);
		ASSERT(kv_rlog_append(l, type, rec, (uint32_t)len, NULL, NULL,
				      NULL) == 0);
		data += len;
		size -= len;
	}
	free(rec);
	ASSERT(kv_rlog_close(l) == 0);
}

/* Everything a core could ask of an opened store answers sanely. */
static void check_store(struct raft_log_store *ls)
{
	uint64_t first = raft_log_store_first_index(ls);
	uint64_t last = raft_log_store_last_index(ls);
	ASSERT(first >= 1 && first <= last + 1);
	uint64_t t;
	uint64_t k = 0;
	for (uint64_t i = first - 1; i <= last && k < 100000; i++, k++)
		ASSERT(raft_log_store_term(ls, i, &t) == 0);
	ASSERT(raft_log_store_term(ls, last + 1, &t) == RAFT_ERR_UNAVAILABLE);
	struct raft_entry out[16];
	/* Bounded: each successful read moves lo forward. */
	for (uint64_t lo = first, s = 0; lo <= last && s < 100000; s++) {
		uint64_t hi = last + 1 - lo > 16 ? lo + 16 : last + 1;
		size_t n = 0;
		int rc = raft_log_store_entries(ls, lo, hi, 4096, out, &n);
		ASSERT(rc == 0 || rc == RAFT_ERR_CORRUPT);
		if (rc != 0) {
			lo++;
			continue;
		}
		ASSERT(n >= 1 && n <= hi - lo && out[0].index == lo);
		lo += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fault_io *f = fault_io_new(1);
	ASSERT(fault_io_mkdirs(f, DIR) == 0);
	write_records(f, data, size);
	struct raft_log_store_options o = {.io = fault_io_table(f),
					   .segment_bytes = 4096};
	struct raft_log_store *ls;
	int rc = raft_log_store_open(DIR, &o, &ls);
	if (rc != 0) {
		ASSERT(rc == RAFT_ERR_CORRUPT || rc == KV_ECORRUPT);
		fault_io_free(f);
		return 0;
	}
	check_store(ls);
	uint64_t last = raft_log_store_last_index(ls), t = 0;
	ASSERT(raft_log_store_term(ls, last, &t) == 0);
	struct raft_entry e = {.term = t, .index = last + 1, .len = 2,
			       .data = (uint8_t *)"ok"};
	ASSERT(raft_log_store_append(ls, &e, 1, NULL) == 0);
	ASSERT(raft_log_store_close(ls) == 0);
	ASSERT(raft_log_store_open(DIR, &o, &ls) == 0);
	ASSERT(raft_log_store_last_index(ls) == last + 1);
	check_store(ls);
	raft_log_store_close(ls);
	fault_io_free(f);
	return 0;
}
