/*
 * cmd_admin.c - init, config and backup: the database and the settings.
 */
#include <sys/stat.h>

#include "cli/cli.h"

static bool asked_help(int argc, char **argv)
{
	return argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
}

int cmd_init(struct cli *c, int argc, char **argv)
{
	if (argc != 1)
		return cli_usage(c, MSG_HELP_INIT, asked_help(argc, argv));
	if (!cli_db(c))
		return EXIT_FAIL;
	cli_say(c, MSG_CLI_INIT_DONE, c->cfg.database, db_schema_version(c->db));
	return EXIT_OK;
}

int cmd_config(struct cli *c, int argc, char **argv)
{
	if (argc != 2 || asked_help(argc, argv))
		return cli_usage(c, MSG_HELP_CONFIG, asked_help(argc, argv));
	if (!strcmp(argv[1], "example")) {
		config_write_example(c->out);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "check")) {
		cli_warn_exposed_secrets(c);
		config_write_effective(&c->cfg, c->out);
		return EXIT_OK;
	}
	cli_fail(c, EXIT_USAGE, MSG_CLI_UNKNOWN_SUBCOMMAND, "config", argv[1]);
	return cli_usage(c, MSG_HELP_CONFIG, false);
}

int cmd_backup(struct cli *c, int argc, char **argv)
{
	char err[1024];
	if (argc != 2 || asked_help(argc, argv))
		return cli_usage(c, MSG_HELP_BACKUP, asked_help(argc, argv));
	if (!cli_db(c))
		return EXIT_FAIL;
	/* Checked after cli_db: as the account the copy is written by. */
	struct stat st;
	if (!lstat(argv[1], &st) && S_ISLNK(st.st_mode))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_DB_SYMLINK, argv[1]);
	if (db_backup(c->db, argv[1], err, sizeof(err)))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_BACKUP_FAILED, err);
	cli_say(c, MSG_CLI_BACKUP_DONE, argv[1]);
	return EXIT_OK;
}
