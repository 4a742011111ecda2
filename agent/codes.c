#include "agent/codes.h"

/* Keep agent/CHECKS.md's table of codes in step with this one. */
const struct agent_code agent_codes[] = {
	{ "fn.expiring", "fn" },
	{ "fn.unsent", "fn" },
	{ "fn.shift", "fn" },
	{ "fn.flags", "fn" },
	{ "fn.state", "fn" },
	{ "fn.stale", "fn" },
	{ "utm.down", "utm" },
	{ "utm.cert_rsa", "utm" },
	{ "utm.cert_gost", "utm" },
	{ "utm.fsrar_id", "utm" },
	{ "utm.rsa", "utm" },
	{ "clock.skew", "clock" },
	{ "disk.space", "disk" },            /* [check.disk] */
	{ "disk.inodes", "disk" },
	{ "tcp.unreachable", "tcp" },        /* [check.tcp] */
	{ "ofd.unreachable", "tcp" },        /* [check.tcp ofd] */
	{ "process.down", "process" },       /* [check.process] */
	{ "pos.down", "process" },           /* [check.process pos] */
	{ "file_age.stale", "file_age" },    /* [check.file_age] */
	{ "exchange.stale", "file_age" },    /* [check.file_age exchange] */
	{ "fn.blocked", "log" },             /* CHECKS.md's log example */
	{ "pos.vat", "log" },
	{ NULL, NULL },
};
