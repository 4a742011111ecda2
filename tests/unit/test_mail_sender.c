/*
 * Unit tests: the mail sender's backoff (mail/sender.c) — a letter the
 * server could not take for now waits smtp.retry_after, then twice as
 * long each time, never over an hour.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "mail/sender.h"

static void test_mail_sender__retries_double_from_retry_after_up_to_an_hour(void **state)
{
	(void)state;
	assert_int_equal(mail_retry_wait(60, 1), 60);
	assert_int_equal(mail_retry_wait(60, 2), 120);
	assert_int_equal(mail_retry_wait(60, 3), 240);
	assert_int_equal(mail_retry_wait(60, 6), 1920);
	assert_int_equal(mail_retry_wait(60, 7), 3600);
	assert_int_equal(mail_retry_wait(60, 1000), 3600);
	assert_int_equal(mail_retry_wait(1, 3), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_sender__retries_double_from_retry_after_up_to_an_hour),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
