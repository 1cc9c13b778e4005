/*
 * config.h — the server's settings and where they come from.
 *
 * Precedence, lowest first: built-in defaults, the config file (--config or
 * VERISTORE_CONFIG), environment variables (VERISTORE_*), command-line flags.
 * Every setting is described once, in the option table of config.c, which
 * also produces --help and the sample etc/veristore.conf documents the same
 * names.  Secrets (the secret key) are accepted from the environment and the
 * config file only, never from flags, which any user can read in ps(1).
 */
#ifndef VS_GATEWAY_CONFIG_H
#define VS_GATEWAY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "gateway/log.h"

#define GW_REGION_DEFAULT "us-east-1"

struct gw_config {
	char *listen;             /* "ADDR:PORT", "[v6]:PORT"; default 127.0.0.1:9000 */
	char *data_dir;           /* default ./data */
	char *region;             /* default us-east-1 */
	bool region_configured;   /* set by file, env or flag: enforce it in SigV4 */
	char *access_key;         /* NULL: load or generate in data_dir */
	char *secret_key;
	uint64_t max_connections; /* default 1024 */
	uint64_t idle_timeout_s;  /* a connection idle this long is closed; 60 */
	uint64_t shutdown_grace_s;/* in-flight requests get this long on SIGTERM; 30 */
	uint64_t chunk_bytes;     /* object data chunk size; 1 MiB */
	uint64_t gc_interval_s;   /* collector period; 60 */
	uint64_t gc_grace_s;      /* garbage is kept this long for reads in flight; 900 */
	enum gw_log_level log_level; /* default info */
	char *config_file;        /* the file read, if any */
	/* Clustering (issue 5).  node_id 0: a cluster of one (node 1, no
	 * Raft port), the same code path. */
	uint64_t node_id;
	char *raft_listen;        /* "HOST:PORT" of this node's Raft transport */
	char *peers;              /* "1=HOST:PORT,2=HOST:PORT,..." initial voters */
	bool join;                /* start empty, wait to be added by a leader */
	uint64_t raft_tick_ms;    /* default 100 (election timeout: 10 ticks) */
	uint64_t raft_snapshot_entries; /* default 10000 */
	uint64_t raft_cluster_id; /* default 1 */
	bool raft_no_lease;       /* every read takes a ReadIndex round */
};

/* One entry of --peers. */
#define GW_PEERS_MAX 16
struct gw_peer {
	uint64_t id;
	char addr[128];
};

/*
 * Parses "1=127.0.0.1:7001,2=[::1]:7002": ids >= 1, distinct, each address
 * HOST:PORT.  Returns the number of peers (1..max) or -1.
 */
int gw_config_peers_parse(const char *peers, struct gw_peer *out, size_t max);

/*
 * Fills *cfg from defaults, the config file, the environment and argv, in
 * that order.  Returns 0 on success; 1 if --help or --version was handled
 * (printed to out: the caller exits 0); -1 on a bad setting, after printing
 * why to err.  The strings in cfg are owned by it: gw_config_free().
 */
int gw_config_load(struct gw_config *cfg, int argc, char **argv, FILE *out,
		   FILE *err);
void gw_config_free(struct gw_config *cfg);

/*
 * Splits cfg->listen into host and port: "127.0.0.1:9000", "[::1]:9000",
 * "localhost:0".  host is written to a buffer of host_size bytes.
 */
int gw_config_listen_parse(const char *listen, char *host, size_t host_size,
			   uint16_t *port);

#endif /* VS_GATEWAY_CONFIG_H */
