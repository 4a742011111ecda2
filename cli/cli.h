/*
 * cli.h - the admin command line: `tilldesk [-c FILE] COMMAND ...`.
 *
 * cli_main() is the whole program minus process setup, so tests run
 * commands in-process with their output captured.
 */
#ifndef TD_CLI_H
#define TD_CLI_H

#include "core/config.h"
#include "core/msg.h"
#include "storage/db.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct cli {
	FILE *out, *err;
	const char *config_path;
	struct config cfg;
	struct db *db;   /* opened on first use by cli_db() */
};

/* Runs one command line; returns the exit status. */
int cli_main(int argc, char **argv, FILE *out, FILE *err);

/*
 * The database, opened and migrated; NULL after reporting why not. Started
 * as root, the command first becomes general.user (cli_become_user), and
 * the files must pass cli_check_db_files.
 */
struct db *cli_db(struct cli *c);

/*
 * Run as root with general.user set: becomes that account for good
 * (supplementary groups, group, user, and checks that root cannot come
 * back). Without general.user, stays root unless must_drop (serve), which
 * refuses. Not root: nothing to do. Returns 0 or an exit status, reported.
 */
int cli_become_user(struct cli *c, bool must_drop);
/*
 * Refuses, with a message, a database whose directory or files belong to
 * another account than the one we run as, or are symbolic links. 0 or an
 * exit status.
 */
int cli_check_db_files(struct cli *c);
/* Warns on stderr when the config file holds a secret that others can read. */
void cli_warn_exposed_secrets(struct cli *c);

/* Opens the database (cli_db) and a write transaction; 0 or an exit status, reported. */
int cli_begin(struct cli *c);
/* Ends cli_begin()'s transaction: commits when rc is 0, else rolls back; returns rc or a reported failure. */
int cli_finish(struct cli *c, int rc);
/* Who runs the command, for what it records: the login, else the account's name. */
void cli_admin_login(char *out, size_t n);

/*
 * The one argument of "show ID" and the like: argv[1], a number (with or
 * without '#') into *id, else help or a refusal. Returns -1 to go on, or
 * the exit status to end with.
 */
int cli_id_arg(struct cli *c, int argc, char **argv, enum msg_id help, long long *id);

/* Prints "tilldesk: <message>" to the error stream; returns code. */
int cli_fail(struct cli *c, int code, enum msg_id id, ...);
/* Prints a catalogue message to the output stream. */
void cli_say(struct cli *c, enum msg_id id, ...);
/* Prints usage text id and returns EXIT_OK (asked for) or EXIT_USAGE. */
int cli_usage(struct cli *c, enum msg_id id, bool asked);

/*
 * Reports the result of a db_*_find() for ref: "not found" or "ambiguous"
 * for the kind of thing named by what (a catalogue noun). 0 when found.
 */
int cli_found(struct cli *c, int found_rc, enum msg_id what, const char *ref);

/*
 * Checks a name, address or similar given by the user: non-empty unless
 * optional, valid UTF-8, no control characters, at most max bytes.
 */
int cli_check_text(struct cli *c, enum msg_id what, const char *s, size_t max);

/* An owner's e-mail address: local@domain.tld that a letter can be sent to. */
bool cli_email_valid(const char *s);

/*
 * Prints one table row: each cell padded to its width in characters (UTF-8
 * aware, cut with "…" when longer), the last cell as it is.
 */
void cli_row(struct cli *c, const int *widths, size_t n, const char *const *cells);
/* Splits s in place at each '|' into at most max cells; returns how many. */
size_t cli_split(char *s, const char **cells, size_t max);
/* Prints a header row from a catalogue message with columns separated by '|'. */
void cli_header(struct cli *c, const int *widths, size_t n, enum msg_id id);

/* Formats t in the IANA zone (or UTC when zone is NULL or unknown). */
void cli_time(char *out, size_t n, int64_t t, const char *zone);

/*
 * Parses the options of a subcommand with getopt_long. For each option it
 * calls fn(c, opt, optarg, arg); fn returns 0 or an exit status. Leaves the
 * positional arguments in *argc and *argv. "-h" or "--help" prints help and sets
 * *done. Returns 0 or an exit status.
 */
struct option;
int cli_options(struct cli *c, int *argc, char ***argv, const char *shortopts,
		const struct option *longopts, enum msg_id help,
		int (*fn)(struct cli *c, int opt, const char *val, void *arg), void *arg,
		bool *done);

/* A subcommand: "add" of "org add". */
struct cli_sub {
	const char *name;
	int (*fn)(struct cli *c, int argc, char **argv);
};

/*
 * Runs the subcommand named by argv[1] from subs (NULL-terminated), with
 * argv shifted so that argv[0] is its name; help for none or -h/--help.
 */
int cli_dispatch(struct cli *c, int argc, char **argv, const struct cli_sub *subs,
		 enum msg_id help);

/* Commands, by area. */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_config(struct cli *c, int argc, char **argv);
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_org(struct cli *c, int argc, char **argv);
/* org owner add|set|remove|list (cli/cmd_owner.c) */
int cmd_org_owner(struct cli *c, int argc, char **argv);
int cmd_store(struct cli *c, int argc, char **argv);
int cmd_till(struct cli *c, int argc, char **argv);
int cmd_equipment(struct cli *c, int argc, char **argv);
int cmd_invite(struct cli *c, int argc, char **argv);
int cmd_person(struct cli *c, int argc, char **argv);
int cmd_ticket(struct cli *c, int argc, char **argv);
int cmd_report(struct cli *c, int argc, char **argv);
int cmd_digest(struct cli *c, int argc, char **argv);
int cmd_serve(struct cli *c, int argc, char **argv);
int cmd_kb(struct cli *c, int argc, char **argv);
int cmd_chat(struct cli *c, int argc, char **argv);
int cmd_doctor(struct cli *c, int argc, char **argv);
/* doctor's report when the configuration does not load (err: file:line: reason). */
int cmd_doctor_bad_config(struct cli *c, const char *err);
int cmd_updates(struct cli *c, int argc, char **argv);
int cmd_alert(struct cli *c, int argc, char **argv);
int cmd_silence(struct cli *c, int argc, char **argv);
int cmd_mail(struct cli *c, int argc, char **argv);

/* A silence as `silence list` shows it (a header, then one row each; arg is the cli). */
struct silence_row;
void cli_silence_header(struct cli *c);
int cli_silence_print(const struct silence_row *r, void *arg);

#endif
