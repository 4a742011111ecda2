/*
 * Unit tests: mail_build() (mail/build.c) — a letter becomes a message
 * any mail reader takes: read back with GMime's own parser, and checked
 * byte by byte for what SMTP demands (CRLF only, lines of 998 octets at
 * most).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gmime/gmime.h>
#include "mail/build.h"

static const struct letter_rcpt owners[] = {
	{ "Ольга Петрова", "olga@example.ru" },
	{ NULL, "ivan@example.ru" },
};

static int setup(void **state)
{
	(void)state;
	mail_mime_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mail_mime_shutdown();
	return 0;
}

/* Every line ends in CRLF, no CR or LF stands alone, none passes 998 octets. */
static void assert_smtp_lines(const struct buf *b)
{
	size_t line = 0;
	assert_true(b->len > 2);
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\r') {
			assert_true(i + 1 < b->len && b->data[i + 1] == '\n');
			assert_true(line <= 998);
			line = 0;
			i++;
		} else {
			assert_true(b->data[i] != '\n');
			line++;
		}
	}
	assert_int_equal(line, 0);
}

static GMimeMessage *parse(const struct buf *b)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(b->data, b->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(s);
	assert_non_null(m);
	return m;
}

/* The decoded text of a text part, "\n" line ends (the caller frees). */
static char *part_text(GMimeObject *o, const char *subtype)
{
	assert_true(GMIME_IS_TEXT_PART(o));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(o), "text", subtype));
	assert_string_equal(g_mime_object_get_content_type_parameter(o, "charset"), "utf-8");
	char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
	/* What the reader shows: the CRLF of the wire back to "\n". */
	char *w = t;
	for (char *r = t; *r; r++)
		if (!(r[0] == '\r' && r[1] == '\n'))
			*w++ = *r;
	*w = '\0';
	return t;
}

static void test_mail_build__a_russian_letter_reads_back_whole(void **state)
{
	(void)state;
	const char *text = "Итоги дня: 12 заявок, 3 просрочены.\nСпасибо!\n";
	const char *html = "<p>Итоги дня: <b>12</b> заявок, 3 просрочены.</p>\n";
	const struct mail_draft d = {
		.from = "Служба поддержки <desk@example.ru>", .subject = "Итоги за 25 ноября: 12 заявок",
		.text = text, .html = html, .message_id = "1795000000.abc@tilldesk",
		.date = 1795000000, .to = owners, .n_to = 2,
	};
	struct buf b = BUF_INIT(1 << 20);
	assert_int_equal(mail_build(&b, &d), 0);
	assert_smtp_lines(&b);
	/* The headers are ASCII on the wire (RFC 2047), and say what they must. */
	const char *end = strstr(b.data, "\r\n\r\n");
	assert_non_null(end);
	for (const char *c = b.data; c < end; c++)
		assert_true((unsigned char)*c < 0x80);
	assert_non_null(strstr(b.data, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(b.data, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(b.data, "Message-Id: <1795000000.abc@tilldesk>\r\n"));

	GMimeMessage *m = parse(&b);
	assert_string_equal(g_mime_message_get_subject(m), "Итоги за 25 ноября: 12 заявок");
	assert_string_equal(g_mime_message_get_message_id(m), "1795000000.abc@tilldesk");
	assert_int_equal(g_date_time_to_unix(g_mime_message_get_date(m)), 1795000000);
	InternetAddressList *to = g_mime_message_get_to(m);
	assert_int_equal(internet_address_list_length(to), 2);
	assert_string_equal(internet_address_get_name(internet_address_list_get_address(to, 0)), "Ольга Петрова");
	assert_string_equal(internet_address_mailbox_get_addr(
		INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(to, 1))), "ivan@example.ru");
	InternetAddress *from = internet_address_list_get_address(g_mime_message_get_from(m), 0);
	assert_string_equal(internet_address_get_name(from), "Служба поддержки");

	GMimeObject *body = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_MULTIPART(body));
	assert_true(g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart", "alternative"));
	assert_int_equal(g_mime_multipart_get_count(GMIME_MULTIPART(body)), 2);
	char *t = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(body), 0), "plain");
	char *h = part_text(g_mime_multipart_get_part(GMIME_MULTIPART(body), 1), "html");
	assert_string_equal(t, text);
	assert_string_equal(h, html);
	g_free(t);
	g_free(h);
	g_object_unref(m);
	buf_release(&b);
}

static void test_mail_build__text_alone_and_long_lines_stay_under_998(void **state)
{
	(void)state;
	/* One line of 5,000 octets of Cyrillic: quoted-printable folds it. */
	char text[10001];
	for (size_t i = 0; i < 5000; i += 2)
		memcpy(text + i, "ж", 2);
	text[5000] = '\n';
	text[5001] = '\0';
	const struct mail_draft d = {
		.from = "desk@example.ru", .subject = "Срок ФН истекает через 7 дней — магазин «Берёзка» на Ленина",
		.text = text, .message_id = "1.x@tilldesk", .date = 1795000000, .to = owners + 1, .n_to = 1,
	};
	struct buf b = BUF_INIT(1 << 20);
	assert_int_equal(mail_build(&b, &d), 0);
	assert_smtp_lines(&b);
	GMimeMessage *m = parse(&b);
	assert_string_equal(g_mime_message_get_subject(m), d.subject);
	GMimeObject *body = g_mime_message_get_mime_part(m);
	char *t = part_text(body, "plain");
	assert_string_equal(t, text);
	g_free(t);
	g_object_unref(m);
	buf_release(&b);
}

static void test_mail_build__an_unusable_sender_is_refused(void **state)
{
	(void)state;
	char addr[64];
	const struct mail_draft d = {
		.from = "", .subject = "x", .text = "x\n", .message_id = "1.x@tilldesk",
		.date = 1, .to = owners, .n_to = 1,
	};
	struct buf b = BUF_INIT(1 << 20);
	assert_int_equal(mail_build(&b, &d), TD_EINVAL);
	assert_int_equal(mail_from_address(addr, sizeof(addr), "Служба <desk@example.ru>"), 0);
	assert_string_equal(addr, "desk@example.ru");
	buf_release(&b);
}

/*
 * An answer on a ticket's thread: In-Reply-To names the letter it answers
 * and References the thread, each id in brackets, read back by GMime as
 * the ids they were; twelve long ids fold into lines under 78 columns,
 * and an id with a bracket or a space in it is left out, not forged into
 * two.
 */
static void test_mail_build__an_answer_carries_its_thread(void **state)
{
	(void)state;
	char refs[2048];
	size_t n = 0;
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(refs + n, sizeof(refs) - n,
				      "%d.0123456789abcdef0123456789abcdef@mail.romashka.example.ru ", i);
	snprintf(refs + n, sizeof(refs) - n, "bad>id<@x two@ids");
	const struct mail_draft d = {
		.from = "desk@example.ru", .subject = "Re: [№7] Принтер не печатает", .text = "Взяли.\n",
		.message_id = "2.y@tilldesk", .date = 1795000000, .to = owners, .n_to = 1,
		.in_reply_to = "11.0123456789abcdef0123456789abcdef@mail.romashka.example.ru",
		.references = refs,
	};
	struct buf b = BUF_INIT(1 << 20);
	assert_int_equal(mail_build(&b, &d), 0);
	assert_smtp_lines(&b);
	/* Folded: no header line of the thread runs past 78 columns. */
	const char *h = strstr(buf_cstr(&b), "\r\nReferences:");
	assert_non_null(h);
	int lines = 0;
	for (h += 2; lines == 0 || *h == ' ' || *h == '\t'; h = strstr(h, "\r\n") + 2, lines++)
		assert_true(strstr(h, "\r\n") - h <= 78);
	assert_true(lines >= 12);
	GMimeMessage *m = parse(&b);
	const char *irt = g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To");
	assert_non_null(irt);
	assert_non_null(strstr(irt, "<11.0123456789abcdef0123456789abcdef@mail.romashka.example.ru>"));
	GMimeReferences *r = g_mime_references_parse(NULL, g_mime_object_get_header(GMIME_OBJECT(m), "References"));
	assert_non_null(r);
	assert_int_equal(g_mime_references_length(r), 13);
	assert_string_equal(g_mime_references_get_message_id(r, 0),
			    "0.0123456789abcdef0123456789abcdef@mail.romashka.example.ru");
	assert_string_equal(g_mime_references_get_message_id(r, 11),
			    "11.0123456789abcdef0123456789abcdef@mail.romashka.example.ru");
	assert_string_equal(g_mime_references_get_message_id(r, 12), "two@ids");
	g_mime_references_free(r);
	g_object_unref(m);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_build__a_russian_letter_reads_back_whole),
		cmocka_unit_test(test_mail_build__text_alone_and_long_lines_stay_under_998),
		cmocka_unit_test(test_mail_build__an_unusable_sender_is_refused),
		cmocka_unit_test(test_mail_build__an_answer_carries_its_thread),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
