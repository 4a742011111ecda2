#include "core/buf.h"
#include "core/msg.h"

static const char *const texts[][2] = {
#define MSG(key, ru, en) { ru, en },
#include "core/messages.def"
#undef MSG
};

static const char *const keys[] = {
#define MSG(key, ru, en) #key,
#include "core/messages.def"
#undef MSG
};

static enum msg_lang current = LANG_RU;

int msg_lang_parse(enum msg_lang *out, const char *code)
{
	if (!strcmp(code, "ru"))
		*out = LANG_RU;
	else if (!strcmp(code, "en"))
		*out = LANG_EN;
	else
		return TD_EINVAL;
	return 0;
}

int msg_set_language(const char *code)
{
	return msg_lang_parse(&current, code);
}

enum msg_lang msg_language(void)
{
	return current;
}

const char *msg_in(enum msg_lang lang, enum msg_id id)
{
	return (unsigned)id < MSG__COUNT ? texts[id][lang] : "";
}

const char *msg(enum msg_id id)
{
	return msg_in(current, id);
}

const char *msg_key(enum msg_id id)
{
	return (unsigned)id < MSG__COUNT ? keys[id] : "";
}

int msg_by_key(enum msg_id *out, const char *key)
{
	for (size_t i = 0; i < MSG__COUNT; i++)
		if (!strcmp(keys[i], key)) {
			*out = (enum msg_id)i;
			return 0;
		}
	return TD_ENOTFOUND;
}

int msg_by_text(enum msg_id *out, const char *text)
{
	for (size_t i = 0; i < MSG__COUNT; i++)
		if (texts[i][LANG_RU] == text || texts[i][LANG_EN] == text) {
			*out = (enum msg_id)i;
			return 0;
		}
	return TD_ENOTFOUND;
}

/*
 * The catalogue's texts are formats the compiler cannot see; the unit test
 * test_msg__languages_take_the_same_arguments stands in for its check.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
void msg_fprintf(FILE *f, enum msg_id id, ...)
{
	va_list ap;
	va_start(ap, id);
	vfprintf(f, msg(id), ap);
	va_end(ap);
}

int msg_vbuf(struct buf *b, enum msg_id id, va_list ap)
{
	return buf_vprintf(b, msg(id), ap);
}

int msg_vbuf_in(struct buf *b, enum msg_lang lang, enum msg_id id, va_list ap)
{
	return buf_vprintf(b, msg_in(lang, id), ap);
}
#pragma GCC diagnostic pop

int msg_buf_in(struct buf *b, enum msg_lang lang, enum msg_id id, ...)
{
	va_list ap;
	va_start(ap, id);
	int rc = msg_vbuf_in(b, lang, id, ap);
	va_end(ap);
	return rc;
}

int msg_buf(struct buf *b, enum msg_id id, ...)
{
	va_list ap;
	va_start(ap, id);
	int rc = msg_vbuf(b, id, ap);
	va_end(ap);
	return rc;
}

void msg_span_each(int64_t seconds,
		   void (*each)(void *arg, enum msg_id id, long long n, bool first), void *arg)
{
	static const struct { int64_t size; enum msg_id id; } units[] = {
		{ 86400, MSG_SPAN_DAYS }, { 3600, MSG_SPAN_HOURS },
		{ 60, MSG_SPAN_MINUTES }, { 1, MSG_SPAN_SECONDS },
	};
	int shown = 0;
	if (seconds <= 0) {
		each(arg, MSG_SPAN_SECONDS, 0LL, true);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units) && shown < 2; i++) {
		int64_t n = seconds / units[i].size;
		if (!n) {
			shown += shown > 0;  /* "1 ч 5 с" would mislead: stop at a gap */
			continue;
		}
		each(arg, units[i].id, (long long)n, !shown);
		seconds -= n * units[i].size;
		shown++;
	}
}

static void span_unit(void *arg, enum msg_id id, long long n, bool first)
{
	struct buf *b = arg;
	if (!first)
		buf_putc(b, ' ');
	msg_buf(b, id, n);
}

void msg_span(struct buf *b, int64_t seconds)
{
	msg_span_each(seconds, span_unit, b);
}
