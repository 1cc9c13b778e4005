/*
 * bytes.h — little-endian integers in byte buffers, the byte order of every
 * on-disk and on-wire format here (engine records and checkpoints, the Raft
 * log store, the node's entry headers, the transport's frames).
 */
#ifndef VS_ENGINE_BYTES_H
#define VS_ENGINE_BYTES_H

#include <stdint.h>

static inline void kv_put_u16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}
static inline void kv_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline void kv_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t kv_get_u16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t kv_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t kv_get_u64(const unsigned char *p)
{
	return (uint64_t)kv_get_u32(p) | ((uint64_t)kv_get_u32(p + 4) << 32);
}

#endif /* VS_ENGINE_BYTES_H */
