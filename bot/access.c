/*
 * access.c - who may use the bot: the refusal a disabled person gets, and
 * what the desk does when an admin disables, enables or moves someone.
 *
 * "Disabled" is an admin's decision and only an admin undoes it; "blocked"
 * (Telegram's 403) is a fact about their chat that their next message
 * clears. The two never touch each other.
 */
#include "bot/engine.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

int access_refuse(struct dialog *d, const struct tg_update *u)
{
	if (u->kind == UPDATE_CALLBACK)
		return reply_answer(d, u, msg(MSG_BOT_ACCESS_REVOKED), true);
	return reply_say(d, u->chat_id, msg(MSG_BOT_ACCESS_REVOKED), NULL, u->message_id, 0, NULL);
}

struct id_list {
	int64_t *ids;
	size_t n, cap;
};

static void id_list_add(struct id_list *c, int64_t id)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		c->ids = xrealloc(c->ids, c->cap * sizeof(*c->ids));
	}
	c->ids[c->n++] = id;
}

static int claimed_one(const struct ticket_row *r, void *arg)
{
	if (r->status == TICKET_CLAIMED)
		id_list_add(arg, r->id);
	return 0;
}

static int by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Applies ev by the system to each ticket of c, oldest first; *n counts them. */
static int apply_each(struct dialog *d, struct id_list *c, enum ticket_event ev,
		      const struct event_args *a, size_t *n)
{
	const struct actor system = { .kind = ACTOR_SYSTEM };
	int rc = 0;
	if (c->n)  /* qsort takes no NULL, even for nothing */
		qsort(c->ids, c->n, sizeof(*c->ids), by_id);
	for (size_t i = 0; i < c->n && !rc; i++)
		rc = engine_apply(d, ev, &system, c->ids[i], a);
	*n = rc ? 0 : c->n;
	free(c->ids);
	return rc;
}

/* Each ticket the person claimed goes back to the queue, with why in its history. */
static int requeue(struct dialog *d, const struct person *p, const struct event_msg *why, size_t *n)
{
	const struct event_args a = { .name = p->name, .history = why };
	struct id_list c = { 0 };
	int total;
	int rc = db_ticket_queue(d->db, p->id, 0, &total, claimed_one, &c);
	if (rc) {
		free(c.ids);
		return rc;
	}
	return apply_each(d, &c, EV_REQUEUE, &a, n);
}

struct theirs {
	struct id_list c;
	int64_t cashier_id;
};

static int unfinished_one(const struct ticket_row *r, void *arg)
{
	struct theirs *t = arg;
	if (r->cashier_id == t->cashier_id && r->status != TICKET_CLOSED)
		id_list_add(&t->c, r->id);
	return 0;
}

/* Each unfinished ticket of the cashier at their store notes that they left it, and why. */
static int leave(struct dialog *d, const struct person *p, const struct event_msg *why, size_t *n)
{
	const struct event_args a = { .name = p->name, .history = why };
	struct ticket_filter f = { .store_id = p->store_id, .all_orgs = true };
	struct theirs t = { .cashier_id = p->id };
	int rc = db_ticket_list(d->db, &f, unfinished_one, &t);
	if (rc) {
		free(t.c.ids);
		return rc;
	}
	return apply_each(d, &t.c, EV_CASHIER_MOVED, &a, n);
}

int access_disable(struct dialog *d, int64_t person_id, const char *admin, size_t *requeued)
{
	struct person p;
	struct buf args = BUF_INIT(1024);
	int rc;

	*requeued = 0;
	if ((rc = dialog_person_by_id(d, person_id, &p)))
		return rc;
	if (p.disabled)
		return TD_EEXISTS;
	notice_arg_text(&args, p.name);
	const struct event_msg why = { MSG_HISTORY_ACCESS_REVOKED, buf_cstr(&args) };
	/* A half-typed resolution dies with the access; the tickets go back to everyone. */
	if ((rc = args.failed ? TD_ENOMEM : 0) ||
	    (rc = db_person_set_disabled(d->db, p.id, d->now)) ||
	    (rc = db_person_event(d->db, p.id, d->now, PERSON_DISABLED, admin, NULL, NULL)) ||
	    (rc = db_state_clear(d->db, p.id)) ||
	    (rc = requeue(d, &p, &why, requeued)))
		goto done;
	if (!rc)
		log_info("person %lld disabled by %s; %zu ticket(s) back in the queue",
			 (long long)p.id, admin, *requeued);
done:
	buf_release(&args);
	return rc;
}

int access_enable(struct dialog *d, int64_t person_id, const char *admin)
{
	struct person p;
	int rc;
	if ((rc = dialog_person_by_id(d, person_id, &p)))
		return rc;
	if (!p.disabled)
		return TD_EEXISTS;
	if ((rc = db_person_set_disabled(d->db, p.id, 0)) ||
	    (rc = db_person_event(d->db, p.id, d->now, PERSON_ENABLED, admin, NULL, NULL)))
		return rc;
	log_info("person %lld enabled by %s", (long long)p.id, admin);
	return 0;
}

struct store_brief {
	int64_t org_id;
	char name[256];
};

static int store_brief(const struct store_row *r, void *arg)
{
	struct store_brief *out = arg;
	out->org_id = r->org_id;
	snprintf(out->name, sizeof(out->name), "%s", r->name);
	return 1;
}

int access_move(struct dialog *d, int64_t person_id, int64_t store_id, const char *admin,
		size_t *left)
{
	struct person p;
	struct store_brief to;
	struct buf args = BUF_INIT(1024), hello = BUF_INIT(1024);
	int rc;

	*left = 0;
	if ((rc = dialog_person_by_id(d, person_id, &p)))
		goto done;
	if (p.role != ROLE_CASHIER) {
		rc = TD_EINVAL;
		goto done;
	}
	if (p.store_id == store_id) {
		rc = TD_EEXISTS;
		goto done;
	}
	if ((rc = db_store_get(d->db, store_id, store_brief, &to)) != 1) {
		rc = rc ? rc : TD_ENOTFOUND;
		goto done;
	}
	/*
	 * The fault is at the old store, so its tickets stay there; the cashier
	 * stops seeing them (a cashier sees only their own store's tickets) and
	 * the engineers learn that nobody there answers for them any more.
	 */
	notice_arg_text(&args, p.name);
	notice_arg_text(&args, to.name);
	const struct event_msg why = { MSG_HISTORY_CASHIER_MOVED, buf_cstr(&args) };
	if ((rc = args.failed ? TD_ENOMEM : 0) || (rc = leave(d, &p, &why, left)) ||
	    (rc = db_person_move(d->db, p.id, store_id, to.org_id)) ||
	    (rc = db_person_event(d->db, p.id, d->now, PERSON_MOVED, admin, msg_key(why.id), why.args)) ||
	    (rc = db_state_clear(d->db, p.id)))
		goto done;
	if (!p.disabled && p.tg_user_id) {
		notice_arg_msg(&hello, MSG_BOT_MOVED_TO_STORE, to.name);
		rc = reply_say_parts(d, p.tg_user_id, &hello, NULL, 0, 0, NULL);
	}
	if (!rc)
		log_info("person %lld moved from store %lld to %lld by %s", (long long)p.id,
			 (long long)p.store_id, (long long)store_id, admin);
done:
	buf_release(&args);
	buf_release(&hello);
	return rc;
}
