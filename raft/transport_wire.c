/*
 * transport_wire.c — the transport's byte formats (transport.h has the
 * layout): the handshake message, a frame built into one allocation for
 * the send queue, and the receive stream cut into checked frames.  Pure
 * functions over memory, so the fuzz target drives them directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "engine/bytes.h"
#include "raft/transport_int.h"

/* ---- handshake ------------------------------------------------------- */

/* magic u32 | version u16 | status u16 | cluster u64 | from u64 | to u64 |
 * crc32c of the 32 bytes before it. */
void rt_hello_encode(const struct rt_hello *h, uint8_t out[RT_HELLO_LEN])
{
	kv_put_u32(out, RT_MAGIC);
	kv_put_u16(out + 4, h->version);
	kv_put_u16(out + 6, h->status);
	kv_put_u64(out + 8, h->cluster_id);
	kv_put_u64(out + 16, h->from);
	kv_put_u64(out + 24, h->to);
	kv_put_u32(out + 32, kv_crc32c(out, 32));
}

int rt_hello_decode(const uint8_t in[RT_HELLO_LEN], struct rt_hello *h)
{
	if (kv_get_u32(in) != RT_MAGIC ||
	    kv_get_u32(in + 32) != kv_crc32c(in, 32))
		return -EPROTO;
	h->version = kv_get_u16(in + 4);
	h->status = kv_get_u16(in + 6);
	h->cluster_id = kv_get_u64(in + 8);
	h->from = kv_get_u64(in + 16);
	h->to = kv_get_u64(in + 24);
	return 0;
}

const char *rt_refuse_name(unsigned status)
{
	switch (status) {
	case RT_OK:
		return "ok";
	case RT_REFUSE_CLUSTER:
		return "other cluster";
	case RT_REFUSE_VERSION:
		return "unknown protocol version";
	case RT_REFUSE_NOT_ME:
		return "dialled the wrong node";
	case RT_REFUSE_DIRECTION:
		return "only the lower id dials";
	}
	return "unknown refusal";
}

/* ---- frames for the send queue --------------------------------------- */

struct rt_frame *rt_frame_new(uint8_t type, const void *payload,
				  size_t len, bool bulk)
{
	struct rt_frame *f = malloc(sizeof *f + RT_HDR_LEN + len);
	if (f == NULL)
		return NULL;
	f->next = NULL;
	f->len = RT_HDR_LEN + len;
	f->bulk = bulk;
	uint8_t *h = f->buf;
	kv_put_u32(h, (uint32_t)len);
	h[4] = type;
	h[5] = 0;
	kv_put_u16(h + 6, 0);
	if (len > 0)
		memcpy(h + RT_HDR_LEN, payload, len);
	uint32_t crc = kv_crc32c(h, 8);
	kv_put_u32(h + 8, kv_crc32c_extend(crc, h + RT_HDR_LEN, len));
	return f;
}

/* ---- the receive stream ---------------------------------------------- */

ssize_t rt_frame_need(const uint8_t *h)
{
	uint64_t len = kv_get_u32(h);
	if (len > RAFT_NET_FRAME_MAX || h[4] == 0 || h[5] || h[6] || h[7])
		return -EPROTO;
	return (ssize_t)(RT_HDR_LEN + len);
}

int rt_rx_parse(struct rt_rx *rx, rt_frame_fn fn, void *ctx)
{
	while (rx->end - rx->start >= RT_HDR_LEN) {
		const uint8_t *h = rx->buf + rx->start;
		ssize_t need = rt_frame_need(h);
		if (need < 0)
			return (int)need;
		if (rx->end - rx->start < (size_t)need)
			break;
		size_t len = (size_t)need - RT_HDR_LEN;
		uint32_t crc = kv_crc32c_extend(kv_crc32c(h, 8), h + RT_HDR_LEN,
						len);
		if (crc != kv_get_u32(h + 8))
			return -EBADMSG;
		fn(ctx, h[4], h + RT_HDR_LEN, len);
		rx->start += (size_t)need;
	}
	if (rx->start == rx->end) {
		rx->start = rx->end = 0;
		if (rx->cap > RT_RX_KEEP) { /* do not hold a huge idle buffer */
			free(rx->buf);
			rx->buf = NULL;
			rx->cap = 0;
		}
	}
	return 0;
}

/*
 * The buffer grows only when it is full of one partial frame, to at most
 * twice its size and never past that frame's validated length: memory
 * follows the bytes that arrived, not the length a header claims.
 */
int rt_rx_room(struct rt_rx *rx)
{
	if (rx->buf == NULL) {
		rx->buf = malloc(RT_RX_MIN);
		if (rx->buf == NULL)
			return -ENOMEM;
		rx->cap = RT_RX_MIN;
		rx->start = rx->end = 0;
	}
	if (rx->end < rx->cap)
		return 0;
	if (rx->start > 0) {
		memmove(rx->buf, rx->buf + rx->start, rx->end - rx->start);
		rx->end -= rx->start;
		rx->start = 0;
		return 0;
	}
	/* Full from the start: rt_rx_parse left one partial frame longer
	 * than cap (a header fits: cap >= RT_RX_MIN > RT_HDR_LEN). */
	ssize_t need = rt_frame_need(rx->buf);
	ASSERT(need > (ssize_t)rx->cap);
	size_t ncap = rx->cap * 2 < (size_t)need ? rx->cap * 2 : (size_t)need;
	uint8_t *nb = realloc(rx->buf, ncap);
	if (nb == NULL)
		return -ENOMEM;
	rx->buf = nb;
	rx->cap = ncap;
	return 0;
}

void rt_rx_reset(struct rt_rx *rx)
{
	free(rx->buf);
	*rx = (struct rt_rx){0};
}
