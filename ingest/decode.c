#include <math.h>

#include "core/json.h"
#include "ingest/decode.h"

/*
 * The contract's deepest container is a perf item: the batch, events, an
 * event, perf, the item. json-c counts a scalar member as a level of its
 * own, so it parses with one level more (refusing anything nested deeper
 * while it parses: a body of a million brackets costs nothing), and
 * too_deep() then refuses a container at that last level.
 */
#define DEPTH_MAX 5
#define DATA_MEMBERS_MAX 32
#define DATA_KEY_MAX 64
#define DATA_VALUE_MAX 256
#define PERF_MAX 16
#define PERF_LABEL_MAX 64
#define PERF_UOM_MAX 16

struct decoder {
	char *err;
	size_t errlen;
	char path[64];  /* "events[3]": the event being read */
};

static int fail(struct decoder *d, const char *field, const char *fmt, ...) TD_PRINTF(3, 4);

/* Writes "<path>.<field>: <reason>" as the reason of a 400. */
static int fail(struct decoder *d, const char *field, const char *fmt, ...)
{
	char reason[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(d->err, d->errlen, "%s%s%s: %s", d->path, *d->path && *field ? "." : "", field,
		 reason);
	return TD_EINVAL;
}

static bool id_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

static bool check_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool code_char(unsigned char c)
{
	return check_char(c) || c == '.';
}

/* Text for people: one line. */
static bool line_char(unsigned char c)
{
	return c != '\n' && c != '\r';
}

/*
 * A JSON string v of min to max bytes, valid UTF-8 (json-c decodes \u
 * escapes, lone surrogates included), no NUL, every byte passing ok (NULL:
 * any). 0 with *out set, or the reason.
 */
static int string_value(struct decoder *d, const char *field, json_object *v, size_t min,
			size_t max, bool (*ok)(unsigned char), const char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return fail(d, field, "not a string");
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (strlen(s) != n)
		return fail(d, field, "contains NUL");
	if (n < min || n > max)
		return min ? fail(d, field, "%zu bytes, not %zu to %zu", n, min, max)
			   : fail(d, field, "%zu bytes, more than %zu", n, max);
	if (!utf8_valid(s, n))
		return fail(d, field, "not valid UTF-8");
	for (size_t i = 0; ok && i < n; i++)
		if (!ok((unsigned char)s[i]))
			return fail(d, field, "character 0x%02x not allowed", (unsigned char)s[i]);
	*out = s;
	return 0;
}

/* Member key of o as string_value(); absent: a reason when required, else *out NULL. */
static int string_member(struct decoder *d, json_object *o, const char *key, bool required,
			 size_t min, size_t max, bool (*ok)(unsigned char), const char **out)
{
	json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return required ? fail(d, key, "missing") : 0;
	return string_value(d, key, v, min, max, ok, out);
}

/* json-c takes NaN and Infinity even in strict mode; JSON has no such numbers. */
static bool is_number(json_object *v)
{
	return json_object_is_type(v, json_type_int) ||
	       (json_object_is_type(v, json_type_double) && isfinite(json_object_get_double(v)));
}

static int choice_member(struct decoder *d, json_object *o, const char *key,
			 int (*parse)(int *out, const char *s), const char *choices, int *out)
{
	const char *s;
	int rc = string_member(d, o, key, true, 1, 16, NULL, &s);
	if (rc)
		return rc;
	return parse(out, s) ? fail(d, key, "not one of %s", choices) : 0;
}

static int parse_kind(int *out, const char *s)
{
	enum agent_kind k;
	int rc = agent_kind_parse(&k, s);
	*out = (int)k;
	return rc;
}

static int parse_status(int *out, const char *s)
{
	enum agent_status st;
	int rc = agent_status_parse(&st, s);
	*out = (int)st;
	return rc;
}

/* The facts data may carry for the equipment registry (doc/AGENT-API.md, Facts). */
static void take_fact(struct agent_event *e, const char *key, const char *value)
{
	if (!strcmp(key, "fn.serial"))
		e->fn_serial = value;
	else if (!strcmp(key, "fn.valid_until"))
		e->fn_valid_until = value;
	else if (!strcmp(key, "utm.rsa_until"))
		e->utm_rsa_until = value;
	else if (!strcmp(key, "utm.gost_until"))
		e->utm_gost_until = value;
}

static int decode_data(struct decoder *d, json_object *data, struct agent_event *e)
{
	char field[DATA_KEY_MAX + 8];
	if (!json_object_is_type(data, json_type_object))
		return fail(d, "data", "not an object");
	if (json_object_object_length(data) > DATA_MEMBERS_MAX)
		return fail(d, "data", "%d members, more than %d", json_object_object_length(data),
			    DATA_MEMBERS_MAX);
	json_object_object_foreach(data, key, v) {
		size_t n = strlen(key);
		if (!n || n > DATA_KEY_MAX || !utf8_valid(key, n))
			return fail(d, "data", "a key is empty, longer than %d bytes or not UTF-8",
				    DATA_KEY_MAX);
		snprintf(field, sizeof(field), "data.%s", key);
		if (is_number(v))
			continue;
		const char *s;
		if (!json_object_is_type(v, json_type_string))
			return fail(d, field, "not a string or a number");
		int rc = string_value(d, field, v, 0, DATA_VALUE_MAX, NULL, &s);
		if (rc)
			return rc;
		take_fact(e, key, s);
	}
	e->data = json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	return 0;
}

static int decode_perf(struct decoder *d, json_object *perf)
{
	static const char *const limits[] = { "warn", "crit", "min", "max" };
	char field[48];
	if (!json_object_is_type(perf, json_type_array))
		return fail(d, "perf", "not an array");
	size_t n = json_object_array_length(perf);
	if (n > PERF_MAX)
		return fail(d, "perf", "%zu items, more than %d", n, PERF_MAX);
	for (size_t i = 0; i < n; i++) {
		json_object *p = json_object_array_get_idx(perf, i), *v;
		const char *s;
		int rc;
		snprintf(field, sizeof(field), "perf[%zu]", i);
		if (!json_object_is_type(p, json_type_object))
			return fail(d, field, "not an object");
		snprintf(field, sizeof(field), "perf[%zu].label", i);
		if (!json_object_object_get_ex(p, "label", &v))
			return fail(d, field, "missing");
		if ((rc = string_value(d, field, v, 1, PERF_LABEL_MAX, NULL, &s)))
			return rc;
		snprintf(field, sizeof(field), "perf[%zu].value", i);
		if (!json_object_object_get_ex(p, "value", &v) || !is_number(v))
			return fail(d, field, "missing or not a number");
		snprintf(field, sizeof(field), "perf[%zu].uom", i);
		if (json_object_object_get_ex(p, "uom", &v) &&
		    (rc = string_value(d, field, v, 0, PERF_UOM_MAX, NULL, &s)))
			return rc;
		for (size_t j = 0; j < ARRAY_SIZE(limits); j++) {
			snprintf(field, sizeof(field), "perf[%zu].%s", i, limits[j]);
			if (json_object_object_get_ex(p, limits[j], &v) && !is_number(v))
				return fail(d, field, "not a number");
		}
	}
	return 0;
}

static int decode_event(struct decoder *d, json_object *o, struct agent_event *e)
{
	json_object *v;
	int kind, status, rc;
	if (!json_object_is_type(o, json_type_object))
		return fail(d, "", "not an object");
	if ((rc = string_member(d, o, "id", true, 1, 64, id_char, &e->id)) ||
	    (rc = choice_member(d, o, "kind", parse_kind, "change, heartbeat", &kind)) ||
	    (rc = string_member(d, o, "check", true, 1, 32, check_char, &e->check)) ||
	    (rc = string_member(d, o, "code", true, 1, 64, code_char, &e->code)) ||
	    (rc = choice_member(d, o, "status", parse_status, "ok, warning, critical, unknown",
				&status)) ||
	    (rc = string_member(d, o, "message", true, 0, 512, line_char, &e->message)))
		return rc;
	e->kind = (enum agent_kind)kind;
	e->status = (enum agent_status)status;
	if (!json_object_object_get_ex(o, "observed_at", &v))
		return fail(d, "observed_at", "missing");
	if (!json_get_int(o, "observed_at", &e->observed_at) || e->observed_at < 0)
		return fail(d, "observed_at", "not an integer of Unix seconds");
	if (json_object_object_get_ex(o, "data", &v) && (rc = decode_data(d, v, e)))
		return rc;
	if (json_object_object_get_ex(o, "perf", &v) && (rc = decode_perf(d, v)))
		return rc;
	return 0;
}

/* True when o holds a container below level DEPTH_MAX (o is at level depth). */
static bool too_deep(json_object *o, int depth)
{
	if (json_object_is_type(o, json_type_object)) {
		if (depth > DEPTH_MAX)
			return true;
		json_object_object_foreach(o, key, v) {
			(void)key;
			if (too_deep(v, depth + 1))
				return true;
		}
	} else if (json_object_is_type(o, json_type_array)) {
		if (depth > DEPTH_MAX)
			return true;
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (too_deep(json_object_array_get_idx(o, i), depth + 1))
				return true;
	}
	return false;
}

/* The batch's own members, then each event. */
static int decode_batch(struct decoder *d, struct ingest_batch *b)
{
	json_object *v, *events;
	int rc;
	if (!json_object_is_type(b->root, json_type_object))
		return fail(d, "body", "not a JSON object");
	if ((rc = string_member(d, b->root, "agent", false, 0, 64, NULL, &b->agent)) ||
	    (rc = string_member(d, b->root, "boot", false, 0, 32, NULL, &b->boot)))
		return rc;
	b->agent = b->agent ? b->agent : "";
	b->boot = b->boot ? b->boot : "";
	if (json_object_object_get_ex(b->root, "dropped", &v) &&
	    (!json_get_int(b->root, "dropped", &b->dropped) || b->dropped < 0))
		return fail(d, "dropped", "not an integer >= 0");
	if (!json_object_object_get_ex(b->root, "events", &v))
		return fail(d, "events", "missing");
	if (!(events = json_get_array(b->root, "events")))
		return fail(d, "events", "not an array");
	b->n = json_object_array_length(events);
	if (b->n < 1 || b->n > INGEST_EVENTS_MAX)
		return fail(d, "events", "%zu events, not 1 to %d", b->n, INGEST_EVENTS_MAX);
	b->events = xcalloc(b->n, sizeof(*b->events));
	for (size_t i = 0; i < b->n; i++) {
		snprintf(d->path, sizeof(d->path), "events[%zu]", i);
		if ((rc = decode_event(d, json_object_array_get_idx(events, i), &b->events[i])))
			return rc;
	}
	return 0;
}

int ingest_decode(struct ingest_batch *out, const char *body, size_t len, char *err,
		  size_t errlen)
{
	struct decoder d = { err, errlen, "" };
	json_tokener *tok = NULL;
	int rc = TD_EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > INGEST_BODY_MAX) {
		fail(&d, "body", "%zu bytes, more than %d", len, INGEST_BODY_MAX);
		goto done;
	}
	/* json-c would stop at a NUL and take the text before it. */
	if (memchr(body, '\0', len) || !utf8_valid(body, len)) {
		fail(&d, "body", "not valid UTF-8 text");
		goto done;
	}
	tok = json_tokener_new_ex(DEPTH_MAX + 1);
	if (!tok) {
		fail(&d, "body", "out of memory");
		goto done;
	}
	/* Strict: no trailing commas, no text after the value (NaN: see is_number()). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	out->root = json_tokener_parse_ex(tok, body, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue || (!out->root && jerr == json_tokener_success)) {
		fail(&d, "body", "incomplete JSON");
		goto done;
	}
	if (jerr != json_tokener_success) {
		fail(&d, "body", "not JSON (%s at byte %zu)", json_tokener_error_desc(jerr),
		     json_tokener_get_parse_end(tok));
		goto done;
	}
	if (too_deep(out->root, 1)) {
		fail(&d, "body", "nesting too deep (more than %d levels)", DEPTH_MAX);
		goto done;
	}
	rc = decode_batch(&d, out);
done:
	if (tok)
		json_tokener_free(tok);
	if (rc)
		ingest_batch_release(out);
	return rc;
}

void ingest_batch_release(struct ingest_batch *b)
{
	free(b->events);
	json_object_put(b->root);
	memset(b, 0, sizeof(*b));
}
