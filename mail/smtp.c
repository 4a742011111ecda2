/*
 * smtp.c - messages to an SMTP server with libESMTP; see smtp.h.
 *
 * libESMTP's own certificate policy is left out of the way: the session
 * gets our SSL_CTX, which verifies the chain (SSL_VERIFY_PEER: the
 * handshake itself fails on a bad certificate) and the name we were given
 * (the CTX's verify parameters), and the event callback never turns one of
 * libESMTP's refusals into an acceptance, save its own name check, which
 * looks at the resolver's canonical name and knows no IP addresses: there
 * the certificate is accepted only when OpenSSL's check against smtp.host
 * passes.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "core/log.h"
#include "mail/build.h"
#include "mail/smtp.h"

struct mail_smtp {
	char *host, *port, *server;  /* server: "host:port" for libESMTP */
	char *user, *password;       /* user "": no AUTH */
	char *from_header;           /* smtp.from */
	char from[256];              /* the envelope's sender: from_header's address, "" till the first session */
	enum starttls_option starttls;
	long timeout_ms;
	bool host_is_ip;
	char *ca_file;               /* smtp.ca_file, "" for the system's CAs alone */
	SSL_CTX *tls;                /* made for the first session: see tls_check() */
	/* One session's findings, reset by mail_smtp_send(). */
	char why[256];               /* why the session went nowhere, "" when it did not fail so */
	bool auth_tried, auth_ok, auth_waiting;
	struct session_items *current;
};

/* The messages of the session under way, for the event that one was answered. */
struct session_items {
	struct mail_item *items;
	smtp_message_t *msgs;
	smtp_recipient_t **rcpts;
	bool *finished;
	size_t n;
};

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void auth_init(void)
{
	auth_client_init();
}

/* Records why the session failed; the first reason is the one kept. */
static void why(struct mail_smtp *s, const char *fmt, ...) TD_PRINTF(2, 3);
static void why(struct mail_smtp *s, const char *fmt, ...)
{
	va_list ap;
	if (*s->why)
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* OpenSSL's verdict on each certificate of the chain: the reason of a refusal, kept. */
static int verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct mail_smtp *s = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	if (!ok && s)
		why(s, "the server's certificate is refused: %s",
		    X509_verify_cert_error_string(X509_STORE_CTX_get_error(x)));
	return ok;
}

/* SNI, which libESMTP does not send: servers with several names need it. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	(void)ret;
	struct mail_smtp *s = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	if ((where & SSL_CB_HANDSHAKE_START) && s && !s->host_is_ip &&
	    !SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name))
		SSL_set_tlsext_host_name((SSL *)ssl, s->host);
}

static bool is_ip(const char *host)
{
	unsigned char a[16];
	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

static int tls_new(struct mail_smtp *s, char *err, size_t errlen)
{
	s->tls = SSL_CTX_new(TLS_client_method());
	if (!s->tls) {
		snprintf(err, errlen, "smtp: cannot make a TLS context");
		return TD_ERR;
	}
	/*
	 * TLS 1.2 only: libESMTP 1.1.0 reads from its socket without
	 * blocking, and a TLS 1.3 server's session tickets, which come
	 * after the handshake, then read as a dropped connection (one
	 * session in five against aiosmtpd). TLS 1.2 with the default
	 * ciphers (ECDHE, AEAD) is what submission servers all offer.
	 */
	SSL_CTX_set_min_proto_version(s->tls, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(s->tls, TLS1_2_VERSION);
	SSL_CTX_set_app_data(s->tls, s);
	/*
	 * The system's CAs by their hashed directory, read when a chain
	 * needs one: the bundle file would be parsed whole into memory
	 * (over a megabyte of the daemon's RSS for ~140 certificates).
	 */
	if (!SSL_CTX_load_verify_dir(s->tls, X509_get_default_cert_dir())) {
		snprintf(err, errlen, "smtp: cannot use the system's CA directory %s", X509_get_default_cert_dir());
		return TD_ERR;
	}
	if (*s->ca_file && !SSL_CTX_load_verify_locations(s->tls, s->ca_file, NULL)) {
		snprintf(err, errlen, "smtp.ca_file: cannot load CA certificates from %s", s->ca_file);
		return TD_EINVAL;
	}
	SSL_CTX_set_verify(s->tls, SSL_VERIFY_PEER, verify_cb);
	SSL_CTX_set_info_callback(s->tls, info_cb);
	X509_VERIFY_PARAM *p = SSL_CTX_get0_param(s->tls);
	X509_VERIFY_PARAM_set_hostflags(p, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (s->host_is_ip ? !X509_VERIFY_PARAM_set1_ip_asc(p, s->host) :
			    !X509_VERIFY_PARAM_set1_host(p, s->host, 0)) {
		snprintf(err, errlen, "smtp.host: %s cannot be checked against a certificate", s->host);
		return TD_EINVAL;
	}
	return 0;
}

/*
 * What tls_new() would refuse, found at the start without making the
 * context: SSL_CTX_new() fetches every cipher and digest of OpenSSL's
 * providers (about 0.5 MB of an idle daemon's RSS, bench/RESULTS.md), so
 * the context is made when the first session needs it. The same checks on
 * a bare store and verify parameters: the CA directory and file as
 * SSL_CTX_load_verify_dir/_locations load them, the host as a name or
 * address a certificate can be checked against.
 */
static int tls_check(struct mail_smtp *s, char *err, size_t errlen)
{
	X509_STORE *store = X509_STORE_new();
	X509_VERIFY_PARAM *p = X509_VERIFY_PARAM_new();
	int rc = 0;
	if (!store || !p) {
		snprintf(err, errlen, "smtp: cannot make a TLS context");
		rc = TD_ERR;
	} else if (!X509_STORE_load_path(store, X509_get_default_cert_dir())) {
		snprintf(err, errlen, "smtp: cannot use the system's CA directory %s", X509_get_default_cert_dir());
		rc = TD_ERR;
	} else if (*s->ca_file && !X509_STORE_load_file(store, s->ca_file)) {
		snprintf(err, errlen, "smtp.ca_file: cannot load CA certificates from %s", s->ca_file);
		rc = TD_EINVAL;
	} else if (s->host_is_ip ? !X509_VERIFY_PARAM_set1_ip_asc(p, s->host) :
				   !X509_VERIFY_PARAM_set1_host(p, s->host, 0)) {
		snprintf(err, errlen, "smtp.host: %s cannot be checked against a certificate", s->host);
		rc = TD_EINVAL;
	}
	X509_VERIFY_PARAM_free(p);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

int mail_smtp_new(struct mail_smtp **out, const struct config *cfg, char *err, size_t errlen)
{
	struct mail_smtp *s = xcalloc(1, sizeof(*s));
	char port[16];
	int rc;
	snprintf(port, sizeof(port), "%lld", cfg->smtp_port);
	s->host = xstrdup(cfg->smtp_host);
	s->port = xstrdup(port);
	s->server = xmalloc(strlen(s->host) + strlen(port) + 4);
	/* An IPv6 address in brackets, so that libESMTP finds its port. */
	snprintf(s->server, strlen(s->host) + strlen(port) + 4,
		 strchr(s->host, ':') ? "[%s]:%s" : "%s:%s", s->host, port);
	s->user = xstrdup(cfg->smtp_user);
	s->password = xstrdup(cfg->smtp_password);
	s->starttls = !strcmp(cfg->smtp_starttls, "off") ? Starttls_DISABLED :
		      !strcmp(cfg->smtp_starttls, "optional") ? Starttls_ENABLED : Starttls_REQUIRED;
	s->timeout_ms = (long)cfg->smtp_timeout * 1000;
	s->host_is_ip = is_ip(s->host);
	/* Its address is read for the first session, by GMime, which the sender starts for its first letter. */
	s->from_header = xstrdup(cfg->smtp_from);
	s->ca_file = xstrdup(cfg->smtp_ca_file);
	rc = tls_check(s, err, errlen);
	if (rc)
		goto fail;
	pthread_once(&auth_once, auth_init);
	*out = s;
	return 0;
fail:
	mail_smtp_free(s);
	return rc;
}

void mail_smtp_free(struct mail_smtp *s)
{
	if (!s)
		return;
	SSL_CTX_free(s->tls);
	free(s->ca_file);
	free(s->from_header);
	free(s->host);
	free(s->port);
	free(s->server);
	free(s->user);
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

/*
 * libESMTP connects without a time-out (a host that drops packets holds a
 * session for minutes): a connection within smtp.timeout comes first, or
 * the session is not tried. 0, or -1 with the reason.
 */
static int reachable(struct mail_smtp *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *a;
	int e = getaddrinfo(s->host, s->port, &hints, &res), last = ETIMEDOUT;
	if (e) {
		why(s, "cannot resolve %s: %s", s->host, gai_strerror(e));
		return -1;
	}
	for (a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
		if (fd < 0)
			continue;
		int rc = connect(fd, a->ai_addr, a->ai_addrlen);
		if (rc && errno == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			socklen_t n = sizeof(last);
			last = ETIMEDOUT;
			if (poll(&p, 1, (int)s->timeout_ms) == 1 &&
			    !getsockopt(fd, SOL_SOCKET, SO_ERROR, &last, &n) && !last)
				rc = 0;
		} else if (rc) {
			last = errno;
		}
		close(fd);
		if (!rc) {
			freeaddrinfo(res);
			return 0;
		}
	}
	freeaddrinfo(res);
	why(s, "cannot connect to %s: %s", s->server, strerror(last));
	return -1;
}

static void finish(struct mail_smtp *s, size_t i, const char *session_err);

/*
 * TCP_NODELAY on libESMTP's connection, which it does not set nor show:
 * it writes a message in pieces, and the last piece waited for the
 * server's delayed acknowledgement, 40 ms a message (20 letters a second
 * at most). Its socket is found among ours by the server's port.
 */
static void no_delay(struct mail_smtp *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long long port;
	if (!d || parse_int(&port, s->port, 1, 65535)) {
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d))) {
		long long fd;
		struct sockaddr_storage a;
		socklen_t n = sizeof(a);
		if (parse_int(&fd, e->d_name, 0, INT32_MAX) || getpeername((int)fd, (struct sockaddr *)&a, &n))
			continue;
		in_port_t p = a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port :
			      a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port : 0;
		int one = 1;
		if (ntohs(p) == port)
			setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	closedir(d);
}

/* What libESMTP reports on the way: TLS refusals, a missing STARTTLS, a message answered. */
static void event_cb(smtp_session_t session, int event, void *arg, ...)
{
	struct mail_smtp *s = arg;
	va_list ap;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		no_delay(s);
		break;
	case SMTP_EV_MESSAGESENT: {
		smtp_message_t m = va_arg(ap, smtp_message_t);
		for (size_t i = 0; s->current && i < s->current->n; i++)
			if (s->current->msgs[i] == m && !s->current->finished[i])
				finish(s, i, "the session ended early");
		break;
	}
	case SMTP_EV_STARTTLS_OK:
		/*
		 * Required and done. libESMTP would check the requirement
		 * again against the EHLO after TLS, where no server offers
		 * STARTTLS any more, and give up: it is met, so it goes.
		 */
		smtp_starttls_enable(session, Starttls_ENABLED);
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		why(s, "the server does not offer STARTTLS (smtp.starttls = required)");
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long v = va_arg(ap, long);
		why(s, "the server's certificate is refused: %s", X509_verify_cert_error_string(v));
		break;
	}
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
	case SMTP_EV_UNUSABLE_CA_LIST:
		/* libESMTP looks under $HOME/.config/libesmtp (or $XDG_CONFIG_DIR) for its own. */
		why(s, "libESMTP cannot use its certificate files under $HOME/.config/libesmtp");
		break;
	case SMTP_EV_NO_PEER_CERTIFICATE:
		why(s, "the server shows no certificate");
		break;
	case SMTP_EV_WEAK_CIPHER:
		why(s, "the server's cipher is too weak");
		break;
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		(void)va_arg(ap, const char *);
		SSL *ssl = va_arg(ap, SSL *);
		X509 *cert = SSL_get1_peer_certificate(ssl);
		/* OpenSSL checked smtp.host already in the handshake; this says the same again. */
		if (cert && SSL_get_verify_result(ssl) == X509_V_OK &&
		    (s->host_is_ip ? X509_check_ip_asc(cert, s->host, 0) :
				     X509_check_host(cert, s->host, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL)) == 1)
			*ok = 1;
		else
			why(s, "the server's certificate is not for %s", s->host);
		X509_free(cert);
		break;
	}
	default:
		break;
	}
	va_end(ap);
}

/*
 * libESMTP carries on without AUTH when the server refuses it; the
 * protocol's replies to AUTH (never what we write: it holds the password)
 * tell whether it passed. A refusal after a failed AUTH is then the
 * configuration's fault, not the recipient's, and is tried again.
 */
static void monitor_cb(const char *data, int len, int writing, void *arg)
{
	struct mail_smtp *s = arg;
	/* The server's side only: ours holds the password (AUTH and its answers, in base64). */
	if (writing == SMTP_CB_READING)
		log_debug("smtp: server: %.*s", len > 200 ? 200 : len, data);
	if (writing == SMTP_CB_WRITING) {
		if (len >= 5 && !strncmp(data, "AUTH ", 5))
			s->auth_tried = s->auth_waiting = true;
		return;
	}
	if (writing != SMTP_CB_READING || !s->auth_waiting || len < 3)
		return;
	if (!strncmp(data, "334", 3))
		return;
	s->auth_waiting = false;
	s->auth_ok = data[0] == '2';
	if (!s->auth_ok) {
		int n = len;
		while (n > 0 && (data[n - 1] == '\r' || data[n - 1] == '\n'))
			n--;
		*s->why = '\0';
		why(s, "AUTH refused: %.*s", n > 200 ? 200 : n, data);
	}
}

/* AUTH's questions: the user and the password (borrowed by libESMTP for the session). */
static int interact_cb(auth_client_request_t req, char **result, int fields, void *arg)
{
	static char none[1];
	struct mail_smtp *s = arg;
	for (int i = 0; i < fields; i++)
		result[i] = req[i].flags & AUTH_USER ? s->user : req[i].flags & AUTH_PASS ? s->password : none;
	return 1;
}

/*
 * The message handed to libESMTP whole, once; len NULL: from the start
 * again. *ctx stays NULL: libESMTP frees what a callback leaves there.
 */
struct source {
	const char *data;
	size_t len;
	bool given;
};

static const char *message_cb(void **ctx, int *len, void *arg)
{
	(void)ctx;
	struct source *src = arg;
	if (!len) {
		src->given = false;
		return NULL;
	}
	if (src->given) {
		*len = 0;
		return NULL;
	}
	src->given = true;
	*len = (int)src->len;
	return src->data;
}

/* A server's reply on one line, into r. */
static void set_result(struct mail_result *r, enum mail_outcome o, int code, const char *text)
{
	r->outcome = o;
	r->code = code;
	snprintf(r->reply, sizeof(r->reply), "%s", text ? text : "");
	r->reply[utf8_cut(r->reply, strlen(r->reply))] = '\0';
	for (char *c = r->reply; *c; c++)
		if ((unsigned char)*c < ' ')
			*c = ' ';
}

static enum mail_outcome outcome_of(int code)
{
	return code >= 200 && code < 300 ? MAIL_SENT : code >= 500 && code < 600 ? MAIL_PERMANENT :
										 MAIL_TEMPORARY;
}

/*
 * A recipient's fate: its RCPT reply, then the message's; no reply at all
 * (the session stopped before): temporary, with why the session stopped.
 */
static void classify(struct mail_smtp *s, struct mail_result *r, const smtp_status_t *rcpt,
		     const smtp_status_t *msg, const smtp_status_t *mail_from, const char *session_err)
{
	const smtp_status_t *st = rcpt && rcpt->code >= 300 ? rcpt :
				  rcpt && rcpt->code >= 200 ? msg : NULL;
	if (!st || !st->code) {
		if (s->auth_tried && !s->auth_ok)
			set_result(r, MAIL_TEMPORARY, 0, *s->why ? s->why : session_err);
		else if (mail_from && mail_from->code >= 400)
			set_result(r, MAIL_TEMPORARY, mail_from->code, mail_from->text);
		else
			set_result(r, MAIL_TEMPORARY, 0, *s->why ? s->why : session_err);
		return;
	}
	enum mail_outcome o = outcome_of(st->code);
	if (o == MAIL_PERMANENT && s->auth_tried && !s->auth_ok) {
		set_result(r, MAIL_TEMPORARY, st->code, *s->why ? s->why : st->text);
		return;
	}
	set_result(r, o, st->code, st->text);
}

/* Fills item i's results and tells its owner. */
static void finish(struct mail_smtp *s, size_t i, const char *session_err)
{
	struct session_items *c = s->current;
	struct mail_item *it = &c->items[i];
	for (size_t j = 0; j < it->n_rcpts; j++) {
		if (!c->msgs[i]) {
			set_result(&it->results[j], MAIL_TEMPORARY, 0, s->why);
			continue;
		}
		classify(s, &it->results[j], c->rcpts[i][j] ? smtp_recipient_status(c->rcpts[i][j]) : NULL,
			 smtp_message_transfer_status(c->msgs[i]), smtp_reverse_path_status(c->msgs[i]),
			 session_err);
	}
	c->finished[i] = true;
	if (it->done)
		it->done(it, it->arg);
}

void mail_smtp_send(struct mail_smtp *s, struct mail_item *items, size_t n)
{
	smtp_session_t session = NULL;
	auth_context_t auth = NULL;
	size_t m = n ? n : 1;
	struct source *src = xcalloc(m, sizeof(*src));
	struct session_items c = {
		items, xcalloc(m, sizeof(*c.msgs)), xcalloc(m, sizeof(*c.rcpts)), xcalloc(m, sizeof(*c.finished)), n,
	};
	char session_err[160] = "";
	int ran = 0;

	*s->why = '\0';
	s->auth_tried = s->auth_ok = s->auth_waiting = false;
	s->current = &c;
	if (reachable(s))
		goto done;
	if (!*s->from && mail_from_address(s->from, sizeof(s->from), s->from_header)) {
		why(s, "smtp.from: '%s' is not an address", s->from_header);
		goto done;
	}
	if (!s->tls) {
		char err[256];
		if (tls_new(s, err, sizeof(err))) {
			SSL_CTX_free(s->tls);
			s->tls = NULL;
			why(s, "%s", err);
			goto done;
		}
	}
	session = smtp_create_session();
	if (!session || !smtp_set_server(session, s->server)) {
		why(s, "cannot start an SMTP session");
		goto done;
	}
	for (int t = Timeout_GREETING; t <= Timeout_DATA2; t++)
		smtp_set_timeout(session, t | Timeout_OVERRIDE_RFC2822_MINIMUM, s->timeout_ms);
	smtp_starttls_enable(session, s->starttls);
	smtp_starttls_set_ctx(session, s->tls);
	smtp_set_eventcb(session, event_cb, s);
	smtp_set_monitorcb(session, monitor_cb, s, 0);
	if (*s->user) {
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact_cb, s);
		smtp_auth_set_context(session, auth);
	}
	for (size_t i = 0; i < n; i++) {
		src[i] = (struct source){ items[i].data, items[i].len, false };
		c.msgs[i] = smtp_add_message(session);
		smtp_set_reverse_path(c.msgs[i], s->from);
		smtp_set_messagecb(c.msgs[i], message_cb, &src[i]);
		c.rcpts[i] = xcalloc(items[i].n_rcpts ? items[i].n_rcpts : 1, sizeof(**c.rcpts));
		for (size_t j = 0; j < items[i].n_rcpts; j++)
			c.rcpts[i][j] = smtp_add_recipient(c.msgs[i], items[i].rcpts[j]);
	}
	ran = smtp_start_session(session);
	/* A session may stop early and still say it ran: its error says why. */
	int e = smtp_errno();
	unsigned long tls_e = ERR_get_error();
	if (tls_e) {
		char t[128];
		ERR_error_string_n(tls_e, t, sizeof(t));
		snprintf(session_err, sizeof(session_err), "TLS failed: %s", t);
		ERR_clear_error();
	} else if (!ran || e) {
		char t[128];
		snprintf(session_err, sizeof(session_err), "SMTP session failed: %s",
			 smtp_strerror(e, t, sizeof(t)));
	}
done:
	for (size_t i = 0; i < n; i++)
		if (!c.finished[i])
			finish(s, i, *session_err ? session_err : "the session ended early");
	s->current = NULL;
	if (session)
		smtp_destroy_session(session);
	if (auth)
		auth_destroy_context(auth);
	for (size_t i = 0; i < n; i++)
		free(c.rcpts[i]);
	free(c.rcpts);
	free(c.msgs);
	free(c.finished);
	free(src);
}
