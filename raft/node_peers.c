/*
 * node_peers.c — the address book: the Raft address of every member.
 *
 * Where addresses live, so they survive restarts and reach every node:
 *   - DIR/PEERS, lines "id=host:port", replaced atomically (write a temp
 *     file, fsync, rename, fsync the directory);
 *   - a new cluster starts from opts.peers (written to DIR/PEERS at once);
 *   - raft_node_add_learner first commits an address record (an entry
 *     with header version NODE_HDR_ADDR: u64 id, then the address bytes)
 *     that every node applies to its book, then the conf change;
 *   - each snapshot directory holds a copy of the book (file raft-peers,
 *     same format), so a node that catches up by snapshot learns the
 *     addresses of members added before it.
 * A removed member's address is dropped when the REMOVE is applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/assert.h"
#include "engine/bytes.h"
#include "raft/node_int.h"

#define PEERS_FILE "PEERS"

const char *node_addrs_get(struct raft_node *n, uint64_t id)
{
	for (size_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i].id == id)
			return n->addrs[i].addr;
	return NULL;
}

/* Sets id's address in the book and on the network (not for self). */
int node_addrs_set(struct raft_node *n, uint64_t id, const char *addr)
{
	if (id == RAFT_NONE || strlen(addr) >= sizeof n->addrs[0].addr)
		return RAFT_ERR_INVALID;
	size_t i = 0;
	while (i < n->n_addrs && n->addrs[i].id != id)
		i++;
	if (i == n->n_addrs) {
		if (n->n_addrs == sizeof n->addrs / sizeof n->addrs[0])
			return RAFT_ERR_BUSY;
		n->n_addrs++;
	}
	n->addrs[i].id = id;
	snprintf(n->addrs[i].addr, sizeof n->addrs[i].addr, "%s", addr);
	if (id != n->opts.id && addr[0])
		return n->net->set_peer(n->net->ctx, id, addr);
	return 0;
}

void node_addrs_remove(struct raft_node *n, uint64_t id)
{
	for (size_t i = 0; i < n->n_addrs; i++) {
		if (n->addrs[i].id == id) {
			n->addrs[i] = n->addrs[--n->n_addrs];
			break;
		}
	}
	if (id != n->opts.id)
		(void)n->net->remove_peer(n->net->ctx, id);
}

/* Writes the book to path (temp file, fsync, rename, dir fsync). */
static int write_book(struct raft_node *n, const char *dir, const char *name)
{
	char tmp[4096], path[4096];
	snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -errno;
	for (size_t i = 0; i < n->n_addrs; i++)
		fprintf(f, "%llu=%s\n", (unsigned long long)n->addrs[i].id,
			n->addrs[i].addr);
	int rc = 0;
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);
		if (dfd < 0)
			return -errno;
		if (fsync(dfd) != 0)
			rc = -errno;
		close(dfd);
	}
	return rc;
}

int node_addrs_save(struct raft_node *n)
{
	return write_book(n, n->dir, PEERS_FILE);
}

int node_addrs_save_to(struct raft_node *n, const char *dir)
{
	return write_book(n, dir, NODE_SNAP_PEERS);
}

/* Reads "id=addr" lines from path into the book.  -ENOENT if missing. */
int node_addrs_read(struct raft_node *n, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char line[256];
	int rc = 0;
	/* Bounded by the file; a book holds at most its array's size. */
	while (rc == 0 && fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '=');
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (!eq) {
			rc = RAFT_ERR_CORRUPT;
			break;
		}
		*eq = 0;
		char *end;
		unsigned long long id = strtoull(line, &end, 10);
		if (*end || id == 0)
			rc = RAFT_ERR_CORRUPT;
		else
			rc = node_addrs_set(n, id, eq + 1);
	}
	fclose(f);
	if (rc != 0)
		node_logf(n, 3, "%s: bad address book", path);
	return rc;
}

/* At start: DIR/PEERS, or opts.peers for a node without one. */
int node_addrs_load(struct raft_node *n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", n->dir, PEERS_FILE);
	int rc = node_addrs_read(n, path);
	if (rc != -ENOENT)
		return rc;
	for (size_t i = 0; i < n->opts.n_peers; i++) {
		rc = node_addrs_set(n, n->opts.peers[i].id,
				    n->opts.peers[i].addr);
		if (rc != 0)
			return rc;
	}
	return node_addrs_save(n);
}

/* Applies a committed address record (u64 id little-endian, address). */
void node_addrs_apply(struct raft_node *n, const uint8_t *data, size_t len)
{
	if (len < 9 || len - 8 >= sizeof n->addrs[0].addr)
		return;
	uint64_t id = kv_get_u64(data);
	char addr[sizeof n->addrs[0].addr];
	memcpy(addr, data + 8, len - 8);
	addr[len - 8] = 0;
	if (node_addrs_set(n, id, addr) == 0 && node_addrs_save(n) == 0)
		node_logf(n, 1, "address of node %llu is %s",
			  (unsigned long long)id, addr);
}
