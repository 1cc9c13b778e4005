/*
 * test_object_backend.c — the store the object suites run on (see
 * test_object.h), and small shared helpers.
 */
#include "tests/test_object.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "raft/node.h"
#include "tests/raft_node_test_net.h"
#include "tests/testutil.h"

struct test_backend {
	char *dir;
	struct memstore_data *mem;
	struct store *open;
	struct tnet *net; /* the Raft store (a cluster of one) */
};

/* VERISTORE_TEST_STORE=raft runs the engine-backed suites on store_raft
 * (tests/check_object_raft.sh): the same contract on the Raft path. */
static bool use_raft(void)
{
	const char *v = getenv("VERISTORE_TEST_STORE");
	return v != NULL && strcmp(v, "raft") == 0;
}

/* store_raft as a cluster of one over the in-memory net: dir/kv, dir/raft. */
static int raft_open(struct test_backend *b)
{
	char kv[4096], raft[4096];
	snprintf(kv, sizeof kv, "%s/kv", b->dir);
	snprintf(raft, sizeof raft, "%s/raft", b->dir);
	struct raft_node_peer self = {.id = 1};
	struct raft_node_options o = {
		.id = 1, .dir = raft, .n_peers = 1, .peers = &self,
		.net = tnet_endpoint(b->net, 1), .tick_ms = 10,
	};
	int rc = store_raft_open(kv, &o, STORE_RAFT_NO_PEERS, &b->open);
	if (rc == 0)
		tnet_attach(b->net, 1, store_raft_node(b->open));
	return rc;
}

struct test_backend *test_backend_new_kind(const char *tag, bool memory)
{
	struct test_backend *b = calloc(1, sizeof *b);
	ASSERT(b != NULL);
	if (memory) {
		b->mem = memstore_data_new();
	} else {
		b->dir = test_tmpdir_new(tag);
		ASSERT(b->dir != NULL);
		if (use_raft())
			b->net = tnet_new();
	}
	return b;
}

struct test_backend *test_backend_new(const char *tag)
{
#ifdef TEST_OBJECT_ENGINE
	return test_backend_new_kind(tag, false);
#else
	return test_backend_new_kind(tag, true);
#endif
}

struct store *test_backend_open(struct test_backend *b)
{
	ASSERT(b->open == NULL);
	int rc = b->mem ? memstore_open(b->mem, &b->open)
		 : b->net ? raft_open(b)
			  : store_local_open(b->dir, &b->open);
	ck_assert_msg(rc == 0, "store open: %s", store_strerror(rc));
	return b->open;
}

bool test_backend_raft(const struct test_backend *b)
{
	return b->net != NULL;
}

void test_backend_close(struct test_backend *b)
{
	if (b->net != NULL && b->open != NULL)
		tnet_attach(b->net, 1, NULL);
	store_close(b->open);
	b->open = NULL;
}

void test_backend_free(struct test_backend *b)
{
	if (b == NULL)
		return;
	test_backend_close(b);
	memstore_data_free(b->mem);
	if (b->net != NULL)
		tnet_free(b->net);
	if (b->dir != NULL)
		test_tmpdir_free(b->dir);
	free(b);
}

size_t test_backend_count_family(struct test_backend *b, char tag)
{
	ASSERT(b->open != NULL);
	uint8_t lo = (uint8_t)tag, hi = (uint8_t)(tag + 1);
	struct store_scan *it = NULL;
	ck_assert_int_eq(store_scan_new(b->open, &lo, 1, &hi, 1, &it), 0);
	ck_assert_int_eq(store_scan_seek(it, &lo, 1), 0);
	size_t n = 0;
	while (store_scan_valid(it)) {
		n++;
		ck_assert_int_eq(store_scan_next(it), 0);
	}
	store_scan_free(it);
	return n;
}

size_t test_backend_chunks(struct test_backend *b)
{
	return test_backend_count_family(b, 'C');
}

uint64_t test_clock_ns(void *ctx)
{
	return ((struct test_clock *)ctx)->ns;
}

void test_etag(const void *data, size_t len, char out[33])
{
	/* FNV-1a twice with different seeds: a stand-in digest (the layer
	 * stores ETags, it never computes single-part ones). */
	const uint8_t *p = data;
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
	for (size_t i = 0; i < len; i++) {
		h1 = (h1 ^ p[i]) * 0x100000001b3ull;
		h2 = (h2 ^ p[i]) * 0x100000001b3ull + 1;
	}
	snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1,
		 (unsigned long long)h2);
}

int tobj_put(struct obj *o, const char *bucket, const char *key,
	     const void *data, size_t len, const struct obj_cond *cond)
{
	struct obj_writer *w = NULL;
	int rc = obj_writer_new(o, bucket, key, strlen(key), &w);
	if (rc != 0)
		return rc;
	/* Feed in uneven pieces to cross chunk boundaries at odd places. */
	const uint8_t *p = data;
	size_t off = 0, step = 1;
	while (rc == 0 && off < len) {
		size_t n = len - off < step ? len - off : step;
		rc = obj_writer_write(w, p + off, n);
		off += n;
		step = step * 3 + 1;
	}
	char etag[33];
	test_etag(data, len, etag);
	struct obj_attrs a = {.etag = etag, .content_type = "application/x-test"};
	if (rc == 0)
		rc = obj_put_finish(w, &a, cond, NULL);
	obj_writer_free(w);
	return rc;
}

int tobj_get(struct obj *o, const char *bucket, const char *key,
	     const struct obj_range *range, size_t piece, uint8_t **data,
	     size_t *len)
{
	struct obj_reader *r = NULL;
	int rc = obj_reader_new(o, bucket, key, strlen(key), range, &r);
	if (rc != 0)
		return rc;
	uint64_t first = 0, total = 0;
	obj_reader_span(r, &first, &total);
	uint8_t *buf = malloc(total ? total : 1);
	ASSERT(buf != NULL);
	size_t off = 0;
	for (;;) {
		size_t got = 0;
		size_t cap = piece < total - off ? piece : total - off;
		rc = obj_reader_read(r, buf + off, cap ? cap : piece, &got);
		if (rc != 0 || got == 0)
			break;
		off += got;
		ASSERT(off <= total);
	}
	obj_reader_free(r);
	if (rc != 0 || off != total) {
		free(buf);
		return rc ? rc : -EIO;
	}
	*data = buf;
	*len = off;
	return 0;
}

void tenv_init(struct tenv *e, const char *tag, uint32_t chunk_bytes)
{
	tenv_init_kind(e, tag, chunk_bytes, false);
}

void tenv_init_kind(struct tenv *e, const char *tag, uint32_t chunk_bytes,
		    bool memory)
{
	memset(e, 0, sizeof *e);
	e->be = memory ? test_backend_new_kind(tag, true) : test_backend_new(tag);
	e->clock.ns = 1700000000ull * 1000000000ull;
	e->chunk_bytes = chunk_bytes;
	tenv_reopen(e);
}

void tenv_reopen(struct tenv *e)
{
	if (e->o != NULL) {
		obj_free(e->o);
		test_backend_close(e->be);
	}
	e->st = test_backend_open(e->be);
	struct obj_options oo;
	obj_options_init(&oo);
	oo.chunk_bytes = e->chunk_bytes;
	oo.clock_ns = test_clock_ns;
	oo.clock_ctx = &e->clock;
	ck_assert_int_eq(obj_new(e->st, &oo, &e->o), 0);
}

void tenv_fini(struct tenv *e)
{
	obj_free(e->o);
	test_backend_free(e->be);
	memset(e, 0, sizeof *e);
}
