/*
 * access.c - who may use the bot: the refusal a disabled person gets, and
 * what the desk does when an admin disables, enables or moves someone.
 *
 * "Disabled" is an admin's decision and only an admin undoes it; "blocked"
 * (Telegram's 403) is a fact about their chat that their next message
 * clears. The two never touch each other.
 */
#include "bot/dialog.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

#define NOTICE_MAX (16u << 10)

int access_refuse(struct dialog *d, const struct tg_update *u)
{
	if (u->kind == UPDATE_CALLBACK)
		return answer(d, u, msg(MSG_BOT_ACCESS_REVOKED), true);
	return say(d, u->chat_id, msg(MSG_BOT_ACCESS_REVOKED), NULL, u->message_id, 0, NULL);
}

/*
 * For each ticket in ids: its card shows its state again and the engineers'
 * chat gets notice (a catalogue message taking the ticket and the escaped
 * name), as a reply to the card.
 */
static int tell_engineers(struct dialog *d, const int64_t *ids, size_t n, enum msg_id notice,
			  const char *name)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct buf b = BUF_INIT(NOTICE_MAX);
		int64_t card = 0;
		if ((rc = card_update(d, ids[i])))
			break;
		db_link_message(d->db, ids[i], "card", d->engineers_chat, &card);
		msg_buf(&b, notice, (long long)ids[i], "");
		esc(&b, name);
		rc = say(d, d->engineers_chat, buf_cstr(&b), NULL, card, ids[i], NULL);
		buf_release(&b);
	}
	return rc;
}

int access_disable(struct dialog *d, int64_t person_id, const char *admin, size_t *requeued)
{
	struct person p;
	struct buf body = BUF_INIT(1024);
	int64_t *ids = NULL;
	int rc;

	*requeued = 0;
	if ((rc = dialog_person_by_id(d, person_id, &p)))
		return rc;
	if (p.disabled)
		return TD_EEXISTS;
	msg_buf(&body, MSG_HISTORY_ACCESS_REVOKED, p.name);
	/* A half-typed resolution dies with the access; the tickets go back to everyone. */
	if ((rc = db_person_set_disabled(d->db, p.id, d->now)) ||
	    (rc = db_person_event(d->db, p.id, d->now, "disabled", admin, NULL)) ||
	    (rc = db_state_clear(d->db, p.id)) ||
	    (rc = db_ticket_requeue_assigned(d->db, p.id, d->now, buf_cstr(&body), &ids, requeued)))
		goto done;
	rc = tell_engineers(d, ids, *requeued, MSG_BOT_REQUEUED_NOTE, p.name);
	if (!rc)
		log_info("person %lld disabled by %s; %zu ticket(s) back in the queue",
			 (long long)p.id, admin, *requeued);
done:
	free(ids);
	buf_release(&body);
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
	    (rc = db_person_event(d->db, p.id, d->now, "enabled", admin, NULL)))
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
	struct buf body = BUF_INIT(1024), hello = BUF_INIT(1024);
	int64_t *ids = NULL;
	int rc;

	*left = 0;
	if ((rc = dialog_person_by_id(d, person_id, &p)))
		goto done;
	if (strcmp(p.role, "cashier")) {
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
	msg_buf(&body, MSG_HISTORY_CASHIER_MOVED, p.name, to.name);
	if ((rc = db_ticket_note_cashier(d->db, p.id, p.store_id, d->now, "cashier_moved",
					 buf_cstr(&body), &ids, left)) ||
	    (rc = db_person_move(d->db, p.id, store_id, to.org_id)) ||
	    (rc = db_person_event(d->db, p.id, d->now, "moved", admin, buf_cstr(&body))) ||
	    (rc = db_state_clear(d->db, p.id)) ||
	    (rc = tell_engineers(d, ids, *left, MSG_BOT_CASHIER_MOVED_NOTE, p.name)))
		goto done;
	if (!p.disabled && p.tg_user_id) {
		struct buf store = BUF_INIT(1024);
		esc(&store, to.name);
		msg_buf(&hello, MSG_BOT_MOVED_TO_STORE, buf_cstr(&store));
		buf_release(&store);
		rc = say(d, p.tg_user_id, buf_cstr(&hello), NULL, 0, 0, NULL);
	}
	if (!rc)
		log_info("person %lld moved from store %lld to %lld by %s", (long long)p.id,
			 (long long)p.store_id, (long long)store_id, admin);
done:
	free(ids);
	buf_release(&body);
	buf_release(&hello);
	return rc;
}
