/*
 * fuzz_letter.c - a letter from the desk's mailbox (mail/parse.c, GMime,
 * mail/words.c): MIME in, ticket text out.
 *
 * The input is the raw message, not NUL-terminated (mail_parse() must not
 * read past its length). Whatever it is, the letter holds what inbound.h
 * promises: either 0 or TD_EINVAL; every string there, well-formed UTF-8
 * (NUL-free by construction: each is read to its first NUL); the subject,
 * the name and the ids on one line, the ids without brackets or spaces;
 * the text and the full text at most MAIL_TEXT_MAX bytes with "\n" line
 * ends and no other control character but the tab; at most 20 files and
 * 20 references; each file named (no path), its type lower-case, its
 * bytes within the cap and all kept bytes within four caps. The words
 * are cut from the whole text, never made up: each of their lines is a
 * line of the full text (when neither was capped), and there are words
 * whenever there is a text.
 */
#include "mail/build.h"
#include "mail/inbound.h"
#include "mail/words.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_ATTACHMENT_MAX 4096

static void check_string(const char *what, const char *s, size_t max, bool one_line)
{
	if (!s)
		fuzz_fail("%s is NULL", what);
	size_t n = strlen(s);
	if (n > max || !utf8_valid(s, n))
		fuzz_fail("%s: %zu bytes, or not UTF-8", what, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		bool control = c < 0x20 || c == 0x7F;
		if (control && (one_line || (c != '\n' && c != '\t')))
			fuzz_fail("%s: control character %#x at %zu", what, c, i);
	}
}

static void check_id(const char *what, const char *s)
{
	check_string(what, s, SIZE_MAX, true);
	if (strpbrk(s, "<> "))
		fuzz_fail("%s: '%s' keeps a bracket or a space", what, s);
}

/* Each line of words is a line of text. */
static void check_lines_of(const char *words, const char *text)
{
	size_t n = strlen(text);
	char *framed = xmalloc(n + 3);
	framed[0] = '\n';
	memcpy(framed + 1, text, n);
	memcpy(framed + 1 + n, "\n", 2);
	for (const char *p = words; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xmalloc(len + 3);
		line[0] = '\n';
		memcpy(line + 1, p, len);
		memcpy(line + 1 + len, "\n", 2);
		if (len && !strstr(framed, line))
			fuzz_fail("a line of the words is no line of the text: '%.*s'", (int)len, p);
		free(line);
		p += len + (p[len] == '\n');
	}
	free(framed);
}

static void check_letter(const struct inletter *l)
{
	check_string("from_addr", l->from_addr, 254, true);
	check_string("reply_addr", l->reply_addr, 254, true);
	check_string("from_name", l->from_name, SIZE_MAX, true);
	check_string("subject", l->subject, SIZE_MAX, true);
	check_id("message_id", l->message_id);
	check_id("in_reply_to", l->in_reply_to);
	check_string("text", l->text, MAIL_TEXT_MAX, false);
	check_string("full_text", l->full_text, MAIL_TEXT_MAX, false);
	if (*l->full_text && !*l->text)
		fuzz_fail("a text without words");
	/* Short texts only: the check is quadratic, and a capped text may lose a line. */
	if (strlen(l->full_text) < 8192 && strlen(l->text) < 8192)
		check_lines_of(l->text, l->full_text);
	for (const char *p = l->from_addr; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			fuzz_fail("from_addr '%s' not lower-case", l->from_addr);
	if (l->n_references > 20 || (l->n_references && !l->references))
		fuzz_fail("%zu references", l->n_references);
	for (size_t i = 0; i < l->n_references; i++)
		check_id("a reference", l->references[i]);
	if (l->n_files > 20 || (l->n_files && !l->files))
		fuzz_fail("%zu files", l->n_files);
	size_t kept = 0;
	for (size_t i = 0; i < l->n_files; i++) {
		const struct inletter_file *f = &l->files[i];
		check_string("a file's name", f->name, SIZE_MAX, true);
		check_string("a file's type", f->mime, SIZE_MAX, true);
		if (!*f->name || strpbrk(f->name, "/\\") || !strcmp(f->name, ".") || !strcmp(f->name, ".."))
			fuzz_fail("file name '%s'", f->name);
		for (const char *p = f->mime; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				fuzz_fail("file type '%s' not lower-case", f->mime);
		if (f->data) {
			if (f->size > FUZZ_ATTACHMENT_MAX)
				fuzz_fail("a file of %zu bytes kept over the cap", f->size);
			kept += f->size;
		}
	}
	if (kept > 4 * FUZZ_ATTACHMENT_MAX)
		fuzz_fail("%zu bytes of files kept", kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		fuzz_quiet_log();
		mail_mime_init();
		ready = true;
	}
	struct inletter l;
	int rc = mail_parse((const char *)data, size, FUZZ_ATTACHMENT_MAX, &l);
	if (rc != 0 && rc != TD_EINVAL)
		fuzz_fail("mail_parse returned %d", rc);
	check_letter(&l);
	inletter_release(&l);
	return 0;
}
