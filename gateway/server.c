/*
 * server.c — the HTTP side of the gateway: libmicrohttpd callbacks, the
 * request lifecycle, error rendering and the access log.
 *
 * Lifecycle of one request (libmicrohttpd's callbacks, in order):
 *   uri_log_cb     the request line arrived: create the gw_request with the
 *                  raw target (the only place MHD shows it unmodified).
 *   access_cb #1   headers are in: parse, route, authenticate, begin.  If
 *                  we return without a response, MHD answers a client's
 *                  "Expect: 100-continue" and the body follows.
 *   access_cb #n   body pieces: buffered or streamed to the handler.
 *   access_cb last the body is complete: finish, queue the response.
 *   completed_cb   the exchange is over: log one line, free everything.
 * An error before the body queues the S3 error response at once; MHD then
 * discards the body and closes the connection.  An error in the body is
 * answered when the body ends, unless too much of it is still to come
 * (GW_ERROR_DRAIN_BYTES_MAX).
 */
#include "gateway/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/assert.h"
#include "gateway/admin.h"
#include "gateway/auth.h"
#include "gateway/body.h"
#include "gateway/handler.h"
#include "gateway/log.h"
#include "gateway/request.h"
#include "xml/s3xml.h"

/* Response bodies stream in blocks of this size (bounded memory per GET). */
#define GW_STREAM_BLOCK_BYTES (256u * 1024)
/* Header bytes a connection may use; S3's own limit is 8 KiB of headers
 * plus 2 KiB of user metadata, so this leaves room. */
#define GW_CONNECTION_MEMORY_BYTES (128u * 1024)
#define GW_QUERY_ARGS_MAX 64
/*
 * A body that fails verification part-way (a bad chunk signature, a framing
 * error) is answered once the body has ended, if at most this many more
 * bytes arrive: libmicrohttpd 0.9.75 drops a response queued while it is
 * still receiving the body, so the client would see the connection close
 * with no answer.  Past the bound we answer at once and close (the client
 * may then see a reset): never read gigabytes only to refuse them.
 */
#define GW_ERROR_DRAIN_BYTES_MAX (8u * 1024 * 1024)

struct gw_server {
	struct MHD_Daemon *daemon;
	const struct gw_config *cfg;
	void *app;
	uint16_t port;
	uint32_t id_prefix;
	_Atomic uint32_t next_id;
	_Atomic unsigned in_flight;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- responses -------------------------------------------------------- */

int gw_response_add_header(struct gw_response *r, const char *name, const char *value)
{
	if (r->header_count == r->header_cap) {
		size_t cap = r->header_cap ? r->header_cap * 2 : 8;
		struct gw_header *h = realloc(r->headers, cap * sizeof *h);
		if (h == NULL)
			return -ENOMEM;
		r->headers = h;
		r->header_cap = cap;
	}
	char *n = strdup(name), *v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -ENOMEM;
	}
	r->headers[r->header_count++] = (struct gw_header){n, v};
	return 0;
}

int gw_response_set_header(struct gw_response *r, const char *name, const char *value)
{
	for (size_t i = 0; i < r->header_count; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0) {
			char *v = strdup(value);
			if (v == NULL)
				return -ENOMEM;
			free(r->headers[i].value);
			r->headers[i].value = v;
			return 0;
		}
	}
	return gw_response_add_header(r, name, value);
}

void gw_response_set_body(struct gw_response *r, char *body, size_t len)
{
	free(r->body);
	r->body = body;
	r->body_len = len;
}

void gw_response_clear(struct gw_response *r)
{
	for (size_t i = 0; i < r->header_count; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->body);
	if (r->reader_free != NULL)
		r->reader_free(r->reader_ctx);
	memset(r, 0, sizeof *r);
}

/* ---- requests --------------------------------------------------------- */

const char *gw_request_header(const struct gw_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const struct gw_query_arg *query_find(const struct gw_request *req, const char *name)
{
	for (size_t i = 0; i < req->query_count; i++)
		if (strcmp(req->query[i].name, name) == 0)
			return &req->query[i];
	return NULL;
}

bool gw_request_has_query(const struct gw_request *req, const char *name)
{
	return query_find(req, name) != NULL;
}

const char *gw_request_query_raw(const struct gw_request *req, const char *name)
{
	const struct gw_query_arg *a = query_find(req, name);
	if (a == NULL)
		return NULL;
	return a->value_raw ? a->value_raw : "";
}

char *gw_request_query_decoded(const struct gw_request *req, const char *name)
{
	const char *raw = gw_request_query_raw(req, name);
	if (raw == NULL)
		return NULL;
	size_t len = strlen(raw);
	char *plus = strdup(raw);
	char *out = malloc(len + 1);
	if (plus == NULL || out == NULL) {
		free(plus);
		free(out);
		return NULL;
	}
	for (char *p = plus; *p; p++)
		if (*p == '+')
			*p = ' ';
	long n = s3_percent_decode(out, len + 1, plus, len);
	free(plus);
	if (n < 0) {
		free(out);
		return NULL;
	}
	return out;
}

static void request_free(struct gw_request *req)
{
	if (req == NULL)
		return;
	if (req->handler_free != NULL)
		req->handler_free(req->handler_state);
	gw_body_free(req->body);
	gw_response_clear(&req->response);
	for (size_t i = 0; i < req->query_count; i++) {
		free(req->query[i].name);
		free(req->query[i].value_raw);
	}
	free(req->query);
	free(req->small_body);
	free(req->raw_target);
	free(req);
}

/* Splits the raw query string into names (decoded) and raw values. */
static enum s3_error parse_query(struct gw_request *req, const char *q)
{
	size_t len = strlen(q);
	if (len == 0)
		return S3_OK;
	req->query = calloc(GW_QUERY_ARGS_MAX, sizeof *req->query);
	if (req->query == NULL)
		return S3_INTERNAL_ERROR;
	const char *p = q, *end = q + len;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		if (stop > p) {
			if (req->query_count == GW_QUERY_ARGS_MAX)
				return S3_INVALID_ARGUMENT;
			const char *eq = memchr(p, '=', (size_t)(stop - p));
			const char *name_end = eq ? eq : stop;
			size_t nlen = (size_t)(name_end - p);
			struct gw_query_arg *a = &req->query[req->query_count];
			a->name = malloc(nlen + 1);
			if (a->name == NULL)
				return S3_INTERNAL_ERROR;
			if (s3_percent_decode(a->name, nlen + 1, p, nlen) < 0) {
				free(a->name);
				a->name = NULL;
				return S3_INVALID_ARGUMENT;
			}
			if (eq != NULL) {
				a->value_raw = strndup(eq + 1, (size_t)(stop - eq - 1));
				if (a->value_raw == NULL) {
					free(a->name);
					a->name = NULL;
					return S3_INTERNAL_ERROR;
				}
			}
			req->query_count++;
		}
		p = stop + 1;
	}
	return S3_OK;
}

static enum s3_error route_request(struct gw_request *req)
{
	const char *qmark = strchr(req->raw_target, '?');
	req->raw_path_len = qmark ? (size_t)(qmark - req->raw_target) : strlen(req->raw_target);
	enum s3_error e = s3_route_split_path(req->raw_target, req->raw_path_len, req->bucket,
					      sizeof req->bucket, req->key, sizeof req->key,
					      &req->key_len);
	if (e != S3_OK)
		return e;
	if (qmark != NULL && (e = parse_query(req, qmark + 1)) != S3_OK)
		return e;
	if (strcmp(req->bucket, GW_ADMIN_BUCKET) == 0) {
		/* No S3 bucket is named so (names cannot start with '_'). */
		req->op = S3_OP_ADMIN;
		return S3_OK;
	}
	const char *names[GW_QUERY_ARGS_MAX];
	for (size_t i = 0; i < req->query_count; i++)
		names[i] = req->query[i].name;
	struct s3_route_request rr = {
		.method = req->method,
		.has_bucket = req->bucket[0] != '\0',
		.has_key = req->key_len > 0,
		.has_copy_source = gw_request_header(req, "x-amz-copy-source") != NULL,
		.query_names = names,
		.query_count = req->query_count,
		.list_type = gw_request_query_raw(req, "list-type"),
	};
	return s3_route_resolve(&rr, &req->op);
}

/* ---- rendering -------------------------------------------------------- */

static long reader_adapter_read(struct gw_request *req, uint64_t pos, char *buf, size_t max)
{
	long n = req->response.reader(req->response.reader_ctx, pos, buf, max);
	if (n > 0)
		req->bytes_sent += (uint64_t)n;
	return n;
}

static ssize_t mhd_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct gw_request *req = cls;
	long n = reader_adapter_read(req, pos, buf, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0) {
		gw_log(GW_LOG_WARN, "req=%s response body failed at byte %" PRIu64
		       "; closing the connection", req->id, pos);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	return (ssize_t)n;
}

/* Fills req->response with the S3 error document for e. */
static void render_error(struct gw_request *req, enum s3_error e)
{
	gw_response_clear(&req->response);
	req->error = e;
	req->response.status = s3_error_status(e);
	if (e == S3_NOT_MODIFIED)
		return; /* 304 carries no body */
	char resource[GW_KEY_BYTES_MAX + GW_BUCKET_NAME_MAX + 8];
	snprintf(resource, sizeof resource, "/%s%s%s", req->bucket, req->key_len ? "/" : "",
		 req->key);
	struct s3xml_error_field extra = {req->error_field, req->error_field_value};
	struct s3xml_error doc = {
		.code = s3_error_code(e),
		.message = req->error_message ? req->error_message : s3_error_message(e),
		.resource = req->bucket[0] ? resource : "/",
		.request_id = req->id,
		.extra = req->error_field ? &extra : NULL,
		.extra_count = req->error_field ? 1 : 0,
	};
	char *body = NULL;
	size_t len = 0;
	if (s3xml_encode_error(&doc, &body, &len) == 0) {
		gw_response_set_body(&req->response, body, len);
		gw_response_add_header(&req->response, "Content-Type", "application/xml");
	}
}

static enum MHD_Result respond(struct gw_request *req)
{
	ASSERT(!req->responded);
	req->responded = true;
	struct gw_response *r = &req->response;
	if (r->status == 0)
		render_error(req, S3_INTERNAL_ERROR);
	struct MHD_Response *resp;
	if (r->reader != NULL) {
		/*
		 * libmicrohttpd 0.9.75 callocs the block with each response, so
		 * a 256 KiB block costs a 256 KiB memset per GET or HEAD: a body
		 * smaller than a block gets a block of its own size (bench/
		 * s3bench: 4 KiB GETs 1.6-2x faster on 16 connections).
		 */
		size_t block = r->body_len < GW_STREAM_BLOCK_BYTES ? (size_t)r->body_len
								   : GW_STREAM_BLOCK_BYTES;
		resp = MHD_create_response_from_callback(r->body_len, block > 0 ? block : 1,
							 mhd_reader, req, NULL);
	} else {
		resp = MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp != NULL) {
			req->bytes_sent = strcmp(req->method, "HEAD") == 0 ? 0 : r->body_len;
			r->body = NULL; /* MHD owns it now */
		}
	}
	if (resp == NULL)
		return MHD_NO;
	for (size_t i = 0; i < r->header_count; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	MHD_add_response_header(resp, "x-amz-request-id", req->id);
	MHD_add_response_header(resp, "x-amz-id-2", req->id);
	MHD_add_response_header(resp, "Server", "VeriStore");
	enum MHD_Result rc = MHD_queue_response(req->conn, r->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result respond_error(struct gw_request *req, enum s3_error e)
{
	render_error(req, e);
	return respond(req);
}

/* ---- the access handler ----------------------------------------------- */

/* Where decoded body bytes go: the handler's stream, or the small buffer. */
static enum s3_error body_sink(struct gw_request *req, const char *data, size_t len)
{
	const struct gw_handler *h = gw_handler_for(req->op);
	if (h->streams_body)
		return h->body(req, data, len);
	if (h->small_body_max == 0)
		return S3_OK; /* a body S3 ignores for this operation */
	if (req->small_body_len + len > h->small_body_max)
		return S3_MAX_MESSAGE_LENGTH_EXCEEDED;
	if (req->small_body_len + len + 1 > req->small_body_cap) {
		size_t cap = req->small_body_cap ? req->small_body_cap : 4096;
		while (cap < req->small_body_len + len + 1)
			cap *= 2;
		char *b = realloc(req->small_body, cap);
		if (b == NULL)
			return S3_INTERNAL_ERROR;
		req->small_body = b;
		req->small_body_cap = cap;
	}
	memcpy(req->small_body + req->small_body_len, data, len);
	req->small_body_len += len;
	req->small_body[req->small_body_len] = '\0';
	return S3_OK;
}

/*
 * Headers are in: route, authenticate (before anything else is revealed,
 * as S3 does: an anonymous request learns nothing, not even that an
 * operation is unimplemented), set up the body pipeline, begin.
 */
static enum s3_error request_start(struct gw_request *req)
{
	enum s3_error e = route_request(req);
	if (e != S3_OK && e != S3_METHOD_NOT_ALLOWED)
		return e;
	enum s3_error auth = gw_auth_verify(req);
	if (auth != S3_OK)
		return auth;
	if (e != S3_OK)
		return e;
	const struct gw_handler *h = gw_handler_for(req->op);
	if (h == NULL || req->op == S3_OP_NOT_IMPLEMENTED)
		return S3_NOT_IMPLEMENTED;
	gw_handler_request_begin(req);
	e = gw_body_begin(req, body_sink, h->body_checksums);
	if (e != S3_OK)
		return e;
	return h->begin ? h->begin(req) : S3_OK;
}

static enum s3_error request_finish(struct gw_request *req)
{
	enum s3_error e = gw_body_finish(req);
	if (e != S3_OK)
		return e;
	const struct gw_handler *h = gw_handler_for(req->op);
	return h->finish ? h->finish(req) : S3_NOT_IMPLEMENTED;
}

static bool request_has_body(const struct gw_request *req)
{
	const char *cl = gw_request_header(req, "content-length");
	if (cl != NULL)
		return strcmp(cl, "0") != 0;
	return gw_request_header(req, "transfer-encoding") != NULL;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version,
				 const char *upload_data, size_t *upload_data_size,
				 void **req_cls)
{
	(void)cls;
	(void)url;
	(void)version;
	struct gw_request *req = *req_cls;
	if (req == NULL)
		return MHD_NO; /* uri_log_cb could not allocate */
	if (!req->started) {
		req->started = true;
		req->conn = conn;
		req->method = method;
		enum s3_error e = request_start(req);
		if (e == S3_OK)
			return MHD_YES;
		/*
		 * A response queued now, before the body, makes libmicrohttpd
		 * close the connection, which is right when a body is coming (do
		 * not read gigabytes only to refuse them) but needlessly costs a
		 * bodiless request its keep-alive: answer that one at the end.
		 */
		if (!request_has_body(req)) {
			req->pending_error = e;
			return MHD_YES;
		}
		return respond_error(req, e);
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->responded)
			return MHD_YES; /* an error is on its way; drop the rest */
		if (req->pending_error != S3_OK) {
			req->drained_bytes += n;
			if (req->drained_bytes <= GW_ERROR_DRAIN_BYTES_MAX)
				return MHD_YES;
			return respond_error(req, req->pending_error);
		}
		req->body_bytes += n;
		enum s3_error e = gw_body_feed(req, upload_data, n);
		if (e != S3_OK)
			req->pending_error = e; /* answered when the body ends */
		return MHD_YES;
	}
	if (req->responded)
		return MHD_YES;
	if (req->pending_error != S3_OK)
		return respond_error(req, req->pending_error);
	enum s3_error e = request_finish(req);
	if (e != S3_OK)
		return respond_error(req, e);
	return respond(req);
}

/* ---- creation and completion ------------------------------------------- */

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct gw_server *s = cls;
	struct gw_request *req = calloc(1, sizeof *req);
	if (req == NULL)
		return NULL;
	req->raw_target = strdup(uri);
	if (req->raw_target == NULL) {
		free(req);
		return NULL;
	}
	req->server = s;
	req->conn = conn;
	req->start_ns = now_ns();
	uint32_t n = atomic_fetch_add(&s->next_id, 1);
	snprintf(req->id, sizeof req->id, "%08" PRIX32 "%08" PRIX32, s->id_prefix, n);
	atomic_fetch_add(&s->in_flight, 1);
	return req;
}

static void log_request(const struct gw_request *req, enum MHD_RequestTerminationCode toe)
{
	char path[512];
	gw_log_escape(path, sizeof path, req->raw_target ? req->raw_target : "",
		      req->raw_path_len ? req->raw_path_len : 0);
	double ms = (double)(now_ns() - req->start_ns) / 1e6;
	gw_log(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? GW_LOG_INFO : GW_LOG_WARN,
	       "req=%s %s %s %s %u in=%" PRIu64 "B out=%" PRIu64 "B %.1fms%s%s",
	       req->id, req->method ? req->method : "-", path, s3_op_name(req->op),
	       req->response.status, req->body_bytes, req->bytes_sent, ms,
	       req->error != S3_OK ? " error=" : "",
	       req->error != S3_OK ? s3_error_code(req->error) : "");
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct gw_server *s = cls;
	struct gw_request *req = *req_cls;
	if (req == NULL)
		return;
	log_request(req, toe);
	request_free(req);
	*req_cls = NULL;
	atomic_fetch_sub(&s->in_flight, 1);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	gw_log(GW_LOG_DEBUG, "http: %s", msg);
}

static int resolve_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
	char host[256];
	uint16_t port;
	if (gw_config_listen_parse(listen, host, sizeof host, &port) != 0)
		return -EINVAL;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", port);
	int rc = getaddrinfo(host, portstr, &hints, &ai);
	if (rc != 0 || ai == NULL) {
		gw_log(GW_LOG_ERROR, "cannot resolve listen address %s: %s", listen,
		       gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*v6 = ai->ai_family == AF_INET6;
	freeaddrinfo(ai);
	return 0;
}

int gw_server_start(const struct gw_config *cfg, void *app, struct gw_server **out)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	int rc = resolve_listen(cfg->listen, &ss, &v6);
	if (rc != 0)
		return rc;
	struct gw_server *s = calloc(1, sizeof *s);
	if (s == NULL)
		return -ENOMEM;
	s->cfg = cfg;
	s->app = app;
	if (getrandom(&s->id_prefix, sizeof s->id_prefix, 0) != sizeof s->id_prefix)
		s->id_prefix = (uint32_t)getpid();
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ITC | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	s->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, access_cb, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, s,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GW_CONNECTION_MEMORY_BYTES,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
		MHD_OPTION_END);
	if (s->daemon == NULL) {
		int err = errno ? errno : EADDRINUSE;
		gw_log(GW_LOG_ERROR, "cannot listen on %s: %s", cfg->listen, strerror(err));
		free(s);
		return -err;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon,
							       MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	*out = s;
	return 0;
}

uint16_t gw_server_port(const struct gw_server *s)
{
	return s->port;
}

void *gw_server_app(const struct gw_server *s)
{
	return s->app;
}

const struct gw_config *gw_server_config(const struct gw_server *s)
{
	return s->cfg;
}

unsigned gw_server_in_flight(const struct gw_server *s)
{
	return atomic_load(&((struct gw_server *)s)->in_flight);
}

bool gw_server_stop(struct gw_server *s, unsigned grace_s)
{
	if (s == NULL)
		return true;
	MHD_socket lfd = MHD_quiesce_daemon(s->daemon);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	/* Bounded wait: 10 ms polls for at most grace_s seconds. */
	uint64_t deadline = now_ns() + (uint64_t)grace_s * 1000000000u;
	bool idle = atomic_load(&s->in_flight) == 0;
	while (!idle && now_ns() < deadline) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
		idle = atomic_load(&s->in_flight) == 0;
	}
	if (!idle)
		gw_log(GW_LOG_WARN, "%u requests still running after %us; closing them",
		       atomic_load(&s->in_flight), grace_s);
	MHD_stop_daemon(s->daemon);
	free(s);
	return idle;
}
