/*
 * snapshot_xfer_install.c — swapping a received snapshot directory in for
 * the engine's directory, crash-safely.  Every step is one rename (atomic
 * on POSIX file systems) or a removal, each made durable by an fsync of
 * the parent directories it changed before the next step begins, so at any
 * crash the disk holds one of the states snap_install_recover resolves
 * (listed in snapshot_xfer.h).  Recovery rolls forward: kv_dir.new only
 * ever holds a complete, verified, fsync'd snapshot of committed state.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/assert.h"
#include "raft/snapshot_xfer_int.h"

#define PATH_BYTES 4096

struct paths {
	char kv[PATH_BYTES];
	char new_[PATH_BYTES + 8];
	char old[PATH_BYTES + 8];
};

static int paths_make(const char *kv_dir, struct paths *p)
{
	size_t n = strlen(kv_dir);
	while (n > 1 && kv_dir[n - 1] == '/')
		n--; /* "kv/" and "kv" are one directory */
	if (n == 0 || n >= PATH_BYTES)
		return SNAP_EINVAL;
	snprintf(p->kv, sizeof p->kv, "%.*s", (int)n, kv_dir);
	snprintf(p->new_, sizeof p->new_, "%s.new", p->kv);
	snprintf(p->old, sizeof p->old, "%s.old", p->kv);
	return 0;
}

/* rename, then fsync the destination's parent (and the source's). */
static int rename_durable(const struct kv_io *io, const char *from,
                          const char *to)
{
	int rc = io->rename(io->ctx, from, to);
	if (rc == 0)
		rc = snap_parent_fsync(io, to);
	if (rc == 0)
		rc = snap_parent_fsync(io, from);
	return rc;
}

static int remove_durable(const struct kv_io *io, const char *path)
{
	int rc = snap_rmtree(io, path);
	if (rc == 0)
		rc = snap_parent_fsync(io, path);
	return rc;
}

/*
 * Steps 2..4 from state "kv? + .new" (.old absent); stops after `steps`
 * steps counted from step 1.
 */
static int swap_from_new(const struct kv_io *io, const struct paths *p,
                         unsigned steps)
{
	int has_kv = snap_dir_exists(io, p->kv);
	if (has_kv < 0)
		return has_kv;
	int rc = 0;
	if (has_kv && steps >= 2)
		rc = rename_durable(io, p->kv, p->old);
	if (rc == 0 && steps >= 3)
		rc = rename_durable(io, p->new_, p->kv);
	if (rc == 0 && steps >= 4)
		rc = remove_durable(io, p->old);
	return rc;
}

int snap_install_recover_io(const struct kv_io *io, const char *kv_dir)
{
	io = snap_io(io);
	struct paths p;
	int rc = paths_make(kv_dir, &p);
	if (rc != 0)
		return rc;
	int has_kv = snap_dir_exists(io, p.kv),
	    has_new = snap_dir_exists(io, p.new_),
	    has_old = snap_dir_exists(io, p.old);
	if (has_kv < 0 || has_new < 0 || has_old < 0)
		return has_kv < 0 ? has_kv : has_new < 0 ? has_new : has_old;
	if (has_new) {
		/* .old next to kv is a finished install's leftover. */
		if (has_old && has_kv)
			rc = remove_durable(io, p.old);
		if (rc == 0 && (has_kv || !has_old))
			return swap_from_new(io, &p, 4);
		/* .new + .old, no kv: crashed between steps 2 and 3. */
		if (rc == 0)
			rc = rename_durable(io, p.new_, p.kv);
		if (rc == 0)
			rc = remove_durable(io, p.old);
		return rc;
	}
	if (has_old && has_kv)
		return remove_durable(io, p.old);
	if (has_old)
		return rename_durable(io, p.old, p.kv);
	return 0;
}

int snap_install_recover(const char *kv_dir)
{
	return snap_install_recover_io(NULL, kv_dir);
}

int snap_install_dir_steps(const struct kv_io *io, const char *ready_dir,
                           const char *kv_dir, unsigned steps)
{
	ASSERT(steps >= 1 && steps <= 4);
	io = snap_io(io);
	struct paths p;
	int rc = paths_make(kv_dir, &p);
	if (rc != 0)
		return rc;
	if (ready_dir == NULL || snap_dir_exists(io, ready_dir) != 1)
		return SNAP_EINVAL;
	/* Finish whatever an earlier install left, so we start from "kv?". */
	rc = snap_install_recover_io(io, kv_dir);
	if (rc == 0)
		rc = rename_durable(io, ready_dir, p.new_);
	if (rc == 0)
		rc = swap_from_new(io, &p, steps);
	return rc;
}

int snap_install_dir_io(const struct kv_io *io, const char *ready_dir,
                        const char *kv_dir)
{
	return snap_install_dir_steps(io, ready_dir, kv_dir, 4);
}

int snap_install_dir(const char *ready_dir, const char *kv_dir)
{
	return snap_install_dir_io(NULL, ready_dir, kv_dir);
}
