/*
 * linearizability.c — Wing & Gong / Lowe search over per-key sub-histories,
 * with a cache of (linearized set, state) pairs.  See linearizability.h.
 *
 * The search (Lowe 2017, §3; the same shape as Porcupine's checkSingle):
 * invocation and response events of one key are kept in a doubly linked list
 * in time order.  Walking it from the head, an invocation whose operation is
 * legal in the current state is "lifted" (its invocation and response leave
 * the list), pushed on a stack, and the walk restarts from the head.  Meeting
 * a response event means the operation it belongs to would have to be
 * linearized before the ones still in the list but was not: backtrack, pop
 * the last lifted operation, put it back, and try the next candidate after
 * it.  An empty list means every operation found its place.  The cache skips
 * a lift that reaches a (set, state) pair already explored: the future from
 * there was explored and failed.
 */
#include "tests/linearizability.h"

#include "engine/assert.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define LIN_DEFAULT_BUDGET 50000000ull

/* One invocation or response event in the per-key list. */
struct lin_event {
	uint64_t time;
	uint32_t op;    /* index into the key's op array */
	uint32_t match; /* call: its response event; response: its call */
	uint32_t prev, next;
	bool is_call;
};

/* Visited (linearized bitset, state) pairs: open addressing over records. */
struct lin_cache {
	size_t words;   /* bitset words per record */
	uint64_t *recs; /* records of words + 1 (state) */
	size_t count, rec_cap;
	uint32_t *slots; /* record index + 1; 0 = empty */
	size_t slot_cap; /* power of two */
};

static uint64_t lin_hash(const uint64_t *w, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++) {
		h ^= w[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
		h *= 0xbf58476d1ce4e5b9ull;
	}
	return h ^ (h >> 31);
}

static int lin_cache_grow(struct lin_cache *c)
{
	size_t ncap = c->slot_cap ? c->slot_cap * 2 : 1024;
	uint32_t *ns = calloc(ncap, sizeof *ns);
	if (ns == NULL)
		return -ENOMEM;
	size_t rw = c->words + 1;
	for (size_t r = 0; r < c->count; r++) {
		size_t i = lin_hash(c->recs + r * rw, rw) & (ncap - 1);
		while (ns[i] != 0)
			i = (i + 1) & (ncap - 1);
		ns[i] = (uint32_t)(r + 1);
	}
	free(c->slots);
	c->slots = ns;
	c->slot_cap = ncap;
	return 0;
}

/*
 * Adds rec (words + 1 values) if absent.  Returns 1 if added, 0 if it was
 * already there, -ENOMEM.
 */
static int lin_cache_add(struct lin_cache *c, const uint64_t *rec)
{
	size_t rw = c->words + 1;
	if ((c->count + 1) * 2 > c->slot_cap) {
		int rc = lin_cache_grow(c);
		if (rc != 0)
			return rc;
	}
	size_t i = lin_hash(rec, rw) & (c->slot_cap - 1);
	while (c->slots[i] != 0) {
		const uint64_t *r = c->recs + (size_t)(c->slots[i] - 1) * rw;
		if (memcmp(r, rec, rw * sizeof *rec) == 0)
			return 0;
		i = (i + 1) & (c->slot_cap - 1);
	}
	if (c->count == c->rec_cap) {
		size_t ncap = c->rec_cap ? c->rec_cap * 2 : 256;
		uint64_t *nr = realloc(c->recs, ncap * rw * sizeof *nr);
		if (nr == NULL)
			return -ENOMEM;
		c->recs = nr;
		c->rec_cap = ncap;
	}
	ASSERT(c->count < UINT32_MAX);
	memcpy(c->recs + c->count * rw, rec, rw * sizeof *rec);
	c->slots[i] = (uint32_t)(++c->count);
	return 1;
}

/*
 * The sequential model of one key.  Returns whether op may take effect in
 * state, and the state after it in *next.
 */
static bool lin_model_step(const struct lin_op *op, uint64_t state,
			   uint64_t *next)
{
	bool unknown = op->ret == LIN_TIME_INF;
	switch (op->kind) {
	case LIN_PUT:
		*next = op->value;
		return true;
	case LIN_DELETE:
		*next = LIN_ABSENT;
		return true;
	case LIN_GET:
		*next = state;
		return unknown || state == op->value;
	case LIN_CAS:
		if (unknown) {
			*next = state == op->expect ? op->value : state;
			return true;
		}
		if (op->ok) {
			*next = op->value;
			return state == op->expect;
		}
		*next = state;
		return state != op->expect;
	}
	ASSERT(!"unknown op kind");
	return false;
}

static int lin_event_cmp(const void *a, const void *b)
{
	const struct lin_event *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	/* Equal times: invocations first, so the two count as concurrent. */
	if (x->is_call != y->is_call)
		return x->is_call ? -1 : 1;
	return x->op < y->op ? -1 : (x->op > y->op);
}

/*
 * Builds the event list for ops[0..m): events[0] is the head sentinel,
 * events[1..2m] the sorted events.  Caller frees.
 */
static struct lin_event *lin_events_build(const struct lin_op *const *ops,
					  uint32_t m)
{
	struct lin_event *ev = calloc(2 * (size_t)m + 1, sizeof *ev);
	if (ev == NULL)
		return NULL;
	for (uint32_t i = 0; i < m; i++) {
		ev[1 + 2 * i] = (struct lin_event){.time = ops[i]->call,
						   .op = i,
						   .is_call = true};
		ev[2 + 2 * i] = (struct lin_event){.time = ops[i]->ret,
						   .op = i,
						   .is_call = false};
	}
	qsort(ev + 1, 2 * (size_t)m, sizeof *ev, lin_event_cmp);
	uint32_t *call_at = calloc(m, sizeof *call_at);
	if (call_at == NULL) {
		free(ev);
		return NULL;
	}
	for (uint32_t i = 1; i <= 2 * m; i++)
		if (ev[i].is_call)
			call_at[ev[i].op] = i;
	for (uint32_t i = 1; i <= 2 * m; i++) {
		if (!ev[i].is_call) {
			uint32_t c = call_at[ev[i].op];
			ASSERT(c != 0 && c < i);
			ev[i].match = c;
			ev[c].match = i;
		}
	}
	free(call_at);
	for (uint32_t i = 0; i <= 2 * m; i++) {
		ev[i].prev = i == 0 ? 0 : i - 1;
		ev[i].next = i == 2 * m ? 0 : i + 1; /* 0 terminates */
	}
	return ev;
}

/* Removes a call event and its response from the list. */
static void lin_lift(struct lin_event *ev, uint32_t c)
{
	uint32_t r = ev[c].match;
	ev[ev[c].prev].next = ev[c].next;
	if (ev[c].next != 0)
		ev[ev[c].next].prev = ev[c].prev;
	ev[ev[r].prev].next = ev[r].next;
	if (ev[r].next != 0)
		ev[ev[r].next].prev = ev[r].prev;
}

/* Undoes lin_lift(ev, c): reinserts in the reverse order of removal. */
static void lin_unlift(struct lin_event *ev, uint32_t c)
{
	uint32_t r = ev[c].match;
	ev[ev[r].prev].next = r;
	if (ev[r].next != 0)
		ev[ev[r].next].prev = r;
	ev[ev[c].prev].next = c;
	if (ev[c].next != 0)
		ev[ev[c].next].prev = c;
}

struct lin_frame {
	uint32_t call;
	uint64_t state;
};

struct lin_search {
	const struct lin_op *const *ops;
	uint32_t m;
	struct lin_event *ev;
	struct lin_cache cache;
	uint64_t *rec; /* bitset words + state, the current position */
	struct lin_frame *stack;
	uint64_t *steps, budget;
};

static int lin_search_run(struct lin_search *s)
{
	struct lin_event *ev = s->ev;
	size_t words = s->cache.words, depth = 0;
	uint64_t state = LIN_ABSENT;
	uint32_t e = ev[0].next;
	while (ev[0].next != 0) {
		if (++*s->steps > s->budget)
			return LIN_UNDECIDED;
		if (e == 0)
			return LIN_VIOLATION; /* unreachable: a response ends */
		if (ev[e].is_call) {
			uint32_t op = ev[e].op;
			uint64_t next;
			if (lin_model_step(s->ops[op], state, &next)) {
				s->rec[op / 64] |= 1ull << (op % 64);
				s->rec[words] = next;
				int added = lin_cache_add(&s->cache, s->rec);
				if (added < 0)
					return added;
				if (added) {
					ASSERT(depth < s->m);
					s->stack[depth++] = (struct lin_frame){
						.call = e, .state = state};
					state = next;
					lin_lift(ev, e);
					e = ev[0].next;
					continue;
				}
				s->rec[op / 64] &= ~(1ull << (op % 64));
			}
			e = ev[e].next;
			continue;
		}
		/* A response: its operation had to come before now. */
		if (depth == 0)
			return LIN_VIOLATION;
		struct lin_frame f = s->stack[--depth];
		state = f.state;
		uint32_t op = ev[f.call].op;
		s->rec[op / 64] &= ~(1ull << (op % 64));
		lin_unlift(ev, f.call);
		e = ev[f.call].next;
	}
	return LIN_OK;
}

/* Checks one key's operations.  Returns a lin_result or -ENOMEM. */
static int lin_check_key(const struct lin_op *const *ops, uint32_t m,
			 uint64_t *steps, uint64_t budget)
{
	struct lin_search s = {.ops = ops, .m = m, .steps = steps,
			       .budget = budget};
	s.cache.words = (m + 63) / 64;
	s.ev = lin_events_build(ops, m);
	s.rec = calloc(s.cache.words + 1, sizeof *s.rec);
	s.stack = calloc(m, sizeof *s.stack);
	int rc = -ENOMEM;
	if (s.ev != NULL && s.rec != NULL && s.stack != NULL)
		rc = lin_search_run(&s);
	free(s.ev);
	free(s.rec);
	free(s.stack);
	free(s.cache.recs);
	free(s.cache.slots);
	return rc;
}

static int lin_op_ptr_cmp(const void *a, const void *b)
{
	const struct lin_op *x = *(const struct lin_op *const *)a;
	const struct lin_op *y = *(const struct lin_op *const *)b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->call != y->call)
		return x->call < y->call ? -1 : 1;
	return x < y ? -1 : (x > y);
}

static bool lin_op_valid(const struct lin_op *op)
{
	if (op->ret <= op->call || op->call == LIN_TIME_INF)
		return false;
	return op->kind == LIN_PUT || op->kind == LIN_GET ||
	       op->kind == LIN_DELETE || op->kind == LIN_CAS;
}

int lin_check(const struct lin_op *ops, size_t n, uint64_t step_budget,
	      struct lin_report *report)
{
	struct lin_report rep = {0};
	uint64_t budget = step_budget ? step_budget : LIN_DEFAULT_BUDGET;
	const struct lin_op **v = calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return -ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!lin_op_valid(&ops[i])) {
			free(v);
			return -EINVAL;
		}
		/* An unanswered read has no effect and observed nothing. */
		if (ops[i].kind == LIN_GET && ops[i].ret == LIN_TIME_INF)
			continue;
		v[m++] = &ops[i];
	}
	qsort(v, m, sizeof *v, lin_op_ptr_cmp);
	int rc = LIN_OK;
	for (size_t i = 0; i < m && rc == LIN_OK;) {
		size_t j = i;
		while (j < m && v[j]->key == v[i]->key)
			j++;
		rep.keys++;
		if (j - i > rep.largest_key)
			rep.largest_key = j - i;
		if (j - i > UINT32_MAX / 4) {
			rc = -EINVAL;
			break;
		}
		rc = lin_check_key(v + i, (uint32_t)(j - i), &rep.steps,
				   budget);
		if (rc != LIN_OK)
			rep.bad_key = v[i]->key;
		i = j;
	}
	free(v);
	if (report != NULL)
		*report = rep;
	return rc;
}

const char *lin_result_name(int result)
{
	switch (result) {
	case LIN_OK:
		return "linearizable";
	case LIN_VIOLATION:
		return "NOT linearizable";
	case LIN_UNDECIDED:
		return "UNDECIDED (search budget exhausted)";
	case -ENOMEM:
		return "out of memory";
	case -EINVAL:
		return "malformed history";
	}
	return "unknown result";
}

static void lin_print_op(FILE *out, const struct lin_op *op)
{
	static const char *const names[] = {"put", "get", "del", "cas"};
	fprintf(out, "  c%-3" PRIu32 " [%" PRIu64 ", ", op->client, op->call);
	if (op->ret == LIN_TIME_INF)
		fprintf(out, "inf)");
	else
		fprintf(out, "%" PRIu64 "]", op->ret);
	fprintf(out, " %s k%" PRIu64, names[op->kind], op->key);
	switch (op->kind) {
	case LIN_PUT:
		fprintf(out, " := %" PRIx64, op->value);
		break;
	case LIN_GET:
		fprintf(out, " -> %" PRIx64, op->value);
		break;
	case LIN_DELETE:
		break;
	case LIN_CAS:
		fprintf(out, " %" PRIx64 " -> %" PRIx64 " : %s", op->expect,
			op->value,
			op->ret == LIN_TIME_INF ? "?" : op->ok ? "ok" : "fail");
		break;
	}
	fputc('\n', out);
}

void lin_print_key(FILE *out, const struct lin_op *ops, size_t n,
		   uint64_t key)
{
	const struct lin_op **v = calloc(n ? n : 1, sizeof *v);
	if (v == NULL)
		return;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (ops[i].key == key)
			v[m++] = &ops[i];
	qsort(v, m, sizeof *v, lin_op_ptr_cmp);
	fprintf(out, "history of key %" PRIu64 " (%zu ops):\n", key, m);
	for (size_t i = 0; i < m; i++)
		lin_print_op(out, v[i]);
	free(v);
}
