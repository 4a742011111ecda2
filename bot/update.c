#include "bot/update.h"
#include "core/json.h"

/* An integer member, 0 when absent or of another type (as ids never are). */
static int64_t num(json_object *o, const char *key)
{
	int64_t v = 0;
	json_get_int(o, key, &v);
	return v;
}

static void person_name(char *out, size_t n, json_object *from)
{
	const char *first = json_get_str(from, "first_name"), *last = json_get_str(from, "last_name");
	const char *user = json_get_str(from, "username");
	if (first && last)
		utf8_snprintf(out, n, "%s %s", first, last);
	else if (first)
		utf8_snprintf(out, n, "%s", first);
	else if (user)
		utf8_snprintf(out, n, "@%s", user);
	else
		snprintf(out, n, "%lld", (long long)num(from, "id"));
}

static int decode_message(struct tg_update *u, json_object *m)
{
	json_object *chat = json_get_obj(m, "chat"), *from = json_get_obj(m, "from"), *v;
	if (!chat || !num(chat, "id") || !num(m, "message_id"))
		return TD_EINVAL;
	u->kind = UPDATE_MESSAGE;
	u->chat_id = num(chat, "id");
	const char *type = json_get_str(chat, "type");
	u->private_chat = type && !strcmp(type, "private");
	u->message_id = num(m, "message_id");
	u->from_id = num(from, "id");
	person_name(u->from_name, sizeof(u->from_name), from);
	u->text = json_get_str(m, "text");
	if (!u->text)
		u->text = json_get_str(m, "caption");
	if (!u->text)
		u->text = "";
	if ((v = json_get_array(m, "photo"))) {
		size_t n = json_object_array_length(v);
		if (n)
			u->photo = json_get_str(json_object_array_get_idx(v, n - 1), "file_id");
	}
	u->document = json_get_str(json_get_obj(m, "document"), "file_id");
	u->reply_to = num(json_get_obj(m, "reply_to_message"), "message_id");
	u->quote = json_get_str(json_get_obj(m, "quote"), "text");
	u->migrate_to = num(m, "migrate_to_chat_id");
	return 0;
}

int update_decode(struct tg_update *out, json_object *u)
{
	json_object *m, *cq;
	memset(out, 0, sizeof(*out));
	out->update_id = num(u, "update_id");
	out->text = "";
	if (!out->update_id)
		return TD_EINVAL;
	if ((m = json_get_obj(u, "message")))
		return decode_message(out, m);
	if ((cq = json_get_obj(u, "callback_query"))) {
		json_object *from = json_get_obj(cq, "from"), *msg = json_get_obj(cq, "message");
		out->callback_id = json_get_str(cq, "id");
		out->callback_data = json_get_str(cq, "data");
		out->from_id = num(from, "id");
		if (!out->callback_id || !out->from_id)
			return TD_EINVAL;
		if (!out->callback_data)
			out->callback_data = "";
		person_name(out->from_name, sizeof(out->from_name), from);
		out->kind = UPDATE_CALLBACK;
		out->chat_id = num(json_get_obj(msg, "chat"), "id");
		const char *type = json_get_str(json_get_obj(msg, "chat"), "type");
		out->private_chat = type && !strcmp(type, "private");
		out->message_id = num(msg, "message_id");
		return 0;
	}
	out->kind = UPDATE_OTHER;
	return 0;
}
