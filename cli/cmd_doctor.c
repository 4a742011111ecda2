/*
 * cmd_doctor.c - `tilldesk doctor`: checks a set-up (config, database file
 * and contents, token, engineers' chat) and says what to fix. One line per
 * check; exit 0 only when every check is ok.
 */
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bot/probe.h"
#include "cli/cli.h"
#include "core/http.h"
#include "core/log.h"
#include "mail/imap.h"

enum verdict { V_OK, V_WARN, V_FAIL };

struct doctor {
	struct cli *c;
	int problems;
	uid_t uid;     /* the service account */
	gid_t gid;
};

/* Prints "ok|warn|fail  <message>"; anything but ok counts as a problem. */
static void report(struct doctor *d, enum verdict v, enum msg_id id, ...)
{
	static const enum msg_id words[] = { MSG_DOCTOR_OK, MSG_DOCTOR_WARN, MSG_DOCTOR_FAIL };
	va_list ap;
	struct buf b = BUF_INIT(8192);
	va_start(ap, id);
	msg_vbuf(&b, id, ap);
	va_end(ap);
	fprintf(d->c->out, "%s  %s\n", msg(words[v]), buf_cstr(&b));
	buf_release(&b);
	if (v != V_OK)
		d->problems++;
}

static void user_name(char *out, size_t n, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(out, n, "%s", pw->pw_name);
	else
		snprintf(out, n, "%u", (unsigned)uid);
}

/*
 * The files: the database and its -wal/-shm exist as plain files (never
 * links), belong to the service account and are closed to group and
 * others. Returns true when the database may be opened to look inside.
 */
static bool check_files(struct doctor *d)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	const struct config *cfg = &d->c->cfg;
	char path[4096], owner[64], account[64];
	struct passwd *pw;
	struct stat st;
	bool openable = true, links = false;

	if (*cfg->user) {
		if (!(pw = getpwnam(cfg->user))) {
			report(d, V_FAIL, MSG_DOCTOR_NO_ACCOUNT, cfg->user, cfg->user);
			return false;
		}
		d->uid = pw->pw_uid;
		d->gid = pw->pw_gid;
	} else if (geteuid() == 0) {
		report(d, V_FAIL, MSG_DOCTOR_NO_USER);
		return false;
	} else {
		d->uid = geteuid();
		d->gid = getegid();
	}
	const uid_t uid = d->uid;
	user_name(account, sizeof(account), uid);

	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		snprintf(path, sizeof(path), "%s%s", cfg->database, suffixes[i]);
		if (lstat(path, &st)) {
			if (errno != ENOENT)
				report(d, V_FAIL, MSG_DOCTOR_DB_STAT, path, strerror(errno));
			else if (i == 0)
				report(d, V_FAIL, MSG_DOCTOR_DB_MISSING, path);
			if (i == 0)
				return false;
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			report(d, V_FAIL, MSG_DOCTOR_DB_SYMLINK, path);
			openable = false;
			links = true;
			continue;
		}
		user_name(owner, sizeof(owner), st.st_uid);
		if (st.st_uid != uid)
			report(d, V_FAIL, MSG_DOCTOR_DB_OWNER, path, owner, account, account, path);
		else if (i == 0)
			report(d, V_OK, MSG_DOCTOR_DB_OWNER_OK, path, owner);
		/* The WAL holds the same messages; its mode follows the database's. */
		unsigned mode = st.st_mode & 07777;
		if (i == 0 ? mode != 0600 : (mode & 077) != 0)
			report(d, V_FAIL, MSG_DOCTOR_DB_MODE, path, mode, path);
		else if (i == 0)
			report(d, V_OK, MSG_DOCTOR_DB_MODE_OK, path, mode);
	}
	if (!links)
		report(d, V_OK, MSG_DOCTOR_DB_NO_LINKS, cfg->database);
	return openable;
}

/*
 * Inside the database: PRAGMA quick_check and the schema's version. Root
 * looks as the service account (effective ids only, given back after), so
 * that the -wal and -shm SQLite may create never belong to root: a daemon
 * starting meanwhile could not open them.
 */
static void check_contents(struct doctor *d)
{
	char err[1024];
	struct db *db;
	bool as_account = geteuid() == 0 && d->uid != 0;
	if (as_account && (setegid(d->gid) || seteuid(d->uid))) {
		report(d, V_FAIL, MSG_DOCTOR_DB_OPEN, strerror(errno));
		goto done;
	}
	if (db_open_raw(&db, d->c->cfg.database, err, sizeof(err))) {
		report(d, V_FAIL, MSG_DOCTOR_DB_OPEN, err);
		goto done;
	}
	if (db_quick_check(db, err, sizeof(err)))
		report(d, V_FAIL, MSG_DOCTOR_INTEGRITY_BAD, err);
	else
		report(d, V_OK, MSG_DOCTOR_INTEGRITY_OK);
	int have = db_schema_version(db), latest = db_schema_latest();
	if (have == latest)
		report(d, V_OK, MSG_DOCTOR_SCHEMA_OK, have);
	else if (have > latest)
		report(d, V_FAIL, MSG_DOCTOR_SCHEMA_NEW, have, latest);
	else
		report(d, V_FAIL, MSG_DOCTOR_SCHEMA_OLD, have, latest);
	db_close(db);
done:
	if (as_account && (seteuid(0) || setegid(0)))
		fatal("doctor: cannot take root's ids back");
}

/* The token (getMe) and telegram.bot_username; false when Telegram did not accept it. */
static bool check_token(struct doctor *d, struct tg *tg, struct tg_me *me)
{
	const struct config *cfg = &d->c->cfg;
	struct tg_result r;
	if (tg_probe_me(tg, me, &r)) {
		if (r.outcome == TG_UNAUTHORIZED)
			report(d, V_FAIL, MSG_DOCTOR_TOKEN_REFUSED, r.error_code, r.description);
		else
			report(d, V_FAIL, MSG_DOCTOR_TG_UNREACHABLE, cfg->tg_api_url, r.description);
		return false;
	}
	report(d, V_OK, MSG_DOCTOR_TOKEN_OK, me->username, (long long)me->id);
	const char *want = cfg->tg_bot_username + (*cfg->tg_bot_username == '@');
	if (!*want)
		report(d, V_WARN, MSG_DOCTOR_USERNAME_UNSET, me->username);
	else if (strcasecmp(want, me->username))
		report(d, V_FAIL, MSG_DOCTOR_USERNAME_WRONG, want, me->username);
	else
		report(d, V_OK, MSG_DOCTOR_USERNAME_OK, me->username);
	return true;
}

/*
 * An engineers' chat, the config's key (telegram.engineers_chat, or a
 * [routing] group's: group names it): it exists for the bot, is a group,
 * and the bot is in it.
 */
static void check_chat(struct doctor *d, struct tg *tg, const struct tg_me *me, long long chat,
		       const char *group)
{
	struct tg_chat_info info;
	struct tg_result r;
	char status[32], key[48];
	if (group)
		snprintf(key, sizeof(key), "routing.%s", group);
	else
		snprintf(key, sizeof(key), "telegram.engineers_chat");
	if (tg_probe_chat(tg, chat, &info, &r)) {
		if (r.outcome == TG_MIGRATED)
			report(d, V_FAIL, MSG_DOCTOR_CHAT_MIGRATED, chat, key, (long long)r.migrate_to);
		else if (r.outcome == TG_RETRY)
			report(d, V_FAIL, MSG_DOCTOR_TG_UNREACHABLE, d->c->cfg.tg_api_url, r.description);
		else
			report(d, V_FAIL, MSG_DOCTOR_CHAT_NOT_FOUND, chat, r.description, key);
		return;
	}
	if (strcmp(info.type, "group") && strcmp(info.type, "supergroup")) {
		report(d, V_FAIL, MSG_DOCTOR_CHAT_TYPE, chat, info.type, key);
		return;
	}
	if (tg_probe_member(tg, chat, me->id, status, sizeof(status), &r)) {
		report(d, V_FAIL, MSG_DOCTOR_BOT_NOT_MEMBER, info.title, r.description);
		return;
	}
	if (!strcmp(status, "left") || !strcmp(status, "kicked"))
		report(d, V_FAIL, MSG_DOCTOR_BOT_NOT_MEMBER, info.title, status);
	else if (group)
		report(d, V_OK, MSG_DOCTOR_ROUTE_CHAT_OK, key, info.title, info.type, status);
	else
		report(d, V_OK, MSG_DOCTOR_CHAT_OK, info.title, info.type, status);
}

/* The default engineers' chat, then each [routing] group's own. */
static void check_chats(struct doctor *d, struct tg *tg, const struct tg_me *me)
{
	const struct config *cfg = &d->c->cfg;
	if (cfg->tg_engineers_chat)
		check_chat(d, tg, me, cfg->tg_engineers_chat, NULL);
	else
		report(d, V_FAIL, MSG_DOCTOR_NO_CHAT);
	for (int g = 0; g < ROUTE_GROUP_COUNT; g++)
		if (cfg->route_chat[g])
			check_chat(d, tg, me, cfg->route_chat[g], route_group_name((enum route_group)g));
}

/* With imap.url: the login to the mailbox and its selection, as the intake makes them. */
static void check_mailbox(struct doctor *d)
{
	const struct config *cfg = &d->c->cfg;
	struct imap *m;
	char err[512];
	int64_t validity, next;
	int rc = imap_open(&m, cfg, 15000, NULL, err, sizeof(err));
	if (rc == TD_EDENIED)
		report(d, V_FAIL, MSG_DOCTOR_IMAP_DENIED, cfg->imap_url, cfg->imap_user, err);
	else if (rc)
		report(d, V_FAIL, MSG_DOCTOR_IMAP_FAILED, cfg->imap_url, err);
	else if (imap_select(m, &validity, &next))
		report(d, V_FAIL, MSG_DOCTOR_IMAP_FAILED, cfg->imap_url, imap_why(m));
	else
		report(d, V_OK, MSG_DOCTOR_IMAP_OK, cfg->imap_url, cfg->imap_user, (long long)validity);
	imap_close(m);
}

static int finish(struct doctor *d)
{
	if (d->problems)
		cli_say(d->c, MSG_DOCTOR_PROBLEMS, d->problems);
	else
		cli_say(d->c, MSG_DOCTOR_ALL_OK);
	return d->problems ? EXIT_FAIL : EXIT_OK;
}

int cmd_doctor_bad_config(struct cli *c, const char *err)
{
	struct doctor d = { .c = c };
	report(&d, V_FAIL, MSG_DOCTOR_CONFIG_BAD, err);
	return finish(&d);
}

int cmd_doctor(struct cli *c, int argc, char **argv)
{
	struct doctor d = { .c = c };
	struct tg_me me;
	if (argc != 1)
		return cli_usage(c, MSG_HELP_DOCTOR, argc == 2 && (!strcmp(argv[1], "-h") ||
								    !strcmp(argv[1], "--help")));
	/* The file was validated on loading, as config check does: here it passed. */
	report(&d, V_OK, MSG_DOCTOR_CONFIG_OK,
	       c->config_path && *c->config_path ? c->config_path : msg(MSG_DOCTOR_CONFIG_DEFAULTS));
	if (check_files(&d))
		check_contents(&d);
	if (http_global_init())
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, "libcurl");
	if (*c->cfg.imap_url)
		check_mailbox(&d);
	if (!*c->cfg.tg_token) {
		report(&d, V_FAIL, MSG_DOCTOR_NO_TOKEN);
		http_global_cleanup();
		return finish(&d);
	}
	struct tg *tg = tg_new(c->cfg.tg_api_url, c->cfg.tg_token);
	if (check_token(&d, tg, &me))
		check_chats(&d, tg, &me);
	else
		report(&d, V_WARN, MSG_DOCTOR_CHAT_UNCHECKED);
	tg_free(tg);
	http_global_cleanup();
	return finish(&d);
}
