/*
 * telegram.h - the Bot API over HTTP: one call, one decoded answer.
 *
 * Knows the shape of Telegram's answers ({"ok","result","error_code",
 * "description","parameters"}) and nothing of tickets.
 */
#ifndef TD_TELEGRAM_H
#define TD_TELEGRAM_H

#include <json-c/json.h>

#include "core/common.h"

struct tg;

/*
 * The longest pause a 429 may ask for: a larger retry_after (a garbled or
 * hostile answer) is read as this, so one bad number cannot silence the
 * bot for years. Telegram's own flood waits for bots are seconds to minutes.
 */
#define TG_RETRY_AFTER_MAX 3600

/*
 * A pause shared by the clients of one bot. Telegram's flood control counts
 * per bot, not per chat or per connection: after a 429 with retry_after N,
 * no call of any kind goes out through any client sharing the pause for N
 * seconds (tg_call waits it out). Thread-safe; each client has its own
 * until tg_share_pause() gives it another.
 */
struct tg_pause;

enum tg_outcome {
	TG_OK,          /* ok: result holds the answer */
	TG_RETRY,       /* 429, 5xx, network error, garbage: try again later */
	TG_MIGRATED,    /* the group became a supergroup: migrate_to holds the new id */
	TG_FORBIDDEN,   /* 403: blocked by the user, kicked from the group */
	TG_BAD_REQUEST, /* 400 and other 4xx: will not succeed as it is */
	TG_CONFLICT,    /* 409: another getUpdates or a webhook is active */
	TG_UNAUTHORIZED /* 401: the token is wrong */
};

struct tg_result {
	enum tg_outcome outcome;
	json_object *result;    /* owned; json_object_put() it (tg_result_release) */
	int error_code;
	char description[256];
	int retry_after;        /* seconds, from a 429: 1..TG_RETRY_AFTER_MAX, 0 for none */
	int64_t migrate_to;     /* from a migrated group */
};

/* api_url: "https://api.telegram.org"; token is copied and never logged. */
struct tg *tg_new(const char *api_url, const char *token);
void tg_free(struct tg *tg);

/* A pause to share between clients; free it after the last client that uses it. */
struct tg_pause *tg_pause_new(void);
void tg_pause_free(struct tg_pause *p);
/* Makes tg wait out, and extend, p (borrowed) instead of its own pause. */
void tg_share_pause(struct tg *tg, struct tg_pause *p);
/* Milliseconds left of the pause (0: calls may go). */
int64_t tg_pause_left_ms(struct tg_pause *p);

/*
 * Calls method with params (borrowed JSON object, may be NULL), waiting at
 * most timeout_ms. First waits out the pause after a 429 (abort_flag ends
 * the wait: TG_RETRY without a call). Always fills out; returns 0 for
 * TG_OK, else TD_ERR.
 */
int tg_call(struct tg *tg, struct tg_result *out, const char *method, json_object *params,
	    long timeout_ms, const volatile int *abort_flag);
void tg_result_release(struct tg_result *r);

/*
 * Several calls in flight (libcurl's multi interface), for one thread.
 * tg_set_in_flight() readies tg for n at once (kept-alive connections).
 * tg_start() starts method with params (borrowed, serialised at once)
 * without waiting, nor waiting out the pause: the caller checks
 * tg_pause_left_ms() first. tg_run() moves the calls on, sleeping at most
 * timeout_ms (also with none in flight) unless tg_wakeup() (any thread)
 * ends the sleep; it returns how many are in flight. tg_finished() gives a
 * finished call's answer as tg_call() would (a 429 sets the pause) and the
 * user pointer given to tg_start(); false when none is left.
 */
void tg_set_in_flight(struct tg *tg, int n);
int tg_start(struct tg *tg, const char *method, json_object *params, long timeout_ms, void *user);
/*
 * As tg_start(), the call going as multipart/form-data with one file
 * uploaded: field (e.g. "photo") holds filename's bytes data[0..len) of
 * type mime, every other parameter of params (borrowed) goes as its own
 * part (strings as they are, the rest as JSON). Everything is copied.
 */
int tg_start_upload(struct tg *tg, const char *method, json_object *params, const char *field,
		    const char *filename, const char *mime, const void *data, size_t len,
		    long timeout_ms, void *user);
int tg_run(struct tg *tg, int timeout_ms);
bool tg_finished(struct tg *tg, struct tg_result *out, void **user);
void tg_wakeup(struct tg *tg);

/*
 * Decodes Telegram's answer body[0..len) (borrowed), which came with HTTP
 * status, into out (zeroed by the caller). A body that is not Telegram's
 * JSON is a retry, or a refusal for a 4xx. Returns 0 for TG_OK, else TD_ERR.
 */
int tg_answer_decode(struct tg_result *out, const char *body, size_t len, long status);

#endif
