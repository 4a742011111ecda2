/*
 * dialog.c - routing: which flow gets an update (the cashier's, the
 * engineer's), which side's handler gets a press, and who the sender is.
 */
#include "bot/dialog.h"
#include "bot/relay.h"
#include "core/log.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

static int copy_person(const struct person_row *r, void *arg)
{
	struct person *p = arg;
	p->id = r->id;
	p->tg_user_id = r->tg_user_id;
	p->store_id = r->store_id;
	p->org_id = r->org_id;
	p->blocked = r->blocked;
	p->disabled = r->disabled_at != 0;
	p->private_chat = r->private_at != 0;
	utf8_snprintf(p->name, sizeof(p->name), "%s", r->name);
	/* The schema lets no other role in; a row that still has one is nobody's. */
	if (person_role_parse(&p->role, r->role))
		return TD_ENOTFOUND;
	return 1;
}

int dialog_person(struct dialog *d, int64_t tg_user_id, struct person *out)
{
	int rc = db_person_by_tg(d->db, tg_user_id, copy_person, out);
	return rc == 1 ? 0 : rc ? rc : TD_ENOTFOUND;
}

int dialog_person_by_id(struct dialog *d, int64_t id, struct person *out)
{
	int rc = db_person_get(d->db, id, copy_person, out);
	return rc == 1 ? 0 : rc ? rc : TD_ENOTFOUND;
}

int dialog_state(struct dialog *d, int64_t person_id, enum dialog_state *out, int64_t *ticket_id)
{
	char kind[32];
	int rc = db_state_get(d->db, person_id, kind, sizeof(kind), ticket_id);
	if (rc)
		return rc;
	/* A state this build does not know (left by another version) is no state. */
	return dialog_state_parse(out, kind) ? TD_ENOTFOUND : 0;
}

const char *dialog_command_arg(const char *text, const char *cmd)
{
	size_t n = strlen(cmd);
	if (strncmp(text, cmd, n))
		return NULL;
	const char *p = text + n;
	if (*p == '@')
		p += strcspn(p, " \n");
	else if (*p && *p != ' ' && *p != '\n')
		return NULL;
	while (*p == ' ' || *p == '\n')
		p++;
	return p;
}

int dialog_ticket_load(struct dialog *d, int64_t id, struct ticket_row *out)
{
	return db_ticket_brief(d->db, id, out);
}

/*
 * A private chat is a cashier's, or, while conversations follow the
 * assignee, an engineer's (roles are single). An invite opened there
 * (/start CODE) and a refusal of a revoked person are the cashier's
 * flow's, as they always were.
 */
static int private_message(struct dialog *d, const struct tg_update *u)
{
	struct person p;
	const char *code = dialog_command_arg(u->text, "/start");
	if (relay_follows(d) && !(code && *code) && !dialog_person(d, u->from_id, &p) && !p.disabled &&
	    (p.role == ROLE_ENGINEER || p.role == ROLE_ADMIN))
		return engineer_private(d, &p, u);
	return cashier_handle(d, u);
}

int dialog_handle(struct dialog *d, const struct tg_update *u)
{
	int rc;
	/* When each person was last heard; a private message proves they do not block the bot. */
	if (u->kind != UPDATE_OTHER && u->from_id &&
	    (rc = db_person_seen_tg(d->db, u->from_id, d->now,
				    u->kind == UPDATE_MESSAGE && u->private_chat)))
		return rc;
	switch (u->kind) {
	case UPDATE_CALLBACK:
		return dialog_press(d, u);
	case UPDATE_MESSAGE:
		if (u->migrate_to && dialog_in_engineers_chat(d, u->chat_id))
			return dialog_chat_migrated(d, u->chat_id, u->migrate_to);
		if (u->private_chat)
			return private_message(d, u);
		if (dialog_in_engineers_chat(d, u->chat_id))
			return engineer_handle(d, u);
		log_debug("dialog: message in unknown chat %lld ignored", (long long)u->chat_id);
		return 0;
	case UPDATE_OTHER:
		break;
	}
	log_debug("dialog: update %lld of a kind the bot does not handle", (long long)u->update_id);
	return 0;
}

int dialog_presser(struct dialog *d, const struct tg_update *u, struct person *out,
		   bool *refused)
{
	int rc = dialog_person(d, u->from_id, out);
	*refused = rc == TD_ENOTFOUND || (!rc && out->disabled);
	if (rc == TD_ENOTFOUND)
		return reply_answer(d, u, msg(MSG_BOT_NEED_INVITE_SHORT), true);
	if (!rc && out->disabled)
		return access_refuse(d, u);
	return rc;
}

int dialog_press(struct dialog *d, const struct tg_update *u)
{
	struct button k;
	struct person p;
	struct ticket_row t;
	int rc;

	if (button_parse(&k, u->callback_data))
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	if (k.verb == VERB_ADVICE)
		return advice_press(d, u, &k);
	if (dialog_ticket_load(d, k.id, &t))
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	bool refused;
	if ((rc = dialog_presser(d, u, &p, &refused)) || refused)
		return rc;
	switch (k.verb) {
	case VERB_CLAIM:
	case VERB_RELEASE:
	case VERB_CLOSE:
		return engineer_press(d, u, &p, &k);
	case VERB_PRIORITY:
	case VERB_CONFIRM:
	case VERB_REOPEN:
	case VERB_RATE:
		return cashier_press(d, u, &p, &k);
	case VERB_ADVICE:
		break;
	}
	return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
}
