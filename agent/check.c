/*
 * check.c - the results every check appends to (agent/check.h).
 *
 * This is the checks branch's plain version of the helpers, to the
 * header's letter; the agent's core owns the file (and the registry,
 * check_kind_find) at merge.
 */
#include "agent/check.h"

const char *check_state_name(enum check_state s)
{
	static const char *const names[] = { "ok", "warning", "critical", "unknown" };
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

/* CRITICAL > WARNING > UNKNOWN > OK: an unknown is worse than all well. */
static int gravity(enum check_state s)
{
	switch (s) {
	case CHECK_OK:
		return 0;
	case CHECK_UNKNOWN:
		return 1;
	case CHECK_WARNING:
		return 2;
	case CHECK_CRITICAL:
		return 3;
	}
	return 1;
}

enum check_state check_state_worst(enum check_state a, enum check_state b)
{
	return gravity(a) >= gravity(b) ? a : b;
}

struct check_result *check_add(struct check_results *rs, const char *check, const char *code,
			       enum check_state state, const char *fmt, ...)
{
	char summary[513];
	va_list ap;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 8;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	struct check_result *r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", check);
	snprintf(r->code, sizeof(r->code), "%s", code);
	r->state = state;
	va_start(ap, fmt);
	utf8_vsnprintf(summary, sizeof(summary), fmt, ap);
	va_end(ap);
	r->summary = xstrdup(summary);
	return r;
}

void check_detail(struct check_result *r, const char *key, const char *fmt, ...)
{
	char value[257];
	va_list ap;

	va_start(ap, fmt);
	utf8_vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	r->details = xrealloc(r->details, (r->n_details + 1) * sizeof(*r->details));
	r->details[r->n_details].key = xstrdup(key);
	r->details[r->n_details].value = xstrdup(value);
	r->n_details++;
}

void check_perf_add(struct check_result *r, const struct check_perf *p)
{
	r->perf = xrealloc(r->perf, (r->n_perf + 1) * sizeof(*r->perf));
	r->perf[r->n_perf++] = *p;
}

void check_results_release(struct check_results *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct check_result *r = &rs->v[i];
		free(r->summary);
		for (size_t j = 0; j < r->n_details; j++) {
			free(r->details[j].key);
			free(r->details[j].value);
		}
		free(r->details);
		free(r->perf);
	}
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}
