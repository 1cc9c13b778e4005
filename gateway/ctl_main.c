/*
 * ctl_main.c — veristore-ctl: the cluster admin API (gateway/admin.h) from
 * the command line, in plain words.
 *
 *   veristore-ctl --endpoint http://HOST:PORT status
 *   veristore-ctl --endpoint ... add ID HOST:PORT [--promote]
 *   veristore-ctl --endpoint ... promote ID | remove ID | transfer ID
 *   veristore-ctl --endpoint ... faults PEER none|out|in|both   (tests)
 *
 * Requests are signed with SigV4 (gateway/sigv4.h) using the credentials
 * aws-cli reads (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), else
 * VERISTORE_ACCESS_KEY / VERISTORE_SECRET_KEY.  Plain HTTP/1.1 over one
 * socket with Connection: close; the answer is JSON this file wrote the
 * other end of, so a few key lookups read it.
 */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gateway/sigv4.h"

#define RESPONSE_MAX (1u << 20)

struct endpoint {
	char host[256];
	char port[16];
	char hostport[300]; /* as in the Host header */
};

static int usage(void)
{
	fprintf(stderr,
		"Usage: veristore-ctl --endpoint http://HOST:PORT COMMAND\n"
		"Commands:\n"
		"  status                     role, term, commit/applied, members, lag, health\n"
		"  add ID HOST:PORT [--promote]  add node ID (its Raft address) as a learner;\n"
		"                             --promote waits for it to catch up, then makes it a voter\n"
		"  promote ID                 make learner ID a voter\n"
		"  remove ID                  remove node ID from the cluster\n"
		"  transfer ID                hand leadership to node ID\n"
		"  faults PEER none|out|in|both   test fault switch (server needs VERISTORE_TEST_FAULTS=1)\n"
		"Membership changes go to the leader; status names it.\n"
		"Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or\n"
		"VERISTORE_ACCESS_KEY/VERISTORE_SECRET_KEY.\n");
	return 2;
}

static int parse_endpoint(const char *url, struct endpoint *ep)
{
	if (strncmp(url, "http://", 7) != 0) {
		fprintf(stderr, "veristore-ctl: endpoint must be http://HOST:PORT\n");
		return -1;
	}
	const char *hp = url + 7;
	size_t len = strcspn(hp, "/");
	if (len == 0 || len >= sizeof ep->hostport)
		return -1;
	memcpy(ep->hostport, hp, len);
	ep->hostport[len] = '\0';
	const char *h = ep->hostport, *colon;
	size_t hlen;
	if (h[0] == '[') {
		const char *close = strchr(h, ']');
		if (close == NULL)
			return -1;
		h++;
		hlen = (size_t)(close - h);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = strrchr(h, ':');
		hlen = colon ? (size_t)(colon - h) : strlen(h);
	}
	if (hlen == 0 || hlen >= sizeof ep->host)
		return -1;
	memcpy(ep->host, h, hlen);
	ep->host[hlen] = '\0';
	snprintf(ep->port, sizeof ep->port, "%s", colon ? colon + 1 : "80");
	return 0;
}

static const char *env2(const char *a, const char *b)
{
	const char *v = getenv(a);
	if (v == NULL || *v == '\0')
		v = getenv(b);
	return v != NULL && *v != '\0' ? v : NULL;
}

static int dial(const struct endpoint *ep)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	int rc = getaddrinfo(ep->host, ep->port, &hints, &res);
	if (rc != 0) {
		fprintf(stderr, "veristore-ctl: %s: %s\n", ep->host, gai_strerror(rc));
		return -1;
	}
	int fd = -1;
	for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
		if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		fprintf(stderr, "veristore-ctl: cannot connect to %s: %s\n",
			ep->hostport, strerror(errno));
	return fd;
}

/* Sends a signed request for target; *status and a malloc'd body. */
static int call(const struct endpoint *ep, const char *method,
		const char *target, int *status, char **body)
{
	const char *ak = env2("AWS_ACCESS_KEY_ID", "VERISTORE_ACCESS_KEY");
	const char *sk = env2("AWS_SECRET_ACCESS_KEY", "VERISTORE_SECRET_KEY");
	const char *region = env2("AWS_REGION", "AWS_DEFAULT_REGION");
	if (ak == NULL || sk == NULL) {
		fprintf(stderr, "veristore-ctl: set AWS_ACCESS_KEY_ID and "
				"AWS_SECRET_ACCESS_KEY (or VERISTORE_ACCESS_KEY/SECRET_KEY)\n");
		return -1;
	}
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	const char *payload = "UNSIGNED-PAYLOAD";
	struct sigv4_header hs[] = {{"host", ep->hostport},
				    {"x-amz-content-sha256", payload},
				    {"x-amz-date", date}};
	struct sigv4_request r = {method, target, hs, 3};
	struct sigv4_signer signer = {ak, sk, region ? region : "us-east-1", "s3", date};
	char auth[1024];
	if (sigv4_sign_header(&signer, &r, payload, auth, sizeof auth, NULL) != 0) {
		fprintf(stderr, "veristore-ctl: cannot sign the request\n");
		return -1;
	}
	char req[4096];
	int n = snprintf(req, sizeof req,
			 "%s %s HTTP/1.1\r\nHost: %s\r\nx-amz-date: %s\r\n"
			 "x-amz-content-sha256: %s\r\nAuthorization: %s\r\n"
			 "Content-Length: 0\r\nConnection: close\r\n\r\n",
			 method, target, ep->hostport, date, payload, auth);
	if (n < 0 || (size_t)n >= sizeof req)
		return -1;
	int fd = dial(ep);
	if (fd < 0)
		return -1;
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		close(fd);
		return -1;
	}
	char *buf = malloc(RESPONSE_MAX + 1);
	size_t got = 0;
	ssize_t k = 0;
	while (buf != NULL && got < RESPONSE_MAX &&
	       (k = recv(fd, buf + got, RESPONSE_MAX - got, 0)) > 0)
		got += (size_t)k;
	close(fd);
	if (buf == NULL)
		return -1;
	buf[got] = '\0';
	char *sep = strstr(buf, "\r\n\r\n");
	if (sep == NULL || sscanf(buf, "HTTP/1.%*d %d", status) != 1) {
		fprintf(stderr, "veristore-ctl: no HTTP response from %s\n", ep->hostport);
		free(buf);
		return -1;
	}
	memmove(buf, sep + 4, strlen(sep + 4) + 1);
	*body = buf;
	return 0;
}

/* ---- Reading our own JSON ----------------------------------------------- */

static unsigned long long jnum(const char *obj, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(obj, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

static bool jbool(const char *obj, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":true", key);
	return strstr(obj, pat) != NULL;
}

static void jstr(const char *obj, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *p = strstr(obj, pat);
	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(pat);
	size_t i = 0;
	for (; *p != '\0' && *p != '"' && i + 1 < cap; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		out[i++] = *p;
	}
	out[i] = '\0';
}

static void print_status(const char *body)
{
	char role[32];
	jstr(body, "role", role, sizeof role);
	const char *members = strstr(body, "\"members\":[");
	size_t head = members ? (size_t)(members - body) : strlen(body);
	char *top = strndup(body, head);
	if (top == NULL)
		return;
	unsigned long long leader = jnum(top, "leader");
	printf("node %llu is %s %s, term %llu\n", jnum(top, "id"),
	       strcmp(role, "leader") == 0 ? "the" : "a", role, jnum(top, "term"));
	if (leader != 0)
		printf("leader: node %llu\n", leader);
	else
		printf("leader: none known (an election may be under way)\n");
	printf("log: entries %llu..%llu, committed up to %llu, applied up to %llu, "
	       "snapshot at %llu\n", jnum(top, "first_index"), jnum(top, "last_index"),
	       jnum(top, "commit"), jnum(top, "applied"), jnum(top, "snapshot_index"));
	bool is_leader = strcmp(role, "leader") == 0;
	printf("members:\n");
	for (const char *m = members ? strstr(members, "{") : NULL; m != NULL;
	     m = strstr(m + 1, "{\"id\":")) {
		const char *end = strchr(m, '}');
		char *one = strndup(m, end ? (size_t)(end - m) : strlen(m));
		if (one == NULL)
			break;
		char addr[160];
		jstr(one, "addr", addr, sizeof addr);
		printf("  node %llu  %-22s %-7s %s", jnum(one, "id"),
		       addr[0] ? addr : "(no Raft port)",
		       jbool(one, "learner") ? "learner" : "voter",
		       jbool(one, "connected") ? "connected" : "not connected");
		if (is_leader)
			printf(", replicated to %llu, %llu behind, %s", jnum(one, "match"),
			       jnum(one, "lag"), jbool(one, "healthy") ? "healthy" : "NOT HEARD FROM");
		printf("\n");
		free(one);
	}
	if (!is_leader)
		printf("(lag and health are known to the leader: ask node %llu)\n", leader);
	free(top);
}

/* ---- Commands ------------------------------------------------------------ */

static bool is_id(const char *s)
{
	return s != NULL && *s >= '1' && *s <= '9' && strspn(s, "0123456789") == strlen(s);
}

/* Builds the admin target for argv (after the endpoint); NULL on misuse. */
static const char *build_target(int argc, char **argv, char *t, size_t cap,
				const char **method)
{
	const char *cmd = argv[0];
	*method = "POST";
	if (strcmp(cmd, "status") == 0 && argc == 1) {
		*method = "GET";
		snprintf(t, cap, "/_veristore/cluster");
	} else if (strcmp(cmd, "add") == 0 && (argc == 3 || argc == 4) && is_id(argv[1])) {
		bool promote = argc == 4 && strcmp(argv[3], "--promote") == 0;
		if (argc == 4 && !promote)
			return NULL;
		if (strspn(argv[2], "0123456789.:[]abcdefABCDEF-") != strlen(argv[2]))
			return NULL; /* kept literal: no escaping needed in the query */
		snprintf(t, cap, "/_veristore/cluster/add?addr=%s&id=%s%s",
			 argv[2], argv[1], promote ? "&promote=1" : "");
	} else if ((strcmp(cmd, "remove") == 0 || strcmp(cmd, "transfer") == 0 ||
		    strcmp(cmd, "promote") == 0) && argc == 2 && is_id(argv[1])) {
		snprintf(t, cap, "/_veristore/cluster/%s?id=%s", cmd, argv[1]);
	} else if (strcmp(cmd, "faults") == 0 && argc == 3 && is_id(argv[1]) &&
		   (strcmp(argv[2], "none") == 0 || strcmp(argv[2], "out") == 0 ||
		    strcmp(argv[2], "in") == 0 || strcmp(argv[2], "both") == 0)) {
		snprintf(t, cap, "/_veristore/faults?drop=%s&peer=%s", argv[2], argv[1]);
	} else {
		return NULL;
	}
	return t;
}

int main(int argc, char **argv)
{
	const char *url = getenv("VERISTORE_ENDPOINT");
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--endpoint") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strncmp(argv[i], "--endpoint=", 11) == 0)
			url = argv[i] + 11;
		else
			return usage();
	}
	struct endpoint ep;
	char target[1024];
	const char *method = NULL;
	if (url == NULL || i >= argc || parse_endpoint(url, &ep) != 0 ||
	    build_target(argc - i, argv + i, target, sizeof target, &method) == NULL)
		return usage();
	int status = 0;
	char *body = NULL;
	if (call(&ep, method, target, &status, &body) != 0)
		return 1;
	int rc = 0;
	if (status == 200 && strcmp(argv[i], "status") == 0) {
		print_status(body);
	} else if (status == 200) {
		printf("done: %s %s\n", argv[i], argc - i > 1 ? argv[i + 1] : "");
	} else {
		char err[256];
		jstr(body, "error", err, sizeof err);
		unsigned long long leader = jnum(body, "leader");
		if (err[0] == '\0')
			snprintf(err, sizeof err, "%.200s", body);
		printf("failed (HTTP %d): %s\n", status, err);
		if (status == 421 && leader != 0)
			printf("node %llu is the leader: run this against its endpoint\n", leader);
		rc = 1;
	}
	free(body);
	return rc;
}
