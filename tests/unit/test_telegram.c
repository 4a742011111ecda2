/* Unit tests: decoding the Bot API's answers, which must read each field only with its JSON type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "bot/telegram.h"
#include "core/common.h"

static struct tg_result decoded(const char *body, long status)
{
	struct tg_result r;
	memset(&r, 0, sizeof(r));
	tg_answer_decode(&r, body, strlen(body), status);
	return r;
}

static void test_telegram__only_ok_true_is_success_not_a_string_or_a_number(void **state)
{
	(void)state;
	struct tg_result ok = decoded("{\"ok\":true,\"result\":{\"message_id\":7}}", 200);
	assert_int_equal(ok.outcome, TG_OK);
	assert_non_null(ok.result);
	tg_result_release(&ok);

	static const char *const bodies[] = {
		"{\"ok\":\"false\",\"result\":{}}",
		"{\"ok\":\"true\",\"result\":{}}",
		"{\"ok\":1,\"result\":{}}",
		"{\"ok\":[true],\"result\":{}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		struct tg_result r = decoded(bodies[i], 200);
		if (r.outcome == TG_OK)
			fail_msg("%s read as success", bodies[i]);
		assert_null(r.result);
		tg_result_release(&r);
	}
}

static void test_telegram__error_fields_of_the_wrong_type_are_ignored(void **state)
{
	(void)state;
	struct tg_result r = decoded("{\"ok\":false,\"error_code\":\"429\",\"description\":5,"
				     "\"parameters\":{\"retry_after\":\"30\","
				     "\"migrate_to_chat_id\":\"-1001\"}}", 400);
	/* The HTTP status stands in for the unreadable error_code. */
	assert_int_equal(r.error_code, 400);
	assert_int_equal(r.outcome, TG_BAD_REQUEST);
	assert_string_equal(r.description, "");
	assert_int_equal(r.retry_after, 0);
	assert_int_equal(r.migrate_to, 0);

	/* The same fields with their types are read. */
	r = decoded("{\"ok\":false,\"error_code\":429,\"description\":\"Too Many\","
		    "\"parameters\":{\"retry_after\":30}}", 429);
	assert_int_equal(r.outcome, TG_RETRY);
	assert_int_equal(r.retry_after, 30);
	assert_string_equal(r.description, "Too Many");
	r = decoded("{\"ok\":false,\"error_code\":400,\"parameters\":{\"migrate_to_chat_id\":-1001}}",
		    400);
	assert_int_equal(r.outcome, TG_MIGRATED);
	assert_int_equal(r.migrate_to, -1001);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_telegram__only_ok_true_is_success_not_a_string_or_a_number),
		cmocka_unit_test(test_telegram__error_fields_of_the_wrong_type_are_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
