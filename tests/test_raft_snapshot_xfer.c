/*
 * test_raft_snapshot_xfer.c — streaming a real engine checkpoint from a
 * snap_send to a snap_recv through an in-memory channel that can drop,
 * duplicate, reorder and corrupt frames and acks; what arrives is
 * installed and compared key by key with what was written.  Plus hostile
 * frames (names, lengths, checksums), superseded transfers, resume after
 * a broken connection, and bounded memory for a file larger than a chunk.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/crc32c.h"
#include "raft/snapshot_xfer_int.h"
#include "tests/raft_snapshot_xfer_test.h"
#include "tests/testutil.h"

#define CHAN_MAX   256
#define ROUNDS_MAX 200000

struct faults {
	unsigned drop_pct, dup_pct, swap_pct, ack_drop_pct;
	/* Flip one bit of every corrupt_every-th frame, corrupt_max times. */
	unsigned corrupt_every, corrupt_max;
};

struct stats {
	uint64_t frames, bytes, rewinds, errors, rounds, corrupted;
	size_t frame_max;
};

struct chan {
	uint8_t *f[CHAN_MAX];
	size_t n[CHAN_MAX];
	unsigned len;
};

static void chan_push(struct chan *c, const void *p, size_t n)
{
	if (c->len == CHAN_MAX)
		return; /* a full queue drops, as the transport's does */
	c->f[c->len] = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(c->f[c->len]);
	memcpy(c->f[c->len], p, n);
	c->n[c->len++] = n;
}

static void chan_clear(struct chan *c)
{
	for (unsigned i = 0; i < c->len; i++)
		free(c->f[i]);
	c->len = 0;
}

static bool pct(struct test_rng *rng, unsigned p)
{
	return p > 0 && test_rng_below(rng, 100) < p;
}

/* Sends what the window allows into the channel, with faults. */
static int pump(struct snap_send *s, struct chan *c, const struct faults *f,
                struct test_rng *rng, struct stats *st)
{
	int sent = 0;
	for (int guard = 0; guard < CHAN_MAX; guard++) {
		const void *fr;
		size_t n;
		int rc = snap_send_next(s, &fr, &n);
		ck_assert_int_ge(rc, 0);
		if (rc != SNAP_SEND_FRAME)
			break;
		sent++;
		st->frames++;
		st->bytes += n;
		if (n > st->frame_max)
			st->frame_max = n;
		if (pct(rng, f->drop_pct))
			continue;
		chan_push(c, fr, n);
		if (f->corrupt_every > 0 &&
		    st->frames % f->corrupt_every == 0 &&
		    st->corrupted < f->corrupt_max && c->len > 0) {
			c->f[c->len - 1][test_rng_below(rng, n)] ^=
			    (uint8_t)(1u << test_rng_below(rng, 8));
			st->corrupted++;
		}
		if (pct(rng, f->dup_pct))
			chan_push(c, fr, n);
	}
	if (c->len >= 2 && pct(rng, f->swap_pct)) {
		unsigned i = (unsigned)test_rng_below(rng, c->len - 1);
		uint8_t *t = c->f[i];
		size_t tn = c->n[i];
		c->f[i] = c->f[i + 1], c->n[i] = c->n[i + 1];
		c->f[i + 1] = t, c->n[i + 1] = tn;
	}
	return sent;
}

/*
 * Streams fx's snapshot as transfer xfer_id into r until the sender is
 * done; a round with nothing to send and nothing delivered is a timeout
 * (the driver's: snap_send_rewind).  Returns 0 and the ready dir.
 */
static void run_xfer(const struct sxt_fixture *fx, struct snap_recv *r,
                     uint64_t xfer_id, size_t chunk, unsigned window,
                     const struct faults *f, uint64_t seed, struct stats *st,
                     char *ready, size_t cap)
{
	struct snap_send *s;
	ck_assert_int_eq(
	    snap_send_open(fx->snap, &fx->meta, xfer_id, chunk, &s), 0);
	snap_send_set_window(s, window);
	struct test_rng rng;
	test_rng_init(&rng, seed);
	struct chan frames = {0}, acks = {0};
	bool got_ready = false;
	memset(st, 0, sizeof *st);
	while (!snap_send_done(s)) {
		ck_assert_uint_lt(++st->rounds, ROUNDS_MAX);
		int sent = pump(s, &frames, f, &rng, st);
		unsigned delivered = frames.len;
		for (unsigned i = 0; i < frames.len; i++) {
			const void *ack;
			size_t an;
			int rc = snap_recv_feed(r, frames.f[i], frames.n[i],
			                        &ack, &an);
			if (rc < 0)
				st->errors++;
			if (rc == SNAP_RECV_COMPLETE) {
				struct raft_snapshot_meta m;
				const char *dir = snap_recv_ready(r, &m);
				ck_assert_ptr_nonnull(dir);
				ck_assert_uint_eq(m.index, fx->meta.index);
				ck_assert_uint_eq(m.term, fx->meta.term);
				ck_assert(memcmp(&m.conf, &fx->meta.conf,
				                 sizeof m.conf) == 0);
				snprintf(ready, cap, "%s", dir);
				got_ready = true;
			}
			if (ack != NULL && !pct(&rng, f->ack_drop_pct))
				chan_push(&acks, ack, an);
		}
		chan_clear(&frames);
		for (unsigned i = 0; i < acks.len; i++) {
			int rc = snap_send_ack(s, acks.f[i], acks.n[i]);
			ck_assert(rc == 0 || rc == SNAP_SEND_COMPLETE);
		}
		delivered += acks.len;
		chan_clear(&acks);
		if (sent == 0 && delivered == 0) {
			snap_send_rewind(s);
			st->rewinds++;
		}
	}
	ck_assert(got_ready);
	uint64_t acked, total;
	snap_send_progress(s, &acked, &total);
	ck_assert_uint_eq(acked, total);
	snap_send_close(s);
}

static struct faults no_faults;

START_TEST(test_stream_clean_install)
{
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sx-clean", 3000, 0, test_seed());
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct stats st;
	char ready[SXT_PATH];
	run_xfer(&fx, r, snap_xfer_id(3, 1), 16 << 10, 4, &no_faults,
	         test_seed(), &st, ready, sizeof ready);
	ck_assert_uint_eq(st.errors, 0);
	ck_assert_uint_eq(st.rewinds, 0);
	ck_assert_uint_le(st.frame_max,
	                  snap_chunk_bytes(SNAP_NAME_MAX, 16 << 10));
	/* The ready dir is the receiver's, named for the transfer. */
	ck_assert(strstr(ready, "/staging/") != NULL);
	ck_assert(strstr(ready, ".ready") != NULL);
	snap_recv_free(r);
	ck_assert(sxt_exists(ready)); /* free keeps a finished transfer */
	ck_assert_int_eq(snap_install_dir(ready, fx.target), 0);
	ck_assert(!sxt_exists(ready));
	sxt_verify_engine(&fx, fx.target);
	/* The leader drops its snapshot when no transfer needs it. */
	ck_assert_int_eq(snap_dir_remove(fx.snap), 0);
	ck_assert(!sxt_exists(fx.snap));
	ck_assert_int_eq(snap_dir_remove(fx.snap), 0);
	sxt_fixture_free(&fx);
}
END_TEST

/* Random loss, duplication, reordering and ack loss: it completes, and
 * what is installed is exactly the snapshot. */
START_TEST(test_stream_faults)
{
	struct sxt_fixture fx;
	uint64_t seed = test_seed() + (uint64_t)_i * 7919;
	sxt_fixture_make(&fx, "sx-faults", 1500, 0, seed);
	struct faults f = {
	    .drop_pct = 10,
	    .dup_pct = 10,
	    .swap_pct = 30,
	    .ack_drop_pct = 10,
	};
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct stats st, clean;
	char ready[SXT_PATH];
	/* A clean run first, for the number of frames a transfer needs. */
	run_xfer(&fx, r, snap_xfer_id(4, 1), 8 << 10, 4, &no_faults, seed,
	         &clean, ready, sizeof ready);
	ck_assert_int_eq(test_rmtree(ready), 0);
	run_xfer(&fx, r, snap_xfer_id(4, 2), 8 << 10, 1 + (unsigned)_i % 6, &f,
	         seed, &st, ready, sizeof ready);
	/* Losses happened and were healed by resending. */
	ck_assert_uint_gt(st.frames, clean.frames);
	ck_assert_uint_gt(clean.frames, 10);
	ck_assert_int_eq(snap_install_dir(ready, fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	snap_recv_free(r);
	sxt_fixture_free(&fx);
}
END_TEST

/* Flipped bits: every one is detected (an error, staging dropped), the
 * transfer starts over, and what completes is still exact. */
START_TEST(test_stream_corruption)
{
	struct sxt_fixture fx;
	uint64_t seed = test_seed() + (uint64_t)_i * 104729;
	sxt_fixture_make(&fx, "sx-corrupt", 600, 0, seed);
	struct faults f = {.corrupt_every = 29 + (unsigned)_i,
	                   .corrupt_max = 3};
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct stats st;
	char ready[SXT_PATH];
	run_xfer(&fx, r, snap_xfer_id(5, 1), 4 << 10, 4, &f, seed, &st, ready,
	         sizeof ready);
	/* Each flip is detected (an error that restarts the transfer). */
	ck_assert_uint_eq(st.corrupted, 3);
	ck_assert_uint_eq(st.errors, 3);
	ck_assert_int_eq(snap_install_dir(ready, fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	snap_recv_free(r);
	sxt_fixture_free(&fx);
}
END_TEST

/* Collects every frame of a clean transfer, in order (window 1). */
static unsigned collect_frames(const struct sxt_fixture *fx, uint64_t xfer_id,
                               size_t chunk, struct snap_recv *r,
                               struct chan *out)
{
	struct snap_send *s;
	ck_assert_int_eq(
	    snap_send_open(fx->snap, &fx->meta, xfer_id, chunk, &s), 0);
	snap_send_set_window(s, 1);
	for (int guard = 0; guard < CHAN_MAX && !snap_send_done(s); guard++) {
		const void *fr, *ack;
		size_t n, an;
		ck_assert_int_eq(snap_send_next(s, &fr, &n), SNAP_SEND_FRAME);
		chan_push(out, fr, n);
		ck_assert_int_ge(snap_recv_feed(r, fr, n, &ack, &an), 0);
		ck_assert_ptr_nonnull(ack);
		ck_assert_int_ge(snap_send_ack(s, ack, an), 0);
	}
	ck_assert(snap_send_done(s));
	snap_send_close(s);
	return out->len;
}

/* Every truncation and every single-byte flip of every frame of a small
 * transfer is refused by a fresh receiver. */
START_TEST(test_frame_flips_rejected)
{
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sx-flips", 20, 0, test_seed());
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct chan fr = {0};
	unsigned n = collect_frames(&fx, 7, 64 << 10, r, &fr);
	ck_assert_uint_ge(n, 3);
	snap_recv_free(r);
	struct snap_chunk c;
	struct snap_final f;
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_gt(snap_frame_decode(fr.f[i], fr.n[i], &c, &f),
		                 0);
		for (size_t len = 0; len < fr.n[i]; len++)
			ck_assert_int_lt(
			    snap_frame_decode(fr.f[i], len, &c, &f), 0);
		size_t step = fr.n[i] > 4096 ? 7 : 1; /* big frames: sampled */
		for (size_t b = 0; b < fr.n[i]; b += step) {
			fr.f[i][b] ^= 0x10;
			ck_assert_int_lt(
			    snap_frame_decode(fr.f[i], fr.n[i], &c, &f), 0);
			fr.f[i][b] ^= 0x10;
		}
	}
	chan_clear(&fr);
	/* Acks too: every flip and truncation is refused. */
	struct snap_ack a = {SNAP_ACK_NEXT, 3, 77, 2, 4096}, d;
	uint8_t ab[SNAP_ACK_BYTES];
	snap_ack_encode(&a, ab);
	ck_assert_int_eq(snap_ack_decode(ab, sizeof ab, &d), 0);
	ck_assert(d.status == a.status && d.epoch == 3 && d.xfer_id == 77 &&
	          d.next_file == 2 && d.next_offset == 4096);
	for (size_t len = 0; len < sizeof ab; len++)
		ck_assert_int_lt(snap_ack_decode(ab, len, &d), 0);
	for (size_t b = 0; b < 8 * sizeof ab; b++) {
		ab[b / 8] ^= (uint8_t)(1u << (b % 8));
		ck_assert_int_lt(snap_ack_decode(ab, sizeof ab, &d), 0);
		ab[b / 8] ^= (uint8_t)(1u << (b % 8));
	}
	sxt_fixture_free(&fx);
}
END_TEST

/* A hand-made chunk frame (the encoder asserts valid names, so the test
 * writes the bytes itself): offset 0 of file 0 of 1. */
static size_t raw_chunk(uint8_t *b, uint64_t xfer, const char *name,
                        size_t name_len, const void *data, uint32_t data_len,
                        uint64_t file_size, uint64_t offset)
{
	memset(b, 0, 70);
	b[0] = SNAP_XFER_VERSION;
	b[1] = SNAP_KIND_CHUNK;
	snap_put_u64(b + 8, xfer);
	snap_put_u64(b + 16, 10);
	snap_put_u64(b + 24, 2);
	snap_put_u32(b + 32, 1);
	snap_put_u32(b + 36, 0);
	snap_put_u64(b + 40, file_size);
	snap_put_u64(b + 48, offset);
	snap_put_u32(b + 56, data_len);
	snap_put_u32(b + 60, kv_crc32c(data, data_len));
	snap_put_u16(b + 64, (uint16_t)name_len);
	memcpy(b + 66, name, name_len);
	snap_put_u32(b + 66 + name_len, kv_crc32c(b, 66 + name_len));
	memcpy(b + 70 + name_len, data, data_len);
	return 70 + name_len + data_len;
}

START_TEST(test_malicious_names)
{
	char *tmp = test_tmpdir_new("sx-names");
	char staging[SXT_PATH], escape[SXT_PATH];
	snprintf(staging, sizeof staging, "%s/staging", tmp);
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(staging, &r), 0);
	char longname[300];
	memset(longname, 'a', sizeof longname);
	static const struct {
		const char *name;
		size_t len;
	} bad[] = {
	    {"../evil", 7},
	    {"..", 2},
	    {".", 1},
	    {"/etc/passwd", 11},
	    {"a/b", 3},
	    {".hidden", 7},
	    {"", 0},
	    {"nul\0x", 5},
	    {"sp ace", 6},
	    {"back\\slash", 10},
	    {"\xc3\xa9t\xc3\xa9", 5},
	};
	uint8_t frame[512];
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = raw_chunk(frame, 100 + i, bad[i].name, bad[i].len,
		                     "abc", 3, 3, 0);
		const void *ack;
		size_t an;
		ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an),
		                 SNAP_ECORRUPT);
	}
	size_t n = raw_chunk(frame, 200, longname, 256, "abc", 3, 3, 0);
	const void *ack;
	size_t an;
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an), SNAP_ECORRUPT);
	/* The largest valid name is accepted. */
	n = raw_chunk(frame, 201, longname, 255, "abc", 3, 3, 0);
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an),
	                 SNAP_RECV_CONTINUE);
	snprintf(escape, sizeof escape, "%s/evil", tmp);
	ck_assert(!sxt_exists(escape));
	/* A chunk claiming more data than the file holds, or a past-end
	 * offset, is refused too. */
	n = raw_chunk(frame, 202, "seg", 3, "abcd", 4, 3, 0);
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an), SNAP_ECORRUPT);
	n = raw_chunk(frame, 203, "seg", 3, "abc", 3, 3, 1);
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an), SNAP_ECORRUPT);
	n = raw_chunk(frame, 204, "seg", 3, "", 0, 3, 0);
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an), SNAP_ECORRUPT);
	/* Within one transfer, the snapshot it names may not change. */
	n = raw_chunk(frame, 205, "seg", 3, "ab", 2, 3, 0);
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an),
	                 SNAP_RECV_CONTINUE);
	snap_put_u64(frame + 16, 11); /* snap_index */
	snap_put_u32(frame + 66 + 3, kv_crc32c(frame, 66 + 3));
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an), SNAP_ECORRUPT);
	/* ... and the sender is asked to start over. */
	struct snap_ack a;
	ck_assert_ptr_nonnull(ack);
	ck_assert_int_eq(snap_ack_decode(ack, an, &a), 0);
	ck_assert(a.status == SNAP_ACK_RESEND && a.next_file == 0 &&
	          a.next_offset == 0 && a.xfer_id == 205);
	/* Garbage gets no ack at all. */
	ck_assert_int_eq(snap_recv_feed(r, "junk", 4, &ack, &an),
	                 SNAP_ECORRUPT);
	ck_assert_ptr_null(ack);
	frame[0] = 9;
	ck_assert_int_eq(snap_recv_feed(r, frame, n, &ack, &an), SNAP_EVERSION);
	snap_recv_free(r);
	/* Nothing but the (cleaned) staging root is left in tmp. */
	ck_assert_int_eq(snap_recv_new(staging, &r), 0);
	snap_recv_free(r);
	ck_assert_int_eq(rmdir(staging), 0);
	ck_assert_int_eq(rmdir(tmp), 0);
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	test_tmpdir_free(tmp);
}
END_TEST

/* The sender refuses a directory it could not stream faithfully. */
START_TEST(test_send_bad_dirs)
{
	char *tmp = test_tmpdir_new("sx-baddir");
	char p[SXT_PATH];
	struct raft_snapshot_meta meta = {.index = 1, .term = 1};
	struct snap_send *s;
	ck_assert_int_eq(snap_send_open(tmp, &meta, 1, 0, &s), SNAP_EINVAL);
	snprintf(p, sizeof p, "%s/sub", tmp);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(snap_send_open(tmp, &meta, 1, 0, &s), SNAP_EINVAL);
	ck_assert_int_eq(rmdir(p), 0);
	snprintf(p, sizeof p, "%s/.hidden", tmp);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(snap_send_open(tmp, &meta, 1, 0, &s), SNAP_EINVAL);
	ck_assert_int_eq(unlink(p), 0);
	snprintf(p, sizeof p, "%s/empty", tmp);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_int_eq(snap_send_open(tmp, &meta, 0, 0, &s), SNAP_EINVAL);
	ck_assert_int_eq(snap_send_open(tmp, &meta, 1, SNAP_CHUNK_MAX + 1, &s),
	                 SNAP_EINVAL);
	/* One empty file streams as one empty chunk and a final frame. */
	ck_assert_int_eq(snap_send_open(tmp, &meta, 1, 0, &s), 0);
	const void *fr;
	size_t n;
	ck_assert_int_eq(snap_send_next(s, &fr, &n), SNAP_SEND_FRAME);
	ck_assert_uint_eq(n, snap_chunk_bytes(5, 0));
	ck_assert_int_eq(snap_send_next(s, &fr, &n), SNAP_SEND_FRAME);
	ck_assert_int_eq(snap_send_next(s, &fr, &n), SNAP_SEND_WAIT);
	snap_send_close(s);
	test_tmpdir_free(tmp);
}
END_TEST

/* A newer transfer discards an unfinished older one; the older sender is
 * told to stop; a duplicate after completion is answered "complete". */
START_TEST(test_newer_xfer_supersedes)
{
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sx-newer", 800, 0, test_seed());
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct snap_send *old;
	ck_assert_int_eq(snap_send_open(fx.snap, &fx.meta, snap_xfer_id(3, 1),
	                                4 << 10, &old),
	                 0);
	const void *fr, *ack;
	size_t n, an;
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(snap_send_next(old, &fr, &n), SNAP_SEND_FRAME);
		ck_assert_int_eq(snap_recv_feed(r, fr, n, &ack, &an), 0);
		ck_assert_int_eq(snap_send_ack(old, ack, an), 0);
	}
	char part[SXT_PATH + 32];
	snprintf(part, sizeof part, "%s/%016llx.part", fx.staging,
	         (unsigned long long)snap_xfer_id(3, 1));
	ck_assert(sxt_exists(part));
	struct stats st;
	char ready[SXT_PATH];
	run_xfer(&fx, r, snap_xfer_id(4, 1), 4 << 10, 3, &no_faults, 1, &st,
	         ready, sizeof ready);
	ck_assert(!sxt_exists(part)); /* the older staging is gone */
	ck_assert_int_eq(snap_send_next(old, &fr, &n), SNAP_SEND_FRAME);
	ck_assert_int_eq(snap_recv_feed(r, fr, n, &ack, &an), 0);
	ck_assert_int_eq(snap_send_ack(old, ack, an), SNAP_EABORTED);
	ck_assert_int_eq(snap_send_next(old, &fr, &n), SNAP_EABORTED);
	snap_send_close(old);
	/* An ack of another transfer is ignored by a sender. */
	struct snap_send *s;
	ck_assert_int_eq(snap_send_open(fx.snap, &fx.meta, 99, 0, &s), 0);
	ck_assert_int_eq(snap_send_ack(s, ack, an), SNAP_ESTALE);
	snap_send_close(s);
	ck_assert_int_eq(snap_install_dir(ready, fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	snap_recv_free(r);
	sxt_fixture_free(&fx);
}
END_TEST

/*
 * A broken connection mid-transfer (every frame in flight lost) resumes
 * from the acknowledged position, not from zero; a receiver that lost its
 * state (a restarted process) makes the sender start over.
 */
START_TEST(test_resume_after_break)
{
	struct sxt_fixture fx;
	sxt_fixture_make(&fx, "sx-resume", 2000, 0, test_seed());
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct snap_send *s;
	size_t chunk = 4 << 10;
	ck_assert_int_eq(snap_send_open(fx.snap, &fx.meta, 11, chunk, &s), 0);
	snap_send_set_window(s, 4);
	uint64_t total, acked, sent_bytes = 0;
	snap_send_progress(s, &acked, &total);
	ck_assert_uint_gt(total, 40 * chunk);
	const void *fr, *ack;
	size_t n, an;
	int breaks = 0, restarts = 0;
	for (int round = 0; round < 100000 && !snap_send_done(s); round++) {
		struct chan c = {0};
		for (int k = 0; k < 8; k++) {
			int rc = snap_send_next(s, &fr, &n);
			if (rc != SNAP_SEND_FRAME)
				break;
			sent_bytes += n;
			chan_push(&c, fr, n);
		}
		snap_send_progress(s, &acked, &total);
		if (round % 5 == 4 && breaks < 6) {
			/* the connection breaks: in-flight frames are lost */
			breaks++;
			chan_clear(&c);
			snap_send_rewind(s);
			continue;
		}
		if (round == 23) {
			/* the follower restarts: a new receiver, no state */
			snap_recv_free(r);
			ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
			restarts++;
		}
		for (unsigned i = 0; i < c.len; i++) {
			int rc = snap_recv_feed(r, c.f[i], c.n[i], &ack, &an);
			ck_assert_int_ge(rc, 0);
			ck_assert_int_ge(snap_send_ack(s, ack, an), 0);
		}
		chan_clear(&c);
	}
	ck_assert(snap_send_done(s));
	ck_assert_int_eq(breaks, 6);
	ck_assert_int_eq(restarts, 1);
	/* Each break costs at most the window, the restart what was sent
	 * before it (about 23 rounds' worth): far from six full restarts. */
	ck_assert_uint_lt(sent_bytes, total + 23 * 4 * (chunk + 300) +
	                                  6 * 4 * (chunk + 300) + 4096);
	snap_send_close(s);
	struct raft_snapshot_meta m;
	const char *dir = snap_recv_ready(r, &m);
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(snap_install_dir(dir, fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	snap_recv_free(r);
	sxt_fixture_free(&fx);
}
END_TEST

/*
 * When the receiver names a position the sender no longer remembers the
 * prefix CRC of (older than its ring), the sender resumes from the start
 * of that file, and the receiver takes offset 0 of its current file as a
 * restart of it: the transfer still completes exactly.
 */
START_TEST(test_resume_from_file_start)
{
	struct sxt_fixture fx;
	size_t chunk = 4u << 10;
	sxt_fixture_make(&fx, "sx-filestart", 50, 1u << 20, test_seed());
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct snap_send *s;
	ck_assert_int_eq(snap_send_open(fx.snap, &fx.meta, 13, chunk, &s), 0);
	snap_send_set_window(s, 1);
	const void *fr, *ack;
	size_t n, an;
	struct snap_chunk c;
	struct snap_final f;
	uint32_t big_file = UINT32_MAX;
	uint64_t early = 0;
	bool injected = false, restarted = false;
	for (int guard = 0; guard < 100000 && !snap_send_done(s); guard++) {
		ck_assert_int_eq(snap_send_next(s, &fr, &n), SNAP_SEND_FRAME);
		ck_assert_int_gt(snap_frame_decode(fr, n, &c, &f), 0);
		bool chunk_frame = ((const uint8_t *)fr)[1] == SNAP_KIND_CHUNK;
		if (injected && !restarted && chunk_frame) {
			/* The first frame after the injected ack. */
			ck_assert_uint_eq(c.file_index, big_file);
			ck_assert_uint_eq(c.offset, 0);
			restarted = true;
		}
		if (chunk_frame && big_file == UINT32_MAX &&
		    c.file_size > (512u << 10))
			big_file = c.file_index;
		if (chunk_frame && c.file_index == big_file &&
		    c.offset == 8 * chunk)
			early = c.offset;
		ck_assert_int_ge(snap_recv_feed(r, fr, n, &ack, &an), 0);
		struct snap_ack a;
		ck_assert_int_eq(snap_ack_decode(ack, an, &a), 0);
		if (!injected && chunk_frame && c.file_index == big_file &&
		    c.offset == 200 * chunk) {
			/* A RESEND naming an old position of this epoch. */
			uint8_t b[SNAP_ACK_BYTES];
			struct snap_ack fake = {SNAP_ACK_RESEND, a.epoch,
			                        a.xfer_id, big_file, early};
			ck_assert_int_eq(snap_send_ack(s, ack, an), 0);
			snap_ack_encode(&fake, b);
			ck_assert_int_eq(snap_send_ack(s, b, sizeof b), 0);
			injected = true;
			continue;
		}
		ck_assert_int_ge(snap_send_ack(s, ack, an), 0);
	}
	ck_assert(snap_send_done(s));
	ck_assert(injected && restarted && early == 8 * chunk);
	snap_send_close(s);
	const char *dir = snap_recv_ready(r, NULL);
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(snap_install_dir(dir, fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	snap_recv_free(r);
	sxt_fixture_free(&fx);
}
END_TEST

/* A 20 MiB value (one segment file far larger than a chunk) streams with
 * memory bounded by a few chunks, not by the file. */
START_TEST(test_large_file_bounded_memory)
{
	struct sxt_fixture fx;
	size_t big = 20u << 20, chunk = 256u << 10;
	sxt_fixture_make(&fx, "sx-large", 100, big, test_seed());
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(fx.staging, &r), 0);
	struct snap_send *s;
	ck_assert_int_eq(snap_send_open(fx.snap, &fx.meta, 12, chunk, &s), 0);
	snap_send_set_window(s, 2);
	ck_assert_uint_eq(snap_send_frame_bytes_max(s),
	                  snap_chunk_bytes(SNAP_NAME_MAX, chunk));
	ck_assert_uint_le(snap_send_frame_bytes_max(s), SNAP_FRAME_MAX);
	struct mallinfo2 m0 = mallinfo2();
	size_t base = m0.uordblks + m0.hblkhd, peak = base;
	const void *fr, *ack;
	size_t n, an;
	for (int guard = 0; guard < 100000 && !snap_send_done(s); guard++) {
		int rc = snap_send_next(s, &fr, &n);
		ck_assert_int_ge(rc, 0);
		if (rc != SNAP_SEND_FRAME)
			continue;
		ck_assert_uint_le(n, snap_send_frame_bytes_max(s));
		ck_assert_int_ge(snap_recv_feed(r, fr, n, &ack, &an), 0);
		ck_assert_int_ge(snap_send_ack(s, ack, an), 0);
		struct mallinfo2 now = mallinfo2();
		if (now.uordblks + now.hblkhd > peak)
			peak = now.uordblks + now.hblkhd;
	}
	ck_assert(snap_send_done(s));
	/* The sender's frame buffer was allocated before base; anything
	 * proportional to the 20 MiB file would show here. */
	ck_assert_uint_lt(peak - base, 2 * chunk);
	snap_send_close(s);
	const char *dir = snap_recv_ready(r, NULL);
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_eq(snap_install_dir(dir, fx.target), 0);
	sxt_verify_engine(&fx, fx.target);
	snap_recv_free(r);
	sxt_fixture_free(&fx);
}
END_TEST

/* Leftovers of an earlier run are removed by a new receiver; other
 * entries of the staging root are not touched. */
START_TEST(test_recv_new_cleans)
{
	char *tmp = test_tmpdir_new("sx-clean-root");
	char p[SXT_PATH], keep[SXT_PATH];
	snprintf(p, sizeof p, "%s/00000000000000ab.part", tmp);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/00000000000000ab.part/seg", tmp);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(p, sizeof p, "%s/00000000000000ac.ready", tmp);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	snprintf(keep, sizeof keep, "%s/other", tmp);
	ck_assert_int_eq(mkdir(keep, 0700), 0);
	struct snap_recv *r;
	ck_assert_int_eq(snap_recv_new(tmp, &r), 0);
	ck_assert(!sxt_exists(p));
	snprintf(p, sizeof p, "%s/00000000000000ab.part", tmp);
	ck_assert(!sxt_exists(p));
	ck_assert(sxt_exists(keep));
	snap_recv_free(r);
	test_tmpdir_free(tmp);
}
END_TEST

Suite *sxt_stream_suite(void)
{
	Suite *s = suite_create("raft_snapshot_xfer");
	TCase *tc = tcase_create("stream");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stream_clean_install);
	tcase_add_loop_test(tc, test_stream_faults, 0,
	                    (int)test_env_u64("SX_FAULT_SEEDS", 6));
	tcase_add_loop_test(tc, test_stream_corruption, 0, 3);
	tcase_add_test(tc, test_frame_flips_rejected);
	tcase_add_test(tc, test_malicious_names);
	tcase_add_test(tc, test_send_bad_dirs);
	tcase_add_test(tc, test_newer_xfer_supersedes);
	tcase_add_test(tc, test_resume_after_break);
	tcase_add_test(tc, test_resume_from_file_start);
	tcase_add_test(tc, test_large_file_bounded_memory);
	tcase_add_test(tc, test_recv_new_cleans);
	suite_add_tcase(s, tc);
	return s;
}
