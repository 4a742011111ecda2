/* What every check shares: results, their details and perfdata, the kinds. */
#include "agent/check.h"
#include "agent/checks.h"
#include "core/msg.h"

/* The most a summary holds, in bytes (doc/AGENT-API.md's message). */
#define SUMMARY_MAX 512

/*
 * Every kind of check, by the name its [check.NAME] section takes. One
 * table: a kind built on its own branch is added here when it is merged.
 */
extern const struct check_kind check_fn;
extern const struct check_kind check_clock;

static const struct check_kind *const kinds[] = {
	&check_fn,
	&check_clock,
	&check_utm,
	&check_tcp,
	&check_disk,
	&check_process,
	&check_log,
	&check_file_age,
	&check_plugin,
};

const struct check_kind *check_kind_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i]->name, name))
			return kinds[i];
	return NULL;
}

const struct check_kind *check_kind_at(size_t i)
{
	return i < ARRAY_SIZE(kinds) ? kinds[i] : NULL;
}

static const char *const state_names[] = {
	[CHECK_OK] = "ok",
	[CHECK_WARNING] = "warning",
	[CHECK_CRITICAL] = "critical",
	[CHECK_UNKNOWN] = "unknown",
};

const char *check_state_name(enum check_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "unknown";
}

int check_state_parse(enum check_state *out, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
		if (!strcmp(state_names[i], name)) {
			*out = (enum check_state)i;
			return 0;
		}
	return TD_EINVAL;
}

enum check_state check_state_worst(enum check_state a, enum check_state b)
{
	/* Gravity, not the enum's order: UNKNOWN ranks between WARNING and OK. */
	static const int rank[] = {
		[CHECK_OK] = 0, [CHECK_UNKNOWN] = 1, [CHECK_WARNING] = 2, [CHECK_CRITICAL] = 3,
	};
	return rank[a] >= rank[b] ? a : b;
}

/* A one-line summary: line breaks become spaces, cut on a character boundary. */
static char *summary_from(const char *fmt, va_list ap)
{
	char text[SUMMARY_MAX + 1];
	utf8_vsnprintf(text, sizeof(text), fmt, ap);
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return xstrdup(text);
}

static struct check_result *result_new(struct check_results *rs, const char *check,
				       const char *code, enum check_state state)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 16;
		rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	struct check_result *r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->check, sizeof(r->check), "%s", check);
	snprintf(r->code, sizeof(r->code), "%s", code);
	r->state = state;
	return r;
}

struct check_result *check_add(struct check_results *rs, const char *check, const char *code,
			       enum check_state state, const char *fmt, ...)
{
	va_list ap;
	struct check_result *r = result_new(rs, check, code, state);
	va_start(ap, fmt);
	r->summary = summary_from(fmt, ap);
	va_end(ap);
	return r;
}

/*
 * The catalogue's texts are formats the compiler cannot see; the unit test
 * test_msg__languages_take_the_same_arguments stands in for its check.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
struct check_result *check_add_msg(struct check_results *rs, const char *check, const char *code,
				   enum check_state state, int msg_id, ...)
{
	va_list ap;
	struct check_result *r = result_new(rs, check, code, state);
	va_start(ap, msg_id);
	r->summary = summary_from(msg_in(LANG_RU, (enum msg_id)msg_id), ap);
	va_end(ap);
	return r;
}
#pragma GCC diagnostic pop

void check_detail(struct check_result *r, const char *key, const char *fmt, ...)
{
	char value[257];
	va_list ap;
	va_start(ap, fmt);
	/* The API's bound on a value: 256 bytes, whole characters. */
	utf8_vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < r->n_details; i++)
		if (!strcmp(r->details[i].key, key)) {
			free(r->details[i].value);
			r->details[i].value = xstrdup(value);
			return;
		}
	if (r->n_details == 32)  /* the API's bound on data members */
		return;
	r->details = xrealloc(r->details, (r->n_details + 1) * sizeof(*r->details));
	r->details[r->n_details].key = xstrdup(key);
	r->details[r->n_details].value = xstrdup(value);
	r->n_details++;
}

void check_perf_add(struct check_result *r, const struct check_perf *p)
{
	if (r->n_perf == 16)  /* the API's bound on perf items */
		return;
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
	memset(rs, 0, sizeof(*rs));
}
