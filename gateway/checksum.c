/*
 * checksum.c — streaming digests and checksum sets; see checksum.h.
 *
 * MD5/SHA via OpenSSL EVP; CRC32 via ISA-L's crc32_gzip_refl() (zlib's
 * convention: inversion inside, continues from its own return value, and
 * several times faster than zlib's crc32 here); CRC32C via
 * ISA-L's crc32_iscsi(), which does NOT invert: the running value is kept
 * un-inverted, seeded with all ones, and inverted at the end (RFC 3720
 * §B.4); CRC64NVME via crc64nvme.c.
 */
#include "gateway/checksum.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <isa-l/crc.h>
#include <openssl/crypto.h>

#include "engine/assert.h"
#include "gateway/base64.h"
#include "gateway/crc64nvme.h"

static const struct {
	const char *name;
	const char *header;
	size_t len;
} cksum_algs[GW_CKSUM_COUNT] = {
    [GW_CKSUM_MD5] = {"MD5", NULL, 16},
    [GW_CKSUM_SHA1] = {"SHA1", "x-amz-checksum-sha1", 20},
    [GW_CKSUM_SHA256] = {"SHA256", "x-amz-checksum-sha256", 32},
    [GW_CKSUM_CRC32] = {"CRC32", "x-amz-checksum-crc32", 4},
    [GW_CKSUM_CRC32C] = {"CRC32C", "x-amz-checksum-crc32c", 4},
    [GW_CKSUM_CRC64NVME] = {"CRC64NVME", "x-amz-checksum-crc64nvme", 8},
};

const char *gw_cksum_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case GW_CKSUM_ERR_BAD_DIGEST:
		return "Content-MD5 does not match the body";
	case GW_CKSUM_ERR_INVALID_DIGEST:
		return "Content-MD5 is not valid";
	case GW_CKSUM_ERR_SHA256_MISMATCH:
		return "x-amz-content-sha256 does not match the body";
	case GW_CKSUM_ERR_MISMATCH:
		return "x-amz-checksum value does not match the body";
	case GW_CKSUM_ERR_INVALID_VALUE:
		return "x-amz-checksum value is not valid";
	case GW_CKSUM_ERR_CRYPTO:
		return "libcrypto failure";
	default:
		return err < 0 ? strerror(-err) : "unknown";
	}
}

const char *gw_cksum_s3_code(int err)
{
	switch (err) {
	case GW_CKSUM_ERR_BAD_DIGEST:
	case GW_CKSUM_ERR_MISMATCH:
		return "BadDigest";
	case GW_CKSUM_ERR_INVALID_DIGEST:
		return "InvalidDigest";
	case GW_CKSUM_ERR_SHA256_MISMATCH:
		return "XAmzContentSHA256Mismatch";
	case GW_CKSUM_ERR_INVALID_VALUE:
		return "InvalidRequest";
	default:
		return "InternalError";
	}
}

const char *gw_cksum_alg_name(enum gw_cksum_alg alg)
{
	ASSERT(alg < GW_CKSUM_COUNT);
	return cksum_algs[alg].name;
}

const char *gw_cksum_alg_header(enum gw_cksum_alg alg)
{
	ASSERT(alg < GW_CKSUM_COUNT);
	return cksum_algs[alg].header;
}

size_t gw_cksum_alg_len(enum gw_cksum_alg alg)
{
	ASSERT(alg < GW_CKSUM_COUNT);
	return cksum_algs[alg].len;
}

int gw_cksum_alg_parse(const char *name, size_t len, enum gw_cksum_alg *out)
{
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		const char *n = cksum_algs[a].name;
		if (strlen(n) == len && strncasecmp(n, name, len) == 0) {
			*out = (enum gw_cksum_alg)a;
			return 0;
		}
	}
	return -EINVAL;
}

int gw_cksum_alg_from_header(const char *name, enum gw_cksum_alg *out)
{
	static const char prefix[] = "x-amz-checksum-";
	size_t plen = sizeof(prefix) - 1;
	if (strncasecmp(name, prefix, plen) != 0)
		return -EINVAL;
	enum gw_cksum_alg a;
	if (gw_cksum_alg_parse(name + plen, strlen(name + plen), &a) != 0 ||
	    a == GW_CKSUM_MD5)
		return -EINVAL;
	*out = a;
	return 0;
}

unsigned gw_cksum_mask_from_names(const char *list)
{
	unsigned mask = 0;
	const char *p = list;
	for (int guard = 0; p != NULL && *p != '\0' && guard < 64; guard++) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e != '\0' && *e != ',')
			e++;
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		char name[64];
		size_t n = (size_t)(t - p);
		enum gw_cksum_alg alg;
		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			if (gw_cksum_alg_from_header(name, &alg) == 0)
				mask |= GW_CKSUM_BIT(alg);
		}
		p = e;
	}
	return mask;
}

static const EVP_MD *cksum_md(enum gw_cksum_alg alg)
{
	switch (alg) {
	case GW_CKSUM_MD5:
		return EVP_md5();
	case GW_CKSUM_SHA1:
		return EVP_sha1();
	case GW_CKSUM_SHA256:
		return EVP_sha256();
	default:
		return NULL;
	}
}

int gw_cksum_init(struct gw_cksum *c, enum gw_cksum_alg alg)
{
	ASSERT(alg < GW_CKSUM_COUNT);
	memset(c, 0, sizeof(*c));
	c->alg = alg;
	const EVP_MD *md = cksum_md(alg);
	if (md == NULL) {
		/* CRC32C runs un-inverted from all ones; see the file comment.
		 */
		c->crc = alg == GW_CKSUM_CRC32C ? 0xffffffffu : 0;
		return 0;
	}
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL)
		return -ENOMEM;
	if (EVP_DigestInit_ex(c->md, md, NULL) != 1) {
		gw_cksum_cleanup(c);
		return GW_CKSUM_ERR_CRYPTO;
	}
	return 0;
}

int gw_cksum_update(struct gw_cksum *c, const void *buf, size_t len)
{
	ASSERT(buf != NULL || len == 0);
	const uint8_t *p = buf;
	switch (c->alg) {
	case GW_CKSUM_CRC32:
		/* Like zlib's crc32(): inverts inside, continues from its own
		 * return value; PCLMUL-accelerated where the CPU has it. */
		c->crc = crc32_gzip_refl((uint32_t)c->crc, p, (uint64_t)len);
		return 0;
	case GW_CKSUM_CRC32C:
		while (len > 0) {
			int n = len > (1u << 30) ? (1 << 30) : (int)len;
			/* ISA-L's prototype lacks const; it does not write. */
			c->crc = crc32_iscsi((unsigned char *)(uintptr_t)p, n,
			                     (unsigned int)c->crc);
			p += n;
			len -= (size_t)n;
		}
		return 0;
	case GW_CKSUM_CRC64NVME:
		c->crc = gw_crc64nvme(c->crc, p, len);
		return 0;
	default:
		ASSERT(c->md != NULL);
		if (len > 0 && EVP_DigestUpdate(c->md, p, len) != 1)
			return GW_CKSUM_ERR_CRYPTO;
		return 0;
	}
}

static void put_be(uint8_t *out, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

int gw_cksum_final(struct gw_cksum *c, uint8_t *out)
{
	switch (c->alg) {
	case GW_CKSUM_CRC32:
		put_be(out, c->crc & 0xffffffffu, 4);
		return 0;
	case GW_CKSUM_CRC32C:
		put_be(out, ~c->crc & 0xffffffffu, 4);
		return 0;
	case GW_CKSUM_CRC64NVME:
		put_be(out, c->crc, 8);
		return 0;
	default: {
		ASSERT(c->md != NULL);
		unsigned n = 0;
		int ok = EVP_DigestFinal_ex(c->md, out, &n);
		gw_cksum_cleanup(c);
		if (ok != 1)
			return GW_CKSUM_ERR_CRYPTO;
		ASSERT(n == cksum_algs[c->alg].len);
		return 0;
	}
	}
}

void gw_cksum_cleanup(struct gw_cksum *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

int gw_cksum_oneshot(enum gw_cksum_alg alg, const void *buf, size_t len,
                     uint8_t *out)
{
	struct gw_cksum c;
	int rc = gw_cksum_init(&c, alg);
	if (rc == 0)
		rc = gw_cksum_update(&c, buf, len);
	if (rc == 0)
		rc = gw_cksum_final(&c, out);
	gw_cksum_cleanup(&c);
	return rc;
}

int gw_cksum_set_init(struct gw_cksum_set *s, unsigned mask)
{
	memset(s, 0, sizeof(*s));
	mask |= GW_CKSUM_BIT(GW_CKSUM_MD5);
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		if (!(mask & GW_CKSUM_BIT(a)))
			continue;
		int rc = gw_cksum_init(&s->c[a], (enum gw_cksum_alg)a);
		if (rc != 0) {
			gw_cksum_set_cleanup(s);
			return rc;
		}
		s->mask |= GW_CKSUM_BIT(a);
	}
	return 0;
}

static int set_enable(struct gw_cksum_set *s, enum gw_cksum_alg alg)
{
	if (s->mask & GW_CKSUM_BIT(alg))
		return 0;
	/* A digest started after bytes were fed would cover only the rest:
	 * algorithms announced for trailers go in the mask at init
	 * (gw_cksum_mask_from_names). */
	ASSERT(!s->fed);
	int rc = gw_cksum_init(&s->c[alg], alg);
	if (rc == 0)
		s->mask |= GW_CKSUM_BIT(alg);
	return rc;
}

int gw_cksum_set_enable(struct gw_cksum_set *s, enum gw_cksum_alg alg)
{
	ASSERT(!s->finished);
	ASSERT(alg < GW_CKSUM_COUNT);
	return set_enable(s, alg);
}

int gw_cksum_set_expect_content_md5(struct gw_cksum_set *s, const char *b64)
{
	ASSERT(!s->finished);
	uint8_t d[16];
	long n = gw_base64_decode(b64, strlen(b64), d, sizeof(d));
	if (n != 16)
		return GW_CKSUM_ERR_INVALID_DIGEST;
	memcpy(s->want[GW_CKSUM_MD5], d, 16);
	s->expected |= GW_CKSUM_BIT(GW_CKSUM_MD5);
	s->md5_declared = true;
	return 0;
}

int gw_cksum_set_expect(struct gw_cksum_set *s, enum gw_cksum_alg alg,
                        const char *b64)
{
	ASSERT(!s->finished);
	ASSERT(alg < GW_CKSUM_COUNT && alg != GW_CKSUM_MD5);
	uint8_t d[GW_CKSUM_DIGEST_MAX];
	long n = gw_base64_decode(b64, strlen(b64), d, sizeof(d));
	if (n < 0 || (size_t)n != cksum_algs[alg].len)
		return GW_CKSUM_ERR_INVALID_VALUE;
	int rc = set_enable(s, alg);
	if (rc != 0)
		return rc;
	memcpy(s->want[alg], d, (size_t)n);
	s->expected |= GW_CKSUM_BIT(alg);
	return 0;
}

int gw_cksum_set_expect_payload_sha256(struct gw_cksum_set *s,
                                       const uint8_t sha256[32])
{
	ASSERT(!s->finished);
	int rc = set_enable(s, GW_CKSUM_SHA256);
	if (rc != 0)
		return rc;
	memcpy(s->sha256_payload_want, sha256, 32);
	s->sha256_payload = true;
	return 0;
}

int gw_cksum_set_update(struct gw_cksum_set *s, const void *buf, size_t len)
{
	ASSERT(!s->finished);
	s->fed = true;
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		if (!(s->mask & GW_CKSUM_BIT(a)))
			continue;
		int rc = gw_cksum_update(&s->c[a], buf, len);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int gw_cksum_set_finish(struct gw_cksum_set *s)
{
	ASSERT(!s->finished);
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		if (!(s->mask & GW_CKSUM_BIT(a)))
			continue;
		int rc = gw_cksum_final(&s->c[a], s->got[a]);
		if (rc != 0)
			return rc;
	}
	s->finished = true;
	if (s->sha256_payload && CRYPTO_memcmp(s->got[GW_CKSUM_SHA256],
	                                       s->sha256_payload_want, 32) != 0)
		return GW_CKSUM_ERR_SHA256_MISMATCH;
	if (s->md5_declared &&
	    memcmp(s->got[GW_CKSUM_MD5], s->want[GW_CKSUM_MD5], 16) != 0)
		return GW_CKSUM_ERR_BAD_DIGEST;
	for (int a = 0; a < GW_CKSUM_COUNT; a++) {
		if (a == GW_CKSUM_MD5 || !(s->expected & GW_CKSUM_BIT(a)))
			continue;
		if (memcmp(s->got[a], s->want[a], cksum_algs[a].len) != 0)
			return GW_CKSUM_ERR_MISMATCH;
	}
	return 0;
}

const uint8_t *gw_cksum_set_digest(const struct gw_cksum_set *s,
                                   enum gw_cksum_alg alg)
{
	ASSERT(s->finished);
	ASSERT(s->mask & GW_CKSUM_BIT(alg));
	return s->got[alg];
}

void gw_cksum_set_base64(const struct gw_cksum_set *s, enum gw_cksum_alg alg,
                         char *out)
{
	gw_base64_encode(gw_cksum_set_digest(s, alg), cksum_algs[alg].len, out);
}

void gw_cksum_set_cleanup(struct gw_cksum_set *s)
{
	if (s == NULL)
		return;
	for (int a = 0; a < GW_CKSUM_COUNT; a++)
		gw_cksum_cleanup(&s->c[a]);
}

int gw_cksum_composite(enum gw_cksum_alg alg, const uint8_t *parts,
                       size_t nparts, char *out, size_t out_cap)
{
	ASSERT(alg < GW_CKSUM_COUNT);
	ASSERT(parts != NULL || nparts == 0);
	uint8_t d[GW_CKSUM_DIGEST_MAX];
	int rc = gw_cksum_oneshot(alg, parts, nparts * cksum_algs[alg].len, d);
	if (rc != 0)
		return rc;
	char b64[GW_CKSUM_B64_MAX];
	gw_base64_encode(d, cksum_algs[alg].len, b64);
	int n = snprintf(out, out_cap, "%s-%zu", b64, nparts);
	if (n < 0 || (size_t)n >= out_cap)
		return -ENOSPC;
	return 0;
}

/*
 * zlib's crc32_combine method for any reflected CRC of width <= 64: the
 * operator "append one zero bit" as a GF(2) matrix (columns in mat[]),
 * squared up to "append 2^k zero bytes" and applied per set bit of len_b.
 */
static uint64_t gf2_times(const uint64_t *mat, uint64_t vec)
{
	uint64_t sum = 0;
	for (int i = 0; vec != 0 && i < 64; i++, vec >>= 1)
		if (vec & 1)
			sum ^= mat[i];
	return sum;
}

static void gf2_square(uint64_t *square, const uint64_t *mat, int width)
{
	for (int n = 0; n < width; n++)
		square[n] = gf2_times(mat, mat[n]);
}

static uint64_t crc_combine(uint64_t poly, int width, uint64_t crc_a,
                            uint64_t crc_b, uint64_t len_b)
{
	uint64_t even[64], odd[64];
	odd[0] = poly;
	for (int n = 1; n < width; n++)
		odd[n] = UINT64_C(1) << (n - 1);
	gf2_square(even, odd, width); /* two zero bits */
	gf2_square(odd, even, width); /* four zero bits */
	for (int bound = 0; bound < 64 && len_b != 0; bound++) {
		gf2_square(even, odd, width);
		if (len_b & 1)
			crc_a = gf2_times(even, crc_a);
		len_b >>= 1;
		if (len_b == 0)
			break;
		gf2_square(odd, even, width);
		if (len_b & 1)
			crc_a = gf2_times(odd, crc_a);
		len_b >>= 1;
	}
	return crc_a ^ crc_b;
}

int gw_cksum_crc_combine(enum gw_cksum_alg alg, const uint8_t *a,
                         const uint8_t *b, uint64_t len_b, uint8_t *out)
{
	size_t n = alg < GW_CKSUM_COUNT ? cksum_algs[alg].len : 0;
	uint64_t poly;
	switch (alg) {
	case GW_CKSUM_CRC32:
		poly = 0xedb88320u;
		break;
	case GW_CKSUM_CRC32C:
		poly = 0x82f63b78u;
		break;
	case GW_CKSUM_CRC64NVME:
		poly = 0x9a6c9329ac4bc9b5ULL;
		break;
	default:
		return -EINVAL;
	}
	uint64_t va = 0, vb = 0;
	for (size_t i = 0; i < n; i++) {
		va = va << 8 | a[i];
		vb = vb << 8 | b[i];
	}
	uint64_t v =
	    len_b == 0 ? va : crc_combine(poly, (int)(8 * n), va, vb, len_b);
	put_be(out, v, n);
	return 0;
}

int gw_cksum_multipart(enum gw_cksum_alg alg, bool full_object,
                       const char *const *part_b64, const uint64_t *part_sizes,
                       size_t nparts, char *out, size_t out_cap)
{
	ASSERT(alg < GW_CKSUM_COUNT && alg != GW_CKSUM_MD5);
	ASSERT(nparts > 0);
	if (full_object && alg != GW_CKSUM_CRC32 && alg != GW_CKSUM_CRC32C &&
	    alg != GW_CKSUM_CRC64NVME)
		return -EINVAL;
	size_t dl = cksum_algs[alg].len;
	uint8_t *all = malloc(nparts * dl);
	if (all == NULL)
		return -ENOMEM;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < nparts; i++) {
		long n = gw_base64_decode(part_b64[i], strlen(part_b64[i]), all + i * dl, dl);
		if (n < 0 || (size_t)n != dl)
			rc = -EINVAL;
	}
	if (rc == 0 && !full_object) {
		rc = gw_cksum_composite(alg, all, nparts, out, out_cap);
	} else if (rc == 0) {
		uint8_t acc[GW_CKSUM_DIGEST_MAX];
		memcpy(acc, all, dl);
		for (size_t i = 1; rc == 0 && i < nparts; i++)
			rc = gw_cksum_crc_combine(alg, acc, all + i * dl, part_sizes[i], acc);
		char b64[GW_CKSUM_B64_MAX];
		if (rc == 0) {
			gw_base64_encode(acc, dl, b64);
			rc = strlen(b64) < out_cap ? 0 : -ENOSPC;
		}
		if (rc == 0)
			memcpy(out, b64, strlen(b64) + 1);
	}
	free(all);
	return rc;
}
