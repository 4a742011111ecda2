#include <systemd/sd-daemon.h>

#include "core/log.h"
#include "core/notify.h"

static void notify(const char *state)
{
	int rc = sd_notify(0, state);
	/* 0: not run by systemd. A refused datagram is worth a line, never a stop. */
	if (rc < 0)
		log_warn("notify: cannot tell systemd %s: %s", state, strerror(-rc));
}

void notify_ready(void)
{
	notify("READY=1");
}

void notify_watchdog(void)
{
	notify("WATCHDOG=1");
}

void notify_stopping(void)
{
	notify("STOPPING=1");
}

int64_t notify_watchdog_ms(void)
{
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	return (int64_t)(usec / 1000);
}
