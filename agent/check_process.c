/*
 * check_process.c - is the POS software running: a process by name, or
 * the one a pidfile names.
 *
 *   [check.process pos]
 *   process = frontol     ; by name: the kernel's (/proc/PID/comm), or argv[0]'s base
 *                         ; name when it is longer than the kernel's 15 bytes
 *   pidfile = /run/pos.pid ; or by pidfile (with process too, the pid must have that name)
 *   min = 1               ; running copies needed by name; default 1
 *   code = pos.down       ; default <instance>.down
 *
 * One result: OK with the count, or CRITICAL. A zombie is not running.
 * /proc is read directly, so only Linux is served.
 */
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/types.h>

#include "agent/checks.h"
#include "core/buf.h"

struct process {
	struct check_naming naming;
	char name[256];
	char *pidfile;
	long long min;
};

static void *process_create(void)
{
	struct process *p = xcalloc(1, sizeof(*p));
	check_naming_init(&p->naming, "process");
	p->min = 1;
	return p;
}

static int process_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct process *p = self;

	int rc = check_naming_set(&p->naming, key, value, err, errlen);
	if (rc != TD_ENOTFOUND)
		return rc;
	if (!strcmp(key, "process")) {
		if (!*value || strlen(value) >= sizeof(p->name) || strchr(value, '/')) {
			snprintf(err, errlen, "process '%s': give a program's name, without a path", value);
			return TD_EINVAL;
		}
		snprintf(p->name, sizeof(p->name), "%s", value);
		return 0;
	}
	if (!strcmp(key, "pidfile")) {
		if (*value != '/') {
			snprintf(err, errlen, "pidfile '%s': give an absolute path", value);
			return TD_EINVAL;
		}
		free(p->pidfile);
		p->pidfile = xstrdup(value);
		return 0;
	}
	if (!strcmp(key, "min")) {
		if (parse_int(&p->min, value, 1, 10000)) {
			snprintf(err, errlen, "min '%s': use a number 1-10000", value);
			return TD_EINVAL;
		}
		return 0;
	}
	return check_unknown_key("process", key, err, errlen);
}

static int process_ready(void *self, char *err, size_t errlen)
{
	struct process *p = self;
	if (!*p->name && !p->pidfile) {
		snprintf(err, errlen, "a process check needs process or pidfile");
		return TD_EINVAL;
	}
	check_naming_ready(&p->naming, "down");
	return 0;
}

/* Reads /proc/PID/what (at most n-1 bytes) into out; its length, or -1. */
static ssize_t read_proc(long pid, const char *what, char *out, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/%s", pid, what);
	/* Plain read(2): a scan opens a file per process, and stdio's buffer costs. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t got = read(fd, out, n - 1);
	close(fd);
	out[got > 0 ? got : 0] = '\0';
	return got;
}

/*
 * Whether pid lives (not a zombie) and, when name is set, is called name.
 * One read of /proc/PID/stat for most processes: it holds the state and
 * the kernel's name; argv[0] is read only when that name was cut short.
 */
static bool alive_as(long pid, const char *name)
{
	char buf[4096];
	if (read_proc(pid, "stat", buf, sizeof(buf)) < 0)
		return false;
	const char *open_ = strchr(buf, '('), *paren = strrchr(buf, ')');
	if (!open_ || !paren || paren < open_ || paren[1] != ' ' || paren[2] == 'Z' || paren[2] == 'X')
		return false;
	if (!*name)
		return true;
	size_t comm = (size_t)(paren - open_ - 1);
	if (comm == strlen(name) && !memcmp(open_ + 1, name, comm))
		return true;
	/* The kernel keeps 15 bytes of a name; argv[0] holds the whole of it. */
	if (comm < 15 || strlen(name) <= comm || memcmp(open_ + 1, name, comm))
		return false;
	if (read_proc(pid, "cmdline", buf, sizeof(buf)) <= 0)
		return false;
	const char *slash = strrchr(buf, '/');
	return !strcmp(slash ? slash + 1 : buf, name);
}

static long long count_by_name(const char *name)
{
	long long n = 0;
	DIR *d = opendir("/proc");
	struct dirent *e;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		long long pid;
		if (!parse_int(&pid, e->d_name, 1, 1LL << 32) && alive_as((long)pid, name))
			n++;
	}
	closedir(d);
	return n;
}

static void process_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct process *p = self;
	struct check_result *r;
	(void)ctx;

	if (p->pidfile) {
		char text[32] = "";
		long long pid = 0;
		const char *why = NULL;
		FILE *f = fopen(p->pidfile, "r");
		if (!f) {
			why = strerror(errno);
		} else {
			size_t got = fread(text, 1, sizeof(text) - 1, f);
			fclose(f);
			text[got] = '\0';
			text[strcspn(text, " \t\r\n")] = '\0';
			if (parse_int(&pid, text, 1, 1LL << 32))
				why = "no pid in the file";
			else if (!alive_as((long)pid, p->name))
				why = *p->name ? "no such process by that name" : "no such process";
		}
		if (why) {
			r = check_addm(out, "process", p->naming.code, CHECK_CRITICAL, MSG_CHECK_PROCESS_PIDFILE,
				       p->pidfile, why);
		} else {
			r = check_addm(out, "process", p->naming.code, CHECK_OK, MSG_CHECK_PROCESS_UP,
				       *p->name ? p->name : p->pidfile, 1LL);
			check_detail(r, "pid", "%lld", pid);
		}
		return;
	}
	long long n = count_by_name(p->name);
	if (n >= p->min)
		r = check_addm(out, "process", p->naming.code, CHECK_OK, MSG_CHECK_PROCESS_UP, p->name, n);
	else
		r = check_addm(out, "process", p->naming.code, CHECK_CRITICAL, MSG_CHECK_PROCESS_DOWN, p->name);
	struct check_perf perf = { .label = "procs", .value = (double)n, .crit = (double)p->min,
				   .has = CHECK_PERF_CRIT };
	check_perf_add(r, &perf);
}

static void process_destroy(void *self)
{
	struct process *p = self;
	free(p->pidfile);
	free(p);
}

const struct check_kind check_process = {
	.name = "process",
	.create = process_create,
	.set = process_set,
	.ready = process_ready,
	.run = process_run,
	.destroy = process_destroy,
	.example =
		"; The POS software running: by name and/or pidfile. Code: NAME.down.\n"
		"; [check.process pos]\n"
		"; process = frontol\n"
		"; pidfile = /run/pos.pid\n"
		"; min = 1\n",
};
