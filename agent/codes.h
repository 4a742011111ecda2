/*
 * codes.h - every fixed code the agent can send: those of its built-in
 * checks in their default sections, of the sections agent/CHECKS.md
 * documents ([check.tcp ofd], [check.process pos], [check.file_age
 * exchange]) and of its log example. One table, so that the fn check, the
 * knowledge base's test that each code has an article, and CHECKS.md do not
 * keep lists of their own. A plugin's code (plugin.NAME) and any "code ="
 * a deployment writes are its own and not here.
 */
#ifndef TD_AGENT_CODES_H
#define TD_AGENT_CODES_H

#include "core/common.h"

struct agent_code {
	const char *code;    /* as sent, e.g. "fn.expiring" */
	const char *kind;    /* the check kind that sends it: "fn", "utm", "log" ... */
};

/* The table, ended by an entry whose code is NULL. */
extern const struct agent_code agent_codes[];

#endif
