#include "core/html.h"

/* The UTF-8 of U+FFFD REPLACEMENT CHARACTER. */
#define HTML_REPLACEMENT "\xEF\xBF\xBD"

/* What html_next() found at a position of the message. */
struct html_tok {
	enum { HTML_CHAR, HTML_ENTITY, HTML_TAG } kind;
	size_t len;       /* bytes in the message */
	unsigned width;   /* UTF-16 code units of its text; 0 for a tag */
	bool space;       /* a whitespace character */
	bool newline;
	bool closing;     /* a tag "</name>" */
	size_t name_off;  /* a tag's name, from the start of the tag */
	size_t name_len;
};

/* An open tag of the message: html[off, off + len), its name after '<'. */
struct html_open {
	size_t off;
	size_t len;
	size_t name_len;
};

struct html_stack {
	struct html_open *v;
	size_t n;
	size_t alloc;
};

/* Where a part may end, best first. */
enum html_break { BREAK_BLANK, BREAK_NEWLINE, BREAK_SPACE, BREAK_KINDS };

/*
 * Decodes the character at s (not at its NUL). Returns its length in bytes.
 * An invalid sequence gives *valid false, *out U+FFFD and the length of its
 * maximal invalid prefix (at least 1), as Unicode recommends for
 * replacement; the NUL is never consumed, as it is no continuation byte.
 */
static size_t utf8_next(uint32_t *out, bool *valid, const unsigned char *s)
{
	unsigned c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;
	uint32_t cp;

	*out = 0xFFFD;
	*valid = false;
	if (c < 0x80) {
		*out = c;
		*valid = true;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		cp = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		cp = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		if (c == 0xF4)
			hi = 0x8F; /* past U+10FFFF */
	} else {
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		unsigned b = s[i];
		if (b < lo || b > hi)
			return i;
		lo = 0x80;
		hi = 0xBF;
		cp = (cp << 6) | (b & 0x3F);
	}
	*out = cp;
	*valid = true;
	return need + 1;
}

static bool html_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int html_digit(char c, bool hex)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (hex && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (hex && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Length of the entity at s ("&amp;", "&#39;", "&#x1F600;"), 0 if s does
 * not start one. *width is the UTF-16 length of the character it names;
 * *cp the number of a numeric entity (past U+10FFFF when it is too large),
 * 0 for a named one.
 */
static size_t html_entity(const char *s, unsigned *width, uint32_t *cp)
{
	size_t i = 1, start;

	*width = 1;
	*cp = 0;
	if (s[i] == '#') {
		bool hex = s[i + 1] == 'x' || s[i + 1] == 'X';
		uint32_t v = 0;
		int d;

		i += hex ? 2 : 1;
		start = i;
		for (; (d = html_digit(s[i], hex)) >= 0; i++) {
			if (i - start >= 10)
				return 0;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (i == start)
			return 0;
		if (v > 0xFFFF && v <= 0x10FFFF)
			*width = 2;
		*cp = v;
	} else {
		start = i;
		while (html_is_alnum(s[i]) && i - start < 32)
			i++;
		if (i == start)
			return 0;
	}
	return s[i] == ';' ? i + 1 : 0;
}

/* Length of the tag at s ("<b>", "</b>", "<a href=\"...\">"), 0 if none. */
static size_t html_tag(const char *s, struct html_tok *t)
{
	size_t i = 1;

	t->closing = s[i] == '/';
	if (t->closing)
		i++;
	t->name_off = i;
	while (html_is_alnum(s[i]) || s[i] == '-')
		i++;
	t->name_len = i - t->name_off;
	if (!t->name_len)
		return 0;
	/* A quoted attribute value may hold a '>'. */
	for (; s[i] != '>'; i++) {
		if (!s[i])
			return 0;
		if (s[i] == '"' || s[i] == '\'') {
			const char *q = strchr(s + i + 1, s[i]);
			if (!q)
				return 0;
			i = (size_t)(q - s);
		}
	}
	return i + 1;
}

/* The token at s (not at its NUL). Malformed markup reads as characters. */
static void html_next(struct html_tok *t, const char *s)
{
	uint32_t cp;
	bool valid;

	memset(t, 0, sizeof(*t));
	if (*s == '<' && (t->len = html_tag(s, t)) > 0) {
		t->kind = HTML_TAG;
		return;
	}
	if (*s == '&' && (t->len = html_entity(s, &t->width, &cp)) > 0) {
		t->kind = HTML_ENTITY;
		return;
	}
	t->kind = HTML_CHAR;
	t->len = utf8_next(&cp, &valid, (const unsigned char *)s);
	t->width = cp > 0xFFFF ? 2 : 1;
	t->space = cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n';
	t->newline = cp == '\n';
}

int html_escape(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	while (*p) {
		const char *rep = NULL;
		size_t n = 1;

		switch (*p) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:
			if (*p >= 0x80) {
				uint32_t cp;
				bool valid;
				n = utf8_next(&cp, &valid, p);
				if (!valid)
					rep = HTML_REPLACEMENT;
			}
		}
		if (rep) {
			buf_add(out, run, (size_t)(p - run));
			buf_puts(out, rep);
			run = p + n;
		}
		p += n;
	}
	buf_add(out, run, (size_t)(p - run));
	return out->failed ? TD_ENOMEM : 0;
}

size_t html_text_length(const char *html)
{
	struct html_tok t;
	size_t n = 0;

	for (const char *p = html; *p; p += t.len) {
		html_next(&t, p);
		n += t.width;
	}
	return n;
}

static bool html_name_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Opens or closes the tag t found at html + off. */
static void html_stack_apply(struct html_stack *st, const char *html, size_t off,
			     const struct html_tok *t)
{
	const char *name = html + off + t->name_off;

	if (!t->closing) {
		if (st->n == st->alloc) {
			st->alloc = st->alloc ? 2 * st->alloc : 8;
			st->v = xrealloc(st->v, st->alloc * sizeof(*st->v));
		}
		st->v[st->n++] = (struct html_open){ off, t->len, t->name_len };
		return;
	}
	/* A stray closing tag closes nothing; Telegram would have said so. */
	for (size_t i = st->n; i-- > 0;) {
		const struct html_open *o = &st->v[i];
		if (o->name_len == t->name_len && html_name_equal(html + o->off + 1, name, t->name_len)) {
			st->n = i;
			return;
		}
	}
}

/* The kind of break a whitespace run starting at html + p makes. */
static enum html_break html_run_kind(const char *html, size_t p)
{
	struct html_tok t;
	int newlines = 0;

	for (; html[p]; p += t.len) {
		html_next(&t, html + p);
		if (t.kind != HTML_TAG && !t.space)
			break;
		newlines += t.newline;
	}
	return newlines >= 2 ? BREAK_BLANK : newlines == 1 ? BREAK_NEWLINE : BREAK_SPACE;
}

/* Skips the whitespace and tags that would start a part, keeping the tags open. */
static size_t html_skip_space(struct html_stack *st, const char *html, size_t p)
{
	struct html_tok t;

	for (; html[p]; p += t.len) {
		html_next(&t, html + p);
		if (t.kind == HTML_TAG)
			html_stack_apply(st, html, p, &t);
		else if (!t.space)
			break;
	}
	return p;
}

/*
 * Where the part starting at html + pos ends. A break at whitespace is at
 * the start of the run, so neither part carries it; closing tags right
 * after the break stay in the part they close, opening tags go to the next.
 */
static size_t html_cut(const char *html, size_t pos, size_t limit)
{
	size_t best[BREAK_KINDS];
	bool have[BREAK_KINDS] = { false };
	size_t w = 0, p = pos, text_end = pos;
	bool after_text = false;
	struct html_tok t;

	for (; html[p]; p += t.len) {
		html_next(&t, html + p);
		if (t.kind == HTML_TAG)
			continue;
		if (t.space && after_text && 2 * w >= limit) {
			enum html_break k = html_run_kind(html, p);
			best[k] = text_end;
			have[k] = true;
		}
		/* A first character too wide for the limit still makes a part. */
		if (w + t.width > limit && w > 0)
			break;
		w += t.width;
		text_end = p + t.len;
		after_text = !t.space;
	}
	if (!html[p])
		return p;

	size_t end = text_end;
	for (int k = 0; k < BREAK_KINDS; k++) {
		if (have[k]) {
			end = best[k];
			break;
		}
	}
	for (; html[end]; end += t.len) {
		html_next(&t, html + end);
		if (t.kind != HTML_TAG || !t.closing)
			break;
	}
	return end;
}

int html_split(const char *html, size_t limit,
	       int (*fn)(const char *part, size_t len, void *arg), void *arg)
{
	size_t total = strlen(html);

	if (html_text_length(html) <= limit)
		return fn(html, total, arg);

	struct html_stack st = { NULL, 0, 0 };
	/* A part is its text plus reopened and closing tags: under 4x the message. */
	struct buf part = BUF_INIT(4 * total + 64);
	struct html_tok t;
	size_t pos = 0;
	int rc = 0;

	while (html[pos]) {
		if (pos > 0) {
			pos = html_skip_space(&st, html, pos);
			if (!html[pos])
				break;
		}
		size_t end = html_cut(html, pos, limit);

		buf_reset(&part);
		for (size_t i = 0; i < st.n; i++)
			buf_add(&part, html + st.v[i].off, st.v[i].len);
		buf_add(&part, html + pos, end - pos);
		for (size_t p = pos; p < end; p += t.len) {
			html_next(&t, html + p);
			if (t.kind == HTML_TAG)
				html_stack_apply(&st, html, p, &t);
		}
		for (size_t i = st.n; i-- > 0;)
			buf_printf(&part, "</%.*s>", (int)st.v[i].name_len, html + st.v[i].off + 1);
		if (part.failed) {
			rc = TD_ENOMEM;
			goto done;
		}
		rc = fn(buf_cstr(&part), part.len, arg);
		if (rc)
			goto done;
		pos = end;
	}
done:
	free(st.v);
	buf_release(&part);
	return rc;
}

/*
 * Appends the character the entity s[0..len) stands for: one of the named
 * entities Telegram knows, or a numeric one naming a valid code point
 * (not 0, not a surrogate, at most U+10FFFF). Anything else stays as written.
 */
static void html_entity_text(struct buf *out, const char *s, size_t len, uint32_t cp)
{
	static const struct { const char *entity, *ch; } named[] = {
		{ "&lt;", "<" }, { "&gt;", ">" }, { "&amp;", "&" }, { "&quot;", "\"" },
	};
	char enc[4];
	size_t n;

	if (s[1] == '#') {
		if (cp && (n = utf8_encode(enc, cp)) > 0) {
			buf_add(out, enc, n);
			return;
		}
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
			if (strlen(named[i].entity) == len && !memcmp(s, named[i].entity, len)) {
				buf_puts(out, named[i].ch);
				return;
			}
		}
	}
	buf_add(out, s, len);
}

void html_to_text(struct buf *out, const char *html)
{
	unsigned width;
	uint32_t cp;
	size_t n;

	for (const char *p = html; *p;) {
		if (*p == '<') {
			const char *end = strchr(p, '>');
			p = end ? end + 1 : p + strlen(p);
		} else if (*p == '&' && (n = html_entity(p, &width, &cp)) > 0) {
			html_entity_text(out, p, n, cp);
			p += n;
		} else {
			buf_putc(out, *p++);
		}
	}
}
