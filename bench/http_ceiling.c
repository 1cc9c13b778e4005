/*
 * http_ceiling.c — the HTTP ceiling for s3bench: a trivial libmicrohttpd
 * responder with the same threading and connection settings as veristore
 * (gateway/server.c: one thread per connection, 128 KiB connection memory)
 * that does no S3 work at all:
 *   GET /c/4096 and GET /c/<large-bytes>: the generated content of that name
 *     (s3bench_gen.c, same seed as s3bench), from a buffer made at start;
 *   PUT anything: reads and discards the body, answers 200 with no body.
 * What veristore reaches relative to this is what the S3 layer, SigV4
 * verification, the object layer and the engine cost on the same HTTP stack.
 *
 *   http_ceiling --listen 127.0.0.1:PORT [--large-bytes N] [--seed N]
 * Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "bench/s3bench.h"

#define SMALL_BYTES 4096u
#define CONNECTION_MEMORY_BYTES (128u * 1024) /* as gateway/server.c */

struct body {
	char path[64];
	char *data;
	size_t len;
};

static struct body bodies[2];
static char seen_marker; /* con_cls: headers seen, body (if any) being read */

static void body_make(struct body *b, uint64_t seed, size_t len)
{
	snprintf(b->path, sizeof b->path, "/c/%zu", len);
	b->len = len;
	b->data = malloc(len);
	if (b->data == NULL) {
		fprintf(stderr, "http_ceiling: out of memory\n");
		exit(1);
	}
	s3b_gen_fill(s3b_gen_hash(seed, b->path + 1), 0, b->data, len);
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status,
			      const struct body *b)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		b ? b->len : 0, b ? b->data : NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	enum MHD_Result ok = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	(void)cls, (void)version, (void)upload_data;
	/*
	 * Answer only once the request is complete (the second call at the
	 * earliest), as veristore does: libmicrohttpd 0.9.75 closes the
	 * connection after a response queued on the first call, even for a
	 * GET, which would make every request pay a new connection.
	 */
	if (*con_cls == NULL) {
		*con_cls = &seen_marker;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0; /* a PUT body: discarded, the sink */
		return MHD_YES;
	}
	if (strcmp(method, "PUT") == 0)
		return answer(conn, MHD_HTTP_OK, NULL);
	if (strcmp(method, "GET") == 0)
		for (unsigned i = 0; i < 2; i++)
			if (strcmp(url, bodies[i].path) == 0)
				return answer(conn, MHD_HTTP_OK, &bodies[i]);
	return answer(conn, MHD_HTTP_NOT_FOUND, NULL);
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const char *listen = NULL;
	size_t large = 64u << 20;
	uint64_t seed = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--listen"))
			listen = argv[i + 1];
		else if (!strcmp(argv[i], "--large-bytes"))
			large = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
	}
	struct sockaddr_in sa;
	if (listen == NULL || argc % 2 == 0 || parse_listen(listen, &sa) != 0 ||
	    large == SMALL_BYTES) {
		fprintf(stderr, "usage: http_ceiling --listen ADDR:PORT [--large-bytes N] "
				"[--seed N]\n");
		return 2;
	}
	body_make(&bodies[0], seed, SMALL_BYTES);
	body_make(&bodies[1], seed, large);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD's threads inherit the mask */
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
		MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "http_ceiling: cannot listen on %s\n", listen);
		return 1;
	}
	printf("http_ceiling: listening on %s (bodies %u and %zu bytes)\n", listen,
	       SMALL_BYTES, large);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	free(bodies[0].data);
	free(bodies[1].data);
	return 0;
}
