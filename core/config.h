/*
 * config.h - tilldesk's settings: one table, one INI file, the environment.
 *
 * Every key is a row of the table in config.c (section, name, type, bounds,
 * default, help). The same table, on the engine of core/conftab.h, validates
 * the file, fills struct config, reports "file:line: message" errors and
 * prints config.example.ini. (config_parse_duration is conftab.h's.)
 */
#ifndef TD_CONFIG_H
#define TD_CONFIG_H

#include "core/conftab.h"
#include "core/ticket_enums.h"

/*
 * One SLA policy: for a service tier and a priority, the reaction and
 * resolution budgets. A budget is SLA seconds, or working days (the
 * store's working day, see sla_clock_day_seconds) when its _days flag is set;
 * 0: none. always: the clock runs round the clock, not in working hours.
 */
struct sla_policy {
	char tier[33];
	int priority;
	int64_t reaction, resolution;
	bool reaction_days, resolution_days;
	bool always;
};

/* A check code's ticket priorities (1-4); code "default" for codes not listed. */
struct alert_priority {
	char code[65];
	unsigned char warning, critical;
};

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
	long long tg_max_in_flight; /* Bot API calls the sender has in flight at once */
	char *tg_relay;           /* "assignee" or "group": where a claimed ticket's conversation goes */
	int64_t tg_card_every;    /* seconds between edits of a card for its count of relayed messages */
	/* [routing]: each group's engineers' chat as configured, 0: tg_engineers_chat's */
	long long route_chat[ROUTE_GROUP_COUNT];
	/* [kb] */
	long long kb_threshold;   /* % confidence from which the bot answers with an article */
	long long kb_hint;        /* % confidence from which a card shows an article as a hint */
	/* [sla] */
	long long sla_warn_at;    /* % of a budget at which the engineers are warned */
	struct sla_policy *sla;   /* every tier's policies; standard's always present */
	size_t n_sla;
	/* [invites] */
	int64_t invite_ttl;      /* seconds */
	/* [smtp] */
	char *smtp_host;
	long long smtp_port;
	char *smtp_user;
	char *smtp_password;     /* secret; TILLDESK_SMTP_PASSWORD overrides */
	char *smtp_from;
	char *smtp_starttls;      /* "required", "optional" or "off" */
	int64_t smtp_timeout;     /* seconds one SMTP step may take */
	char *smtp_ca_file;       /* PEM CA certificates trusted besides the system's; "": none */
	int64_t smtp_retry_after; /* seconds before the first retry of a letter; doubles up to an hour */
	/* [imap]: letters in (mail/intake.c) */
	char *imap_url;           /* "": no intake */
	char *imap_user;
	char *imap_password;      /* secret; TILLDESK_IMAP_PASSWORD overrides */
	char *imap_starttls;      /* "required" or "off" (imap:// only) */
	int64_t imap_poll;        /* seconds between looks at the mailbox */
	long long imap_max_letter;     /* bytes a letter may have */
	long long imap_attachment_max; /* bytes one kept attachment may have; 0: none kept */
	long long imap_per_sender_hour; /* letters taken from one address per hour */
	/* [ingest]: the till agents' HTTP endpoint (ingest/) */
	char *ingest_listen;         /* "host:port"; "": off */
	char *ingest_tls_cert;       /* PEM files; both set: HTTPS */
	char *ingest_tls_key;
	long long ingest_connections; /* open connections at most */
	long long ingest_per_address; /* of them from one address; 0: no limit */
	int64_t ingest_timeout;      /* seconds a request may take to arrive, and idle */
	long long ingest_rate;       /* requests per second per till (token bucket) */
	long long ingest_burst;      /* the bucket's size */
	int64_t ingest_heartbeat_keep; /* seconds heartbeats are kept */
	/* [alerts]: agents' events into alerts and tickets (bot/alert.c) */
	int64_t alert_offline_after;  /* seconds without a heartbeat: the till is offline */
	int64_t alert_recover_after;  /* seconds OK must hold before an alert recovers */
	long long alert_recover_passes; /* OK observations it takes as well */
	int64_t alert_card_every;     /* seconds between quiet edits of a card */
	long long alert_flap_changes; /* changes within flap_window that make a check flap */
	int64_t alert_flap_window;
	int64_t alert_flap_settle;    /* seconds without a change that end flapping */
	long long alert_storm_min;    /* tills with one code within storm_window: a storm */
	int64_t alert_storm_window;
	int64_t alert_storm_every;    /* seconds between edits of a storm's message */
	long long alerts_forecast_days; /* days ahead of an end of life a planned ticket opens; 0: never */
	/* [digest] */
	int digest_send_at;           /* minutes after local midnight the digest is queued */
	/* [priority]: a ticket's priority per check code, for WARNING and CRITICAL */
	struct alert_priority *alert_prio;
	size_t n_alert_prio;
	/* The file's mode when it holds a secret that its group or others may read; else 0. */
	unsigned secrets_exposed_mode;
};

/*
 * Fills cfg with the embedded defaults, then the file at path (NULL: none),
 * then the environment. On failure returns TD_EINVAL with a message such as
 * "tilldesk.ini:12: unknown key 'tokn' in [telegram]" in err, and cfg holds
 * nothing to free. On success release cfg with config_release().
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
void config_release(struct config *cfg);

/*
 * The policy for tier and priority (1-4): the tier's own, else the
 * "standard" tier's, which always exists.
 */
const struct sla_policy *config_sla_policy(const struct config *cfg, const char *tier,
					   int priority);

/* The priority of an alert of code at severity critical or not. */
int config_alert_priority(const struct config *cfg, const char *code, bool critical);

/* Writes config.example.ini, generated from the table, to out. */
void config_write_example(FILE *out);
/* Writes the effective settings, secrets masked, to out. */
void config_write_effective(const struct config *cfg, FILE *out);

#endif
