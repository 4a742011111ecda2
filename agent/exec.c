#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/exec.h"
#include "core/clock.h"
#include "core/log.h"

/* The child: its own group, stdin from /dev/null, stdout to the pipe. */
static _Noreturn void child(const char *cmd, int wfd)
{
	int null = open("/dev/null", O_RDWR);
	setpgid(0, 0);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDERR_FILENO);
	}
	dup2(wfd, STDOUT_FILENO);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

int agent_exec(const char *cmd, long timeout_ms, struct buf *out, int *exit_code)
{
	int fds[2], status = 0, rc = 0;
	char chunk[4096];
	int64_t deadline = clock_mono_ms() + timeout_ms;

	if (pipe2(fds, O_CLOEXEC))
		return TD_ERR;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return TD_ERR;
	}
	if (pid == 0)
		child(cmd, fds[1]);
	/* Both sides set the group, so the kill below never misses it. */
	setpgid(pid, pid);
	close(fds[1]);
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		if (left <= 0) {
			rc = TD_EBUSY;
			break;
		}
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			continue;
		ssize_t got = read(fds[0], chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		if (buf_add(out, chunk, (size_t)got)) {
			rc = TD_ENOMEM;
			break;
		}
	}
	close(fds[0]);
	if (rc)
		kill(-pid, SIGKILL);
	/* Its stdout is closed: wait for the shell itself, up to the time-out. */
	while (waitpid(pid, &status, rc ? 0 : WNOHANG) == 0) {
		if (clock_mono_ms() >= deadline) {
			kill(-pid, SIGKILL);
			rc = TD_EBUSY;
			waitpid(pid, &status, 0);
			break;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) :
		     WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 255;
	if (rc == TD_EBUSY)
		log_warn("exec: a check's command ran past %ld ms and was killed", timeout_ms);
	return rc;
}
