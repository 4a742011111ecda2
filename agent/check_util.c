/*
 * check_util.c - what the agent's checks share: reading their settings,
 * catalogue summaries, outside text made one clean line.
 */
#include "agent/checks.h"
#include "core/buf.h"
#include "core/config.h"

static int set_name(char *out, size_t size, const char *value, const char *allowed,
		    const char *what, char *err, size_t errlen)
{
	size_t n = strlen(value);
	bool ok = n > 0 && n < size;
	for (const char *p = value; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr(allowed, *p);
	if (!ok) {
		snprintf(err, errlen, "%s '%s': use 1-%zu of a-z, 0-9 and %s", what, value, size - 1,
			 allowed);
		return TD_EINVAL;
	}
	snprintf(out, size, "%s", value);
	return 0;
}

int check_set_instance(char out[33], const char *value, char *err, size_t errlen)
{
	return set_name(out, 33, value, "_", "check name", err, errlen);
}

int check_set_code(char out[65], const char *value, char *err, size_t errlen)
{
	return set_name(out, 65, value, "_.", "code", err, errlen);
}

void check_default_code(char out[65], const char *instance, const char *suffix)
{
	snprintf(out, 65, "%s.%s", instance, suffix);
}

void check_naming_init(struct check_naming *n, const char *kind)
{
	memset(n, 0, sizeof(*n));
	snprintf(n->instance, sizeof(n->instance), "%s", kind);
}

int check_naming_set(struct check_naming *n, const char *key, const char *value, char *err,
		     size_t errlen)
{
	if (!strcmp(key, CHECK_KEY_INSTANCE))
		return check_set_instance(n->instance, value, err, errlen);
	if (!strcmp(key, "code")) {
		n->code_set = true;
		return check_set_code(n->code, value, err, errlen);
	}
	return TD_ENOTFOUND;
}

void check_naming_ready(struct check_naming *n, const char *suffix)
{
	if (!n->code_set)
		check_default_code(n->code, n->instance, suffix);
}

int check_set_duration(int64_t *out, const char *key, const char *value, int64_t max, char *err,
		       size_t errlen)
{
	int64_t s;
	if (config_parse_duration(&s, value) || s <= 0 || s > max) {
		snprintf(err, errlen, "%s '%s': use a duration such as 10s, 5m, 4h, 30d (at most %llds)",
			 key, value, (long long)max);
		return TD_EINVAL;
	}
	*out = s;
	return 0;
}

int check_parse_state(enum check_state *out, const char *s)
{
	for (int st = CHECK_OK; st <= CHECK_UNKNOWN; st++)
		if (!strcmp(s, check_state_name((enum check_state)st))) {
			*out = (enum check_state)st;
			return 0;
		}
	return TD_EINVAL;
}

int check_unknown_key(const char *kind, const char *key, char *err, size_t errlen)
{
	snprintf(err, errlen, "unknown key '%s' in a %s check", key, kind);
	return TD_EINVAL;
}

struct check_result *check_addm(struct check_results *rs, const char *check, const char *code,
				enum check_state state, enum msg_id id, ...)
{
	struct buf b = BUF_INIT(4096);
	va_list ap;
	va_start(ap, id);
	msg_vbuf(&b, id, ap);
	va_end(ap);
	struct check_result *r = check_add(rs, check, code, state, "%s", buf_cstr(&b));
	buf_release(&b);
	return r;
}

void check_one_line(struct buf *out, const char *s, size_t len)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = out->len;
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] < 0x20 || p[i] == 0x7F))
		i++;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (!n) {
			buf_add(out, replacement, 3);
			i++;
		} else if (cp < 0x20 || cp == 0x7F) {
			buf_putc(out, ' ');
			i += n;
		} else {
			buf_add(out, p + i, n);
			i += n;
		}
	}
	while (out->len > start && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
}
