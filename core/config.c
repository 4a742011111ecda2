/* The daemon's settings: its table on the engine of core/conftab.c. */
#include "core/config.h"
#include "core/log.h"

/* An [sla] policy row: parsed by sla_set(); its min is the priority. */
#define CFG_SLA CFG_CUSTOM

#define F(field) offsetof(struct config, field)
#define DAY (24LL * 3600)

static const struct cfg_key keys[] = {
	{ "general", "language", CFG_CHOICE, F(language), 0, 0, "ru|en", NULL, "ru",
	  "Language of everything users see: ru or en." },
	{ "general", "database", CFG_STRING, F(database), 0, 0, NULL, NULL, "tilldesk.db",
	  "Path of the SQLite database; created by 'tilldesk init'." },
	{ "general", "log_level", CFG_CHOICE, F(log_level), 0, 0, "debug|info|warn|error", NULL, "info",
	  "Least important level written to stderr: debug, info, warn or error." },

	{ "general", "user", CFG_STRING, F(user), 0, 0, NULL, NULL, "",
	  "Account every command becomes, when started as root, before it opens the\n"
	  "database; without one 'tilldesk serve' refuses to run as root. It must own\n"
	  "the database's directory and files (tilldesk never changes an owner)." },

	{ "telegram", "token", CFG_SECRET, F(tg_token), 0, 0, NULL, "TILLDESK_TELEGRAM_TOKEN", "",
	  "Bot token from @BotFather. Never logged. The environment variable\n"
	  "TILLDESK_TELEGRAM_TOKEN, when set, takes precedence." },
	{ "telegram", "api_url", CFG_STRING, F(tg_api_url), 0, 0, NULL, NULL, "https://api.telegram.org",
	  "Base URL of the Bot API: Telegram itself, a self-hosted Bot API server\n"
	  "or the test emulator." },
	{ "telegram", "bot_username", CFG_STRING, F(tg_bot_username), 0, 0, NULL, NULL, "",
	  "The bot's @username without the @, used in invite links." },
	{ "telegram", "engineers_chat", CFG_INT, F(tg_engineers_chat), -(1LL << 52), 1LL << 52, NULL, NULL, "0",
	  "Id of the engineers' group chat (negative for groups); 0 for none." },
	{ "telegram", "poll_timeout", CFG_DURATION, F(tg_poll_timeout), 1, 50, NULL, NULL, "30s",
	  "How long one getUpdates long poll waits for news (1s to 50s)." },
	{ "telegram", "chat_rate", CFG_INT, F(tg_chat_rate), 1, 1000, NULL, NULL, "1",
	  "Messages per second the bot sends to one chat (Telegram allows about 1)." },
	{ "telegram", "group_rate", CFG_INT, F(tg_group_rate), 2, 60000, NULL, NULL, "20",
	  "Messages per minute the bot sends to one group (Telegram allows 20)." },
	{ "telegram", "global_rate", CFG_INT, F(tg_global_rate), 3, 1000, NULL, NULL, "30",
	  "Messages per second the bot sends overall (Telegram allows about 30)." },
	{ "telegram", "max_in_flight", CFG_INT, F(tg_max_in_flight), 1, 256, NULL, NULL, "16",
	  "Bot API calls the sender keeps in flight at once (one per private\n"
	  "chat, one per ticket in a group, so their messages stay in order);\n"
	  "over a network with a round trip of r seconds the sender delivers at\n"
	  "most max_in_flight / r per second." },
	{ "telegram", "relay", CFG_CHOICE, F(tg_relay), 0, 0, "group|assignee", NULL, "assignee",
	  "Where a claimed ticket's conversation goes: assignee, the engineer's\n"
	  "private chat with the bot (the cashier's messages and files, each with\n"
	  "the ticket's number; the engineer answers there by replying), the group\n"
	  "keeping the card with a count of them; group, every message in the\n"
	  "engineers' group as replies to the card. An engineer who has not opened\n"
	  "the private chat (or blocked the bot) keeps the group, and is told once." },
	{ "telegram", "card_every", CFG_DURATION, F(tg_card_every), 0, DAY, NULL, NULL, "60s",
	  "With relay = assignee: the card's count of the cashier's messages is\n"
	  "edited at most once per this time (0s: at each message)." },

	{ "routing", "fiscal", CFG_INT, F(route_chat[ROUTE_FISCAL]), -(1LL << 52), 1LL << 52, NULL, NULL, "0",
	  "Engineers' chats by the category of a ticket's knowledge-base article\n"
	  "(a cashier's best article, an agent's check's article); 0: the ticket\n"
	  "stays in telegram.engineers_chat, as does one without an article.\n"
	  "Engineers act from any of these chats. Fiscal: ФН, ОФД, смена, часы." },
	{ "routing", "egais", CFG_INT, F(route_chat[ROUTE_EGAIS]), -(1LL << 52), 1LL << 52, NULL, NULL, "0",
	  "ЕГАИС and marking: УТМ/ЕГАИС, маркировка." },
	{ "routing", "network", CFG_INT, F(route_chat[ROUTE_NETWORK]), -(1LL << 52), 1LL << 52, NULL, NULL, "0",
	  "The network: сеть." },
	{ "routing", "hardware", CFG_INT, F(route_chat[ROUTE_HARDWARE]), -(1LL << 52), 1LL << 52, NULL, NULL, "0",
	  "Hardware: принтер, связь с ККТ, оборудование." },
	{ "routing", "pos", CFG_INT, F(route_chat[ROUTE_POS]), -(1LL << 52), 1LL << 52, NULL, NULL, "0",
	  "The POS software: ПО кассы." },

	{ "kb", "threshold", CFG_INT, F(kb_threshold), 1, 100, NULL, NULL, "50",
	  "Confidence (percent) from which the bot answers a cashier with a\n"
	  "knowledge-base article before opening a ticket; below it, no answer." },
	{ "kb", "hint", CFG_INT, F(kb_hint), 1, 100, NULL, NULL, "30",
	  "Confidence (percent) from which the engineers' card shows the best\n"
	  "article as a hint." },

	{ "sla", "warn_at", CFG_INT, F(sla_warn_at), 1, 99, NULL, NULL, "75",
	  "Share of a reaction or resolution time (percent) at which the engineers'\n"
	  "chat is warned that a ticket nears its deadline." },
	{ "sla", "standard.p1", CFG_SLA, 0, 1, 0, NULL, NULL, "15m 4h 24/7",
	  "Policies: TIER.pN = REACTION RESOLUTION [24/7], per service tier (as in\n"
	  "'tilldesk org add --tier') and priority P1-P4. Times count the store's\n"
	  "working hours in its time zone, or round the clock with 24/7; units\n"
	  "s, m, h, d (24 hours of that clock) and wd (the store's working days);\n"
	  "- for none. A tier without a line for a priority uses standard's.\n"
	  "P1, critical: the till or the drive is blocked." },
	{ "sla", "standard.p2", CFG_SLA, 0, 2, 0, NULL, NULL, "1h 8h",
	  "P2, high: one till of several down, УТМ down." },
	{ "sla", "standard.p3", CFG_SLA, 0, 3, 0, NULL, NULL, "4h 3wd",
	  "P3, normal: a drive or certificate expires within 30 days." },
	{ "sla", "standard.p4", CFG_SLA, 0, 4, 0, NULL, NULL, "1wd -",
	  "P4, low: questions." },

	{ "invites", "ttl", CFG_DURATION, F(invite_ttl), 60, 90 * DAY, NULL, NULL, "7d",
	  "How long an invite link stays valid (1m to 90d)." },

	{ "smtp", "host", CFG_STRING, F(smtp_host), 0, 0, NULL, NULL, "",
	  "Mail server for owners' e-mail; empty disables e-mail." },
	{ "smtp", "port", CFG_INT, F(smtp_port), 1, 65535, NULL, NULL, "587",
	  "Its port (587 submission with STARTTLS, 465, or 25)." },
	{ "smtp", "user", CFG_STRING, F(smtp_user), 0, 0, NULL, NULL, "",
	  "User name for SMTP authentication; empty for none." },
	{ "smtp", "password", CFG_SECRET, F(smtp_password), 0, 0, NULL, "TILLDESK_SMTP_PASSWORD", "",
	  "Its password. Never logged. TILLDESK_SMTP_PASSWORD, when set, takes\n"
	  "precedence." },
	{ "smtp", "from", CFG_STRING, F(smtp_from), 0, 0, NULL, NULL, "tilldesk@localhost",
	  "Sender address of the mail tilldesk sends." },
	{ "smtp", "starttls", CFG_CHOICE, F(smtp_starttls), 0, 0, "required|optional|off", NULL, "required",
	  "TLS on the connection (STARTTLS): required (no letter goes out in the\n"
	  "clear), optional (when the server offers it) or off. The server's\n"
	  "certificate is always verified, its name against host." },
	{ "smtp", "timeout", CFG_DURATION, F(smtp_timeout), 1, 600, NULL, NULL, "30s",
	  "Time the connection and each step of a session (greeting, each command,\n"
	  "the message's transfer) may take before the attempt is given up and\n"
	  "retried later (1s to 10m)." },
	{ "smtp", "ca_file", CFG_STRING, F(smtp_ca_file), 0, 0, NULL, NULL, "",
	  "PEM file of CA certificates trusted for the server's certificate besides\n"
	  "the system's (a private CA); empty: the system's only." },
	{ "smtp", "retry_after", CFG_DURATION, F(smtp_retry_after), 1, 3600, NULL, NULL, "1m",
	  "Wait before a letter the server could not take for now (4xx, the\n"
	  "network, TLS, AUTH) is tried again; each further wait doubles, up to\n"
	  "an hour. A 5xx for a recipient is final for that recipient." },

	{ "imap", "url", CFG_STRING, F(imap_url), 0, 0, NULL, NULL, "",
	  "Mailbox whose letters become tickets, imaps://host[:port]/INBOX\n"
	  "(imap:// with starttls below). Empty: no e-mail intake." },
	{ "imap", "user", CFG_STRING, F(imap_user), 0, 0, NULL, NULL, "",
	  "User name for the mailbox." },
	{ "imap", "password", CFG_SECRET, F(imap_password), 0, 0, NULL, "TILLDESK_IMAP_PASSWORD", "",
	  "Its password. Never logged. TILLDESK_IMAP_PASSWORD, when set, takes\n"
	  "precedence." },
	{ "imap", "starttls", CFG_CHOICE, F(imap_starttls), 0, 0, "required|off", NULL, "required",
	  "For imap:// URLs: TLS by STARTTLS required, or off (a test server on\n"
	  "this machine). imaps:// is always TLS. The certificate is always\n"
	  "verified (smtp.ca_file's private CA too)." },
	{ "imap", "poll", CFG_DURATION, F(imap_poll), 1, 3600, NULL, NULL, "30s",
	  "How often the mailbox is looked at for new letters (1s to 1h)." },
	{ "imap", "max_letter", CFG_INT, F(imap_max_letter), 1024, 100 << 20, NULL, NULL, "10485760",
	  "Bytes a letter may have; a bigger one is not taken and its sender is\n"
	  "told so politely." },
	{ "imap", "attachment_max", CFG_INT, F(imap_attachment_max), 0, 50 << 20, NULL, NULL, "5242880",
	  "Bytes one attachment may have to be kept with the ticket and shown to\n"
	  "the engineers; a bigger one is named on the card only. 0: keep none." },
	{ "imap", "per_sender_hour", CFG_INT, F(imap_per_sender_hour), 1, 10000, NULL, NULL, "20",
	  "Letters one address may send in an hour; the rest are recorded, not\n"
	  "taken, and the sender is told once an hour." },

	{ "ingest", "listen", CFG_STRING, F(ingest_listen), 0, 0, NULL, NULL, "127.0.0.1:8461",
	  "Address and port where 'tilldesk serve' takes the till agents' events\n"
	  "(doc/AGENT-API.md): IPv4 or [IPv6]:port; 0.0.0.0:8461 for every\n"
	  "interface. Empty: no endpoint." },
	{ "ingest", "tls_cert", CFG_STRING, F(ingest_tls_cert), 0, 0, NULL, NULL, "",
	  "PEM certificate (chain) for HTTPS; with tls_key. Empty: plain HTTP\n"
	  "(behind a TLS proxy, or on a trusted network)." },
	{ "ingest", "tls_key", CFG_STRING, F(ingest_tls_key), 0, 0, NULL, NULL, "",
	  "PEM private key of tls_cert, read before privileges are dropped." },
	{ "ingest", "connections", CFG_INT, F(ingest_connections), 1, 100000, NULL, NULL, "1024",
	  "Connections open at once at most; more wait in the kernel's queue." },
	{ "ingest", "per_address", CFG_INT, F(ingest_per_address), 0, 100000, NULL, NULL, "64",
	  "Connections from one address at most (a store's tills behind one NAT\n"
	  "share one); 0: no limit." },
	{ "ingest", "timeout", CFG_DURATION, F(ingest_timeout), 1, 600, NULL, NULL, "10s",
	  "Time a request's headers, then its body, may take to arrive, and a\n"
	  "connection may stay idle: a client sending slowly is cut off (1s to 10m)." },
	{ "ingest", "rate", CFG_INT, F(ingest_rate), 1, 100000, NULL, NULL, "20",
	  "Requests per second one till may make (a batch holds up to 500 events);\n"
	  "more get 429 with Retry-After." },
	{ "ingest", "burst", CFG_INT, F(ingest_burst), 1, 100000, NULL, NULL, "40",
	  "Requests one till may make at once before rate applies." },
	{ "ingest", "heartbeat_keep", CFG_DURATION, F(ingest_heartbeat_keep), 3600, 365 * DAY, NULL,
	  NULL, "1d",
	  "How long heartbeats are kept (to tell a repeated batch); state changes\n"
	  "are kept for good (1h to 365d)." },

	{ "alerts", "offline_after", CFG_DURATION, F(alert_offline_after), 10, 7 * DAY, NULL, NULL,
	  "5m",
	  "A till whose agent is not heard for this long is offline (counted from\n"
	  "the daemon's start when it was away: the agents may have posted to no\n"
	  "one); when every till of a store is, one store alert stands for them\n"
	  "(10s to 7d)." },
	{ "alerts", "recover_after", CFG_DURATION, F(alert_recover_after), 0, DAY, NULL, NULL, "2m",
	  "How long a check must stay OK before its alert counts as recovered." },
	{ "alerts", "recover_passes", CFG_INT, F(alert_recover_passes), 1, 1000, NULL, NULL, "2",
	  "How many OK passes it takes as well." },
	{ "alerts", "card_every", CFG_DURATION, F(alert_card_every), 0, DAY, NULL, NULL, "5m",
	  "Repeats of a fault are counted on its card, edited at most this often." },
	{ "alerts", "flap_changes", CFG_INT, F(alert_flap_changes), 2, 32, NULL, NULL, "4",
	  "A check that changes state this many times within flap_window flaps:\n"
	  "one notice «мигает», then silence until it has been stable for flap_settle." },
	{ "alerts", "flap_window", CFG_DURATION, F(alert_flap_window), 1, DAY, NULL, NULL, "30m",
	  NULL },
	{ "alerts", "flap_settle", CFG_DURATION, F(alert_flap_settle), 1, DAY, NULL, NULL, "15m",
	  NULL },
	{ "alerts", "storm_min", CFG_INT, F(alert_storm_min), 2, 100000, NULL, NULL, "5",
	  "When this many tills report one code within storm_window, the rest join\n"
	  "one message listing the stores and tills (one ticket), edited at most\n"
	  "every storm_every, instead of a card each." },
	{ "alerts", "storm_window", CFG_DURATION, F(alert_storm_window), 1, DAY, NULL, NULL, "2m",
	  NULL },
	{ "alerts", "storm_every", CFG_DURATION, F(alert_storm_every), 1, 3600, NULL, NULL, "10s",
	  NULL },

	{ "alerts", "forecast_days", CFG_INT, F(alerts_forecast_days), 0, 365, NULL, NULL, "30",
	  "Days before a fiscal drive's or a certificate's end of life (the\n"
	  "equipment's date, in the store's days) when one planned P3 ticket opens\n"
	  "and the organisation's owners are told; 0: never." },

	{ "digest", "send_at", CFG_CUSTOM, 0, 0, 0, NULL, NULL, "08:00",
	  "Local time (HH:MM, in each organisation's zone: 'tilldesk org set ORG\n"
	  "--timezone ZONE', else its first store's) at which the daily digest of\n"
	  "the day before is queued to the organisation's owners, once a day; a\n"
	  "daemon that was down then sends it when it starts." },

#define PRIO(code, def, help) \
	{ "priority", code, CFG_CUSTOM, 0, 0, 0, NULL, NULL, def, help }
	PRIO("default", "3/2",
	     "A ticket's priority (1 highest, 4 lowest) for a check code's WARNING and\n"
	     "CRITICAL: \"W/C\", or one number for both. default: codes not listed\n"
	     "(plugins' too); any code may be added as a key."),
	PRIO("fn.blocked", "1", NULL), PRIO("fn.state", "2/1", NULL), PRIO("fn.flags", "3/2", NULL),
	PRIO("fn.expiring", "3/2", NULL), PRIO("fn.unsent", "3/2", NULL),
	PRIO("fn.shift", "3/2", NULL), PRIO("fn.stale", "3", NULL),
	PRIO("utm.down", "2", NULL), PRIO("utm.rsa", "2", NULL),
	PRIO("utm.cert_rsa", "3/2", NULL), PRIO("utm.cert_gost", "3/2", NULL),
	PRIO("utm.fsrar_id", "3", NULL), PRIO("clock.skew", "3/2", NULL),
	PRIO("disk.space", "3/2", NULL), PRIO("disk.inodes", "3/2", NULL),
	PRIO("tcp.unreachable", "3/2", NULL), PRIO("ofd.unreachable", "3/2", NULL),
	PRIO("process.down", "3/2", NULL), PRIO("pos.down", "2/1", NULL),
	PRIO("file_age.stale", "3", NULL), PRIO("exchange.stale", "3", NULL),
	PRIO("pos.vat", "3", NULL),
	PRIO("till.offline", "2", "A till not heard for offline_after; a whole store: store.offline."),
	PRIO("store.offline", "1", NULL),
#undef PRIO
};

/* "W/C" or "P" into a code's priorities. */
static int priority_set(struct config *cfg, const char *code, const char *value, char *err,
			size_t errlen)
{
	struct alert_priority p = { 0 };
	long long w, c;
	char first[8];
	const char *slash = strchr(value, '/');
	size_t n = slash ? (size_t)(slash - value) : strlen(value);
	bool name_ok = *code && strlen(code) < sizeof(p.code);
	for (const char *ch = code; *ch && name_ok; ch++)
		name_ok = (*ch >= 'a' && *ch <= 'z') || (*ch >= '0' && *ch <= '9') || *ch == '_' ||
			  *ch == '.' || *ch == '-';
	if (!name_ok) {
		snprintf(err, errlen, "priority: '%s' is not a check code", code);
		return TD_EINVAL;
	}
	snprintf(first, sizeof(first), "%.*s", (int)(n < sizeof(first) ? n : 0), value);
	if (parse_int(&w, first, 1, 4) || parse_int(&c, slash ? slash + 1 : first, 1, 4)) {
		snprintf(err, errlen, "priority.%s: '%s' is not P or W/C with priorities 1 to 4",
			 code, value);
		return TD_EINVAL;
	}
	snprintf(p.code, sizeof(p.code), "%s", code);
	p.warning = (unsigned char)w;
	p.critical = (unsigned char)c;
	for (size_t i = 0; i < cfg->n_alert_prio; i++) {
		if (!strcmp(cfg->alert_prio[i].code, code)) {
			cfg->alert_prio[i] = p;
			return 0;
		}
	}
	cfg->alert_prio = xrealloc(cfg->alert_prio, (cfg->n_alert_prio + 1) * sizeof(p));
	cfg->alert_prio[cfg->n_alert_prio++] = p;
	return 0;
}

int config_alert_priority(const struct config *cfg, const char *code, bool critical)
{
	const struct alert_priority *def = NULL;
	for (size_t i = 0; i < cfg->n_alert_prio; i++) {
		const struct alert_priority *p = &cfg->alert_prio[i];
		if (!strcmp(p->code, code))
			return critical ? p->critical : p->warning;
		if (!strcmp(p->code, "default"))
			def = p;
	}
	return def ? (critical ? def->critical : def->warning) : 3;
}

/* One SLA budget: a duration, "Nwd" (working days) or "-" (none). */
static int parse_budget(int64_t *out, bool *days, const char *s)
{
	long long n;
	size_t len = strlen(s);
	*days = false;
	if (!strcmp(s, "-")) {
		*out = 0;
		return 0;
	}
	if (len > 2 && !strcmp(s + len - 2, "wd")) {
		char digits[16];
		if (len - 2 >= sizeof(digits))
			return TD_EINVAL;
		snprintf(digits, sizeof(digits), "%.*s", (int)(len - 2), s);
		if (parse_int(&n, digits, 1, 365))
			return TD_EINVAL;
		*out = n;
		*days = true;
		return 0;
	}
	return config_parse_duration(out, s) || *out <= 0 ? TD_EINVAL : 0;
}

/* "TIER.pN = REACTION RESOLUTION [24/7]" into cfg's policies. */
static int sla_set(struct config *cfg, const char *name, const char *value, char *err,
		   size_t errlen)
{
	struct sla_policy p = { 0 };
	char words[4][64];
	int n = 0;
	const char *dot = strrchr(name, '.');
	if (!dot || dot == name || (size_t)(dot - name) >= sizeof(p.tier) || dot[1] != 'p' ||
	    dot[2] < '1' || dot[2] > '4' || dot[3]) {
		snprintf(err, errlen, "unknown key '%s' in [sla] (policies are TIER.p1 to TIER.p4)", name);
		return TD_EINVAL;
	}
	snprintf(p.tier, sizeof(p.tier), "%.*s", (int)(dot - name), name);
	for (const char *c = p.tier; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-')) {
			snprintf(err, errlen, "sla.%s: a tier is lower-case letters, digits, _ and -", name);
			return TD_EINVAL;
		}
	p.priority = dot[2] - '0';
	for (const char *v = value; *v && n < 4;) {
		size_t len = strcspn(v, " \t");
		if (len && len < sizeof(words[0]))
			snprintf(words[n++], sizeof(words[0]), "%.*s", (int)len, v);
		else if (len)
			n = 4;
		v += len;
		v += strspn(v, " \t");
	}
	if (n < 2 || n > 3 || (n == 3 && strcmp(words[2], "24/7")) ||
	    parse_budget(&p.reaction, &p.reaction_days, words[0]) ||
	    parse_budget(&p.resolution, &p.resolution_days, words[1]) || !p.reaction) {
		snprintf(err, errlen, "sla.%s: '%s' is not REACTION RESOLUTION [24/7] (such as"
			 " '15m 4h 24/7', '4h 3wd' or '1wd -')", name, value);
		return TD_EINVAL;
	}
	p.always = n == 3;
	for (size_t i = 0; i < cfg->n_sla; i++) {
		if (!strcmp(cfg->sla[i].tier, p.tier) && cfg->sla[i].priority == p.priority) {
			cfg->sla[i] = p;
			return 0;
		}
	}
	cfg->sla = xrealloc(cfg->sla, (cfg->n_sla + 1) * sizeof(*cfg->sla));
	cfg->sla[cfg->n_sla++] = p;
	return 0;
}

const struct sla_policy *config_sla_policy(const struct config *cfg, const char *tier,
					   int priority)
{
	const struct sla_policy *standard = NULL;
	for (size_t i = 0; i < cfg->n_sla; i++) {
		if (cfg->sla[i].priority != priority)
			continue;
		if (!strcmp(cfg->sla[i].tier, tier))
			return &cfg->sla[i];
		if (!strcmp(cfg->sla[i].tier, "standard"))
			standard = &cfg->sla[i];
	}
	return standard;
}

/* "HH:MM" into minutes after local midnight. */
static int send_at_set(struct config *cfg, const char *value, char *err, size_t errlen)
{
	long long h, m;
	char hh[3];
	if (strlen(value) != 5 || value[2] != ':' ||
	    (snprintf(hh, sizeof(hh), "%.2s", value), parse_int(&h, hh, 0, 23)) ||
	    parse_int(&m, value + 3, 0, 59)) {
		snprintf(err, errlen, "digest.send_at: '%s' is not a time of day HH:MM (such as 08:00)",
			 value);
		return TD_EINVAL;
	}
	cfg->digest_send_at = (int)(h * 60 + m);
	return 0;
}

static int custom_row(void *obj, const struct cfg_key *k, const char *name, const char *value,
		      char *err, size_t errlen)
{
	if (!strcmp(k->section, "digest"))
		return send_at_set(obj, value, err, errlen);
	if (!strcmp(k->section, "priority"))
		return priority_set(obj, name, value, err, errlen);
	return sla_set(obj, name, value, err, errlen);
}

/* [sla] policies of tiers other than standard's, [priority] of other codes: no row of their own. */
static int custom_other(void *obj, const char *section, const char *name, const char *value,
			char *err, size_t errlen)
{
	if (name && !strcmp(section, "priority"))
		return priority_set(obj, name, value, err, errlen);
	if (!name || strcmp(section, "sla") || !strchr(name, '.'))
		return CFG_NOT_MINE;
	return sla_set(obj, name, value, err, errlen);
}

static void custom_release(void *obj)
{
	struct config *cfg = obj;
	free(cfg->sla);
	cfg->sla = NULL;
	cfg->n_sla = 0;
	free(cfg->alert_prio);
	cfg->alert_prio = NULL;
	cfg->n_alert_prio = 0;
}

static const struct cfg_table table = {
	.keys = keys,
	.n_keys = ARRAY_SIZE(keys),
	.preamble = "; tilldesk configuration. Every key is optional: the values shown are\n"
		    "; the built-in defaults. Durations take units: 90s, 15m, 4h, 2d.\n"
		    "; Generated by 'tilldesk config example'.\n",
	.custom = custom_row,
	.other = custom_other,
	.release = custom_release,
};

void config_release(struct config *cfg)
{
	cfg_release(&table, cfg);
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	return cfg_load(&table, cfg, path, &cfg->secrets_exposed_mode, err, errlen);
}

void config_write_example(FILE *out)
{
	cfg_write_example(&table, out);
}

static void write_budget(FILE *out, int64_t v, bool days)
{
	if (!v)
		fputs("-", out);
	else if (days)
		fprintf(out, "%lldwd", (long long)v);
	else
		fprintf(out, "%llds", (long long)v);
}

static void write_policy(FILE *out, const struct sla_policy *p)
{
	write_budget(out, p->reaction, p->reaction_days);
	fputc(' ', out);
	write_budget(out, p->resolution, p->resolution_days);
	if (p->always)
		fputs(" 24/7", out);
}

static void write_priority(FILE *out, const struct config *cfg, const char *code)
{
	int w = config_alert_priority(cfg, code, false), c = config_alert_priority(cfg, code, true);
	if (w == c)
		fprintf(out, "%d", w);
	else
		fprintf(out, "%d/%d", w, c);
}

/* The [priority] keys the file added for codes that have no row. */
static void write_other_priorities(FILE *out, const struct config *cfg)
{
	for (size_t j = 0; j < cfg->n_alert_prio; j++) {
		const char *code = cfg->alert_prio[j].code;
		bool row = false;
		for (size_t i = 0; i < ARRAY_SIZE(keys) && !row; i++)
			row = !strcmp(keys[i].section, "priority") && !strcmp(keys[i].name, code);
		if (row)
			continue;
		fprintf(out, "%s = ", code);
		write_priority(out, cfg, code);
		fputc('\n', out);
	}
}

void config_write_effective(const struct config *cfg, FILE *out)
{
	const char *section = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const void *field = (const char *)cfg + keys[i].offset;
		if (!section || strcmp(section, keys[i].section)) {
			section = keys[i].section;
			fprintf(out, "%s[%s]\n", i ? "\n" : "", section);
		}
		fprintf(out, "%s = ", keys[i].name);
		switch (keys[i].type) {
		case CFG_SECRET:
			fputs(**(char *const *)field ? "(set)" : "", out);
			break;
		case CFG_STRING:
		case CFG_CHOICE:
			fputs(*(char *const *)field, out);
			break;
		case CFG_INT:
			fprintf(out, "%lld", *(const long long *)field);
			break;
		case CFG_DURATION:
			fprintf(out, "%llds", (long long)*(const int64_t *)field);
			break;
		case CFG_SLA:
			if (!strcmp(section, "digest"))
				fprintf(out, "%02d:%02d", cfg->digest_send_at / 60, cfg->digest_send_at % 60);
			else if (!strcmp(section, "priority"))
				write_priority(out, cfg, keys[i].name);
			else
				write_policy(out, config_sla_policy(cfg, "standard", (int)keys[i].min));
			break;
		}
		fputc('\n', out);
		if (!strcmp(section, "priority") && i + 1 == ARRAY_SIZE(keys))
			write_other_priorities(out, cfg);
		if (keys[i].type == CFG_SLA && keys[i].min == 4) {
			for (size_t j = 0; j < cfg->n_sla; j++) {
				if (!strcmp(cfg->sla[j].tier, "standard"))
					continue;
				fprintf(out, "%s.p%d = ", cfg->sla[j].tier, cfg->sla[j].priority);
				write_policy(out, &cfg->sla[j]);
				fputc('\n', out);
			}
		}
	}
}
