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
};

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
