/* The agent's settings: one table on core/conftab.c, check sections to their kinds. */
#include "agent/agent_config.h"
#include "core/conftab.h"

#define F(field) offsetof(struct agent_config, field)
#define DAY (24LL * 3600)

static const struct cfg_key keys[] = {
	{ "agent", "server", CFG_STRING, F(server), 0, 0, NULL, NULL, "",
	  "Base URL of the tilldesk server's ingest (its [ingest] listen), such as\n"
	  "http://desk.example:8461; events go to SERVER/api/v1/events." },
	{ "agent", "token", CFG_SECRET, F(token), 0, 0, NULL, "TILLDESK_AGENT_TOKEN", "",
	  "The till's token, printed once by 'tilldesk till add'. Never logged.\n"
	  "Better kept in token_file; the environment variable\n"
	  "TILLDESK_AGENT_TOKEN, when set, takes precedence." },
	{ "agent", "token_file", CFG_STRING, F(token_file), 0, 0, NULL, NULL, "",
	  "A file holding the token on its first line instead; it must belong to\n"
	  "the agent's account and have mode 0600, else the agent refuses to start." },
	{ "agent", "interval", CFG_DURATION, F(interval), 1, DAY, NULL, NULL, "60s",
	  "How often the checks run (1s to 1d). Each pass sends a state change at\n"
	  "once and every check's state as a heartbeat." },
	{ "agent", "timeout", CFG_DURATION, F(timeout), 1, 300, NULL, NULL, "10s",
	  "The longest one request to the server may take (1s to 5m)." },
	{ "agent", "retry_max", CFG_DURATION, F(retry_max), 1, DAY, NULL, NULL, "5m",
	  "While the server cannot be reached, retries back off, with jitter, up\n"
	  "to this long apart (unless its Retry-After asks for longer)." },
	{ "agent", "spool", CFG_STRING, F(spool), 0, 0, NULL, NULL, "/var/lib/tilldesk-agent/spool.db",
	  "The SQLite file where every event waits until the server acknowledged it." },
	{ "agent", "spool_max", CFG_INT, F(spool_max), 100, 10000000, NULL, NULL, "50000",
	  "The most events the spool keeps; when full the oldest heartbeats go\n"
	  "(counted and reported), never a state change." },
	{ "agent", "state_dir", CFG_STRING, F(state_dir), 0, 0, NULL, NULL, "/var/lib/tilldesk-agent",
	  "Where checks keep their state (the log check's read positions)." },
	{ "agent", "fsrar_id", CFG_STRING, F(fsrar_id), 0, 0, NULL, NULL, "",
	  "The store's ФСРАР ID; the УТМ check compares the УТМ's with it. Empty:\n"
	  "not compared." },
	{ "agent", "log_level", CFG_CHOICE, F(log_level), 0, 0, "debug|info|warn|error", NULL, "info",
	  "Least important level written to stderr: debug, info, warn or error." },
};

static struct agent_check *check_of(struct agent_config *cfg, const char *section)
{
	for (size_t i = 0; i < cfg->n_checks; i++)
		if (!strcmp(cfg->checks[i].section, section))
			return &cfg->checks[i];
	return NULL;
}

static struct agent_check *check_new(struct agent_config *cfg, const struct check_kind *kind,
				     const char *section)
{
	cfg->checks = xrealloc(cfg->checks, (cfg->n_checks + 1) * sizeof(*cfg->checks));
	struct agent_check *c = &cfg->checks[cfg->n_checks++];
	c->kind = kind;
	c->self = kind->create();
	snprintf(c->section, sizeof(c->section), "%s", section);
	return c;
}

/* [check.KIND] and [check.KIND NAME]: each key to the kind's set(); name NULL: no keys. */
static int check_entry(void *obj, const char *section, const char *name, const char *value,
		       char *err, size_t errlen)
{
	struct agent_config *cfg = obj;
	char kind_name[33], reason[400];
	if (strncmp(section, "check.", 6))
		return CFG_NOT_MINE;
	size_t len = strcspn(section + 6, " \t");
	snprintf(kind_name, sizeof(kind_name), "%.*s", (int)len, section + 6);
	const struct check_kind *kind = check_kind_find(kind_name);
	if (!kind) {
		snprintf(err, errlen, "[%s]: no check of kind '%s'", section, kind_name);
		return TD_EINVAL;
	}
	struct agent_check *c = check_of(cfg, section);
	if (c && (!cfg->loading || c != &cfg->checks[cfg->loading - 1])) {
		snprintf(err, errlen, "[%s] appears twice", section);
		return TD_EINVAL;
	}
	if (!c) {
		if (strlen(section) >= sizeof(c->section)) {
			snprintf(err, errlen, "[%s]: the name is too long", section);
			return TD_EINVAL;
		}
		c = check_new(cfg, kind, section);
		cfg->loading = cfg->n_checks;
		/* [check.tcp ofd]: the instance's name comes before its keys. */
		const char *instance = section + 6 + len + strspn(section + 6 + len, " \t");
		if (*instance && kind->set(c->self, CHECK_KEY_INSTANCE, instance, reason,
					   sizeof(reason))) {
			snprintf(err, errlen, "[%s]: %s", section, reason);
			return TD_EINVAL;
		}
	}
	if (!name)   /* a section with no keys: the kind's defaults */
		return 0;
	if (kind->set(c->self, name, value, reason, sizeof(reason))) {
		snprintf(err, errlen, "%s.%s: %s", section, name, reason);
		return TD_EINVAL;
	}
	return 0;
}

static int check_section_end(void *obj, const char *section, char *err, size_t errlen)
{
	struct agent_config *cfg = obj;
	struct agent_check *c = check_of(cfg, section);
	char reason[400];
	cfg->loading = 0;
	if (c && c->kind->ready(c->self, reason, sizeof(reason))) {
		snprintf(err, errlen, "[%s]: %s", section, reason);
		return TD_EINVAL;
	}
	return 0;
}

static void checks_release(void *obj)
{
	struct agent_config *cfg = obj;
	for (size_t i = 0; i < cfg->n_checks; i++)
		cfg->checks[i].kind->destroy(cfg->checks[i].self);
	free(cfg->checks);
	cfg->checks = NULL;
	cfg->n_checks = 0;
}

static const struct cfg_table table = {
	.keys = keys,
	.n_keys = ARRAY_SIZE(keys),
	.preamble = "; tilldesk-agent configuration (README: \"The till agent\"). Every\n"
		    "; [agent] key is optional but server and the token; the values shown\n"
		    "; are the built-in defaults. Durations take units: 90s, 15m, 4h, 2d.\n"
		    "; Each [check.KIND] section (or [check.KIND NAME], to run a kind twice)\n"
		    "; turns a check on. Generated by 'tilldesk-agent config example'.\n",
	.other = check_entry,
	.section_end = check_section_end,
	.release = checks_release,
};

int agent_config_load(struct agent_config *cfg, const char *path, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	if (cfg_load(&table, cfg, path, &cfg->secrets_exposed_mode, err, errlen))
		return TD_EINVAL;
	/* The clock check needs no settings: always on. */
	if (!check_of(cfg, "check.clock"))
		check_new(cfg, check_kind_find("clock"), "check.clock");
	return 0;
}

int agent_config_read_token(struct agent_config *cfg, bool *changed, char *err, size_t errlen)
{
	char token[512];
	int rc = 0;
	if (changed)
		*changed = false;
	/* The environment's token wins, as at start: the file is not ours to follow. */
	if (!cfg->token_file[0] || getenv("TILLDESK_AGENT_TOKEN"))
		return 0;
	/* A failed read may leave part of the file in token: wiped on every path. */
	if (cfg_read_secret_file(cfg->token_file, token, sizeof(token), err, errlen)) {
		rc = TD_EINVAL;
		goto done;
	}
	if (!cfg->token || strcmp(cfg->token, token)) {
		if (cfg->token)
			explicit_bzero(cfg->token, strlen(cfg->token));
		free(cfg->token);
		cfg->token = xstrdup(token);
		if (changed)
			*changed = true;
	}
done:
	explicit_bzero(token, sizeof(token));
	return rc;
}

void agent_config_release(struct agent_config *cfg)
{
	if (cfg->token)
		explicit_bzero(cfg->token, strlen(cfg->token));
	cfg_release(&table, cfg);
}

void agent_config_write_example(FILE *out)
{
	const struct check_kind *k;
	cfg_write_example(&table, out);
	for (size_t i = 0; (k = check_kind_at(i)); i++)
		if (k->example)
			fprintf(out, "\n%s", k->example);
}
