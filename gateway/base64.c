/*
 * base64.c — strict RFC 4648 base64; see base64.h.
 */
#include "gateway/base64.h"

#include <errno.h>
#include <string.h>

#include "engine/assert.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t gw_base64_encode(const uint8_t *src, size_t len, char *dst)
{
	ASSERT(src != NULL || len == 0);
	ASSERT(dst != NULL);
	size_t o = 0;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 |
		             (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
		dst[o++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
		dst[o++] = '=';
	}
	dst[o] = '\0';
	ASSERT(o == GW_BASE64_ENCODED_LEN(len));
	return o;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long gw_base64_decode(const char *src, size_t len, uint8_t *dst, size_t dst_cap)
{
	ASSERT(src != NULL || len == 0);
	if (len % 4 != 0)
		return -EINVAL;
	size_t pad = 0;
	if (len >= 4 && src[len - 1] == '=')
		pad = src[len - 2] == '=' ? 2 : 1;
	size_t out_len = len / 4 * 3 - pad;
	if (out_len > dst_cap)
		return -ENOSPC;
	/* Validate everything first: dst is written only on success. */
	for (size_t i = 0; i < len - pad; i++)
		if (b64_value(src[i]) < 0)
			return -EINVAL;
	if (pad == 2 && (b64_value(src[len - 3]) & 15) != 0)
		return -EINVAL;
	if (pad == 1 && (b64_value(src[len - 2]) & 3) != 0)
		return -EINVAL;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = src[i + k] == '=' ? 0 : b64_value(src[i + k]);
			v = v << 6 | (uint32_t)d;
		}
		uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8),
		                (uint8_t)v};
		for (size_t k = 0; k < 3 && o < out_len; k++)
			dst[o++] = b[k];
	}
	ASSERT(o == out_len);
	return (long)out_len;
}
