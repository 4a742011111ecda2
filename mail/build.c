/*
 * build.c - a letter into a MIME message with GMime; see build.h.
 */
#include <gmime/gmime.h>

#include "mail/build.h"

void mail_mime_init(void)
{
	g_mime_init();
}

void mail_mime_shutdown(void)
{
	g_mime_shutdown();
}

/* A UTF-8 text part, quoted-printable: every line short, whatever the text. */
static GMimeObject *text_part(const char *subtype, const char *content)
{
	GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
	g_mime_text_part_set_text(part, content);
	g_mime_text_part_set_charset(part, "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return GMIME_OBJECT(part);
}

/* The first mailbox of from; a new reference, or NULL. */
static InternetAddress *parse_from(const char *from)
{
	InternetAddressList *list = internet_address_list_parse(NULL, from);
	InternetAddress *a = NULL;
	if (list && internet_address_list_length(list) == 1 &&
	    INTERNET_ADDRESS_IS_MAILBOX(internet_address_list_get_address(list, 0)))
		a = g_object_ref(internet_address_list_get_address(list, 0));
	if (list)
		g_object_unref(list);
	return a;
}

int mail_from_address(char *out, size_t n, const char *from)
{
	InternetAddress *a = parse_from(from);
	if (!a)
		return TD_EINVAL;
	const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
	int rc = addr && *addr && (size_t)snprintf(out, n, "%s", addr) < n ? 0 : TD_EINVAL;
	g_object_unref(a);
	return rc;
}

/* One Message-ID fit for a header: printable, no brackets or spaces. */
static bool id_usable(const char *id, size_t n)
{
	if (!n || n > 250)
		return false;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] >= 0x7f || id[i] == '<' || id[i] == '>')
			return false;
	return true;
}

/*
 * In-Reply-To and References (RFC 5322 3.6.4), each id in brackets; ids
 * it could not carry are left out. GMime folds References between ids.
 */
static void thread(GMimeMessage *m, const struct mail_draft *d)
{
	GString *refs = g_string_new(NULL);
	if (d->in_reply_to && id_usable(d->in_reply_to, strlen(d->in_reply_to))) {
		char *v = g_strdup_printf("<%s>", d->in_reply_to);
		g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", v, NULL);
		g_free(v);
	}
	for (const char *p = d->references ? d->references : ""; *p;) {
		size_t n = strcspn(p, " ");
		if (id_usable(p, n))
			g_string_append_printf(refs, " <%.*s>", (int)n, p);
		p += n;
		p += strspn(p, " ");
	}
	if (refs->len)
		g_mime_object_set_header(GMIME_OBJECT(m), "References", refs->str + 1, NULL);
	g_string_free(refs, TRUE);
}

int mail_build(struct buf *out, const struct mail_draft *d)
{
	InternetAddress *from = parse_from(d->from);
	GMimeMessage *m = NULL;
	GMimeFormatOptions *fo = NULL;
	GMimeStream *stream = NULL;
	GDateTime *date = NULL;
	int rc = TD_EINVAL;
	if (!from)
		return TD_EINVAL;

	m = g_mime_message_new(TRUE);
	internet_address_list_add(g_mime_message_get_from(m), from);
	for (size_t i = 0; i < d->n_to; i++)
		g_mime_message_add_mailbox(m, GMIME_ADDRESS_TYPE_TO,
					   d->to[i].name && *d->to[i].name ? d->to[i].name : NULL,
					   d->to[i].addr);
	g_mime_message_set_subject(m, d->subject, "utf-8");
	g_mime_message_set_message_id(m, d->message_id);
	date = g_date_time_new_from_unix_utc(d->date);
	g_mime_message_set_date(m, date);
	/* RFC 3834: no vacation robot answers it. */
	g_mime_object_set_header(GMIME_OBJECT(m), "Auto-Submitted", "auto-generated", NULL);

	thread(m, d);

	GMimeObject *plain = text_part("plain", d->text);
	if (d->html) {
		GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
		GMimeObject *html = text_part("html", d->html);
		/* The richest last (RFC 2046): readers show the HTML when they can. */
		g_mime_multipart_add(alt, plain);
		g_mime_multipart_add(alt, html);
		g_object_unref(plain);
		g_object_unref(html);
		g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
		g_object_unref(alt);
	} else {
		g_mime_message_set_mime_part(m, plain);
		g_object_unref(plain);
	}

	/* SMTP's line ends whatever the text had; GMime folds headers under 78 columns. */
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	stream = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(m), fo, stream) < 0) {
		rc = TD_ERR;
		goto done;
	}
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	buf_reset(out);
	rc = buf_add(out, bytes->data, bytes->len);
done:
	if (stream)
		g_object_unref(stream);
	if (fo)
		g_mime_format_options_free(fo);
	if (date)
		g_date_time_unref(date);
	g_object_unref(m);
	g_object_unref(from);
	return rc;
}
