/*
 * main.c - tilldesk-agent's command line: check (one pass as a table),
 * run (the service), spool (what waits), config example.
 */
#include <signal.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/uploader.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "core/msg.h"

/* Exit statuses besides the checks' 0-3: a usage or start-up error. */
#define EXIT_USAGE 64
#define EXIT_FAIL 70

static volatile sig_atomic_t stopping;
static volatile int stop_flag;

static void on_signal(int sig)
{
	stopping = sig;
	stop_flag = 1;
}

/* One row of the table: columns padded by characters, not bytes (Russian headers). */
static void print_row(const char *check, const char *code, const char *state, const char *summary)
{
	const char *cols[] = { check, code, state };
	static const size_t width[] = { 10, 16, 10 };
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
		size_t chars = 0;
		for (const char *p = cols[i]; *p; p++)
			chars += ((unsigned char)*p & 0xc0) != 0x80;
		fputs(cols[i], stdout);
		for (; chars < width[i]; chars++)
			fputc(' ', stdout);
		fputc(' ', stdout);
	}
	printf("%s\n", summary);
}

static void print_table(const struct check_results *rs)
{
	print_row(msg(MSG_AGENT_COL_CHECK), msg(MSG_AGENT_COL_CODE), msg(MSG_AGENT_COL_STATE),
		  msg(MSG_AGENT_COL_SUMMARY));
	for (size_t i = 0; i < rs->n; i++) {
		char state[16];
		snprintf(state, sizeof(state), "%s", check_state_name(rs->v[i].state));
		for (char *p = state; *p; p++)
			*p = (char)(*p - 'a' + 'A');
		print_row(rs->v[i].check, rs->v[i].code, state, rs->v[i].summary);
	}
}

/* The spool, when it exists and is ours: never created by a look (root's `check`). */
static struct spool *spool_peek(const struct agent_config *cfg)
{
	struct spool *sp = NULL;
	char err[512];
	if (access(cfg->spool, F_OK) || spool_open(&sp, cfg->spool, cfg->spool_max, clock_now(),
						   err, sizeof(err)))
		return NULL;
	return sp;
}

static int cmd_check(const struct agent_config *cfg)
{
	struct agent a;
	struct check_results rs = { 0 };
	struct spool *sp = spool_peek(cfg);
	enum check_state worst = CHECK_OK;

	agent_init(&a, cfg);
	/* The service's last word from the server, for the clock check. */
	if (sp && !spool_meta_get(sp, "server_skew_ms", &a.ctx.server_skew_ms))
		a.ctx.server_skew_known = true;
	spool_close(sp);
	agent_pass(&a, &rs);
	print_table(&rs);
	for (size_t i = 0; i < rs.n; i++)
		worst = check_state_worst(worst, rs.v[i].state);
	check_results_release(&rs);
	agent_release(&a);
	return (int)worst;
}

static int show_event(void *arg, const char *id, enum spool_kind kind, const char *json,
		      const char *reason)
{
	json_object *o = json_tokener_parse(json);
	(void)arg;
	char what[200];
	snprintf(what, sizeof(what), "%s %s %s", json_get_str(o, "code") ? json_get_str(o, "code") : "?",
		 json_get_str(o, "status") ? json_get_str(o, "status") : "?",
		 json_get_str(o, "message") ? json_get_str(o, "message") : "");
	msg_fprintf(stdout, MSG_AGENT_SPOOL_ROW, id, kind == SPOOL_CHANGE ? "change" : "heartbeat", what);
	if (reason)
		msg_fprintf(stdout, MSG_AGENT_SPOOL_REASON, reason);
	json_object_put(o);
	return 0;
}

static int cmd_spool(const struct agent_config *cfg)
{
	struct spool *sp;
	struct spool_stats st = { 0 };
	char err[512], when[24];
	if (access(cfg->spool, F_OK)) {
		/* Nothing was ever spooled; a look does not create the file (as root, it
		 * would belong to root and the service could not open it). */
		msg_fprintf(stdout, MSG_AGENT_SPOOL_SUMMARY, 0LL, 0LL, 0LL, cfg->spool);
		return 0;
	}
	if (spool_open(&sp, cfg->spool, cfg->spool_max, clock_now(), err, sizeof(err))) {
		msg_fprintf(stderr, MSG_AGENT_SPOOL_OPEN, err);
		fputc('\n', stderr);
		return EXIT_FAIL;
	}
	int rc = spool_stats(sp, &st);
	if (!rc) {
		msg_fprintf(stdout, MSG_AGENT_SPOOL_SUMMARY, st.events, st.changes, st.dropped, cfg->spool);
		if (st.oldest) {
			clock_format_utc(when, sizeof(when), st.oldest);
			msg_fprintf(stdout, MSG_AGENT_SPOOL_OLDEST, when);
		}
		rc = spool_each(sp, 20, false, show_event, NULL);
	}
	if (!rc && st.refused) {
		msg_fprintf(stdout, MSG_AGENT_SPOOL_REFUSED, st.refused);
		rc = spool_each(sp, 20, true, show_event, NULL);
	}
	spool_close(sp);
	return rc ? EXIT_FAIL : 0;
}

/* Sleeps until deadline (clock_mono_ms), waking early when stopping. */
static void nap_until(int64_t deadline)
{
	int64_t left = deadline - clock_mono_ms();
	if (left > 0)
		clock_nap(left, &stop_flag);
}

/*
 * The server refused the token (401). After `tilldesk till token --rotate`
 * the admin writes the new token into token_file: read it again at each
 * refusal, and send with a new one at once, without a restart or a signal.
 * last_err keeps a reading's failure from being logged at every retry.
 */
static void follow_token_file(struct agent_config *cfg, struct uploader *u, char *last_err,
			      size_t n)
{
	char err[512];
	bool changed;
	/* The token being replaced, so that the new one takes its mask's slot. */
	char *old = xstrdup(cfg->token ? cfg->token : "");
	u->refused = false;
	if (agent_config_read_token(cfg, &changed, err, sizeof(err))) {
		if (strcmp(err, last_err))
			log_warn("agent: the server refuses the token and %s", err);
		snprintf(last_err, n, "%s", err);
		goto done;
	}
	last_err[0] = '\0';
	if (!changed)
		goto done;
	log_replace_secret(old, cfg->token);
	uploader_set_token(u, cfg->token);
	u->next_try_ms = 0;
	log_info("agent: %s holds a new token: sending with it", cfg->token_file);
done:
	explicit_bzero(old, strlen(old));
	free(old);
}

static int cmd_run(struct agent_config *cfg)
{
	struct agent a;
	struct uploader u;
	struct spool *sp;
	char err[512], token_err[512] = "";
	struct sigaction sa = { .sa_handler = on_signal };

	if (!cfg->server[0] || !cfg->token[0]) {
		msg_fprintf(stderr, cfg->server[0] ? MSG_AGENT_NO_TOKEN : MSG_AGENT_NO_SERVER);
		fputc('\n', stderr);
		return EXIT_FAIL;
	}
	if (spool_open(&sp, cfg->spool, cfg->spool_max, clock_now(), err, sizeof(err))) {
		msg_fprintf(stderr, MSG_AGENT_SPOOL_OPEN, err);
		fputc('\n', stderr);
		return EXIT_FAIL;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	agent_init(&a, cfg);
	uploader_init(&u, cfg->server, cfg->token, (long)cfg->timeout * 1000, cfg->retry_max * 1000);
	/* SIGTERM ends a request under way: its batch stays in the spool, sent again later. */
	u.abort_flag = &stop_flag;
	log_info("agent: %zu checks every %llds to %s", cfg->n_checks, (long long)cfg->interval,
		 cfg->server);

	int64_t next_pass = clock_mono_ms();
	while (!stop_flag) {
		bool force = false;
		if (clock_mono_ms() >= next_pass) {
			struct check_results rs = { 0 };
			size_t changes = 0;
			agent_pass(&a, &rs);
			if (agent_store(&a, &rs, a.ctx.now, sp, &changes))
				log_error("agent: a pass's %zu results could not be stored", rs.n);
			check_results_release(&rs);
			/* A change goes at once, even while backing off: one try. */
			force = changes > 0;
			next_pass += cfg->interval * 1000;
			if (next_pass <= clock_mono_ms())
				next_pass = clock_mono_ms() + cfg->interval * 1000;
		}
		int rc = uploader_drain(&u, sp, force, &stop_flag);
		if (u.refused)
			follow_token_file(cfg, &u, token_err, sizeof(token_err));
		if (u.skew_known && (!a.ctx.server_skew_known || a.ctx.server_skew_ms != u.skew_ms)) {
			a.ctx.server_skew_known = true;
			a.ctx.server_skew_ms = u.skew_ms;
			spool_meta_set(sp, "server_skew_ms", u.skew_ms);
		}
		nap_until(rc == TD_EBUSY && u.next_try_ms < next_pass ? u.next_try_ms : next_pass);
	}
	log_info("agent: signal %d: stopping", (int)stopping);
	uploader_release(&u);
	agent_release(&a);
	spool_close(sp);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *cmd = NULL;
	struct agent_config cfg;
	enum log_level level;
	char err[1024];
	int i, rc;

	log_set_program("tilldesk-agent");
	msg_set_language("ru");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			msg_fprintf(stdout, MSG_AGENT_HELP, AGENT_CONFIG_DEFAULT);
			return 0;
		} else if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
			path = argv[++i];
		} else {
			break;
		}
	}
	cmd = i < argc ? argv[i] : NULL;
	if (cmd && !strcmp(cmd, "config") && i + 1 < argc && !strcmp(argv[i + 1], "example")) {
		agent_config_write_example(stdout);
		return 0;
	}
	if (!cmd || (strcmp(cmd, "check") && strcmp(cmd, "run") && strcmp(cmd, "spool")) ||
	    i + 1 != argc) {
		msg_fprintf(stderr, MSG_AGENT_USAGE, cmd ? cmd : "");
		fputc('\n', stderr);
		return EXIT_USAGE;
	}
	if (!path && !access(AGENT_CONFIG_DEFAULT, F_OK))
		path = AGENT_CONFIG_DEFAULT;
	if (agent_config_load(&cfg, path, err, sizeof(err))) {
		msg_fprintf(stderr, MSG_AGENT_CONFIG, err);
		fputc('\n', stderr);
		return EXIT_FAIL;
	}
	if (!log_level_parse(&level, cfg.log_level))
		log_set_level(level);
	if (!strcmp(cmd, "run") && agent_config_read_token(&cfg, NULL, err, sizeof(err))) {
		msg_fprintf(stderr, MSG_AGENT_CONFIG, err);
		fputc('\n', stderr);
		agent_config_release(&cfg);
		return EXIT_FAIL;
	}
	log_add_secret(cfg.token);
	if (cfg.secrets_exposed_mode)
		log_warn("%s holds the till's token and has mode %04o: others may read it (chmod 600,"
			 " or use token_file)", path, cfg.secrets_exposed_mode);
	if (!strcmp(cmd, "run")) {
		http_global_init();
		rc = cmd_run(&cfg);
		http_global_cleanup();
	} else if (!strcmp(cmd, "check")) {
		rc = cmd_check(&cfg);
	} else {
		rc = cmd_spool(&cfg);
	}
	log_clear_secrets();
	agent_config_release(&cfg);
	return rc;
}
