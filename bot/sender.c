#include <math.h>

#include "bot/coalesce.h"
#include "bot/newlist.h"
#include "bot/render_tg.h"
#include "bot/sender.h"
#include "bot/telegram.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/html.h"
#include "core/json.h"
#include "core/log.h"
#include "core/ticket_enums.h"
#include "storage/attachments.h"
#include "storage/card_lists.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define BATCH 64
#define CHAT_SLOTS 4096
#define SEND_TIMEOUT_MS 30000
#define IDLE_WAIT_MS 50
/*
 * How long a stopping sender waits for the calls in flight to be answered
 * (SIGTERM must end the daemon within 2 s); a call answered later is sent
 * again after the restart, as after a crash.
 */
#define STOP_GRACE_MS 1000
/*
 * What the network may add to one call's way to Telegram and not to the
 * next's: the pace's grid spreads global_rate + 1 calls over 1 s plus
 * this (and however late some leave, over 1 s plus this less
 * DEPARTURE_SLACK_US).
 */
#define ARRIVAL_SPREAD_US 50000
/*
 * How much of ARRIVAL_SPREAD_US a call that left late may take from the
 * call global_rate slots after it before that one waits (struct pace):
 * the thread wakes a millisecond or so after every slot, and a window of
 * the whole 1.05 s would add those up, round after round, into a slower
 * pace. No 31 calls leave within 1.04 s then.
 */
#define DEPARTURE_SLACK_US 10000
/* How far the overall pace may lag behind the clock and catch up (see pace_take). */
#define PACE_LAG_US 20000
/* Message ids after a possibly doubled card that are probed for its copy. */
#define PROBE_MAX 10
/* The largest photo Telegram takes by sendPhoto (Bot API: "at most 10 MB"). */
#define TG_PHOTO_MAX (10 * 1024 * 1024)

/* A token bucket: capacity tokens, refilled at rate per second. */
struct bucket {
	double tokens, rate, capacity;
	int64_t last_ms;
};

/*
 * The overall pace: one call per slot of a fixed grid. A call that leaves
 * late (the thread woke a little after its slot) leaves the grid in place,
 * so lateness is not lost as with a bucket of capacity 1, and never two
 * calls for one slot, as a larger bucket would after an idle spell.
 *
 * The grid alone lets a late call and the one `rate` slots after it
 * leave closer than the grid says: a call that waited for the database
 * between its slot and the network (a card's mark, behind the poller's
 * transaction) left tens of ms late, and the call a second later on
 * time. So the times calls really left are kept too, the last `rate` of
 * them, and a call leaves only window_us after the one `rate` calls
 * before it: no rate + 1 calls ever leave within window_us, 1 s +
 * ARRIVAL_SPREAD_US - DEPARTURE_SLACK_US.
 */
struct pace {
	int64_t next_us, interval_us;
	int64_t *left;      /* when the last n calls left, a ring; oldest at left[oldest] */
	int n, oldest;
	int64_t window_us;
};

static void pace_init(struct pace *p, int rate, int64_t now_us)
{
	p->window_us = 1000000 + ARRIVAL_SPREAD_US - DEPARTURE_SLACK_US;
	p->interval_us = (1000000 + ARRIVAL_SPREAD_US) / rate;
	p->next_us = now_us;
	p->n = rate;
	p->oldest = 0;
	p->left = xcalloc((size_t)rate, sizeof(*p->left));
	for (int i = 0; i < rate; i++)
		p->left[i] = now_us - p->window_us;
}

/* The first time the next call may leave. */
static int64_t pace_due(const struct pace *p)
{
	int64_t window_end = p->left[p->oldest] + p->window_us;
	return window_end > p->next_us ? window_end : p->next_us;
}

static bool pace_ready(const struct pace *p, int64_t now_us)
{
	return now_us >= pace_due(p);
}

/* A call just left (its request handed to the network). */
static void pace_left(struct pace *p, int64_t now_us)
{
	p->left[p->oldest] = now_us;
	p->oldest = (p->oldest + 1) % p->n;
}

static void pace_take(struct pace *p, int64_t now_us)
{
	/*
	 * Idle for more than a slot: the grid starts again now. Where slots
	 * are shorter than PACE_LAG_US (limits far above Telegram's), one
	 * pass may take the slots of that long, not one slot per pass.
	 */
	int64_t lag = p->interval_us > PACE_LAG_US ? p->interval_us : PACE_LAG_US;
	if (now_us - p->next_us >= lag)
		p->next_us = now_us;
	p->next_us += p->interval_us;
}

struct chat_slot {
	int64_t chat_id;
	struct bucket b;
};

struct flight;

struct sender {
	pthread_t thread;
	int64_t wait_ms;    /* how long to sleep when a pass sent nothing */
	const volatile int *stop;
	char *db_path, *token;
	struct db *db;
	struct tg *tg;
	struct tg_pause *pause;   /* after a 429, shared with the poller's client */
	enum msg_lang lang;       /* what notices are rendered in: the config's language */
	struct pace global;
	double chat_rate, group_rate;  /* per second */
	/*
	 * All the groups together: they take their turn before people's
	 * chats (struct pace aside), but never more than half the global
	 * rate, however many groups wait.
	 */
	struct bucket groups;
	struct chat_slot chats[CHAT_SLOTS];
	struct flight *flights;   /* max_in_flight slots, each one call at most */
	struct row *rows;         /* fill()'s batch: BATCH + max_in_flight rows */
	struct row *streams;      /* fill_group()'s: max_in_flight rows */
	struct row *groups_due;   /* fill()'s groups: BATCH rows */
	int max_in_flight, in_flight;
	bool look_for_probes;     /* sent rows may wait for their copy to be looked for */
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
		/*
		 * A new chat. One that collides with another chat's slot takes
		 * over its tokens, so two chats taking turns in a slot never
		 * get a full bucket each time: a collision only makes pacing
		 * stricter.
		 */
		struct bucket was = slot->b;
		bool collided = slot->chat_id != 0;
		slot->chat_id = chat_id;
		/* Capacity 1 with rate r never exceeds 1 + r in any window. */
		if (chat_id < 0)
			bucket_init(&slot->b, fmin(s->chat_rate, s->group_rate), 1, now_ms);
		else
			bucket_init(&slot->b, s->chat_rate, 2, now_ms);
		if (collided) {
			slot->b.tokens = fmin(was.tokens, slot->b.capacity);
			slot->b.last_ms = was.last_ms;
		}
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
	enum outbox_lane lane;
	char edit_role[16];
	/*
	 * It must never appear twice: after a call that may have reached
	 * Telegram unanswered, the chat is probed for its copy. Every
	 * message with a link_role in a private chat; in a group, a card,
	 * which goes alone (see busy()): its probe can only tell its copy
	 * apart from people's messages and the bot's recorded ones. A
	 * relay or a notice may be doubled by a crash, as any row can.
	 */
	bool watched;
	int attempts, parts_sent;
	int64_t flight_after;   /* -1, or its call may have reached Telegram unanswered */
	int64_t message_id, probe_end;
	int64_t att_id;    /* the kept file a photo or document names ("att:ID"), 0: none */
	bool relay;        /* words relayed to a ticket's chat (a group, a private chat): may merge with the next */
	bool list;         /* «Новые заявки» (bot/newlist.h): the cards it holds go with it */
	bool joins;        /* a group's notice that may go with others of other tickets (NOTICE_JOINS) */
	/*
	 * It goes alone in its group, and nothing else while it flies: a
	 * list, and a card's edit, which may turn out to be its list's (one
	 * message edited by one call at a time, or an older state may land
	 * last).
	 */
	bool alone;
	int64_t created_at;
	/*
	 * The rows merged into this one's message (bot/coalesce.h): sent
	 * with it, in the transaction that records Telegram's answer.
	 */
	int n_merged;
	int64_t merged[COALESCE_MAX];
	int64_t merged_ticket[COALESCE_MAX];   /* their tickets: joined notices are of others */
	bool by_file_id;   /* and its call names it by the file_id Telegram gave it */
	struct notice n;   /* its strings owned by the row (notice_release) */
};

enum flight_kind {
	FLIGHT_SEND,    /* a part of a row */
	FLIGHT_PROBE,   /* is message probe_id the earlier copy of a sent card? */
	FLIGHT_DELETE,  /* it was: delete it */
};

/* One call in flight, from tg_start() until its answer is recorded. */
struct flight {
	bool busy;
	enum flight_kind kind;
	struct row r;
	struct tg_render calls;   /* the row rendered; params of its parts */
	json_object *own;         /* a probe's or a delete's params */
	struct attachment file;   /* the kept file of a row that names one; its bytes until uploaded */
	size_t part;
	int64_t probe_id;
};

static void row_copy(struct row *out, const struct outbox_row *r)
{
	bool linked = *r->link_role != '\0';
	bool list = !strcmp(r->link_role, link_role_name(LINK_LIST));
	*out = (struct row){ .id = r->id, .ticket_id = r->ticket_id, .lane = r->lane,
			     .attempts = r->attempts,
			     .parts_sent = r->parts_sent,
			     .watched = linked && (r->n.chat_id > 0 || list ||
						   !strcmp(r->link_role, link_role_name(LINK_CARD))),
			     .list = list,
			     .alone = r->n.chat_id < 0 &&
				      (list || !strcmp(r->edit_role, link_role_name(LINK_CARD))),
			     .flight_after = r->flight_after, .message_id = r->message_id,
			     .probe_end = r->probe_end, .created_at = r->created_at,
			     .relay = r->n.kind == NOTICE_SAY &&
				      !strcmp(r->link_role, link_role_name(LINK_RELAY)),
			     .joins = r->n.kind == NOTICE_SAY && r->n.chat_id < 0 &&
				      (r->n.flags & NOTICE_JOINS) && !linked && !*r->edit_role };
	if (r->n.kind == NOTICE_PHOTO || r->n.kind == NOTICE_DOCUMENT)
		attachment_ref_id(r->n.ref, &out->att_id);
	notice_copy(&out->n, &r->n);
	snprintf(out->edit_role, sizeof(out->edit_role), "%s", r->edit_role);
}

struct batch {
	struct row *v;
	int n, cap;
};

static int collect(const struct outbox_row *r, void *arg)
{
	struct batch *b = arg;
	if (b->n < b->cap)
		row_copy(&b->v[b->n++], r);
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

/*
 * Telegram accepted part `part` of `parts`: the row is sent, or waits for
 * its next part. A card sent again after a call that may have reached
 * Telegram unanswered has the ids since then probed for that copy.
 */
static int accepted(struct sender *s, const struct row *r, int64_t message_id, size_t part,
		    size_t parts)
{
	if (part + 1 < parts)
		return db_outbox_part_sent(s->db, r->id, message_id);
	int rc = db_outbox_sent(s->db, r->id, message_id, clock_now());
	if (!rc && r->watched && r->flight_after >= 0 && message_id > r->flight_after + 1) {
		s->look_for_probes = true;
		/* The copy came right after flight_after, unless people wrote meanwhile. */
		rc = db_outbox_probe_set(s->db, r->id, r->flight_after,
					 message_id < r->flight_after + 1 + PROBE_MAX ?
					 message_id : r->flight_after + 1 + PROBE_MAX);
	}
	return rc;
}

/*
 * Remembers the file_id Telegram gave a kept file it just took (the
 * largest photo size's, or the document's), so that the file's next send,
 * to this chat or another, goes by it instead of its bytes.
 */
static int remember_file(struct sender *s, const struct row *r, const char *method,
			 json_object *result)
{
	bool photo = !strcmp(method, "sendPhoto");
	json_object *file = NULL, *sizes;
	int64_t largest = -1, w, h;
	if (!r->att_id || (!photo && strcmp(method, "sendDocument")))
		return 0;
	if (!photo) {
		file = json_get_obj(result, "document");
	} else if (json_object_object_get_ex(result, "photo", &sizes) &&
		   json_object_is_type(sizes, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(sizes); i++) {
			json_object *size = json_object_array_get_idx(sizes, i);
			if (json_get_int(size, "width", &w) && json_get_int(size, "height", &h) &&
			    w * h > largest) {
				largest = w * h;
				file = size;
			}
		}
	}
	const char *file_id = json_get_str(file, "file_id");
	if (!file_id || !*file_id) {
		log_warn("sender: row %lld: Telegram took the file without a file_id", (long long)r->id);
		return 0;
	}
	return db_attachment_set_file(s->db, r->att_id, file_id, photo ? "photo" : "document");
}

/*
 * New tickets' cards that the group's pace would take longer than this
 * to post one by one go as one list (make_list()).
 */
#define LIST_AFTER_S 10.0

/* Telegram could not take an image as a photo (dimensions, format): it goes as a document. */
static bool photo_refused(const struct row *r, const char *method, const char *description)
{
	return r->att_id && !strcmp(method, "sendPhoto") &&
	       (strstr(description, "PHOTO_") || strstr(description, "IMAGE_PROCESS_FAILED") ||
		strstr(description, "type of file mismatch"));
}

/*
 * Telegram no longer knows a kept file's file_id (another bot's token now,
 * or its servers lost it): it is forgotten and the bytes go up again.
 */
static bool file_id_refused(const struct row *r, const char *description)
{
	return r->by_file_id && (strstr(description, "wrong file identifier") ||
				 strstr(description, "FILE_REFERENCE") ||
				 strstr(description, "invalid file_id"));
}

/*
 * Row r went (part `part` of `parts`) as message_id: with its last part,
 * the rows merged into it, and the cards a list holds.
 */
static int went(struct sender *s, const struct row *r, int64_t message_id, size_t part,
		size_t parts, int64_t now)
{
	int rc = accepted(s, r, message_id, part, parts);
	if (rc || part + 1 < parts)
		return rc;
	for (int i = 0; i < r->n_merged && !rc; i++)
		rc = db_outbox_sent(s->db, r->merged[i], message_id, now);
	if (!rc && r->list && message_id)
		rc = db_list_sent(s->db, r->id, message_id, now);
	return rc;
}

/* Gives up on row r for good; a list's cards then go one by one. */
static int give_up(struct sender *s, const struct row *r, const char *why)
{
	int rc = db_outbox_failed(s->db, r->id, why);
	return !rc && r->list ? db_list_release(s->db, r->id) : rc;
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
		rc = went(s, r, message_id, part, parts, now);
		if (!rc)
			rc = remember_file(s, r, method, res->result);
		break;
	case TG_MIGRATED:
		log_info("sender: chat %lld became %lld", (long long)r->n.chat_id, (long long)res->migrate_to);
		rc = db_chat_migrate(s->db, r->n.chat_id, res->migrate_to);
		break;
	case TG_FORBIDDEN:
		log_warn("sender: chat %lld refuses messages (%s); giving up on row %lld",
			 (long long)r->n.chat_id, res->description, (long long)r->id);
		rc = give_up(s, r, res->description);
		if (!rc && r->n.chat_id > 0)
			rc = db_person_blocked_tg(s->db, r->n.chat_id);
		/*
		 * A cashier's words for an engineer who blocked the bot: the
		 * group has them instead, every row merged into the message
		 * too, in order (left here they would reach the group after
		 * words written later).
		 */
		for (int i = -1; i < r->n_merged && !rc && r->n.chat_id > 0; i++) {
			if (i >= 0)
				rc = db_outbox_failed(s->db, r->merged[i], res->description);
			if (!rc)
				rc = db_outbox_relay_to_card(s->db, i < 0 ? r->id : r->merged[i]);
		}
		break;
	case TG_BAD_REQUEST:
		if (strstr(res->description, "message is not modified")) {
			rc = went(s, r, 0, part, parts, now);
		} else if (photo_refused(r, method, res->description)) {
			log_warn("sender: row %lld: the photo was refused (%s); sending it as a document",
				 (long long)r->id, res->description);
			rc = db_outbox_add_flags(s->db, r->id, NOTICE_AS_DOCUMENT);
		} else if (file_id_refused(r, res->description)) {
			log_warn("sender: row %lld: Telegram does not know the file's file_id (%s);"
				 " uploading it again", (long long)r->id, res->description);
			rc = db_attachment_set_file(s->db, r->att_id, NULL, NULL);
		} else if (strstr(res->description, "can't parse entities") &&
			   !(rc = mend(s, r, params, &mended)) && mended) {
			log_warn("sender: row %lld refused as HTML (%s); sending as plain text",
				 (long long)r->id, res->description);
		} else if (!rc) {
			log_warn("sender: row %lld (%s) refused: %s", (long long)r->id, method,
				 res->description);
			rc = give_up(s, r, res->description);
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

/* Records an outcome that needs no call (refused, or every part already went). */
static void settle(struct sender *s, const struct row *r, size_t part)
{
	struct tg_result res;
	memset(&res, 0, sizeof(res));
	res.outcome = TG_OK;
	record(s, r, &res, "", NULL, part, part + 1);
}

/*
 * Remembers, before the call of a card, the chat's last recorded message:
 * a crash or a time-out with the call in flight leaves the mark, and the
 * card sent again then looks for its copy after that message.
 *
 * The rows merged into r's message are marked too (an earlier try's mark
 * stays, db_outbox_flying()): they may reach Telegram with it. Marked, a
 * released ticket's relays stay in the chat they may have reached
 * (db_relay_move()) rather than go to the group as well, and a merged
 * row sent again apart from r looks for the copy itself.
 */
static int mark_flying(struct sender *s, const struct row *r)
{
	int64_t last;
	if (!r->watched || !r->n.chat_id || (r->flight_after >= 0 && !r->n_merged))
		return 0;
	int rc = db_begin(s->db);
	if (!rc)
		rc = db_chat_last_message(s->db, r->n.chat_id, &last);
	for (int i = -1; i < r->n_merged && !rc; i++)
		rc = db_outbox_flying(s->db, i < 0 ? r->id : r->merged[i], last);
	if (!rc)
		rc = db_commit(s->db);
	if (rc)
		db_rollback(s->db);
	return rc;
}

static void flight_end(struct sender *s, struct flight *f)
{
	tg_render_release(&f->calls);
	if (f->own)
		json_object_put(f->own);
	attachment_release(&f->file);
	notice_release(&f->r.n);
	memset(f, 0, sizeof(*f));
	s->in_flight--;
}

static const char *flight_method(const struct flight *f)
{
	switch (f->kind) {
	case FLIGHT_PROBE:
		return "editMessageReplyMarkup";
	case FLIGHT_DELETE:
		return "deleteMessage";
	default:
		return f->calls.v[f->part].method;
	}
}

static json_object *flight_params(const struct flight *f)
{
	return f->kind == FLIGHT_SEND ? f->calls.v[f->part].params : f->own;
}

/*
 * Starts f's call and hands it to the network at once, so that the pace
 * sees when it really left; a call that cannot start is a network error
 * to retry.
 */
static void flight_start(struct sender *s, struct flight *f)
{
	struct tg_result res;
	const struct tg_render_call *call = f->kind == FLIGHT_SEND ? &f->calls.v[f->part] : NULL;
	int rc;
	if (call && call->upload) {
		rc = f->file.data ?
			tg_start_upload(s->tg, call->method, call->params,
					strcmp(call->method, "sendPhoto") ? "document" : "photo",
					f->file.name, f->file.mime, f->file.data, (size_t)f->file.size,
					SEND_TIMEOUT_MS, f) : TD_ERR;
		/* Copied into the request: no need to hold them through the call. */
		free(f->file.data);
		f->file.data = NULL;
	} else {
		rc = tg_start(s->tg, flight_method(f), flight_params(f), SEND_TIMEOUT_MS, f);
	}
	if (!rc) {
		tg_run(s->tg, 0);
		pace_left(&s->global, clock_mono_us());
		return;
	}
	memset(&res, 0, sizeof(res));
	res.outcome = TG_RETRY;
	snprintf(res.description, sizeof(res.description), "cannot start the call");
	if (f->kind == FLIGHT_SEND)
		record(s, &f->r, &res, flight_method(f), flight_params(f), f->part, f->calls.n);
	flight_end(s, f);
}

/* A free slot for a call (the caller checked in_flight < max_in_flight). */
static struct flight *flight_slot(struct sender *s)
{
	for (int i = 0; i < s->max_in_flight; i++)
		if (!s->flights[i].busy) {
			s->flights[i].busy = true;
			s->in_flight++;
			return &s->flights[i];
		}
	return NULL;
}

static bool photo_mime(const char *mime)
{
	return !strcasecmp(mime, "image/jpeg") || !strcasecmp(mime, "image/png") ||
	       !strcasecmp(mime, "image/webp");
}

/*
 * Finds the kept file f's row names (f->r.att_id) as Telegram should get
 * it: by its file_id when Telegram has one of the kind wanted, else its
 * bytes, read here without a transaction (the upload holds up no writer).
 * A photo is a JPEG, PNG or WebP within Telegram's 10 MB, unless Telegram
 * refused it as one (NOTICE_AS_DOCUMENT). A file that is gone is named by
 * its reference. TD_ERR when the database could not be read.
 */
static int kept_file(struct sender *s, struct flight *f, struct tg_file *out)
{
	struct attachment *a = &f->file;
	int rc = db_attachment_get(s->db, f->r.att_id, false, a);
	*out = (struct tg_file){ .name = f->r.n.ref };
	if (rc == TD_ENOTFOUND) {
		log_warn("sender: row %lld names %s, which is gone", (long long)f->r.id, f->r.n.ref);
		return 0;
	}
	if (rc)
		return rc;
	bool as_document = f->r.n.flags & NOTICE_AS_DOCUMENT;
	out->name = a->name;
	out->size = a->size;
	out->kept = a->kept;
	out->photo = !as_document && (a->file_kind ? !strcmp(a->file_kind, "photo") :
				      photo_mime(a->mime) && a->size <= TG_PHOTO_MAX);
	if (a->file_id && a->file_kind && !strcmp(a->file_kind, out->photo ? "photo" : "document"))
		out->file_id = a->file_id;
	else if (a->file_id)
		out->photo = false;   /* a photo Telegram refused by its file_id: the bytes, as a document */
	/* The bytes only for the file's own call: a crash may have left the caption's to send. */
	if (!out->file_id && a->kept && f->r.parts_sent == 0) {
		struct attachment with;
		if ((rc = db_attachment_get(s->db, f->r.att_id, true, &with)))
			return rc == TD_ENOTFOUND ? 0 : rc;
		attachment_release(a);
		*a = with;
		out->name = a->name;
		out->size = a->size;
	}
	return 0;
}

/*
 * Row f->r edits the card of a ticket that went in a list (bot/newlist.h)
 * and has no card of its own: the flight edits the list instead, as its
 * tickets are now, and stands for the other edits of that list's cards
 * waiting (each would render the same). *message_id: the list's.
 * TD_ENOTFOUND when the ticket is in no list that went.
 */
static int list_edit(struct sender *s, struct flight *f, int64_t *message_id)
{
	struct buf args = BUF_INIT(64u << 10), actions = BUF_INIT(16u << 10);
	int64_t list, tickets[NEWLIST_MAX], edits[COALESCE_MAX + 1];
	size_t n, n_edits = 0, fit;
	int rc = db_list_of_ticket(s->db, f->r.ticket_id, f->r.n.chat_id, &list, message_id);
	if (!rc && !*message_id)
		rc = TD_ENOTFOUND;   /* it waits: its tickets' rows wait behind it (db_outbox_streams()) */
	if (!rc)
		rc = db_list_tickets(s->db, list, tickets, NEWLIST_MAX, &n);
	/* The edits it stands for are read before the states: a later change queues one more. */
	if (!rc)
		rc = db_list_edits(s->db, list, f->r.n.chat_id, clock_now(), edits, ARRAY_SIZE(edits),
				   &n_edits);
	if (!rc)
		rc = newlist_render(s->db, tickets, n, TG_TEXT_MAX, s->lang, &args, &actions, &fit);
	if (!rc && fit < n)
		log_warn("sender: list row %lld shows %zu of its %zu tickets", (long long)list, fit, n);
	if (!rc) {
		struct notice edit = f->r.n, owned;
		edit.msg_key = NULL;
		edit.args = buf_cstr(&args);
		edit.actions = buf_cstr(&actions);
		notice_copy(&owned, &edit);
		notice_release(&f->r.n);
		f->r.n = owned;
		f->r.n_merged = 0;
		for (size_t i = 0; i < n_edits && f->r.n_merged < COALESCE_MAX; i++)
			if (edits[i] != f->r.id)
				f->r.merged[f->r.n_merged++] = edits[i];
	}
	buf_release(&args);
	buf_release(&actions);
	return rc;
}

/* Renders row r and starts its next part in a slot; false when no call went. */
static bool deliver(struct sender *s, const struct row *r)
{
	char why[128];
	struct tg_file file = { 0 };
	struct flight *f = flight_slot(s);
	f->kind = FLIGHT_SEND;
	f->r = *r;
	notice_copy(&f->r.n, &r->n);
	if (r->att_id && kept_file(s, f, &file)) {
		log_warn("sender: cannot read the file of row %lld: database busy", (long long)r->id);
		goto none;
	}
	f->r.by_file_id = r->att_id && file.file_id && f->r.parts_sent == 0;
	int64_t edited = 0;
	if (*r->edit_role && db_link_message(s->db, r->ticket_id, r->edit_role, r->n.chat_id, &edited)) {
		/* A group's card that went in a list has none of its own: the list shows it. */
		int rc = r->alone ? list_edit(s, f, &edited) : TD_ENOTFOUND;
		if (rc == TD_ENOTFOUND) {
			refuse(s, &f->r, "no message to edit");
			goto none;
		}
		if (rc) {
			log_warn("sender: cannot read the list row %lld edits: database busy", (long long)r->id);
			goto none;
		}
	}
	if (tg_render_file(&f->calls, &f->r.n, r->att_id ? &file : NULL, s->lang, why, sizeof(why))) {
		refuse(s, &f->r, why);
		goto none;
	}
	f->part = (size_t)r->parts_sent;
	if (f->part >= f->calls.n) {
		/* Every part went before a crash; only the mark was missing. */
		settle(s, &f->r, f->part);
		goto none;
	}
	json_object *params = f->calls.v[f->part].params;
	if (r->n.chat_id)
		json_object_object_add(params, "chat_id", json_object_new_int64(r->n.chat_id));
	if (*r->edit_role)
		json_object_object_add(params, "message_id", json_object_new_int64(edited));
	if (mark_flying(s, r)) {
		log_warn("sender: cannot mark row %lld in flight: database busy", (long long)r->id);
		goto none;
	}
	flight_start(s, f);
	return true;
none:
	flight_end(s, f);
	return false;
}

/*
 * Starts the probe of the next id after a sent card's last recorded
 * message: editMessageReplyMarkup with the card's own markup is "not
 * modified" only on our identical copy ("can't be edited" on a person's
 * message, "not found" on none). The card went alone in its chat (a
 * private chat has one call in flight, a group's card too), so the other
 * messages of the bot in that range are the ones sent since, which are
 * recorded and skipped.
 */
static void probe_next(struct sender *s, const struct flight *f, bool found);

static bool probe(struct sender *s, const struct row *r)
{
	char why[128];
	json_object *markup;
	struct flight *f = flight_slot(s);
	f->kind = FLIGHT_PROBE;
	f->r = *r;
	notice_copy(&f->r.n, &r->n);
	f->probe_id = r->flight_after + 1;
	while (f->probe_id < r->probe_end &&
	       !db_chat_message_known(s->db, r->n.chat_id, f->probe_id))
		f->probe_id++;
	if (f->probe_id >= r->probe_end || tg_render(&f->calls, &f->r.n, s->lang, why, sizeof(why))) {
		/*
		 * What is left is the bot's recorded messages; or it rendered
		 * when it was sent and no longer does: nothing to compare.
		 */
		f->probe_id = f->r.probe_end;
		probe_next(s, f, false);
		flight_end(s, f);
		return false;
	}
	f->own = json_object_new_object();
	json_object_object_add(f->own, "chat_id", json_object_new_int64(r->n.chat_id));
	json_object_object_add(f->own, "message_id", json_object_new_int64(f->probe_id));
	/*
	 * Only an inline keyboard can be edited; a message without one (a
	 * forced reply's question) is "not modified" by an edit without one.
	 */
	if (json_object_object_get_ex(f->calls.v[f->calls.n - 1].params, "reply_markup", &markup) &&
	    json_object_object_get_ex(markup, "inline_keyboard", NULL))
		json_object_object_add(f->own, "reply_markup", json_object_get(markup));
	flight_start(s, f);
	return true;
}

/* Moves a probe on by one id, or ends it: in its own short transaction. */
static void probe_next(struct sender *s, const struct flight *f, bool found)
{
	int64_t after = f->probe_id;
	if (found || after + 1 >= f->r.probe_end)
		after = -1;
	if (found)
		log_info("sender: deleted message %lld, an earlier copy of row %lld",
			 (long long)f->probe_id, (long long)f->r.id);
	else if (after < 0)
		log_info("sender: no earlier copy of row %lld found", (long long)f->r.id);
	if (db_begin(s->db) || db_outbox_probe_set(s->db, f->r.id, after, f->r.probe_end) ||
	    db_commit(s->db)) {
		db_rollback(s->db);
		log_warn("sender: cannot record the probe of row %lld", (long long)f->r.id);
	}
	s->look_for_probes = true;
}

/* f's call was answered: records it, or goes on to the next call of a probe. */
static void landed(struct sender *s, struct flight *f, const struct tg_result *res)
{
	bool refused = res->outcome == TG_BAD_REQUEST;
	switch (f->kind) {
	case FLIGHT_SEND:
		record(s, &f->r, res, flight_method(f), flight_params(f), f->part, f->calls.n);
		break;
	case FLIGHT_PROBE:
		if (refused && strstr(res->description, "message is not modified")) {
			/* Ours: the same slot deletes it, the chat stays busy until then. */
			f->kind = FLIGHT_DELETE;
			json_object_object_del(f->own, "reply_markup");
			if (!tg_pause_left_ms(s->pause)) {
				flight_start(s, f);
				return;
			}
		} else if (refused || res->outcome == TG_OK) {
			probe_next(s, f, false);
		}
		/* A network error, a 429: the probe is tried again later. */
		s->look_for_probes = true;
		break;
	case FLIGHT_DELETE:
		if (res->outcome == TG_OK || refused)
			probe_next(s, f, true);
		s->look_for_probes = true;
		break;
	}
	flight_end(s, f);
}

/*
 * Whether row r must wait for a call in flight: one of its own row (no
 * chat), of its private chat, or of its stream in a group (its ticket's).
 * A group's card, and a probe (alone), wait for every call to their chat
 * and hold the chat while in flight: a probe must find no unrecorded
 * message of the bot but the card's copy.
 */
static bool busy(const struct sender *s, const struct row *r, bool alone)
{
	for (int i = 0; i < s->max_in_flight; i++) {
		const struct flight *f = &s->flights[i];
		if (!f->busy)
			continue;
		/*
		 * A row merged into a message in flight flies with it, and its
		 * ticket's next rows wait as they wait for the head's.
		 */
		for (int m = 0; m < f->r.n_merged; m++)
			if (f->r.merged[m] == r->id || (f->r.n.chat_id == r->n.chat_id &&
							f->r.merged_ticket[m] == r->ticket_id))
				return true;
		if (!r->n.chat_id) {
			if (f->r.id == r->id)
				return true;
		} else if (f->r.n.chat_id == r->n.chat_id &&
			   (r->n.chat_id > 0 || alone || r->alone || r->watched || f->kind != FLIGHT_SEND ||
			    f->r.alone || f->r.watched || f->r.ticket_id == r->ticket_id)) {
			return true;
		}
	}
	return false;
}

/*
 * Takes a token of the global bucket and of the chat's for a call to
 * chat; false (and how long to sleep, for the global one) when either is
 * empty.
 */
static bool paced(struct sender *s, int64_t chat_id, bool *global_empty)
{
	int64_t now_us = clock_mono_us(), now = now_us / 1000;
	struct bucket *b = chat_id ? chat_bucket(s, chat_id, now) : NULL;
	*global_empty = false;
	if (!pace_ready(&s->global, now_us)) {
		/* Sleep just until the next slot rather than a whole tick. */
		s->wait_ms = (pace_due(&s->global) - now_us + 999) / 1000;
		*global_empty = true;
		return false;
	}
	if (b && !bucket_ready(b, now)) {
		/* Or until this chat's next token, when that comes sooner. */
		int64_t ms = (int64_t)ceil((1.0 - b->tokens) / b->rate * 1000.0);
		if (ms < s->wait_ms)
			s->wait_ms = ms;
		return false;
	}
	pace_take(&s->global, now_us);
	if (b)
		b->tokens -= 1;
	return true;
}

static int zone_of(const struct ticket_row *t, void *arg)
{
	snprintf(arg, 64, "%s", t->timezone);
	return 0;
}

struct run {
	struct coalesce_row v[COALESCE_MAX];
	struct row rows[COALESCE_MAX];
	int n;
};

static int collect_run(const struct outbox_row *r, void *arg)
{
	struct run *run = arg;
	if (run->n >= COALESCE_MAX)
		return 0;
	struct row *to = &run->rows[run->n];
	row_copy(to, r);
	run->v[run->n++] = (struct coalesce_row){ .n = &to->n, .parts_sent = r->parts_sent,
						  .created_at = r->created_at,
						  .link_role = to->relay ? link_role_name(LINK_RELAY) : "" };
	return 0;
}

static void run_free(struct run *run)
{
	for (int i = 0; i < run->n; i++)
		notice_release(&run->rows[i].n);
	free(run);
}

/*
 * Starts head as the message args (and actions, when not NULL) with the
 * first `taken` rows of run (head first) merged into it; head as it is
 * when taken < 2.
 */
static bool deliver_merged(struct sender *s, const struct row *head, const struct run *run,
			   size_t taken, const struct buf *args, const struct buf *actions)
{
	if (taken < 2)
		return deliver(s, head);
	struct row *m = xmalloc(sizeof(*m));
	*m = *head;
	m->n.args = buf_cstr(args);
	if (actions)
		m->n.actions = buf_cstr(actions);
	m->n_merged = (int)taken - 1;
	for (size_t i = 1; i < taken; i++) {
		m->merged[i - 1] = run->rows[i].id;
		m->merged_ticket[i - 1] = run->rows[i].ticket_id;
	}
	log_debug("sender: %zu rows for chat %lld from row %lld go as one message", taken,
		  (long long)head->n.chat_id, (long long)head->id);
	bool started = deliver(s, m);
	free(m);
	return started;
}

/*
 * Starts head, a relay at the head of its ticket's stream in a group (of
 * its chat in a private chat), together with the ticket's relays waiting
 * behind it, as one message (bot/coalesce.h); alone when none wait or
 * they cannot be read.
 */
static bool deliver_run(struct sender *s, const struct row *head)
{
	struct run *run = xcalloc(1, sizeof(*run));
	struct buf args = BUF_INIT(256u << 10);
	char zone[64] = "";
	size_t taken = 0;
	bool started;
	if (!db_outbox_ticket_rows(s->db, head->n.chat_id, head->ticket_id, clock_now(),
				   COALESCE_MAX, collect_run, run) &&
	    run->n > 1 && run->rows[0].id == head->id) {
		db_ticket_get(s->db, head->ticket_id, zone_of, zone);
		if (coalesce_relays(&args, &taken, run->v, (size_t)run->n, zone, s->lang))
			taken = 0;
	}
	started = deliver_merged(s, head, run, taken, &args, NULL);
	run_free(run);
	buf_release(&args);
	return started;
}

/*
 * Starts head, a group's notice that may join others (an SLA warning),
 * together with those of other tickets waiting for the group, each at
 * the head of its stream and in no flight, as one message
 * (bot/coalesce.h); alone when none wait or they cannot be read.
 */
static bool deliver_joined(struct sender *s, const struct row *head)
{
	struct run *run = xcalloc(1, sizeof(*run));
	struct buf args = BUF_INIT(256u << 10), actions = BUF_INIT(16u << 10);
	size_t taken = 0;
	bool started;
	run->rows[0] = *head;
	notice_copy(&run->rows[0].n, &head->n);
	run->v[0] = (struct coalesce_row){ .n = &run->rows[0].n, .parts_sent = head->parts_sent,
					   .created_at = head->created_at, .link_role = "" };
	run->n = 1;
	if (!db_outbox_joining(s->db, head->n.chat_id, clock_now(), COALESCE_MAX, collect_run, run)) {
		/* The head first; a row flying already, or the head again, is not another. */
		int kept = 1;
		for (int i = 1; i < run->n; i++) {
			if (run->rows[i].id == head->id || busy(s, &run->rows[i], false)) {
				notice_release(&run->rows[i].n);
				continue;
			}
			run->rows[kept] = run->rows[i];
			run->v[kept] = run->v[i];
			run->v[kept].n = &run->rows[kept].n;
			kept++;
		}
		run->n = kept;
		if (run->n > 1 &&
		    coalesce_notices(&args, &actions, &taken, run->v, (size_t)run->n, s->lang))
			taken = 0;
	}
	started = deliver_merged(s, head, run, taken, &args, &actions);
	run_free(run);
	buf_release(&args);
	buf_release(&actions);
	return started;
}

/*
 * More than a few new tickets' cards wait for group chat_id, more than
 * the group's pace would post in LIST_AFTER_S: the first of them becomes
 * «Новые заявки» listing them (as many as fit), and goes as that card
 * would have (bot/newlist.h). At Telegram's 20 a minute, from 4 cards on.
 */
static bool make_list(struct sender *s, int64_t chat_id)
{
	struct waiting_card cards[NEWLIST_MAX];
	int64_t tickets[NEWLIST_MAX];
	size_t n = 0, fit = 0;
	double least = fmax(NEWLIST_MIN, ceil(LIST_AFTER_S * fmin(s->chat_rate, s->group_rate)));
	/* Read first: a write transaction only when there is a list to make. */
	if (least > NEWLIST_MAX ||
	    db_list_candidates(s->db, chat_id, clock_now(), cards, NEWLIST_MAX, &n) ||
	    (double)n < least || db_begin(s->db))
		return false;
	struct buf args = BUF_INIT(64u << 10), actions = BUF_INIT(16u << 10);
	int rc = db_list_candidates(s->db, chat_id, clock_now(), cards, NEWLIST_MAX, &n);
	if (!rc && (double)n >= least) {
		for (size_t i = 0; i < n; i++)
			tickets[i] = cards[i].ticket_id;
		rc = newlist_render(s->db, tickets, n, NEWLIST_BUDGET, s->lang, &args, &actions, &fit);
		if (!rc && (double)fit >= least)
			rc = db_list_make(s->db, cards, fit, buf_cstr(&args), buf_cstr(&actions));
	}
	bool made = false;
	if (rc || db_commit(s->db)) {
		db_rollback(s->db);
		log_warn("sender: cannot list the new tickets waiting for chat %lld", (long long)chat_id);
	} else if ((made = (double)fit >= least)) {
		log_info("sender: %zu new tickets' cards waiting for chat %lld go as one list (row %lld)",
			 fit, (long long)chat_id, (long long)cards[0].row_id);
	}
	buf_release(&args);
	buf_release(&actions);
	return made;
}

/* A new ticket's card, never tried: it may go in a list. */
static bool new_card(const struct row *r)
{
	return r->n.chat_id < 0 && r->watched && !r->list && !*r->edit_role && !r->parts_sent &&
	       r->flight_after < 0 && r->n.kind == NOTICE_SAY;
}

/*
 * Starts the heads of a group's streams, whose calls may fly together;
 * returns how many started.
 */
static int fill_group(struct sender *s, int64_t chat_id, bool *empty)
{
	struct batch b = { s->streams, 0, s->max_in_flight };
	int started = 0;
	if (db_outbox_streams(s->db, chat_id, clock_now(), b.cap, collect, &b))
		return 0;
	/* Only where a new card is among the heads are the cards waiting looked for. */
	bool cards = false;
	for (int i = 0; i < b.n && !cards; i++)
		cards = new_card(&b.v[i]);
	if (cards && make_list(s, chat_id)) {
		for (int i = 0; i < b.n; i++)
			notice_release(&b.v[i].n);
		b.n = 0;
		if (db_outbox_streams(s->db, chat_id, clock_now(), b.cap, collect, &b))
			return 0;
	}
	for (int i = 0; i < b.n && s->in_flight < s->max_in_flight && !*empty; i++) {
		if (!bucket_ready(&s->groups, clock_mono_ms()))
			break;
		if (!busy(s, &b.v[i], b.v[i].alone) && paced(s, chat_id, empty)) {
			s->groups.tokens -= 1;
			started += b.v[i].relay ? deliver_run(s, &b.v[i]) :
				   b.v[i].joins ? deliver_joined(s, &b.v[i]) : deliver(s, &b.v[i]);
		}
	}
	for (int i = 0; i < b.n; i++)
		notice_release(&b.v[i].n);
	return started;
}

/* Whether the group may be posted to now: its streams are not looked for until then. */
static bool group_ready(struct sender *s, int64_t chat_id)
{
	int64_t now = clock_mono_ms();
	struct bucket *b = chat_bucket(s, chat_id, now);
	if (bucket_ready(b, now))
		return true;
	int64_t ms = (int64_t)ceil((1.0 - b->tokens) / b->rate * 1000.0);
	if (ms < s->wait_ms)
		s->wait_ms = ms;
	return false;
}

static int collect_probe(const struct outbox_row *r, void *arg)
{
	return r->n.chat_id ? collect(r, arg) : 0;
}

/*
 * Starts the probes of sent cards that may have a copy, then the due rows,
 * while calls may start; returns how many started.
 */
static int fill(struct sender *s)
{
	struct row *rows = s->rows;
	/* The heads of chats with a call in flight come back too: room for them. */
	struct batch b = { rows, 0, BATCH + s->max_in_flight };
	int started = 0;
	bool empty = false;
	s->wait_ms = IDLE_WAIT_MS;
	/* Telegram asked the bot to wait: start nothing until it may call again. */
	if (tg_pause_left_ms(s->pause) || s->in_flight >= s->max_in_flight)
		return 0;
	if (s->look_for_probes) {
		s->look_for_probes = false;
		db_outbox_probes(s->db, collect_probe, &b);
		for (int i = 0; i < b.n && s->in_flight < s->max_in_flight && !empty; i++)
			if (!busy(s, &rows[i], true) && paced(s, rows[i].n.chat_id, &empty))
				started += probe(s, &rows[i]);
		s->look_for_probes |= b.n > 0;
		for (int i = 0; i < b.n; i++)
			notice_release(&rows[i].n);
		b.n = 0;
	}
	/* No slot yet: no row could start, so the due query can wait for one. */
	int64_t now_us = clock_mono_us();
	if (!empty && !pace_ready(&s->global, now_us)) {
		s->wait_ms = (pace_due(&s->global) - now_us + 999) / 1000;
		empty = true;
	}
	if (!empty && !db_outbox_due(s->db, clock_now(), b.cap, collect, &b)) {
		/* The answers to presses first: a spinner turns. */
		for (int i = 0; i < b.n && s->in_flight < s->max_in_flight && !empty; i++)
			if (rows[i].lane == OUTBOX_ANSWER && !busy(s, &rows[i], false) &&
			    paced(s, 0, &empty))
				started += deliver(s, &rows[i]);
		/*
		 * Then the groups, each as its allowance lets it (a message
		 * every 3 s or so), all of them within half the global rate:
		 * the lanes below would let people's replies take every slot
		 * from them.
		 */
		struct batch g = { s->groups_due, 0, BATCH };
		if (!empty && !db_outbox_due_groups(s->db, clock_now(), g.cap, collect, &g))
			for (int i = 0; i < g.n && s->in_flight < s->max_in_flight && !empty; i++)
				if (group_ready(s, g.v[i].n.chat_id))
					started += fill_group(s, g.v[i].n.chat_id, &empty);
		for (int i = 0; i < g.n; i++)
			notice_release(&g.v[i].n);
		for (int i = 0; i < b.n && s->in_flight < s->max_in_flight && !empty; i++) {
			/* The groups had their turn. */
			if (rows[i].n.chat_id < 0 || rows[i].lane == OUTBOX_ANSWER)
				continue;
			/*
			 * A relay takes its ticket's relays waiting in the chat
			 * along: an engineer holding 200 busy tickets gets their
			 * words in a few messages, not one a second each.
			 */
			if (!busy(s, &rows[i], false) && paced(s, rows[i].n.chat_id, &empty))
				started += rows[i].relay ? deliver_run(s, &rows[i]) :
					   deliver(s, &rows[i]);
		}
	}
	for (int i = 0; i < b.n; i++)
		notice_release(&rows[i].n);
	return started;
}

/* Records every answered call; returns how many. */
static int land(struct sender *s)
{
	struct tg_result res;
	void *user;
	int n = 0;
	while (tg_finished(s->tg, &res, &user)) {
		landed(s, user, &res);
		tg_result_release(&res);
		n++;
	}
	return n;
}

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	char err[512];
	if (db_open(&s->db, s->db_path, err, sizeof(err))) {
		log_error("sender: %s", err);
		return NULL;
	}
	/*
	 * What Telegram answered must be recorded even while the daemon stops
	 * (the grace below), or it is sent again after the restart.
	 */
	db_wait_through_stop(s->db);
	while (!*s->stop) {
		int started = fill(s);
		/*
		 * Sleep until an answer comes, the next token, or a kick; not
		 * at all when a call just started (curl sends it in tg_run).
		 */
		int64_t wait = s->wait_ms > 0 && s->wait_ms < IDLE_WAIT_MS ? s->wait_ms : IDLE_WAIT_MS;
		tg_run(s->tg, started && s->in_flight < s->max_in_flight ? 0 : (int)wait);
		land(s);
	}
	/* What is in flight may still be answered: record it rather than send it again. */
	for (int64_t end = clock_mono_ms() + STOP_GRACE_MS; s->in_flight && clock_mono_ms() < end;) {
		tg_run(s->tg, 100);
		land(s);
	}
	for (int i = 0; i < s->max_in_flight; i++)
		if (s->flights[i].busy)
			flight_end(s, &s->flights[i]);
	db_log_lock_waits(s->db, "sender");
	db_close(s->db);
	return NULL;
}

int sender_start(struct sender **out, const struct config *cfg, const volatile int *stop)
{
	struct sender *s = xcalloc(1, sizeof(*s));
	s->stop = stop;
	s->db_path = xstrdup(cfg->database);
	s->token = xstrdup(cfg->tg_token);
	s->pause = tg_pause_new();
	if (msg_lang_parse(&s->lang, cfg->language))
		s->lang = LANG_RU;
	s->max_in_flight = (int)cfg->tg_max_in_flight;
	s->flights = xcalloc((size_t)s->max_in_flight, sizeof(*s->flights));
	s->rows = xcalloc((size_t)(BATCH + s->max_in_flight), sizeof(*s->rows));
	s->streams = xcalloc((size_t)s->max_in_flight, sizeof(*s->streams));
	s->groups_due = xcalloc(BATCH, sizeof(*s->groups_due));
	s->look_for_probes = true;
	/* Made here, not in the thread: sender_kick() may wake it at once. */
	s->tg = tg_new(cfg->tg_api_url, s->token);
	tg_share_pause(s->tg, s->pause);
	tg_set_in_flight(s->tg, s->max_in_flight);
	/*
	 * A margin under each limit: Telegram measures on arrival, we on
	 * departure. Overall: at 30/s, slots 35 ms apart (28.57/s), and no
	 * 31 calls leaving within 1.04 s (struct pace), so no second of
	 * arrivals holds 31 while the network's variation stays under 40 ms.
	 */
	s->chat_rate = 0.9 * (double)cfg->tg_chat_rate;
	s->group_rate = (double)(cfg->tg_group_rate - 1) / 60.0;
	pace_init(&s->global, (int)cfg->tg_global_rate, clock_mono_us());
	bucket_init(&s->groups, (double)cfg->tg_global_rate / 2.0, 2, clock_mono_ms());
	if (pthread_create(&s->thread, NULL, sender_main, s)) {
		tg_free(s->tg);
		free(s->flights);
		free(s->rows);
		free(s->streams);
		free(s->groups_due);
		free(s->global.left);
		free(s->db_path);
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
	tg_wakeup(s->tg);
}

struct tg_pause *sender_pause(struct sender *s)
{
	return s->pause;
}

void sender_join(struct sender *s)
{
	sender_kick(s);
	pthread_join(s->thread, NULL);
	tg_free(s->tg);
	free(s->flights);
	free(s->rows);
	free(s->streams);
	free(s->groups_due);
	free(s->global.left);
	free(s->db_path);
	explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	tg_pause_free(s->pause);
	free(s);
}
