/*
 * notify.h - telling systemd how the daemon is (sd_notify), the only file
 * that includes libsystemd's header.
 *
 * Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
 */
#ifndef TD_NOTIFY_H
#define TD_NOTIFY_H

#include "core/common.h"

/* READY=1: start-up is over, the service is doing its work. */
void notify_ready(void);
/* WATCHDOG=1: the service is alive and well; only send it when it is. */
void notify_watchdog(void);
/* STOPPING=1: a stop was asked for and is under way. */
void notify_stopping(void);
/*
 * The watchdog interval systemd expects a WATCHDOG=1 within
 * ($WATCHDOG_USEC, for this process), in milliseconds; 0 when there is none.
 */
int64_t notify_watchdog_ms(void);

#endif
