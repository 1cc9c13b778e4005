/*
 * lincheck_main.c — tests/lincheck, the command-line linearizability checker
 * for histories recorded by the multi-process cluster tests.
 *
 *   tests/lincheck [--budget STEPS] [FILE]     (FILE or stdin; format in
 *                                               tests/lincheck.h)
 *
 * Exit status: 0 linearizable, 1 not (the failing key and a reduced history
 * are printed), 2 undecided: the search budget ran out, or the input could
 * not be read — either way a failure, never a pass.
 */
#include "tests/lincheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void lincheck_usage(FILE *out)
{
	fprintf(out, "usage: lincheck [--budget STEPS] [HISTORY-FILE]\n"
		     "  reads one op per line: CLIENT OP KEY VALUE CALL RET "
		     "OUTCOME [RESULT]\n"
		     "  exit 0 linearizable, 1 not, 2 undecided or bad input\n");
}

int main(int argc, char **argv)
{
	uint64_t budget = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc) {
			char *end;
			budget = strtoull(argv[++i], &end, 10);
			if (*end != '\0') {
				lincheck_usage(stderr);
				return LINCHECK_UNDECIDED;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			lincheck_usage(stdout);
			return 0;
		} else if (path == NULL && argv[i][0] != '-') {
			path = argv[i];
		} else {
			lincheck_usage(stderr);
			return LINCHECK_UNDECIDED;
		}
	}
	FILE *in = path ? fopen(path, "r") : stdin;
	if (in == NULL) {
		fprintf(stderr, "lincheck: %s: %s\n", path, strerror(errno));
		return LINCHECK_UNDECIDED;
	}
	struct lincheck_hist h;
	lincheck_hist_init(&h);
	int rc = lincheck_parse(&h, in, path ? path : "<stdin>", stderr);
	if (in != stdin)
		fclose(in);
	int verdict = LINCHECK_UNDECIDED;
	if (rc == 0)
		verdict = lincheck_verdict(&h, budget, stdout);
	else if (rc == -ENOMEM)
		fprintf(stderr, "lincheck: out of memory\n");
	lincheck_hist_free(&h);
	return verdict;
}
