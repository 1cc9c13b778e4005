/*
 * check_engine_proof.c — the engine's proof suites: the model test, the
 * crash-at-every-step test and the named fault tests, all over fault_io,
 * plus their shared helpers (engine_proof.h).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "engine/assert.h"
#include "tests/engine_proof.h"
#include "tests/testutil.h"

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

void proof_log_fn(void *ctx, enum kv_log_level level, const char *msg)
{
	struct proof_log *l = ctx;
	if (l == NULL)
		return;
	pthread_mutex_lock(&log_mu);
	snprintf(l->lines[l->next % 16], sizeof l->lines[0], "%s", msg);
	l->next++;
	pthread_mutex_unlock(&log_mu);
	if (level >= KV_LOG_WARN && test_env_u64("PROOF_VERBOSE", 0))
		fprintf(stderr, "engine: %s\n", msg);
}

bool proof_log_has(struct proof_log *l, const char *needle)
{
	bool hit = false;
	pthread_mutex_lock(&log_mu);
	for (unsigned i = 0; i < 16 && i < l->next; i++)
		if (strstr(l->lines[i], needle) != NULL)
			hit = true;
	pthread_mutex_unlock(&log_mu);
	return hit;
}

void proof_log_dump(struct proof_log *l, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	pthread_mutex_lock(&log_mu);
	unsigned first = l->next > 16 ? l->next - 16 : 0;
	for (unsigned i = first; i < l->next && o + 1 < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i > first ? " | " : "",
				      l->lines[i % 16]);
	pthread_mutex_unlock(&log_mu);
}

void proof_options(struct kv_options *o, struct fault_io *f, struct proof_log *log,
		   enum kv_sync_mode mode)
{
	kv_options_init(o);
	o->sync_mode = mode;
	o->segment_bytes = 4096;
	o->background_compaction = false;
	o->io = fault_io_table(f);
	o->log_fn = proof_log_fn;
	o->log_ctx = log;
}

struct fault_io *proof_disk_new(uint64_t seed)
{
	struct fault_io *f = fault_io_new(seed);
	ASSERT(fault_io_mkdirs(f, PROOF_DIR) == 0);
	return f;
}

int main(void)
{
	Suite *suites[] = {
		fault_io_suite(),
		engine_faults_suite(),
		engine_model_suite(),
		engine_crash_suite(),
	};
	return test_run_suites(suites, (int)(sizeof suites / sizeof suites[0]));
}
