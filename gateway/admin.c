/*
 * admin.c — the /_veristore/ admin API (admin.h): cluster status and
 * membership over the node driver (raft/node.h), and the transport's test
 * fault switch.
 */
#include "gateway/admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/app.h"
#include "gateway/cluster.h"
#include "gateway/http_util.h"

/* A learner counts as caught up for promotion this close to the commit. */
#define PROMOTE_LAG_MAX 16
/* How long add&promote=1 waits for the learner to catch up. */
#define PROMOTE_WAIT_MS 120000
#define PROMOTE_POLL_MS 50

static const char *role_word(enum raft_role r)
{
	switch (r) {
	case RAFT_LEADER: return "leader";
	case RAFT_CANDIDATE: return "candidate";
	case RAFT_PRE_CANDIDATE: return "precandidate";
	default: return "follower";
	}
}

/* A JSON string: quote, backslash and control bytes escaped. */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

int gw_admin_status_json(const struct raft_node_status *st, char **out,
			 size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return -ENOMEM;
	fprintf(f, "{\"id\":%llu,\"role\":\"%s\",\"leader\":%llu,\"term\":%llu,"
		   "\"commit\":%llu,\"applied\":%llu,\"first_index\":%llu,"
		   "\"last_index\":%llu,\"snapshot_index\":%llu,\"members\":[",
		(unsigned long long)st->id, role_word(st->role),
		(unsigned long long)st->leader, (unsigned long long)st->term,
		(unsigned long long)st->commit, (unsigned long long)st->applied,
		(unsigned long long)st->first_index,
		(unsigned long long)st->last_index,
		(unsigned long long)st->snapshot_index);
	for (size_t i = 0; i < st->n_members && i < RAFT_NODES_MAX; i++) {
		const struct raft_node_member *m = &st->members[i];
		fprintf(f, "%s{\"id\":%llu,\"addr\":", i ? "," : "",
			(unsigned long long)m->id);
		json_str(f, m->addr);
		fprintf(f, ",\"learner\":%s,\"connected\":%s,\"match\":%llu,"
			   "\"lag\":%llu,\"healthy\":%s}",
			m->learner ? "true" : "false",
			m->connected ? "true" : "false",
			(unsigned long long)m->match, (unsigned long long)m->lag,
			m->healthy ? "true" : "false");
	}
	fputs("]}", f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = n;
	return 0;
}

static enum s3_error reply_json(struct gw_request *req, unsigned status,
				char *body, size_t len)
{
	req->response.status = status;
	gw_response_set_body(&req->response, body, len);
	return gw_response_set_header(&req->response, "Content-Type",
				      "application/json") == 0
		       ? S3_OK
		       : S3_INTERNAL_ERROR;
}

static enum s3_error reply_text(struct gw_request *req, unsigned status,
				const char *error, uint64_t leader)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return S3_INTERNAL_ERROR;
	if (error == NULL) {
		fputs("{\"ok\":true}", f);
	} else {
		fputs("{\"error\":", f);
		json_str(f, error);
		fprintf(f, ",\"leader\":%llu}", (unsigned long long)leader);
	}
	if (fclose(f) != 0) {
		free(buf);
		return S3_INTERNAL_ERROR;
	}
	return reply_json(req, status, buf, n);
}

static enum s3_error reply_status(struct gw_request *req, struct raft_node *node)
{
	struct raft_node_status *st = malloc(sizeof *st);
	if (st == NULL)
		return S3_INTERNAL_ERROR;
	raft_node_status(node, st);
	char *body = NULL;
	size_t len = 0;
	int rc = gw_admin_status_json(st, &body, &len);
	free(st);
	return rc == 0 ? reply_json(req, 200, body, len) : S3_INTERNAL_ERROR;
}

/* The answer to a membership call's result (see admin.h). */
static enum s3_error reply_result(struct gw_request *req, struct raft_node *node,
				  int rc)
{
	if (rc == 0)
		return reply_text(req, 200, NULL, 0);
	struct raft_node_status st;
	raft_node_status(node, &st);
	unsigned status = 500;
	switch (rc) {
	case RAFT_ERR_NOT_LEADER:
	case RAFT_ERR_NO_LEADER:
		status = 421;
		break;
	case RAFT_ERR_PENDING_CONF:
	case RAFT_ERR_TRANSFERRING:
		status = 409;
		break;
	case RAFT_ERR_INVALID:
	case -EINVAL:
		status = 400;
		break;
	case RAFT_NODE_EINDETERMINATE:
	case RAFT_NODE_EUNAVAILABLE:
	case RAFT_NODE_ESTOPPED:
	case RAFT_ERR_BUSY:
		status = 503;
		break;
	}
	return reply_text(req, status, raft_node_strerror(rc), st.leader);
}

/* A decimal u64 query parameter >= 1; false if absent or malformed. */
static bool query_id(const struct gw_request *req, const char *name,
		     uint64_t *out)
{
	const char *v = gw_request_query_raw(req, name);
	if (v == NULL || *v < '0' || *v > '9')
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x == 0)
		return false;
	*out = x;
	return true;
}

/* Waits (bounded) until learner id is within PROMOTE_LAG_MAX of the
 * commit and heard from. */
static bool wait_caught_up(struct raft_node *node, uint64_t id)
{
	struct raft_node_status *st = malloc(sizeof *st);
	if (st == NULL)
		return false;
	bool ok = false;
	for (int waited = 0; !ok && waited < PROMOTE_WAIT_MS;
	     waited += PROMOTE_POLL_MS) {
		raft_node_status(node, st);
		for (size_t i = 0; i < st->n_members; i++)
			if (st->members[i].id == id && st->members[i].healthy &&
			    st->members[i].lag <= PROMOTE_LAG_MAX &&
			    st->members[i].match > 0)
				ok = true;
		if (!ok) {
			struct timespec ts = {0, PROMOTE_POLL_MS * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	free(st);
	return ok;
}

static enum s3_error cluster_change(struct gw_request *req,
				    struct raft_node *node, const char *what)
{
	uint64_t id = 0;
	if (!query_id(req, "id", &id))
		return reply_text(req, 400, "want id=N (N >= 1)", 0);
	int rc;
	if (strcmp(what, "add") == 0) {
		char *addr = gw_request_query_decoded(req, "addr");
		if (addr == NULL || addr[0] == '\0') {
			free(addr);
			return reply_text(req, 400, "want addr=HOST:PORT", 0);
		}
		rc = raft_node_add_learner(node, id, addr);
		free(addr);
		const char *p = gw_request_query_raw(req, "promote");
		if (rc == 0 && p != NULL && strcmp(p, "1") == 0) {
			if (!wait_caught_up(node, id))
				return reply_text(req, 503, "added as a learner; it did "
					"not catch up in time, so it was not promoted", 0);
			rc = raft_node_promote(node, id);
		}
	} else if (strcmp(what, "promote") == 0) {
		rc = raft_node_promote(node, id);
	} else if (strcmp(what, "remove") == 0) {
		rc = raft_node_remove(node, id);
	} else if (strcmp(what, "transfer") == 0) {
		rc = raft_node_transfer_leader(node, id);
	} else {
		return reply_text(req, 404, "no such admin operation", 0);
	}
	return reply_result(req, node, rc);
}

static enum s3_error faults(struct gw_request *req, struct gw_cluster *c)
{
	if (!gw_cluster_faults_allowed())
		return S3_ACCESS_DENIED;
	uint64_t peer = 0;
	const char *d = gw_request_query_raw(req, "drop");
	if (!query_id(req, "peer", &peer) || d == NULL)
		return reply_text(req, 400, "want peer=N&drop=none|out|in|both", 0);
	bool out = strcmp(d, "out") == 0 || strcmp(d, "both") == 0;
	bool in = strcmp(d, "in") == 0 || strcmp(d, "both") == 0;
	if (!out && !in && strcmp(d, "none") != 0)
		return reply_text(req, 400, "drop is none, out, in or both", 0);
	int rc = gw_cluster_set_fault(c, peer, out, in);
	if (rc == 0)
		return reply_text(req, 200, NULL, 0);
	return reply_text(req, rc == -ENOENT ? 404 : 500, strerror(-rc), 0);
}

static enum s3_error admin_finish(struct gw_request *req)
{
	struct gw_app *app = gw_app_of(req);
	struct raft_node *node = gw_cluster_node(app->cluster);
	bool get = strcmp(req->method, "GET") == 0;
	bool post = strcmp(req->method, "POST") == 0;
	if (strcmp(req->key, "cluster") == 0 && get)
		return reply_status(req, node);
	if (strncmp(req->key, "cluster/", 8) == 0 && post)
		return cluster_change(req, node, req->key + 8);
	if (strcmp(req->key, "faults") == 0 && post)
		return faults(req, app->cluster);
	return reply_text(req, 404, "no such admin resource (GET cluster; POST "
				    "cluster/add|remove|transfer, faults)", 0);
}

const struct gw_handler gw_handler_admin = {
	.finish = admin_finish,
};
