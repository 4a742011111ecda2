#include "bot/probe.h"
#include "core/json.h"

#define PROBE_TIMEOUT_MS 10000

/* Copies the string field key of obj into out ("" when absent or not a string). */
static void get_string(json_object *obj, const char *key, char *out, size_t n)
{
	const char *v = json_get_str(obj, key);
	utf8_snprintf(out, n, "%s", v ? v : "");
}

/* Calls method; 0 when Telegram answered ok with an object (borrowed in res->result). */
static int ask(struct tg *tg, struct tg_result *res, const char *method, json_object *params)
{
	if (tg_call(tg, res, method, params, PROBE_TIMEOUT_MS, NULL))
		return TD_ERR;
	if (!json_object_is_type(res->result, json_type_object)) {
		tg_result_release(res);
		res->outcome = TG_RETRY;
		snprintf(res->description, sizeof(res->description), "%s: the answer is not an object", method);
		return TD_ERR;
	}
	return 0;
}

int tg_probe_me(struct tg *tg, struct tg_me *out, struct tg_result *res)
{
	memset(out, 0, sizeof(*out));
	if (ask(tg, res, "getMe", NULL))
		return TD_ERR;
	json_get_int(res->result, "id", &out->id);
	get_string(res->result, "username", out->username, sizeof(out->username));
	tg_result_release(res);
	return 0;
}

int tg_probe_chat(struct tg *tg, int64_t chat_id, struct tg_chat_info *out, struct tg_result *res)
{
	json_object *params = json_object_new_object();
	memset(out, 0, sizeof(*out));
	json_object_object_add(params, "chat_id", json_object_new_int64(chat_id));
	int rc = ask(tg, res, "getChat", params);
	json_object_put(params);
	if (rc)
		return rc;
	get_string(res->result, "type", out->type, sizeof(out->type));
	get_string(res->result, "title", out->title, sizeof(out->title));
	tg_result_release(res);
	return 0;
}

int tg_probe_member(struct tg *tg, int64_t chat_id, int64_t user_id, char *status, size_t n,
		    struct tg_result *res)
{
	json_object *params = json_object_new_object();
	json_object_object_add(params, "chat_id", json_object_new_int64(chat_id));
	json_object_object_add(params, "user_id", json_object_new_int64(user_id));
	int rc = ask(tg, res, "getChatMember", params);
	json_object_put(params);
	if (rc)
		return rc;
	get_string(res->result, "status", status, n);
	tg_result_release(res);
	return 0;
}
