/*
 * check_tcp.c - can the till open a TCP connection to host:port in time
 * (the OFD's endpoint: a till that cannot reach it piles up unsent
 * documents until the fiscal drive blocks).
 *
 *   [check.tcp ofd]
 *   host = k-server.1-ofd.ru
 *   port = 7777
 *   timeout = 5s            ; default 5 s
 *   code = ofd.unreachable  ; default <instance>.unreachable
 *
 * One result, CRITICAL when no address of host accepts within the timeout.
 * Name resolution uses the system's resolver, which has its own time-outs.
 */
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/checks.h"
#include "core/clock.h"

#define TCP_TIMEOUT_MAX 300

struct tcp {
	struct check_naming naming;
	char host[256];
	char port[8];
	int64_t timeout;  /* seconds */
};

static void *tcp_create(void)
{
	struct tcp *t = xcalloc(1, sizeof(*t));
	check_naming_init(&t->naming, "tcp");
	t->timeout = 5;
	return t;
}

static int tcp_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct tcp *t = self;
	long long port;

	int rc = check_naming_set(&t->naming, key, value, err, errlen);
	if (rc != TD_ENOTFOUND)
		return rc;
	if (!strcmp(key, "host")) {
		if (!*value || strlen(value) >= sizeof(t->host) || strpbrk(value, " \t/")) {
			snprintf(err, errlen, "host '%s': give a host name or an address", value);
			return TD_EINVAL;
		}
		snprintf(t->host, sizeof(t->host), "%s", value);
		return 0;
	}
	if (!strcmp(key, "port")) {
		if (parse_int(&port, value, 1, 65535)) {
			snprintf(err, errlen, "port '%s': use a number 1-65535", value);
			return TD_EINVAL;
		}
		snprintf(t->port, sizeof(t->port), "%lld", port);
		return 0;
	}
	if (!strcmp(key, "timeout"))
		return check_set_duration(&t->timeout, key, value, TCP_TIMEOUT_MAX, err, errlen);
	return check_unknown_key("tcp", key, err, errlen);
}

static int tcp_ready(void *self, char *err, size_t errlen)
{
	struct tcp *t = self;
	if (!*t->host || !*t->port) {
		snprintf(err, errlen, "a tcp check needs host and port");
		return TD_EINVAL;
	}
	check_naming_ready(&t->naming, "unreachable");
	return 0;
}

/* One address: a non-blocking connect waited for until deadline (monotonic ms). */
static int connect_one(const struct addrinfo *ai, int64_t deadline, int *out_errno)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
	int rc = TD_ERR;
	if (fd < 0) {
		*out_errno = errno;
		return TD_ERR;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		rc = 0;
		goto done;
	}
	if (errno != EINPROGRESS) {
		*out_errno = errno;
		goto done;
	}
	for (;;) {
		int64_t left = deadline - clock_mono_ms();
		if (left <= 0) {
			*out_errno = ETIMEDOUT;
			goto done;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int n = poll(&pfd, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*out_errno = n ? errno : ETIMEDOUT;
			goto done;
		}
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr) {
			*out_errno = soerr;
			goto done;
		}
		rc = 0;
		goto done;
	}
done:
	close(fd);
	return rc;
}

static void tcp_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct tcp *t = self;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int64_t start = clock_mono_ms();
	int64_t deadline = start + t->timeout * 1000;
	int last_errno = ETIMEDOUT;
	struct check_result *r;
	(void)ctx;

	int gai = getaddrinfo(t->host, t->port, &hints, &res);
	if (gai) {
		r = check_addm(out, "tcp", t->naming.code, CHECK_CRITICAL, MSG_CHECK_TCP_DOWN, t->host, t->port,
			       gai_strerror(gai));
		goto details;
	}
	for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (clock_mono_ms() >= deadline)
			break;
		if (!connect_one(ai, deadline, &last_errno)) {
			long long ms = (long long)(clock_mono_ms() - start);
			r = check_addm(out, "tcp", t->naming.code, CHECK_OK, MSG_CHECK_TCP_UP, t->host, t->port, ms);
			struct check_perf p = { .label = "time", .uom = "ms", .value = (double)ms,
						.max = (double)t->timeout * 1000, .has = CHECK_PERF_MAX };
			check_perf_add(r, &p);
			goto details;
		}
	}
	r = check_addm(out, "tcp", t->naming.code, CHECK_CRITICAL, MSG_CHECK_TCP_DOWN, t->host, t->port,
		       strerror(last_errno));
details:
	check_detail(r, "tcp.address", "%s:%s", t->host, t->port);
	if (res)
		freeaddrinfo(res);
}

static void tcp_destroy(void *self)
{
	free(self);
}

const struct check_kind check_tcp = {
	.name = "tcp",
	.create = tcp_create,
	.set = tcp_set,
	.ready = tcp_ready,
	.run = tcp_run,
	.destroy = tcp_destroy,
	.example =
		"; A TCP connect with a time-out, e.g. the OFD's endpoint (ask your OFD).\n"
		"; Code: NAME.unreachable ([check.tcp ofd]: ofd.unreachable), or code = ...\n"
		"; [check.tcp ofd]\n"
		"; host = k-server.1-ofd.ru\n"
		"; port = 7777\n"
		"; timeout = 5s\n",
};
