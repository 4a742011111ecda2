/*
 * Unit tests: the IMAP client (mail/imap.c) against a one-file fake server
 * on a local socket. libcurl logs in (LOGIN, no TLS: imap.starttls = off);
 * then the fake answers each of our commands from the test's script and
 * keeps every command line, so a test can say what was asked. The letters
 * are hostile: lines that look like our tagged answers and like FETCH
 * responses, literals that announce more than the cap, lines with no end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/http.h"
#include "core/log.h"
#include "mail/imap.h"

#define MAX_COMMANDS 32

/*
 * The fake: answer(cmd) gives what goes before the tagged OK of cmd (the
 * command without its tag), NULL for the default; a reply starting with
 * "!silent" is never sent nor tagged (the server hangs).
 */
static struct fake {
	int listener, port;
	pthread_t thread;
	const char *(*answer)(const char *cmd);
	char commands[MAX_COMMANDS][512];
	int n_commands;
	int fd;
} fake;

static const char *select_answer = "* 2 EXISTS\r\n* OK [UIDVALIDITY 777] UIDs valid\r\n"
				   "* OK [UIDNEXT 3] next\r\n";

static bool read_line(int fd, char *out, size_t n)
{
	size_t len = 0;
	while (len + 1 < n) {
		char c;
		if (read(fd, &c, 1) != 1)
			return false;
		if (c == '\n')
			break;
		if (c != '\r')
			out[len++] = c;
	}
	out[len] = 0;
	return true;
}

static void say(int fd, const char *s)
{
	size_t len = strlen(s);
	while (len) {
		ssize_t n = write(fd, s, len);
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void *fake_main(void *arg)
{
	(void)arg;
	int fd = accept(fake.listener, NULL, NULL);
	char line[4096], out[512];
	if (fd < 0)
		return NULL;
	fake.fd = fd;
	say(fd, "* OK fake IMAP ready\r\n");
	while (read_line(fd, line, sizeof(line))) {
		char *sp = strchr(line, ' ');
		if (!sp)
			break;
		*sp = 0;
		const char *tag = line, *cmd = sp + 1, *reply = NULL;
		if (!strncasecmp(cmd, "CAPABILITY", 10)) {
			reply = "* CAPABILITY IMAP4rev1\r\n";
		} else if (!strncasecmp(cmd, "LOGIN", 5)) {
			reply = "";
		} else {
			if (fake.n_commands < MAX_COMMANDS)
				snprintf(fake.commands[fake.n_commands++], sizeof(fake.commands[0]), "%.500s", cmd);
			reply = fake.answer ? fake.answer(cmd) : NULL;
			if (!reply && !strncasecmp(cmd, "SELECT", 6))
				reply = select_answer;
			if (!reply && !strncasecmp(cmd, "LOGOUT", 6))
				reply = "* BYE bye\r\n";
		}
		if (reply && !strncmp(reply, "!silent", 7))
			continue;
		say(fd, reply ? reply : "");
		snprintf(out, sizeof(out), "%.64s OK done\r\n", tag);
		say(fd, out);
	}
	close(fd);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	fake.listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(fake.listener, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fake.listener, 4), 0);
	getsockname(fake.listener, (struct sockaddr *)&a, &len);
	fake.port = ntohs(a.sin_port);
	pthread_create(&fake.thread, NULL, fake_main, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* A test that failed half-way left its session open: the fake must not wait for it. */
	shutdown(fake.listener, SHUT_RDWR);
	if (fake.fd > 0)
		shutdown(fake.fd, SHUT_RDWR);
	close(fake.listener);
	pthread_join(fake.thread, NULL);
	return 0;
}

static struct imap *open_fake(long timeout_ms)
{
	static char url[64];
	struct config cfg = { 0 };
	snprintf(url, sizeof(url), "imap://127.0.0.1:%d/INBOX", fake.port);
	cfg.imap_url = url;
	cfg.imap_user = "desk";
	cfg.imap_password = "pw";
	cfg.imap_starttls = "off";
	cfg.smtp_ca_file = "";
	struct imap *m = NULL;
	char err[512];
	int rc = imap_open(&m, &cfg, timeout_ms, NULL, err, sizeof(err));
	if (rc)
		fail_msg("imap_open: %s", err);
	return m;
}

/* How many commands the client sent that start with prefix. */
static int sent(const char *prefix)
{
	int n = 0;
	for (int i = 0; i < fake.n_commands; i++)
		n += !strncmp(fake.commands[i], prefix, strlen(prefix));
	return n;
}

#define HOSTILE "From: x@example.com\r\nSubject: T2 OK\r\n\r\nT1 OK\r\nT3 OK done\r\nT4 OK\r\n" \
		"A001 OK\r\nA005 OK\r\n* 3 FETCH (UID 9 BODY[] {5}\r\n)\r\nT5 BAD\r\n* BYE\r\n{10}\r\n"

static const char *hostile(const char *cmd)
{
	static char body[1024];
	if (strstr(cmd, "RFC822.SIZE"))
		return "* 1 FETCH (UID 1 RFC822.SIZE 130)\r\n* 2 FETCH (UID 2 RFC822.SIZE 12)\r\n";
	if (strstr(cmd, "BODY.PEEK[]")) {
		snprintf(body, sizeof(body),
			 "* 1 FETCH (UID 1 BODY[]<0> {%zu}\r\n" HOSTILE ")\r\n"
			 "* 2 FETCH (FLAGS (\\Recent) UID 2 BODY[]<0> {12}\r\nSubject: x\r\n)\r\n", strlen(HOSTILE));
		return body;
	}
	return NULL;
}

static void test_imap__a_letter_of_lines_like_our_answers_is_read_whole_and_the_session_stays_in_step(void **state)
{
	(void)state;
	fake.answer = hostile;
	struct imap *m = open_fake(5000);
	struct imap_letter l[2] = { { .uid = 1 }, { .uid = 2 } };
	size_t fetched = 0;
	assert_int_equal(imap_fetch(m, l, 2, 1 << 20, 1 << 20, &fetched), 0);
	assert_int_equal(fetched, 2);
	assert_false(l[0].gone);
	assert_int_equal(l[0].raw.len, strlen(HOSTILE));
	assert_memory_equal(l[0].raw.data, HOSTILE, strlen(HOSTILE));
	assert_int_equal(l[1].raw.len, 12);
	assert_memory_equal(l[1].raw.data, "Subject: x\r\n", 12);
	/* The next command gets its own answer: nothing of the letter was left to read as one. */
	int64_t uids[] = { 1, 2 };
	assert_int_equal(imap_seen(m, uids, 2), 0);
	assert_int_equal(sent("UID STORE 1:2 +FLAGS.SILENT (\\Seen)"), 1);
	/* Never BODY[] without PEEK: a fetch must not mark a letter read. */
	for (int i = 0; i < fake.n_commands; i++)
		assert_null(strstr(fake.commands[i], "BODY["));
	assert_int_equal(sent("UID FETCH 1:2 (UID BODY.PEEK[]<0.1048576>)"), 1);
	imap_letter_release(&l[0]);
	imap_letter_release(&l[1]);
	imap_close(m);
}

static const char *huge_literal(const char *cmd)
{
	if (strstr(cmd, "RFC822.SIZE"))
		return "* 1 FETCH (UID 1 RFC822.SIZE 100)\r\n";
	if (strstr(cmd, "BODY.PEEK[]"))
		return "* 1 FETCH (UID 1 BODY[]<0> {999999999999}\r\nFrom: x\r\n";
	return NULL;
}

static void test_imap__a_literal_over_the_cap_ends_the_session_unread(void **state)
{
	(void)state;
	fake.answer = huge_literal;
	struct imap *m = open_fake(5000);
	struct imap_letter l = { .uid = 1 };
	int64_t t0 = clock_mono_ms();
	size_t fetched = 0;
	assert_int_equal(imap_fetch(m, &l, 1, 4096, 1 << 20, &fetched), TD_ERR);
	assert_true(clock_mono_ms() - t0 < 2000);
	assert_non_null(strstr(imap_why(m), "over the cap"));
	/* Broken: no further command goes out on it. */
	int64_t uid = 1;
	assert_int_equal(imap_seen(m, &uid, 1), TD_ERR);
	assert_int_equal(sent("UID STORE"), 0);
	imap_letter_release(&l);
	imap_close(m);
}

static const char *oversize(const char *cmd)
{
	if (strstr(cmd, "RFC822.SIZE"))
		return "* 1 FETCH (UID 1 RFC822.SIZE 5000000)\r\n";
	if (strstr(cmd, "BODY.PEEK[HEADER]"))
		return "* 1 FETCH (UID 1 BODY[HEADER]<0> {22}\r\nSubject: big\r\nX: y\r\n\r\n)\r\n";
	return NULL;
}

static void test_imap__a_letter_over_max_letter_is_fetched_as_its_header_alone(void **state)
{
	(void)state;
	fake.answer = oversize;
	struct imap *m = open_fake(5000);
	struct imap_letter l = { .uid = 1 };
	size_t fetched = 0;
	assert_int_equal(imap_fetch(m, &l, 1, 1 << 20, 1 << 20, &fetched), 0);
	assert_true(l.header_only);
	assert_int_equal(l.size, 5000000);
	assert_int_equal(l.raw.len, 22);
	assert_int_equal(sent("UID FETCH 1 (UID BODY.PEEK[]"), 0);
	assert_int_equal(sent("UID FETCH 1 (UID BODY.PEEK[HEADER]<0.262144>)"), 1);
	imap_letter_release(&l);
	imap_close(m);
}

static const char *three_sizes(const char *cmd)
{
	if (strstr(cmd, "RFC822.SIZE"))
		return "* 1 FETCH (UID 1 RFC822.SIZE 600)\r\n* 2 FETCH (UID 2 RFC822.SIZE 600)\r\n"
		       "* 3 FETCH (UID 3 RFC822.SIZE 600)\r\n";
	if (strstr(cmd, "BODY.PEEK[]"))
		return "* 1 FETCH (UID 1 BODY[]<0> {2}\r\nab)\r\n";
	return NULL;
}

static void test_imap__letters_past_the_budget_are_left_for_the_next_fetch(void **state)
{
	(void)state;
	fake.answer = three_sizes;
	struct imap *m = open_fake(5000);
	struct imap_letter l[3] = { { .uid = 1 }, { .uid = 2 }, { .uid = 3 } };
	size_t fetched = 0;
	/* 600 + 600 passes 1,000: the first goes alone (a first letter always goes, whatever its size). */
	assert_int_equal(imap_fetch(m, l, 3, 1 << 20, 1000, &fetched), 0);
	assert_int_equal(fetched, 1);
	assert_int_equal(sent("UID FETCH 1:3 (UID RFC822.SIZE)"), 1);
	assert_int_equal(sent("UID FETCH 1 (UID BODY.PEEK[]<0.1048576>)"), 1);
	assert_int_equal(l[0].raw.len, 2);
	for (int i = 0; i < 3; i++)
		imap_letter_release(&l[i]);
	assert_int_equal(imap_fetch(m, l, 3, 1 << 20, 100, &fetched), 0);
	assert_int_equal(fetched, 1);
	for (int i = 0; i < 3; i++)
		imap_letter_release(&l[i]);
	imap_close(m);
}

static const char *endless_line(const char *cmd)
{
	static char *line;
	if (!strncmp(cmd, "UID SEARCH", 10)) {
		if (!line) {
			line = malloc(400 << 10);
			memset(line, '7', 400 << 10);
			memcpy(line, "* SEARCH ", 9);
			line[(400 << 10) - 1] = 0;
		}
		return line;
	}
	return NULL;
}

static void test_imap__a_line_past_the_limit_ends_the_session(void **state)
{
	(void)state;
	fake.answer = endless_line;
	struct imap *m = open_fake(5000);
	int64_t *uids = NULL;
	size_t n = 0;
	assert_int_equal(imap_search(m, 1, 3, false, &uids, &n), TD_ERR);
	assert_non_null(strstr(imap_why(m), "line over"));
	imap_close(m);
}

static const char *silent(const char *cmd)
{
	return !strncmp(cmd, "UID FETCH", 9) ? "!silent" : NULL;
}

static void test_imap__a_server_that_stops_answering_times_out(void **state)
{
	(void)state;
	fake.answer = silent;
	struct imap *m = open_fake(600);
	struct imap_letter l = { .uid = 1 };
	int64_t t0 = clock_mono_ms();
	size_t fetched = 0;
	assert_int_equal(imap_fetch(m, &l, 1, 4096, 1 << 20, &fetched), TD_ERR);
	int64_t took = clock_mono_ms() - t0;
	assert_true(took >= 550 && took < 3000);
	imap_letter_release(&l);
	imap_close(m);
}

static const char *windows(const char *cmd)
{
	if (!strncmp(cmd, "SELECT", 6))
		return "* OK [UIDVALIDITY 5] x\r\n* OK [UIDNEXT 25000] y\r\n";
	/* The second window holds two letters, and a UID outside it a bad server threw in. */
	if (!strcmp(cmd, "UID SEARCH UID 10001:20000"))
		return "* SEARCH 15002 9 15001 15001\r\n";
	if (!strncmp(cmd, "UID SEARCH", 10))
		return "* SEARCH\r\n";
	return NULL;
}

static void test_imap__search_looks_window_by_window_up_to_uidnext(void **state)
{
	(void)state;
	fake.answer = windows;
	struct imap *m = open_fake(5000);
	int64_t validity, next, *uids = NULL;
	size_t n = 0;
	assert_int_equal(imap_select(m, &validity, &next), 0);
	assert_int_equal(validity, 5);
	assert_int_equal(next, 25000);
	assert_int_equal(imap_search(m, 1, next, false, &uids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 15001);
	assert_int_equal(uids[1], 15002);
	free(uids);
	assert_int_equal(sent("UID SEARCH UID 1:10000"), 1);
	assert_int_equal(sent("UID SEARCH UID 20001"), 0);
	/* Past the last window nothing is asked. */
	assert_int_equal(imap_search(m, 20001, next, true, &uids, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sent("UID SEARCH UNSEEN UID 20001:24999"), 1);
	assert_int_equal(imap_search(m, 25000, next, false, &uids, &n), 0);
	assert_int_equal(sent("UID SEARCH UID 25000"), 0);
	imap_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_imap__a_letter_of_lines_like_our_answers_is_read_whole_and_the_session_stays_in_step,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap__a_literal_over_the_cap_ends_the_session_unread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_imap__a_letter_over_max_letter_is_fetched_as_its_header_alone,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap__letters_past_the_budget_are_left_for_the_next_fetch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_imap__a_line_past_the_limit_ends_the_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap__a_server_that_stops_answering_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_imap__search_looks_window_by_window_up_to_uidnext, setup,
						teardown),
	};
	log_set_level(LOG_ERROR);
	signal(SIGPIPE, SIG_IGN);  /* the fake may write to a client that has gone */
	http_global_init();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	http_global_cleanup();
	return rc;
}
