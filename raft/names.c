/*
 * names.c — names for the core's error codes, roles and message types,
 * configuration defaults, and the conf-change entry format.
 */
#include <errno.h>
#include <string.h>

#include "engine/assert.h"
#include "raft/raft.h"

const char *raft_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case RAFT_ERR_NOT_LEADER: return "not the leader";
	case RAFT_ERR_NO_LEADER: return "no known leader";
	case RAFT_ERR_PENDING_CONF: return "a configuration change is pending";
	case RAFT_ERR_TRANSFERRING: return "leadership transfer in progress";
	case RAFT_ERR_BUSY: return "queue full, retry later";
	case RAFT_ERR_INVALID: return "invalid argument";
	case RAFT_ERR_COMPACTED: return "index compacted";
	case RAFT_ERR_UNAVAILABLE: return "index unavailable";
	case RAFT_ERR_CORRUPT: return "corrupt or inconsistent data";
	case RAFT_ERR_TOO_BIG: return "entry too big";
	case RAFT_ERR_VERSION: return "unknown format version";
	default: break;
	}
	if (err < 0 && err > -4096)
		return strerror(-err);
	return "unknown error";
}

const char *raft_role_name(enum raft_role role)
{
	switch (role) {
	case RAFT_FOLLOWER: return "follower";
	case RAFT_PRE_CANDIDATE: return "pre-candidate";
	case RAFT_CANDIDATE: return "candidate";
	case RAFT_LEADER: return "leader";
	}
	return "?";
}

const char *raft_msg_type_name(int type)
{
	static const char *const names[RAFT_MSG_TYPE_MAX + 1] = {
		"?", "append", "append_resp", "vote", "vote_resp", "prevote",
		"prevote_resp", "heartbeat", "heartbeat_resp", "snapshot",
		"timeout_now", "read_index", "read_index_resp",
	};
	if (type < 1 || type > RAFT_MSG_TYPE_MAX)
		return "?";
	return names[type];
}

void raft_config_default(struct raft_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->election_tick = 10;
	cfg->heartbeat_tick = 1;
	cfg->max_msg_bytes = 1u << 20;
	cfg->max_inflight_msgs = 64;
	cfg->max_inflight_bytes = 32u << 20;
	cfg->max_entry_bytes = 64u << 20;
	cfg->max_committed_bytes = 64u << 20;
	cfg->pre_vote = true;
	cfg->check_quorum = true;
}

/* Conf change entry data: version 1, type, node id little-endian. */
#define CC_VERSION 1

void raft_conf_change_encode(const struct raft_conf_change *cc,
			     uint8_t out[RAFT_CONF_CHANGE_BYTES])
{
	ASSERT(cc->type >= RAFT_CC_ADD_LEARNER && cc->type <= RAFT_CC_REMOVE);
	out[0] = CC_VERSION;
	out[1] = cc->type;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(cc->node >> (8 * i));
}

int raft_conf_change_decode(const uint8_t *data, size_t len,
			    struct raft_conf_change *cc)
{
	if (data == NULL || len != RAFT_CONF_CHANGE_BYTES ||
	    data[0] != CC_VERSION || data[1] < RAFT_CC_ADD_LEARNER ||
	    data[1] > RAFT_CC_REMOVE)
		return RAFT_ERR_CORRUPT;
	uint64_t node = 0;
	for (int i = 0; i < 8; i++)
		node |= (uint64_t)data[2 + i] << (8 * i);
	if (node == RAFT_NONE)
		return RAFT_ERR_CORRUPT;
	cc->type = data[1];
	cc->node = node;
	return 0;
}
