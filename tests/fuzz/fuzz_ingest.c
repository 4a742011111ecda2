/*
 * fuzz_ingest.c - the agents' batch decoder (ingest/decode.c) on an HTTP
 * body as an agent, or anyone who reaches the port, may send it.
 *
 * A refused body gives a reason, NUL-terminated and non-empty. An accepted
 * one holds what the contract promises: 1 to 500 events, each with an id,
 * check and code of their alphabets and lengths, a known kind and status, a
 * one-line message of at most 512 bytes, observed_at >= 0, valid UTF-8 in
 * every string, and data, when present, that reads back as a JSON object.
 */
#include <json-c/json.h>

#include "core/common.h"
#include "ingest/decode.h"
#include "tests/fuzz/fuzz.h"

static void check_text(const char *what, const char *s, size_t min, size_t max, const char *alphabet)
{
	if (!s)
		fuzz_fail("%s missing", what);
	size_t n = strlen(s);
	if (n < min || n > max || !utf8_valid(s, n))
		fuzz_fail("%s: %zu bytes or not UTF-8", what, n);
	if (alphabet && strspn(s, alphabet) != n)
		fuzz_fail("%s: '%s' outside its alphabet", what, s);
}

static void check_event(const struct agent_event *e)
{
	check_text("id", e->id, 1, 64,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-");
	check_text("check", e->check, 1, 32, "abcdefghijklmnopqrstuvwxyz0123456789_");
	check_text("code", e->code, 1, 64, "abcdefghijklmnopqrstuvwxyz0123456789_.");
	check_text("message", e->message, 0, 512, NULL);
	if (strpbrk(e->message, "\r\n"))
		fuzz_fail("message of more than one line");
	if (!agent_kind_name(e->kind) || !agent_status_name(e->status) || e->observed_at < 0)
		fuzz_fail("kind, status or observed_at out of range");
	if (e->data) {
		json_object *o = json_tokener_parse(e->data);
		if (!json_object_is_type(o, json_type_object))
			fuzz_fail("data does not read back as an object: %s", e->data);
		json_object_put(o);
	}
	const char *facts[] = { e->fn_serial, e->fn_valid_until, e->utm_rsa_until, e->utm_gost_until };
	for (size_t i = 0; i < ARRAY_SIZE(facts); i++)
		if (facts[i])
			check_text("fact", facts[i], 0, 256, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_batch b;
	char err[256];
	if (ingest_decode(&b, (const char *)data, size, err, sizeof(err))) {
		if (!*err || !memchr(err, '\0', sizeof(err)))
			fuzz_fail("a refusal without a reason");
		return 0;
	}
	if (b.n < 1 || b.n > INGEST_EVENTS_MAX || !b.agent || !b.boot || b.dropped < 0)
		fuzz_fail("batch of %zu events", b.n);
	for (size_t i = 0; i < b.n; i++)
		check_event(&b.events[i]);
	ingest_batch_release(&b);
	return 0;
}
