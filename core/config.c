#include <ini.h>

#include "core/config.h"
#include "core/log.h"

enum cfg_type { CFG_STRING, CFG_SECRET, CFG_INT, CFG_DURATION, CFG_CHOICE };

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t offset;          /* into struct config */
	long long min, max;     /* CFG_INT, CFG_DURATION (seconds) */
	const char *choices;    /* CFG_CHOICE: "a|b|c" */
	const char *env;        /* environment variable that overrides, or NULL */
	const char *def;        /* default, parsed like a value from the file */
	const char *help;       /* one or more lines for config.example.ini */
};

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
	  "Account 'tilldesk serve' switches to when started as root; without one it\n"
	  "refuses to run as root. The database's directory must be writable by it." },

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
	{ "telegram", "group_rate", CFG_INT, F(tg_group_rate), 2, 6000, NULL, NULL, "20",
	  "Messages per minute the bot sends to one group (Telegram allows 20)." },
	{ "telegram", "global_rate", CFG_INT, F(tg_global_rate), 3, 1000, NULL, NULL, "30",
	  "Messages per second the bot sends overall (Telegram allows about 30)." },

	{ "kb", "threshold", CFG_INT, F(kb_threshold), 1, 100, NULL, NULL, "50",
	  "Confidence (percent) from which the bot answers a cashier with a\n"
	  "knowledge-base article before opening a ticket; below it, no answer." },
	{ "kb", "hint", CFG_INT, F(kb_hint), 1, 100, NULL, NULL, "30",
	  "Confidence (percent) from which the engineers' card shows the best\n"
	  "article as a hint." },

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
};

int config_parse_duration(int64_t *out, const char *s)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	int64_t total = 0;
	const char *p = s;
	if (!*p)
		return TD_EINVAL;
	while (*p) {
		if (*p < '0' || *p > '9')
			return TD_EINVAL;
		int64_t n = 0;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p++ - '0');
			if (n > 1000000000)
				return TD_EINVAL;
		}
		size_t i;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (*p == units[i].unit)
				break;
		if (i == ARRAY_SIZE(units))
			return TD_EINVAL;
		p++;
		total += n * units[i].secs;
		if (total > 100LL * 365 * 86400)
			return TD_EINVAL;
	}
	*out = total;
	return 0;
}

static bool choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, v, n))
			return true;
		p += len + (bar ? 1 : 0);
	}
	return false;
}

/* Checks value against key and stores it; on error writes the reason. */
static int key_set(struct config *cfg, const struct cfg_key *k, const char *value,
		   char *err, size_t errlen)
{
	void *field = (char *)cfg + k->offset;
	long long i;
	int64_t d;

	switch (k->type) {
	case CFG_STRING:
	case CFG_SECRET:
	case CFG_CHOICE:
		if (k->type == CFG_CHOICE && !choice_ok(k->choices, value)) {
			snprintf(err, errlen, "%s.%s: '%s' is not one of %s", k->section, k->name,
				 value, k->choices);
			return TD_EINVAL;
		}
		if (!utf8_valid(value, strlen(value))) {
			snprintf(err, errlen, "%s.%s: value is not valid UTF-8", k->section, k->name);
			return TD_EINVAL;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case CFG_INT:
		if (parse_int(&i, value, k->min, k->max)) {
			snprintf(err, errlen, "%s.%s: '%s' is not an integer from %lld to %lld",
				 k->section, k->name, value, k->min, k->max);
			return TD_EINVAL;
		}
		*(long long *)field = i;
		return 0;
	case CFG_DURATION:
		if (config_parse_duration(&d, value)) {
			snprintf(err, errlen, "%s.%s: '%s' is not a duration (such as 90s, 15m, 4h, 2d)",
				 k->section, k->name, value);
			return TD_EINVAL;
		}
		if (d < k->min || d > k->max) {
			snprintf(err, errlen, "%s.%s: %s is out of range (%llds to %llds)",
				 k->section, k->name, value, k->min, k->max);
			return TD_EINVAL;
		}
		*(int64_t *)field = d;
		return 0;
	}
	return TD_EINVAL;
}

struct load_state {
	struct config *cfg;
	bool seen[ARRAY_SIZE(keys)];
	char *err;
	size_t errlen;
	bool failed;
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	char reason[512];
	int rc = TD_EINVAL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			break;
	if (i == ARRAY_SIZE(keys)) {
		bool known_section = false;
		for (size_t j = 0; j < ARRAY_SIZE(keys); j++)
			known_section |= !strcmp(keys[j].section, section);
		if (!*section)
			snprintf(reason, sizeof(reason), "key '%s' outside any [section]", name);
		else if (known_section)
			snprintf(reason, sizeof(reason), "unknown key '%s' in [%s]", name, section);
		else
			snprintf(reason, sizeof(reason), "unknown section [%s]", section);
	} else if (st->seen[i]) {
		snprintf(reason, sizeof(reason), "%s.%s is set twice", section, name);
	} else {
		st->seen[i] = true;
		rc = key_set(st->cfg, &keys[i], value, reason, sizeof(reason));
	}
	if (rc && !st->failed) {
		/* inih reports the first failing line; keep the matching reason. */
		st->failed = true;
		snprintf(st->err, st->errlen, "%s", reason);
	}
	return rc == 0;
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].type == CFG_STRING || keys[i].type == CFG_SECRET ||
		    keys[i].type == CFG_CHOICE) {
			char **field = (char **)((char *)cfg + keys[i].offset);
			free(*field);
			*field = NULL;
		}
	}
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char reason[512];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (key_set(cfg, &keys[i], keys[i].def, reason, sizeof(reason)))
			fatal("built-in default is invalid: %s", reason);

	if (path) {
		struct load_state st = { .cfg = cfg, .err = reason, .errlen = sizeof(reason) };
		FILE *f = fopen(path, "r");
		if (!f) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		int line = ini_parse_file(f, on_ini_entry, &st);
		fclose(f);
		if (line) {
			if (line > 0 && !st.failed)
				snprintf(reason, sizeof(reason), "syntax error (expected 'key = value' or '[section]')");
			else if (line < 0)
				snprintf(reason, sizeof(reason), "cannot read the file");
			snprintf(err, errlen, "%s:%d: %s", path, line > 0 ? line : 0, reason);
			goto fail;
		}
	}

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *v = keys[i].env ? getenv(keys[i].env) : NULL;
		if (v && key_set(cfg, &keys[i], v, reason, sizeof(reason))) {
			snprintf(err, errlen, "%s: %s", keys[i].env, reason);
			goto fail;
		}
	}
	return 0;
fail:
	config_release(cfg);
	return TD_EINVAL;
}

static void write_help(FILE *out, const char *help)
{
	for (const char *p = help; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(out, "; %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
}

void config_write_example(FILE *out)
{
	const char *section = NULL;
	fputs("; tilldesk configuration. Every key is optional: the values shown are\n"
	      "; the built-in defaults. Durations take units: 90s, 15m, 4h, 2d.\n"
	      "; Generated by 'tilldesk config example'.\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!section || strcmp(section, keys[i].section)) {
			section = keys[i].section;
			fprintf(out, "\n[%s]\n", section);
		}
		write_help(out, keys[i].help);
		fprintf(out, "%s = %s\n", keys[i].name, keys[i].def);
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
		}
		fputc('\n', out);
	}
}
