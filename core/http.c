#include <curl/curl.h>

#include "core/http.h"
#include "core/log.h"

struct http {
	CURL *curl;
	char *header;   /* one more header line for every request; may be a secret */
};

struct transfer {
	struct http_response *resp;
	const volatile int *abort_flag;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer *t = arg;
	if (buf_add(&t->resp->body, p, size * n))
		return 0;  /* past the cap: curl stops with CURLE_WRITE_ERROR */
	return size * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct transfer *t = arg;
	(void)dt, (void)dn, (void)ut, (void)un;
	return t->abort_flag && *t->abort_flag;
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : TD_ERR;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct http *http_new(void)
{
	struct http *h = xcalloc(1, sizeof(*h));
	h->curl = curl_easy_init();
	if (!h->curl)
		fatal("cannot initialise libcurl");
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	http_set_header(h, NULL);
	free(h);
}

void http_set_header(struct http *h, const char *line)
{
	if (h->header)
		explicit_bzero(h->header, strlen(h->header));
	free(h->header);
	h->header = line ? xstrdup(line) : NULL;
}

/*
 * The options every request sets: url, body (copied; NULL: a GET),
 * headers, the body callback, time-outs.
 */
static void setup(CURL *c, struct transfer *t, const char *url, struct curl_slist *headers,
		  const char *body, size_t len, long timeout_ms)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		/* Copied: a call in flight outlives the caller's body. */
		curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, t->abort_flag ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tilldesk/0.1");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	t->resp->status = 0;
	t->resp->content_type[0] = '\0';
	t->resp->retry_after = 0;
}

static struct curl_slist *headers_for(const char *content_type)
{
	char ct[128];
	struct curl_slist *headers = NULL;
	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	headers = curl_slist_append(headers, ct);
	/* No "Expect: 100-continue" round trip for larger bodies. */
	return curl_slist_append(headers, "Expect:");
}

/* What a finished transfer gives its caller: 0, TD_ERR or TD_ENOMEM (as http_post). */
static int finish(CURL *c, CURLcode res, struct http_response *resp, const char *what)
{
	char *type = NULL;
	if (res == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
			snprintf(resp->content_type, sizeof(resp->content_type), "%s", type);
		curl_off_t retry = 0;
		if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
			resp->retry_after = retry > 86400 ? 86400 : (long)retry;
		return 0;
	}
	if (res == CURLE_WRITE_ERROR && resp->body.failed) {
		log_warn("http: the answer to %s is larger than %zu bytes", what, resp->body.cap);
		return TD_ENOMEM;
	}
	log_debug("http: %s: %s", what, curl_easy_strerror(res));
	return TD_ERR;
}

/* One request of h, waited for; headers are freed. */
static int perform(struct http *h, const char *url, const char *what, struct curl_slist *headers,
		   const char *body, size_t len, long timeout_ms, struct http_response *resp,
		   const volatile int *abort_flag)
{
	struct transfer t = { resp, abort_flag };
	CURL *c = h->curl;
	if (h->header)
		headers = curl_slist_append(headers, h->header);
	curl_easy_reset(c);
	setup(c, &t, url, headers, body, len, timeout_ms);
	/* Progress is polled only for the abort flag. */
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	int rc = finish(c, curl_easy_perform(c), resp, what);
	curl_slist_free_all(headers);
	return rc;
}

int http_post(struct http *h, const char *url, const char *what, const char *content_type,
	      const char *body, size_t len, long timeout_ms, struct http_response *resp,
	      const volatile int *abort_flag)
{
	return perform(h, url, what, headers_for(content_type), body, len, timeout_ms, resp,
		       abort_flag);
}

int http_get(struct http *h, const char *url, const char *what, const char *accept,
	     long timeout_ms, struct http_response *resp, const volatile int *abort_flag)
{
	char line[128];
	struct curl_slist *headers = NULL;
	if (accept) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		headers = curl_slist_append(headers, line);
	}
	return perform(h, url, what, headers, NULL, 0, timeout_ms, resp, abort_flag);
}

/* One request of a struct http_multi, from http_multi_post() to http_multi_next(). */
struct http_req {
	CURL *curl;
	struct curl_slist *headers;
	curl_mime *form;   /* a multipart body, NULL for others */
	struct transfer t;
	char what[64];
	void *user;
	struct http_req *next;   /* in the list of requests in flight */
};

struct http_multi {
	CURLM *multi;
	struct http_req *reqs;
	int running;
};

struct http_multi *http_multi_new(long max_connections)
{
	struct http_multi *m = xcalloc(1, sizeof(*m));
	m->multi = curl_multi_init();
	if (!m->multi)
		fatal("cannot initialise libcurl's multi interface");
	/* Several kept-alive connections to the one host, or one multiplexed (HTTP/2). */
	curl_multi_setopt(m->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(m->multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_connections);
	curl_multi_setopt(m->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
	curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, max_connections);
	return m;
}

/* Frees a request that is not (or no longer) in the multi handle. */
static void req_discard(struct http_req *r)
{
	curl_easy_cleanup(r->curl);
	curl_mime_free(r->form);
	curl_slist_free_all(r->headers);
	free(r);
}

static void req_free(struct http_multi *m, struct http_req *r)
{
	curl_multi_remove_handle(m->multi, r->curl);
	req_discard(r);
}

/* Takes r out of m's list. */
static void req_unlink(struct http_multi *m, struct http_req *r)
{
	for (struct http_req **p = &m->reqs; *p; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			return;
		}
}

void http_multi_free(struct http_multi *m, void (*drop)(void *user))
{
	if (!m)
		return;
	while (m->reqs) {
		struct http_req *r = m->reqs;
		m->reqs = r->next;
		if (drop)
			drop(r->user);
		req_free(m, r);
	}
	curl_multi_cleanup(m->multi);
	free(m);
}

/* A request of m, its options set but not yet added; NULL when curl cannot make one. */
static struct http_req *req_new(const char *url, const char *what, struct curl_slist *headers,
				const char *body, size_t len, long timeout_ms,
				struct http_response *resp, void *user)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	r->curl = curl_easy_init();
	if (!r->curl) {
		curl_slist_free_all(headers);
		free(r);
		return NULL;
	}
	r->t.resp = resp;
	r->user = user;
	snprintf(r->what, sizeof(r->what), "%s", what);
	r->headers = headers;
	setup(r->curl, &r->t, url, r->headers, body, len, timeout_ms);
	return r;
}

/* Adds r to m's requests in flight; on failure frees it. */
static int req_add(struct http_multi *m, struct http_req *r)
{
	/*
	 * No CURLOPT_PIPEWAIT: over HTTP/1.1 it holds every call until the
	 * first connection's first answer, and they then leave together,
	 * bunched, which the caller's pacing cannot see.
	 */
	curl_easy_setopt(r->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(r->curl, CURLOPT_PRIVATE, r);
	if (curl_multi_add_handle(m->multi, r->curl) != CURLM_OK) {
		req_discard(r);
		return TD_ERR;
	}
	r->next = m->reqs;
	m->reqs = r;
	return 0;
}

int http_multi_post(struct http_multi *m, const char *url, const char *what,
		    const char *content_type, const char *body, size_t len, long timeout_ms,
		    struct http_response *resp, void *user)
{
	struct http_req *r = req_new(url, what, headers_for(content_type), body, len, timeout_ms,
				     resp, user);
	return r ? req_add(m, r) : TD_ERR;
}

int http_multi_post_form(struct http_multi *m, const char *url, const char *what,
			 const struct http_part *parts, size_t n, long timeout_ms,
			 struct http_response *resp, void *user)
{
	/* curl writes the Content-Type with its boundary itself. */
	struct http_req *r = req_new(url, what, curl_slist_append(NULL, "Expect:"), NULL, 0,
				     timeout_ms, resp, user);
	if (!r)
		return TD_ERR;
	r->form = curl_mime_init(r->curl);
	for (size_t i = 0; i < n; i++) {
		curl_mimepart *part = curl_mime_addpart(r->form);
		/* curl_mime_data copies: the caller's bytes may go at once. */
		if (!part || curl_mime_name(part, parts[i].name) != CURLE_OK ||
		    curl_mime_data(part, parts[i].value, parts[i].len) != CURLE_OK ||
		    (parts[i].filename &&
		     (curl_mime_filename(part, parts[i].filename) != CURLE_OK ||
		      curl_mime_type(part, parts[i].mime ? parts[i].mime :
				     "application/octet-stream") != CURLE_OK))) {
			req_discard(r);
			return TD_ERR;
		}
	}
	curl_easy_setopt(r->curl, CURLOPT_MIMEPOST, r->form);
	return req_add(m, r);
}

int http_multi_run(struct http_multi *m, int timeout_ms)
{
	int running = 0;
	/* Start what was added, then wait for the network or a wake-up, then move on. */
	curl_multi_perform(m->multi, &running);
	/* curl_multi_poll() sleeps even with nothing in flight, until http_multi_wakeup(). */
	if (timeout_ms > 0)
		curl_multi_poll(m->multi, NULL, 0, timeout_ms, NULL);
	curl_multi_perform(m->multi, &running);
	m->running = running;
	return running;
}

bool http_multi_next(struct http_multi *m, void **user, int *rc)
{
	int left;
	CURLMsg *msg;
	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct http_req *r = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		*rc = finish(r->curl, msg->data.result, r->t.resp, r->what);
		*user = r->user;
		req_unlink(m, r);
		req_free(m, r);
		return true;
	}
	return false;
}

void http_multi_wakeup(struct http_multi *m)
{
	curl_multi_wakeup(m->multi);
}
