/*
 * fuzz_record_log.c — log recovery on arbitrary bytes: the input becomes
 * the engine directory's segment files (or its checkpoint), and kv_open
 * must either refuse cleanly or open an engine that reads back, accepts a
 * write, closes, and reopens with that write present.
 *
 * Input: byte 0 picks the layout --
 *   0: the rest is segment 1;
 *   1: bytes 1-2 (little-endian) split the rest into segments 1 and 2, so
 *      corruption in an older segment is reached too;
 *   2: the rest is checkpoint 1, next to an empty log.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/assert.h"
#include "engine/kv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void write_file(const char *name, const uint8_t *p, size_t n)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT(fd >= 0);
	ASSERT(n == 0 || write(fd, p, n) == (ssize_t)n);
	close(fd);
}

static void layout(const uint8_t *data, size_t size)
{
	uint8_t mode = size > 0 ? data[0] % 3 : 0;
	data += size > 0;
	size -= size > 0;
	if (mode == 1 && size >= 2) {
		size_t cut = (size_t)(data[0] | data[1] << 8);
		data += 2;
		size -= 2;
		if (cut > size)
			cut = size;
		write_file("seg-0000000000000001.log", data, cut);
		write_file("seg-0000000000000002.log", data + cut, size - cut);
	} else if (mode == 2) {
		write_file("ckpt-0000000000000001.ckpt", data, size);
	} else {
		write_file("seg-0000000000000001.log", data, size);
	}
}

/* Reads every key and value of an opened engine; counts the keys. */
static uint64_t read_all(struct kv *kv)
{
	struct kv_iter *it;
	ASSERT(kv_iter_new(kv, NULL, &it) == 0);
	int rc = kv_iter_first(it);
	uint64_t n = 0;
	for (; rc == 0 && kv_iter_valid(it) && n < 100000; n++) {
		const void *v;
		size_t vl;
		rc = kv_iter_value(it, &v, &vl);
		ASSERT(rc == 0 || rc == KV_ECORRUPT);
		rc = kv_iter_next(it);
	}
	kv_iter_free(it);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof dir, "%s/fuzz-rlog-XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		ASSERT(mkdtemp(dir) != NULL);
	}
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	ASSERT(mkdir(dir, 0755) == 0);
	layout(data, size);
	struct kv_options o;
	kv_options_init(&o);
	o.segment_bytes = 4096;
	o.background_compaction = false;
	o.sync_mode = KV_SYNC_NONE;
	struct kv *kv;
	int rc = kv_open(dir, &o, &kv);
	if (rc == 0) {
		read_all(kv);
		ASSERT(kv_put(kv, "fuzz-probe", 10, "ok", 2) == 0);
		ASSERT(kv_close(kv) == 0);
		/* A successful open and a clean close must reopen. */
		ASSERT(kv_open(dir, &o, &kv) == 0);
		void *v;
		size_t vl;
		ASSERT(kv_get(kv, "fuzz-probe", 10, &v, &vl) == 0);
		ASSERT(vl == 2 && memcmp(v, "ok", 2) == 0);
		free(v);
		ASSERT(kv_close(kv) == 0);
	} else {
		ASSERT(rc == KV_ECORRUPT);
	}
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
