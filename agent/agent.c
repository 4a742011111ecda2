/* One pass of the agent: checks run, results become events in the spool. */
#include "agent/agent.h"
#include "agent/checks.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"

#define EVENT_MAX (64 * 1024)
/* The contract's bounds (doc/AGENT-API.md): the server refuses a batch past them. */
#define EVENT_MESSAGE_MAX 512
#define EVENT_DATA_MAX 32
#define EVENT_KEY_MAX 64
#define EVENT_VALUE_MAX 256
#define EVENT_PERF_MAX 16
#define EVENT_LABEL_MAX 64

void agent_init(struct agent *a, const struct agent_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->ctx.state_dir = cfg->state_dir;
	a->ctx.fsrar_id = cfg->fsrar_id;
}

void agent_release(struct agent *a)
{
	free(a->last);
	a->last = NULL;
	a->n_last = 0;
}

void agent_pass(struct agent *a, struct check_results *out)
{
	a->ctx.now = clock_now();
	for (size_t i = 0; i < a->cfg->n_checks; i++) {
		const struct agent_check *c = &a->cfg->checks[i];
		c->kind->run(c->self, &a->ctx, out);
	}
}

/*
 * s as the contract wants every string of an event: one line of valid
 * UTF-8 (check_one_line()), no NUL, at most max bytes cut at a whole
 * character. Every string of an event passes here, whichever check made
 * it: one bad byte (a vendor tool's serial) must not get a batch refused.
 */
static json_object *clean_string(const char *s, size_t max)
{
	struct buf b = BUF_INIT(EVENT_MAX);
	check_one_line(&b, s ? s : "", s ? strlen(s) : 0);
	size_t n = b.len > max ? utf8_cut(buf_cstr(&b), max) : b.len;
	json_object *o = json_object_new_string_len(buf_cstr(&b), (int)n);
	buf_release(&b);
	return o;
}

static json_object *perf_json(const struct check_perf *p)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "label", clean_string(p->label, EVENT_LABEL_MAX));
	json_object_object_add(o, "value", json_object_new_double(p->value));
	if (p->uom[0])
		json_object_object_add(o, "uom", clean_string(p->uom, EVENT_LABEL_MAX));
	if (p->has & CHECK_PERF_WARN)
		json_object_object_add(o, "warn", json_object_new_double(p->warn));
	if (p->has & CHECK_PERF_CRIT)
		json_object_object_add(o, "crit", json_object_new_double(p->crit));
	if (p->has & CHECK_PERF_MIN)
		json_object_object_add(o, "min", json_object_new_double(p->min));
	if (p->has & CHECK_PERF_MAX)
		json_object_object_add(o, "max", json_object_new_double(p->max));
	return o;
}

int agent_event_json(const struct check_result *r, enum spool_kind kind, int64_t observed_at,
		     struct buf *out)
{
	json_object *o = json_object_new_object(), *data = json_object_new_object(),
		    *perf = json_object_new_array();
	json_object_object_add(o, "kind", json_object_new_string(kind == SPOOL_CHANGE ? "change" : "heartbeat"));
	json_object_object_add(o, "check", json_object_new_string(r->check));
	json_object_object_add(o, "code", json_object_new_string(r->code));
	json_object_object_add(o, "status", json_object_new_string(check_state_name(r->state)));
	json_object_object_add(o, "message", clean_string(r->summary, EVENT_MESSAGE_MAX));
	json_object_object_add(o, "observed_at", json_object_new_int64(observed_at));
	for (size_t i = 0; i < r->n_details && i < EVENT_DATA_MAX; i++) {
		json_object *key = clean_string(r->details[i].key, EVENT_KEY_MAX);
		json_object_object_add(data, json_object_get_string(key),
				       clean_string(r->details[i].value, EVENT_VALUE_MAX));
		json_object_put(key);
	}
	json_object_object_add(o, "data", data);
	for (size_t i = 0; i < r->n_perf && i < EVENT_PERF_MAX; i++)
		json_object_array_add(perf, perf_json(&r->perf[i]));
	json_object_object_add(o, "perf", perf);
	int rc = buf_puts(out, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return rc;
}

static struct agent_last *last_of(struct agent *a, const struct check_result *r)
{
	for (size_t i = 0; i < a->n_last; i++)
		if (!strcmp(a->last[i].code, r->code) && !strcmp(a->last[i].check, r->check))
			return &a->last[i];
	return NULL;
}

int agent_store(struct agent *a, const struct check_results *rs, int64_t now, struct spool *sp,
		size_t *changes)
{
	struct spool_item *items = xcalloc(rs->n ? rs->n : 1, sizeof(*items));
	struct buf *texts = xcalloc(rs->n ? rs->n : 1, sizeof(*texts));
	int rc = 0;

	*changes = 0;
	for (size_t i = 0; i < rs->n; i++) {
		const struct agent_last *l = last_of(a, &rs->v[i]);
		items[i].kind = l && l->state == rs->v[i].state ? SPOOL_HEARTBEAT : SPOOL_CHANGE;
		items[i].observed_at = now;
		*changes += items[i].kind == SPOOL_CHANGE;
		buf_init(&texts[i], EVENT_MAX);
		rc = agent_event_json(&rs->v[i], items[i].kind, now, &texts[i]);
		if (rc)
			goto done;
		items[i].json = buf_cstr(&texts[i]);
	}
	rc = spool_add(sp, items, rs->n);
	if (rc)
		goto done;
	/*
	 * Stored: only now is the new state the one a change is told from, and
	 * what the checks read consumed (the log check's lines).
	 */
	for (size_t i = 0; i < rs->n; i++) {
		struct agent_last *l = last_of(a, &rs->v[i]);
		if (!l) {
			a->last = xrealloc(a->last, (a->n_last + 1) * sizeof(*a->last));
			l = &a->last[a->n_last++];
			snprintf(l->check, sizeof(l->check), "%s", rs->v[i].check);
			snprintf(l->code, sizeof(l->code), "%s", rs->v[i].code);
		}
		l->state = rs->v[i].state;
	}
	for (size_t i = 0; i < a->cfg->n_checks; i++) {
		const struct agent_check *c = &a->cfg->checks[i];
		if (c->kind->commit)
			c->kind->commit(c->self, &a->ctx);
	}
done:
	for (size_t i = 0; i < rs->n; i++)
		buf_release(&texts[i]);
	free(texts);
	free(items);
	return rc;
}
