/*
 * checksum.h — the digests S3 clients declare for a body, computed as the
 * body streams: MD5 (always: the ETag, and Content-MD5), SHA-1, SHA-256
 * (x-amz-checksum-sha*, and x-amz-content-sha256), CRC32 and CRC32C
 * (ISA-L) and CRC64NVME (ours, crc64nvme.h).
 *
 * A checksum set computes several at once over one stream and compares
 * them with what the request declared at the end, answering the S3 error
 * the gateway returns (S3 error table: BadDigest for a Content-MD5 or an
 * x-amz-checksum-* mismatch, XAmzContentSHA256Mismatch for a payload hash
 * mismatch, InvalidDigest for a malformed Content-MD5, InvalidRequest for
 * a malformed x-amz-checksum-* value).
 *
 * Nothing here allocates; a set lives inside the per-request struct.  One
 * thread at a time per object.
 */
#ifndef VS_GATEWAY_CHECKSUM_H
#define VS_GATEWAY_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

enum gw_cksum_alg {
	GW_CKSUM_MD5,
	GW_CKSUM_SHA1,
	GW_CKSUM_SHA256,
	GW_CKSUM_CRC32,
	GW_CKSUM_CRC32C,
	GW_CKSUM_CRC64NVME,
	GW_CKSUM_COUNT
};

#define GW_CKSUM_BIT(alg) (1u << (alg))
/* The largest digest (SHA-256), and its base64 form with NUL. */
#define GW_CKSUM_DIGEST_MAX 32
#define GW_CKSUM_B64_MAX    45

/* Error codes (module range -3100..-3199); gw_cksum_strerror names them. */
enum {
	GW_CKSUM_ERR_BAD_DIGEST = -3101, /* Content-MD5 mismatch: BadDigest */
	GW_CKSUM_ERR_INVALID_DIGEST =
	    -3102, /* malformed Content-MD5: InvalidDigest */
	GW_CKSUM_ERR_SHA256_MISMATCH = -3103, /* XAmzContentSHA256Mismatch */
	GW_CKSUM_ERR_MISMATCH = -3104,        /* x-amz-checksum-*: BadDigest */
	GW_CKSUM_ERR_INVALID_VALUE =
	    -3105, /* malformed x-amz-checksum-*: InvalidRequest */
	GW_CKSUM_ERR_CRYPTO = -3106, /* libcrypto failed: InternalError */
};
const char *gw_cksum_strerror(int err);
/* The S3 error code string for an error above ("BadDigest", ...). */
const char *gw_cksum_s3_code(int err);

/* The algorithm's name as S3 spells it ("CRC32", "CRC64NVME", "SHA256"). */
const char *gw_cksum_alg_name(enum gw_cksum_alg alg);
/* The header carrying it: "x-amz-checksum-crc32", ...; NULL for MD5. */
const char *gw_cksum_alg_header(enum gw_cksum_alg alg);
/* The digest length in bytes (16, 20, 32, 4, 4, 8). */
size_t gw_cksum_alg_len(enum gw_cksum_alg alg);
/* Parses a name, case-insensitively ("crc32c", "CRC32C"); 0 or -EINVAL. */
int gw_cksum_alg_parse(const char *name, size_t len, enum gw_cksum_alg *out);
/* Parses a header name "x-amz-checksum-<alg>" (any case); 0 or -EINVAL. */
int gw_cksum_alg_from_header(const char *name, enum gw_cksum_alg *out);

/*
 * The algorithms named by a comma-separated list of x-amz-checksum-*
 * header names, as X-Amz-Trailer carries them ("x-amz-checksum-crc32");
 * other names are ignored.  Trailer values arrive after the body, so their
 * algorithms must be in the set's mask from the start.
 */
unsigned gw_cksum_mask_from_names(const char *list);

/* One streaming digest.  Fields are private. */
struct gw_cksum {
	enum gw_cksum_alg alg;
	EVP_MD_CTX *md; /* MD5 / SHA-1 / SHA-256; owned */
	uint64_t crc;
};

/* Starts a digest; 0, or -ENOMEM / GW_CKSUM_ERR_CRYPTO. */
int gw_cksum_init(struct gw_cksum *c, enum gw_cksum_alg alg);
int gw_cksum_update(struct gw_cksum *c, const void *buf, size_t len);
/*
 * Writes the digest (big-endian for the CRCs, as S3 base64-encodes them)
 * into out (GW_CKSUM_DIGEST_MAX bytes) and releases the state.  After final
 * or on error, gw_cksum_cleanup is still safe.
 */
int gw_cksum_final(struct gw_cksum *c, uint8_t *out);
void gw_cksum_cleanup(struct gw_cksum *c);
/* One-shot digest of a buffer. */
int gw_cksum_oneshot(enum gw_cksum_alg alg, const void *buf, size_t len,
                     uint8_t *out);

/*
 * A checksum set.  Declare what to compute and what was declared, feed
 * the body, then finish.  Fields are private.
 */
struct gw_cksum_set {
	unsigned mask;       /* algorithms computed */
	unsigned expected;   /* algorithms with a declared value */
	bool md5_declared;   /* Content-MD5 (BadDigest) vs x-amz-checksum */
	bool sha256_payload; /* x-amz-content-sha256 (its own error) */
	bool finished;
	bool fed; /* bytes were fed: no algorithm may be added */
	struct gw_cksum c[GW_CKSUM_COUNT];
	uint8_t want[GW_CKSUM_COUNT][GW_CKSUM_DIGEST_MAX];
	uint8_t got[GW_CKSUM_COUNT][GW_CKSUM_DIGEST_MAX];
	uint8_t sha256_payload_want[32];
};

/* Starts a set computing MD5 plus the algorithms in mask. */
int gw_cksum_set_init(struct gw_cksum_set *s, unsigned mask);
/* Declares Content-MD5 (base64 of 16 bytes); GW_CKSUM_ERR_INVALID_DIGEST. */
int gw_cksum_set_expect_content_md5(struct gw_cksum_set *s, const char *b64);
/*
 * Declares an x-amz-checksum-<alg> value (base64 of the digest), also
 * from a trailer; starts computing alg if needed, which is allowed only
 * before the first update (asserted): declare trailer algorithms in the
 * init mask.  Malformed: GW_CKSUM_ERR_INVALID_VALUE.
 */
int gw_cksum_set_expect(struct gw_cksum_set *s, enum gw_cksum_alg alg,
                        const char *b64);
/* Computes alg too (no declared value); only before the first update. */
int gw_cksum_set_enable(struct gw_cksum_set *s, enum gw_cksum_alg alg);
/* Declares the x-amz-content-sha256 payload hash (32 raw bytes). */
int gw_cksum_set_expect_payload_sha256(struct gw_cksum_set *s,
                                       const uint8_t sha256[32]);
int gw_cksum_set_update(struct gw_cksum_set *s, const void *buf, size_t len);
/*
 * Finishes every digest and compares with the declared values: 0, or the
 * first mismatch in the order S3 checks them: payload SHA-256
 * (XAmzContentSHA256Mismatch), Content-MD5 (BadDigest), then x-amz-checksum
 * (BadDigest).  Digests stay readable with gw_cksum_set_digest.
 */
int gw_cksum_set_finish(struct gw_cksum_set *s);
/* After finish: the computed digest of alg (must be in the mask). */
const uint8_t *gw_cksum_set_digest(const struct gw_cksum_set *s,
                                   enum gw_cksum_alg alg);
/* After finish: base64 of the digest into out (GW_CKSUM_B64_MAX bytes). */
void gw_cksum_set_base64(const struct gw_cksum_set *s, enum gw_cksum_alg alg,
                         char *out);
/* Releases the digests; safe after any call, and twice. */
void gw_cksum_set_cleanup(struct gw_cksum_set *s);

/*
 * Composite checksum of a multipart upload (S3 "COMPOSITE" type): the
 * checksum of the concatenated binary part checksums, written as base64
 * followed by "-N".  parts holds nparts digests of alg, back to back.
 * out holds GW_CKSUM_B64_MAX + 8 bytes.  Returns 0 or an error.
 */
int gw_cksum_composite(enum gw_cksum_alg alg, const uint8_t *parts,
                       size_t nparts, char *out, size_t out_cap);

/*
 * Full-object checksum of a multipart upload (S3 "FULL_OBJECT" type) for
 * the CRCs: from the digests of A and B (as gw_cksum_final writes them)
 * and B's length, the digest of A||B, written to out.  0, or -EINVAL for
 * a non-CRC algorithm.  O(log len_b) matrix squarings.
 */
int gw_cksum_crc_combine(enum gw_cksum_alg alg, const uint8_t *a,
                         const uint8_t *b, uint64_t len_b, uint8_t *out);

/*
 * The checksum of a completed multipart upload from its parts' checksums
 * (base64, as UploadPart stored them) and sizes, in part order.  S3
 * ("Checking object integrity"): the COMPOSITE type is the checksum of the
 * concatenated binary part checksums, then "-N" (gw_cksum_composite); the
 * FULL_OBJECT type, for the CRCs only, is the CRC of the whole object,
 * combined from the parts' CRCs without reading a byte.  Writes base64 (and
 * "-N") into out.  0; -EINVAL for a part value that is not a digest of alg
 * or FULL_OBJECT with a non-CRC; -ENOSPC if out is short.
 */
int gw_cksum_multipart(enum gw_cksum_alg alg, bool full_object,
                       const char *const *part_b64, const uint64_t *part_sizes,
                       size_t nparts, char *out, size_t out_cap);

#endif /* VS_GATEWAY_CHECKSUM_H */
