/*
 * privs.c - who the command line runs as. Started as root with general.user
 * set, tilldesk becomes that account before it touches the database, so
 * every file SQLite creates (-wal, -shm, backups) is the service account's
 * and a running daemon never meets a file it cannot write. It never chowns:
 * files that are not the account's are refused, as git refuses a
 * repository of dubious ownership.
 */
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"

/* The name of uid for messages, or its number. */
static const char *user_name(char *buf, size_t n, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "%lu", (unsigned long)uid);
	return buf;
}

/* Gives up root for good: groups, then the group, then the user; checks none is left. */
static int become(const struct passwd *pw)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	if (initgroups(pw->pw_name, pw->pw_gid) ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid))
		return -errno;
	if (getresuid(&ruid, &euid, &suid) || getresgid(&rgid, &egid, &sgid) ||
	    ruid != pw->pw_uid || euid != pw->pw_uid || suid != pw->pw_uid ||
	    rgid != pw->pw_gid || egid != pw->pw_gid || sgid != pw->pw_gid)
		return -EPERM;
	/* Dropped for good only if root cannot be taken back. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		return -EPERM;
	/*
	 * root's HOME would stay, and libraries that look there (libESMTP's
	 * client certificates) would find a directory they may not read.
	 */
	setenv("HOME", pw->pw_dir, 1);
	return 0;
}

int cli_become_user(struct cli *c, bool must_drop)
{
	if (geteuid() != 0)
		return 0;
	if (!*c->cfg.user)
		return must_drop ? cli_fail(c, EXIT_FAIL, MSG_CLI_ROOT_REFUSED) : 0;
	struct passwd *pw = getpwnam(c->cfg.user);
	if (!pw || pw->pw_uid == 0)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_BAD_USER, c->cfg.user);
	int rc = become(pw);
	if (rc)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DROP_FAILED, c->cfg.user, strerror(-rc));
	/* An admin command says nothing of it unless asked; the daemon tells its log. */
	if (must_drop)
		log_info("running as %s", c->cfg.user);
	else
		log_debug("running as %s", c->cfg.user);
	return 0;
}

int cli_check_db_files(struct cli *c)
{
	struct db_file_check chk;
	char owner[64], me[64];
	if (!db_check_files(&chk, c->cfg.database, geteuid()))
		return 0;
	switch (chk.fault) {
	case DB_FILE_SYMLINK:
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_SYMLINK, chk.path);
	case DB_FILE_WRONG_TYPE:
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_WRONG_TYPE, chk.path);
	case DB_FILE_FOREIGN:
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_FOREIGN, chk.path,
				user_name(owner, sizeof(owner), chk.owner),
				user_name(me, sizeof(me), geteuid()));
	default:
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_UNCHECKABLE, chk.path, strerror(chk.err));
	}
}

void cli_warn_exposed_secrets(struct cli *c)
{
	if (c->cfg.secrets_exposed_mode)
		cli_fail(c, 0, MSG_CLI_SECRETS_EXPOSED, c->config_path,
			 c->cfg.secrets_exposed_mode, c->config_path);
}
