/*
 * update.h - a Telegram update, decoded into what the dialog needs.
 *
 * Strings point into the JSON object the update was decoded from and live
 * as long as it does.
 */
#ifndef TD_UPDATE_H
#define TD_UPDATE_H

#include "core/common.h"

/* json-c's object, named without its header: the dialog sees no JSON. */
struct json_object;

enum update_kind { UPDATE_OTHER, UPDATE_MESSAGE, UPDATE_CALLBACK };

struct tg_update {
	int64_t update_id;
	enum update_kind kind;
	int64_t chat_id;
	bool private_chat;
	int64_t from_id;
	char from_name[128];        /* first and last name, or the username */
	int64_t message_id;
	const char *text;           /* text or caption; "" for none */
	const char *photo;          /* file_id of the largest size, or NULL */
	const char *document;       /* file_id, or NULL */
	int64_t reply_to;           /* message_id replied to, 0 for none */
	const char *quote;          /* the part of it the reply quotes, or NULL */
	int64_t migrate_to;         /* a group's service message: its new id */
	const char *callback_id;    /* callback queries */
	const char *callback_data;
};

/*
 * Decodes one element of getUpdates' result. TD_EINVAL when the update
 * lacks what its kind needs (it is then skipped, its offset confirmed).
 */
int update_decode(struct tg_update *out, struct json_object *u);

#endif
