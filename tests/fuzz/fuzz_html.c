/*
 * fuzz_html.c - the HTML escaper, length counter, splitter and plain-text
 * fallback (core/html.c).
 *
 * The first byte picks the split limit (1 to 256), the rest is text. The
 * raw text goes through every function as Telegram's HTML might (memory
 * safety only: html_split() promises nothing for invalid markup but one
 * part per call, each NUL-terminated at its length). Then a valid message
 * is built from it as our templates do (html_escape() inside <b>, <a
 * href> and <i>) and html_split() must keep html.h's promises: every part
 * within the limit (a lone 2-unit character may exceed a limit of 1), its
 * tags balanced, and no text lost but the whitespace at the breaks.
 */
#include "core/buf.h"
#include "core/html.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_HTML_CAP (1u << 20)

struct parts {
	size_t limit;
	bool check;        /* the message is valid: check the promises */
	struct buf text;   /* the parts' plain text, whitespace dropped */
	unsigned n;
};

/* Appends html's plain text without whitespace to out. */
static void text_without_space(struct buf *out, const char *html)
{
	struct buf text = BUF_INIT(FUZZ_HTML_CAP);
	html_to_text(&text, html);
	for (const char *p = buf_cstr(&text); *p; p++)
		if (!strchr(" \t\r\n", *p))
			buf_putc(out, *p);
	buf_release(&text);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int on_part(const char *part, size_t len, void *arg)
{
	struct parts *ps = arg;
	if (strlen(part) != len)
		fuzz_fail("part %u: length %zu, but NUL at %zu", ps->n, len, strlen(part));
	ps->n++;
	if (!ps->check)
		return 0;
	size_t w = html_text_length(part);
	if (w > ps->limit && !(ps->limit < 2 && w == 2))
		fuzz_fail("part %u counts %zu, limit %zu: '%s'", ps->n, w, ps->limit, part);
	static const char *const tags[][2] = { { "<b>", "</b>" }, { "<a href=", "</a>" }, { "<i>", "</i>" } };
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++)
		if (count(part, tags[i][0]) != count(part, tags[i][1]))
			fuzz_fail("part %u: unbalanced %s: '%s'", ps->n, tags[i][0], part);
	text_without_space(&ps->text, part);
	return 0;
}

static void split_valid(const char *raw, size_t limit)
{
	struct buf esc = BUF_INIT(FUZZ_HTML_CAP), msg = BUF_INIT(FUZZ_HTML_CAP),
		   whole = BUF_INIT(FUZZ_HTML_CAP);
	struct parts ps = { .limit = limit, .check = true, .text = BUF_INIT(FUZZ_HTML_CAP) };

	if (html_escape(&esc, raw))
		fuzz_fail("html_escape ran out of room");
	if (!utf8_valid(buf_cstr(&esc), esc.len))
		fuzz_fail("html_escape gave invalid UTF-8");
	buf_printf(&msg, "<b>%s</b> <a href=\"https://t.me/x?a=1&amp;b=%s\">%s</a>\n\n<i>%s</i>",
		   buf_cstr(&esc), buf_cstr(&esc), buf_cstr(&esc), buf_cstr(&esc));
	if (msg.failed)
		goto done;
	if (html_split(buf_cstr(&msg), limit, on_part, &ps))
		fuzz_fail("html_split failed on a valid message");
	text_without_space(&whole, buf_cstr(&msg));
	if (whole.len != ps.text.len || memcmp(buf_cstr(&whole), buf_cstr(&ps.text), whole.len))
		fuzz_fail("the parts' text differs from the message's: '%s' vs '%s'",
			  buf_cstr(&ps.text), buf_cstr(&whole));
done:
	buf_release(&esc);
	buf_release(&msg);
	buf_release(&whole);
	buf_release(&ps.text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t limit = 1 + (size_t)data[0];
	char *raw = fuzz_cstr(data + 1, size - 1);
	struct parts ps = { .limit = limit, .text = BUF_INIT(FUZZ_HTML_CAP) };
	struct buf text = BUF_INIT(FUZZ_HTML_CAP);

	(void)html_text_length(raw);
	html_to_text(&text, raw);
	if (html_split(raw, limit, on_part, &ps) == TD_ENOMEM)
		fuzz_fail("html_split ran out of room");
	split_valid(raw, limit);
	buf_release(&text);
	buf_release(&ps.text);
	free(raw);
	return 0;
}
