/*
 * cmd_serve.c - `tilldesk serve`: the daemon. The poller runs on the main
 * thread's behalf in its own thread, the sender in another; SIGTERM and
 * SIGINT stop both within about a second, also while another process holds
 * the database's write lock (db_stop_on). The main thread waits for the
 * signal and talks to systemd (core/notify.c). With [smtp] host set, the
 * mail sender (mail/sender.h) runs in a thread of its own; with [imap] url
 * set, the mail intake (mail/intake.h) reads the mailbox in another.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "bot/poller.h"
#include "bot/scheduler.h"
#include "bot/sender.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/http.h"
#include "core/log.h"
#include "core/notify.h"
#include "ingest/ingest.h"
#include "mail/build.h"
#include "mail/intake.h"
#include "mail/sender.h"

static volatile int stop_flag;

struct poll_args {
	const struct config *cfg;
	struct sender *sender;
	int rc;
};

static void *scheduler_thread(void *arg)
{
	struct poll_args *a = arg;
	scheduler_run(a->cfg, a->sender, &stop_flag);
	return NULL;
}

static void *poll_thread(void *arg)
{
	struct poll_args *a = arg;
	a->rc = poller_run(a->cfg, a->sender, &stop_flag);
	/* A poller that cannot go on ends the daemon. */
	stop_flag = 1;
	kill(getpid(), SIGTERM);
	return NULL;
}

/*
 * Healthy means both loops go round: the scheduler committed a tick within
 * the watchdog interval (it ticks every second, so the database works), and
 * the poller turned within the longest a turn may take (a long poll's HTTP
 * time-out, poll_timeout + 10 s, or its longest back-off, 30 s, with a
 * margin). A wedged thread or a database refusing every write for a whole
 * interval stops the pings, and systemd restarts the daemon.
 */
static bool loops_healthy(const struct config *cfg, int64_t now, int64_t interval_ms)
{
	int64_t turn = (cfg->tg_poll_timeout + 10 > 30 ? cfg->tg_poll_timeout + 10 : 30) * 1000 + 5000;
	if (turn < interval_ms)
		turn = interval_ms;
	return now - scheduler_last_tick_ms() <= interval_ms && now - poller_last_turn_ms() <= turn;
}

/*
 * Waits for SIGTERM or SIGINT (or the poller's end), telling systemd on the
 * way: READY=1 once the poller polls, WATCHDOG=1 every half interval while
 * the loops are healthy. Returns the signal, or 0 when the poller ended.
 */
static int wait_for_stop(const sigset_t *set, const struct config *cfg)
{
	const struct timespec step = { 0, 200 * 1000000 };
	int64_t interval = notify_watchdog_ms(), pinged = 0;
	bool ready = false;
	for (;;) {
		int sig = sigtimedwait(set, NULL, &step);
		if (sig > 0)
			return sig;
		if (stop_flag)
			return 0;
		int64_t now = clock_mono_ms();
		if (!ready && poller_last_turn_ms()) {
			notify_ready();
			ready = true;
		}
		if (ready && interval && now - pinged >= interval / 2 && loops_healthy(cfg, now, interval)) {
			notify_watchdog();
			pinged = now;
		}
	}
}

int cmd_serve(struct cli *c, int argc, char **argv)
{
	sigset_t set;
	pthread_t poller, scheduler;
	struct sender *sender;
	struct mail_sender *mail = NULL;
	struct mail_intake *intake = NULL;
	struct ingest *ingest;
	char err[512];
	int sig;

	if (argc != 1)
		return cli_usage(c, MSG_HELP_SERVE, argc == 2 && (!strcmp(argv[1], "-h") ||
								   !strcmp(argv[1], "--help")));
	if (!*c->cfg.tg_token)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NO_TOKEN);
	cli_warn_exposed_secrets(c);
	/* Before any thread: the check forks. */
	if (*c->cfg.smtp_host && mail_sender_check_from(c->cfg.smtp_from)) {
		fprintf(c->err, "tilldesk: smtp.from: '%s' is not an address\n", c->cfg.smtp_from);
		return EXIT_FAIL;
	}
	/* The TLS key may be readable by root only: read before the drop. */
	if (ingest_new(&ingest, &c->cfg, err, sizeof(err))) {
		fprintf(c->err, "tilldesk: %s\n", err);
		return EXIT_FAIL;
	}
	/*
	 * The daemon never runs as root: started as root, it becomes
	 * general.user before it opens anything, and refuses without one.
	 */
	int rc = cli_become_user(c, true);
	if (rc) {
		ingest_free(ingest);
		return rc;
	}
	/* Opened and migrated here, so that a database it cannot use is told on the terminal. */
	if (!cli_db(c)) {
		ingest_free(ingest);
		return EXIT_FAIL;
	}
	db_close(c->db);  /* each thread opens its own connection */
	c->db = NULL;

	/* Three threads need no more than two malloc arenas; each costs resident pages. */
	mallopt(M_ARENA_MAX, 2);

	/* Signals are taken by this thread only, with sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (http_global_init()) {
		ingest_free(ingest);
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, "libcurl");
	}
	/*
	 * Bound after the drop: the default port is unprivileged (a port under
	 * 1024 needs CAP_NET_BIND_SERVICE from the unit). Before the other
	 * threads, so that a port in use ends serve at once.
	 */
	if (ingest && ingest_start(ingest, err, sizeof(err))) {
		ingest_free(ingest);
		http_global_cleanup();
		fprintf(c->err, "tilldesk: %s\n", err);
		return EXIT_FAIL;
	}

	stop_flag = 0;
	db_stop_on(&stop_flag);  /* a lock held by another process must not delay a stop */
	if (sender_start(&sender, &c->cfg, &stop_flag)) {
		ingest_free(ingest);
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, "thread");
	}
	/*
	 * The intake parses letters with GMime: started here, before the mail
	 * sender's thread may start it for its first letter (a start is no
	 * thread's to race).
	 */
	if (*c->cfg.imap_url)
		mail_mime_init();
	/* E-mail when [smtp] names a server: letters wait in the database till then. */
	if (*c->cfg.smtp_host && mail_sender_start(&mail, &c->cfg, &stop_flag, err, sizeof(err))) {
		stop_flag = 1;
		sender_join(sender);
		ingest_free(ingest);
		http_global_cleanup();
		fprintf(c->err, "tilldesk: %s\n", err);
		return EXIT_FAIL;
	}
	/* Letters in when [imap] names a mailbox: its thread wakes the sender after each commit. */
	if (*c->cfg.imap_url && mail_intake_start(&intake, &c->cfg, sender, &stop_flag, err, sizeof(err))) {
		stop_flag = 1;
		sender_join(sender);
		mail_sender_join(mail);
		ingest_free(ingest);
		http_global_cleanup();
		fprintf(c->err, "tilldesk: %s\n", err);
		return EXIT_FAIL;
	}
	ingest_tell(ingest, sender);
	struct poll_args pa = { &c->cfg, sender, 0 };
	struct poll_args sa = { &c->cfg, sender, 0 };
	pthread_create(&poller, NULL, poll_thread, &pa);
	pthread_create(&scheduler, NULL, scheduler_thread, &sa);
	log_info("serving: database %s, API %s, engineers' chat %lld", c->cfg.database,
		 c->cfg.tg_api_url, c->cfg.tg_engineers_chat);

	sig = wait_for_stop(&set, &c->cfg);
	if (sig)
		log_info("signal %d: stopping", sig);
	stop_flag = 1;
	notify_stopping();
	ingest_free(ingest);  /* answers in progress finish first */
	pthread_join(poller, NULL);
	pthread_join(scheduler, NULL);
	mail_intake_join(intake);  /* before the sender it kicks */
	sender_join(sender);
	mail_sender_join(mail);
	if (*c->cfg.imap_url)
		mail_mime_shutdown();
	http_global_cleanup();
	log_info("stopped");
	return pa.rc ? EXIT_FAIL : EXIT_OK;
}
