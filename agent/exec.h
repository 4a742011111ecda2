/*
 * exec.h - runs a command of a check (a vendor's script) with a time-out.
 *
 * The command runs through /bin/sh -c in a process group of its own, with
 * stdin from /dev/null; what it prints on stdout is collected up to out's
 * cap. Past timeout_ms the whole group is killed (SIGKILL), so a script
 * that hangs or leaves children behind cannot stall a pass.
 */
#ifndef TD_AGENT_EXEC_H
#define TD_AGENT_EXEC_H

#include "core/buf.h"

/*
 * Runs cmd; out (initialised by the caller) gets its stdout. *exit_code
 * gets its exit status (128 + signal when killed by one). Returns 0 when it
 * ended in time, TD_EBUSY when it was killed at the time-out, TD_ENOMEM
 * when its output passed the cap, TD_ERR when it could not start (errno
 * kept).
 */
int agent_exec(const char *cmd, long timeout_ms, struct buf *out, int *exit_code);

#endif
