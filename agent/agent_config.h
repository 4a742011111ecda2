/*
 * agent_config.h - tilldesk-agent's settings: the [agent] table on the
 * daemon's config engine (core/conftab.h) and the [check.KIND] sections,
 * each handed to its kind (agent/check.h).
 */
#ifndef TD_AGENT_CONFIG_H
#define TD_AGENT_CONFIG_H

#include "agent/check.h"

#define AGENT_CONFIG_DEFAULT "/etc/tilldesk-agent/agent.ini"

/* One configured check: [check.KIND] or [check.KIND NAME]. */
struct agent_check {
	const struct check_kind *kind;
	void *self;             /* the kind's instance, owned */
	char section[96];       /* "check.tcp ofd" */
};

struct agent_config {
	/* [agent] */
	char *server;           /* base URL of the daemon's ingest */
	char *token;            /* secret: the till's token, from token or token_file */
	char *token_file;
	int64_t interval;       /* seconds between passes */
	int64_t timeout;        /* one request to the server, seconds */
	int64_t retry_max;      /* the longest backoff, seconds */
	char *spool;
	char *state_dir;
	char *fsrar_id;
	long long spool_max;
	char *log_level;
	/* [check.*], in the file's order; clock is always there */
	struct agent_check *checks;
	size_t n_checks;
	unsigned secrets_exposed_mode;  /* the file's mode when it holds the token readable by others */
	size_t loading;         /* while loading: 1 + the index of the check being read, 0: none */
};

/*
 * Loads path (NULL: defaults only). token_file is not read here: only the
 * service needs the token (agent_config_read_token), so that root may run
 * `check` and `spool` on a token file that belongs to the agent's account.
 * Returns 0, or TD_EINVAL with "file:line: reason" in err (cfg then holds
 * nothing). Release with agent_config_release().
 */
int agent_config_load(struct agent_config *cfg, const char *path, char *err, size_t errlen);
void agent_config_release(struct agent_config *cfg);

/*
 * Reads token_file into cfg->token: the file must be ours and 0600
 * (cfg_read_secret_file). The service calls it at start, and again when the
 * server refuses the token (401): after `tilldesk till token --rotate`,
 * writing the new token into the file is all it takes. *changed (may be
 * NULL) tells whether the file now holds another token. Nothing to do (0)
 * without a token_file or when TILLDESK_AGENT_TOKEN is set. Returns 0 or
 * TD_EINVAL with the reason in err.
 */
int agent_config_read_token(struct agent_config *cfg, bool *changed, char *err, size_t errlen);

/* The example settings file: the [agent] table and every kind's section. */
void agent_config_write_example(FILE *out);

#endif
