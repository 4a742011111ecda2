#include <math.h>

#include "bot/render_tg.h"
#include "bot/sender.h"
#include "bot/telegram.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/html.h"
#include "core/json.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/outbox.h"

#define BATCH 64
#define CHAT_SLOTS 4096
#define SEND_TIMEOUT_MS 30000
#define IDLE_WAIT_MS 50

/* A token bucket: capacity tokens, refilled at rate per second. */
struct bucket {
	double tokens, rate, capacity;
	int64_t last_ms;
};

struct chat_slot {
	int64_t chat_id;
	struct bucket b;
};

struct sender {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool kicked;
	int64_t wait_ms;    /* how long to sleep when a pass sent nothing */
	const volatile int *stop;
	char *db_path, *api_url, *token;
	struct db *db;
	struct tg *tg;
	struct tg_pause *pause;   /* after a 429, shared with the poller's client */
	enum msg_lang lang;       /* what notices are rendered in: the config's language */
	struct bucket global;
	double chat_rate, group_rate;  /* per second */
	struct chat_slot chats[CHAT_SLOTS];
};

static void bucket_init(struct bucket *b, double rate, double capacity, int64_t now_ms)
{
	b->rate = rate;
	b->capacity = capacity;
	b->tokens = capacity;
	b->last_ms = now_ms;
}

static bool bucket_ready(struct bucket *b, int64_t now_ms)
{
	b->tokens = fmin(b->capacity, b->tokens + (double)(now_ms - b->last_ms) / 1000.0 * b->rate);
	b->last_ms = now_ms;
	return b->tokens >= 1.0;
}

/* The bucket of a chat: private chats about 1/s, groups also per minute. */
static struct bucket *chat_bucket(struct sender *s, int64_t chat_id, int64_t now_ms)
{
	size_t i = (size_t)((uint64_t)chat_id * 0x9E3779B97F4A7C15ull >> 52) % CHAT_SLOTS;
	struct chat_slot *slot = &s->chats[i];
	if (slot->chat_id != chat_id) {
		/* A new chat (or a collision, which only makes pacing stricter). */
		slot->chat_id = chat_id;
		bool group = chat_id < 0;
		/* Capacity 1 with rate r never exceeds 1 + r in any window. */
		if (group)
			bucket_init(&slot->b, fmin(s->chat_rate, s->group_rate), 1, now_ms);
		else
			bucket_init(&slot->b, s->chat_rate, 2, now_ms);
	}
	return &slot->b;
}

/* Rewrites a legacy row's refused HTML as plain text; false when there is nothing to mend. */
static bool mend_parse_error(json_object *params)
{
	json_object *pm, *text;
	const char *key = json_object_object_get_ex(params, "text", &text) ? "text" :
			  json_object_object_get_ex(params, "caption", &text) ? "caption" : NULL;
	if (!key || !json_object_object_get_ex(params, "parse_mode", &pm))
		return false;
	struct buf b = BUF_INIT(1u << 20);
	html_to_text(&b, json_object_get_string(text));
	json_object_object_add(params, key, json_object_new_string(buf_cstr(&b)));
	json_object_object_del(params, "parse_mode");
	buf_release(&b);
	return true;
}

/* A due row, copied out of the statement that found it. */
struct row {
	int64_t id, ticket_id;
	char edit_role[16];
	int attempts, parts_sent;
	struct notice n;   /* its strings owned by the row (notice_release) */
};

static int collect(const struct outbox_row *r, void *arg)
{
	struct row *rows = arg;
	int i = 0;
	while (rows[i].id)
		i++;
	rows[i] = (struct row){ .id = r->id, .ticket_id = r->ticket_id, .attempts = r->attempts,
				.parts_sent = r->parts_sent };
	notice_copy(&rows[i].n, &r->n);
	snprintf(rows[i].edit_role, sizeof(rows[i].edit_role), "%s", r->edit_role);
	return 0;
}

/* A refused text, sent again as plain text; false when there is nothing to mend. */
static int mend(struct sender *s, const struct row *r, json_object *params, bool *mended)
{
	*mended = false;
	if (r->n.kind != NOTICE_LEGACY) {
		if (r->n.flags & NOTICE_PLAIN)
			return 0;
		*mended = true;
		return db_outbox_add_flags(s->db, r->id, NOTICE_PLAIN);
	}
	if (!params || !mend_parse_error(params))
		return 0;
	*mended = true;
	return db_outbox_set_payload(s->db, r->id,
				     json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN));
}

/* Telegram accepted part `part` of `parts`: the row is sent, or waits for its next part. */
static int accepted(struct sender *s, const struct row *r, int64_t message_id, size_t part,
		    size_t parts)
{
	if (part + 1 < parts)
		return db_outbox_part_sent(s->db, r->id, message_id);
	return db_outbox_sent(s->db, r->id, message_id, clock_now());
}

/* Writes one outcome in its own short transaction. */
static void record(struct sender *s, const struct row *r, const struct tg_result *res,
		   const char *method, json_object *params, size_t part, size_t parts)
{
	int64_t now = clock_now();
	int64_t message_id = 0;
	bool mended;
	int rc = db_begin(s->db);
	if (rc) {
		log_warn("sender: cannot record row %lld: database busy", (long long)r->id);
		return;
	}
	switch (res->outcome) {
	case TG_OK:
		json_get_int(res->result, "message_id", &message_id);
		rc = accepted(s, r, message_id, part, parts);
		break;
	case TG_MIGRATED:
		log_info("sender: chat %lld became %lld", (long long)r->n.chat_id, (long long)res->migrate_to);
		rc = db_chat_migrate(s->db, r->n.chat_id, res->migrate_to);
		break;
	case TG_FORBIDDEN:
		log_warn("sender: chat %lld refuses messages (%s); giving up on row %lld",
			 (long long)r->n.chat_id, res->description, (long long)r->id);
		rc = db_outbox_failed(s->db, r->id, res->description);
		if (!rc && r->n.chat_id > 0)
			rc = db_person_blocked_tg(s->db, r->n.chat_id);
		break;
	case TG_BAD_REQUEST:
		if (strstr(res->description, "message is not modified")) {
			rc = accepted(s, r, 0, part, parts);
		} else if (strstr(res->description, "can't parse entities") &&
			   !(rc = mend(s, r, params, &mended)) && mended) {
			log_warn("sender: row %lld refused as HTML (%s); sending as plain text",
				 (long long)r->id, res->description);
		} else if (!rc) {
			log_warn("sender: row %lld (%s) refused: %s", (long long)r->id, method,
				 res->description);
			rc = db_outbox_failed(s->db, r->id, res->description);
		}
		break;
	default: {
		/* 429, 5xx, network, garbage, 401/409: wait and try again. */
		double delay = res->retry_after > 0 ? res->retry_after :
			fmin(60.0, pow(2.0, r->attempts)) * (0.5 + (double)(clock_mono_ms() % 1000) / 1000.0);
		if (res->outcome != TG_RETRY)
			log_error("sender: %s: %s", method, res->description);
		else
			log_warn("sender: row %lld: %s; retrying in %.0fs", (long long)r->id,
				 res->description, ceil(delay));
		rc = db_outbox_retry(s->db, r->id, now + (int64_t)ceil(delay), res->description);
		break;
	}
	}
	if (rc || db_commit(s->db)) {
		db_rollback(s->db);
		log_warn("sender: cannot record row %lld", (long long)r->id);
	}
}

/* Records a row Telegram could never take, without asking it. */
static void refuse(struct sender *s, const struct row *r, const char *why)
{
	struct tg_result res;
	memset(&res, 0, sizeof(res));
	res.outcome = TG_BAD_REQUEST;
	snprintf(res.description, sizeof(res.description), "%s", why);
	record(s, r, &res, notice_kind_name(r->n.kind), NULL, 0, 1);
}

/* Renders the row and sends its next part. */
static void deliver(struct sender *s, const struct row *r)
{
	struct tg_result res;
	struct tg_render calls;
	char why[128];
	if (tg_render(&calls, &r->n, s->lang, why, sizeof(why))) {
		refuse(s, r, why);
		goto done;
	}
	size_t part = (size_t)r->parts_sent;
	if (part >= calls.n) {
		/* Every part went before a crash; only the mark was missing. */
		memset(&res, 0, sizeof(res));
		res.outcome = TG_OK;
		record(s, r, &res, "", NULL, part, part + 1);
		goto done;
	}
	json_object *params = calls.v[part].params;
	if (r->n.chat_id)
		json_object_object_add(params, "chat_id", json_object_new_int64(r->n.chat_id));
	if (*r->edit_role) {
		int64_t mid;
		if (db_link_message(s->db, r->ticket_id, r->edit_role, r->n.chat_id, &mid)) {
			refuse(s, r, "no message to edit");
			goto done;
		}
		json_object_object_add(params, "message_id", json_object_new_int64(mid));
	}
	/* A 429 pauses every call, in tg_call, not just this chat's. */
	tg_call(s->tg, &res, calls.v[part].method, params, SEND_TIMEOUT_MS, s->stop);
	if (!*s->stop || res.outcome == TG_OK)
		record(s, r, &res, calls.v[part].method, params, part, calls.n);
	tg_result_release(&res);
done:
	tg_render_release(&calls);
}

/* One pass: sends what is due and allowed; returns how many were sent. */
static int pass(struct sender *s)
{
	struct row rows[BATCH + 1];
	int sent = 0;
	memset(rows, 0, sizeof(rows));
	s->wait_ms = IDLE_WAIT_MS;
	/* Telegram asked the bot to wait: take no rows until it may call again. */
	if (tg_pause_left_ms(s->pause))
		return 0;
	if (db_outbox_due(s->db, clock_now(), BATCH, collect, rows))
		return 0;
	for (int i = 0; rows[i].id && !*s->stop; i++) {
		/* A 429 in this pass: the rest are read again once the pause is over. */
		if (tg_pause_left_ms(s->pause))
			break;
		int64_t now = clock_mono_ms();
		struct bucket *b = rows[i].n.chat_id ? chat_bucket(s, rows[i].n.chat_id, now) : NULL;
		if (!bucket_ready(&s->global, now)) {
			/* Sleep just until the next token rather than a whole tick. */
			s->wait_ms = (int64_t)ceil((1.0 - s->global.tokens) / s->global.rate * 1000.0);
			break;
		}
		if (b && !bucket_ready(b, now))
			continue;
		s->global.tokens -= 1;
		if (b)
			b->tokens -= 1;
		deliver(s, &rows[i]);
		sent++;
	}
	for (int i = 0; rows[i].id; i++)
		notice_release(&rows[i].n);
	return sent;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	char err[512];
	if (db_open(&s->db, s->db_path, err, sizeof(err))) {
		log_error("sender: %s", err);
		return NULL;
	}
	s->tg = tg_new(s->api_url, s->token);
	tg_share_pause(s->tg, s->pause);
	while (!*s->stop) {
		if (pass(s))
			continue;
		/* Nothing could go: sleep a little, or until the poller kicks. */
		pthread_mutex_lock(&s->lock);
		if (!s->kicked && !*s->stop) {
			struct timespec until;
			int64_t ms = s->wait_ms > 0 && s->wait_ms < IDLE_WAIT_MS ? s->wait_ms : IDLE_WAIT_MS;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += ms * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		}
		s->kicked = false;
		pthread_mutex_unlock(&s->lock);
	}
	tg_free(s->tg);
	db_close(s->db);
	return NULL;
}

int sender_start(struct sender **out, const struct config *cfg, const volatile int *stop)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	s->stop = stop;
	s->db_path = xstrdup(cfg->database);
	s->api_url = xstrdup(cfg->tg_api_url);
	s->token = xstrdup(cfg->tg_token);
	s->pause = tg_pause_new();
	if (msg_lang_parse(&s->lang, cfg->language))
		s->lang = LANG_RU;
	/* A margin under each limit: Telegram measures on arrival, we on departure. */
	s->chat_rate = 0.9 * (double)cfg->tg_chat_rate;
	s->group_rate = (double)(cfg->tg_group_rate - 1) / 60.0;
	bucket_init(&s->global, (double)cfg->tg_global_rate - 2, 1, clock_mono_ms());
	if (pthread_create(&s->thread, NULL, sender_main, s)) {
		free(s->db_path);
		free(s->api_url);
		free(s->token);
		tg_pause_free(s->pause);
		free(s);
		return TD_ERR;
	}
	*out = s;
	return 0;
}

void sender_kick(struct sender *s)
{
	pthread_mutex_lock(&s->lock);
	s->kicked = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

struct tg_pause *sender_pause(struct sender *s)
{
	return s->pause;
}

void sender_join(struct sender *s)
{
	sender_kick(s);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s->db_path);
	free(s->api_url);
	explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	tg_pause_free(s->pause);
	free(s);
}
