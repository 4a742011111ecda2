/*
 * check_clock.c - the till PC's clock against the server's, from the time
 * the server gave in its last answer to a batch (doc/AGENT-API.md). A
 * receipt more than 5 minutes off real time can be fined, and the drive
 * refuses a time behind its last document: warning over 1 minute, critical
 * over 4. Unknown until the server has answered once.
 */
#include "agent/check.h"
#include "core/conftab.h"
#include "core/msg.h"

struct clock_check {
	int64_t warn, crit;  /* seconds */
};

static void *clock_create(void)
{
	struct clock_check *c = xcalloc(1, sizeof(*c));
	c->warn = 60;
	c->crit = 240;
	return c;
}

static int clock_set_key(void *self, const char *key, const char *value, char *err,
			 size_t errlen)
{
	struct clock_check *c = self;
	if (!strcmp(key, CHECK_KEY_INSTANCE)) {
		snprintf(err, errlen, "the clock check takes no name");
		return TD_EINVAL;
	}
	int64_t *field = !strcmp(key, "warn") ? &c->warn : !strcmp(key, "crit") ? &c->crit : NULL;
	if (!field) {
		snprintf(err, errlen, "unknown key '%s'", key);
		return TD_EINVAL;
	}
	if (config_parse_duration(field, value) || *field <= 0) {
		snprintf(err, errlen, "%s: '%s' is not a duration (such as 60s, 4m)", key, value);
		return TD_EINVAL;
	}
	return 0;
}

static int clock_ready(void *self, char *err, size_t errlen)
{
	struct clock_check *c = self;
	if (c->crit < c->warn) {
		snprintf(err, errlen, "crit is shorter than warn");
		return TD_EINVAL;
	}
	return 0;
}

static void clock_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct clock_check *c = self;
	if (!ctx->server_skew_known) {
		check_add_msg(out, "clock", "clock.skew", CHECK_UNKNOWN, MSG_AGENT_CLOCK_UNKNOWN);
		return;
	}
	/* Positive: the server is ahead, so the till's clock is behind. */
	int64_t skew_ms = ctx->server_skew_ms;
	int64_t off = (skew_ms < 0 ? -skew_ms : skew_ms) / 1000;
	enum check_state s = off > c->crit ? CHECK_CRITICAL : off > c->warn ? CHECK_WARNING : CHECK_OK;
	struct check_result *r = check_add_msg(out, "clock", "clock.skew", s, MSG_AGENT_CLOCK_SKEW,
					       skew_ms > 0 ? "-" : "+", (long long)off);
	struct check_perf p = { .label = "skew", .uom = "s", .value = (double)-skew_ms / 1000.0,
				.warn = (double)c->warn, .crit = (double)c->crit,
				.has = CHECK_PERF_WARN | CHECK_PERF_CRIT };
	check_perf_add(r, &p);
	check_detail(r, "skew_ms", "%lld", (long long)-skew_ms);
}

const struct check_kind check_clock = {
	.name = "clock",
	.create = clock_create,
	.set = clock_set_key,
	.ready = clock_ready,
	.run = clock_run,
	.destroy = free,
	.example =
		"; The till's clock against the server's, from the server's last answer\n"
		"; (always on; this section only changes the limits). Code: clock.skew.\n"
		"[check.clock]\n"
		"warn = 1m\n"
		"crit = 4m\n",
};
