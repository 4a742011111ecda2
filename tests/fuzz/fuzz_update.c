/*
 * fuzz_update.c - the Telegram update decoder (bot/update.c) on JSON as
 * getUpdates may return it: each input is one update, or an array of them
 * (the "result"), or getUpdates' whole reply.
 *
 * Every string the decoder hands out is read to its end (ASan would see a
 * dangling one), and what a kind promises is checked: a message has a
 * chat and a message id, a callback an id and a sender.
 */
#include <json-c/json.h>

#include "bot/update.h"
#include "core/common.h"
#include "tests/fuzz/fuzz.h"

static size_t touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static void decode_one(json_object *o)
{
	struct tg_update u;
	if (update_decode(&u, o))
		return;
	size_t n = touch(u.text) + touch(u.photo) + touch(u.document) + touch(u.callback_id) +
		   touch(u.callback_data) + strnlen(u.from_name, sizeof(u.from_name));
	(void)n;
	if (!u.text || !u.update_id || memchr(u.from_name, '\0', sizeof(u.from_name)) == NULL)
		fuzz_fail("decoded update lacks text or id, or its name is unterminated");
	if (u.kind == UPDATE_MESSAGE && (!u.chat_id || !u.message_id))
		fuzz_fail("a message without chat or message id");
	if (u.kind == UPDATE_CALLBACK && (!u.callback_id || !u.callback_data || !u.from_id))
		fuzz_fail("a callback without id, data or sender");
}

static void decode_all(json_object *o)
{
	json_object *result;
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "result", &result))
		o = result;
	if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			decode_one(json_object_array_get_idx(o, i));
	} else {
		decode_one(o);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_tokener *tok = json_tokener_new();
	if (!tok)
		return 0;
	json_object *o = json_tokener_parse_ex(tok, (const char *)data, (int)(size < INT32_MAX ? size : INT32_MAX));
	if (o)
		decode_all(o);
	json_object_put(o);
	json_tokener_free(tok);
	return 0;
}
