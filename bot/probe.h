/*
 * probe.h - questions to Telegram about the bot's own set-up (for
 * `tilldesk doctor`): who the token belongs to, what the engineers' chat is,
 * whether the bot is in it. Answers decoded into plain structs.
 */
#ifndef TD_PROBE_H
#define TD_PROBE_H

#include "bot/telegram.h"

struct tg_me {
	int64_t id;
	char username[64];
};

struct tg_chat_info {
	char type[16];     /* "private", "group", "supergroup", "channel" */
	char title[256];
};

/*
 * Each returns 0 and fills out, or TD_ERR with Telegram's answer (outcome,
 * error_code, description, migrate_to) in res; res never holds a result
 * to release.
 */
int tg_probe_me(struct tg *tg, struct tg_me *out, struct tg_result *res);
int tg_probe_chat(struct tg *tg, int64_t chat_id, struct tg_chat_info *out, struct tg_result *res);
/* The user's status in the chat: "creator", "administrator", "member", "restricted", "left", "kicked". */
int tg_probe_member(struct tg *tg, int64_t chat_id, int64_t user_id, char *status, size_t n,
		    struct tg_result *res);

#endif
