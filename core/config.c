#include <ini.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/log.h"

enum cfg_type { CFG_STRING, CFG_SECRET, CFG_INT, CFG_DURATION, CFG_CHOICE, CFG_SLA };

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
};

/* The longest duration a config takes, in any unit. */
#define DURATION_MAX (100LL * 365 * 86400)

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
			/* Bounded by the total, not by a digit count: what config show
			 * prints in seconds must read back. */
			if (n > DURATION_MAX)
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
		if (total > DURATION_MAX)
			return TD_EINVAL;
	}
	*out = total;
	return 0;
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
	case CFG_SLA:
		return sla_set(cfg, k->name, value, err, errlen);
	}
	return TD_EINVAL;
}

struct load_state {
	struct config *cfg;
	bool seen[ARRAY_SIZE(keys)];
	char extra[256][48];  /* [sla] policies of other tiers seen so far */
	size_t n_extra;
	char *err;
	size_t errlen;
	bool failed;
};

/* A policy of a tier other than standard's; set twice is refused like any key. */
static int other_tier(struct load_state *st, const char *name, const char *value, char *err,
		      size_t errlen)
{
	for (size_t j = 0; j < st->n_extra; j++) {
		if (!strcmp(st->extra[j], name)) {
			snprintf(err, errlen, "sla.%s is set twice", name);
			return TD_EINVAL;
		}
	}
	if (st->n_extra == ARRAY_SIZE(st->extra) || strlen(name) >= sizeof(st->extra[0])) {
		snprintf(err, errlen, "sla.%s: too many policies, or the name is too long", name);
		return TD_EINVAL;
	}
	snprintf(st->extra[st->n_extra++], sizeof(st->extra[0]), "%s", name);
	return sla_set(st->cfg, name, value, err, errlen);
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	char reason[512];
	int rc = TD_EINVAL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			break;
	if (i == ARRAY_SIZE(keys) && !strcmp(section, "sla") && strchr(name, '.')) {
		rc = other_tier(st, name, value, reason, sizeof(reason));
	} else if (i == ARRAY_SIZE(keys)) {
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
	free(cfg->sla);
	cfg->sla = NULL;
	cfg->n_sla = 0;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (keys[i].type == CFG_STRING || keys[i].type == CFG_SECRET ||
		    keys[i].type == CFG_CHOICE) {
			char **field = (char **)((char *)cfg + keys[i].offset);
			free(*field);
			*field = NULL;
		}
	}
}

/*
 * inih's reader, fgets() but for lines longer than inih's buffer: inih
 * would parse the rest of such a line as a line of its own (a value cut
 * short, a "syntax error" on the wrong line). Stops the parse instead.
 */
struct line_reader {
	FILE *f;
	int line;       /* lines read so far */
	int too_long;   /* the line that did not fit, 0 for none */
	int max;        /* the longest line that fits, in bytes */
};

static char *read_line(char *str, int num, void *stream)
{
	struct line_reader *r = stream;
	if (!fgets(str, num, r->f))
		return NULL;
	r->line++;
	size_t n = strlen(str);
	if (n + 1 == (size_t)num && str[n - 1] != '\n') {
		int c = getc(r->f);
		if (c == '\n' || c == EOF)  /* it fitted, but for its newline */
			return str;
		r->too_long = r->line;
		r->max = num - 1;
		return NULL;
	}
	return str;
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
		struct line_reader r = { .f = f };
		int line = ini_parse_stream(read_line, &r, on_ini_entry, &st);
		struct stat fst;
		bool secret = false;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			secret |= st.seen[i] && keys[i].type == CFG_SECRET;
		if (secret && !fstat(fileno(f), &fst) && (fst.st_mode & (S_IRGRP | S_IROTH)))
			cfg->secrets_exposed_mode = fst.st_mode & 07777;
		fclose(f);
		if (!line && r.too_long) {
			line = r.too_long;
			st.failed = true;
			snprintf(reason, sizeof(reason), "line longer than %d bytes", r.max);
		}
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
			write_policy(out, config_sla_policy(cfg, "standard", (int)keys[i].min));
			break;
		}
		fputc('\n', out);
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
