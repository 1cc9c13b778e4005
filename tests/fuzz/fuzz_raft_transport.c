/*
 * fuzz_raft_transport.c — the transport's receive stream (raft/
 * transport_wire.c) on arbitrary bytes.  Input: byte 0 seeds how the rest
 * is cut into reads (1..4096 bytes each, as recv() might return them);
 * the rest is the stream.  Checked: the streaming parser delivers exactly
 * the frames a whole-buffer reference parse finds and fails exactly where
 * it fails; its buffer never exceeds twice the bytes fed (nor one frame),
 * whatever length a header claims; the handshake decoder never crashes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/transport_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FRAMES_MAX 4096

struct seen {
	size_t n;
	uint8_t type[FRAMES_MAX];
	size_t len[FRAMES_MAX];
	uint32_t crc[FRAMES_MAX];
};

static void on_frame(void *ctx, uint8_t type, const uint8_t *payload,
		     size_t len)
{
	struct seen *s = ctx;
	ASSERT(s->n < FRAMES_MAX);
	s->type[s->n] = type;
	s->len[s->n] = len;
	s->crc[s->n] = kv_crc32c(payload, len);
	s->n++;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* The format as transport.h states it, over the whole input at once. */
static int reference(const uint8_t *b, size_t n, struct seen *s)
{
	size_t i = 0;
	while (n - i >= RT_HDR_LEN) {
		const uint8_t *h = b + i;
		uint32_t len = le32(h);
		if (len > RAFT_NET_FRAME_MAX || h[4] == 0 || h[5] || h[6] || h[7])
			return -EPROTO;
		if (n - i - RT_HDR_LEN < len)
			return 0;
		uint32_t crc = kv_crc32c_portable(0, h, 8);
		crc = kv_crc32c_portable(crc, h + RT_HDR_LEN, len);
		if (crc != le32(h + 8))
			return -EBADMSG;
		on_frame(s, h[4], h + RT_HDR_LEN, len);
		i += RT_HDR_LEN + len;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4u * 1024 * 1024)
		return 0;
	uint64_t cut = data[0] * 0x9e3779b97f4a7c15u + 1;
	const uint8_t *b = data + 1;
	size_t n = size - 1;
	if (n >= RT_HELLO_LEN) {
		struct rt_hello h;
		(void)rt_hello_decode(b, &h);
	}
	static struct seen want, got;
	memset(&want, 0, sizeof want);
	memset(&got, 0, sizeof got);
	int want_rc = reference(b, n, &want);

	struct rt_rx rx = {0};
	size_t fed = 0;
	int rc = 0;
	while (fed < n && rc == 0) {
		cut = cut * 6364136223846793005u + 1442695040888963407u;
		size_t chunk = 1 + (size_t)((cut >> 33) % 4096);
		ASSERT(rt_rx_room(&rx) == 0);
		size_t room = rx.cap - rx.end;
		if (chunk > room)
			chunk = room;
		if (chunk > n - fed)
			chunk = n - fed;
		memcpy(rx.buf + rx.end, b + fed, chunk);
		rx.end += chunk;
		fed += chunk;
		ASSERT(rx.cap <= RT_RX_MIN || rx.cap <= 2 * fed);
		ASSERT(rx.cap <= RT_HDR_LEN + (size_t)RAFT_NET_FRAME_MAX);
		rc = rt_rx_parse(&rx, on_frame, &got);
	}
	ASSERT(rc == want_rc);
	ASSERT(got.n == want.n);
	for (size_t i = 0; i < got.n; i++)
		ASSERT(got.type[i] == want.type[i] && got.len[i] == want.len[i] &&
		       got.crc[i] == want.crc[i]);
	rt_rx_reset(&rx);
	return 0;
}
