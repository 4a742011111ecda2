/*
 * agent.h - one pass of the till agent: every configured check run once,
 * its results turned into events (a state change, or the state again as a
 * heartbeat) and stored in the spool before anything is sent.
 */
#ifndef TD_AGENT_AGENT_H
#define TD_AGENT_AGENT_H

#include "agent/agent_config.h"
#include "core/buf.h"
#include "storage/spool.h"

#define AGENT_NAME "tilldesk-agent/0.1"

struct agent {
	const struct agent_config *cfg;  /* borrowed */
	struct check_ctx ctx;            /* skew from the server's last answer */
	/* Each code's state after the last pass, to tell a change. */
	struct agent_last { char check[33]; char code[65]; enum check_state state; } *last;
	size_t n_last;
};

void agent_init(struct agent *a, const struct agent_config *cfg);
void agent_release(struct agent *a);

/*
 * Runs every check once at clock_now(); appends to out. Consumes nothing:
 * until agent_store() takes the results, the next pass reads the same log
 * lines again (`tilldesk-agent check` is a pass and no store).
 */
void agent_pass(struct agent *a, struct check_results *out);

/*
 * Stores rs as events observed at now: a code's first state since start,
 * or one that differs from the last pass's, is a "change"; the others are
 * heartbeats. *changes gets how many changes there were. Once the spool
 * holds them, each check's commit() makes what the pass read consumed.
 * 0 or a TD_* error of the spool (then nothing was stored, nothing is
 * committed and the last states stay).
 */
int agent_store(struct agent *a, const struct check_results *rs, int64_t now, struct spool *sp,
		size_t *changes);

/* The API's event object for r (without its id) into out. 0 or TD_ENOMEM. */
int agent_event_json(const struct check_result *r, enum spool_kind kind, int64_t observed_at,
		     struct buf *out);

#endif
