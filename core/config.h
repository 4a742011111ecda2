/*
 * config.h - tilldesk's settings: one table, one INI file, the environment.
 *
 * Every key is a row of the table in config.c (section, name, type, bounds,
 * default, help). The same table validates the file, fills struct config,
 * reports "file:line: message" errors and prints config.example.ini.
 */
#ifndef TD_CONFIG_H
#define TD_CONFIG_H

#include "core/common.h"

struct config {
	/* [general] */
	char *language;          /* "ru" or "en" */
	char *database;          /* path of the SQLite file */
	char *log_level;         /* debug, info, warn, error */
	char *user;              /* account serve switches to when started as root */
	/* [telegram] */
	char *tg_token;          /* secret; TILLDESK_TELEGRAM_TOKEN overrides */
	char *tg_api_url;
	char *tg_bot_username;
	long long tg_engineers_chat;
	int64_t tg_poll_timeout; /* seconds */
	long long tg_chat_rate;   /* messages per second to one chat */
	long long tg_group_rate;  /* messages per minute to one group */
	long long tg_global_rate; /* messages per second overall */
	/* [kb] */
	long long kb_threshold;   /* % confidence from which the bot answers with an article */
	long long kb_hint;        /* % confidence from which a card shows an article as a hint */
	/* [invites] */
	int64_t invite_ttl;      /* seconds */
	/* [smtp] */
	char *smtp_host;
	long long smtp_port;
	char *smtp_user;
	char *smtp_password;     /* secret; TILLDESK_SMTP_PASSWORD overrides */
	char *smtp_from;
};

/*
 * Fills cfg with the embedded defaults, then the file at path (NULL: none),
 * then the environment. On failure returns TD_EINVAL with a message such as
 * "tilldesk.ini:12: unknown key 'tokn' in [telegram]" in err, and cfg holds
 * nothing to free. On success release cfg with config_release().
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_release(struct config *cfg);

/* Writes config.example.ini, generated from the table, to out. */
void config_write_example(FILE *out);
/* Writes the effective settings, secrets masked, to out. */
void config_write_effective(const struct config *cfg, FILE *out);

/* Parses "90s", "15m", "4h", "2d", "1h30m" (or "0") into seconds. */
int config_parse_duration(int64_t *out, const char *s);

#endif
