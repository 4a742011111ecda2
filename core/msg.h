/*
 * msg.h - the message catalogue: every text a user sees, by key, in
 * Russian and English.
 *
 * The texts live in core/messages.def as MSG(KEY, "русский", "English").
 * Texts may be printf formats; a unit test checks that both languages of
 * each key take the same arguments, since the compiler cannot.
 */
#ifndef TD_MSG_H
#define TD_MSG_H

#include "core/common.h"

struct buf;

enum msg_id {
#define MSG(key, ru, en) MSG_##key,
#include "core/messages.def"
#undef MSG
	MSG__COUNT
};

enum msg_lang { LANG_RU, LANG_EN };

/* The language called code ("ru" or "en"); TD_EINVAL otherwise. */
int msg_lang_parse(enum msg_lang *out, const char *code);
/* "ru" or "en"; TD_EINVAL otherwise. Process-wide, set once at start. */
int msg_set_language(const char *code);
enum msg_lang msg_language(void);

/* The text of id in the current language. Static storage. */
const char *msg(enum msg_id id);
/* The text of id in a given language (for tests and per-user language). */
const char *msg_in(enum msg_lang lang, enum msg_id id);
const char *msg_key(enum msg_id id);
/* The id whose key is key; TD_ENOTFOUND when there is none. */
int msg_by_key(enum msg_id *out, const char *key);
/*
 * The id whose text (in either language) is text itself, the pointer
 * msg() gave; TD_ENOTFOUND for any other string, even an equal one.
 */
int msg_by_text(enum msg_id *out, const char *text);

/* Formats id with the arguments its text expects. */
void msg_fprintf(FILE *f, enum msg_id id, ...);
int msg_buf(struct buf *b, enum msg_id id, ...);
int msg_vbuf(struct buf *b, enum msg_id id, va_list ap);
/* The same in a given language (a letter in its reader's). */
int msg_buf_in(struct buf *b, enum msg_lang lang, enum msg_id id, ...);
int msg_vbuf_in(struct buf *b, enum msg_lang lang, enum msg_id id, va_list ap);
/* Appends a span of time in its two largest units: "1 ч 5 мин", "40 с". */
void msg_span(struct buf *b, int64_t seconds);
/* The units msg_span() shows for seconds, largest first: each gets its message and count. */
void msg_span_each(int64_t seconds,
		   void (*each)(void *arg, enum msg_id id, long long n, bool first), void *arg);

#endif
