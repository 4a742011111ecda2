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
	if (h->header)
		explicit_bzero(h->header, strlen(h->header));
	free(h->header);
	free(h);
}

void http_set_header(struct http *h, const char *line)
{
	if (h->header)
		explicit_bzero(h->header, strlen(h->header));
	free(h->header);
	h->header = line ? xstrdup(line) : NULL;
}

/* One request: a POST of body when body is not NULL, else a GET. */
static int perform(struct http *h, const char *url, const char *what, struct curl_slist *headers,
		   const char *body, size_t len, long timeout_ms, struct http_response *resp,
		   const volatile int *abort_flag)
{
	struct transfer t = { resp, abort_flag };
	char *type = NULL;
	int rc = 0;

	if (h->header)
		headers = curl_slist_append(headers, h->header);
	CURL *c = h->curl;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tilldesk/0.1");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);

	resp->status = 0;
	resp->content_type[0] = '\0';
	resp->retry_after = 0;
	CURLcode res = curl_easy_perform(c);
	if (res == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type)
			snprintf(resp->content_type, sizeof(resp->content_type), "%s", type);
		curl_off_t retry = 0;
		if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
			resp->retry_after = retry > 86400 ? 86400 : (long)retry;
	} else if (res == CURLE_WRITE_ERROR && resp->body.failed) {
		log_warn("http: the answer to %s is larger than %zu bytes", what, resp->body.cap);
		rc = TD_ENOMEM;
	} else {
		log_debug("http: %s: %s", what, curl_easy_strerror(res));
		rc = TD_ERR;
	}
	curl_slist_free_all(headers);
	return rc;
}

int http_post(struct http *h, const char *url, const char *what, const char *content_type,
	      const char *body, size_t len, long timeout_ms, struct http_response *resp,
	      const volatile int *abort_flag)
{
	struct curl_slist *headers = NULL;
	char ct[128];
	snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
	headers = curl_slist_append(headers, ct);
	/* No "Expect: 100-continue" round trip for larger bodies. */
	headers = curl_slist_append(headers, "Expect:");
	return perform(h, url, what, headers, body, len, timeout_ms, resp, abort_flag);
}

int http_get(struct http *h, const char *url, const char *what, const char *accept,
	     long timeout_ms, struct http_response *resp, const volatile int *abort_flag)
{
	struct curl_slist *headers = NULL;
	char line[128];
	if (accept) {
		snprintf(line, sizeof(line), "Accept: %s", accept);
		headers = curl_slist_append(headers, line);
	}
	return perform(h, url, what, headers, NULL, 0, timeout_ms, resp, abort_flag);
}
