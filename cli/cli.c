#include <getopt.h>
#include <pwd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/tz.h"
#include "mail/mail.h"

#define TILLDESK_VERSION "0.1.0"

struct command {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
};

static const struct command commands[] = {
	{ "serve", cmd_serve },
	{ "init", cmd_init },
	{ "config", cmd_config },
	{ "org", cmd_org },
	{ "store", cmd_store },
	{ "till", cmd_till },
	{ "equipment", cmd_equipment },
	{ "invite", cmd_invite },
	{ "person", cmd_person },
	{ "ticket", cmd_ticket },
	{ "alert", cmd_alert },
	{ "silence", cmd_silence },
	{ "report", cmd_report },
	{ "digest", cmd_digest },
	{ "kb", cmd_kb },
	{ "chat", cmd_chat },
	{ "updates", cmd_updates },
	{ "mail", cmd_mail },
	{ "backup", cmd_backup },
	{ "doctor", cmd_doctor },
};

int cli_fail(struct cli *c, int code, enum msg_id id, ...)
{
	va_list ap;
	struct buf b = BUF_INIT(8192);
	va_start(ap, id);
	msg_vbuf(&b, id, ap);
	va_end(ap);
	fprintf(c->err, "tilldesk: %s\n", buf_cstr(&b));
	buf_release(&b);
	return code;
}

void cli_say(struct cli *c, enum msg_id id, ...)
{
	va_list ap;
	struct buf b = BUF_INIT(1 << 20);
	va_start(ap, id);
	msg_vbuf(&b, id, ap);
	va_end(ap);
	fputs(buf_cstr(&b), c->out);
	buf_release(&b);
}

int cli_usage(struct cli *c, enum msg_id id, bool asked)
{
	fputs(msg(id), asked ? c->out : c->err);
	return asked ? EXIT_OK : EXIT_USAGE;
}

struct db *cli_db(struct cli *c)
{
	char err[1024];
	if (c->db)
		return c->db;
	if (cli_become_user(c, false) || cli_check_db_files(c))
		return NULL;
	if (db_open(&c->db, c->cfg.database, err, sizeof(err))) {
		cli_fail(c, EXIT_FAIL, MSG_CLI_DB_OPEN, err);
		return NULL;
	}
	return c->db;
}

int cli_begin(struct cli *c)
{
	if (!cli_db(c))
		return EXIT_FAIL;
	if (db_begin(c->db))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	return 0;
}

int cli_finish(struct cli *c, int rc)
{
	if (rc) {
		db_rollback(c->db);
		return rc;
	}
	if (db_commit(c->db))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	return 0;
}

void cli_admin_login(char *out, size_t n)
{
	struct passwd *pw;
	if (!getlogin_r(out, n) && *out)
		return;
	pw = getpwuid(getuid());
	snprintf(out, n, "%s", pw ? pw->pw_name : "?");
}

int cli_id_arg(struct cli *c, int argc, char **argv, enum msg_id help, long long *id)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cli_usage(c, help, true);
	if (argc != 2)
		return cli_usage(c, help, false);
	const char *ref = argv[1][0] == '#' ? argv[1] + 1 : argv[1];
	if (parse_int(id, ref, 1, INT64_MAX))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, argv[1]);
	return -1;
}

int cli_found(struct cli *c, int found_rc, enum msg_id what, const char *ref)
{
	if (found_rc == TD_ENOTFOUND)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NOT_FOUND, msg(what), ref);
	if (found_rc == TD_EAMBIGUOUS)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_AMBIGUOUS, msg(what), ref);
	if (found_rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	return 0;
}

int cli_options(struct cli *c, int *argc, char ***argv, const char *shortopts,
		const struct option *longopts, enum msg_id help,
		int (*fn)(struct cli *c, int opt, const char *val, void *arg), void *arg,
		bool *done)
{
	int opt, rc;
	*done = false;
	optind = 0;  /* glibc: full reinitialisation, commands may run many times */
	opterr = 0;
	while ((opt = getopt_long(*argc, *argv, shortopts, longopts, NULL)) != -1) {
		if (opt == 'h') {
			*done = true;
			return cli_usage(c, help, true);
		}
		if (opt == '?' || opt == ':') {
			const char *bad = (*argv)[optind - 1];
			if (opt == ':' || (optopt && strchr(shortopts, optopt)))
				cli_fail(c, EXIT_USAGE, MSG_CLI_OPTION_NEEDS_VALUE, bad);
			else
				cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_OPTION, bad);
			*done = true;
			return cli_usage(c, help, false);
		}
		if ((rc = fn(c, opt, optarg, arg))) {
			*done = true;
			return rc;
		}
	}
	*argc -= optind;
	*argv += optind;
	return 0;
}

bool cli_email_valid(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || !strchr(at + 1, '.') || strlen(s) > 254)
		return false;
	if (at[1] == '.' || s[strlen(s) - 1] == '.')
		return false;
	/* And one a letter can be sent to as it stands (mail_queue() refuses the others). */
	return mail_address_valid(s);
}

int cli_check_text(struct cli *c, enum msg_id what, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (!n)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_EMPTY, msg(what));
	if (n > max)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_TOO_LONG, msg(what), max);
	if (!utf8_valid(s, n))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_UTF8, msg(what));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return cli_fail(c, EXIT_USAGE, MSG_CLI_CONTROL_CHARS, msg(what));
	return 0;
}

/* Writes s padded or cut to width characters. */
static void put_cell(FILE *out, const char *s, int width)
{
	int chars = 0;
	const char *p = s, *cut = NULL;
	for (; *p; p++) {
		if (((unsigned char)*p & 0xC0) == 0x80)
			continue;
		if (chars == width - 1)
			cut = p;
		chars++;
	}
	if (chars > width && cut) {
		fprintf(out, "%.*s… ", (int)(cut - s), s);
		return;
	}
	fprintf(out, "%s%*s ", s, width - chars, "");
}

void cli_row(struct cli *c, const int *widths, size_t n, const char *const *cells)
{
	for (size_t i = 0; i + 1 < n; i++)
		put_cell(c->out, cells[i], widths[i]);
	fprintf(c->out, "%s\n", n ? cells[n - 1] : "");
}

size_t cli_split(char *s, const char **cells, size_t max)
{
	size_t k = 0;
	for (char *p = s; k < max; k++) {
		cells[k] = p;
		p += strcspn(p, "|");
		if (!*p)
			return k + 1;
		*p++ = '\0';
	}
	return k;
}

void cli_header(struct cli *c, const int *widths, size_t n, enum msg_id id)
{
	char *copy = xstrdup(msg(id));
	const char *cells[16];
	size_t k = cli_split(copy, cells, n < ARRAY_SIZE(cells) ? n : ARRAY_SIZE(cells));
	cli_row(c, widths, k, cells);
	free(copy);
}

void cli_time(char *out, size_t n, int64_t t, const char *zone)
{
	struct tz *tz = NULL;
	if (zone && tz_load(&tz, zone) == 0) {
		struct tm tm;
		tz_local(tz, t, &tm);
		strftime(out, n, "%Y-%m-%d %H:%M", &tm);
		tz_free(tz);
		return;
	}
	clock_format_utc(out, n, t);
	size_t len = strlen(out);
	snprintf(out + len, n - len, " UTC");
}

int cli_dispatch(struct cli *c, int argc, char **argv, const struct cli_sub *subs,
		 enum msg_id help)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return cli_usage(c, help, argc >= 2);
	for (; subs->name; subs++)
		if (!strcmp(argv[1], subs->name))
			return subs->fn(c, argc - 1, argv + 1);
	cli_fail(c, EXIT_USAGE, MSG_CLI_UNKNOWN_SUBCOMMAND, argv[0], argv[1]);
	return cli_usage(c, help, false);
}

static void cli_release(struct cli *c)
{
	db_close(c->db);
	c->db = NULL;
	config_release(&c->cfg);
}

int cli_main(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { .out = out, .err = err, .config_path = getenv("TILLDESK_CONFIG") };
	char cfgerr[1024];
	bool help = false;
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			fprintf(out, "tilldesk %s\n", TILLDESK_VERSION);
			return EXIT_OK;
		default:
			cli_fail(&c, EXIT_USAGE, MSG_CLI_BAD_OPTION, argv[optind - 1]);
			return cli_usage(&c, MSG_HELP_MAIN, false);
		}
	}
	argc -= optind;
	argv += optind;

	if (config_load(&c.cfg, c.config_path && *c.config_path ? c.config_path : NULL,
			cfgerr, sizeof(cfgerr))) {
		if (argc && !strcmp(argv[0], "doctor"))  /* a broken file is one of its findings */
			return cmd_doctor_bad_config(&c, cfgerr);
		fprintf(err, "tilldesk: %s\n", cfgerr);
		return EXIT_FAIL;
	}
	msg_set_language(c.cfg.language);
	enum log_level level;
	if (!log_level_parse(&level, c.cfg.log_level))
		log_set_level(level);
	log_add_secret(c.cfg.tg_token);
	log_add_secret(c.cfg.smtp_password);

	if (help || argc == 0) {
		rc = cli_usage(&c, MSG_HELP_MAIN, help);
		goto done;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!strcmp(argv[0], commands[i].name)) {
			rc = commands[i].fn(&c, argc, argv);
			goto done;
		}
	}
	rc = cli_fail(&c, EXIT_USAGE, MSG_CLI_UNKNOWN_COMMAND, argv[0]);
done:
	cli_release(&c);
	return rc;
}
