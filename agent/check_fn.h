/*
 * check_fn.h - the fiscal drive's state, as the POS software writes it
 * (agent/FN-STATE.md), and what the fn check makes of it. Exposed for the
 * unit tests, which feed states and clocks without files.
 */
#ifndef TD_AGENT_CHECK_FN_H
#define TD_AGENT_CHECK_FN_H

#include "agent/check.h"

/* The drive's warning flags (bits, tested with &). */
#define FN_FLAG_REPLACE  0x01u  /* replace urgently: 3 days left */
#define FN_FLAG_RESOURCE 0x02u  /* resource ends within 30 days */
#define FN_FLAG_ARCHIVE  0x04u  /* archive 90% full */
#define FN_FLAG_OFD      0x08u  /* the OFD's answer is overdue */
#define FN_FLAG_CRITICAL 0x80u  /* critical drive error */

struct fn_state {
	char serial[33];
	long valid_until;         /* days since 1970-01-01; -1: not given */
	long long unsent_count;
	int64_t first_unsent_at;  /* Unix seconds; 0: none (1970, future and absent alike) */
	int64_t last_sent_at;     /* 0: not given */
	int64_t shift_opened_at;  /* 0: the shift is closed */
	char mode[24];            /* "fiscal", "setup", "post_fiscal", "archive" */
	unsigned flags;
	int64_t written_at;       /* when the state was written; 0: not given */
};

/*
 * Parses the state file's JSON text at now (dates in the future mean
 * "none" for the first unsent document). Returns 0, or TD_EINVAL with the
 * reason in err.
 */
int fn_state_parse(struct fn_state *out, const char *text, size_t len, int64_t now, char *err,
		   size_t errlen);

/* The fn check's thresholds, seconds (configurable in [check.fn]). */
struct fn_limits {
	int64_t expiry_warn, expiry_crit;             /* 30 d, 3 d */
	int64_t unsent_warn, unsent_crit, unsent_block;  /* 3 d, 7 d, 20 d */
	int64_t shift_warn, shift_crit;               /* 23 h, 24 h */
	int64_t stale;                                /* 30 min */
};

/* Appends the fn check's results (one per code) for state at now. */
void fn_evaluate(const struct fn_state *st, const struct fn_limits *lim, int64_t now,
		 struct check_results *out);

#endif
