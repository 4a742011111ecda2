/*
 * words.c - the words of a letter: plain text cleaned, HTML made text,
 * the new words of a reply cut from its history; see words.h.
 */
#include <strings.h>

#include "mail/words.h"

/* A piece of a text, borrowed: not NUL-terminated. */
struct span {
	const char *s;
	size_t n;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where a text's lines end: spans over s, no '\n' inside; free() the array. */
static struct span *split_lines(const char *s, size_t n, size_t *count)
{
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += s[i] == '\n';
	struct span *l = xcalloc(lines, sizeof(*l));
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == '\n') {
			l[k++] = (struct span){ s + start, i - start };
			start = i + 1;
		}
	*count = k;
	return l;
}

/* The line without spaces, tabs and no-break spaces (U+00A0) at its ends. */
static struct span trim(struct span l)
{
	for (;;) {
		if (l.n && is_blank(l.s[0]))
			l.s++, l.n--;
		else if (l.n >= 2 && (unsigned char)l.s[0] == 0xC2 && (unsigned char)l.s[1] == 0xA0)
			l.s += 2, l.n -= 2;
		else
			break;
	}
	for (;;) {
		if (l.n && is_blank(l.s[l.n - 1]))
			l.n--;
		else if (l.n >= 2 && (unsigned char)l.s[l.n - 2] == 0xC2 && (unsigned char)l.s[l.n - 1] == 0xA0)
			l.n -= 2;
		else
			break;
	}
	return l;
}

/* ASCII letters compare without case; Cyrillic words are matched as clients write them. */
static bool starts_with(struct span l, const char *prefix)
{
	size_t k = strlen(prefix);
	return l.n >= k && strncasecmp(l.s, prefix, k) == 0;
}

static bool ends_with(struct span l, const char *suffix)
{
	size_t k = strlen(suffix);
	return l.n >= k && strncasecmp(l.s + l.n - k, suffix, k) == 0;
}

static bool equals(struct span l, const char *word)
{
	return l.n == strlen(word) && strncasecmp(l.s, word, l.n) == 0;
}

static bool has_digit(struct span l)
{
	for (size_t i = 0; i < l.n; i++)
		if (l.s[i] >= '0' && l.s[i] <= '9')
			return true;
	return false;
}

/* Whether l holds a time of day, "10:15": every client's attribution does. */
static bool has_time(struct span l)
{
	for (size_t i = 0; i + 3 < l.n; i++)
		if (l.s[i] >= '0' && l.s[i] <= '9' && l.s[i + 1] == ':' && l.s[i + 2] >= '0' &&
		    l.s[i + 2] <= '5' && l.s[i + 3] >= '0' && l.s[i + 3] <= '9')
			return true;
	return false;
}

/* ---- plain text ---- */

/* Line ends to "\n", NULs and control characters but the tab dropped. */
static void clean_controls(struct buf *out, const char *s, size_t n)
{
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3, n -= 3;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r') {
			buf_putc(out, '\n');
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7F)) {
			buf_putc(out, (char)c);
		}
	}
}

/*
 * RFC 3676: a line ending in a space goes on in the next one of the same
 * quote depth. The first line of a paragraph keeps its quote marks, the
 * following ones lose theirs and their stuffing space, so the text never
 * grows.
 */
static void unflow(struct buf *out, const char *s, size_t n, bool delsp)
{
	size_t count;
	struct span *lines = split_lines(s, n, &count);
	bool joining = false;
	size_t depth_joined = 0;

	for (size_t i = 0; i < count; i++) {
		struct span l = lines[i];
		size_t depth = 0;
		while (depth < l.n && l.s[depth] == '>')
			depth++;
		size_t body = depth < l.n && l.s[depth] == ' ' ? depth + 1 : depth;
		struct span content = { l.s + body, l.n - body };
		bool sig = equals(content, "-- ");
		bool flowed = !sig && content.n && content.s[content.n - 1] == ' ';

		if (joining && depth == depth_joined) {
			buf_add(out, content.s, content.n);
		} else {
			if (joining)
				buf_putc(out, '\n');
			buf_add(out, l.s, l.n);
		}
		if (flowed) {
			if (delsp && out->len)
				out->data[--out->len] = '\0';
			joining = true;
			depth_joined = depth;
		} else {
			buf_putc(out, '\n');
			joining = false;
		}
	}
	free(lines);
}

/* Each line without spaces at its end; no blank line first or last. */
static void trim_lines(struct buf *out, const char *s, size_t n)
{
	size_t count, blank = 0;
	bool started = false;
	struct span *lines = split_lines(s, n, &count);
	for (size_t i = 0; i < count; i++) {
		struct span l = lines[i], t = trim(l);
		if (!t.n) {
			blank += started;
			continue;
		}
		for (; blank; blank--)
			buf_putc(out, '\n');
		if (started)
			buf_putc(out, '\n');
		/* The indent stays (a table, a stuffed line); the end goes. */
		buf_add(out, l.s, (size_t)(t.s - l.s) + t.n);
		started = true;
	}
	free(lines);
}

void mail_plain_text(struct buf *out, const char *s, size_t n, bool flowed, bool delsp)
{
	/* Every step below writes no more than it reads: out's cap is never passed. */
	size_t room = out->cap > out->len ? out->cap - out->len : 0;
	struct buf a = BUF_INIT(room), b = BUF_INIT(room);
	if (n > room)
		n = utf8_cut(s, room);
	clean_controls(&a, s, n);
	if (flowed) {
		unflow(&b, buf_cstr(&a), a.len, delsp);
		trim_lines(out, buf_cstr(&b), b.len);
	} else {
		trim_lines(out, buf_cstr(&a), a.len);
	}
	buf_release(&a);
	buf_release(&b);
}

/* ---- HTML ---- */

struct entity {
	const char *name;
	uint32_t cp;
};

/* The entities mail clients write; any other is left as written. 0: nothing. */
static const struct entity entities[] = {
	{ "nbsp", ' ' }, { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "laquo", 0xAB }, { "raquo", 0xBB }, { "mdash", 0x2014 },
	{ "ndash", 0x2013 }, { "hellip", 0x2026 }, { "copy", 0xA9 }, { "reg", 0xAE },
	{ "trade", 0x2122 }, { "euro", 0x20AC }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
	{ "sbquo", 0x201A }, { "ldquo", 0x201C }, { "rdquo", 0x201D }, { "bdquo", 0x201E },
	{ "bull", 0x2022 }, { "middot", 0xB7 }, { "deg", 0xB0 }, { "plusmn", 0xB1 },
	{ "times", 0xD7 }, { "divide", 0xF7 }, { "numero", 0x2116 }, { "sect", 0xA7 },
	{ "para", 0xB6 }, { "cent", 0xA2 }, { "pound", 0xA3 }, { "yen", 0xA5 },
	{ "ensp", ' ' }, { "emsp", ' ' }, { "thinsp", ' ' }, { "minus", 0x2212 },
	{ "shy", 0 }, { "zwnj", 0 }, { "zwj", 0 }, { "lrm", 0 }, { "rlm", 0 },
};

/*
 * The entity at s[0] == '&' (n bytes left): its length, and its code
 * point in *cp (0: stands for nothing); 0 when it is none we know.
 */
static size_t entity_at(const char *s, size_t n, uint32_t *cp)
{
	size_t i = 1;
	if (i < n && s[i] == '#') {
		bool hex = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
		uint32_t v = 0;
		size_t digits = 0;
		for (i += hex ? 2 : 1; i < n; i++, digits++) {
			int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
				: hex && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
				: hex && s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
			if (d < 0)
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16 : 10) + (uint32_t)d;
		}
		if (!digits)
			return 0;
		char dummy[4];
		*cp = utf8_encode(dummy, v) && v != 0 ? v : 0xFFFD;
		return i < n && s[i] == ';' ? i + 1 : i;
	}
	for (size_t k = 0; k < ARRAY_SIZE(entities); k++) {
		size_t len = strlen(entities[k].name);
		if (len + 1 < n && memcmp(s + 1, entities[k].name, len) == 0 && s[len + 1] == ';') {
			*cp = entities[k].cp;
			return len + 2;
		}
	}
	return 0;
}

/* Index of the first case-insensitive occurrence of needle in s[from..n), or n. */
static size_t find_ci(const char *s, size_t n, size_t from, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = from; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return i;
	return n;
}

/*
 * The '>' that ends the tag opening at s[i], or n. Quoted attribute
 * values are skipped while *quotes holds; a quote never closed clears it
 * (the first '>' ends a tag from then on, as a browser recovers), so no
 * text is scanned to its end more than once.
 */
static size_t tag_end(const char *s, size_t n, size_t i, bool *quotes)
{
	char quote = 0;
	for (size_t j = i + 1; j < n && *quotes; j++) {
		if (quote) {
			if (s[j] == quote)
				quote = 0;
		} else if (s[j] == '"' || s[j] == '\'') {
			quote = s[j];
		} else if (s[j] == '>') {
			return j;
		}
	}
	*quotes = false;
	const char *gt = memchr(s + i, '>', n - i);
	return gt ? (size_t)(gt - s) : n;
}

/* The text of an HTML body as it is written out. */
struct html_text {
	struct buf *out;
	unsigned quote;     /* blockquotes open */
	unsigned pre;       /* <pre> open: whitespace as written */
	bool line_start;    /* nothing written on this line yet */
	bool space;         /* whitespace seen since the last word */
};

/* Quote marks beyond this depth add nothing the cut needs. */
#define QUOTE_MARKS_MAX 4

static void html_words(struct html_text *h, const char *s, size_t n)
{
	if (h->line_start) {
		if (h->quote) {
			for (unsigned i = 0; i < h->quote && i < QUOTE_MARKS_MAX; i++)
				buf_putc(h->out, '>');
			buf_putc(h->out, ' ');
		}
	} else if (h->space) {
		buf_putc(h->out, ' ');
	}
	buf_add(h->out, s, n);
	h->line_start = h->space = false;
}

static void html_newline(struct html_text *h)
{
	buf_putc(h->out, '\n');
	h->line_start = true;
	h->space = false;
}

/* A block starts or ends: the text goes on at the start of a line. */
static void html_block(struct html_text *h)
{
	if (!h->line_start)
		html_newline(h);
}

static bool is_block(const char *name)
{
	static const char *const blocks[] = {
		"p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
		"hr", "dl", "dt", "dd", "address", "center", "section", "article", "header",
		"footer", "form", "fieldset", "caption", "nav", "aside", "main", "figure", "body",
	};
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++)
		if (strcmp(name, blocks[i]) == 0)
			return true;
	return false;
}

/* How far the markup can be trusted, so that each search runs once. */
struct html_scan {
	bool missing[4];   /* style, script, head, title: no closing tag further on */
	bool quotes;       /* attribute values' quotes all close */
};

/*
 * Handles the tag at s[i] ('<' followed by a letter or '/') ending at
 * s[end] == '>'; returns where the text goes on.
 */
static size_t html_tag(struct html_text *h, struct html_scan *sk, const char *s, size_t n,
		       size_t i, size_t end)
{
	static const char *const skipped[] = { "style", "script", "head", "title" };
	char name[16];
	size_t k = 0, j = i + 1;
	bool closing = s[j] == '/';
	j += closing;
	while (j < end && k + 1 < sizeof(name) &&
	       ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') || (s[j] >= '0' && s[j] <= '9')))
		name[k++] = (char)(s[j++] | 0x20);
	name[k] = '\0';

	if (!closing)
		for (size_t e = 0; e < ARRAY_SIZE(skipped); e++) {
			if (strcmp(name, skipped[e]) || sk->missing[e])
				continue;
			char close[16];
			snprintf(close, sizeof(close), "</%s", skipped[e]);
			size_t at = find_ci(s, n, end + 1, close);
			if (at < n) {
				size_t gt = tag_end(s, n, at, &sk->quotes);
				return gt < n ? gt + 1 : n;
			}
			sk->missing[e] = true;
			/* A style or script never closed hides the rest, as in a browser; a head does not. */
			if (e < 2)
				return n;
		}
	if (strcmp(name, "br") == 0) {
		html_newline(h);
	} else if (strcmp(name, "blockquote") == 0) {
		html_block(h);
		if (closing)
			h->quote -= h->quote > 0;
		else
			h->quote++;
	} else if (strcmp(name, "pre") == 0) {
		html_block(h);
		if (closing)
			h->pre -= h->pre > 0;
		else
			h->pre++;
	} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		h->space = true;
	} else if (is_block(name)) {
		html_block(h);
	}
	return end + 1;
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

void mail_html_text(struct buf *out, const char *s, size_t n)
{
	/* The quote marks at most double the text: each line costs a tag of 3 bytes or more. */
	struct buf text = BUF_INIT(2 * n + 16);
	struct html_text h = { .out = &text, .line_start = true };
	struct html_scan sk = { .quotes = true };
	size_t i = 0;

	while (i < n) {
		char c = s[i], next = i + 1 < n ? s[i + 1] : '\0';
		if (c == '<' && next == '!') {
			/* A comment (Outlook's conditional ones too) or a declaration. */
			size_t e = i + 3 < n && s[i + 2] == '-' && s[i + 3] == '-'
					   ? find_ci(s, n, i + 4, "-->") + 2 : tag_end(s, n, i, &sk.quotes);
			i = e < n ? e + 1 : n;
		} else if (c == '<' && next == '?') {
			size_t e = tag_end(s, n, i, &sk.quotes);
			i = e < n ? e + 1 : n;
		} else if (c == '<' && (is_letter(next) || (next == '/' && i + 2 < n && is_letter(s[i + 2])))) {
			size_t e = tag_end(s, n, i, &sk.quotes);
			i = e < n ? html_tag(&h, &sk, s, n, i, e) : n;
		} else if (c == '&') {
			uint32_t cp = 0;
			size_t len = entity_at(s + i, n - i, &cp);
			if (!len) {
				html_words(&h, "&", 1);
				i++;
				continue;
			}
			char u[4];
			size_t ulen = cp ? utf8_encode(u, cp) : 0;
			/* A no-break space is kept where it stands, not folded with the others. */
			if (cp == ' ' && !h.line_start)
				buf_putc(&text, ' ');
			else if (ulen && cp != ' ')
				html_words(&h, u, ulen);
			i += len;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
			if (h.pre && c == '\n')
				html_newline(&h);
			else if (h.pre && c != '\r')
				html_words(&h, &c, 1);
			else
				h.space = true;
			i++;
		} else {
			/* A run of text up to the next markup or whitespace. */
			size_t j = i + 1;
			while (j < n && s[j] && !strchr("<&\t\r\n\f ", s[j]))
				j++;
			if (c)
				html_words(&h, s + i, j - i);
			i = j;
		}
	}
	mail_plain_text(out, buf_cstr(&text), text.len, false, false);
	buf_release(&text);
}

/* ---- the new words ---- */

/* "-- " (RFC 3676), its space gone with the others at the line's end. */
static bool is_signature(struct span t)
{
	return equals(t, "--");
}

/* A dashed title line: "-----Original Message-----", "---- Пересылаемое сообщение ----". */
static bool dashed_title(struct span t, const char *const *titles, size_t count)
{
	size_t dashes = 0;
	while (t.n && (t.s[0] == '-' || t.s[0] == ' ')) {
		dashes += t.s[0] == '-';
		t.s++, t.n--;
	}
	while (t.n && (t.s[t.n - 1] == '-' || t.s[t.n - 1] == ' '))
		t.n--;
	if (dashes < 2)
		return false;
	for (size_t i = 0; i < count; i++)
		if (equals(t, titles[i]))
			return true;
	return false;
}

static bool is_separator(struct span t)
{
	static const char *const titles[] = {
		"Original Message", "Исходное сообщение", "Ursprüngliche Nachricht", "Reply message",
	};
	return dashed_title(t, titles, ARRAY_SIZE(titles));
}

static bool is_forward(struct span t)
{
	static const char *const titles[] = {
		"Forwarded message", "Пересылаемое сообщение", "Пересланное сообщение",
		"Переадресованное сообщение", "Weitergeleitete Nachricht",
	};
	return dashed_title(t, titles, ARRAY_SIZE(titles)) || equals(t, "Begin forwarded message:");
}

/* "From:", "*От:*": the line starts with one of labels, bold marks allowed. */
static bool labelled(struct span t, const char *const *labels, size_t count)
{
	while (t.n && t.s[0] == '*')
		t.s++, t.n--;
	for (size_t i = 0; i < count; i++)
		if (starts_with(t, labels[i]))
			return true;
	return false;
}

/* Outlook's history header: "From: ..." with "Sent: ..." (or Date) a few lines under it. */
static bool is_outlook_block(const struct span *lines, size_t count, size_t i)
{
	static const char *const from[] = { "From:", "От:", "От кого:" };
	static const char *const sent[] = { "Sent:", "Date:", "Отправлено:", "Дата:" };
	if (!labelled(trim(lines[i]), from, ARRAY_SIZE(from)))
		return false;
	for (size_t k = i + 1; k < count && k <= i + 4; k++)
		if (labelled(trim(lines[k]), sent, ARRAY_SIZE(sent)))
			return true;
	return false;
}

/*
 * One attribution line: "On <date>, <name> wrote:", "<date>, <name> <addr>:",
 * "<date> <time>, <name> пишет:". A verb's line needs the time: «Касса 2
 * пишет:» is a cashier's, above what the till shows.
 */
static bool attribution(struct span t)
{
	static const char *const verbs[] = {
		"wrote:", "пишет:", "написал:", "написала:", "написал(а):", "schrieb:",
	};
	if (!t.n || t.n > 400 || t.s[t.n - 1] != ':')
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (ends_with(t, verbs[i]))
			return has_time(t) || starts_with(t, "On ");
	return ends_with(t, ">:") && has_digit(t) && memchr(t.s, '@', t.n);
}

/*
 * Whether an attribution ends at line i; *start is its first line (Gmail
 * wraps a long one after "<": "On ..., Ivan <" / "ivan@x.ru> wrote:").
 */
static bool attribution_at(const struct span *lines, size_t i, size_t *start)
{
	struct span t = trim(lines[i]);
	if (!t.n || t.s[t.n - 1] != ':')
		return false;
	if (attribution(t)) {
		*start = i;
		return true;
	}
	if (i == 0)
		return false;
	struct span prev = trim(lines[i - 1]);
	if (!prev.n || !(starts_with(prev, "On ") || prev.s[prev.n - 1] == '<'))
		return false;
	char joined[512];
	if (prev.n + 1 + t.n >= sizeof(joined))
		return false;
	memcpy(joined, prev.s, prev.n);
	joined[prev.n] = ' ';
	memcpy(joined + prev.n + 1, t.s, t.n);
	if (!attribution((struct span){ joined, prev.n + 1 + t.n }))
		return false;
	*start = i - 1;
	return true;
}

/* Whether the line holds word, ASCII letters compared without case. */
static bool contains(struct span t, const char *word)
{
	size_t k = strlen(word);
	for (size_t i = 0; i + k <= t.n; i++)
		if (strncasecmp(t.s + i, word, k) == 0)
			return true;
	return false;
}

/* A phone's or an app's own line: "Sent from my iPhone", «Отправлено из мобильной Почты Mail.ru». */
static bool is_device_line(struct span t)
{
	static const char *const starts[] = {
		"Sent from ", "Отправлено с ", "Отправлено из ", "Get Outlook for ", "Скачайте Outlook",
	};
	static const char *const makers[] = {
		"iPhone", "iPad", "Android", "Mail.ru", "Яндекс", "Yandex", "Outlook", "мобильн",
		"mobile", "Samsung", "Galaxy", "Huawei", "Xiaomi",
	};
	bool start = false, maker = false;
	if (t.n > 120)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(starts); i++)
		start = start || starts_with(t, starts[i]);
	for (size_t i = 0; i < ARRAY_SIZE(makers) && start; i++)
		maker = maker || contains(t, makers[i]);
	return start && maker;
}

static bool is_quote(struct span t)
{
	return t.n && t.s[0] == '>';
}

/* Whether the next line with words after line i is a quote. */
static bool quote_follows(const struct span *lines, size_t count, size_t i)
{
	for (size_t k = i + 1; k < count; k++) {
		struct span t = trim(lines[k]);
		if (t.n)
			return is_quote(t);
	}
	return false;
}

/* A rule of underscores or dashes alone (Outlook's line above "From:"). */
static bool is_rule(struct span t)
{
	if (t.n < 2)
		return false;
	for (size_t i = 0; i < t.n; i++)
		if (t.s[i] != '_' && t.s[i] != '-')
			return false;
	return true;
}

void mail_new_words(struct buf *out, const char *text)
{
	size_t count, end, start;
	struct span *lines = split_lines(text, strlen(text), &count);
	bool *drop = xcalloc(count, sizeof(*drop));

	for (end = 0; end < count; end++) {
		struct span t = trim(lines[end]);
		if (is_forward(t)) {
			end = count;
			break;
		}
		if (is_quote(t) || is_device_line(t)) {
			drop[end] = true;
			continue;
		}
		if (is_signature(t) || is_separator(t) || is_outlook_block(lines, count, end))
			break;
		if (attribution_at(lines, end, &start)) {
			if (!quote_follows(lines, count, end)) {
				end = start;
				break;
			}
			for (size_t k = start; k <= end; k++)
				drop[k] = true;
		}
	}
	while (end > 0 && (drop[end - 1] || !trim(lines[end - 1]).n || is_rule(trim(lines[end - 1]))))
		end--;

	size_t before = out->len;
	bool blank = false, started = false;
	for (size_t i = 0; i < end; i++) {
		if (drop[i])
			continue;
		if (!trim(lines[i]).n) {
			blank = started;
			continue;
		}
		if (started)
			buf_puts(out, blank ? "\n\n" : "\n");
		buf_add(out, lines[i].s, lines[i].n);
		blank = false;
		started = true;
	}
	if (out->len == before)
		buf_puts(out, text);
	free(drop);
	free(lines);
}

void mail_utf8_scrub(struct buf *out, const char *s, size_t n)
{
	bool bad = false;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t len = utf8_decode((const unsigned char *)s + i, n - i, &cp);
		if (len && cp) {
			buf_add(out, s + i, len);
			bad = false;
			i += len;
			continue;
		}
		if (s[i] && !bad)
			buf_puts(out, "\xEF\xBF\xBD");
		bad = s[i] != '\0';
		i++;
	}
}

size_t mail_text_cut(const char *s, size_t n, size_t max)
{
	return n <= max ? n : utf8_cut(s, max);
}
