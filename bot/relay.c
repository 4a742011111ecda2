/*
 * relay.c - a claimed ticket's conversation in its assignee's private
 * chat: who gets it, the group's one hint, the card's count; see relay.h.
 */
#include "bot/dialog.h"
#include "bot/relay.h"
#include "core/config.h"
#include "storage/chain.h"
#include "storage/outbox.h"
#include "storage/relays.h"

/* Cards the tick edits at most, so that its transaction stays short; the rest wait a second. */
#define CARDS_PER_TICK 32

bool relay_follows(const struct dialog *d)
{
	/* A config made by hand (a test's) without the key is no config. */
	return d->cfg && d->cfg->tg_relay && !strcmp(d->cfg->tg_relay, "assignee");
}

/* Tells group, once per engineer, how p opens the private chat the conversations would follow. */
static int hint_once(struct dialog *d, int64_t group, const struct person *p)
{
	char bot[128] = "";
	bool first;
	int rc = db_person_hint_once(d->db, p->id, d->now, &first);
	if (rc || !first)
		return rc;
	/* As the invites name it: what getMe said, else the config's. */
	if (db_setting_get(d->db, "bot_username", bot, sizeof(bot)) || !*bot)
		snprintf(bot, sizeof(bot), "%s", d->cfg->tg_bot_username);
	const char *name = bot + (*bot == '@');
	if (!*name)
		return reply_msg(d, group, MSG_BOT_OPEN_PRIVATE_CHAT_NO_LINK, p->name);
	return reply_msg(d, group, MSG_BOT_OPEN_PRIVATE_CHAT, p->name, name);
}

int relay_chat(struct dialog *d, int64_t assignee_id, int64_t group, int64_t *out)
{
	struct person p;
	*out = 0;
	if (!relay_follows(d) || !assignee_id)
		return 0;
	int rc = dialog_person_by_id(d, assignee_id, &p);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	/* A revoked assignee's tickets go back to the queue: the group has them. */
	if (p.disabled)
		return 0;
	if (p.tg_user_id && p.private_chat && !p.blocked) {
		*out = p.tg_user_id;
		return 0;
	}
	return hint_once(d, group, &p);
}

/*
 * Whether the count's edit of the ticket's card may be queued now: only
 * into the group's idle time. A count is the least a group is sent; with
 * hundreds of busy tickets their edits alone would be more than the
 * group's 20 a minute and hold back every new card behind them.
 */
static int card_room(struct dialog *d, int64_t ticket_id, bool *out)
{
	int64_t chat = dialog_ticket_chat(d, ticket_id);
	bool waits = false;
	int rc = chat ? db_outbox_chat_waits(d->db, chat, &waits) : 0;
	*out = !waits;
	return rc;
}

int relay_counted(struct dialog *d, int64_t ticket_id)
{
	struct ticket_relay r;
	int rc = db_relay_count(d->db, ticket_id, d->now);
	if (!rc)
		rc = db_relay_get(d->db, ticket_id, &r);
	if (rc)
		return rc;
	/* A clock set back does not hold the edit off for longer than card_every. */
	int64_t next = (r.card_at < d->now ? r.card_at : d->now) + d->cfg->tg_card_every;
	bool room = false;
	if (d->now >= next && (rc = card_room(d, ticket_id, &room)))
		return rc;
	if (room)
		return card_count(d, ticket_id);
	return db_relay_card_defer(d->db, ticket_id, next > d->now ? next : d->now);
}

int relay_tick(struct dialog *d)
{
	struct relay_due due[CARDS_PER_TICK], after = { 0, 0 };
	size_t n, edited = 0;
	int rc;
	/*
	 * Past the cards with no room, page by page: a busy group's put-off
	 * counts must not hold back another group's.
	 */
	do {
		rc = db_relay_cards_due(d->db, d->now, &after, due, ARRAY_SIZE(due), &n);
		for (size_t i = 0; !rc && i < n && edited < CARDS_PER_TICK; i++) {
			bool room;
			after = due[i];
			/* No room: it stays due, and is looked at again next tick. */
			if (!(rc = card_room(d, due[i].ticket_id, &room)) && room) {
				rc = card_count(d, due[i].ticket_id);
				edited++;
			}
		}
	} while (!rc && n == ARRAY_SIZE(due) && edited < CARDS_PER_TICK);
	return rc;
}
