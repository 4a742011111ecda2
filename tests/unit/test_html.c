/* Unit tests: escaping for Telegram HTML, its text length, and splitting long messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/common.h"
#include "core/buf.h"
#include "core/html.h"

#define FFFD "\xEF\xBF\xBD"
#define EMOJI "\xF0\x9F\x98\x80" /* U+1F600, a surrogate pair in UTF-16 */
#define MAX_PARTS 256

/* ---- helpers ---- */

static char *escaped(const char *s)
{
	struct buf b = BUF_INIT(1 << 16);
	assert_int_equal(html_escape(&b, s), 0);
	return buf_detach(&b);
}

static void assert_escapes(const char *s, const char *want)
{
	char *got = escaped(s);
	assert_string_equal(got, want);
	assert_true(utf8_valid(got, strlen(got)));
	free(got);
}

struct parts {
	char *v[MAX_PARTS];
	const char *ptr[MAX_PARTS]; /* the pointer fn was given */
	size_t n;
	int fail_at;                /* fn returns 7 for this part (1-based); 0 never */
};

static int collect(const char *part, size_t len, void *arg)
{
	struct parts *ps = arg;
	assert_int_equal(strlen(part), len);
	assert_true(ps->n < MAX_PARTS);
	ps->ptr[ps->n] = part;
	ps->v[ps->n++] = xstrdup(part);
	return ps->fail_at && (int)ps->n == ps->fail_at ? 7 : 0;
}

static void parts_free(struct parts *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		free(ps->v[i]);
	ps->n = 0;
}

static void split(struct parts *ps, const char *html, size_t limit)
{
	memset(ps, 0, sizeof(*ps));
	assert_int_equal(html_split(html, limit, collect, ps), 0);
}

/*
 * A part must be valid Telegram HTML on its own: every tag whole and
 * balanced, every '&' a whole entity, UTF-8 whole, within the limit.
 */
static void assert_part_valid(const char *part, size_t limit)
{
	char open[16][16];
	size_t depth = 0;

	assert_true(utf8_valid(part, strlen(part)));
	assert_true(html_text_length(part) <= limit);
	for (const char *p = part; *p; p++) {
		if (*p == '&') {
			const char *e = p + 1;
			while (*e && *e != ';' && *e != '&' && *e != '<' && *e != ' ')
				e++;
			assert_true(*e == ';' && e > p + 1);
			p = e;
		} else if (*p == '<') {
			bool closing = p[1] == '/';
			const char *name = p + 1 + closing, *gt = strchr(p, '>');
			size_t n = strcspn(name, " >");
			assert_non_null(gt);
			assert_true(n > 0 && n < 16);
			if (closing) {
				assert_true(depth > 0);
				depth--;
				assert_int_equal(strlen(open[depth]), n);
				assert_memory_equal(open[depth], name, n);
			} else {
				assert_true(depth < 16);
				memcpy(open[depth], name, n);
				open[depth++][n] = '\0';
			}
			p = gt;
		} else {
			assert_int_not_equal(*p, '>');
		}
	}
	assert_int_equal(depth, 0);
}

/*
 * Joins the parts, removing at each join the tags the split added (the
 * closing "</x>" that ends one part against the "<x ...>" reopening it at
 * the start of the next), and checks the result is the original with only
 * the whitespace at the joins missing. The original must never have
 * "</x>" directly against "<x" at a join.
 */
static void assert_rejoins(const struct parts *ps, const char *orig)
{
	struct buf acc = BUF_INIT(1 << 20);
	size_t joins[MAX_PARTS];

	for (size_t i = 0; i < ps->n; i++) {
		const char *p = ps->v[i];

		while (i > 0 && acc.len > 0 && acc.data[acc.len - 1] == '>') {
			size_t lt = acc.len - 1;
			while (lt > 0 && acc.data[lt] != '<')
				lt--;
			if (acc.data[lt + 1] != '/')
				break;
			const char *name = acc.data + lt + 2;
			size_t n = acc.len - 1 - (lt + 2);
			if (p[0] != '<' || strncmp(p + 1, name, n) != 0 ||
			    (p[1 + n] != '>' && p[1 + n] != ' '))
				break;
			acc.len = lt;
			acc.data[lt] = '\0';
			p = strchr(p, '>') + 1;
		}
		joins[i] = acc.len;
		assert_int_equal(buf_puts(&acc, p), 0);
	}

	const char *a = buf_cstr(&acc);
	size_t i = 0, j = 0, k = 1;
	for (;;) {
		if (k < ps->n && j == joins[k]) {
			while (orig[i] == ' ' || orig[i] == '\n')
				i++;
			k++;
			continue;
		}
		if (!a[j])
			break;
		if (orig[i] != a[j])
			fail_msg("rejoined text differs at byte %zu of the original: \"%.40s\" vs \"%.40s\"",
				 i, orig + i, a + j);
		i++;
		j++;
	}
	assert_int_equal(orig[i], '\0');
	buf_release(&acc);
}

/* ---- escaping ---- */

static void test_html__escape_replaces_the_five_special_characters(void **state)
{
	(void)state;
	assert_escapes("&", "&amp;");
	assert_escapes("<", "&lt;");
	assert_escapes(">", "&gt;");
	assert_escapes("\"", "&quot;");
	assert_escapes("'", "&#39;");
	assert_escapes("<a href=\"x\">Tom & 'Jerry'</a>",
		       "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
	assert_escapes("&amp;", "&amp;amp;");
	assert_escapes("", "");
}

static void test_html__escape_leaves_cyrillic_and_emoji_untouched(void **state)
{
	(void)state;
	assert_escapes("Касса №3 не печатает чек", "Касса №3 не печатает чек");
	assert_escapes("Ёлка " EMOJI " ok", "Ёлка " EMOJI " ok");
	assert_escapes("Ц<Р>", "Ц&lt;Р&gt;");
}

static void test_html__escape_replaces_invalid_utf8_with_fffd(void **state)
{
	(void)state;
	assert_escapes("a\xFF" "b", "a" FFFD "b");                 /* never valid */
	assert_escapes("\x80", FFFD);                             /* stray continuation */
	assert_escapes("чек\xD0", "чек" FFFD);                    /* cut off at the end */
	assert_escapes("\xE2\x82" "x", FFFD "x");                 /* one FFFD for a cut sequence */
	assert_escapes("\xC0\xAF", FFFD FFFD);                    /* overlong '/' */
	assert_escapes("\xED\xA0\x80", FFFD FFFD FFFD);           /* a UTF-16 surrogate */
	assert_escapes("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);  /* past U+10FFFF */
	assert_escapes("<\xFF>", "&lt;" FFFD "&gt;");
}

static void test_html__escape_fails_past_the_buffer_cap(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(7);

	assert_int_equal(html_escape(&b, "<<"), TD_ENOMEM);
	assert_true(b.failed);
	buf_release(&b);
	buf_init(&b, 7);
	assert_int_equal(html_escape(&b, "a&b"), 0);
	assert_string_equal(buf_cstr(&b), "a&amp;b");
	buf_release(&b);
}

/* ---- text length ---- */

static void test_html__text_length_counts_entities_as_one_and_tags_as_zero(void **state)
{
	(void)state;
	assert_int_equal(html_text_length(""), 0);
	assert_int_equal(html_text_length("<b>a&amp;b</b>"), 3);
	assert_int_equal(html_text_length("&lt;&gt;&quot;&#39;&#x27;"), 5);
	assert_int_equal(html_text_length("<a href=\"https://example.com/?a=1&amp;b=2\">ссылка</a>"), 6);
	assert_int_equal(html_text_length("<pre><code class=\"language-c\">x</code></pre>"), 1);
	assert_int_equal(html_text_length("привет"), 6);
	/* Not markup: these are characters. */
	assert_int_equal(html_text_length("a < b"), 5);
	assert_int_equal(html_text_length("R&D"), 3);
}

static void test_html__text_length_counts_an_emoji_as_two_utf16_units(void **state)
{
	(void)state;
	assert_int_equal(html_text_length(EMOJI), 2);
	assert_int_equal(html_text_length("a" EMOJI "б"), 4);
	assert_int_equal(html_text_length("&#128512;"), 2);
	assert_int_equal(html_text_length("&#x1F600;"), 2);
	assert_int_equal(html_text_length("€"), 1); /* 3-byte UTF-8, one unit */
}

/* ---- splitting ---- */

static void test_html__split_passes_a_message_exactly_at_the_limit_unchanged(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(1 << 16);
	struct parts ps;

	buf_puts(&b, "<b>Заявка</b>\n");                     /* 7 */
	for (int i = 0; i < 20; i++)
		buf_puts(&b, "&amp;" EMOJI);                 /* 20 * 3 */
	buf_puts(&b, "<i>");
	while (html_text_length(buf_cstr(&b)) < HTML_MESSAGE_LIMIT)
		buf_puts(&b, "щ");
	buf_puts(&b, "</i>");
	assert_int_equal(html_text_length(buf_cstr(&b)), HTML_MESSAGE_LIMIT);

	split(&ps, buf_cstr(&b), HTML_MESSAGE_LIMIT);
	assert_int_equal(ps.n, 1);
	assert_ptr_equal(ps.ptr[0], buf_cstr(&b));
	assert_string_equal(ps.v[0], buf_cstr(&b));
	parts_free(&ps);

	/* One character more and it no longer fits. */
	b.len -= strlen("</i>");
	buf_puts(&b, "щ</i>");
	split(&ps, buf_cstr(&b), HTML_MESSAGE_LIMIT);
	assert_int_equal(ps.n, 2);
	for (size_t i = 0; i < ps.n; i++)
		assert_part_valid(ps.v[i], HTML_MESSAGE_LIMIT);
	assert_rejoins(&ps, buf_cstr(&b));
	parts_free(&ps);
	buf_release(&b);
}

static void test_html__split_cyrillic_text_into_parts_that_rejoin_into_the_original(void **state)
{
	(void)state;
	static const char *words[] = {
		"касса", "чек", "смена", "терминал", "оплата", "возврат", "инженер",
		"заявка", "принтер", "сканер", "не", "работает", "после", "обновления",
		"Ц&amp;К", "«Эвотор»", "срочно",
	};
	struct buf b = BUF_INIT(1 << 18);
	struct parts ps;
	uint32_t seed = 12345;

	buf_puts(&b, "<b>Журнал заявок</b>\n\n");
	for (int w = 0; html_text_length(buf_cstr(&b)) < 9980; w++) {
		seed = seed * 1103515245u + 12345u;
		const char *word = words[(seed >> 16) % ARRAY_SIZE(words)];

		if (w == 100)
			buf_puts(&b, "<b>"); /* bold across the first split */
		if (w % 7 == 3)
			buf_printf(&b, "<i>%s</i>", word);
		else
			buf_puts(&b, word);
		if (w == 900)
			buf_puts(&b, "</b>");
		buf_puts(&b, w % 45 == 44 ? "\n\n" : w % 11 == 10 ? "\n" : " ");
	}
	while (html_text_length(buf_cstr(&b)) < 10000)
		buf_puts(&b, "я");
	assert_int_equal(html_text_length(buf_cstr(&b)), 10000);

	split(&ps, buf_cstr(&b), HTML_MESSAGE_LIMIT);
	assert_int_equal(ps.n, 3);
	for (size_t i = 0; i < ps.n; i++) {
		assert_part_valid(ps.v[i], HTML_MESSAGE_LIMIT);
		/* Ends at a word, starts at a word. */
		assert_true(html_text_length(ps.v[i]) > HTML_MESSAGE_LIMIT / 2 || i == ps.n - 1);
		assert_false(ps.v[i][0] == ' ' || ps.v[i][0] == '\n');
	}
	/* The first break falls inside the long bold stretch. */
	assert_true(strlen(ps.v[0]) > 4 && strcmp(ps.v[0] + strlen(ps.v[0]) - 4, "</b>") == 0);
	assert_memory_equal(ps.v[1], "<b>", 3);
	assert_rejoins(&ps, buf_cstr(&b));
	parts_free(&ps);
	buf_release(&b);
}

static void test_html__split_never_lands_inside_an_entity_or_a_tag(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(1 << 16);
	struct parts ps;

	/* No spaces at all, so every break is a hard one. */
	for (int i = 0; i < 12; i++)
		buf_puts(&b, "ж&amp;<b>жж</b>&lt;<a href=\"https://example.com/?a=1&amp;b=2\">ссылка</a>&#128512;");
	for (size_t limit = 1; limit <= 40; limit++) {
		split(&ps, buf_cstr(&b), limit);
		assert_true(ps.n > 1);
		for (size_t i = 0; i < ps.n; i++) {
			/* A lone 2-unit character may exceed a limit of 1. */
			assert_part_valid(ps.v[i], limit < 2 ? 2 : limit);
			assert_true(html_text_length(ps.v[i]) > 0);
		}
		assert_rejoins(&ps, buf_cstr(&b));
		parts_free(&ps);
	}
	buf_release(&b);
}

static void test_html__split_reopens_bold_in_the_next_part(void **state)
{
	(void)state;
	struct parts ps;

	split(&ps, "<b>один два три</b>", 8);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "<b>один два</b>");
	assert_string_equal(ps.v[1], "<b>три</b>");
	parts_free(&ps);

	split(&ps, "Итог: <b><i>один два три</i> четыре</b> конец", 14);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.v[0], "Итог: <b><i>один два</i></b>");
	assert_string_equal(ps.v[1], "<b><i>три</i> четыре</b>");
	assert_string_equal(ps.v[2], "конец");
	parts_free(&ps);
}

static void test_html__split_reopens_a_link_with_its_href(void **state)
{
	(void)state;
	struct parts ps;

	split(&ps, "<a href=\"https://example.com/t?id=1&amp;x=2\">один два три</a>", 8);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "<a href=\"https://example.com/t?id=1&amp;x=2\">один два</a>");
	assert_string_equal(ps.v[1], "<a href=\"https://example.com/t?id=1&amp;x=2\">три</a>");
	parts_free(&ps);
}

static void test_html__split_hard_splits_a_single_5000_char_word(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(1 << 16);
	struct parts ps;

	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "ж");
	split(&ps, buf_cstr(&b), HTML_MESSAGE_LIMIT);
	assert_int_equal(ps.n, 2);
	assert_int_equal(html_text_length(ps.v[0]), 4096);
	assert_int_equal(html_text_length(ps.v[1]), 904);
	assert_int_equal(strlen(ps.v[0]), 2 * 4096);
	assert_memory_equal(ps.v[0], buf_cstr(&b), 2 * 4096);
	assert_string_equal(ps.v[1], buf_cstr(&b) + 2 * 4096);
	parts_free(&ps);
	buf_release(&b);
}

static void test_html__split_never_splits_an_emoji_surrogate_pair(void **state)
{
	(void)state;
	struct parts ps;

	split(&ps, EMOJI EMOJI EMOJI EMOJI EMOJI, 3);
	assert_int_equal(ps.n, 5);
	for (size_t i = 0; i < ps.n; i++)
		assert_string_equal(ps.v[i], EMOJI);
	parts_free(&ps);

	split(&ps, "a" EMOJI EMOJI "&#128512;b", 4);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.v[0], "a" EMOJI);
	assert_string_equal(ps.v[1], EMOJI "&#128512;");
	assert_string_equal(ps.v[2], "b");
	parts_free(&ps);
}

static void test_html__split_prefers_a_blank_line_then_a_newline_then_a_space(void **state)
{
	(void)state;
	struct parts ps;

	split(&ps, "aaaa aaaa aaaa aaaa\n\nbbbb bbbb\nbbbb bbbb cccc cccc", 36);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "aaaa aaaa aaaa aaaa");
	assert_string_equal(ps.v[1], "bbbb bbbb\nbbbb bbbb cccc cccc");
	parts_free(&ps);

	split(&ps, "aaaa aaaa aaaa aaaa bbbb bbbb\nbbbb bbbb cccc cccc", 36);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "aaaa aaaa aaaa aaaa bbbb bbbb");
	assert_string_equal(ps.v[1], "bbbb bbbb cccc cccc");
	parts_free(&ps);

	split(&ps, "aaaa aaaa aaaa aaaa bbbb bbbb bbbb bbbb cccc cccc", 36);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "aaaa aaaa aaaa aaaa bbbb bbbb bbbb");
	assert_string_equal(ps.v[1], "bbbb cccc cccc");
	parts_free(&ps);
}

static void test_html__split_passes_over_a_break_that_leaves_a_part_half_empty(void **state)
{
	(void)state;
	struct parts ps;

	split(&ps, "aa\n\nxxxxxxxxxx yyyyyyyyyy zzzzzzzzzz", 20);
	assert_int_equal(ps.n, 3);
	assert_string_equal(ps.v[0], "aa\n\nxxxxxxxxxx");
	assert_string_equal(ps.v[1], "yyyyyyyyyy");
	assert_string_equal(ps.v[2], "zzzzzzzzzz");
	parts_free(&ps);
}

static void test_html__split_drops_leading_whitespace_of_the_next_part(void **state)
{
	(void)state;
	struct parts ps;

	split(&ps, "aaaa \n \n  bbbb", 5);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "aaaa");
	assert_string_equal(ps.v[1], "bbbb");
	parts_free(&ps);

	/* A tag closed in the whitespace is not reopened for nothing. */
	split(&ps, "<b>aaaa </b>\n<i> bbbb</i>", 5);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[0], "<b>aaaa</b>");
	assert_string_equal(ps.v[1], "<i>bbbb</i>");
	parts_free(&ps);

	/* Nothing but whitespace left makes no part. */
	split(&ps, "aaaa bbbb   \n\n", 4);
	assert_int_equal(ps.n, 2);
	assert_string_equal(ps.v[1], "bbbb");
	parts_free(&ps);
}

static void test_html__split_stops_when_the_callback_fails(void **state)
{
	(void)state;
	struct parts ps;

	memset(&ps, 0, sizeof(ps));
	ps.fail_at = 2;
	assert_int_equal(html_split("aa bb cc dd", 2, collect, &ps), 7);
	assert_int_equal(ps.n, 2);
	parts_free(&ps);

	memset(&ps, 0, sizeof(ps));
	ps.fail_at = 1;
	assert_int_equal(html_split("short", HTML_MESSAGE_LIMIT, collect, &ps), 7);
	assert_int_equal(ps.n, 1);
	parts_free(&ps);
}

static void assert_text(const char *html, const char *want)
{
	struct buf b = BUF_INIT(1 << 16);
	html_to_text(&b, html);
	assert_string_equal(buf_cstr(&b), want);
	buf_release(&b);
}

static void test_html__to_text_decodes_numeric_entities_of_valid_code_points(void **state)
{
	(void)state;
	assert_text("<b>It&#39;s</b> &#x1F600; &#1092;&#X44B; &lt;b&gt; &amp;amp; &quot;",
		    "It's " EMOJI " фы <b> &amp; \"");
	/* 0, a surrogate, past U+10FFFF, too many digits, unknown names, no digits. */
	const char *kept = "&#0; &#xD800; &#1114112; &#x110000; &#99999999999; &nbsp; &#; &#x;";
	assert_text(kept, kept);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html__to_text_decodes_numeric_entities_of_valid_code_points),
		cmocka_unit_test(test_html__escape_replaces_the_five_special_characters),
		cmocka_unit_test(test_html__escape_leaves_cyrillic_and_emoji_untouched),
		cmocka_unit_test(test_html__escape_replaces_invalid_utf8_with_fffd),
		cmocka_unit_test(test_html__escape_fails_past_the_buffer_cap),
		cmocka_unit_test(test_html__text_length_counts_entities_as_one_and_tags_as_zero),
		cmocka_unit_test(test_html__text_length_counts_an_emoji_as_two_utf16_units),
		cmocka_unit_test(test_html__split_passes_a_message_exactly_at_the_limit_unchanged),
		cmocka_unit_test(test_html__split_cyrillic_text_into_parts_that_rejoin_into_the_original),
		cmocka_unit_test(test_html__split_never_lands_inside_an_entity_or_a_tag),
		cmocka_unit_test(test_html__split_reopens_bold_in_the_next_part),
		cmocka_unit_test(test_html__split_reopens_a_link_with_its_href),
		cmocka_unit_test(test_html__split_hard_splits_a_single_5000_char_word),
		cmocka_unit_test(test_html__split_never_splits_an_emoji_surrogate_pair),
		cmocka_unit_test(test_html__split_prefers_a_blank_line_then_a_newline_then_a_space),
		cmocka_unit_test(test_html__split_passes_over_a_break_that_leaves_a_part_half_empty),
		cmocka_unit_test(test_html__split_drops_leading_whitespace_of_the_next_part),
		cmocka_unit_test(test_html__split_stops_when_the_callback_fails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
