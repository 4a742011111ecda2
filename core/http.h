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
 * and is wiped when replaced or freed. (Not for struct http_multi.)
 */
void http_set_header(struct http *h, const char *line);

/*
 * Several requests in flight at once, for one thread: libcurl's multi
 * interface. Connections are kept alive and reused, at most max_connections
 * to the host (HTTP/1.1 carries one request at a time on each; an HTTP/2
 * server that offers it gets them multiplexed on one). Not thread-safe
 * except http_multi_wakeup().
 */
struct http_multi;

struct http_multi *http_multi_new(long max_connections);
/*
 * Frees m; requests still in flight are dropped, their responses
 * untouched, each one's user handed to drop (when not NULL) to free.
 */
void http_multi_free(struct http_multi *m, void (*drop)(void *user));
/*
 * Starts a POST as http_post() (body is copied). resp is the caller's,
 * initialised as for http_post(), and must stay valid until
 * http_multi_next() hands back user with it. 0, or TD_ERR when it could
 * not be started.
 */
int http_multi_post(struct http_multi *m, const char *url, const char *what,
		    const char *content_type, const char *body, size_t len, long timeout_ms,
		    struct http_response *resp, void *user);
/*
 * One field of a multipart/form-data body: a text, or a file when
 * filename is not NULL (its bytes value[0..len), of type mime). Borrowed.
 */
struct http_part {
	const char *name;
	const char *value;
	size_t len;
	const char *filename;
	const char *mime;      /* NULL: application/octet-stream */
};
/*
 * Starts a POST of parts[0..n) as multipart/form-data (every part copied),
 * otherwise as http_multi_post(): how files are uploaded.
 */
int http_multi_post_form(struct http_multi *m, const char *url, const char *what,
			 const struct http_part *parts, size_t n, long timeout_ms,
			 struct http_response *resp, void *user);
/*
 * Moves the requests on, sleeping at most timeout_ms (also with none in
 * flight) for the network or http_multi_wakeup(). Returns how many are
 * still in flight.
 */
int http_multi_run(struct http_multi *m, int timeout_ms);
/*
 * A finished request: true, with its user pointer and what http_post()
 * would have returned in *rc; false when no other has finished.
 */
bool http_multi_next(struct http_multi *m, void **user, int *rc);
/* Ends the sleep of http_multi_run() early; safe from any thread. */
void http_multi_wakeup(struct http_multi *m);

/* Process-wide set-up and tear-down of libcurl; call once from main. */
int http_global_init(void);
void http_global_cleanup(void);

#endif
