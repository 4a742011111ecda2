/*
 * conftab.h - the engine under every tilldesk config: a table of keys, an
 * INI file, the environment.
 *
 * A program describes its settings as rows (section, name, type, bounds,
 * default, help) with offsets into its own struct; the engine fills that
 * struct from the defaults, the file and the environment, reports errors
 * as "file:line: message" and writes the commented example file. The
 * daemon's table is core/config.c, the agent's agent/agent_config.c.
 */
#ifndef TD_CONFTAB_H
#define TD_CONFTAB_H

#include "core/common.h"

enum cfg_type {
	CFG_STRING,    /* char *, owned */
	CFG_SECRET,    /* char *, owned; never printed */
	CFG_INT,       /* long long in [min, max] */
	CFG_DURATION,  /* int64_t seconds in [min, max] */
	CFG_CHOICE,    /* char *, one of choices */
	CFG_CUSTOM,    /* parsed by the table's custom() */
};

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t offset;          /* into the table's struct */
	long long min, max;     /* CFG_INT, CFG_DURATION (seconds); CFG_CUSTOM: the table's */
	const char *choices;    /* CFG_CHOICE: "a|b|c" */
	const char *env;        /* environment variable that overrides, or NULL */
	const char *def;        /* default, parsed like a value from the file */
	const char *help;       /* one or more lines for the example file */
};

/* other() returns this for an entry it does not take: "unknown key" as usual. */
#define CFG_NOT_MINE 1

struct cfg_table {
	const struct cfg_key *keys;
	size_t n_keys;
	const char *preamble;   /* the example's first comment lines, each ending "\n" */
	/* Sets a CFG_CUSTOM row's value (name: the key as written). 0 or TD_EINVAL with err. */
	int (*custom)(void *obj, const struct cfg_key *k, const char *name, const char *value,
		      char *err, size_t errlen);
	/*
	 * An entry that matches no row: 0 when taken, CFG_NOT_MINE, or
	 * TD_EINVAL with err. A taken key set twice is refused by the engine.
	 * name and value NULL: a [section] of no row that holds no entries.
	 */
	int (*other)(void *obj, const char *section, const char *name, const char *value,
		     char *err, size_t errlen);
	/*
	 * After the last entry of a section other() took (a check's required
	 * keys); the error is reported at the section's header line.
	 */
	int (*section_end)(void *obj, const char *section, char *err, size_t errlen);
	/* Frees what custom() and other() keep in obj (NULL: nothing). */
	void (*release)(void *obj);
};

/*
 * Fills obj (zeroed first) with t's defaults, then the file at path (NULL:
 * none), then the environment. On failure returns TD_EINVAL with
 * "file:line: reason" in err and obj holds nothing to free. exposed_mode,
 * when not NULL, gets the file's mode when it holds a CFG_SECRET that its
 * group or others may read, else 0. Release obj with cfg_release().
 */
int cfg_load(const struct cfg_table *t, void *obj, const char *path, unsigned *exposed_mode,
	     char *err, size_t errlen);
void cfg_release(const struct cfg_table *t, void *obj);

/* Writes the preamble and every row: "; help" lines, then "name = default". */
void cfg_write_example(const struct cfg_table *t, FILE *out);
/* The help of one row (or any text) as "; " comment lines. */
void cfg_write_comment(FILE *out, const char *help);

/* Parses "90s", "15m", "4h", "2d", "1h30m" (or "0") into seconds. */
int config_parse_duration(int64_t *out, const char *s);

/*
 * Reads the first line of a file that holds a secret (a token) into out,
 * without its newline. The file must be a regular file (not a link) owned
 * by the effective user and readable by nobody else (mode 0600 or 0400):
 * otherwise TD_EINVAL with a reason in err that names the file and what to
 * run. An empty line is refused too.
 */
int cfg_read_secret_file(const char *path, char *out, size_t n, char *err, size_t errlen);

/* True when a file of this mode lets its group or others read it. */
bool cfg_mode_exposed(unsigned mode);

#endif
