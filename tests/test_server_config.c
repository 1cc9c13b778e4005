/*
 * Tests of the gateway's configuration, credentials, log escaping and the S3
 * error table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway/config.h"
#include "gateway/credentials.h"
#include "gateway/log.h"
#include "gateway/s3_error.h"
#include "tests/testutil.h"

#include "tests/check_server.h"

static FILE *devnull(void)
{
	FILE *f = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(f);
	return f;
}

static void clear_env(void)
{
	const char *vars[] = {"VERISTORE_LISTEN", "VERISTORE_DATA_DIR", "VERISTORE_REGION",
			      "VERISTORE_ACCESS_KEY", "VERISTORE_SECRET_KEY",
			      "VERISTORE_CONFIG", "VERISTORE_CHUNK_SIZE", "VERISTORE_LOG_LEVEL",
			      "VERISTORE_NODE_ID", "VERISTORE_RAFT_LISTEN", "VERISTORE_PEERS",
			      "VERISTORE_JOIN", "VERISTORE_RAFT_TICK_MS"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

/* Defaults hold when nothing is configured; the region is not enforced. */
START_TEST(config_defaults)
{
	clear_env();
	struct gw_config cfg;
	char *argv[] = {(char *)"veristore", NULL};
	FILE *n = devnull();
	ck_assert_int_eq(gw_config_load(&cfg, 1, argv, n, n), 0);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:9000");
	ck_assert_str_eq(cfg.data_dir, "./data");
	ck_assert_str_eq(cfg.region, "us-east-1");
	ck_assert(!cfg.region_configured);
	ck_assert_ptr_null(cfg.access_key);
	ck_assert_uint_eq(cfg.chunk_bytes, 1u << 20);
	gw_config_free(&cfg);
	fclose(n);
}
END_TEST

/* Flags beat environment, environment beats the file, the file beats defaults. */
START_TEST(config_precedence)
{
	clear_env();
	char *dir = test_tmpdir_new("config");
	char path[4096];
	snprintf(path, sizeof path, "%s/veristore.conf", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "# comment\n\nlisten = 127.0.0.1:7000\nregion = eu-west-1\n"
		   "data-dir = /from/file\nchunk-size = 1M\nidle-timeout = 9\n");
	fclose(f);
	setenv("VERISTORE_DATA_DIR", "/from/env", 1);
	setenv("VERISTORE_LISTEN", "127.0.0.1:7001", 1);
	char *argv[] = {(char *)"veristore", (char *)"--config", path, (char *)"--listen", (char *)"[::1]:7002", NULL};
	struct gw_config cfg;
	FILE *n = devnull();
	ck_assert_int_eq(gw_config_load(&cfg, 5, argv, n, n), 0);
	ck_assert_str_eq(cfg.listen, "[::1]:7002");
	ck_assert_str_eq(cfg.data_dir, "/from/env");
	ck_assert_str_eq(cfg.region, "eu-west-1");
	ck_assert(cfg.region_configured);
	ck_assert_uint_eq(cfg.chunk_bytes, 1u << 20);
	ck_assert_uint_eq(cfg.idle_timeout_s, 9);
	gw_config_free(&cfg);
	clear_env();
	fclose(n);
	test_tmpdir_free(dir);
}
END_TEST

/* A typo in the config file is an error, not a silent default. */
START_TEST(config_file_rejects_unknown_and_bad_values)
{
	clear_env();
	char *dir = test_tmpdir_new("config");
	char path[4096];
	snprintf(path, sizeof path, "%s/bad.conf", dir);
	const char *bodies[] = {"lisen = 1.2.3.4:5\n", "idle-timeout = 60s\n",
				"chunk-size = 1T\n", "chunk-size = 32M\n", "no equals sign\n", "chunk-size = 1K\n",
				"log-level = loud\n", "listen = nocolon\n"};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		FILE *f = fopen(path, "w");
		fputs(bodies[i], f);
		fclose(f);
		char *argv[] = {(char *)"veristore", (char *)"--config", path, NULL};
		struct gw_config cfg;
		FILE *n = devnull();
		ck_assert_msg(gw_config_load(&cfg, 3, argv, n, n) == -1, "accepted: %s", bodies[i]);
		gw_config_free(&cfg);
		fclose(n);
	}
	test_tmpdir_free(dir);
}
END_TEST

/* Secrets never come from flags (ps would show them); half a key pair is an error. */
START_TEST(config_secrets_not_from_flags)
{
	clear_env();
	struct gw_config cfg;
	FILE *n = devnull();
	char *argv[] = {(char *)"veristore", (char *)"--secret-key", (char *)"x", NULL};
	ck_assert_int_eq(gw_config_load(&cfg, 3, argv, n, n), -1);
	gw_config_free(&cfg);
	setenv("VERISTORE_ACCESS_KEY", "AK", 1);
	char *argv2[] = {(char *)"veristore", NULL};
	ck_assert_int_eq(gw_config_load(&cfg, 1, argv2, n, n), -1);
	gw_config_free(&cfg);
	setenv("VERISTORE_SECRET_KEY", "SK", 1);
	ck_assert_int_eq(gw_config_load(&cfg, 1, argv2, n, n), 0);
	ck_assert_str_eq(cfg.access_key, "AK");
	ck_assert_str_eq(cfg.secret_key, "SK");
	gw_config_free(&cfg);
	clear_env();
	fclose(n);
}
END_TEST

START_TEST(config_help_mentions_every_setting)
{
	clear_env();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct gw_config cfg;
	char *argv[] = {(char *)"veristore", (char *)"--help", NULL};
	ck_assert_int_eq(gw_config_load(&cfg, 2, argv, out, out), 1);
	fclose(out);
	const char *names[] = {"--listen", "--data-dir", "--config", "--region",
			       "VERISTORE_ACCESS_KEY", "VERISTORE_SECRET_KEY",
			       "--max-connections", "--idle-timeout", "--chunk-size"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_msg(strstr(buf, names[i]) != NULL, "--help lacks %s", names[i]);
	free(buf);
	gw_config_free(&cfg);
}
END_TEST

START_TEST(listen_parse)
{
	char host[64];
	uint16_t port;
	ck_assert_int_eq(gw_config_listen_parse("127.0.0.1:9000", host, sizeof host, &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_uint_eq(port, 9000);
	ck_assert_int_eq(gw_config_listen_parse("[::1]:0", host, sizeof host, &port), 0);
	ck_assert_str_eq(host, "::1");
	ck_assert_uint_eq(port, 0);
	ck_assert_int_eq(gw_config_listen_parse("localhost:65536", host, sizeof host, &port), -1);
	ck_assert_int_eq(gw_config_listen_parse(":80", host, sizeof host, &port), -1);
	ck_assert_int_eq(gw_config_listen_parse("[::1]80", host, sizeof host, &port), -1);
	ck_assert_int_eq(gw_config_listen_parse("h:8x", host, sizeof host, &port), -1);
}
END_TEST

/* Generated once, private to the owner, read back unchanged later. */
START_TEST(credentials_generated_then_reloaded)
{
	char *dir = test_tmpdir_new("cred");
	char sub[4096];
	snprintf(sub, sizeof sub, "%s/nested/data", dir);
	char *ak = NULL, *sk = NULL, *ak2 = NULL, *sk2 = NULL;
	bool created = false;
	ck_assert_int_eq(gw_credentials_load_or_create(sub, &ak, &sk, &created), 0);
	ck_assert(created);
	ck_assert_uint_eq(strlen(ak), GW_ACCESS_KEY_LEN);
	ck_assert_uint_eq(strlen(sk), GW_SECRET_KEY_LEN);
	char path[4200];
	snprintf(path, sizeof path, "%s/credentials", sub);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(gw_credentials_load_or_create(sub, &ak2, &sk2, &created), 0);
	ck_assert(!created);
	ck_assert_str_eq(ak, ak2);
	ck_assert_str_eq(sk, sk2);
	free(ak);
	free(sk);
	free(ak2);
	free(sk2);
	/* A second directory gets a different pair. */
	char other[4200];
	snprintf(other, sizeof other, "%s/other", dir);
	ck_assert_int_eq(gw_credentials_load_or_create(other, &ak, &sk, &created), 0);
	ck_assert_int_eq(gw_credentials_load_or_create(sub, &ak2, &sk2, &created), 0);
	ck_assert_str_ne(sk, sk2);
	free(ak);
	free(sk);
	free(ak2);
	free(sk2);
	test_tmpdir_free(dir);
}
END_TEST

START_TEST(credentials_malformed_file_is_an_error)
{
	char *dir = test_tmpdir_new("cred");
	char path[4200];
	snprintf(path, sizeof path, "%s/credentials", dir);
	FILE *f = fopen(path, "w");
	fputs("access_key = ONLYHALF\n", f);
	fclose(f);
	char *ak = NULL, *sk = NULL;
	bool created;
	ck_assert_int_lt(gw_credentials_load_or_create(dir, &ak, &sk, &created), 0);
	test_tmpdir_free(dir);
}
END_TEST

/* Untrusted bytes cannot forge log lines or break out of quotes. */
START_TEST(log_escape)
{
	char out[64];
	ck_assert_str_eq(gw_log_escape(out, sizeof out, "a/b c", 5), "a/b c");
	ck_assert_str_eq(gw_log_escape(out, sizeof out, "x\ny\"\\", 5), "x\\x0ay\\x22\\x5c");
	ck_assert_str_eq(gw_log_escape(out, sizeof out, "\xff\x00", 2), "\\xff\\x00");
	char big[200];
	memset(big, 'a', sizeof big);
	gw_log_escape(out, sizeof out, big, sizeof big);
	ck_assert_uint_lt(strlen(out), sizeof out);
	ck_assert_str_eq(out + strlen(out) - 3, "...");
}
END_TEST

/* Every error has a distinct S3 code and an HTTP status S3 would use. */
START_TEST(error_table_complete)
{
	for (int e = 1; e < S3_ERROR_COUNT; e++) {
		unsigned st = s3_error_status((enum s3_error)e);
		ck_assert_msg(st == 304 || (st >= 400 && st < 600), "status %u", st);
		ck_assert(strlen(s3_error_message((enum s3_error)e)) > 0);
		for (int f = 1; f < e; f++)
			ck_assert_str_ne(s3_error_code((enum s3_error)e),
					 s3_error_code((enum s3_error)f));
	}
	ck_assert_str_eq(s3_error_code(S3_NO_SUCH_KEY), "NoSuchKey");
	ck_assert_uint_eq(s3_error_status(S3_NO_SUCH_KEY), 404);
	ck_assert_uint_eq(s3_error_status(S3_INVALID_RANGE), 416);
	ck_assert_uint_eq(s3_error_status(S3_NOT_IMPLEMENTED), 501);
	ck_assert_uint_eq(s3_error_status(S3_SIGNATURE_DOES_NOT_MATCH), 403);
	ck_assert_uint_eq(s3_error_status(S3_BUCKET_NOT_EMPTY), 409);
}
END_TEST

/* Loads argv (NULL-terminated) with a config file holding body (or none). */
static int load_cluster(const char *body, const char *const *args,
			struct gw_config *cfg)
{
	char *dir = test_tmpdir_new("ccfg");
	char path[4096];
	snprintf(path, sizeof path, "%s/c.conf", dir);
	char *argv[16] = {(char *)"veristore"};
	int argc = 1;
	if (body != NULL) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(body, f);
		fclose(f);
		argv[argc++] = (char *)"--config";
		argv[argc++] = path;
	}
	for (; args != NULL && *args != NULL; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	FILE *n = devnull();
	int rc = gw_config_load(cfg, argc, argv, n, n);
	fclose(n);
	test_tmpdir_free(dir);
	return rc;
}

/* The clustering settings (cluster-common.md): flags, file keys spelled
 * with '_' or '-', env, defaults, and the combinations refused. */
START_TEST(config_cluster_settings)
{
	clear_env();
	struct gw_config cfg;
	ck_assert_int_eq(load_cluster(NULL, NULL, &cfg), 0);
	ck_assert_uint_eq(cfg.node_id, 0);
	ck_assert_uint_eq(cfg.raft_tick_ms, 100);
	ck_assert_uint_eq(cfg.raft_snapshot_entries, 10000);
	ck_assert_uint_eq(cfg.raft_cluster_id, 1);
	ck_assert(!cfg.join);
	gw_config_free(&cfg);

	const char *a1[] = {"--node-id", "2", "--raft-listen", "127.0.0.1:7002", "--peers",
		      "1=127.0.0.1:7001,2=127.0.0.1:7002,3=[::1]:7003", "--raft-tick-ms",
		      "20", "--raft-snapshot-entries", "50", "--raft-cluster-id", "9", NULL};
	ck_assert_int_eq(load_cluster(NULL, a1, &cfg), 0);
	ck_assert_uint_eq(cfg.node_id, 2);
	ck_assert_str_eq(cfg.raft_listen, "127.0.0.1:7002");
	ck_assert_uint_eq(cfg.raft_tick_ms, 20);
	ck_assert_uint_eq(cfg.raft_snapshot_entries, 50);
	ck_assert_uint_eq(cfg.raft_cluster_id, 9);
	struct gw_peer p[GW_PEERS_MAX];
	ck_assert_int_eq(gw_config_peers_parse(cfg.peers, p, GW_PEERS_MAX), 3);
	ck_assert_uint_eq(p[2].id, 3);
	ck_assert_str_eq(p[2].addr, "[::1]:7003");
	gw_config_free(&cfg);

	ck_assert_int_eq(load_cluster("node_id = 4\nraft_listen = 127.0.0.1:7004\n"
				      "join = true\n", NULL, &cfg), 0);
	ck_assert_uint_eq(cfg.node_id, 4);
	ck_assert(cfg.join);
	gw_config_free(&cfg);
	setenv("VERISTORE_NODE_ID", "5", 1);
	const char *a2[] = {"--raft-listen", "127.0.0.1:7005", "--join", NULL};
	ck_assert_int_eq(load_cluster(NULL, a2, &cfg), 0);
	ck_assert_uint_eq(cfg.node_id, 5);
	ck_assert(cfg.join);
	gw_config_free(&cfg);
	clear_env();

	const char *bad[] = {
		"peers = 1=127.0.0.1:7001\n",                  /* no node id */
		"node-id = 1\npeers = 1=127.0.0.1:7001\n",     /* no raft-listen */
		"node-id = 1\nraft-listen = 127.0.0.1:7001\n", /* no peers, no join */
		"node-id = 3\nraft-listen = h:1\npeers = 1=h:1,2=h:2\n", /* not listed */
		"node-id = 1\nraft-listen = h:1\npeers = 1=h:1,1=h:2\n", /* duplicate */
		"node-id = 1\nraft-listen = h:1\npeers = 0=h:1\n",
		"node-id = 1\nraft-listen = h:1\npeers = 1=h\n",
		"node-id = 1\nraft-listen = h:1\npeers = 1=h:1,\n",
		"node-id = 1\nraft-listen = h:1\njoin = 1\npeers = 1=h:1\n",
		"node-id = 1\nraft-listen = h:1\njoin = maybe\n",
		"raft-tick-ms = 0\n",
		"raft-cluster-id = 0\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(load_cluster(bad[i], NULL, &cfg) == -1, "accepted: %s", bad[i]);
		gw_config_free(&cfg);
	}
}
END_TEST

Suite *server_config_suite(void)
{
	Suite *s = suite_create("server_config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, config_defaults);
	tcase_add_test(tc, config_precedence);
	tcase_add_test(tc, config_file_rejects_unknown_and_bad_values);
	tcase_add_test(tc, config_secrets_not_from_flags);
	tcase_add_test(tc, config_help_mentions_every_setting);
	tcase_add_test(tc, listen_parse);
	tcase_add_test(tc, credentials_generated_then_reloaded);
	tcase_add_test(tc, credentials_malformed_file_is_an_error);
	tcase_add_test(tc, log_escape);
	tcase_add_test(tc, error_table_complete);
	tcase_add_test(tc, config_cluster_settings);
	suite_add_tcase(s, tc);
	return s;
}
