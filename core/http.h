/*
 * http.h - a small HTTP client over libcurl (the only file including curl.h).
 *
 * One struct http per thread: it keeps its connection alive between
 * requests. Bodies are capped; a larger answer is an error, not a crash.
 */
#ifndef TD_HTTP_H
#define TD_HTTP_H

#include "core/buf.h"

struct http;

struct http_response {
	long status;          /* HTTP status, 0 when no answer came */
	struct buf body;      /* the answer, capped */
	char content_type[64];
	long retry_after;     /* seconds of a Retry-After header (429, 503), 0 when none */
};

/* Creates a client. Release with http_free(). */
struct http *http_new(void);
void http_free(struct http *h);

/*
 * POSTs body (content_type, e.g. "application/json") to url, waiting at
 * most timeout_ms for the whole exchange. The URL may hold a secret (the
 * Bot API's does) and is never logged: what (borrowed, e.g. the Bot API
 * method) names the request in log lines instead. The caller initialises
 * resp->body with its cap and releases it. Returns 0 when an HTTP answer
 * came (any status), TD_ERR on a network error or time-out (logged at
 * debug), TD_ENOMEM when the answer passes the cap (logged).
 * abort_flag, when not NULL, is polled and ends the request early when set.
 */
int http_post(struct http *h, const char *url, const char *what, const char *content_type,
	      const char *body, size_t len, long timeout_ms, struct http_response *resp,
	      const volatile int *abort_flag);

/* GETs url, asking for accept (e.g. "application/json"; NULL: any); as http_post. */
int http_get(struct http *h, const char *url, const char *what, const char *accept,
	     long timeout_ms, struct http_response *resp, const volatile int *abort_flag);

/*
 * Sends line (e.g. "Authorization: Bearer ...") with every request of h
 * from now on; NULL: none. The line may be a secret: it is never logged
 * and is wiped when replaced or freed.
 */
void http_set_header(struct http *h, const char *line);

/* Process-wide set-up and tear-down of libcurl; call once from main. */
int http_global_init(void);
void http_global_cleanup(void);

#endif
