/*
 * config.c — one option table, read from four sources in order of
 * precedence: defaults, config file, environment, flags.
 *
 * The config file is lines of `name = value` (the flag's name without
 * dashes), `#` comments and blank lines.  An unknown name, a malformed line
 * or a bad value is an error naming the file and line: a typo in a config
 * file must not silently fall back to a default.
 */
#include "gateway/config.h"

#include "build_config.h" /* PACKAGE_VERSION */

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/assert.h"

enum opt_type { OPT_STRING, OPT_U64, OPT_SIZE, OPT_LEVEL, OPT_BOOL };

struct opt {
	const char *name;  /* flag (--name) and config file key */
	const char *env;   /* environment variable, or NULL */
	enum opt_type type;
	size_t offset;     /* into struct gw_config */
	bool secret;       /* never from a flag, never printed */
	const char *arg;   /* for --help */
	const char *help;
};

#define OFF(field) offsetof(struct gw_config, field)

static const struct opt opts[] = {
	{"listen", "VERISTORE_LISTEN", OPT_STRING, OFF(listen), false, "ADDR:PORT",
	 "address to serve S3 on (default 127.0.0.1:9000; [::1]:9000 for IPv6)"},
	{"data-dir", "VERISTORE_DATA_DIR", OPT_STRING, OFF(data_dir), false, "DIR",
	 "where data and generated credentials live (default ./data)"},
	{"region", "VERISTORE_REGION", OPT_STRING, OFF(region), false, "NAME",
	 "the region this server is; when set, SigV4 scopes must name it "
	 "(default us-east-1, any scope accepted)"},
	{"access-key", "VERISTORE_ACCESS_KEY", OPT_STRING, OFF(access_key), true, NULL,
	 "access key id (environment or config file only)"},
	{"secret-key", "VERISTORE_SECRET_KEY", OPT_STRING, OFF(secret_key), true, NULL,
	 "secret access key (environment or config file only)"},
	{"max-connections", "VERISTORE_MAX_CONNECTIONS", OPT_U64, OFF(max_connections),
	 false, "N", "connections served at once; more are refused (default 1024)"},
	{"idle-timeout", "VERISTORE_IDLE_TIMEOUT", OPT_U64, OFF(idle_timeout_s), false,
	 "SECONDS", "close a connection idle this long, headers included (default 60)"},
	{"shutdown-grace", "VERISTORE_SHUTDOWN_GRACE", OPT_U64, OFF(shutdown_grace_s),
	 false, "SECONDS", "on SIGTERM/SIGINT, how long in-flight requests may finish (default 30)"},
	{"chunk-size", "VERISTORE_CHUNK_SIZE", OPT_SIZE, OFF(chunk_bytes), false, "BYTES",
	 "object data chunk size, e.g. 1M (default 1M; 64K..16M)"},
	{"gc-interval", "VERISTORE_GC_INTERVAL", OPT_U64, OFF(gc_interval_s), false,
	 "SECONDS", "how often the garbage collector runs (default 60)"},
	{"gc-grace", "VERISTORE_GC_GRACE", OPT_U64, OFF(gc_grace_s), false, "SECONDS",
	 "replaced or unreferenced data is kept this long, for reads in flight (default 900)"},
	{"log-level", "VERISTORE_LOG_LEVEL", OPT_LEVEL, OFF(log_level), false,
	 "LEVEL", "debug, info, warn or error (default info)"},
	{"node-id", "VERISTORE_NODE_ID", OPT_U64, OFF(node_id), false, "N",
	 "this node's id in a cluster (1..); unset: a cluster of one"},
	{"raft-listen", "VERISTORE_RAFT_LISTEN", OPT_STRING, OFF(raft_listen), false,
	 "HOST:PORT", "address of this node's Raft transport (with --node-id)"},
	{"peers", "VERISTORE_PEERS", OPT_STRING, OFF(peers), false, "LIST",
	 "every initial voter's Raft address, this node included: 1=H:P,2=H:P,..."},
	{"join", "VERISTORE_JOIN", OPT_BOOL, OFF(join), false, "",
	 "start empty and wait to be added to a running cluster"},
	{"raft-tick-ms", "VERISTORE_RAFT_TICK_MS", OPT_U64, OFF(raft_tick_ms), false,
	 "MS", "Raft tick; the election timeout is 10 ticks (default 100)"},
	{"raft-snapshot-entries", "VERISTORE_RAFT_SNAPSHOT_ENTRIES", OPT_U64,
	 OFF(raft_snapshot_entries), false, "N",
	 "snapshot and compact the log after this many applied entries (default 10000)"},
	{"raft-cluster-id", "VERISTORE_RAFT_CLUSTER_ID", OPT_U64, OFF(raft_cluster_id),
	 false, "N", "nodes refuse peers of another cluster id (default 1)"},
	{"raft-no-lease", "VERISTORE_RAFT_NO_LEASE", OPT_BOOL, OFF(raft_no_lease),
	 false, "",
	 "the leader confirms every read with a heartbeat round instead of "
	 "serving it from its lease (for clocks that may run at very "
	 "different rates)"},
};

#define OPT_COUNT (sizeof opts / sizeof opts[0])

static void cfg_defaults(struct gw_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = strdup("127.0.0.1:9000");
	cfg->data_dir = strdup("./data");
	cfg->region = strdup(GW_REGION_DEFAULT);
	cfg->max_connections = 1024;
	cfg->idle_timeout_s = 60;
	cfg->shutdown_grace_s = 30;
	cfg->chunk_bytes = 1u << 20;
	cfg->gc_interval_s = 60;
	cfg->gc_grace_s = 900;
	cfg->log_level = GW_LOG_INFO;
	cfg->raft_tick_ms = 100;
	cfg->raft_snapshot_entries = 10000;
	cfg->raft_cluster_id = 1;
}

/* Parses "123", "64K", "4M", "1G" (binary units). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *s == '-')
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int opt_set(struct gw_config *cfg, const struct opt *o, const char *val)
{
	char *base = (char *)cfg + o->offset;
	switch (o->type) {
	case OPT_STRING: {
		char **slot = (char **)(void *)base;
		char *copy = strdup(val);
		if (copy == NULL)
			return -1;
		free(*slot);
		*slot = copy;
		if (o->offset == OFF(region))
			cfg->region_configured = true;
		return 0;
	}
	case OPT_U64:
	case OPT_SIZE: {
		uint64_t v;
		/* Plain counts take no unit suffix: "60s" is an error, not 60. */
		if (o->type == OPT_U64 && strspn(val, "0123456789") != strlen(val))
			return -1;
		if (parse_size(val, &v) != 0)
			return -1;
		*(uint64_t *)(void *)base = v;
		return 0;
	}
	case OPT_LEVEL:
		return gw_log_level_parse(val, (enum gw_log_level *)(void *)base);
	case OPT_BOOL: {
		bool *b = (bool *)(void *)base;
		if (strcmp(val, "1") == 0 || strcmp(val, "true") == 0 ||
		    strcmp(val, "yes") == 0)
			*b = true;
		else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0 ||
			 strcmp(val, "no") == 0)
			*b = false;
		else
			return -1;
		return 0;
	}
	}
	UNREACHABLE();
	return -1;
}

/* A config file may spell names with '_' for '-' (node_id, raft_listen). */
static bool name_eq(const char *opt_name, const char *name)
{
	for (; *opt_name != '\0' && *name != '\0'; opt_name++, name++)
		if (*opt_name != *name && !(*opt_name == '-' && *name == '_'))
			return false;
	return *opt_name == *name;
}

static const struct opt *opt_find(const char *name)
{
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (name_eq(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
			 s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static int load_file(struct gw_config *cfg, const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(err, "veristore: config file %s: %s\n", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
		lineno++;
		char *s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(err, "veristore: %s:%d: expected 'name = value'\n", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *name = trim(s), *val = trim(eq + 1);
		const struct opt *o = opt_find(name);
		if (o == NULL) {
			fprintf(err, "veristore: %s:%d: unknown setting '%s'\n", path, lineno, name);
			rc = -1;
		} else if (opt_set(cfg, o, val) != 0) {
			fprintf(err, "veristore: %s:%d: bad value for %s\n", path, lineno, name);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static int load_env(struct gw_config *cfg, FILE *err)
{
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const char *v = opts[i].env ? getenv(opts[i].env) : NULL;
		if (v == NULL || *v == '\0')
			continue;
		if (opt_set(cfg, &opts[i], v) != 0) {
			fprintf(err, "veristore: bad value in %s\n", opts[i].env);
			return -1;
		}
	}
	return 0;
}

static void print_help(FILE *out)
{
	fprintf(out,
		"Usage: veristore [OPTIONS]\n"
		"Serves the S3 API over HTTP from a durable, replicated store.\n\n"
		"  --config FILE            read settings from FILE (also VERISTORE_CONFIG)\n");
	for (size_t i = 0; i < OPT_COUNT; i++) {
		const struct opt *o = &opts[i];
		char left[64];
		if (o->secret)
			snprintf(left, sizeof left, "%s", o->env);
		else
			snprintf(left, sizeof left, "--%s %s", o->name, o->arg);
		if (o->type == OPT_BOOL)
			snprintf(left, sizeof left, "--%s", o->name);
		fprintf(out, "  %-24s %s\n", left, o->help);
		if (!o->secret && o->env)
			fprintf(out, "  %-24s   (environment: %s)\n", "", o->env);
	}
	fprintf(out,
		"  --help                   this text\n"
		"  --version                print the version\n\n"
		"Precedence: flags, then environment, then the config file, then defaults.\n"
		"The config file has lines 'name = value' with the names above, e.g.\n"
		"'listen = 0.0.0.0:9000'; see etc/veristore.conf.\n"
		"Without credentials, a key pair is generated on first start, stored in\n"
		"DATA_DIR/credentials (mode 0600) and printed.\n");
}

static int load_flags(struct gw_config *cfg, int argc, char **argv, FILE *out,
		      FILE *err)
{
	struct option longopts[OPT_COUNT + 4];
	size_t n = 0;
	for (size_t i = 0; i < OPT_COUNT; i++)
		if (!opts[i].secret)
			longopts[n++] = (struct option){
				opts[i].name,
				opts[i].type == OPT_BOOL ? no_argument : required_argument,
				NULL, (int)(256 + i)};
	longopts[n++] = (struct option){"config", required_argument, NULL, 'c'};
	longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n++] = (struct option){"version", no_argument, NULL, 'V'};
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 'h') {
			print_help(out);
			return 1;
		}
		if (c == 'V') {
			fprintf(out, "veristore %s\n", PACKAGE_VERSION);
			return 1;
		}
		if (c == 'c')
			continue; /* read before the environment; see gw_config_load */
		if (c < 256 || c >= 256 + (int)OPT_COUNT) {
			fprintf(err, "veristore: bad option '%s' (try --help)\n", argv[optind - 1]);
			return -1;
		}
		if (opt_set(cfg, &opts[c - 256], optarg ? optarg : "1") != 0) {
			fprintf(err, "veristore: bad value for --%s: '%s'\n", opts[c - 256].name,
				optarg);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(err, "veristore: unexpected argument '%s' (try --help)\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* --config is found before anything else: the file is the lowest source. */
static const char *find_config_flag(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return getenv("VERISTORE_CONFIG");
}

/* The clustering settings agree with each other (cluster-common.md). */
static int validate_cluster(const struct gw_config *cfg, FILE *err)
{
	if (cfg->raft_tick_ms == 0 || cfg->raft_tick_ms > 60000 ||
	    cfg->raft_cluster_id == 0 || cfg->raft_snapshot_entries == 0) {
		fprintf(err, "veristore: raft-tick-ms must be 1..60000; raft-cluster-id "
			     "and raft-snapshot-entries at least 1\n");
		return -1;
	}
	if (cfg->node_id == 0) {
		if (cfg->raft_listen || cfg->peers || cfg->join) {
			fprintf(err, "veristore: raft-listen, peers and join need --node-id\n");
			return -1;
		}
		return 0;
	}
	char host[256];
	uint16_t port;
	if (cfg->raft_listen == NULL ||
	    gw_config_listen_parse(cfg->raft_listen, host, sizeof host, &port) != 0) {
		fprintf(err, "veristore: --node-id needs --raft-listen HOST:PORT\n");
		return -1;
	}
	if (cfg->join) {
		if (cfg->peers != NULL) {
			fprintf(err, "veristore: --join and --peers exclude each other\n");
			return -1;
		}
		return 0;
	}
	struct gw_peer peers[GW_PEERS_MAX];
	int n = cfg->peers ? gw_config_peers_parse(cfg->peers, peers, GW_PEERS_MAX) : -1;
	if (n < 0) {
		fprintf(err, "veristore: --peers wants 1=HOST:PORT,2=HOST:PORT,... "
			     "(distinct ids >= 1, at most %d)\n", GW_PEERS_MAX);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (peers[i].id == cfg->node_id)
			return 0;
	fprintf(err, "veristore: --peers must list this node (id %llu)\n",
		(unsigned long long)cfg->node_id);
	return -1;
}

static int validate(const struct gw_config *cfg, FILE *err)
{
	char host[256];
	uint16_t port;
	if (gw_config_listen_parse(cfg->listen, host, sizeof host, &port) != 0) {
		fprintf(err, "veristore: bad listen address '%s' (want ADDR:PORT)\n", cfg->listen);
		return -1;
	}
	if (cfg->chunk_bytes < (64u << 10) || cfg->chunk_bytes > (16u << 20)) {
		fprintf(err, "veristore: chunk-size must be between 64K and 16M\n");
		return -1;
	}
	if (cfg->max_connections == 0 || cfg->max_connections > 65536) {
		fprintf(err, "veristore: max-connections must be 1..65536\n");
		return -1;
	}
	if ((cfg->access_key == NULL) != (cfg->secret_key == NULL)) {
		fprintf(err, "veristore: set both VERISTORE_ACCESS_KEY and VERISTORE_SECRET_KEY, or neither\n");
		return -1;
	}
	if (cfg->region[0] == '\0') {
		fprintf(err, "veristore: region must not be empty\n");
		return -1;
	}
	return validate_cluster(cfg, err);
}

int gw_config_load(struct gw_config *cfg, int argc, char **argv, FILE *out,
		   FILE *err)
{
	cfg_defaults(cfg);
	if (cfg->listen == NULL || cfg->data_dir == NULL || cfg->region == NULL)
		return -1;
	const char *file = find_config_flag(argc, argv);
	if (file != NULL) {
		cfg->config_file = strdup(file);
		if (load_file(cfg, file, err) != 0)
			return -1;
	}
	if (load_env(cfg, err) != 0)
		return -1;
	int rc = load_flags(cfg, argc, argv, out, err);
	if (rc != 0)
		return rc;
	if (validate(cfg, err) != 0)
		return -1;
	gw_log_set_level(cfg->log_level);
	return 0;
}

void gw_config_free(struct gw_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->listen);
	free(cfg->data_dir);
	free(cfg->region);
	free(cfg->access_key);
	if (cfg->secret_key != NULL) {
		explicit_bzero(cfg->secret_key, strlen(cfg->secret_key));
		free(cfg->secret_key);
	}
	free(cfg->config_file);
	free(cfg->raft_listen);
	free(cfg->peers);
	memset(cfg, 0, sizeof *cfg);
}

int gw_config_peers_parse(const char *peers, struct gw_peer *out, size_t max)
{
	size_t n = 0;
	const char *p = peers;
	for (;;) { /* bounded: each round consumes one entry */
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (eq == NULL || n == max)
			return -1;
		char *idend = NULL;
		errno = 0;
		unsigned long long id = strtoull(p, &idend, 10);
		if (errno != 0 || idend != eq || *p < '0' || *p > '9' || id == 0)
			return -1;
		size_t alen = len - (size_t)(eq + 1 - p);
		if (alen == 0 || alen >= sizeof out[n].addr)
			return -1;
		memcpy(out[n].addr, eq + 1, alen);
		out[n].addr[alen] = '\0';
		out[n].id = id;
		char host[256];
		uint16_t port;
		if (gw_config_listen_parse(out[n].addr, host, sizeof host, &port) != 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (out[i].id == id)
				return -1;
		n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return (int)n;
}

int gw_config_listen_parse(const char *listen, char *host, size_t host_size,
			   uint16_t *port)
{
	const char *colon;
	const char *h = listen;
	size_t hlen;
	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		h = listen + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - listen);
	}
	if (hlen == 0 || hlen >= host_size)
		return -1;
	char *end = NULL;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || p > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return 0;
}
