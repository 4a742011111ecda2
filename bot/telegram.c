#include <pthread.h>
#include <unistd.h>

#include "bot/telegram.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/json.h"
#include "core/log.h"

/* Telegram answers are small; getUpdates with 100 updates stays far below. */
#define TG_ANSWER_MAX (8u << 20)

struct tg_pause {
	pthread_mutex_t lock;
	int64_t until_ms;   /* clock_mono_ms() when calls may go again */
};

/* A call in flight through the multi interface, until tg_finished(). */
struct tg_flight {
	struct http_response resp;
	char method[48];
	void *user;
};

struct tg {
	struct http *http;
	struct http_multi *multi;   /* NULL until tg_set_in_flight() */
	char *base;   /* api_url + "/bot" + token: a secret, never logged */
	struct tg_pause *pause, *own;
};

struct tg_pause *tg_pause_new(void)
{
	struct tg_pause *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	return p;
}

void tg_pause_free(struct tg_pause *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int64_t tg_pause_left_ms(struct tg_pause *p)
{
	pthread_mutex_lock(&p->lock);
	int64_t left = p->until_ms - clock_mono_ms();
	pthread_mutex_unlock(&p->lock);
	return left > 0 ? left : 0;
}

/* Pauses every client of p for seconds from now; a longer pause already set stays. */
static void pause_for(struct tg_pause *p, int seconds)
{
	int64_t until = clock_mono_ms() + (int64_t)seconds * 1000;
	pthread_mutex_lock(&p->lock);
	if (until > p->until_ms)
		p->until_ms = until;
	pthread_mutex_unlock(&p->lock);
}

/* Sleeps until the pause ends; false when abort_flag was raised first. */
static bool wait_out_pause(struct tg_pause *p, const volatile int *abort_flag)
{
	int64_t left;
	while ((left = tg_pause_left_ms(p)) > 0) {
		if (abort_flag && *abort_flag)
			return false;
		usleep((useconds_t)(left < 100 ? left : 100) * 1000);
	}
	return true;
}

void tg_share_pause(struct tg *tg, struct tg_pause *p)
{
	tg->pause = p ? p : tg->own;
}

struct tg *tg_new(const char *api_url, const char *token)
{
	struct tg *tg = xcalloc(1, sizeof(*tg));
	struct buf b = BUF_INIT(4096);
	size_t n = strlen(api_url);
	while (n && api_url[n - 1] == '/')
		n--;
	buf_add(&b, api_url, n);
	buf_printf(&b, "/bot%s", token);
	tg->base = buf_detach(&b);
	tg->http = http_new();
	tg->own = tg_pause_new();
	tg->pause = tg->own;
	log_add_secret(token);
	return tg;
}

/* A call still in flight when the client goes: its answer will never come. */
static void flight_drop(void *user)
{
	struct tg_flight *f = user;
	buf_release(&f->resp.body);
	free(f);
}

void tg_free(struct tg *tg)
{
	if (!tg)
		return;
	http_free(tg->http);
	http_multi_free(tg->multi, flight_drop);
	tg_pause_free(tg->own);
	free(tg->base);
	free(tg);
}

void tg_result_release(struct tg_result *r)
{
	if (r->result)
		json_object_put(r->result);
	r->result = NULL;
}

static enum tg_outcome classify(int code)
{
	switch (code) {
	case 401:
	case 404: /* Telegram answers 404 to a wrong token as well */
		return TG_UNAUTHORIZED;
	case 403:
		return TG_FORBIDDEN;
	case 409:
		return TG_CONFLICT;
	case 429:
		return TG_RETRY;
	default:
		return code >= 500 ? TG_RETRY : TG_BAD_REQUEST;
	}
}

/*
 * retry_after in seconds, read with 64 bits (seconds * 1000 overflowed an
 * int) and kept within 1..TG_RETRY_AFTER_MAX.
 */
static int retry_after_of(int64_t s)
{
	if (s > TG_RETRY_AFTER_MAX) {
		log_warn("telegram: retry_after %lld read as %d s", (long long)s, TG_RETRY_AFTER_MAX);
		return TG_RETRY_AFTER_MAX;
	}
	return s < 1 ? 1 : (int)s;
}

/*
 * Reads Telegram's JSON answer into out, each field only with its type:
 * json-c would read "ok":"false" as true and "429" as 429.
 */
static void decode(struct tg_result *out, json_object *root, long status)
{
	json_object *v, *params = json_get_obj(root, "parameters");
	const char *description = json_get_str(root, "description");
	int64_t n;

	if (json_get_true(root, "ok") && json_object_object_get_ex(root, "result", &v)) {
		out->result = json_object_get(v);
		out->outcome = TG_OK;
		return;
	}
	out->error_code = json_get_int(root, "error_code", &n) && n >= 100 && n <= 999 ?
		(int)n : (int)status;
	if (description)
		utf8_snprintf(out->description, sizeof(out->description), "%s", description);
	out->outcome = classify(out->error_code);
	if (json_get_int(params, "retry_after", &n))
		out->retry_after = retry_after_of(n);
	if (json_get_int(params, "migrate_to_chat_id", &n)) {
		out->migrate_to = n;
		out->outcome = TG_MIGRATED;
	}
}

int tg_answer_decode(struct tg_result *out, const char *body, size_t len, long status)
{
	json_tokener *tok = json_tokener_new();
	json_object *root = json_tokener_parse_ex(tok, body, (int)len);
	bool complete = json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	if (!root || !complete || !json_object_is_type(root, json_type_object)) {
		/* An HTML error page from a proxy, a truncated body: retry later. */
		snprintf(out->description, sizeof(out->description),
			 "HTTP %ld with a body that is not Telegram's JSON", status);
		out->error_code = (int)status;
		out->outcome = status >= 400 && status < 500 && status != 429 ?
			classify((int)status) : TG_RETRY;
		if (root)
			json_object_put(root);
		return out->outcome == TG_OK ? 0 : TD_ERR;
	}
	decode(out, root, status);
	json_object_put(root);
	return out->outcome == TG_OK ? 0 : TD_ERR;
}

/*
 * Reads the answer to method (http_post()'s rc and resp) into out, which
 * the caller zeroed as a retry; a 429 pauses every client sharing the pause.
 */
static void answered(struct tg *tg, struct tg_result *out, const char *method, int rc,
		     const struct http_response *resp)
{
	if (rc)
		snprintf(out->description, sizeof(out->description), "%s",
			 rc == TD_ENOMEM ? "answer too large" : "network error");
	else
		tg_answer_decode(out, buf_cstr(&resp->body), resp->body.len, resp->status);
	/* A 429 tells the whole bot to wait; one without retry_after waits a second. */
	if (out->error_code == 429 && !out->retry_after)
		out->retry_after = 1;
	if (out->retry_after) {
		log_warn("telegram: %s: %s; no call to Telegram for %d s", method, out->description,
			 out->retry_after);
		pause_for(tg->pause, out->retry_after);
	}
	if (out->outcome != TG_OK)
		log_debug("telegram: %s: %d %s", method, out->error_code, out->description);
}

int tg_call(struct tg *tg, struct tg_result *out, const char *method, json_object *params,
	    long timeout_ms, const volatile int *abort_flag)
{
	struct http_response resp = { .body = BUF_INIT(TG_ANSWER_MAX) };
	char url[1024];
	const char *body = params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN) : "{}";

	memset(out, 0, sizeof(*out));
	out->outcome = TG_RETRY;
	if (!wait_out_pause(tg->pause, abort_flag)) {
		snprintf(out->description, sizeof(out->description), "stopped during a pause after a 429");
		goto done;
	}
	snprintf(url, sizeof(url), "%s/%s", tg->base, method);
	/* The URL holds the token: only the method is ever logged. */
	int rc = http_post(tg->http, url, method, "application/json", body, strlen(body), timeout_ms,
			   &resp, abort_flag);
	answered(tg, out, method, rc, &resp);
done:
	buf_release(&resp.body);
	return out->outcome == TG_OK ? 0 : TD_ERR;
}

void tg_set_in_flight(struct tg *tg, int n)
{
	if (!tg->multi)
		tg->multi = http_multi_new(n);
}

/* A call in flight to be, and its URL (a secret: the token). */
static struct tg_flight *flight_new(struct tg *tg, const char *method, void *user, char *url,
				    size_t url_len)
{
	struct tg_flight *f = xcalloc(1, sizeof(*f));
	f->resp.body = (struct buf)BUF_INIT(TG_ANSWER_MAX);
	f->user = user;
	snprintf(f->method, sizeof(f->method), "%s", method);
	snprintf(url, url_len, "%s/%s", tg->base, method);
	return f;
}

int tg_start(struct tg *tg, const char *method, json_object *params, long timeout_ms, void *user)
{
	char url[1024];
	const char *body = params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN) : "{}";
	struct tg_flight *f = flight_new(tg, method, user, url, sizeof(url));
	if (http_multi_post(tg->multi, url, f->method, "application/json", body, strlen(body),
			    timeout_ms, &f->resp, f)) {
		free(f);
		return TD_ERR;
	}
	return 0;
}

int tg_start_upload(struct tg *tg, const char *method, json_object *params, const char *field,
		    const char *filename, const char *mime, const void *data, size_t len,
		    long timeout_ms, void *user)
{
	char url[1024];
	size_t n = 0, cap = 1 + (params ? (size_t)json_object_object_length(params) : 0);
	struct http_part *parts = xcalloc(cap, sizeof(*parts));
	parts[n++] = (struct http_part){ .name = field, .value = data, .len = len,
					 .filename = filename, .mime = mime };
	if (params) {
		json_object_object_foreach(params, key, v) {
			if (!strcmp(key, field))
				continue;
			/* A form field is text: objects (reply_markup) as their JSON. */
			const char *text = json_object_is_type(v, json_type_string) ?
				json_object_get_string(v) :
				json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
			parts[n++] = (struct http_part){ .name = key, .value = text, .len = strlen(text) };
		}
	}
	struct tg_flight *f = flight_new(tg, method, user, url, sizeof(url));
	int rc = http_multi_post_form(tg->multi, url, f->method, parts, n, timeout_ms, &f->resp, f);
	if (rc)
		free(f);
	free(parts);
	return rc ? TD_ERR : 0;
}

int tg_run(struct tg *tg, int timeout_ms)
{
	return http_multi_run(tg->multi, timeout_ms);
}

bool tg_finished(struct tg *tg, struct tg_result *out, void **user)
{
	void *p;
	int rc;
	if (!http_multi_next(tg->multi, &p, &rc))
		return false;
	struct tg_flight *f = p;
	memset(out, 0, sizeof(*out));
	out->outcome = TG_RETRY;
	answered(tg, out, f->method, rc, &f->resp);
	*user = f->user;
	buf_release(&f->resp.body);
	free(f);
	return true;
}

void tg_wakeup(struct tg *tg)
{
	http_multi_wakeup(tg->multi);
}
