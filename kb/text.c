#include <libstemmer.h>

#include "core/buf.h"
#include "core/chatter.h"
#include "kb/text.h"
#include "storage/db.h"

struct kb_text {
	struct sb_stemmer *ru, *en;
};

/*
 * Folded function words that say nothing about a fault, sorted for bsearch.
 * Greetings, thanks and chatter («спасибо большое», «ок») are stop words
 * too, from core/chatter's one list, so that small talk sharing a stem with
 * an article's word finds nothing.
 */
static const char *const stop_words[] = {
	"a", "an", "and", "is", "of", "on", "or", "the", "to", "а", "без", "бы", "был", "была",
	"были", "было", "быть", "в", "вам", "вас", "вот", "все", "всего", "вы", "где", "да",
	"для", "до", "его", "ее", "если", "есть", "еще", "же", "за", "и", "из", "или", "им",
	"их", "к", "как", "ко", "когда", "кто", "ли", "мне", "мой", "мы", "на", "над", "нам",
	"нас", "но", "ну", "о", "об", "он", "она", "они", "оно", "от", "очень", "по",
	"подскажите", "помогите", "после", "при", "про", "с", "сейчас", "со", "так", "там",
	"то", "тоже", "тут", "у", "уже", "что", "чтобы", "эта", "это", "этот", "я",
};

static int cmp_word(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static bool is_stop_word(const char *w, size_t n)
{
	return bsearch(w, stop_words, ARRAY_SIZE(stop_words), sizeof(stop_words[0]), cmp_word) ||
	       chatter_is_stop_word(w, n);
}

struct kb_text *kb_text_new(void)
{
	struct kb_text *t = xcalloc(1, sizeof(*t));
	t->ru = sb_stemmer_new("russian", "UTF_8");
	t->en = sb_stemmer_new("english", "UTF_8");
	if (!t->ru || !t->en) {
		kb_text_free(t);
		return NULL;
	}
	return t;
}

void kb_text_free(struct kb_text *t)
{
	if (!t)
		return;
	if (t->ru)
		sb_stemmer_delete(t->ru);
	if (t->en)
		sb_stemmer_delete(t->en);
	free(t);
}

/* The folded form of a word character, or 0 for a separator. */
static uint32_t fold(uint32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return c;
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c == 0x401 || c == 0x451)               /* Ё ё */
		return 0x435;                       /* е */
	if (c >= 0x410 && c <= 0x42F)               /* А-Я */
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40F)               /* Ѐ-Џ */
		return c + 0x50;
	if ((c >= 0x430 && c <= 0x44F) || (c >= 0x450 && c <= 0x45F))
		return c;
	return 0;
}

static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	/* Word characters are below U+0800. */
	out[0] = (char)(0xC0 | c >> 6);
	out[1] = (char)(0x80 | (c & 0x3F));
	return 2;
}

/* Calls fn(arg, word, n, start, end) for each folded word that is not a stop word. */
static int words(const char *s, size_t len,
		 int (*fn)(void *, const char *, size_t, size_t, size_t, bool), void *arg)
{
	const unsigned char *u = (const unsigned char *)s;
	char word[KB_WORD_MAX + 4];
	size_t n = 0, start = 0, i = 0;
	bool too_long = false, cyrillic = false;
	while (i <= len) {
		uint32_t c = 0, f = 0;
		size_t step = i < len ? utf8_decode(u + i, len - i, &c) : 1;
		if (i < len && step)
			f = fold(c);
		if (f) {
			if (!n && !too_long)
				start = i;
			if (n + (f < 0x80 ? 1 : 2) > KB_WORD_MAX)
				too_long = true;
			else if (!too_long)
				n += put_utf8(word + n, f);
			cyrillic |= f >= 0x400;
		} else if (n || too_long) {
			word[n] = '\0';
			int rc = too_long || is_stop_word(word, n) ? 0 : fn(arg, word, n, start, i, cyrillic);
			if (rc)
				return rc;
			n = 0;
			too_long = cyrillic = false;
		}
		i += step ? step : 1;
	}
	return 0;
}

struct terms_ctx {
	struct kb_text *t;
	kb_term_fn fn;
	void *arg;
};

static int stem_word(void *arg, const char *w, size_t n, size_t start, size_t end, bool cyrillic)
{
	struct terms_ctx *c = arg;
	/* Codes and numbers stay as they are: «235» is not an English word. */
	bool letters = true;
	for (size_t i = 0; i < n; i++)
		letters &= !(w[i] >= '0' && w[i] <= '9');
	if (!letters)
		return c->fn(c->arg, w, n, start, end);
	struct sb_stemmer *st = cyrillic ? c->t->ru : c->t->en;
	const sb_symbol *stem = sb_stemmer_stem(st, (const sb_symbol *)w, (int)n);
	if (!stem)  /* out of memory inside libstemmer: index the word itself */
		return c->fn(c->arg, w, n, start, end);
	return c->fn(c->arg, (const char *)stem, (size_t)sb_stemmer_length(st), start, end);
}

int kb_text_terms(struct kb_text *t, const char *s, size_t len, kb_term_fn fn, void *arg)
{
	struct terms_ctx c = { t, fn, arg };
	return words(s, len, stem_word, &c);
}

struct words_ctx {
	kb_term_fn fn;
	void *arg;
};

static int plain_word(void *arg, const char *w, size_t n, size_t start, size_t end, bool cyrillic)
{
	struct words_ctx *c = arg;
	(void)cyrillic;
	return c->fn(c->arg, w, n, start, end);
}

int kb_text_words(const char *s, size_t len, kb_term_fn fn, void *arg)
{
	struct words_ctx c = { fn, arg };
	return words(s, len, plain_word, &c);
}

int kb_fold_yo(struct buf *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)p[0] == 0xD1 && (unsigned char)p[1] == 0x91) {        /* ё */
			buf_add(out, "\xD0\xB5", 2);
			p++;
		} else if ((unsigned char)p[0] == 0xD0 && (unsigned char)p[1] == 0x81) { /* Ё */
			buf_add(out, "\xD0\x95", 2);
			p++;
		} else {
			buf_putc(out, *p);
		}
	}
	return out->failed ? TD_ENOMEM : 0;
}

/*
 * The lower-case letter that caseless matching equates with c, for the
 * letters a pattern's literal may hold (Latin, Cyrillic); c itself otherwise.
 */
static uint32_t lower(uint32_t c)
{
	static const uint32_t old_cyrillic[] = { 0x432, 0x434, 0x43E, 0x441, 0x442, 0x442, 0x44A };
	uint32_t f = fold(c);
	if (f && f != c)
		return f;
	if (c == 0x212A)                            /* KELVIN SIGN */
		return 'k';
	if (c == 0x17F)                             /* long s */
		return 's';
	if (c == 0x130 || c == 0x131)               /* dotted and dotless i */
		return 'i';
	if (c >= 0x1C80 && c <= 0x1C86)             /* old forms of в д о с т т ъ */
		return old_cyrillic[c - 0x1C80];
	return c;
}

int kb_lower(struct buf *out, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t step = utf8_decode(u + i, len - i, &c);
		if (!step) {
			buf_putc(out, s[i++]);
			continue;
		}
		uint32_t l = lower(c);
		if (l == c) {
			buf_add(out, s + i, step);
		} else {
			char enc[2];
			buf_add(out, enc, put_utf8(enc, l));
		}
		i += step;
	}
	return out->failed ? TD_ENOMEM : 0;
}

/* ---- the full-text index reads words as the questions do (storage/db.h) ---- */

static void *reader_create(void)
{
	return kb_text_new();
}

static void reader_destroy(void *reader)
{
	kb_text_free(reader);
}

static int reader_terms(void *reader, const char *text, size_t n, kb_term_fn fn, void *arg)
{
	return kb_text_terms(reader, text, n, fn, arg);
}

const struct db_fts_reader db_fts_words = { reader_create, reader_destroy, reader_terms };
