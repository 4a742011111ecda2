/*
 * exec.h - runs a check's command (a plugin, a vendor's script) with a
 * time-out: the one place the agent starts a program.
 *
 * The program runs in a process group of its own, with stdin and stderr on
 * /dev/null, SIGPIPE at its default and an empty signal mask, and none of
 * the agent's descriptors but 0, 1 and 2 (its spool, its sockets, a log
 * file stay behind). Its stdout is collected up to a cap; the rest is read
 * and dropped, so a chatty program never blocks on a full pipe. When it
 * ends, or at the time-out, its whole group is killed (SIGKILL): a hanging
 * program or a child it left behind cannot stall a pass or outlive it.
 */
#ifndef TD_AGENT_EXEC_H
#define TD_AGENT_EXEC_H

#include "core/buf.h"

/* How a run went. */
struct agent_exec_result {
	int exec_errno;   /* not 0: the program did not start, this is why */
	bool timed_out;   /* killed at the time-out (status is then the kill's) */
	bool truncated;   /* it printed more than the cap; out holds the first cap bytes */
	int status;       /* waitpid's status, when it ran */
};

/*
 * Runs argv (argv[0] with a slash is a path, else looked up on PATH; NULL
 * ended) for at most timeout_ms; out (initialised by the caller) gets at
 * most cap bytes of its stdout. Returns 0 with *res filled, or TD_ERR
 * when the agent could not even try (no pipe, no fork: res->exec_errno
 * says why). A program that cannot be executed is a 0 with exec_errno.
 */
int agent_exec_argv(struct agent_exec_result *res, char *const argv[], long timeout_ms,
		    size_t cap, struct buf *out);

/* The exit status, or 128 + the signal that killed it (as sh reports it). */
int agent_exec_exit_code(const struct agent_exec_result *res);

#endif
