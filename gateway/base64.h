/*
 * base64.h — RFC 4648 §4 base64 (the standard alphabet, with padding), as
 * S3 carries Content-MD5 and the x-amz-checksum-* values.
 *
 * Decoding is strict: padding required, no whitespace, no URL-safe letters,
 * and non-zero bits left over in the last group are rejected (RFC 4648
 * §3.5), so that each value has exactly one accepted spelling.
 */
#ifndef VS_GATEWAY_BASE64_H
#define VS_GATEWAY_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Length of the encoding of n bytes, without the terminating NUL. */
#define GW_BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/*
 * Encodes src[0..len) into dst, which holds GW_BASE64_ENCODED_LEN(len) + 1
 * bytes; writes a terminating NUL and returns the encoded length.
 */
size_t gw_base64_encode(const uint8_t *src, size_t len, char *dst);

/*
 * Decodes src[0..len) into dst (capacity dst_cap bytes).  Returns the
 * decoded length, or -EINVAL for malformed input, or -ENOSPC when dst is too
 * small.  dst is written only on success.
 */
long gw_base64_decode(const char *src, size_t len, uint8_t *dst,
                      size_t dst_cap);

#endif /* VS_GATEWAY_BASE64_H */
