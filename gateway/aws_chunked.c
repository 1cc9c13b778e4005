/*
 * aws_chunked.c — the streaming aws-chunked decoder; see aws_chunked.h.
 *
 * A byte-driven state machine: header line → data (passed through, hashed
 * for signed modes) → CRLF → verify the chunk signature → next header; the
 * zero-size chunk leads to trailer lines until an empty line.
 */
#include "gateway/aws_chunked.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "engine/assert.h"

enum state {
	ST_HEADER,  /* reading "hex-size[;chunk-signature=sig]" CRLF */
	ST_DATA,    /* passing chunk data through */
	ST_DATA_CR, /* expecting the CR after data */
	ST_DATA_LF, /* expecting the LF after data */
	ST_TRAILER, /* reading trailer lines until an empty one */
	ST_DONE,
	ST_FAILED,
};

struct trailer {
	char name[GW_CHUNKED_TRAILER_NAME_MAX + 1];
	char value[GW_CHUNKED_TRAILER_VALUE_MAX + 1];
};

struct gw_chunked {
	struct gw_chunked_config cfg;
	struct gw_chunked_sink sink;
	struct sigv4_auth auth;
	enum state st;
	int err;
	char line[GW_CHUNKED_LINE_MAX + 1];
	size_t line_len;
	uint64_t remaining;  /* data bytes left in this chunk */
	uint64_t chunk_size; /* size of the current chunk */
	uint64_t
	    last_data_size; /* size of the previous data chunk, 0 if none */
	uint64_t total;     /* decoded bytes */
	char prev_sig[SIGV4_HEX_LEN + 1];
	char chunk_sig[SIGV4_HEX_LEN + 1];
	EVP_MD_CTX *sha;         /* this chunk's data hash (signed modes) */
	EVP_MD_CTX *trailer_sha; /* canonical trailers (signed trailer) */
	char trailer_sig[SIGV4_HEX_LEN + 1];
	bool saw_trailer_line;
	bool skipped_blank; /* one blank line before trailers tolerated */
	struct trailer trailers[GW_CHUNKED_TRAILERS_MAX];
	size_t ntrailers;
	char *trailer_names; /* owned copy of cfg.trailer_names */
};

const char *gw_chunked_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case GW_CHUNKED_ERR_FRAMING:
		return "malformed aws-chunked framing";
	case GW_CHUNKED_ERR_INCOMPLETE:
		return "aws-chunked body ended early";
	case GW_CHUNKED_ERR_SIGNATURE:
		return "chunk signature does not match";
	case GW_CHUNKED_ERR_CHUNK_SIZE:
		return "chunk size out of bounds";
	case GW_CHUNKED_ERR_LENGTH:
		return "decoded length differs from "
		       "X-Amz-Decoded-Content-Length";
	case GW_CHUNKED_ERR_TRAILER:
		return "malformed or missing trailer";
	default:
		return err < 0 ? strerror(-err) : "unknown";
	}
}

const char *gw_chunked_s3_code(int err)
{
	switch (err) {
	case GW_CHUNKED_ERR_FRAMING:
	case GW_CHUNKED_ERR_INCOMPLETE:
	case GW_CHUNKED_ERR_LENGTH:
		return "IncompleteBody";
	case GW_CHUNKED_ERR_SIGNATURE:
		return "SignatureDoesNotMatch";
	case GW_CHUNKED_ERR_CHUNK_SIZE:
		return "InvalidChunkSizeError";
	case GW_CHUNKED_ERR_TRAILER:
		return "MalformedTrailerError";
	default:
		return "InternalError";
	}
}

static bool signed_mode(const struct gw_chunked *d)
{
	return d->cfg.mode != GW_CHUNKED_UNSIGNED_TRAILER;
}

int gw_chunked_new(const struct gw_chunked_config *cfg,
                   const struct gw_chunked_sink *sink, struct gw_chunked **out)
{
	ASSERT(cfg != NULL && sink != NULL && sink->data != NULL &&
	       out != NULL);
	if (cfg->mode != GW_CHUNKED_UNSIGNED_TRAILER && cfg->auth == NULL)
		return -EINVAL;
	struct gw_chunked *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->cfg = *cfg;
	d->sink = *sink;
	if (d->cfg.chunk_bytes_min == 0)
		d->cfg.chunk_bytes_min =
		    signed_mode(d) ? GW_CHUNKED_SIGNED_MIN : 1;
	if (d->cfg.chunk_bytes_max == 0)
		d->cfg.chunk_bytes_max = GW_CHUNKED_DEFAULT_MAX;
	if (cfg->trailer_names != NULL) {
		d->trailer_names = strdup(cfg->trailer_names);
		if (d->trailer_names == NULL) {
			free(d);
			return -ENOMEM;
		}
	}
	d->cfg.trailer_names = NULL;
	if (signed_mode(d)) {
		d->auth = *cfg->auth;
		memcpy(d->prev_sig, d->auth.seed_signature,
		       sizeof(d->prev_sig));
		d->sha = EVP_MD_CTX_new();
		d->trailer_sha = EVP_MD_CTX_new();
		if (d->sha == NULL || d->trailer_sha == NULL ||
		    EVP_DigestInit_ex(d->trailer_sha, EVP_sha256(), NULL) !=
		        1) {
			gw_chunked_free(d);
			return -ENOMEM;
		}
	}
	d->cfg.auth = NULL;
	d->st = ST_HEADER;
	*out = d;
	return 0;
}

void gw_chunked_free(struct gw_chunked *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->sha);
	EVP_MD_CTX_free(d->trailer_sha);
	free(d->trailer_names);
	OPENSSL_cleanse(d, sizeof(*d));
	free(d);
}

static int fail(struct gw_chunked *d, int err)
{
	ASSERT(err != 0);
	d->st = ST_FAILED;
	d->err = err;
	return err;
}

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Verifies the signature of the chunk just ended (data hashed in d->sha). */
static int verify_chunk(struct gw_chunked *d)
{
	uint8_t h[32];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(d->sha, h, &n) != 1)
		return -ENOMEM;
	char sig[SIGV4_HEX_LEN + 1];
	sigv4_chunk_signature(d->auth.signing_key, d->auth.amz_date,
	                      d->auth.scope, d->prev_sig, h, sig);
	if (!sigv4_equal(sig, d->chunk_sig, SIGV4_HEX_LEN))
		return GW_CHUNKED_ERR_SIGNATURE;
	memcpy(d->prev_sig, sig, sizeof(sig));
	if (d->sink.verified != NULL)
		return d->sink.verified(d->sink.arg, d->total);
	return 0;
}

/* "hex-size[;chunk-signature=<64 hex>]": the signature is required in
 * signed modes; unsigned chunks may carry (ignored) extensions. */
static int parse_header_line(struct gw_chunked *d, const char *l, size_t n)
{
	uint64_t size = 0;
	size_t i = 0;
	for (; i < n && hexdig(l[i]) >= 0; i++) {
		if (i >= 16)
			return GW_CHUNKED_ERR_CHUNK_SIZE;
		size = size << 4 | (uint64_t)hexdig(l[i]);
	}
	if (i == 0)
		return GW_CHUNKED_ERR_FRAMING;
	static const char ext[] = ";chunk-signature=";
	size_t elen = sizeof(ext) - 1;
	if (signed_mode(d)) {
		if (n - i != elen + SIGV4_HEX_LEN ||
		    memcmp(l + i, ext, elen) != 0)
			return GW_CHUNKED_ERR_FRAMING;
		memcpy(d->chunk_sig, l + i + elen, SIGV4_HEX_LEN);
		d->chunk_sig[SIGV4_HEX_LEN] = '\0';
	} else if (i < n && l[i] != ';') {
		return GW_CHUNKED_ERR_FRAMING;
	}
	if (size > d->cfg.chunk_bytes_max)
		return GW_CHUNKED_ERR_CHUNK_SIZE;
	/* Only the last data chunk may be smaller than the minimum. */
	if (size > 0 && d->last_data_size > 0 &&
	    d->last_data_size < d->cfg.chunk_bytes_min)
		return GW_CHUNKED_ERR_CHUNK_SIZE;
	if (d->cfg.decoded_length >= 0 &&
	    size > (uint64_t)d->cfg.decoded_length - d->total)
		return GW_CHUNKED_ERR_LENGTH;
	d->chunk_size = size;
	d->remaining = size;
	if (signed_mode(d) &&
	    EVP_DigestInit_ex(d->sha, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	if (size == 0) {
		d->st = ST_TRAILER;
		return signed_mode(d) ? verify_chunk(d) : 0;
	}
	d->last_data_size = size;
	d->st = ST_DATA;
	return 0;
}

/* The empty line after the trailers: check the trailer signature. */
static int end_trailers(struct gw_chunked *d)
{
	d->st = ST_DONE;
	if (d->cfg.mode != GW_CHUNKED_SIGNED_TRAILER)
		return 0;
	if (d->trailer_sig[0] == '\0')
		return GW_CHUNKED_ERR_TRAILER;
	uint8_t h[32];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(d->trailer_sha, h, &n) != 1)
		return -ENOMEM;
	char sig[SIGV4_HEX_LEN + 1];
	sigv4_trailer_signature(d->auth.signing_key, d->auth.amz_date,
	                        d->auth.scope, d->prev_sig, h, sig);
	if (!sigv4_equal(sig, d->trailer_sig, SIGV4_HEX_LEN))
		return GW_CHUNKED_ERR_SIGNATURE;
	return 0;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
		(*e)--;
}

/* One "name:value" trailer line. */
static int trailer_line(struct gw_chunked *d, const char *l, size_t n)
{
	if (d->cfg.mode == GW_CHUNKED_SIGNED)
		return GW_CHUNKED_ERR_TRAILER; /* no trailers in this mode */
	const char *colon = memchr(l, ':', n);
	if (colon == NULL)
		return GW_CHUNKED_ERR_TRAILER;
	const char *ns = l, *ne = colon, *vs = colon + 1, *ve = l + n;
	trim(&ns, &ne);
	trim(&vs, &ve);
	size_t nl = (size_t)(ne - ns), vl = (size_t)(ve - vs);
	if (nl == 0 || nl > GW_CHUNKED_TRAILER_NAME_MAX ||
	    vl > GW_CHUNKED_TRAILER_VALUE_MAX || d->trailer_sig[0] != '\0')
		return GW_CHUNKED_ERR_TRAILER;
	char name[GW_CHUNKED_TRAILER_NAME_MAX + 1];
	for (size_t i = 0; i < nl; i++)
		name[i] = (char)tolower((unsigned char)ns[i]);
	name[nl] = '\0';
	if (strcmp(name, "x-amz-trailer-signature") == 0) {
		if (d->cfg.mode != GW_CHUNKED_SIGNED_TRAILER ||
		    vl != SIGV4_HEX_LEN)
			return GW_CHUNKED_ERR_TRAILER;
		memcpy(d->trailer_sig, vs, vl);
		d->trailer_sig[vl] = '\0';
		return 0;
	}
	if (d->ntrailers == GW_CHUNKED_TRAILERS_MAX ||
	    gw_chunked_trailer(d, name) != NULL)
		return GW_CHUNKED_ERR_TRAILER;
	struct trailer *t = &d->trailers[d->ntrailers++];
	memcpy(t->name, name, nl + 1);
	memcpy(t->value, vs, vl);
	t->value[vl] = '\0';
	if (d->cfg.mode == GW_CHUNKED_SIGNED_TRAILER &&
	    (EVP_DigestUpdate(d->trailer_sha, name, nl) != 1 ||
	     EVP_DigestUpdate(d->trailer_sha, ":", 1) != 1 ||
	     EVP_DigestUpdate(d->trailer_sha, t->value, vl) != 1 ||
	     EVP_DigestUpdate(d->trailer_sha, "\n", 1) != 1))
		return -ENOMEM;
	d->saw_trailer_line = true;
	return 0;
}

/* A complete line (without CRLF) in header or trailer state. */
static int line_done(struct gw_chunked *d)
{
	const char *l = d->line;
	size_t n = d->line_len;
	d->line_len = 0;
	if (d->st == ST_HEADER)
		return parse_header_line(d, l, n);
	ASSERT(d->st == ST_TRAILER);
	/* Some clients put an empty line between the zero chunk and the
	 * trailers; tolerate one where trailers are still to come. */
	if (n == 0 && !d->saw_trailer_line && d->trailer_sig[0] == '\0' &&
	    !d->skipped_blank && d->cfg.mode != GW_CHUNKED_SIGNED &&
	    (d->cfg.mode == GW_CHUNKED_SIGNED_TRAILER || d->trailer_names)) {
		d->skipped_blank = true;
		return 0;
	}
	if (n == 0)
		return end_trailers(d);
	return trailer_line(d, l, n);
}

/* Accumulates a line byte; a line must end in CRLF. */
static int line_byte(struct gw_chunked *d, char c)
{
	if (c == '\n') {
		if (d->line_len == 0 || d->line[d->line_len - 1] != '\r')
			return GW_CHUNKED_ERR_FRAMING;
		d->line_len--;
		d->line[d->line_len] = '\0';
		return line_done(d);
	}
	if (d->line_len == GW_CHUNKED_LINE_MAX)
		return GW_CHUNKED_ERR_FRAMING;
	d->line[d->line_len++] = c;
	return 0;
}

static int data_bytes(struct gw_chunked *d, const uint8_t *p, size_t n)
{
	ASSERT(n > 0 && n <= d->remaining);
	if (signed_mode(d) && EVP_DigestUpdate(d->sha, p, n) != 1)
		return -ENOMEM;
	d->remaining -= n;
	d->total += n;
	if (d->remaining == 0)
		d->st = ST_DATA_CR;
	return d->sink.data(d->sink.arg, p, n);
}

int gw_chunked_feed(struct gw_chunked *d, const void *buf, size_t len)
{
	ASSERT(d != NULL && (buf != NULL || len == 0));
	if (d->st == ST_FAILED)
		return d->err;
	const uint8_t *p = buf;
	size_t i = 0;
	while (i < len) {
		int rc = 0;
		switch (d->st) {
		case ST_HEADER:
		case ST_TRAILER:
			rc = line_byte(d, (char)p[i++]);
			break;
		case ST_DATA: {
			size_t n = len - i;
			if (n > d->remaining)
				n = (size_t)d->remaining;
			rc = data_bytes(d, p + i, n);
			i += n;
			break;
		}
		case ST_DATA_CR:
			rc = p[i++] == '\r' ? 0 : GW_CHUNKED_ERR_FRAMING;
			d->st = ST_DATA_LF;
			break;
		case ST_DATA_LF:
			rc = p[i++] == '\n' ? 0 : GW_CHUNKED_ERR_FRAMING;
			d->st = ST_HEADER;
			if (rc == 0 && signed_mode(d))
				rc = verify_chunk(d);
			break;
		case ST_DONE:
			rc = GW_CHUNKED_ERR_FRAMING; /* bytes after the end */
			break;
		case ST_FAILED:
			ASSERT(0);
		}
		if (rc != 0)
			return fail(d, rc);
	}
	return 0;
}

int gw_chunked_finish(struct gw_chunked *d)
{
	ASSERT(d != NULL);
	if (d->st == ST_FAILED)
		return d->err;
	/* Lenient: a signed body may end right after the zero chunk's line
	 * without the empty trailer line. */
	if (d->st == ST_TRAILER && d->line_len == 0 &&
	    (d->cfg.mode == GW_CHUNKED_SIGNED || d->skipped_blank)) {
		int rc = end_trailers(d);
		if (rc != 0)
			return fail(d, rc);
	}
	if (d->st != ST_DONE)
		return fail(d, GW_CHUNKED_ERR_INCOMPLETE);
	if (d->cfg.decoded_length >= 0 &&
	    d->total != (uint64_t)d->cfg.decoded_length)
		return fail(d, GW_CHUNKED_ERR_LENGTH);
	/* Every trailer x-amz-trailer announced must have arrived. */
	const char *p = d->trailer_names;
	for (int guard = 0; p != NULL && *p && guard < 64; guard++) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *e = p;
		while (*e && *e != ',')
			e++;
		const char *s = p, *t = e;
		trim(&s, &t);
		if (t > s) {
			char name[GW_CHUNKED_TRAILER_NAME_MAX + 1];
			size_t n = (size_t)(t - s);
			if (n > GW_CHUNKED_TRAILER_NAME_MAX)
				return fail(d, GW_CHUNKED_ERR_TRAILER);
			memcpy(name, s, n);
			name[n] = '\0';
			if (gw_chunked_trailer(d, name) == NULL)
				return fail(d, GW_CHUNKED_ERR_TRAILER);
		}
		p = *e ? e + 1 : e;
	}
	return 0;
}

uint64_t gw_chunked_decoded_bytes(const struct gw_chunked *d)
{
	return d->total;
}

const char *gw_chunked_trailer(const struct gw_chunked *d, const char *name)
{
	for (size_t i = 0; i < d->ntrailers; i++)
		if (strcasecmp(d->trailers[i].name, name) == 0)
			return d->trailers[i].value;
	return NULL;
}

size_t gw_chunked_trailer_count(const struct gw_chunked *d)
{
	return d->ntrailers;
}

void gw_chunked_trailer_at(const struct gw_chunked *d, size_t i,
                           const char **name, const char **value)
{
	ASSERT(i < d->ntrailers);
	*name = d->trailers[i].name;
	*value = d->trailers[i].value;
}

int gw_chunked_mode_from_payload(enum sigv4_payload payload,
                                 enum gw_chunked_mode *out)
{
	switch (payload) {
	case SIGV4_PAYLOAD_STREAMING:
		*out = GW_CHUNKED_SIGNED;
		return 0;
	case SIGV4_PAYLOAD_STREAMING_TRAILER:
		*out = GW_CHUNKED_SIGNED_TRAILER;
		return 0;
	case SIGV4_PAYLOAD_STREAMING_UNSIGNED_TRAILER:
		*out = GW_CHUNKED_UNSIGNED_TRAILER;
		return 0;
	default:
		return -EINVAL;
	}
}

int gw_chunked_parse_length(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	if (n == 0 || n > 19)
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (UINT64_C(1) << 62))
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}
