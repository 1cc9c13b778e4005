/*
 * fault_io.c — an in-memory file system behind struct kv_io that fails the
 * Nth call and simulates power loss, for the engine's fault and crash tests.
 *
 * The crash model (POSIX, read strictly; what the engine may rely on):
 *
 *  - File contents.  Every inode has its current contents (what reads see)
 *    and its durable contents.  pwrite, ftruncate, fallocate and O_TRUNC
 *    change the current contents and queue a pending data operation.
 *    fdatasync or fsync of any fd of the inode makes the current contents
 *    durable (data and size: fdatasync must persist the size when it is
 *    needed to read the data back, POSIX.1-2017 fdatasync()).  At a crash
 *    the pending operations are lost (FAULT_CRASH_DROP), or a random prefix
 *    of them, in issue order, survives with the last surviving write torn at
 *    a random length (FAULT_CRASH_RANDOM: the page cache wrote some back),
 *    or all survive but the last write is torn (FAULT_CRASH_TEAR_LAST).
 *    Writeback is modelled in issue order; a torn write keeps a prefix.
 *    FAULT_CRASH_REORDER drops that ordering: each 4 KiB page dirtied since
 *    the last sync survives with its current content or not at all (cut at
 *    a 512-byte sector boundary sometimes), in no particular order.
 *  - Names.  Creating a file (O_CREAT), rename, link, unlink, mkdir and
 *    rmdir change the current namespace and queue a pending directory
 *    operation.  It becomes durable only when a directory it touches is
 *    fsync'd (fsync of the file itself does NOT make its name durable:
 *    POSIX leaves that to fsync of the directory).  A rename is durable as
 *    one unit (journalling file systems commit it atomically) once either
 *    directory is synced.  A crash keeps the durable namespace plus nothing
 *    (DROP), a random prefix of the pending operations in order (RANDOM), or
 *    all of them (TEAR_LAST).
 *  - A crash happens instead of the armed call: that call and every later
 *    one fail with -EIO and change nothing, until fault_io_restart() makes
 *    the surviving state the disk, with no open fds and no locks.
 *  - Locks are per open fd (flock semantics): a second fd locking the same
 *    inode gets -EWOULDBLOCK, even from the same process.
 *  - Bytes past the written data and below the size read as zeros, so a
 *    128 MiB fallocate costs nothing.
 *
 * Paths are plain strings after collapsing "//", "/./", a leading "./" and
 * a trailing "/"; "." and "/" always exist.  File descriptors are fake
 * numbers from FIO_FD_BASE.  Bounds: FIO_FDS_MAX open fds.
 */
#include "tests/fault_io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/testutil.h"

#define FIO_FD_BASE 1000
#define FIO_FDS_MAX 4096

struct fbuf {
	uint8_t *data;
	size_t len;    /* bytes materialised; [len, size) reads as zeros */
	uint64_t size; /* file size */
	size_t cap;
};

enum pop_kind { POP_WRITE, POP_TRUNCATE, POP_ALLOCATE };

struct pop {
	enum pop_kind kind;
	uint64_t off;   /* WRITE: offset; TRUNCATE: new size; ALLOCATE: end */
	size_t len;     /* WRITE only */
	uint8_t *bytes; /* WRITE only, owned */
};

struct finode {
	bool is_dir;
	struct fbuf cur, dur, crash;
	struct pop *pending;
	size_t npending, cap_pending;
	uint64_t written_end;
	int lock_fd; /* fd holding the lock, or -1 */
	bool reachable;
};

struct fentry {
	char *path;
	struct finode *ino;
};

struct fns {
	struct fentry *e;
	size_t n, cap;
};

enum dop_kind { DOP_SET, DOP_DEL, DOP_RENAME };

struct dop {
	enum dop_kind kind;
	char *from; /* RENAME only */
	char *to;
	struct finode *ino; /* SET, RENAME */
};

struct ffd {
	bool used;
	struct finode *ino;
	int flags;
	char *path;
};

struct fault_io {
	pthread_mutex_t mu;
	struct kv_io table;
	struct test_rng rng;
	uint64_t calls[FAULT_KIND_COUNT];

	struct finode **inodes;
	size_t ninodes, cap_inodes;
	struct fns cur_ns, dur_ns, crash_ns;
	struct dop *dops;
	size_t ndops, cap_dops;
	struct ffd fds[FIO_FDS_MAX];

	/* fail rule */
	bool fail_on;
	enum fault_op fail_kind;
	uint64_t fail_seen, fail_nth, fail_times, failed;
	int fail_err;
	bool fail_partial;
	/* crash */
	bool crash_armed, crashed;
	enum fault_op crash_kind;
	uint64_t crash_at;
	enum fault_crash_mode crash_mode;
};

/* ---- small helpers --------------------------------------------------------- */

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	ASSERT(q != NULL);
	return q;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	ASSERT(d != NULL);
	return d;
}

static char *path_norm(const char *in)
{
	size_t n = strlen(in);
	char *out = xrealloc(NULL, n + 2);
	size_t o = 0;
	const char *p = in;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	for (; *p; p++) {
		if (*p == '/' && o > 0 && out[o - 1] == '/')
			continue;
		if (*p == '/' && p[1] == '.' && (p[2] == '/' || p[2] == '\0')) {
			p++;
			continue;
		}
		out[o++] = *p;
	}
	while (o > 1 && out[o - 1] == '/')
		o--;
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	return out;
}

/* Parent directory of a normalised path, malloc'd. */
static char *path_parent(const char *p)
{
	const char *s = strrchr(p, '/');
	if (s == NULL)
		return xstrdup(".");
	if (s == p)
		return xstrdup("/");
	char *d = xstrdup(p);
	d[s - p] = '\0';
	return d;
}

static bool path_is_root(const char *p)
{
	return strcmp(p, ".") == 0 || strcmp(p, "/") == 0;
}

/* True if p is a direct or indirect child of dir. */
static bool path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, ".") == 0)
		return p[0] != '/' && strcmp(p, ".") != 0;
	if (strcmp(dir, "/") == 0)
		return p[0] == '/' && p[1] != '\0';
	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

static void fbuf_reserve(struct fbuf *b, size_t n)
{
	if (n <= b->cap)
		return;
	size_t c = b->cap ? b->cap : 256;
	while (c < n)
		c *= 2;
	b->data = xrealloc(b->data, c);
	b->cap = c;
}

static void fbuf_write(struct fbuf *b, uint64_t off, const void *src, size_t len)
{
	if (len == 0)
		return;
	size_t end = (size_t)off + len;
	fbuf_reserve(b, end);
	if (off > b->len)
		memset(b->data + b->len, 0, (size_t)off - b->len);
	memcpy(b->data + off, src, len);
	if (end > b->len)
		b->len = end;
	if (end > b->size)
		b->size = end;
}

static void fbuf_truncate(struct fbuf *b, uint64_t size)
{
	if (size < b->len)
		b->len = (size_t)size;
	b->size = size;
}

static void fbuf_copy(struct fbuf *dst, const struct fbuf *src)
{
	fbuf_reserve(dst, src->len);
	if (src->len)
		memcpy(dst->data, src->data, src->len);
	dst->len = src->len;
	dst->size = src->size;
}

static size_t fbuf_read(const struct fbuf *b, uint64_t off, void *dst, size_t len)
{
	if (off >= b->size)
		return 0;
	uint64_t avail = b->size - off;
	size_t n = len < avail ? len : (size_t)avail;
	for (size_t i = 0; i < n; i++) {
		uint64_t at = off + i;
		((uint8_t *)dst)[i] = at < b->len ? b->data[at] : 0;
	}
	return n;
}

static void pop_apply(struct fbuf *b, const struct pop *op, size_t keep)
{
	switch (op->kind) {
	case POP_WRITE:
		fbuf_write(b, op->off, op->bytes, keep);
		break;
	case POP_TRUNCATE:
		fbuf_truncate(b, op->off);
		break;
	case POP_ALLOCATE:
		if (op->off > b->size)
			b->size = op->off;
		break;
	}
}

static void inode_push(struct finode *ino, struct pop op)
{
	if (ino->npending == ino->cap_pending) {
		ino->cap_pending = ino->cap_pending ? 2 * ino->cap_pending : 16;
		ino->pending = xrealloc(ino->pending,
					ino->cap_pending * sizeof *ino->pending);
	}
	ino->pending[ino->npending++] = op;
}

static void inode_clear_pending(struct finode *ino)
{
	for (size_t i = 0; i < ino->npending; i++)
		free(ino->pending[i].bytes);
	ino->npending = 0;
}

static void inode_free(struct finode *ino)
{
	if (ino == NULL)
		return;
	inode_clear_pending(ino);
	free(ino->pending);
	free(ino->cur.data);
	free(ino->dur.data);
	free(ino->crash.data);
	free(ino);
}

static struct finode *inode_new(struct fault_io *f, bool is_dir)
{
	struct finode *ino = calloc(1, sizeof *ino);
	ASSERT(ino != NULL);
	ino->is_dir = is_dir;
	ino->lock_fd = -1;
	if (f->ninodes == f->cap_inodes) {
		f->cap_inodes = f->cap_inodes ? 2 * f->cap_inodes : 64;
		f->inodes = xrealloc(f->inodes, f->cap_inodes * sizeof *f->inodes);
	}
	f->inodes[f->ninodes++] = ino;
	return ino;
}

/* ---- namespaces ----------------------------------------------------------- */

static struct fentry *ns_find(struct fns *ns, const char *path)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->e[i].path, path) == 0)
			return &ns->e[i];
	return NULL;
}

static void ns_del(struct fns *ns, const char *path)
{
	for (size_t i = 0; i < ns->n; i++) {
		if (strcmp(ns->e[i].path, path) == 0) {
			free(ns->e[i].path);
			ns->e[i] = ns->e[--ns->n];
			return;
		}
	}
}

static void ns_set(struct fns *ns, const char *path, struct finode *ino)
{
	struct fentry *e = ns_find(ns, path);
	if (e != NULL) {
		e->ino = ino;
		return;
	}
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? 2 * ns->cap : 64;
		ns->e = xrealloc(ns->e, ns->cap * sizeof *ns->e);
	}
	ns->e[ns->n].path = xstrdup(path);
	ns->e[ns->n].ino = ino;
	ns->n++;
}

static void ns_clear(struct fns *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->e[i].path);
	ns->n = 0;
}

static void ns_copy(struct fns *dst, const struct fns *src)
{
	ns_clear(dst);
	for (size_t i = 0; i < src->n; i++)
		ns_set(dst, src->e[i].path, src->e[i].ino);
}

/* Renames path from to to in ns, moving a directory's children with it. */
static void ns_rename(struct fns *ns, const char *from, const char *to,
		      struct finode *ino)
{
	ns_del(ns, to);
	if (ino->is_dir) {
		size_t fl = strlen(from), tl = strlen(to);
		for (size_t i = 0; i < ns->n; i++) {
			char *p = ns->e[i].path;
			if (!path_under(p, from))
				continue;
			char *np = xrealloc(NULL, tl + strlen(p + fl) + 1);
			memcpy(np, to, tl);
			strcpy(np + tl, p + fl);
			free(p);
			ns->e[i].path = np;
		}
	}
	ns_del(ns, from);
	ns_set(ns, to, ino);
}

static void dop_apply(struct fns *ns, const struct dop *d)
{
	switch (d->kind) {
	case DOP_SET:
		ns_set(ns, d->to, d->ino);
		break;
	case DOP_DEL:
		ns_del(ns, d->to);
		break;
	case DOP_RENAME:
		ns_rename(ns, d->from, d->to, d->ino);
		break;
	}
}

static void dop_free(struct dop *d)
{
	free(d->from);
	free(d->to);
}

static void dop_push(struct fault_io *f, enum dop_kind kind, const char *from,
		     const char *to, struct finode *ino)
{
	if (f->ndops == f->cap_dops) {
		f->cap_dops = f->cap_dops ? 2 * f->cap_dops : 64;
		f->dops = xrealloc(f->dops, f->cap_dops * sizeof *f->dops);
	}
	struct dop *d = &f->dops[f->ndops++];
	d->kind = kind;
	d->from = from ? xstrdup(from) : NULL;
	d->to = xstrdup(to);
	d->ino = ino;
}

static bool dop_touches(const struct dop *d, const char *dir)
{
	char *p = path_parent(d->to);
	bool hit = strcmp(p, dir) == 0;
	free(p);
	if (!hit && d->from != NULL) {
		p = path_parent(d->from);
		hit = strcmp(p, dir) == 0;
		free(p);
	}
	return hit;
}

/* fsync of directory dir: its pending operations become durable, in order. */
static void dir_sync(struct fault_io *f, const char *dir)
{
	size_t keep = 0;
	for (size_t i = 0; i < f->ndops; i++) {
		if (dop_touches(&f->dops[i], dir)) {
			dop_apply(&f->dur_ns, &f->dops[i]);
			dop_free(&f->dops[i]);
		} else {
			f->dops[keep++] = f->dops[i];
		}
	}
	f->ndops = keep;
}

/* ---- crash ------------------------------------------------------------------ */

/* A random surviving length for a torn write of len bytes. */
static size_t torn_len(struct fault_io *f, size_t len, bool strict)
{
	if (len <= 1)
		return strict ? 0 : (size_t)test_rng_below(&f->rng, len + 1);
	if (strict)
		return 1 + (size_t)test_rng_below(&f->rng, len - 1);
	return (size_t)test_rng_below(&f->rng, len + 1);
}

/*
 * Writeback in any order, page by page: each 4 KiB page dirtied since the
 * last sync reaches the disk with its current content (all writes to it so
 * far, as the page cache holds them) or not at all, and a page that does
 * may be cut at a 512-byte sector boundary.  Size changes survive all
 * together or not at all.  ino->crash already holds the durable content.
 */
static void crash_inode_reorder(struct fault_io *f, struct finode *ino)
{
	uint64_t pages = (ino->cur.size + 4095) / 4096;
	uint8_t *dirty = calloc(pages + 1, 1);
	ASSERT(dirty != NULL);
	bool sized = false;
	for (size_t i = 0; i < ino->npending; i++) {
		const struct pop *op = &ino->pending[i];
		if (op->kind != POP_WRITE) {
			sized = true;
			continue;
		}
		for (uint64_t p = op->off / 4096; p <= (op->off + op->len - 1) / 4096 && p < pages; p++)
			dirty[p] = 1;
	}
	if (sized && test_rng_below(&f->rng, 2))
		fbuf_truncate(&ino->crash, ino->cur.size);
	uint8_t page[4096];
	for (uint64_t p = 0; p < pages; p++) {
		if (!dirty[p] || test_rng_below(&f->rng, 2) == 0)
			continue;
		uint64_t off = p * 4096;
		if (off >= ino->crash.size)
			continue; /* the size change that made room was lost */
		size_t n = fbuf_read(&ino->cur, off, page, sizeof page);
		if (off + n > ino->crash.size)
			n = (size_t)(ino->crash.size - off);
		if (test_rng_below(&f->rng, 4) == 0)
			n = 512 * (size_t)test_rng_below(&f->rng, n / 512 + 1);
		fbuf_write(&ino->crash, off, page, n);
	}
	free(dirty);
}

static void crash_inode(struct fault_io *f, struct finode *ino,
			enum fault_crash_mode mode)
{
	fbuf_copy(&ino->crash, &ino->dur);
	if (mode == FAULT_CRASH_REORDER) {
		crash_inode_reorder(f, ino);
		return;
	}
	size_t keep = 0;
	if (mode == FAULT_CRASH_RANDOM)
		keep = (size_t)test_rng_below(&f->rng, ino->npending + 1);
	else if (mode == FAULT_CRASH_TEAR_LAST)
		keep = ino->npending;
	size_t last_write = SIZE_MAX;
	for (size_t i = 0; i < keep; i++)
		if (ino->pending[i].kind == POP_WRITE)
			last_write = i;
	for (size_t i = 0; i < keep; i++) {
		const struct pop *op = &ino->pending[i];
		size_t n = op->len;
		if (i == last_write)
			n = torn_len(f, op->len, mode == FAULT_CRASH_TEAR_LAST);
		pop_apply(&ino->crash, op, n);
	}
}

static void crash_locked(struct fault_io *f, enum fault_crash_mode mode)
{
	ASSERT(!f->crashed);
	for (size_t i = 0; i < f->ninodes; i++)
		crash_inode(f, f->inodes[i], mode);
	ns_copy(&f->crash_ns, &f->dur_ns);
	size_t keep = 0;
	if (mode == FAULT_CRASH_RANDOM || mode == FAULT_CRASH_REORDER)
		keep = (size_t)test_rng_below(&f->rng, f->ndops + 1);
	else if (mode == FAULT_CRASH_TEAR_LAST)
		keep = f->ndops;
	for (size_t i = 0; i < keep; i++)
		dop_apply(&f->crash_ns, &f->dops[i]);
	f->crashed = true;
	f->crash_armed = false;
}

/* ---- call accounting and faults -------------------------------------------- */

/*
 * Counts a call and decides its fate: 0 to go ahead, or -errno to fail it
 * without effect.  *partial is set when a failing pwrite should first write
 * a prefix.  Called with f->mu held.
 */
static int enter(struct fault_io *f, enum fault_op op, bool mutating,
		 bool *partial)
{
	f->calls[op]++;
	f->calls[FAULT_ANY]++;
	if (mutating)
		f->calls[FAULT_MUTATING]++;
	if (partial)
		*partial = false;
	if (f->crashed)
		return -EIO;
	if (f->crash_armed &&
	    (f->crash_kind == op || f->crash_kind == FAULT_ANY ||
	     (f->crash_kind == FAULT_MUTATING && mutating)) &&
	    f->calls[f->crash_kind] == f->crash_at) {
		crash_locked(f, f->crash_mode);
		return -EIO;
	}
	if (f->fail_on && (f->fail_kind == op || f->fail_kind == FAULT_ANY ||
			   (f->fail_kind == FAULT_MUTATING && mutating))) {
		uint64_t seen = ++f->fail_seen;
		if (seen >= f->fail_nth &&
		    (f->fail_times == 0 || seen < f->fail_nth + f->fail_times)) {
			f->failed++;
			if (partial)
				*partial = f->fail_partial;
			return -f->fail_err;
		}
	}
	return 0;
}

static struct ffd *fd_get(struct fault_io *f, int fd)
{
	if (fd < FIO_FD_BASE || fd >= FIO_FD_BASE + FIO_FDS_MAX)
		return NULL;
	struct ffd *d = &f->fds[fd - FIO_FD_BASE];
	return d->used ? d : NULL;
}

static bool fd_writable(const struct ffd *d)
{
	return (d->flags & O_ACCMODE) == O_WRONLY || (d->flags & O_ACCMODE) == O_RDWR;
}

static bool fd_readable(const struct ffd *d)
{
	return (d->flags & O_ACCMODE) == O_RDONLY || (d->flags & O_ACCMODE) == O_RDWR;
}

/* Looks up a directory for creating an entry in it. */
static bool parent_exists(struct fault_io *f, const char *path)
{
	char *p = path_parent(path);
	bool ok = path_is_root(p);
	if (!ok) {
		struct fentry *e = ns_find(&f->cur_ns, p);
		ok = e != NULL && e->ino->is_dir;
	}
	free(p);
	return ok;
}

/* ---- the table ------------------------------------------------------------- */

static int fio_open_locked(struct fault_io *f, char *p, int flags)
{
	struct fentry *e = ns_find(&f->cur_ns, p);
	struct finode *ino;
	if (path_is_root(p) && e == NULL) {
		ns_set(&f->cur_ns, p, inode_new(f, true));
		ns_set(&f->dur_ns, p, f->cur_ns.e[f->cur_ns.n - 1].ino);
		e = ns_find(&f->cur_ns, p);
	}
	if (e == NULL) {
		if (!(flags & O_CREAT) || (flags & O_DIRECTORY))
			return -ENOENT;
		if (!parent_exists(f, p))
			return -ENOENT;
		ino = inode_new(f, false);
		ns_set(&f->cur_ns, p, ino);
		dop_push(f, DOP_SET, NULL, p, ino);
	} else {
		ino = e->ino;
		if ((flags & O_CREAT) && (flags & O_EXCL))
			return -EEXIST;
		if ((flags & O_DIRECTORY) && !ino->is_dir)
			return -ENOTDIR;
		if (ino->is_dir && (flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
	}
	int slot = -1;
	for (int i = 0; i < FIO_FDS_MAX && slot < 0; i++)
		if (!f->fds[i].used)
			slot = i;
	if (slot < 0)
		return -EMFILE;
	if ((flags & O_TRUNC) && !ino->is_dir && (flags & O_ACCMODE) != O_RDONLY) {
		fbuf_truncate(&ino->cur, 0);
		inode_push(ino, (struct pop){ .kind = POP_TRUNCATE, .off = 0 });
	}
	struct ffd *d = &f->fds[slot];
	d->used = true;
	d->ino = ino;
	d->flags = flags;
	d->path = xstrdup(p);
	return FIO_FD_BASE + slot;
}

static int fio_open(void *ctx, const char *path, int flags, mode_t mode)
{
	struct fault_io *f = ctx;
	char *p = path_norm(path);
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_OPEN, (flags & (O_CREAT | O_TRUNC)) != 0, NULL);
	if (rc == 0)
		rc = fio_open_locked(f, p, flags);
	pthread_mutex_unlock(&f->mu);
	free(p);
	return rc;
}

static int fio_close(void *ctx, int fd)
{
	struct fault_io *f = ctx;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_CLOSE, false, NULL);
	struct ffd *d = fd_get(f, fd);
	if (d == NULL) {
		rc = -EBADF;
	} else {
		/* The descriptor is released even if the call "fails". */
		if (d->ino->lock_fd == fd)
			d->ino->lock_fd = -1;
		free(d->path);
		memset(d, 0, sizeof *d);
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static ssize_t fio_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	struct fault_io *f = ctx;
	pthread_mutex_lock(&f->mu);
	ssize_t rc = enter(f, FAULT_PREAD, false, NULL);
	if (rc == 0) {
		struct ffd *d = fd_get(f, fd);
		if (d == NULL || !fd_readable(d))
			rc = -EBADF;
		else if (d->ino->is_dir)
			rc = -EISDIR;
		else
			rc = (ssize_t)fbuf_read(&d->ino->cur, off, buf, len);
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static void write_locked(struct finode *ino, const void *buf, size_t len,
			 uint64_t off)
{
	if (len == 0)
		return;
	fbuf_write(&ino->cur, off, buf, len);
	uint8_t *copy = xrealloc(NULL, len);
	memcpy(copy, buf, len);
	inode_push(ino, (struct pop){ .kind = POP_WRITE, .off = off, .len = len,
				      .bytes = copy });
	if (off + len > ino->written_end)
		ino->written_end = off + len;
}

static ssize_t fio_pwrite(void *ctx, int fd, const void *buf, size_t len,
			  uint64_t off)
{
	struct fault_io *f = ctx;
	bool partial;
	pthread_mutex_lock(&f->mu);
	ssize_t rc = enter(f, FAULT_PWRITE, true, &partial);
	struct ffd *d = fd_get(f, fd);
	if (rc == 0 || partial) {
		if (d == NULL || !fd_writable(d))
			rc = -EBADF;
		else if (d->ino->is_dir)
			rc = -EISDIR;
		else if (rc == 0) {
			write_locked(d->ino, buf, len, off);
			rc = (ssize_t)len;
		} else {
			write_locked(d->ino, buf,
				     (size_t)test_rng_below(&f->rng, len + 1), off);
		}
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/*
 * One write of the gathered pieces: counted, failed (with a partial prefix)
 * and torn by a crash exactly like a pwrite of the same bytes, so a record
 * written in pieces can be cut at any byte, piece boundaries included.
 */
static ssize_t fio_pwritev(void *ctx, int fd, const struct iovec *iov,
			   int iovcnt, uint64_t off)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	uint8_t *buf = xrealloc(NULL, total ? total : 1);
	size_t at = 0;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > 0)
			memcpy(buf + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	ssize_t rc = fio_pwrite(ctx, fd, buf, total, off);
	free(buf);
	return rc;
}

static int sync_common(struct fault_io *f, enum fault_op op, int fd)
{
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, op, true, NULL);
	if (rc == 0) {
		struct ffd *d = fd_get(f, fd);
		if (d == NULL) {
			rc = -EBADF;
		} else if (d->ino->is_dir) {
			dir_sync(f, d->path);
		} else {
			fbuf_copy(&d->ino->dur, &d->ino->cur);
			inode_clear_pending(d->ino);
		}
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int fio_fdatasync(void *ctx, int fd)
{
	return sync_common(ctx, FAULT_FDATASYNC, fd);
}

static int fio_fsync(void *ctx, int fd)
{
	return sync_common(ctx, FAULT_FSYNC, fd);
}

static int size_op(struct fault_io *f, enum fault_op op, int fd, uint64_t a,
		   uint64_t b)
{
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, op, true, NULL);
	if (rc == 0) {
		struct ffd *d = fd_get(f, fd);
		if (d == NULL || !fd_writable(d)) {
			rc = -EBADF;
		} else if (d->ino->is_dir) {
			rc = -EISDIR;
		} else if (op == FAULT_FTRUNCATE) {
			fbuf_truncate(&d->ino->cur, a);
			inode_push(d->ino, (struct pop){ .kind = POP_TRUNCATE, .off = a });
		} else {
			if (a + b > d->ino->cur.size)
				d->ino->cur.size = a + b;
			inode_push(d->ino,
				   (struct pop){ .kind = POP_ALLOCATE, .off = a + b });
		}
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static int fio_fallocate(void *ctx, int fd, uint64_t off, uint64_t len)
{
	if (len == 0)
		return -EINVAL;
	return size_op(ctx, FAULT_FALLOCATE, fd, off, len);
}

static int fio_ftruncate(void *ctx, int fd, uint64_t len)
{
	return size_op(ctx, FAULT_FTRUNCATE, fd, len, 0);
}

static int fio_file_size(void *ctx, int fd, uint64_t *size)
{
	struct fault_io *f = ctx;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_FILE_SIZE, false, NULL);
	if (rc == 0) {
		struct ffd *d = fd_get(f, fd);
		if (d == NULL)
			rc = -EBADF;
		else
			*size = d->ino->is_dir ? 4096 : d->ino->cur.size;
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static bool dir_has_children(struct fault_io *f, const char *dir)
{
	for (size_t i = 0; i < f->cur_ns.n; i++)
		if (path_under(f->cur_ns.e[i].path, dir))
			return true;
	return false;
}

static int rename_locked(struct fault_io *f, const char *from, const char *to)
{
	struct fentry *e = ns_find(&f->cur_ns, from);
	if (e == NULL || !parent_exists(f, to))
		return -ENOENT;
	if (strcmp(from, to) == 0)
		return 0;
	struct finode *ino = e->ino;
	struct fentry *t = ns_find(&f->cur_ns, to);
	if (t != NULL) {
		if (t->ino->is_dir != ino->is_dir)
			return ino->is_dir ? -ENOTDIR : -EISDIR;
		if (t->ino->is_dir && dir_has_children(f, to))
			return -ENOTEMPTY;
	}
	if (ino->is_dir && path_under(to, from))
		return -EINVAL;
	ns_rename(&f->cur_ns, from, to, ino);
	dop_push(f, DOP_RENAME, from, to, ino);
	return 0;
}

static int fio_rename(void *ctx, const char *from, const char *to)
{
	struct fault_io *f = ctx;
	char *a = path_norm(from), *b = path_norm(to);
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_RENAME, true, NULL);
	if (rc == 0)
		rc = rename_locked(f, a, b);
	pthread_mutex_unlock(&f->mu);
	free(a);
	free(b);
	return rc;
}

static int remove_locked(struct fault_io *f, const char *p, bool dir)
{
	struct fentry *e = ns_find(&f->cur_ns, p);
	if (e == NULL)
		return -ENOENT;
	if (dir && !e->ino->is_dir)
		return -ENOTDIR;
	if (!dir && e->ino->is_dir)
		return -EISDIR;
	if (dir && dir_has_children(f, p))
		return -ENOTEMPTY;
	ns_del(&f->cur_ns, p);
	dop_push(f, DOP_DEL, NULL, p, NULL);
	return 0;
}

static int fio_unlink(void *ctx, const char *path)
{
	struct fault_io *f = ctx;
	char *p = path_norm(path);
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_UNLINK, true, NULL);
	if (rc == 0)
		rc = remove_locked(f, p, false);
	pthread_mutex_unlock(&f->mu);
	free(p);
	return rc;
}

static int fio_rmdir(void *ctx, const char *path)
{
	struct fault_io *f = ctx;
	char *p = path_norm(path);
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_RMDIR, true, NULL);
	if (rc == 0)
		rc = remove_locked(f, p, true);
	pthread_mutex_unlock(&f->mu);
	free(p);
	return rc;
}

static int fio_link(void *ctx, const char *from, const char *to)
{
	struct fault_io *f = ctx;
	char *a = path_norm(from), *b = path_norm(to);
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_LINK, true, NULL);
	if (rc == 0) {
		struct fentry *e = ns_find(&f->cur_ns, a);
		if (e == NULL || !parent_exists(f, b))
			rc = -ENOENT;
		else if (e->ino->is_dir)
			rc = -EPERM;
		else if (ns_find(&f->cur_ns, b) != NULL)
			rc = -EEXIST;
		else {
			struct finode *ino = e->ino; /* ns_set may move e */
			ns_set(&f->cur_ns, b, ino);
			dop_push(f, DOP_SET, NULL, b, ino);
		}
	}
	pthread_mutex_unlock(&f->mu);
	free(a);
	free(b);
	return rc;
}

static int fio_mkdir(void *ctx, const char *path, mode_t mode)
{
	struct fault_io *f = ctx;
	char *p = path_norm(path);
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_MKDIR, true, NULL);
	if (rc == 0) {
		if (path_is_root(p) || ns_find(&f->cur_ns, p) != NULL)
			rc = -EEXIST;
		else if (!parent_exists(f, p))
			rc = -ENOENT;
		else {
			struct finode *ino = inode_new(f, true);
			ns_set(&f->cur_ns, p, ino);
			dop_push(f, DOP_SET, NULL, p, ino);
		}
	}
	pthread_mutex_unlock(&f->mu);
	free(p);
	return rc;
}

/* Names of the direct children of dir in ns, malloc'd array of malloc'd. */
static char **children(struct fns *ns, const char *dir, size_t *n)
{
	char **names = xrealloc(NULL, (ns->n + 1) * sizeof *names);
	size_t k = 0;
	size_t dl = strcmp(dir, ".") == 0 ? 0 : strlen(dir) + (strcmp(dir, "/") != 0);
	for (size_t i = 0; i < ns->n; i++) {
		const char *p = ns->e[i].path;
		if (!path_under(p, dir) || strchr(p + dl, '/') != NULL)
			continue;
		names[k++] = xstrdup(p + dl);
	}
	*n = k;
	return names;
}

static int fio_list_dir(void *ctx, const char *path,
			int (*fn)(void *arg, const char *name), void *arg)
{
	struct fault_io *f = ctx;
	char *p = path_norm(path);
	char **names = NULL;
	size_t n = 0;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_LIST_DIR, false, NULL);
	if (rc == 0) {
		struct fentry *e = ns_find(&f->cur_ns, p);
		if (e == NULL && !path_is_root(p))
			rc = -ENOENT;
		else if (e != NULL && !e->ino->is_dir)
			rc = -ENOTDIR;
		else
			names = children(&f->cur_ns, p, &n);
	}
	pthread_mutex_unlock(&f->mu);
	/* fn runs unlocked: it may call back into the table. */
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = fn(arg, names[i]);
		free(names[i]);
	}
	free(names);
	free(p);
	return rc;
}

static int fio_lock(void *ctx, int fd)
{
	struct fault_io *f = ctx;
	pthread_mutex_lock(&f->mu);
	int rc = enter(f, FAULT_LOCK, false, NULL);
	if (rc == 0) {
		struct ffd *d = fd_get(f, fd);
		if (d == NULL)
			rc = -EBADF;
		else if (d->ino->lock_fd >= 0 && d->ino->lock_fd != fd)
			rc = -EWOULDBLOCK;
		else
			d->ino->lock_fd = fd;
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

/* ---- lifecycle ------------------------------------------------------------- */

struct fault_io *fault_io_new(uint64_t seed)
{
	struct fault_io *f = calloc(1, sizeof *f);
	ASSERT(f != NULL);
	pthread_mutex_init(&f->mu, NULL);
	test_rng_init(&f->rng, seed);
	f->table = (struct kv_io){
		.ctx = f,
		.open = fio_open,
		.close = fio_close,
		.pread = fio_pread,
		.pwrite = fio_pwrite,
		.pwritev = fio_pwritev,
		.fdatasync = fio_fdatasync,
		.fsync = fio_fsync,
		.fallocate = fio_fallocate,
		.ftruncate = fio_ftruncate,
		.file_size = fio_file_size,
		.rename = fio_rename,
		.unlink = fio_unlink,
		.link = fio_link,
		.mkdir = fio_mkdir,
		.rmdir = fio_rmdir,
		.list_dir = fio_list_dir,
		.lock = fio_lock,
	};
	return f;
}

void fault_io_free(struct fault_io *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->ninodes; i++)
		inode_free(f->inodes[i]);
	free(f->inodes);
	ns_clear(&f->cur_ns);
	ns_clear(&f->dur_ns);
	ns_clear(&f->crash_ns);
	free(f->cur_ns.e);
	free(f->dur_ns.e);
	free(f->crash_ns.e);
	for (size_t i = 0; i < f->ndops; i++)
		dop_free(&f->dops[i]);
	free(f->dops);
	for (int i = 0; i < FIO_FDS_MAX; i++)
		free(f->fds[i].path);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

const struct kv_io *fault_io_table(struct fault_io *f)
{
	return &f->table;
}

uint64_t fault_io_calls(struct fault_io *f, enum fault_op kind)
{
	ASSERT(kind < FAULT_KIND_COUNT);
	pthread_mutex_lock(&f->mu);
	uint64_t n = f->calls[kind];
	pthread_mutex_unlock(&f->mu);
	return n;
}

void fault_io_fail(struct fault_io *f, enum fault_op kind, uint64_t nth,
		   int err, uint64_t times, bool partial)
{
	ASSERT(kind < FAULT_KIND_COUNT && nth >= 1 && err > 0);
	pthread_mutex_lock(&f->mu);
	f->fail_on = true;
	f->fail_kind = kind;
	f->fail_nth = nth;
	f->fail_seen = 0;
	f->fail_err = err;
	f->fail_times = times;
	f->fail_partial = partial;
	pthread_mutex_unlock(&f->mu);
}

void fault_io_fail_clear(struct fault_io *f)
{
	pthread_mutex_lock(&f->mu);
	f->fail_on = false;
	pthread_mutex_unlock(&f->mu);
}

uint64_t fault_io_failed(struct fault_io *f)
{
	pthread_mutex_lock(&f->mu);
	uint64_t n = f->failed;
	pthread_mutex_unlock(&f->mu);
	return n;
}

void fault_io_crash_at(struct fault_io *f, enum fault_op kind, uint64_t nth,
		       enum fault_crash_mode mode)
{
	ASSERT(kind < FAULT_KIND_COUNT && nth >= 1);
	pthread_mutex_lock(&f->mu);
	f->crash_armed = true;
	f->crash_kind = kind;
	f->crash_at = f->calls[kind] + nth;
	f->crash_mode = mode;
	pthread_mutex_unlock(&f->mu);
}

void fault_io_crash_now(struct fault_io *f, enum fault_crash_mode mode)
{
	pthread_mutex_lock(&f->mu);
	if (!f->crashed)
		crash_locked(f, mode);
	pthread_mutex_unlock(&f->mu);
}

bool fault_io_crashed(struct fault_io *f)
{
	pthread_mutex_lock(&f->mu);
	bool c = f->crashed;
	pthread_mutex_unlock(&f->mu);
	return c;
}

void fault_io_restart(struct fault_io *f)
{
	pthread_mutex_lock(&f->mu);
	if (!f->crashed)
		crash_locked(f, FAULT_CRASH_DROP);
	for (int i = 0; i < FIO_FDS_MAX; i++) {
		free(f->fds[i].path);
		memset(&f->fds[i], 0, sizeof f->fds[i]);
	}
	ns_copy(&f->cur_ns, &f->crash_ns);
	ns_copy(&f->dur_ns, &f->crash_ns);
	for (size_t i = 0; i < f->ndops; i++)
		dop_free(&f->dops[i]);
	f->ndops = 0;
	for (size_t i = 0; i < f->ninodes; i++)
		f->inodes[i]->reachable = false;
	for (size_t i = 0; i < f->cur_ns.n; i++)
		f->cur_ns.e[i].ino->reachable = true;
	size_t keep = 0;
	for (size_t i = 0; i < f->ninodes; i++) {
		struct finode *ino = f->inodes[i];
		if (!ino->reachable) {
			inode_free(ino);
			continue;
		}
		fbuf_copy(&ino->cur, &ino->crash);
		fbuf_copy(&ino->dur, &ino->crash);
		inode_clear_pending(ino);
		ino->lock_fd = -1;
		f->inodes[keep++] = ino;
	}
	f->ninodes = keep;
	f->crashed = false;
	f->crash_armed = false;
	f->fail_on = false;
	pthread_mutex_unlock(&f->mu);
}

void fault_io_sync_all(struct fault_io *f)
{
	pthread_mutex_lock(&f->mu);
	for (size_t i = 0; i < f->ninodes; i++) {
		fbuf_copy(&f->inodes[i]->dur, &f->inodes[i]->cur);
		inode_clear_pending(f->inodes[i]);
	}
	ns_copy(&f->dur_ns, &f->cur_ns);
	for (size_t i = 0; i < f->ndops; i++)
		dop_free(&f->dops[i]);
	f->ndops = 0;
	pthread_mutex_unlock(&f->mu);
}

/* ---- out-of-band access ------------------------------------------------------ */

int fault_io_mkdirs(struct fault_io *f, const char *path)
{
	char *p = path_norm(path);
	pthread_mutex_lock(&f->mu);
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		bool end = *s == '\0';
		if (!end && *s != '/')
			continue;
		char c = *s;
		*s = '\0';
		struct fentry *e = ns_find(&f->cur_ns, p);
		if (e == NULL && !path_is_root(p)) {
			struct finode *ino = inode_new(f, true);
			ns_set(&f->cur_ns, p, ino);
			ns_set(&f->dur_ns, p, ino);
		} else if (e != NULL && !e->ino->is_dir) {
			rc = -ENOTDIR;
		}
		*s = c;
		if (end)
			break;
	}
	pthread_mutex_unlock(&f->mu);
	free(p);
	return rc;
}

static struct finode *file_lookup(struct fault_io *f, const char *path)
{
	char *p = path_norm(path);
	struct fentry *e = ns_find(&f->cur_ns, p);
	free(p);
	return e != NULL && !e->ino->is_dir ? e->ino : NULL;
}

int fault_io_file_info(struct fault_io *f, const char *path, uint64_t *size,
		       uint64_t *written_end)
{
	pthread_mutex_lock(&f->mu);
	struct finode *ino = file_lookup(f, path);
	if (ino != NULL) {
		*size = ino->cur.size;
		*written_end = ino->written_end;
	}
	pthread_mutex_unlock(&f->mu);
	return ino ? 0 : -ENOENT;
}

ssize_t fault_io_peek(struct fault_io *f, const char *path, uint64_t off,
		      void *buf, size_t len)
{
	pthread_mutex_lock(&f->mu);
	struct finode *ino = file_lookup(f, path);
	ssize_t rc = ino ? (ssize_t)fbuf_read(&ino->cur, off, buf, len) : -ENOENT;
	pthread_mutex_unlock(&f->mu);
	return rc;
}

int fault_io_poke(struct fault_io *f, const char *path, uint64_t off,
		  const void *buf, size_t len)
{
	pthread_mutex_lock(&f->mu);
	struct finode *ino = file_lookup(f, path);
	if (ino != NULL) {
		fbuf_write(&ino->cur, off, buf, len);
		fbuf_write(&ino->dur, off, buf, len);
	}
	pthread_mutex_unlock(&f->mu);
	return ino ? 0 : -ENOENT;
}

int fault_io_each_file(struct fault_io *f, const char *dir,
		       int (*fn)(void *arg, const char *path, uint64_t size),
		       void *arg)
{
	char *d = path_norm(dir);
	pthread_mutex_lock(&f->mu);
	size_t n = 0;
	char **paths = xrealloc(NULL, (f->cur_ns.n + 1) * sizeof *paths);
	uint64_t *sizes = xrealloc(NULL, (f->cur_ns.n + 1) * sizeof *sizes);
	for (size_t i = 0; i < f->cur_ns.n; i++) {
		if (!path_under(f->cur_ns.e[i].path, d) || f->cur_ns.e[i].ino->is_dir)
			continue;
		sizes[n] = f->cur_ns.e[i].ino->cur.size;
		paths[n++] = xstrdup(f->cur_ns.e[i].path);
	}
	pthread_mutex_unlock(&f->mu);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = fn(arg, paths[i], sizes[i]);
		free(paths[i]);
	}
	free(paths);
	free(sizes);
	free(d);
	return rc;
}
