/*
 * parse.c - a letter from the desk's mailbox read with GMime; see
 * inbound.h. The charsets of Russian mail (UTF-8, windows-1251, KOI8-R,
 * cp866) decoded here; the words of the text cut in mail/words.c.
 */
#include <gmime/gmime.h>
#include <strings.h>

#include "mail/inbound.h"
#include "mail/words.h"

/* At most this many files, and ids of References, are kept of a letter. */
#define FILES_MAX 20
#define REFERENCES_MAX 20
/* Of a text part, at most this many decoded bytes are read for its words. */
#define BODY_MAX (1024 * 1024)
/* A file's name is cut to this many bytes. */
#define FILE_NAME_MAX 200
/* Parts nested deeper are not looked into. */
#define DEPTH_MAX 32

/* ---- strings ---- */

/* A well-formed UTF-8 copy of s[0..n), NUL-free; NULL reads as "". */
static char *utf8_dup(const char *s, size_t n)
{
	struct buf b = BUF_INIT(SIZE_MAX / 4);
	if (s)
		mail_utf8_scrub(&b, s, n);
	return b.len ? buf_detach(&b) : xstrdup("");
}

/* s on one line: control characters and runs of whitespace one space, trimmed. */
static char *one_line(const char *s)
{
	char *u = utf8_dup(s, s ? strlen(s) : 0);
	size_t k = 0;
	bool space = false;
	for (char *p = u; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= ' ' || c == 0x7F) {
			space = k > 0;
			continue;
		}
		if (space)
			u[k++] = ' ';
		u[k++] = (char)c;
		space = false;
	}
	u[k] = '\0';
	return u;
}

/* A message id without angle brackets, whitespace or control characters. */
static char *id_dup(const char *s)
{
	char *u = utf8_dup(s, s ? strlen(s) : 0);
	size_t k = 0;
	for (char *p = u; *p; p++)
		if ((unsigned char)*p > ' ' && *p != 0x7F && *p != '<' && *p != '>')
			u[k++] = *p;
	u[k] = '\0';
	return u;
}

/* ---- charsets ---- */

static bool is_utf8_name(const char *charset)
{
	static const char *const names[] = { "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968" };
	if (!charset || !*charset)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcasecmp(charset, names[i]) == 0)
			return true;
	return false;
}

static bool has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/*
 * Converts s[0..n) from charset to UTF-8 into out, U+FFFD for each byte
 * it cannot read; returns how many those were, or -1 when iconv knows no
 * such charset.
 */
static long iconv_into(struct buf *out, const char *charset, const char *s, size_t n)
{
	iconv_t cd = g_mime_iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1)
		return -1;
	char chunk[4096], *in = (char *)s, *o;
	size_t inleft = n, oleft;
	long bad = 0;
	while (inleft > 0) {
		o = chunk;
		oleft = sizeof(chunk);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		buf_add(out, chunk, (size_t)(o - chunk));
		if (r == (size_t)-1 && errno != E2BIG) {
			/* EILSEQ, or EINVAL: a sequence cut short at the end. */
			buf_puts(out, "\xEF\xBF\xBD");
			bad++;
			in++;
			inleft--;
			iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	o = chunk;
	oleft = sizeof(chunk);
	iconv(cd, NULL, NULL, &o, &oleft);
	buf_add(out, chunk, (size_t)(o - chunk));
	g_mime_iconv_close(cd);
	return bad;
}

/* How Russian s reads: its count of the commonest letters (о е а и н т с р в л к), either case. */
static size_t russian_score(const struct buf *b)
{
	static const char common[] = "оеаинтсрвлкОЕАИНТСРВЛК";
	size_t score = 0;
	const unsigned char *s = (const unsigned char *)buf_cstr(b);
	for (size_t i = 0; i < b->len;) {
		uint32_t cp;
		size_t len = utf8_decode(s + i, b->len - i, &cp);
		if (len >= 2 && memmem(common, sizeof(common) - 1, s + i, len))
			score++;
		i += len ? len : 1;
	}
	return score;
}

/*
 * Bytes that name no charset, or a wrong one, and are not UTF-8: read as
 * windows-1251, Russian mail's commonest, unless they read as more
 * Russian in KOI8-R (old Unix mailers). Letters, not case, decide: text
 * in capitals is still windows-1251.
 */
static void cyrillic_to_utf8(struct buf *out, const char *s, size_t n)
{
	struct buf cp1251 = BUF_INIT(out->cap), koi8 = BUF_INIT(out->cap);
	iconv_into(&cp1251, "windows-1251", s, n);
	iconv_into(&koi8, "koi8-r", s, n);
	const struct buf *best = russian_score(&koi8) > russian_score(&cp1251) ? &koi8 : &cp1251;
	buf_add(out, buf_cstr(best), best->len);
	buf_release(&cp1251);
	buf_release(&koi8);
}

/*
 * A text part's bytes as UTF-8. The charset it names is believed unless
 * iconv cannot read the bytes in it, or it names a single-byte one and
 * the bytes are well-formed UTF-8 beyond ASCII (Russian text in
 * windows-1251 or KOI8-R never is). No charset, UTF-8 or a wrong one:
 * bytes that are not UTF-8 go to cyrillic_to_utf8().
 */
static void text_to_utf8(struct buf *out, const char *charset, const char *s, size_t n)
{
	bool utf8 = utf8_valid(s, n);
	if (!is_utf8_name(charset) && !(utf8 && has_8bit(s, n))) {
		struct buf tmp = BUF_INIT(out->cap);
		long bad = iconv_into(&tmp, charset, s, n);
		if (bad == 0 || (bad > 0 && !utf8)) {
			buf_add(out, buf_cstr(&tmp), tmp.len);
			buf_release(&tmp);
			return;
		}
		buf_release(&tmp);
	}
	if (utf8)
		buf_add(out, s, n);
	else
		cyrillic_to_utf8(out, s, n);
}

/* ---- headers ---- */

/* A usable addr-spec: one "@" between a local part and a domain, no space or bracket. */
static bool addr_usable(const char *a)
{
	size_t n = strlen(a), at = 0, ats = 0;
	if (n == 0 || n > 254 || !utf8_valid(a, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= ' ' || c == 0x7F || strchr("<>()[],;:\\\"", c))
			return false;
		if (c == '@')
			at = i, ats++;
	}
	return ats == 1 && at > 0 && at + 1 < n;
}

/* The first mailbox of list (a group's first member too), or NULL. */
static InternetAddressMailbox *first_mailbox(InternetAddressList *list, int depth)
{
	int count = list ? internet_address_list_length(list) : 0;
	for (int i = 0; i < count && depth < 4; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);
		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			return INTERNET_ADDRESS_MAILBOX(a);
		if (INTERNET_ADDRESS_IS_GROUP(a)) {
			InternetAddressMailbox *m = first_mailbox(
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), depth + 1);
			if (m)
				return m;
		}
	}
	return NULL;
}

/* The lower-case addr-spec of m; "" when none or unusable. */
static char *mailbox_addr(InternetAddressMailbox *m)
{
	const char *a = m ? internet_address_mailbox_get_addr(m) : NULL;
	if (!a || !addr_usable(a))
		return xstrdup("");
	gchar *low = g_utf8_strdown(a, -1);
	char *s = xstrdup(low);
	g_free(low);
	return s;
}

static const char *header(GMimeMessage *m, const char *name)
{
	return g_mime_object_get_header(GMIME_OBJECT(m), name);
}

/* The header's value up to a ";" or a comment, trimmed, is one of words. */
static bool header_is(GMimeMessage *m, const char *name, const char *const *words, size_t count)
{
	const char *v = header(m, name);
	if (!v)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, ";( \t\r\n");
	for (size_t i = 0; i < count; i++)
		if (strlen(words[i]) == n && strncasecmp(v, words[i], n) == 0)
			return true;
	return false;
}

/*
 * The sender's local part is mailer-daemon or postmaster; a bare
 * "MAILER-DAEMON", as some MTAs write it, counts too.
 */
static bool from_a_mailer(InternetAddressMailbox *from)
{
	static const char *const locals[] = { "mailer-daemon", "postmaster" };
	const char *a = from ? internet_address_mailbox_get_addr(from) : NULL;
	if (!a)
		return false;
	size_t n = strcspn(a, "@");
	for (size_t i = 0; i < ARRAY_SIZE(locals); i++)
		if (n == strlen(locals[i]) && strncasecmp(a, locals[i], n) == 0)
			return true;
	return false;
}

static bool is_bounce(GMimeMessage *m, InternetAddressMailbox *from)
{
	const char *rp = header(m, "Return-Path");
	if (rp) {
		while (*rp == ' ' || *rp == '\t')
			rp++;
		size_t n = strlen(rp);
		while (n && strchr(" \t\r\n", rp[n - 1]))
			n--;
		if (n == 2 && memcmp(rp, "<>", 2) == 0)
			return true;
	}
	GMimeObject *body = g_mime_message_get_mime_part(m);
	if (body && g_mime_content_type_is_type(g_mime_object_get_content_type(body), "multipart", "report"))
		return true;
	return from_a_mailer(from);
}

/*
 * RFC 3834's Auto-Submitted, the lists' and bulk senders' headers, and
 * the vacation robots' own: X-Autoreply, X-Autorespond, and Exchange's
 * X-Auto-Response-Suppress naming All, OOF or AutoReply (a sender asking
 * that no robot answer it is a robot itself; DR, RN, NRN alone are about
 * receipts and say nothing).
 */
static bool is_automatic(GMimeMessage *m)
{
	static const char *const no[] = { "no" };
	static const char *const bulk[] = { "bulk", "list", "junk", "auto_reply" };
	const char *v;
	if (header(m, "Auto-Submitted") && !header_is(m, "Auto-Submitted", no, 1))
		return true;
	if (header_is(m, "Precedence", bulk, ARRAY_SIZE(bulk)))
		return true;
	if (header(m, "List-Id") || header(m, "List-Unsubscribe") ||
	    header(m, "X-Autoreply") || header(m, "X-Autorespond"))
		return true;
	if ((v = header(m, "X-Auto-Response-Suppress"))) {
		static const char *const robots[] = { "all", "oof", "autoreply" };
		for (const char *p = v; *p;) {
			p += strspn(p, " \t\r\n,");
			size_t n = strcspn(p, " \t\r\n,");
			for (size_t i = 0; i < ARRAY_SIZE(robots); i++)
				if (n == strlen(robots[i]) && strncasecmp(p, robots[i], n) == 0)
					return true;
			p += n;
		}
	}
	return false;
}

static void read_references(struct inletter *l, GMimeMessage *m, GMimeParserOptions *po)
{
	const char *v = header(m, "In-Reply-To");
	GMimeReferences *refs = v ? g_mime_references_parse(po, v) : NULL;
	if (refs && g_mime_references_length(refs) > 0)
		l->in_reply_to = id_dup(g_mime_references_get_message_id(refs, 0));
	if (refs)
		g_mime_references_free(refs);

	v = header(m, "References");
	refs = v ? g_mime_references_parse(po, v) : NULL;
	int count = refs ? g_mime_references_length(refs) : 0;
	/* The newest ids are the ones a reply to our letters carries. */
	int first = count > REFERENCES_MAX ? count - REFERENCES_MAX : 0;
	if (count > first)
		l->references = xcalloc((size_t)(count - first), sizeof(*l->references));
	for (int i = first; i < count; i++) {
		char *id = id_dup(g_mime_references_get_message_id(refs, i));
		if (*id)
			l->references[l->n_references++] = id;
		else
			free(id);
	}
	if (refs)
		g_mime_references_free(refs);
}

static void read_headers(struct inletter *l, GMimeMessage *m, GMimeParserOptions *po)
{
	InternetAddressMailbox *from = first_mailbox(g_mime_message_get_from(m), 0);
	l->from_addr = mailbox_addr(from);
	l->from_name = one_line(from ? internet_address_get_name(INTERNET_ADDRESS(from)) : NULL);
	InternetAddressMailbox *reply = first_mailbox(g_mime_message_get_reply_to(m), 0);
	l->reply_addr = mailbox_addr(reply);
	if (!*l->reply_addr) {
		free(l->reply_addr);
		l->reply_addr = xstrdup(l->from_addr);
	}
	l->subject = one_line(g_mime_message_get_subject(m));
	l->message_id = id_dup(g_mime_message_get_message_id(m));
	read_references(l, m, po);
	GDateTime *date = g_mime_message_get_date(m);
	gint64 t = date ? g_date_time_to_unix(date) : 0;
	l->date = t > 0 ? (int64_t)t : 0;
	l->bounce = is_bounce(m, from);
	l->automatic = is_automatic(m);
}

/* ---- parts ---- */

/* The decoded content of part (Content-Transfer-Encoding undone); g_byte_array_free() it. */
static GByteArray *part_bytes(GMimePart *part)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeStream *mem = g_mime_stream_mem_new();
	if (content)
		g_mime_data_wrapper_write_to_stream(content, mem);
	/* The bytes outlive the stream: a stream that owns them frees them with itself. */
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	g_object_unref(mem);
	return bytes;
}

static bool is_attachment(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
	return d && g_mime_content_disposition_is_attachment(d);
}

/*
 * The first text/<subtype> leaf that is not an attachment, depth first;
 * NULL if none. A named text part inside a multipart is a file sent
 * inline (a log, a receipt), not the letter's words.
 */
static GMimePart *find_text(GMimeObject *o, const char *subtype, int depth)
{
	if (depth > DEPTH_MAX)
		return NULL;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int count = g_mime_multipart_get_count(mp);
		for (int i = 0; i < count; i++) {
			GMimePart *p = find_text(g_mime_multipart_get_part(mp, i), subtype, depth + 1);
			if (p)
				return p;
		}
		return NULL;
	}
	if (GMIME_IS_PART(o) && !is_attachment(o) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(o), "text", subtype) &&
	    (depth == 0 || !g_mime_part_get_filename(GMIME_PART(o))))
		return GMIME_PART(o);
	return NULL;
}

static bool param_is(GMimeObject *o, const char *name, const char *value)
{
	const char *v = g_mime_object_get_content_type_parameter(o, name);
	return v && strcasecmp(v, value) == 0;
}

/*
 * A forward, by its subject: Outlook forwards under the same "From: /
 * Sent:" block as it quotes, so only the subject tells the two apart.
 */
static bool forwarded(const char *subject)
{
	static const char *const prefixes[] = { "fw:", "fwd:", "пересл:" };
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncasecmp(subject, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * The charset an HTML document names in its <meta> (within its first
 * bytes, where the head is), into out; false when none.
 */
static bool meta_charset(char *out, size_t size, const char *s, size_t n)
{
	static const char key[] = "charset=";
	size_t k = sizeof(key) - 1;
	if (n > 2048)
		n = 2048;
	for (size_t i = 0; i + k < n; i++) {
		if (strncasecmp(s + i, key, k))
			continue;
		size_t j = i + k, len = 0;
		j += j < n && (s[j] == '"' || s[j] == '\'');
		while (j + len < n && len + 1 < size &&
		       (g_ascii_isalnum(s[j + len]) || strchr("-_.:", s[j + len])))
			len++;
		memcpy(out, s + j, len);
		out[len] = '\0';
		return len > 0;
	}
	return false;
}

/* Appends the text of part (an HTML one made plain). */
static void part_text(struct buf *out, GMimePart *part, bool html)
{
	GByteArray *bytes = part_bytes(part);
	size_t n = bytes->len > BODY_MAX ? BODY_MAX : bytes->len;
	GMimeObject *o = GMIME_OBJECT(part);
	const char *charset = g_mime_object_get_content_type_parameter(o, "charset");
	char meta[64];
	/* An HTML part without a charset in its header often names one in its head. */
	if (html && !charset && meta_charset(meta, sizeof(meta), (const char *)bytes->data, n))
		charset = meta;
	/* 3 bytes of UTF-8 at most for each byte read: the cap is never reached. */
	struct buf utf = BUF_INIT(3 * BODY_MAX + 16);
	text_to_utf8(&utf, charset, (const char *)bytes->data, n);
	if (html)
		mail_html_text(out, buf_cstr(&utf), utf.len);
	else
		mail_plain_text(out, buf_cstr(&utf), utf.len, param_is(o, "format", "flowed"),
				param_is(o, "delsp", "yes"));
	buf_release(&utf);
	g_byte_array_free(bytes, TRUE);
}

/*
 * The letter's text: the plain part (the HTML one when there is none, or
 * it is empty, as some mailers leave it), its new words cut from the
 * history; a forward is kept whole, the letter forwarded being what the
 * sender wants the desk to read. Returns the part the text came from, or
 * NULL.
 */
static GMimePart *read_text(struct inletter *l, GMimeMessage *m)
{
	GMimeObject *body = g_mime_message_get_mime_part(m);
	GMimePart *plain = body ? find_text(body, "plain", 0) : NULL;
	GMimePart *html = body ? find_text(body, "html", 0) : NULL, *part = NULL;
	struct buf full = BUF_INIT(3 * BODY_MAX + 16), words = BUF_INIT(3 * BODY_MAX + 16);

	if (plain) {
		part_text(&full, plain, false);
		part = plain;
	}
	if (html && !full.len) {
		part_text(&full, html, true);
		part = html;
	}
	if (forwarded(l->subject))
		buf_add(&words, buf_cstr(&full), full.len);
	else
		mail_new_words(&words, buf_cstr(&full));

	l->full_text = utf8_dup(buf_cstr(&full), mail_text_cut(buf_cstr(&full), full.len, MAIL_TEXT_MAX));
	l->text = utf8_dup(buf_cstr(&words), mail_text_cut(buf_cstr(&words), words.len, MAIL_TEXT_MAX));
	buf_release(&full);
	buf_release(&words);
	return part;
}

struct files {
	struct inletter *l;
	GMimeObject *body;       /* the part the text came from: no file */
	size_t max;              /* one file's bytes kept at most */
	size_t room;             /* bytes left to keep in all */
};

/*
 * A file name: a path's last part (separators replaced instead with
 * keep_path: a subject), on one line, cut to FILE_NAME_MAX; fallback
 * when nothing is left.
 */
static char *file_name(const char *raw, bool keep_path, const char *fallback)
{
	char *name = one_line(raw), *base = name;
	for (char *p = name; *p; p++)
		if (*p == '/' || *p == '\\') {
			if (keep_path)
				*p = '_';
			else
				base = p + 1;
		}
	size_t n = mail_text_cut(base, strlen(base), FILE_NAME_MAX);
	char *s = NULL;
	if (n && !(n == 1 && base[0] == '.') && !(n == 2 && base[0] == '.' && base[1] == '.')) {
		s = xmalloc(n + 1);
		memcpy(s, base, n);
		s[n] = '\0';
	}
	free(name);
	return s ? s : xstrdup(fallback);
}

/* Adds a file to the letter; its bytes kept when within the caps. */
static void add_file(struct files *f, char *name, char *mime, const GByteArray *bytes)
{
	struct inletter *l = f->l;
	struct inletter_file *file = &l->files[l->n_files++];
	file->name = name;
	file->mime = mime;
	file->size = bytes->len;
	if (bytes->len <= f->max && bytes->len <= f->room) {
		file->data = xmalloc(bytes->len ? bytes->len : 1);
		if (bytes->len)
			memcpy(file->data, bytes->data, bytes->len);
		f->room -= bytes->len;
	}
}

/* The lower-case type/subtype of o. */
static char *mime_type(GMimeObject *o)
{
	char *t = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(o));
	char *s = one_line(t);
	g_free(t);
	for (char *p = s; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return s;
}

/* A letter inside the letter: a file "<its subject>.eml", not looked into. */
static void add_message_file(struct files *f, GMimeMessagePart *mp)
{
	GMimeMessage *inner = g_mime_message_part_get_message(mp);
	GMimeStream *mem = g_mime_stream_mem_new();
	if (inner)
		g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, mem);
	char *subject = one_line(inner ? g_mime_message_get_subject(inner) : NULL);
	size_t n = mail_text_cut(subject, strlen(subject), FILE_NAME_MAX - 4);
	subject[n] = '\0';
	struct buf name = BUF_INIT(FILE_NAME_MAX + 16);
	buf_printf(&name, "%s.eml", *subject ? subject : "message");
	add_file(f, file_name(buf_cstr(&name), true, "message.eml"), mime_type(GMIME_OBJECT(mp)),
		 g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem)));
	buf_release(&name);
	free(subject);
	g_object_unref(mem);
}

/*
 * Whether leaf o is a file: anything but plain text and HTML (inline
 * images too), and a text part marked as an attachment or named like a
 * file, unless the letter's words came from it. Signatures of a
 * multipart/signed are no file anyone reads.
 */
static bool is_file(struct files *f, GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	if (o == f->body)
		return false;
	if (g_mime_content_type_is_type(ct, "application", "pgp-signature") ||
	    g_mime_content_type_is_type(ct, "application", "pkcs7-signature") ||
	    g_mime_content_type_is_type(ct, "application", "x-pkcs7-signature"))
		return false;
	if (!g_mime_content_type_is_type(ct, "text", "plain") && !g_mime_content_type_is_type(ct, "text", "html"))
		return true;
	return is_attachment(o) || g_mime_part_get_filename(GMIME_PART(o));
}

static void collect_files(struct files *f, GMimeObject *o, int depth)
{
	if (depth > DEPTH_MAX || f->l->n_files >= FILES_MAX)
		return;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int count = g_mime_multipart_get_count(mp);
		for (int i = 0; i < count; i++)
			collect_files(f, g_mime_multipart_get_part(mp, i), depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(o)) {
		add_message_file(f, GMIME_MESSAGE_PART(o));
	} else if (GMIME_IS_PART(o) && is_file(f, o)) {
		GByteArray *bytes = part_bytes(GMIME_PART(o));
		add_file(f, file_name(g_mime_part_get_filename(GMIME_PART(o)), false, "file"), mime_type(o), bytes);
		g_byte_array_free(bytes, TRUE);
	}
}

/* The files of m; words, the part the text came from, is none. */
static void read_files(struct inletter *l, GMimeMessage *m, GMimePart *words, size_t attachment_max)
{
	GMimeObject *body = g_mime_message_get_mime_part(m);
	if (!body)
		return;
	struct files f = {
		.l = l,
		.body = words ? GMIME_OBJECT(words) : NULL,
		.max = attachment_max,
		.room = attachment_max > SIZE_MAX / 4 ? SIZE_MAX : 4 * attachment_max,
	};
	l->files = xcalloc(FILES_MAX, sizeof(*l->files));
	collect_files(&f, body, 0);
}

/* ---- the letter ---- */

/* Every string the letter has not got yet: "", as inbound.h promises. */
static void fill_empty(struct inletter *l)
{
	char **strings[] = { &l->from_addr, &l->from_name, &l->reply_addr, &l->subject,
			     &l->message_id, &l->in_reply_to, &l->text, &l->full_text };
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		if (!*strings[i])
			*strings[i] = xstrdup("");
}

int mail_parse(const char *raw, size_t n, size_t attachment_max, struct inletter *out)
{
	/* Headers in raw 8-bit windows-1251, as old Outlook and 1C write them, read as such. */
	static const char *fallback[] = { "utf-8", "windows-1251", NULL };
	GMimeParserOptions *po = g_mime_parser_options_new();
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(raw, n);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *m;
	int rc = TD_EINVAL;

	memset(out, 0, sizeof(*out));
	g_mime_parser_options_set_fallback_charsets(po, fallback);
	g_mime_parser_options_set_rfc2047_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(po, GMIME_RFC_COMPLIANCE_LOOSE);
	m = g_mime_parser_construct_message(parser, po);
	if (!m || g_mime_header_list_get_count(g_mime_object_get_header_list(GMIME_OBJECT(m))) == 0)
		goto done;

	read_headers(out, m, po);
	read_files(out, m, read_text(out, m), attachment_max);
	rc = 0;
done:
	fill_empty(out);
	if (m)
		g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(stream);
	g_mime_parser_options_free(po);
	return rc;
}

void inletter_release(struct inletter *l)
{
	free(l->from_addr);
	free(l->from_name);
	free(l->reply_addr);
	free(l->subject);
	free(l->message_id);
	free(l->in_reply_to);
	for (size_t i = 0; i < l->n_references; i++)
		free(l->references[i]);
	free(l->references);
	free(l->text);
	free(l->full_text);
	for (size_t i = 0; i < l->n_files; i++) {
		free(l->files[i].name);
		free(l->files[i].mime);
		free(l->files[i].data);
	}
	free(l->files);
	memset(l, 0, sizeof(*l));
}
