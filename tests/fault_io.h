/*
 * fault_io.h — an in-memory file system behind struct kv_io for the engine's
 * fault and crash tests (SQLite's approach: fail the Nth call, or "crash" and
 * keep only what was made durable).  The crash model is described at the top
 * of fault_io.c.
 *
 * One struct fault_io is one simulated disk.  It is thread-safe (one mutex),
 * so engine background threads may use it.  Nothing touches the real disk.
 */
#ifndef VS_TESTS_FAULT_IO_H
#define VS_TESTS_FAULT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/kv_io.h"

/*
 * Kinds of call, for counting and for aiming faults.  A pwritev is one
 * FAULT_PWRITE call of its gathered bytes (torn, failed or dropped as one).
 */
enum fault_op {
	FAULT_OPEN,
	FAULT_CLOSE,
	FAULT_PREAD,
	FAULT_PWRITE,
	FAULT_FDATASYNC,
	FAULT_FSYNC,
	FAULT_FALLOCATE,
	FAULT_FTRUNCATE,
	FAULT_FILE_SIZE,
	FAULT_RENAME,
	FAULT_UNLINK,
	FAULT_LINK,
	FAULT_MKDIR,
	FAULT_RMDIR,
	FAULT_LIST_DIR,
	FAULT_LOCK,
	FAULT_OP_COUNT,
	/* Pseudo-kinds for counting/aiming: every call, or every call that
	 * can change what survives a crash (writes, syncs, size changes,
	 * namespace changes, opens that create or truncate). */
	FAULT_ANY = FAULT_OP_COUNT,
	FAULT_MUTATING,
	FAULT_KIND_COUNT,
};

/* What a crash keeps of the writes not yet covered by a sync. */
enum fault_crash_mode {
	/* Every unsynced write and every undurable directory operation is lost. */
	FAULT_CRASH_DROP,
	/* Per file, a random prefix (possibly empty, possibly all) of the
	 * unsynced writes survives, the last surviving one torn at a random
	 * length; a random prefix of the pending directory operations
	 * survives.  Seeded, so replayable. */
	FAULT_CRASH_RANDOM,
	/* Every unsynced write survives except that the very last one is torn
	 * strictly inside (at least one byte kept, at least one lost);
	 * directory operations survive.  For aimed torn-tail tests. */
	FAULT_CRASH_TEAR_LAST,
	/* Page-cache writeback in any order: each 4 KiB page dirtied since the
	 * last sync survives with its current content or not at all (a
	 * surviving one may keep only its first 512-byte sectors), as the page
	 * cache may leave it.  Directory operations as in RANDOM. */
	FAULT_CRASH_REORDER,
};

struct fault_io;

/* A fresh, empty disk; seed drives torn lengths and random prefixes. */
struct fault_io *fault_io_new(uint64_t seed);
void fault_io_free(struct fault_io *f);
/* The table to put in kv_options.io; borrowed, lives as long as f. */
const struct kv_io *fault_io_table(struct fault_io *f);

/* Calls of one kind (or FAULT_ANY / FAULT_MUTATING) made so far. */
uint64_t fault_io_calls(struct fault_io *f, enum fault_op kind);

/*
 * Makes the nth call of kind (counted from now, 1 = the next one) fail with
 * -err without effect, and the `times - 1` calls of that kind after it too
 * (times 0 = every later call, e.g. a full disk).  With partial set, a
 * failing pwrite first writes a random prefix of its buffer (a real short
 * write before ENOSPC).  One rule at a time; replaces the previous one.
 */
void fault_io_fail(struct fault_io *f, enum fault_op kind, uint64_t nth,
		   int err, uint64_t times, bool partial);
void fault_io_fail_clear(struct fault_io *f);
/* Calls failed by the rule so far. */
uint64_t fault_io_failed(struct fault_io *f);

/*
 * Arms a crash instead of the nth call of kind (from now, 1 = next): that
 * call and every later one fail with -EIO without effect, and the state that
 * survives is computed at that moment with the given mode.
 */
void fault_io_crash_at(struct fault_io *f, enum fault_op kind, uint64_t nth,
		       enum fault_crash_mode mode);
/* Crashes now (same as an armed crash reached). */
void fault_io_crash_now(struct fault_io *f, enum fault_crash_mode mode);
bool fault_io_crashed(struct fault_io *f);
/*
 * "Reboots": the surviving state becomes the disk, every fd and lock of
 * before is gone, calls work again.  The caller must have stopped using
 * the old engine (kv_close it first: its calls fail harmlessly).  Without a
 * crash, this is a crash in FAULT_CRASH_DROP mode at this instant.
 */
void fault_io_restart(struct fault_io *f);

/*
 * Makes everything durable now (as if all files and directories were
 * synced); used to set up a durable starting state such as the data
 * directory itself.
 */
void fault_io_sync_all(struct fault_io *f);

/* ---- Out-of-band access for tests (not counted, never faulted) ---------- */

/* mkdir -p, durable at once. */
int fault_io_mkdirs(struct fault_io *f, const char *path);
/* Size of a file and the end of the highest byte ever written to it. */
int fault_io_file_info(struct fault_io *f, const char *path, uint64_t *size,
		       uint64_t *written_end);
/* Reads/overwrites bytes of a file in place, durably (bit rot, tearing). */
ssize_t fault_io_peek(struct fault_io *f, const char *path, uint64_t off,
		      void *buf, size_t len);
int fault_io_poke(struct fault_io *f, const char *path, uint64_t off,
		  const void *buf, size_t len);
/* Calls fn for each regular file whose path starts with dir + "/". */
int fault_io_each_file(struct fault_io *f, const char *dir,
		       int (*fn)(void *arg, const char *path, uint64_t size),
		       void *arg);

#endif /* VS_TESTS_FAULT_IO_H */
