/* Runs a check's command with a time-out (agent/exec.h). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/exec.h"
#include "core/clock.h"

/* argv0 as execv wants it: itself when it holds a slash, else found on PATH. */
static char *resolve(const char *argv0)
{
	if (strchr(argv0, '/'))
		return xstrdup(argv0);
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	struct buf b = BUF_INIT(8192);
	for (const char *p = path;; p++) {
		size_t n = strcspn(p, ":");
		buf_reset(&b);
		buf_printf(&b, "%.*s/%s", (int)n, p, argv0);
		if (!b.failed && access(buf_cstr(&b), X_OK) == 0)
			return buf_detach(&b);
		p += n;
		if (!*p)
			break;
	}
	buf_release(&b);
	return xstrdup(argv0);  /* execv then fails with ENOENT, which is the truth */
}

/* Between fork and exec: only async-signal-safe calls. */
static _Noreturn void child(const char *path, char *const argv[], int out_fd, int err_fd,
			    int null_fd)
{
	sigset_t none;
	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* The agent ignores SIGPIPE; a shell pipeline in the command must not. */
	signal(SIGPIPE, SIG_DFL);
	dup2(null_fd, 0);
	dup2(out_fd, 1);
	dup2(null_fd, 2);
	/* Every other descriptor of the agent (its spool, its sockets) stays behind. */
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC))
		for (int fd = 3; fd < 1024; fd++)
			if (fd != err_fd)
				close(fd);
	execv(path, argv);
	int e = errno;
	ssize_t w = write(err_fd, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* waitpid that a signal (SIGTERM's handler has no SA_RESTART) does not cut short. */
static pid_t wait_for(pid_t pid, int *status, int flags)
{
	pid_t w;
	do
		w = waitpid(pid, status, flags);
	while (w < 0 && errno == EINTR);
	return w;
}

/* Waits for pid until deadline (monotonic ms); true when it was reaped. */
static bool reap_by(pid_t pid, int64_t deadline, int *status)
{
	for (;;) {
		pid_t w = wait_for(pid, status, WNOHANG);
		if (w == pid || w < 0)
			return true;
		if (clock_mono_ms() >= deadline)
			return false;
		struct timespec ts = { 0, 5 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* The child's stdout into out (cap bytes kept) until EOF, its end or the deadline. */
static void collect(pid_t pid, int fd, int64_t deadline, size_t cap, struct buf *out,
		    struct agent_exec_result *res)
{
	char chunk[4096];
	bool reaped = false;

	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			res->timed_out = true;
			break;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int n = poll(&pfd, 1, left < 100 ? (int)left : 100);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			ssize_t got = read(fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			/* Past the cap the rest is read and dropped, so the program never blocks. */
			size_t room = cap > out->len ? cap - out->len : 0;
			if ((size_t)got > room)
				res->truncated = true;
			buf_add(out, chunk, (size_t)got < room ? (size_t)got : room);
			continue;
		}
		/* Quiet: has it ended? A child it left behind may hold the pipe open. */
		if (wait_for(pid, &res->status, WNOHANG) == pid) {
			reaped = true;
			break;
		}
	}
	if (!res->timed_out && !reaped)
		reaped = reap_by(pid, deadline, &res->status);
	if (!reaped) {
		res->timed_out = true;
		kill(-pid, SIGKILL);
		wait_for(pid, &res->status, 0);
	}
	/* Whatever it left running in its group goes with it, however it ended. */
	kill(-pid, SIGKILL);
}

int agent_exec_argv(struct agent_exec_result *res, char *const argv[], long timeout_ms,
		    size_t cap, struct buf *out)
{
	int pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	int null_fd = -1, rc = TD_ERR, e;
	char *path = resolve(argv[0]);

	memset(res, 0, sizeof(*res));
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) {
		res->exec_errno = errno;
		goto done;
	}
	int64_t deadline = clock_mono_ms() + timeout_ms;
	pid_t pid = fork();
	if (pid < 0) {
		res->exec_errno = errno;
		goto done;
	}
	if (pid == 0)
		child(path, argv, pout[1], perr[1], null_fd);
	setpgid(pid, pid);  /* both sides set it: no race with the kill of its group */
	close(pout[1]);
	close(perr[1]);
	pout[1] = perr[1] = -1;

	/* The error pipe closes at a successful exec, or brings execv's errno. */
	ssize_t got;
	do
		got = read(perr[0], &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(e)) {
		res->exec_errno = e;
		wait_for(pid, &res->status, 0);
	} else {
		collect(pid, pout[0], deadline, cap, out, res);
	}
	rc = 0;
done:
	for (int i = 0; i < 2; i++) {
		if (pout[i] >= 0)
			close(pout[i]);
		if (perr[i] >= 0)
			close(perr[i]);
	}
	if (null_fd >= 0)
		close(null_fd);
	free(path);
	return rc;
}

int agent_exec_exit_code(const struct agent_exec_result *res)
{
	if (WIFEXITED(res->status))
		return WEXITSTATUS(res->status);
	return WIFSIGNALED(res->status) ? 128 + WTERMSIG(res->status) : 255;
}
