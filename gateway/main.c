/*
 * main.c — the veristore program: load settings, make sure there are
 * credentials, serve S3 until SIGTERM or SIGINT, then stop gracefully.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/app.h"
#include "gateway/config.h"
#include "gateway/credentials.h"
#include "gateway/fs_util.h"
#include "gateway/log.h"
#include "gateway/server.h"
#include "xml/s3xml.h"


static int ensure_credentials(struct gw_config *cfg)
{
	if (cfg->access_key != NULL)
		return 0;
	bool created = false;
	int rc = gw_credentials_load_or_create(cfg->data_dir, &cfg->access_key,
					       &cfg->secret_key, &created);
	if (rc != 0) {
		gw_log(GW_LOG_ERROR, "cannot load or create credentials in %s: %s",
		       cfg->data_dir, strerror(-rc));
		return -1;
	}
	if (created) {
		/* Printed once, on the terminal that started the server. */
		fprintf(stderr,
			"\nNo credentials were configured, so a key pair was generated and\n"
			"stored in %s/credentials (mode 0600):\n\n"
			"  export AWS_ACCESS_KEY_ID=%s\n"
			"  export AWS_SECRET_ACCESS_KEY=%s\n\n",
			cfg->data_dir, cfg->access_key, cfg->secret_key);
	} else {
		gw_log(GW_LOG_INFO, "using the credentials in %s/credentials (access key %s)",
		       cfg->data_dir, cfg->access_key);
	}
	return 0;
}

static void print_banner(const struct gw_config *cfg, unsigned port)
{
	char host[256];
	uint16_t cfg_port;
	if (gw_config_listen_parse(cfg->listen, host, sizeof host, &cfg_port) != 0)
		snprintf(host, sizeof host, "127.0.0.1");
	bool v6 = strchr(host, ':') != NULL;
	char shown[300];
	snprintf(shown, sizeof shown, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
	fprintf(stderr,
		"VeriStore is serving S3 on http://%s:%u (region %s). Try:\n"
		"  aws --endpoint-url http://%s:%u s3 mb s3://my-bucket\n"
		"  aws --endpoint-url http://%s:%u s3 cp ./file s3://my-bucket/\n\n",
		shown, port, cfg->region, shown, port, shown, port);
}

int main(int argc, char **argv)
{
	struct gw_config cfg;
	int rc = gw_config_load(&cfg, argc, argv, stdout, stderr);
	if (rc != 0) {
		gw_config_free(&cfg);
		return rc > 0 ? 0 : 2;
	}
	/* Signals are taken by sigwait below, never by a handler thread. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Credentials from the environment skip the credentials file, so the
	 * data directory may not exist yet: create it for the store. */
	rc = gw_mkdir_p(cfg.data_dir);
	if (rc != 0) {
		gw_log(GW_LOG_ERROR, "cannot create the data directory %s: %s",
		       cfg.data_dir, strerror(-rc));
		gw_config_free(&cfg);
		return 1;
	}
	if (ensure_credentials(&cfg) != 0) {
		gw_config_free(&cfg);
		return 1;
	}
	s3xml_init();
	struct gw_app app;
	struct gw_server *server = NULL;
	if (gw_app_open(&app, &cfg) != 0 || gw_server_start(&cfg, &app, &server) != 0) {
		gw_app_close(&app);
		gw_config_free(&cfg);
		return 1;
	}
	print_banner(&cfg, gw_server_port(server));
	gw_log(GW_LOG_INFO, "listening on %s (port %u)", cfg.listen, gw_server_port(server));

	int sig = 0;
	sigwait(&stop, &sig);
	gw_log(GW_LOG_INFO, "%s: no longer accepting; finishing in-flight requests (up to %us)",
	       sig == SIGTERM ? "SIGTERM" : "SIGINT", (unsigned)cfg.shutdown_grace_s);
	bool clean = gw_server_stop(server, (unsigned)cfg.shutdown_grace_s);
	gw_app_close(&app);
	gw_log(GW_LOG_INFO, "stopped%s", clean ? "" : " (some requests were cut off)");
	s3xml_cleanup();
	gw_config_free(&cfg);
	return 0;
}
