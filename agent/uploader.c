/* Store and forward: the spool's oldest events to the server, acked by its 200. */
#include "agent/agent.h"
#include "agent/uploader.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/json.h"
#include "core/log.h"

/* The API's cap on a body is 1 MiB; answers are small. */
#define BODY_MAX (1024 * 1024)
#define ANSWER_MAX (64 * 1024)
/* An unknown token is logged once an hour, not at every retry. */
#define LOG_401_EVERY_MS (3600 * 1000LL)

static int http_poster(void *arg, const char *body, size_t len, struct http_response *resp)
{
	struct uploader *u = arg;
	return http_post(u->http, u->url, "events", "application/json", body, len, u->timeout_ms,
			 resp, u->abort_flag);
}

void uploader_init(struct uploader *u, const char *server, const char *token, long timeout_ms,
		   int64_t retry_max_ms)
{
	struct buf url = BUF_INIT(4096);
	size_t n = strlen(server);
	memset(u, 0, sizeof(*u));
	buf_printf(&url, "%.*s/api/v1/events", (int)(n && server[n - 1] == '/' ? n - 1 : n), server);
	u->url = buf_detach(&url);
	u->http = http_new();
	uploader_set_token(u, token);
	u->post = http_poster;
	u->post_arg = u;
	u->timeout_ms = timeout_ms;
	u->retry_max_ms = retry_max_ms;
	u->batch_max = UPLOAD_BATCH_MAX;
}

void uploader_set_token(struct uploader *u, const char *token)
{
	struct buf header = BUF_INIT(1024);
	buf_printf(&header, "Authorization: Bearer %s", token);
	http_set_header(u->http, buf_cstr(&header));
	explicit_bzero(header.data, header.len);
	buf_release(&header);
	u->refused = false;
}

void uploader_release(struct uploader *u)
{
	http_free(u->http);
	free(u->url);
	u->http = NULL;
	u->url = NULL;
}

int64_t uploader_backoff_ms(int failures, long retry_after, int64_t max_ms, uint32_t rnd)
{
	int64_t base = 1000;
	for (int i = 1; i < failures && base < max_ms; i++)
		base *= 2;
	if (base > max_ms)
		base = max_ms;
	int64_t half = base / 2;
	int64_t wait = base - half + (half ? (int64_t)(rnd % (uint64_t)(half + 1)) : 0);
	if (retry_after > 0 && retry_after * 1000LL > wait)
		wait = retry_after * 1000LL;
	return wait;
}

static void back_off(struct uploader *u, long retry_after)
{
	uint32_t rnd = 0;
	if (crypto_random(&rnd, sizeof(rnd)))
		rnd = (uint32_t)clock_mono_us();
	u->failures++;
	int64_t wait = uploader_backoff_ms(u->failures, retry_after, u->retry_max_ms, rnd);
	u->next_try_ms = clock_mono_ms() + wait;
	log_debug("uploader: retry in %lld ms", (long long)wait);
}

/* The 200's server_time (Unix ms) against our clock. */
static void note_server_time(struct uploader *u, const struct http_response *resp)
{
	json_object *o = json_tokener_parse(buf_cstr(&resp->body));
	int64_t ms;
	if (json_get_int(o, "server_time", &ms)) {
		u->skew_ms = ms - clock_now() * 1000;
		u->skew_known = true;
	}
	json_object_put(o);
}

/* The i of a reason "events[i]...", or -1 when it names no event. */
static long named_event(const char *reason)
{
	static const char prefix[] = "events[";
	long i = 0;
	const char *p = reason + sizeof(prefix) - 1;
	if (strncmp(reason, prefix, sizeof(prefix) - 1) || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9' && i < 100000; p++)
		i = i * 10 + (*p - '0');
	return *p == ']' ? i : -1;
}

/*
 * A 400: a bad batch is a bug to fix, not data to lose, so it is kept; but
 * one bad event must not hold back the rest for ever. The same refusal of
 * the same batch twice: the events go one at a time, and the one the
 * server names is set aside in the spool. 1: send again now, else TD_EBUSY.
 */
static int on_refusal(struct uploader *u, struct spool *sp, const struct spool_batch *b,
		      const char *reason)
{
	log_error("uploader: the server refused a batch of %zu: %s", b->n, reason);
	if (u->one_by_one && b->n == 1 && named_event(reason) == 0) {
		if (spool_refuse(sp, b->first_seq, reason))
			return TD_EBUSY;
		u->set_aside++;
		u->one_by_one = false;
		u->refusals = 0;
		u->batch_max = UPLOAD_BATCH_MAX;
		log_error("uploader: event %lld set aside in the spool, never sent again"
			  " (tilldesk-agent spool shows it)", (long long)b->first_seq);
		return 1;
	}
	if (u->refusals && u->refusal_seq == b->first_seq && !strcmp(u->refusal, reason)) {
		u->refusals++;
	} else {
		u->refusals = 1;
		u->refusal_seq = b->first_seq;
		snprintf(u->refusal, sizeof(u->refusal), "%s", reason);
	}
	if (u->refusals < UPLOAD_REFUSALS_MAX || u->one_by_one || named_event(reason) < 0)
		return TD_EBUSY;
	u->one_by_one = true;
	u->hunt_left = named_event(reason) + 1;
	u->batch_max = 1;
	log_warn("uploader: the same refusal again: sending one event at a time to find it");
	return 1;
}

/* What the answer to a batch means for it. 0: acknowledged, 1: send again now. */
static int on_answer(struct uploader *u, struct spool *sp, const struct spool_batch *b,
		     const struct http_response *resp)
{
	json_object *o;
	int rc;
	switch (resp->status) {
	case 200:
		rc = spool_ack(sp, b);
		if (rc)
			return rc;
		note_server_time(u, resp);
		u->failures = 0;
		u->refused = false;
		u->last_401_log = 0;  /* a later refusal is news again */
		u->sent += (long long)b->n;
		u->refusals = 0;
		/* Past the named event without a refusal (the server changed its
		 * mind): the hunt is over, whole batches again. */
		if (u->one_by_one && --u->hunt_left <= 0) {
			u->one_by_one = false;
			u->batch_max = UPLOAD_BATCH_MAX;
		}
		if (u->batch_max < UPLOAD_BATCH_MAX && !u->one_by_one)
			u->batch_max = u->batch_max * 2 > UPLOAD_BATCH_MAX ? UPLOAD_BATCH_MAX : u->batch_max * 2;
		log_debug("uploader: %zu events acknowledged", b->n);
		return 0;
	case 413:
		if (b->n > 1) {
			u->batch_max = b->n / 2;
			log_warn("uploader: a batch of %zu events was too large; sending %zu at a time",
				 b->n, u->batch_max);
			return 1;
		}
		log_error("uploader: the server refuses even one event as too large; kept");
		break;
	case 400:
		o = json_tokener_parse(buf_cstr(&resp->body));
		rc = on_refusal(u, sp, b, json_get_str(o, "error") ? json_get_str(o, "error") :
				"(no reason)");
		json_object_put(o);
		if (rc == 1)
			return 1;
		break;
	case 401:
		u->refused = true;
		if (!u->last_401_log || clock_mono_ms() - u->last_401_log >= LOG_401_EVERY_MS) {
			log_error("uploader: the server does not know this till's token (401);"
				  " events are kept until it does");
			u->last_401_log = clock_mono_ms();
		}
		break;
	default:
		log_warn("uploader: the server answered %ld; events kept", resp->status);
		break;
	}
	back_off(u, resp->status == 429 || resp->status == 503 ? resp->retry_after : 0);
	return TD_EBUSY;
}

int uploader_drain(struct uploader *u, struct spool *sp, bool force, const volatile int *stop)
{
	struct buf body = BUF_INIT(BODY_MAX);
	int rc = 0;

	if (!force && clock_mono_ms() < u->next_try_ms)
		return TD_EBUSY;
	while (!(stop && *stop)) {
		struct spool_batch b;
		struct http_response resp = { .body = BUF_INIT(ANSWER_MAX) };
		buf_reset(&body);
		rc = spool_batch(sp, u->batch_max, AGENT_NAME, &b, &body);
		if (rc == TD_ENOMEM && u->batch_max > 1) {
			u->batch_max /= 2;  /* our own cap is the server's: a smaller batch */
			continue;
		}
		if (rc || !b.n)
			break;
		if (u->post(u->post_arg, body.data, body.len, &resp)) {
			log_debug("uploader: the server cannot be reached; events kept");
			back_off(u, 0);
			rc = TD_EBUSY;
		} else {
			rc = on_answer(u, sp, &b, &resp);
		}
		buf_release(&resp.body);
		if (rc == 1) {
			rc = 0;
			continue;
		}
		if (rc)
			break;
	}
	buf_release(&body);
	return rc;
}
