/*
 * Unit tests: mail_queue() (mail/queue.c) — a letter is queued once per
 * ref, with its recipients, and refused whole when it could not be sent
 * as it stands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include "peek.h"
#include "scratch.h"
#include "mail/mail.h"

static char dir[] = "/tmp/tilldesk-mailq-XXXXXX";
static struct db *desk;

static int setup(void **state)
{
	(void)state;
	char path[256], err[256];
	if (scratch_make(dir, sizeof(dir), "mailq"))
		return -1;
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	if (db_open(&desk, path, err, sizeof(err)))
		return -1;
	return sqlite3_open(path, &peek) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	db_close(desk);
	return scratch_remove(dir);
}

static int queue(const char *ref, const char *subject, const struct letter_rcpt *to, size_t n,
		 int64_t *id)
{
	const struct letter l = {
		.ref = ref, .kind = "digest", .subject = subject, .text = "Итоги дня\n",
		.html = "<p>Итоги дня</p>", .to = to, .n_to = n,
	};
	assert_int_equal(db_begin(desk), 0);
	int rc = mail_queue(desk, &l, 1795000000, id);
	if (rc)
		db_rollback(desk);
	else
		assert_int_equal(db_commit(desk), 0);
	return rc;
}

static void test_mail_queue__a_letter_is_queued_once_per_ref(void **state)
{
	(void)state;
	const struct letter_rcpt to[] = { { "Ольга Петрова", "olga@example.ru" }, { NULL, "ivan@example.ru" } };
	int64_t id = 0, again = 0;
	assert_int_equal(queue("digest:1:2026-11-25", "Итоги за 25 ноября", to, 2, &id), 0);
	assert_true(id > 0);
	assert_int_equal(queue("digest:1:2026-11-25", "Итоги за 25 ноября", to, 2, &again), TD_EEXISTS);
	assert_int_equal(query_int("SELECT count(*) FROM letters", 0), 1);
	assert_int_equal(query_int("SELECT count(*) FROM letter_rcpts WHERE state = 'pending'", 0), 2);
	assert_int_equal(query_int("SELECT count(*) FROM letters WHERE message_id LIKE '%@tilldesk'", 0), 1);
}

static void test_mail_queue__a_letter_that_could_not_be_sent_is_refused_whole(void **state)
{
	(void)state;
	int64_t id;
	const struct letter_rcpt bad[] = { { NULL, "not-an-address" } };
	const struct letter_rcpt injected[] = { { "Ольга\r\nBcc: x@evil.example", "olga@example.ru" } };
	const struct letter_rcpt fine[] = { { NULL, "olga@example.ru" } };
	int64_t before = query_int("SELECT count(*) FROM letters", 0);
	assert_int_equal(queue("r1", "Тема", bad, 1, &id), TD_EINVAL);
	assert_int_equal(queue("r2", "Тема", injected, 1, &id), TD_EINVAL);
	assert_int_equal(queue("r3", "Тема\r\nBcc: x@evil.example", fine, 1, &id), TD_EINVAL);
	assert_int_equal(queue("r4", "Тема", fine, 0, &id), TD_EINVAL);
	assert_int_equal(query_int("SELECT count(*) FROM letters", 0), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_queue__a_letter_is_queued_once_per_ref),
		cmocka_unit_test(test_mail_queue__a_letter_that_could_not_be_sent_is_refused_whole),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
