/*
 * imap.c - the desk's mailbox over IMAP; see imap.h. The second file that
 * includes curl.h (core/http.c is the first): libcurl is this module's
 * wrapper for TCP, TLS, STARTTLS and the login, and nothing else sees it.
 *
 * Why libcurl connects and logs in but does not speak IMAP here: its own
 * fetch (a URL with ;UID=n) reads literals correctly but asks for BODY[],
 * which marks the letter \Seen before its ticket exists; a custom request
 * ("UID FETCH ... BODY.PEEK[]") keeps the letter unseen, but libcurl does
 * not parse the literals of custom commands: it ends the response at the
 * first line starting with the command's tag, so a letter holding a line
 * "A004 OK" (curl's tags are A001, A002...) cuts the answer short and
 * leaves the rest of the letter to be read as the next command's answer.
 * A hostile letter could then stall the intake or forge what it reads.
 * So the session is made with CURLOPT_CONNECT_ONLY, which in libcurl 7.88
 * runs the protocol's connect phase too (greeting, CAPABILITY, STARTTLS,
 * the certificate check, AUTHENTICATE/LOGIN) and stops before any command
 * of its own (checked against Dovecot), and the few commands the intake
 * needs (SELECT, UID SEARCH, UID FETCH with BODY.PEEK, UID STORE, LOGOUT)
 * go over curl_easy_send/curl_easy_recv, with every response read by the
 * rules of RFC 3501: a line ending in {n} is followed by exactly n bytes
 * that are data, whatever they look like. The server's lengths are not
 * trusted: a literal over the cap of the command (the letter size limit)
 * or text over LINE_MAX ends the session, and the body of a letter is
 * asked for as a partial fetch of at most max_letter bytes.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include "core/clock.h"
#include "core/log.h"
#include "mail/imap.h"

/* The most text (not literals) one response may carry: a SEARCH of a window of UIDs fits. */
#define LINE_MAX_TEXT (256u << 10)
/* The most UIDs one SEARCH looks at, so that its answer stays under LINE_MAX_TEXT. */
#define SEARCH_WINDOW 10000
/* The literals of answers that carry no letter (a mailbox name, a flag) are small. */
#define SMALL_LITERAL (64u << 10)
/* UIDs per FETCH or STORE command: a compact set, one short line. */
#define UIDS_PER_COMMAND 200

struct imap {
	CURL *curl;
	curl_socket_t sock;
	const volatile int *stop;
	long timeout_ms;
	char *mailbox;             /* the quoted mailbox name for SELECT */
	char *ca_file;
	unsigned tag;
	size_t max_literal;        /* of the command under way */
	char in[16384];            /* bytes received, not yet read */
	size_t in_pos, in_len;
	bool broken;
	char why[256];
};

static int fail(struct imap *m, const char *fmt, ...) TD_PRINTF(2, 3);

/* Records why the session broke; always TD_ERR. */
static int fail(struct imap *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	m->broken = true;
	return TD_ERR;
}

const char *imap_why(const struct imap *m)
{
	return m ? m->why : "";
}

/* Waits for the socket (POLLIN or POLLOUT) in short steps, so that a stop is seen. */
static int wait_socket(struct imap *m, short events, int64_t deadline)
{
	for (;;) {
		if (m->stop && *m->stop)
			return fail(m, "stopping");
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0)
			return fail(m, "the server did not answer within %ld ms", m->timeout_ms);
		struct pollfd p = { m->sock, events, 0 };
		int r = poll(&p, 1, left < 200 ? (int)left : 200);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return fail(m, "poll: %s", strerror(errno));
	}
}

static int send_all(struct imap *m, const char *data, size_t len)
{
	int64_t deadline = clock_mono_ms() + m->timeout_ms;
	while (len) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(m->curl, data, len, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_socket(m, POLLOUT, deadline))
				return TD_ERR;
			continue;
		}
		if (rc != CURLE_OK)
			return fail(m, "send: %s", curl_easy_strerror(rc));
		data += sent;
		len -= sent;
	}
	return 0;
}

/* More bytes into m->in; the wait restarts with every byte, so a big letter on a slow line goes through. */
static int receive(struct imap *m)
{
	int64_t deadline = clock_mono_ms() + m->timeout_ms;
	if (m->in_pos == m->in_len)
		m->in_pos = m->in_len = 0;
	if (m->in_len == sizeof(m->in)) {
		memmove(m->in, m->in + m->in_pos, m->in_len - m->in_pos);
		m->in_len -= m->in_pos;
		m->in_pos = 0;
	}
	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(m->curl, m->in + m->in_len, sizeof(m->in) - m->in_len, &got);
		if (rc == CURLE_AGAIN) {
			if (wait_socket(m, POLLIN, deadline))
				return TD_ERR;
			continue;
		}
		if (rc != CURLE_OK)
			return fail(m, "receive: %s", curl_easy_strerror(rc));
		if (!got)
			return fail(m, "the server closed the connection");
		m->in_len += got;
		return 0;
	}
}

/*
 * The length of a literal announced at the end of the text line (which
 * ends just before its CRLF), or -1 when the line announces none.
 */
static long long literal_at_end(const char *line, size_t len)
{
	if (len < 3 || line[len - 1] != '}')
		return -1;
	size_t i = len - 1, digits = 0;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9') {
		i--;
		digits++;
	}
	if (!digits || digits > 12 || i == 0 || line[i - 1] != '{')
		return -1;
	long long n = 0;
	for (size_t k = i; k < len - 1; k++)
		n = n * 10 + (line[k] - '0');
	return n;
}

/*
 * Reads one whole response into r (reset first): its text lines and the
 * literals between them, byte for byte, ending with the final CRLF. Text
 * past LINE_MAX_TEXT or a literal past m->max_literal ends the session.
 */
static int read_response(struct imap *m, struct buf *r)
{
	size_t text = 0, line_start = 0;
	buf_reset(r);
	for (;;) {
		/* The text up to the next LF. */
		for (;;) {
			if (m->in_pos == m->in_len && receive(m))
				return TD_ERR;
			const char *p = m->in + m->in_pos;
			const char *lf = memchr(p, '\n', m->in_len - m->in_pos);
			size_t take = lf ? (size_t)(lf - p) + 1 : m->in_len - m->in_pos;
			text += take;
			if (text > LINE_MAX_TEXT)
				return fail(m, "a response line over %u bytes", LINE_MAX_TEXT);
			if (buf_add(r, p, take))
				return fail(m, "out of memory for a response");
			m->in_pos += take;
			if (lf)
				break;
		}
		size_t end = r->len - 1;  /* the LF */
		if (end > line_start && r->data[end - 1] == '\r')
			end--;
		long long n = literal_at_end(r->data + line_start, end - line_start);
		if (n < 0)
			return 0;
		if ((unsigned long long)n > m->max_literal)
			return fail(m, "the server announced %lld bytes, over the cap of %zu", n, m->max_literal);
		/* Exactly n bytes of data, whatever lines they hold. */
		size_t left = (size_t)n;
		while (left) {
			if (m->in_pos == m->in_len && receive(m))
				return TD_ERR;
			size_t avail = m->in_len - m->in_pos, take = avail < left ? avail : left;
			if (buf_add(r, m->in + m->in_pos, take))
				return fail(m, "out of memory for a literal of %lld bytes", n);
			m->in_pos += take;
			left -= take;
		}
		line_start = r->len;
	}
}

/* Handles an untagged response of the command under way; non-zero ends the command with it. */
typedef int untagged_fn(struct imap *m, const char *resp, size_t len, void *arg);

/*
 * Sends "<tag> <command>" and reads the responses up to its tagged one,
 * handing each untagged one to fn. 0 when the server said OK; TD_ERR (the
 * session broken) for NO, BAD, BYE or a broken connection.
 */
static int command(struct imap *m, size_t max_literal, untagged_fn *fn, void *arg, const char *fmt, ...)
	TD_PRINTF(5, 6);

static int command(struct imap *m, size_t max_literal, untagged_fn *fn, void *arg, const char *fmt, ...)
{
	struct buf cmd = BUF_INIT(64 << 10), r = BUF_INIT(LINE_MAX_TEXT + max_literal + 64);
	char tag[16];
	va_list ap;
	int rc = TD_ERR;

	if (m->broken)
		return TD_ERR;
	snprintf(tag, sizeof(tag), "T%u ", ++m->tag);
	buf_puts(&cmd, tag);
	va_start(ap, fmt);
	buf_vprintf(&cmd, fmt, ap);
	va_end(ap);
	buf_puts(&cmd, "\r\n");
	if (cmd.failed) {
		fail(m, "a command over %zu bytes", cmd.cap);
		goto done;
	}
	m->max_literal = max_literal;
	if (send_all(m, cmd.data, cmd.len))
		goto done;
	for (;;) {
		if (read_response(m, &r))
			goto done;
		if (!strncmp(r.data, tag, strlen(tag))) {
			const char *status = r.data + strlen(tag);
			if (!strncmp(status, "OK", 2)) {
				rc = 0;
			} else {
				/* The server's words, one printable line, for the log. */
				size_t k = 0;
				for (const char *p = status; *p && *p != '\r' && *p != '\n' && k < 120; p++, k++)
					;
				fail(m, "%.*s: %.*s", (int)strcspn(cmd.data + strlen(tag), " \r"),
				     cmd.data + strlen(tag), (int)k, status);
			}
			goto done;
		}
		if (!strncmp(r.data, "* BYE", 5)) {
			fail(m, "the server said goodbye");
			goto done;
		}
		if (r.data[0] == '*' && fn && fn(m, r.data, r.len, arg))
			goto done;
		/* "+ " continuations are never asked for: the commands carry no literals. */
	}
done:
	buf_release(&cmd);
	buf_release(&r);
	return rc;
}

/* ---- reading a response: a cursor over its bytes ---- */

struct cursor {
	const char *p, *end;
};

static void skip_spaces(struct cursor *c)
{
	while (c->p < c->end && *c->p == ' ')
		c->p++;
}

static bool take_word(struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || strncasecmp(c->p, word, n))
		return false;
	c->p += n;
	return true;
}

static bool take_number(struct cursor *c, int64_t *out)
{
	int64_t v = 0;
	const char *start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && c->p - start < 18)
		v = v * 10 + (*c->p++ - '0');
	if (c->p == start)
		return false;
	*out = v;
	return true;
}

/*
 * A string value: a literal (*out points into the response), a quoted
 * string (its escapes left in: letters never come quoted from the
 * servers we know, and a quoted letter is then read as it came) or NIL.
 */
static bool take_string(struct cursor *c, const char **out, size_t *len)
{
	if (take_word(c, "NIL")) {
		*out = "";
		*len = 0;
		return true;
	}
	if (c->p < c->end && *c->p == '"') {
		const char *s = ++c->p;
		while (c->p < c->end && *c->p != '"')
			c->p += *c->p == '\\' && c->p + 1 < c->end ? 2 : 1;
		if (c->p >= c->end)
			return false;
		*out = s;
		*len = (size_t)(c->p++ - s);
		return true;
	}
	int64_t n;
	if (c->p < c->end && *c->p == '{') {
		c->p++;
		if (!take_number(c, &n) || !take_word(c, "}\r\n") || n > c->end - c->p)
			return false;
		*out = c->p;
		*len = (size_t)n;
		c->p += n;
		return true;
	}
	return false;
}

/* Skips one value of any kind: a list (nested), a string, a number or an atom. */
static bool skip_value(struct cursor *c, int depth)
{
	const char *s;
	size_t n;
	skip_spaces(c);
	if (c->p >= c->end || depth > 32)
		return false;
	if (*c->p == '(') {
		c->p++;
		for (;;) {
			skip_spaces(c);
			if (c->p < c->end && *c->p == ')') {
				c->p++;
				return true;
			}
			if (!skip_value(c, depth + 1))
				return false;
		}
	}
	if (*c->p == '"' || *c->p == '{' || take_word(c, "NIL"))
		return *c->p == '"' || *c->p == '{' ? take_string(c, &s, &n) : true;
	/* An atom, brackets and all (BODY[HEADER]<0> is one). */
	const char *start = c->p;
	int bracket = 0;
	while (c->p < c->end && (bracket || (*c->p != ' ' && *c->p != ')' && *c->p != '(' && *c->p != '\r'))) {
		if (*c->p == '[')
			bracket++;
		else if (*c->p == ']' && bracket)
			bracket--;
		c->p++;
	}
	return c->p > start;
}

/* A FETCH item's name (BODY[]<0>, RFC822.SIZE...) into out; false at the list's end. */
static bool take_item_name(struct cursor *c, char *out, size_t n)
{
	skip_spaces(c);
	const char *start = c->p;
	if (c->p >= c->end || *c->p == ')')
		return false;
	if (!skip_value(c, 0) || *start == '(' || *start == '"' || *start == '{')
		return false;
	snprintf(out, n, "%.*s", (int)(c->p - start), start);
	return true;
}

/* ---- the session ---- */

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	const struct imap *m = arg;
	return m->stop && *m->stop;
}

/* smtp.ca_file's CAs next to the system's, which libcurl has loaded already. */
static CURLcode add_ca_file(CURL *curl, void *ssl_ctx, void *arg)
{
	(void)curl;
	const struct imap *m = arg;
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
	return X509_STORE_load_file(store, m->ca_file) ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

/* The mailbox of the URL's path, percent-decoded and quoted for SELECT; NULL when it is unusable. */
static char *mailbox_of(const char *url)
{
	const char *p = strstr(url, "://");
	struct buf b = BUF_INIT(1024);
	p = p ? strchr(p + 3, '/') : NULL;
	p = p && p[1] && p[1] != ';' ? p + 1 : "INBOX";
	buf_putc(&b, '"');
	for (; *p && *p != ';' && *p != '?'; p++) {
		int c = (unsigned char)*p;
		if (c == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };
			c = (int)strtol(hex, NULL, 16);
			p += 2;
		}
		if (c < 0x20 || c == 0x7f || c >= 0x80) {
			buf_release(&b);
			return NULL;  /* a name outside ASCII needs modified UTF-7: not ours to guess */
		}
		if (c == '"' || c == '\\')
			buf_putc(&b, '\\');
		buf_putc(&b, (char)c);
	}
	buf_putc(&b, '"');
	return b.failed ? NULL : buf_detach(&b);
}

int imap_open(struct imap **out, const struct config *cfg, long timeout_ms, const volatile int *stop,
	      char *err, size_t errlen)
{
	struct imap *m = xcalloc(1, sizeof(*m));
	char curl_err[CURL_ERROR_SIZE] = "";
	int rc = TD_ERR;

	*out = NULL;
	m->stop = stop;
	m->timeout_ms = timeout_ms;
	m->ca_file = xstrdup(cfg->smtp_ca_file);
	m->sock = CURL_SOCKET_BAD;
	bool imaps = !strncasecmp(cfg->imap_url, "imaps://", 8);
	if (!imaps && strncasecmp(cfg->imap_url, "imap://", 7)) {
		snprintf(err, errlen, "imap.url: %s is neither imaps:// nor imap://", cfg->imap_url);
		rc = TD_EINVAL;
		goto fail;
	}
	if (!(m->mailbox = mailbox_of(cfg->imap_url))) {
		snprintf(err, errlen, "imap.url: the mailbox of %s must be plain ASCII", cfg->imap_url);
		rc = TD_EINVAL;
		goto fail;
	}
	if (!(m->curl = curl_easy_init())) {
		snprintf(err, errlen, "imap: cannot start libcurl");
		goto fail;
	}
	CURL *c = m->curl;
	curl_easy_setopt(c, CURLOPT_URL, cfg->imap_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
	curl_easy_setopt(c, CURLOPT_USERNAME, cfg->imap_user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->imap_password);
	/* imaps:// is TLS from the start; imap:// upgrades with STARTTLS or refuses to go on. */
	if (!imaps)
		curl_easy_setopt(c, CURLOPT_USE_SSL, strcmp(cfg->imap_starttls, "off") ? (long)CURLUSESSL_ALL
										      : (long)CURLUSESSL_NONE);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (*m->ca_file) {
		curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, add_ca_file);
		curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, m);
	}
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_SERVER_RESPONSE_TIMEOUT, (timeout_ms + 999) / 1000);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, m);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

	CURLcode cc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "imap: %s: %s", curl_easy_strerror(cc), *curl_err ? curl_err : "-");
		rc = cc == CURLE_LOGIN_DENIED ? TD_EDENIED : TD_ERR;
		goto fail;
	}
	if (curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &m->sock) != CURLE_OK || m->sock == CURL_SOCKET_BAD) {
		snprintf(err, errlen, "imap: libcurl gave no connection");
		goto fail;
	}
	int64_t uidvalidity, uidnext;
	if (imap_select(m, &uidvalidity, &uidnext)) {
		snprintf(err, errlen, "imap: SELECT %s: %s", m->mailbox, m->why);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	imap_close(m);
	return rc;
}

void imap_close(struct imap *m)
{
	if (!m)
		return;
	if (m->curl && m->sock != CURL_SOCKET_BAD) {
		if (!m->broken) {
			long t = m->timeout_ms;
			m->timeout_ms = 1000;
			command(m, SMALL_LITERAL, NULL, NULL, "LOGOUT");
			m->timeout_ms = t;
		}
		/*
		 * libcurl would send a LOGOUT of its own on cleanup and wait for
		 * its answer: on a connection we left mid-response that wait
		 * would be long. Closed for both directions, it ends at once.
		 */
		shutdown(m->sock, SHUT_RDWR);
	}
	if (m->curl)
		curl_easy_cleanup(m->curl);
	free(m->mailbox);
	free(m->ca_file);
	free(m);
}

struct select_state {
	int64_t uidvalidity, uidnext;
};

static int on_select(struct imap *m, const char *resp, size_t len, void *arg)
{
	(void)m;
	struct select_state *s = arg;
	struct cursor c = { resp, resp + len };
	if (!take_word(&c, "* OK ["))
		return 0;
	if (take_word(&c, "UIDVALIDITY "))
		take_number(&c, &s->uidvalidity);
	else if (take_word(&c, "UIDNEXT "))
		take_number(&c, &s->uidnext);
	return 0;
}

int imap_select(struct imap *m, int64_t *uidvalidity, int64_t *uidnext)
{
	struct select_state s = { 0, 0 };
	if (command(m, SMALL_LITERAL, on_select, &s, "SELECT %s", m->mailbox))
		return TD_ERR;
	if (s.uidvalidity <= 0)
		return fail(m, "SELECT gave no UIDVALIDITY");
	*uidvalidity = s.uidvalidity;
	*uidnext = s.uidnext;
	return 0;
}

struct uid_list {
	int64_t *uids;
	size_t n, alloc;
	int64_t lo, hi;   /* the window asked for: a server's "n:*" may name a UID below it */
};

static int on_search(struct imap *m, const char *resp, size_t len, void *arg)
{
	(void)m;
	struct uid_list *l = arg;
	struct cursor c = { resp, resp + len };
	int64_t uid;
	if (!take_word(&c, "* SEARCH"))
		return 0;
	for (;;) {
		skip_spaces(&c);
		if (!take_number(&c, &uid))
			return 0;
		if (uid < l->lo || uid > l->hi || l->n >= SEARCH_WINDOW)
			continue;
		if (l->n == l->alloc) {
			l->alloc = l->alloc ? 2 * l->alloc : 64;
			l->uids = xrealloc(l->uids, l->alloc * sizeof(*l->uids));
		}
		l->uids[l->n++] = uid;
	}
}

static int cmp_uid(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int imap_search(struct imap *m, int64_t from_uid, int64_t uidnext, bool unseen, int64_t **uids,
		size_t *n)
{
	struct uid_list l = { NULL, 0, 0, 0, 0 };
	int rc = 0;
	if (from_uid < 1)
		from_uid = 1;
	/* Window by window up to UIDNEXT, until one holds letters. */
	for (int64_t lo = from_uid; !l.n && (!uidnext || lo < uidnext); lo += SEARCH_WINDOW) {
		l.lo = lo;
		l.hi = uidnext ? lo + SEARCH_WINDOW - 1 : INT64_MAX;
		if (uidnext && l.hi > uidnext - 1)
			l.hi = uidnext - 1;
		char range[64];
		if (uidnext)
			snprintf(range, sizeof(range), "%lld:%lld", (long long)l.lo, (long long)l.hi);
		else
			snprintf(range, sizeof(range), "%lld:*", (long long)l.lo);
		rc = command(m, SMALL_LITERAL, on_search, &l, "UID SEARCH %sUID %s", unseen ? "UNSEEN " : "", range);
		if (rc || !uidnext)
			break;
	}
	if (rc) {
		free(l.uids);
		return rc;
	}
	if (l.n)
		qsort(l.uids, l.n, sizeof(*l.uids), cmp_uid);
	/* A UID named twice is taken once. */
	size_t k = 0;
	for (size_t i = 0; i < l.n; i++)
		if (!k || l.uids[k - 1] != l.uids[i])
			l.uids[k++] = l.uids[i];
	*uids = l.uids;
	*n = k;
	return 0;
}

/* A compact UID set ("3:7,9,12:14") of the n ascending uids. */
static void uid_set(struct buf *b, const int64_t *uids, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (i)
			buf_putc(b, ',');
		if (j > i)
			buf_printf(b, "%lld:%lld", (long long)uids[i], (long long)uids[j]);
		else
			buf_printf(b, "%lld", (long long)uids[i]);
		i = j + 1;
	}
}

struct fetch_state {
	struct imap_letter *letters;
	size_t n;
	bool sizes;        /* this pass asks for sizes; else for bytes */
};

static struct imap_letter *letter_of(struct fetch_state *f, int64_t uid)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->letters[mid].uid == uid)
			return &f->letters[mid];
		if (f->letters[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* "* n FETCH (UID u RFC822.SIZE s BODY[]<0> {k}...)": what it says of one of our letters. */
static int on_fetch(struct imap *m, const char *resp, size_t len, void *arg)
{
	struct fetch_state *f = arg;
	struct cursor c = { resp, resp + len };
	int64_t seq, uid = 0, size = -1;
	const char *data = NULL;
	size_t data_len = 0;
	char item[64];

	if (!take_word(&c, "* ") || !take_number(&c, &seq) || !take_word(&c, " FETCH ("))
		return 0;
	while (take_item_name(&c, item, sizeof(item))) {
		skip_spaces(&c);
		if (!strcasecmp(item, "UID")) {
			if (!take_number(&c, &uid))
				return fail(m, "FETCH: a UID that is no number");
		} else if (!strcasecmp(item, "RFC822.SIZE")) {
			if (!take_number(&c, &size))
				return fail(m, "FETCH: a size that is no number");
		} else if (!strncasecmp(item, "BODY[", 5)) {
			if (!take_string(&c, &data, &data_len))
				return fail(m, "FETCH: %s without its bytes", item);
		} else if (!skip_value(&c, 0)) {
			return fail(m, "FETCH: cannot read %s", item);
		}
	}
	/* Unsolicited FETCH (another client's flags) and letters not asked for are passed by. */
	struct imap_letter *l = uid ? letter_of(f, uid) : NULL;
	if (!l)
		return 0;
	if (f->sizes && size >= 0) {
		l->size = (size_t)size;
		l->gone = false;
	} else if (!f->sizes && data) {
		buf_reset(&l->raw);
		if (buf_add(&l->raw, data, data_len))
			return fail(m, "out of memory for letter %lld", (long long)uid);
		l->gone = false;
	}
	return 0;
}

/* One FETCH of items for the letters picked (pick[i]), in commands of UIDS_PER_COMMAND. */
static int fetch_items(struct imap *m, struct fetch_state *f, const bool *pick, const char *items,
		       size_t max_literal)
{
	int64_t uids[UIDS_PER_COMMAND];
	struct buf set = BUF_INIT(64 << 10);
	size_t i = 0;
	int rc = 0;
	while (i < f->n && !rc) {
		size_t k = 0;
		for (; i < f->n && k < UIDS_PER_COMMAND; i++)
			if (pick[i])
				uids[k++] = f->letters[i].uid;
		if (!k)
			break;
		buf_reset(&set);
		uid_set(&set, uids, k);
		rc = command(m, max_literal, on_fetch, f, "UID FETCH %s (%s)", buf_cstr(&set), items);
	}
	buf_release(&set);
	return rc;
}

int imap_fetch(struct imap *m, struct imap_letter *letters, size_t n, size_t max_letter, size_t budget,
	       size_t *fetched)
{
	struct fetch_state f = { letters, n, true };
	bool *all = xcalloc(n ? n : 1, sizeof(bool)), *small = xcalloc(n ? n : 1, sizeof(bool));
	char items[96];
	int rc;

	for (size_t i = 0; i < n; i++) {
		int64_t uid = letters[i].uid;
		letters[i] = (struct imap_letter){ .uid = uid, .gone = true };
		buf_init(&letters[i].raw, (max_letter > IMAP_HEADER_MAX ? max_letter : IMAP_HEADER_MAX) + 1);
		all[i] = true;
	}
	rc = fetch_items(m, &f, all, "UID RFC822.SIZE", SMALL_LITERAL);
	if (rc)
		goto done;
	/* The first letters whose bytes fit the budget together (the first always goes). */
	size_t k = 0, bytes = 0;
	for (; k < n; k++) {
		struct imap_letter *l = &letters[k];
		l->header_only = !l->gone && l->size > max_letter;
		size_t cost = l->gone ? 0 : l->header_only ? IMAP_HEADER_MAX : l->size;
		if (k && bytes + cost > budget)
			break;
		bytes += cost;
		small[k] = !l->gone && !l->header_only;
		all[k] = l->header_only;
		l->gone = true;  /* until its bytes come */
	}
	for (size_t i = k; i < n; i++)
		all[i] = false;
	*fetched = k;
	/* Partial fetches: the server itself sends no more than the cap, whatever RFC822.SIZE said. */
	f.sizes = false;
	snprintf(items, sizeof(items), "UID BODY.PEEK[]<0.%zu>", max_letter);
	rc = fetch_items(m, &f, small, items, max_letter);
	if (!rc) {
		snprintf(items, sizeof(items), "UID BODY.PEEK[HEADER]<0.%u>", IMAP_HEADER_MAX);
		rc = fetch_items(m, &f, all, items, IMAP_HEADER_MAX);
	}
done:
	free(all);
	free(small);
	return rc;
}

void imap_letter_release(struct imap_letter *l)
{
	buf_release(&l->raw);
}

int imap_seen(struct imap *m, const int64_t *uids, size_t n)
{
	struct buf set = BUF_INIT(64 << 10);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i += UIDS_PER_COMMAND) {
		size_t k = n - i < UIDS_PER_COMMAND ? n - i : UIDS_PER_COMMAND;
		buf_reset(&set);
		uid_set(&set, uids + i, k);
		rc = command(m, SMALL_LITERAL, NULL, NULL, "UID STORE %s +FLAGS.SILENT (\\Seen)", buf_cstr(&set));
	}
	buf_release(&set);
	return rc;
}
