/*
 * test_object_list.c — ListObjects against a brute-force reference
 * (prefix, delimiter, marker, max-keys, paging), and the cost of skipping
 * a huge common prefix counted in store calls through a counting wrapper.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_object.h"
#include "tests/testutil.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expected listing as "k:key" / "p:prefix" lines joined by '\n'. */
void ref_list(char **keys, size_t n, const char *prefix, const char *delim,
	      const char *after, uint32_t max, char *out, size_t cap,
	      bool *truncated, char *next, size_t next_cap);
void ref_list(char **keys, size_t n, const char *prefix, const char *delim,
	      const char *after, uint32_t max, char *out, size_t cap,
	      bool *truncated, char *next, size_t next_cap)
{
	size_t pl = strlen(prefix), dl = delim ? strlen(delim) : 0;
	char last_cp[1100] = "";
	uint32_t count = 0;
	out[0] = '\0';
	next[0] = '\0';
	*truncated = false;
	for (size_t i = 0; i < n; i++) {
		const char *k = keys[i];
		if (strncmp(k, prefix, pl) != 0)
			continue;
		if (after && strcmp(k, after) <= 0)
			continue;
		char item[1200];
		const char *d = dl ? strstr(k + pl, delim) : NULL;
		if (d) {
			size_t cl = (size_t)(d - k) + dl;
			char cp[1100];
			memcpy(cp, k, cl);
			cp[cl] = '\0';
			if ((after && strcmp(cp, after) <= 0) ||
			    strcmp(cp, last_cp) == 0)
				continue;
			snprintf(last_cp, sizeof last_cp, "%s", cp);
			snprintf(item, sizeof item, "p:%s", cp);
		} else {
			snprintf(item, sizeof item, "k:%s", k);
		}
		if (count == max) {
			*truncated = max > 0;
			break;
		}
		strncat(out, item, cap - strlen(out) - 1);
		strncat(out, "\n", cap - strlen(out) - 1);
		snprintf(next, next_cap, "%s", item + 2);
		count++;
	}
}

struct collect {
	char *out;
	size_t cap;
};

static int collect_cb(void *arg, const struct obj_list_entry *e)
{
	struct collect *c = arg;
	size_t l = strlen(c->out);
	int n = snprintf(c->out + l, c->cap - l, "%s:%.*s\n",
			 e->is_prefix ? "p" : "k", (int)e->key_len, e->key);
	ck_assert_int_lt(n, (int)(c->cap - l));
	ck_assert(e->is_prefix || e->meta != NULL);
	return 0;
}

/* Lists through the layer and compares with the reference. */
void check_listing(struct obj *o, const char *bucket, char **keys, size_t n,
		   const char *prefix, const char *delim, const char *after,
		   uint32_t max);
void check_listing(struct obj *o, const char *bucket, char **keys, size_t n,
		   const char *prefix, const char *delim, const char *after,
		   uint32_t max)
{
	static char want[1 << 16], got[1 << 16];
	bool trunc = false;
	char next[1100];
	ref_list(keys, n, prefix, delim, after, max, want, sizeof want, &trunc,
		 next, sizeof next);
	struct obj_list_params p = {
		.prefix = prefix, .prefix_len = strlen(prefix),
		.delimiter = delim, .delimiter_len = delim ? strlen(delim) : 0,
		.after = after, .after_len = after ? strlen(after) : 0,
		.max_keys = max};
	struct obj_list_result res;
	got[0] = '\0';
	struct collect c = {got, sizeof got};
	ck_assert_int_eq(obj_list(o, bucket, &p, collect_cb, &c, &res), 0);
	ck_assert_msg(strcmp(got, want) == 0,
		      "prefix=%s delim=%s after=%s max=%u\ngot:\n%swant:\n%s",
		      prefix, delim ? delim : "", after ? after : "", max, got,
		      want);
	ck_assert_int_eq(res.truncated, trunc);
	if (res.count > 0)
		ck_assert_str_eq(res.next, next);
	free(res.next);
}

static const char *list_keys[] = {
	"a", "a/b", "a/b/c", "a/c", "a/d/e", "ab", "b", "b/", "b//x",
	"photos/2024/jan/1.jpg", "photos/2024/jan/2.jpg", "photos/2024/feb/1.jpg",
	"photos/2025/x.jpg", "photos/readme", "z\xc3\xa9", "zz/top",
};

START_TEST(list_against_reference)
{
	struct tenv e;
	tenv_init(&e, "obj-list", 100);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	ck_assert_int_eq(obj_bucket_create(e.o, "bku", NULL), 0);
	size_t n = sizeof list_keys / sizeof *list_keys;
	char **keys = malloc(n * sizeof *keys);
	for (size_t i = 0; i < n; i++) {
		keys[i] = (char *)list_keys[i];
		ck_assert_int_eq(tobj_put(e.o, "bkt", keys[i], "x", 1, NULL), 0);
	}
	/* Another bucket's keys never leak in. */
	ck_assert_int_eq(tobj_put(e.o, "bku", "a", "x", 1, NULL), 0);
	qsort(keys, n, sizeof *keys, cmp_str);
	const char *prefixes[] = {"", "a", "a/", "photos/", "photos/2024/", "q"};
	const char *delims[] = {NULL, "/", "jan", "//"};
	const char *afters[] = {NULL, "a", "a/", "a/b", "photos/2024/",
				"photos/2024/jan/1.jpg", "zz"};
	uint32_t maxes[] = {0, 1, 2, 3, 1000, 5000};
	for (size_t pi = 0; pi < 6; pi++)
		for (size_t di = 0; di < 4; di++)
			for (size_t ai = 0; ai < 7; ai++)
				for (size_t mi = 0; mi < 6; mi++)
					check_listing(e.o, "bkt", keys, n,
						      prefixes[pi], delims[di],
						      afters[ai], maxes[mi]);
	struct obj_list_params p = {.max_keys = 10};
	struct obj_list_result res;
	ck_assert_int_eq(obj_list(e.o, "nob", &p, collect_cb, NULL, &res),
			 OBJ_ENOBUCKET);
	free(keys);
	tenv_fini(&e);
}
END_TEST

START_TEST(list_paging_covers_everything)
{
	struct tenv e;
	tenv_init(&e, "obj-page", 100);
	ck_assert_int_eq(obj_bucket_create(e.o, "bkt", NULL), 0);
	size_t n = sizeof list_keys / sizeof *list_keys;
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(tobj_put(e.o, "bkt", list_keys[i], "x", 1, NULL), 0);
	const char *delims[] = {NULL, "/"};
	for (int di = 0; di < 2; di++) {
		for (uint32_t page = 1; page <= 4; page++) {
			static char all[1 << 14], paged[1 << 14];
			struct obj_list_params p = {.delimiter = delims[di],
				.delimiter_len = delims[di] ? 1 : 0,
				.max_keys = 1000};
			struct obj_list_result res;
			all[0] = paged[0] = '\0';
			struct collect c = {all, sizeof all};
			ck_assert_int_eq(obj_list(e.o, "bkt", &p, collect_cb, &c, &res), 0);
			ck_assert(!res.truncated);
			free(res.next);
			char *after = NULL;
			c = (struct collect){paged, sizeof paged};
			for (int guard = 0; guard < 100; guard++) {
				p.max_keys = page;
				p.after = after;
				p.after_len = after ? strlen(after) : 0;
				ck_assert_int_eq(obj_list(e.o, "bkt", &p, collect_cb, &c, &res), 0);
				free(after);
				after = res.next;
				if (!res.truncated)
					break;
			}
			free(after);
			ck_assert_str_eq(paged, all);
		}
	}
	tenv_fini(&e);
}
END_TEST

/* A delimiter listing over a common prefix holding many keys costs a
 * constant number of store calls, however many keys it holds. */
START_TEST(list_skips_common_prefix_with_one_seek)
{
	struct test_backend *be = test_backend_new("obj-seek");
	struct store *inner = test_backend_open(be), *cs = NULL;
	ck_assert_int_eq(counting_store_new(inner, &cs), 0);
	struct obj *o = NULL;
	ck_assert_int_eq(obj_new(cs, NULL, &o), 0);
	ck_assert_int_eq(obj_bucket_create(o, "bkt", NULL), 0);
	const uint32_t many = (uint32_t)test_env_u64("OBJ_LIST_KEYS", 20000);
	/* Written straight into the store: only the listing is under test. */
	struct store_batch *b = NULL;
	ck_assert_int_eq(store_batch_new(&b), 0);
	ck_assert_int_eq(tobj_put(o, "bkt", "big/0", "x", 1, NULL), 0);
	struct obj_meta *m = NULL;
	ck_assert_int_eq(obj_head(o, "bkt", "big/0", 5, &m), 0);
	obj_meta_free(m);
	void *meta_raw = NULL;
	size_t meta_len = 0;
	ck_assert_int_eq(store_get(inner, "Obkt\0big/0", 10, &meta_raw, &meta_len), 0);
	for (uint32_t i = 1; i < many; i++) {
		char k[64];
		int kl = snprintf(k, sizeof k, "Obkt%cbig/%07u", 0, i);
		ck_assert_int_eq(store_batch_put(b, k, (size_t)kl, meta_raw, meta_len), 0);
		if (i % 1000 == 0 || i + 1 == many) {
			ck_assert_int_eq(store_submit(inner, b, NULL), 0);
			store_batch_clear(b);
		}
	}
	free(meta_raw);
	store_batch_free(b);
	const char *others[] = {"a", "big0", "c/x", "z"};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(tobj_put(o, "bkt", others[i], "x", 1, NULL), 0);
	counting_store_reset(cs);
	static char got[4096];
	got[0] = '\0';
	struct collect c = {got, sizeof got};
	struct obj_list_params p = {.delimiter = "/", .delimiter_len = 1,
				    .max_keys = 1000};
	struct obj_list_result res;
	ck_assert_int_eq(obj_list(o, "bkt", &p, collect_cb, &c, &res), 0);
	ck_assert_str_eq(got, "k:a\np:big/\nk:big0\np:c/\nk:z\n");
	free(res.next);
	struct store_counts n;
	counting_store_counts(cs, &n);
	fprintf(stderr, "delimiter listing over %u keys: %llu seeks, %llu nexts\n",
		many, (unsigned long long)n.seeks, (unsigned long long)n.nexts);
	ck_assert_uint_le(n.seeks, 3);  /* start + one per common prefix */
	ck_assert_uint_le(n.nexts, 4);  /* one per object returned */
	/* Resuming after the common prefix skips it with one seek too. */
	counting_store_reset(cs);
	got[0] = '\0';
	p.after = "big/";
	p.after_len = 4;
	ck_assert_int_eq(obj_list(o, "bkt", &p, collect_cb, &c, &res), 0);
	ck_assert_str_eq(got, "k:big0\np:c/\nk:z\n");
	free(res.next);
	counting_store_counts(cs, &n);
	ck_assert_uint_le(n.seeks, 3); /* start, past big/, past c/ */
	obj_free(o);
	store_close(cs);
	test_backend_free(be);
}
END_TEST

Suite *suite_object_list(void)
{
	Suite *s = suite_create("object_list");
	TCase *tc = tcase_create("list");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, list_against_reference);
	tcase_add_test(tc, list_paging_covers_everything);
	tcase_add_test(tc, list_skips_common_prefix_with_one_seek);
	suite_add_tcase(s, tc);
	return s;
}
