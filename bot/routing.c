/*
 * routing.c - which engineers' chat has a ticket: the [routing] group of
 * its knowledge-base article's category (kb/article.c's table), set when
 * it opens, else telegram.engineers_chat; and which chats engineers act
 * from. See dialog.h.
 */
#include "bot/dialog.h"
#include "core/config.h"
#include "core/log.h"
#include "kb/article.h"
#include "storage/kb.h"
#include "storage/outbox.h"
#include "storage/ticket.h"

void dialog_chats(struct dialog *d, const struct config *cfg)
{
	d->engineers_chat = cfg->tg_engineers_chat ? db_chat_current(d->db, cfg->tg_engineers_chat) : 0;
	for (int g = 0; g < ROUTE_GROUP_COUNT; g++)
		d->route_chats[g] = cfg->route_chat[g] ? db_chat_current(d->db, cfg->route_chat[g]) : 0;
}

/* The chat of group g: its own, else the default. */
static int64_t group_chat(const struct dialog *d, int g)
{
	return d->route_chats[g] ? d->route_chats[g] : d->engineers_chat;
}

bool dialog_in_engineers_chat(const struct dialog *d, int64_t chat_id)
{
	if (!chat_id)
		return false;
	for (int g = 0; g < ROUTE_GROUP_COUNT; g++)
		if (d->route_chats[g] == chat_id)
			return true;
	return chat_id == d->engineers_chat;
}

int64_t dialog_ticket_chat(struct dialog *d, int64_t ticket_id)
{
	char name[32];
	enum route_group g;
	bool routed = false;
	for (int i = 0; i < ROUTE_GROUP_COUNT; i++)
		routed |= d->route_chats[i] != 0;
	/* A route this build does not know (or none) is the default chat's. */
	if (!routed || db_ticket_route(d->db, ticket_id, name, sizeof(name)) ||
	    route_group_parse(&g, name))
		return d->engineers_chat;
	return group_chat(d, (int)g);
}

const char *dialog_article_route(struct dialog *d, int64_t kb_article_id)
{
	char category[128];
	enum route_group g;
	if (!kb_article_id || db_kb_category(d->db, kb_article_id, category, sizeof(category)) ||
	    kb_category_route(&g, category))
		return NULL;
	return route_group_name(g);
}

bool dialog_chat_routes(const struct dialog *d, int64_t chat_id, struct ticket_routes *out)
{
	/* The default chat lists what no other chat has: the tickets without a route too. */
	out->except = chat_id == d->engineers_chat;
	out->groups = 0;
	for (int g = 0; g < ROUTE_GROUP_COUNT; g++)
		if ((group_chat(d, g) == chat_id) != out->except)
			out->groups |= 1u << g;
	/* Nothing is elsewhere: the default chat lists every ticket. */
	return out->groups || !out->except;
}

int dialog_chat_migrated(struct dialog *d, int64_t old_id, int64_t new_id)
{
	log_info("engineers' chat %lld became %lld", (long long)old_id, (long long)new_id);
	if (d->engineers_chat == old_id)
		d->engineers_chat = new_id;
	for (int g = 0; g < ROUTE_GROUP_COUNT; g++)
		if (d->route_chats[g] == old_id)
			d->route_chats[g] = new_id;
	return db_chat_migrate(d->db, old_id, new_id);
}
