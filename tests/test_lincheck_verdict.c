/*
 * test_lincheck_verdict.c — tests/lincheck's parser and verdicts on text
 * histories: valid ones pass, and each kind of anomaly a broken cluster
 * could show (stale read, lost write, a read of a value never written or of
 * a write that failed) is rejected with the failing key named.  A checker
 * that passes everything would make every cluster test vacuous.
 */
#include "tests/lincheck.h"
#include "tests/testutil.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parses text and returns the verdict; *report (malloc'd) gets the output. */
static int verdict_of(const char *text, uint64_t budget, char **report)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	ck_assert_ptr_nonnull(in);
	struct lincheck_hist h;
	lincheck_hist_init(&h);
	int rc = lincheck_parse(&h, in, "test", stderr);
	fclose(in);
	ck_assert_int_eq(rc, 0);
	size_t len;
	char *buf = NULL;
	FILE *out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	int v = lincheck_verdict(&h, budget, out);
	fclose(out);
	lincheck_hist_free(&h);
	if (v != LINCHECK_OK)
		fprintf(stderr, "%s", buf);
	if (report != NULL)
		*report = buf;
	else
		free(buf);
	return v;
}

static int parse_rc(const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	ck_assert_ptr_nonnull(in);
	FILE *err = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(err);
	struct lincheck_hist h;
	lincheck_hist_init(&h);
	int rc = lincheck_parse(&h, in, "test", err);
	fclose(in);
	fclose(err);
	lincheck_hist_free(&h);
	return rc;
}

START_TEST(test_lincheck_sequential_ok)
{
	ck_assert_int_eq(verdict_of("# a comment, then a blank line\n\n"
				    "1 get k1 - 1 2 ok -\n"
				    "1 put k1 a 3 4 ok\n"
				    "2 get k1 - 5 6 ok a\n"
				    "2 delete k1 - 7 8 ok\n"
				    "1 get k1 - 9 10 ok -\n"
				    "1 cas k1 -,b 11 12 ok true\n"
				    "2 cas k1 a,c 13 14 ok false\n"
				    "2 get k1 - 15 16 ok b\n",
				    0, NULL),
			 LINCHECK_OK);
}
END_TEST

START_TEST(test_lincheck_concurrent_ok)
{
	/* Overlapping puts may take effect in either order, and reads that
	 * overlap them may see either; different keys are independent. */
	ck_assert_int_eq(verdict_of("1 put k a 0 100 ok\n"
				    "2 put k b 10 90 ok\n"
				    "3 get k - 20 30 ok b\n"
				    "3 get k - 40 50 ok a\n"
				    "4 get k - 110 120 ok a\n"
				    "4 put j x 0 10 ok\n"
				    "5 get j - 20 30 ok x\n",
				    0, NULL),
			 LINCHECK_OK);
}
END_TEST

START_TEST(test_lincheck_unknown_and_failed_ok)
{
	/* An unknown write may have happened (it is seen) or not (never
	 * seen); a failed write is left out, and '-' is fine as its RET. */
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "2 put k b 20 - unknown\n"
				    "3 get k - 30 40 ok a\n"
				    "3 get k - 50 60 ok b\n"
				    "1 put j x 0 10 ok\n"
				    "2 put j y 20 30 fail\n"
				    "3 get j - 40 50 ok x\n"
				    "4 put i z 0 - unknown\n"
				    "4 get i - 1 2 unknown\n",
				    0, NULL),
			 LINCHECK_OK);
}
END_TEST

START_TEST(test_lincheck_stale_read_rejected)
{
	/* The read starts after b's put was acknowledged, yet sees a: what a
	 * deposed leader serving reads from its own state would return. */
	char *rep;
	ck_assert_int_eq(verdict_of("1 put obj a 0 10 ok\n"
				    "1 put obj b 20 30 ok\n"
				    "2 get obj - 40 50 ok a\n"
				    "3 put other q 0 10 ok\n",
				    0, &rep),
			 LINCHECK_VIOLATION);
	ck_assert_ptr_nonnull(strstr(rep, "key 'obj'"));
	ck_assert_ptr_nonnull(strstr(rep, "2 get obj - 40 50 ok a"));
	free(rep);
}
END_TEST

START_TEST(test_lincheck_lost_write_rejected)
{
	/* An acknowledged put, then a read that finds the key absent. */
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "2 get k - 20 30 ok -\n",
				    0, NULL),
			 LINCHECK_VIOLATION);
	/* An acknowledged delete undone. */
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "1 delete k - 20 30 ok\n"
				    "2 get k - 40 50 ok a\n",
				    0, NULL),
			 LINCHECK_VIOLATION);
	/* A write that is seen and then un-seen: once visible, it stays. */
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "1 put k b 20 - unknown\n"
				    "2 get k - 30 40 ok b\n"
				    "2 get k - 50 60 ok a\n",
				    0, NULL),
			 LINCHECK_VIOLATION);
}
END_TEST

START_TEST(test_lincheck_phantom_read_rejected)
{
	char *rep;
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "2 get k - 20 30 ok zz\n",
				    0, &rep),
			 LINCHECK_VIOLATION);
	ck_assert_ptr_nonnull(strstr(rep, "'zz' was observed but never"));
	free(rep);
	/* A write that failed (definitely no effect, e.g. refused by the
	 * minority side of a partition) must not be read. */
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "2 put k b 20 30 fail\n"
				    "3 get k - 40 50 ok b\n",
				    0, NULL),
			 LINCHECK_VIOLATION);
	/* A read that returns before the write was invoked. */
	ck_assert_int_eq(verdict_of("2 get k - 0 10 ok a\n"
				    "1 put k a 20 30 ok\n",
				    0, NULL),
			 LINCHECK_VIOLATION);
}
END_TEST

START_TEST(test_lincheck_cas_rejected)
{
	/* Two CAS from the same state cannot both swap. */
	ck_assert_int_eq(verdict_of("1 put k a 0 10 ok\n"
				    "1 cas k a,b 20 30 ok true\n"
				    "2 cas k a,c 40 50 ok true\n",
				    0, NULL),
			 LINCHECK_VIOLATION);
}
END_TEST

START_TEST(test_lincheck_reduction_drops_noise)
{
	/* Many valid reads around one stale read: the report is reduced to
	 * the ops the failure needs. */
	char text[8192] = "1 put k a 0 10 ok\n1 put k b 20 30 ok\n";
	size_t len = strlen(text);
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"2 get k - %d %d ok b\n", 40 + 10 * i,
					45 + 10 * i);
	snprintf(text + len, sizeof text - len, "3 get k - 1000 1010 ok a\n");
	char *rep;
	ck_assert_int_eq(verdict_of(text, 0, &rep), LINCHECK_VIOLATION);
	ck_assert_ptr_nonnull(strstr(rep, "3 get k - 1000 1010 ok a"));
	ck_assert_ptr_null(strstr(rep, "2 get k"));
	free(rep);
}
END_TEST

START_TEST(test_lincheck_budget_undecided)
{
	/* Many concurrent writes and a read that no order explains, with a
	 * budget far too small to explore them: undecided, never a pass. */
	char text[4096] = "";
	size_t len = 0;
	for (int i = 0; i < 12; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
					"%d put k v%d 0 1000 ok\n", i, i);
	snprintf(text + len, sizeof text - len, "99 get k - 10 20 ok nope\n"
						"99 get k - 30 40 ok v3\n");
	int v = verdict_of(text, 2, NULL);
	ck_assert_int_ne(v, LINCHECK_OK);
}
END_TEST

START_TEST(test_lincheck_malformed_rejected)
{
	ck_assert_int_eq(parse_rc("1 put k a 0 10 ok\n"), 0);
	ck_assert_int_eq(parse_rc("1 add k a 0 10 ok\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 put k a 10 10 ok\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 put k - 0 10 ok\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 get k - 0 10 ok\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 put k a 0 - ok\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 put k a 0 10 maybe\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 cas k a 0 10 ok true\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 cas k a,b 0 10 ok yes\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("x put k a 0 10 ok\n"), -EINVAL);
	ck_assert_int_eq(parse_rc("1 put k a\n"), -EINVAL);
}
END_TEST

Suite *lincheck_suite(void);

Suite *lincheck_suite(void)
{
	Suite *s = suite_create("lincheck");
	TCase *tc = tcase_create("verdict");
	tcase_add_test(tc, test_lincheck_sequential_ok);
	tcase_add_test(tc, test_lincheck_concurrent_ok);
	tcase_add_test(tc, test_lincheck_unknown_and_failed_ok);
	tcase_add_test(tc, test_lincheck_stale_read_rejected);
	tcase_add_test(tc, test_lincheck_lost_write_rejected);
	tcase_add_test(tc, test_lincheck_phantom_read_rejected);
	tcase_add_test(tc, test_lincheck_cas_rejected);
	tcase_add_test(tc, test_lincheck_reduction_drops_noise);
	tcase_add_test(tc, test_lincheck_budget_undecided);
	tcase_add_test(tc, test_lincheck_malformed_rejected);
	suite_add_tcase(s, tc);
	return s;
}
