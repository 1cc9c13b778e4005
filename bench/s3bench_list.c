/*
 * s3bench_list.c — the listing case of s3bench: a bucket of list_keys keys
 * in list_groups "directories" ("g0042/o0000123"; byte order = load order),
 * then ListObjectsV2 pages of 1000 keys from random points, and a delimiter
 * listing whose 1000 CommonPrefixes each stand for list_keys/list_groups
 * keys: a server that walks every key under a common prefix instead of
 * seeking past it pays list_keys steps for that page instead of 1000.
 * Every page is checked entry by entry against the expected keys.
 */
#include "bench/s3bench_cases.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

#define LOAD_CONNS 32u
#define LOAD_BODY_BYTES 16u
#define PAGE_KEYS 1000u
#define PAGE_TEXT_MAX (4u << 20)

static uint64_t per_group(void)
{
	return s3b_opt.list_keys / s3b_opt.list_groups;
}

static void key_name(char *out, size_t cap, uint64_t i)
{
	snprintf(out, cap, "g%04" PRIu64 "/o%07" PRIu64, i / per_group(), i % per_group());
}

static int op_load(void *arg, struct s3b_conn *c, uint64_t i, uint64_t *bytes)
{
	(void)arg;
	char name[64], target[160];
	key_name(name, sizeof name, i);
	snprintf(target, sizeof target, "/%s/%s", s3b_opt.list_bucket, name);
	*bytes += LOAD_BODY_BYTES;
	return s3b_put(c, target, name, LOAD_BODY_BYTES);
}

/*
 * The text of the next <tag>...</tag> at or after *pos into out; advances
 * *pos past it.  False when there is none.
 */
static bool next_element(const char *xml, const char **pos, const char *tag, char *out,
			 size_t cap)
{
	char open[40], close[40];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *s = strstr(*pos, open);
	if (s == NULL)
		return false;
	s += strlen(open);
	const char *e = strstr(s, close);
	if (e == NULL || (size_t)(e - s) >= cap)
		return false;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	*pos = e + strlen(close);
	return true;
}

/* A page of keys r+1 .. r+1000, truncated (more keys follow). */
static int check_key_page(const char *xml, uint64_t r)
{
	const char *pos = xml;
	char got[256], want[64];
	for (uint64_t k = 0; k < PAGE_KEYS; k++) {
		key_name(want, sizeof want, r + 1 + k);
		if (!next_element(xml, &pos, "Key", got, sizeof got) || strcmp(got, want)) {
			fprintf(stderr, "s3bench: list after %" PRIu64 ": entry %" PRIu64
				" is not %s\n", r, k, want);
			return S3B_ECONTENT;
		}
	}
	if (next_element(xml, &pos, "Key", got, sizeof got) ||
	    strstr(xml, "<IsTruncated>true</IsTruncated>") == NULL) {
		fprintf(stderr, "s3bench: list after %" PRIu64 ": not exactly 1000, truncated\n",
			r);
		return S3B_ECONTENT;
	}
	return 0;
}

/* A page of the common prefixes g0000/ .. g0999/ and no keys. */
static int check_prefix_page(const char *xml)
{
	const char *pos = xml;
	char got[256], want[64];
	for (uint64_t g = 0; g < s3b_opt.list_groups && g < PAGE_KEYS; g++) {
		snprintf(want, sizeof want, "g%04" PRIu64 "/", g);
		const char *cp = strstr(pos, "<CommonPrefixes>");
		if (cp == NULL)
			break;
		pos = cp;
		if (!next_element(xml, &pos, "Prefix", got, sizeof got) || strcmp(got, want)) {
			fprintf(stderr, "s3bench: delimiter list: prefix %" PRIu64 " is not %s\n",
				g, want);
			return S3B_ECONTENT;
		}
		if (g + 1 == s3b_opt.list_groups || g + 1 == PAGE_KEYS)
			return strstr(xml, "<Key>") == NULL ? 0 : S3B_ECONTENT;
	}
	fprintf(stderr, "s3bench: delimiter list: too few CommonPrefixes\n");
	return S3B_ECONTENT;
}

static uint64_t mix(uint64_t x)
{
	return s3b_gen_hash(s3b_opt.seed, "list") ^ (x * 0x9e3779b97f4a7c15ull);
}

static int op_list(void *arg, struct s3b_conn *c, uint64_t i, uint64_t *bytes)
{
	bool delimiter = *(const bool *)arg;
	char target[256], *xml = NULL;
	uint64_t r = mix(i) % (s3b_opt.list_keys - PAGE_KEYS - 1);
	if (delimiter) {
		snprintf(target, sizeof target, "/%s?list-type=2&delimiter=%%2F&max-keys=%u",
			 s3b_opt.list_bucket, PAGE_KEYS);
	} else {
		char after[64];
		key_name(after, sizeof after, r);
		char *slash = strchr(after, '/');
		ASSERT(slash != NULL);
		*slash = '\0';
		snprintf(target, sizeof target,
			 "/%s?list-type=2&max-keys=%u&start-after=%s%%2F%s",
			 s3b_opt.list_bucket, PAGE_KEYS, after, slash + 1);
	}
	int rc = s3b_get_text(c, target, PAGE_TEXT_MAX, &xml);
	if (rc != 0)
		return rc;
	*bytes += strlen(xml);
	rc = delimiter ? check_prefix_page(xml) : check_key_page(xml, r);
	free(xml);
	return rc;
}

static void load(void)
{
	uint64_t n = s3b_opt.list_keys;
	struct s3b_phase_stats st;
	if (s3b_opt.list_load_skip) {
		printf("listing: reusing a loaded bucket of %" PRIu64 " keys\n", n);
	} else {
		printf("listing: loading %" PRIu64 " keys of %u bytes over %u connections...\n",
		       n, LOAD_BODY_BYTES, LOAD_CONNS);
		fflush(stdout);
		int rc = s3b_phase_run(&s3b_opt.server, LOAD_CONNS, n, op_load, NULL, &st);
		if (rc != 0)
			s3b_die("loading the list bucket", rc);
		s3b_result("put_16B_32c_list_load", &st, (double)st.ops / st.seconds, "ops/s", 0,
			   S3B_INFO, 0, NULL);
	}
	/* The last key must be there (also when the load was skipped). */
	struct s3b_conn *c = NULL;
	char name[64], target[160];
	key_name(name, sizeof name, n - 1);
	snprintf(target, sizeof target, "/%s/%s", s3b_opt.list_bucket, name);
	int rc = s3b_conn_new(&s3b_opt.server, &c);
	if (rc == 0)
		rc = s3b_get_verified(c, target, name, LOAD_BODY_BYTES);
	s3b_conn_free(c);
	if (rc != 0)
		s3b_die("the list bucket's last key", rc);
}

void s3b_case_list(void)
{
	s3b_bucket_create(s3b_opt.list_bucket);
	load();
	char name[64], note[120];
	bool delimiter = false;
	struct s3b_phase_stats st;
	printf("listing: %" PRIu64 " pages of each kind, one connection\n", s3b_opt.list_ops);
	int rc = s3b_phase_run(&s3b_opt.server, 1, s3b_opt.list_ops, op_list, &delimiter, &st);
	if (rc != 0)
		s3b_die("ListObjectsV2", rc);
	snprintf(name, sizeof name, "list_v2_1000_of_%" PRIu64 "k", s3b_opt.list_keys / 1000);
	snprintf(note, sizeof note, "median ms; random start-after; %.0f pages/s",
		 (double)st.ops / st.seconds);
	s3b_result(name, &st, st.p50_ms, "ms", 0, S3B_VALUE_MAX, 20, note);
	double plain_ms = st.p50_ms;
	delimiter = true;
	rc = s3b_phase_run(&s3b_opt.server, 1, s3b_opt.list_ops, op_list, &delimiter, &st);
	if (rc != 0)
		s3b_die("ListObjectsV2 with a delimiter", rc);
	snprintf(name, sizeof name, "list_v2_delim_1000_prefixes_%" PRIu64 "k",
		 s3b_opt.list_keys / 1000);
	snprintf(note, sizeof note, "median ms; %" PRIu64 " keys per prefix; %.2fx the plain page",
		 per_group(), st.p50_ms / plain_ms);
	s3b_result(name, &st, st.p50_ms, "ms", 0, S3B_VALUE_MAX, 20, note);
}
