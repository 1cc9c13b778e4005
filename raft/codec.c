/*
 * codec.c — the wire and log format of raft messages and entries (see
 * codec.h for the layout).  Decoding treats its input as hostile: every
 * length is checked against the bytes that remain before anything is read
 * or allocated, and the CRC32C is checked before any field is trusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "engine/crc32c.h"
#include "raft/codec.h"

#define KIND_MSG 1
#define KIND_ENTRY 2
#define HDR_BYTES 2   /* version, kind */
#define CRC_BYTES 4
#define ENTRY_BYTES 21 /* term, index, type, len */
#define MSG_FIXED (3 + 8 * 8 + 4)
#define SNAP_FIXED (8 + 8 + 4 + 4 + 4)

/* A bounded writer and reader over a byte buffer. */
struct wbuf {
	uint8_t *p;
	size_t n, cap;
};
struct rbuf {
	const uint8_t *p;
	size_t n, len;
	int err;
};

static void put_bytes(struct wbuf *w, const void *b, size_t n)
{
	ASSERT(w->n + n <= w->cap);
	if (n > 0)
		memcpy(w->p + w->n, b, n);
	w->n += n;
}

static void put_u(struct wbuf *w, uint64_t v, int bytes)
{
	uint8_t b[8];
	for (int i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put_bytes(w, b, (size_t)bytes);
}

static uint64_t get_u(struct rbuf *r, int bytes)
{
	if (r->err || r->len - r->n < (size_t)bytes) {
		r->err = 1;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)r->p[r->n + i] << (8 * i);
	r->n += (size_t)bytes;
	return v;
}

static const uint8_t *get_bytes(struct rbuf *r, size_t n)
{
	if (r->err || r->len - r->n < n) {
		r->err = 1;
		return NULL;
	}
	const uint8_t *p = r->p + r->n;
	r->n += n;
	return p;
}

static size_t entries_bytes(const struct raft_entry *e, size_t n)
{
	size_t b = 0;
	for (size_t i = 0; i < n; i++)
		b += ENTRY_BYTES + e[i].len;
	return b;
}

static size_t conf_bytes(const struct raft_conf_state *c)
{
	return 8 * ((size_t)c->n_voters + c->n_learners);
}

size_t raft_msg_encoded_bytes(const struct raft_msg *m)
{
	size_t b = HDR_BYTES + MSG_FIXED + CRC_BYTES +
		   entries_bytes(m->entries, m->n_entries);
	if (m->type == RAFT_MSG_SNAPSHOT)
		b += SNAP_FIXED + conf_bytes(&m->snapshot.meta.conf) +
		     m->snapshot.len;
	return b;
}

static void put_entry(struct wbuf *w, const struct raft_entry *e)
{
	put_u(w, e->term, 8);
	put_u(w, e->index, 8);
	put_u(w, e->type, 1);
	put_u(w, e->len, 4);
	put_bytes(w, e->data, e->len);
}

static void put_crc(struct wbuf *w)
{
	put_u(w, kv_crc32c(w->p, w->n), 4);
}

int raft_msg_encode(const struct raft_msg *m, uint8_t *buf, size_t cap,
		    size_t *written)
{
	const struct raft_snapshot *s = &m->snapshot;
	if (raft_msg_encoded_bytes(m) > cap || m->n_entries > UINT32_MAX ||
	    s->len > UINT32_MAX || s->meta.conf.n_voters > RAFT_NODES_MAX ||
	    s->meta.conf.n_learners > RAFT_NODES_MAX)
		return RAFT_ERR_INVALID;
	struct wbuf w = {.p = buf, .cap = cap};
	put_u(&w, RAFT_CODEC_VERSION, 1);
	put_u(&w, KIND_MSG, 1);
	put_u(&w, m->type, 1);
	put_u(&w, m->reject, 1);
	put_u(&w, m->transfer, 1);
	const uint64_t f[8] = {m->from,   m->to,     m->term,
			       m->log_term, m->index, m->commit,
			       m->reject_hint, m->ctx};
	for (int i = 0; i < 8; i++)
		put_u(&w, f[i], 8);
	put_u(&w, m->n_entries, 4);
	for (size_t i = 0; i < m->n_entries; i++)
		put_entry(&w, &m->entries[i]);
	if (m->type == RAFT_MSG_SNAPSHOT) {
		const struct raft_conf_state *c = &s->meta.conf;
		put_u(&w, s->meta.index, 8);
		put_u(&w, s->meta.term, 8);
		put_u(&w, c->n_voters, 4);
		for (uint32_t i = 0; i < c->n_voters; i++)
			put_u(&w, c->voters[i], 8);
		put_u(&w, c->n_learners, 4);
		for (uint32_t i = 0; i < c->n_learners; i++)
			put_u(&w, c->learners[i], 8);
		put_u(&w, s->len, 4);
		put_bytes(&w, s->data, s->len);
	}
	put_crc(&w);
	ASSERT(w.n == raft_msg_encoded_bytes(m));
	*written = w.n;
	return 0;
}

/* Checks version, kind and CRC; returns the body reader (without CRC). */
static int open_frame(const uint8_t *buf, size_t len, int kind,
		      struct rbuf *r)
{
	if (buf == NULL || len < HDR_BYTES + CRC_BYTES)
		return RAFT_ERR_CORRUPT;
	size_t body = len - CRC_BYTES;
	uint32_t want = 0;
	for (int i = 0; i < 4; i++)
		want |= (uint32_t)buf[body + i] << (8 * i);
	if (kv_crc32c(buf, body) != want)
		return RAFT_ERR_CORRUPT;
	if (buf[0] != RAFT_CODEC_VERSION)
		return RAFT_ERR_VERSION;
	if (buf[1] != kind)
		return RAFT_ERR_CORRUPT;
	*r = (struct rbuf){.p = buf, .n = HDR_BYTES, .len = body};
	return 0;
}

static void get_entry(struct rbuf *r, struct raft_entry *e)
{
	e->term = get_u(r, 8);
	e->index = get_u(r, 8);
	e->type = (uint8_t)get_u(r, 1);
	e->len = (uint32_t)get_u(r, 4);
	e->data = (uint8_t *)get_bytes(r, e->len);
	if (e->len == 0)
		e->data = NULL;
	if (e->type > RAFT_ENTRY_CONF)
		r->err = 1;
}

static void get_conf_list(struct rbuf *r, uint64_t *v, uint32_t *n)
{
	uint64_t cnt = get_u(r, 4);
	if (cnt > RAFT_NODES_MAX) {
		r->err = 1;
		return;
	}
	*n = (uint32_t)cnt;
	for (uint32_t i = 0; i < *n; i++)
		v[i] = get_u(r, 8);
}

static void get_snapshot(struct rbuf *r, struct raft_snapshot *s)
{
	s->meta.index = get_u(r, 8);
	s->meta.term = get_u(r, 8);
	get_conf_list(r, s->meta.conf.voters, &s->meta.conf.n_voters);
	get_conf_list(r, s->meta.conf.learners, &s->meta.conf.n_learners);
	s->len = (size_t)get_u(r, 4);
	s->data = (uint8_t *)get_bytes(r, s->len);
	if (s->len == 0)
		s->data = NULL;
}

int raft_msg_decode(const uint8_t *buf, size_t len, struct raft_msg *out)
{
	struct rbuf r;
	int rc = open_frame(buf, len, KIND_MSG, &r);
	if (rc != 0)
		return rc;
	struct raft_msg m;
	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)get_u(&r, 1);
	m.reject = (uint8_t)get_u(&r, 1);
	m.transfer = (uint8_t)get_u(&r, 1);
	uint64_t *f[8] = {&m.from,   &m.to,     &m.term,
			  &m.log_term, &m.index, &m.commit,
			  &m.reject_hint, &m.ctx};
	for (int i = 0; i < 8; i++)
		*f[i] = get_u(&r, 8);
	uint64_t n = get_u(&r, 4);
	/* Each entry takes ENTRY_BYTES: the count is bounded by the input. */
	if (r.err || m.type < 1 || m.type > RAFT_MSG_TYPE_MAX ||
	    m.reject > 1 || m.transfer > 1 || n > (r.len - r.n) / ENTRY_BYTES)
		return RAFT_ERR_CORRUPT;
	if (n > 0) {
		m.entries = calloc((size_t)n, sizeof(*m.entries));
		if (m.entries == NULL)
			return -ENOMEM;
		m.n_entries = (size_t)n;
	}
	for (size_t i = 0; i < m.n_entries && !r.err; i++)
		get_entry(&r, &m.entries[i]);
	if (m.type == RAFT_MSG_SNAPSHOT)
		get_snapshot(&r, &m.snapshot);
	if (r.err || r.n != r.len) {
		free(m.entries);
		return RAFT_ERR_CORRUPT;
	}
	*out = m;
	return 0;
}

void raft_msg_decoded_free(struct raft_msg *m)
{
	if (m == NULL)
		return;
	free(m->entries);
	m->entries = NULL;
	m->n_entries = 0;
}

size_t raft_entry_encoded_bytes(const struct raft_entry *e)
{
	return HDR_BYTES + ENTRY_BYTES + e->len + CRC_BYTES;
}

int raft_entry_encode(const struct raft_entry *e, uint8_t *buf, size_t cap,
		      size_t *written)
{
	if (raft_entry_encoded_bytes(e) > cap)
		return RAFT_ERR_INVALID;
	struct wbuf w = {.p = buf, .cap = cap};
	put_u(&w, RAFT_CODEC_VERSION, 1);
	put_u(&w, KIND_ENTRY, 1);
	put_entry(&w, e);
	put_crc(&w);
	*written = w.n;
	return 0;
}

int raft_entry_decode(const uint8_t *buf, size_t len, struct raft_entry *e)
{
	struct rbuf r;
	int rc = open_frame(buf, len, KIND_ENTRY, &r);
	if (rc != 0)
		return rc;
	struct raft_entry tmp;
	get_entry(&r, &tmp);
	if (r.err || r.n != r.len)
		return RAFT_ERR_CORRUPT;
	*e = tmp;
	return 0;
}
