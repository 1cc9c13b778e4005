/*
 * replay_main.c — runs a libFuzzer target over its saved corpus, so that
 * every `make check` replays every input any fuzzing run ever kept (SQLite's
 * practice).  Linked instead of libFuzzer's main when not --enable-fuzzing.
 *
 * The corpus of program fuzz_<name> is $top_srcdir/tests/fuzz/corpus/<name>,
 * found from argv[0].  Arguments, if any, are files or directories to replay
 * instead.  An input that crashes the
 * target aborts the process, which fails the test and names the file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_INPUT_MAX (16u * 1024 * 1024)

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_INPUT_MAX);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_INPUT_MAX, f);
	fclose(f);
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
	/* A copy of exactly n bytes, so ASan sees reads past the input's end. */
	uint8_t *input = malloc(n ? n : 1);
	if (input == NULL) {
		free(buf);
		return -1;
	}
	memcpy(input, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(input, n);
	free(input);
	return 0;
}

static int replay_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	struct dirent **names = NULL;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
			if (replay_path(sub, count) != 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int count = 0, rc = 0;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			rc |= replay_path(argv[i], &count);
	} else {
		const char *top = getenv("top_srcdir");
		const char *prog = strrchr(argv[0], '/');
		prog = prog ? prog + 1 : argv[0];
		if (strncmp(prog, "fuzz_", 5) != 0) {
			fprintf(stderr, "replay: program %s is not named fuzz_<name>\n", prog);
			return 1;
		}
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".", prog + 5);
		rc = replay_path(dir, &count);
	}
	printf("replayed %d inputs: %s\n", count, rc == 0 ? "ok" : "errors");
	/* An empty corpus is a failure: the test would otherwise assert nothing. */
	return rc == 0 && count > 0 ? 0 : 1;
}
