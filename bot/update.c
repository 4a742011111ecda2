#include "bot/update.h"

static const char *str(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t num(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

static json_object *obj(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

static void person_name(char *out, size_t n, json_object *from)
{
	const char *first = str(from, "first_name"), *last = str(from, "last_name");
	const char *user = str(from, "username");
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
	json_object *chat = obj(m, "chat"), *from = obj(m, "from"), *v;
	if (!chat || !num(chat, "id") || !num(m, "message_id"))
		return TD_EINVAL;
	u->kind = UPDATE_MESSAGE;
	u->chat_id = num(chat, "id");
	const char *type = str(chat, "type");
	u->private_chat = type && !strcmp(type, "private");
	u->message_id = num(m, "message_id");
	u->from_id = num(from, "id");
	person_name(u->from_name, sizeof(u->from_name), from);
	u->text = str(m, "text");
	if (!u->text)
		u->text = str(m, "caption");
	if (!u->text)
		u->text = "";
	if (json_object_object_get_ex(m, "photo", &v) && json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		if (n)
			u->photo = str(json_object_array_get_idx(v, n - 1), "file_id");
	}
	u->document = str(obj(m, "document"), "file_id");
	u->reply_to = num(obj(m, "reply_to_message"), "message_id");
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
	if ((m = obj(u, "message")))
		return decode_message(out, m);
	if ((cq = obj(u, "callback_query"))) {
		json_object *from = obj(cq, "from"), *msg = obj(cq, "message");
		out->callback_id = str(cq, "id");
		out->callback_data = str(cq, "data");
		out->from_id = num(from, "id");
		if (!out->callback_id || !out->from_id)
			return TD_EINVAL;
		if (!out->callback_data)
			out->callback_data = "";
		person_name(out->from_name, sizeof(out->from_name), from);
		out->kind = UPDATE_CALLBACK;
		out->chat_id = num(obj(msg, "chat"), "id");
		const char *type = str(obj(msg, "chat"), "type");
		out->private_chat = type && !strcmp(type, "private");
		out->message_id = num(msg, "message_id");
		return 0;
	}
	out->kind = UPDATE_OTHER;
	return 0;
}
