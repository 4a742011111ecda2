/*
 * check_file_age.c - a file that should change regularly and has not (the
 * last exchange with the back office: the owner's sales must keep flowing).
 *
 *   [check.file_age exchange]
 *   file = /var/lib/pos/exchange/last_ok
 *   warn = 2h                ; older than this: WARNING
 *   crit = 1d                ; older than this: CRITICAL (at least one of the two)
 *   code = exchange.stale    ; default <instance>.stale
 *
 * A missing file is UNKNOWN (nothing to tell its age by) and says why. The
 * age is the agent's clock minus the file's modification time; a time in
 * the future counts as age 0.
 */
#include <sys/stat.h>

#include "agent/checks.h"
#include "core/buf.h"

#define FILE_AGE_MAX (366 * 86400)

struct file_age {
	struct check_naming naming;
	char *file;
	int64_t warn, crit;  /* seconds, 0: not set */
};

static void *file_age_create(void)
{
	struct file_age *f = xcalloc(1, sizeof(*f));
	check_naming_init(&f->naming, "file_age");
	return f;
}

static int file_age_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct file_age *f = self;

	int rc = check_naming_set(&f->naming, key, value, err, errlen);
	if (rc != TD_ENOTFOUND)
		return rc;
	if (!strcmp(key, "file")) {
		if (*value != '/') {
			snprintf(err, errlen, "file '%s': give an absolute path", value);
			return TD_EINVAL;
		}
		free(f->file);
		f->file = xstrdup(value);
		return 0;
	}
	if (!strcmp(key, "warn"))
		return check_set_duration(&f->warn, key, value, FILE_AGE_MAX, err, errlen);
	if (!strcmp(key, "crit"))
		return check_set_duration(&f->crit, key, value, FILE_AGE_MAX, err, errlen);
	return check_unknown_key("file_age", key, err, errlen);
}

static int file_age_ready(void *self, char *err, size_t errlen)
{
	struct file_age *f = self;
	if (!f->file || (!f->warn && !f->crit)) {
		snprintf(err, errlen, "a file_age check needs file and warn or crit");
		return TD_EINVAL;
	}
	if (f->warn && f->crit && f->warn > f->crit) {
		snprintf(err, errlen, "warn (%llds) is longer than crit (%llds)", (long long)f->warn,
			 (long long)f->crit);
		return TD_EINVAL;
	}
	check_naming_ready(&f->naming, "stale");
	return 0;
}

static void file_age_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct file_age *f = self;
	struct check_result *r;
	struct stat st;

	if (stat(f->file, &st)) {
		r = check_addm(out, "file_age", f->naming.code, CHECK_UNKNOWN, MSG_CHECK_FILE_MISSING, f->file,
			       strerror(errno));
		check_detail(r, "file", "%s", f->file);
		return;
	}
	int64_t age = ctx->now - (int64_t)st.st_mtime;
	if (age < 0)
		age = 0;
	enum check_state s = f->crit && age > f->crit ? CHECK_CRITICAL
			     : f->warn && age > f->warn ? CHECK_WARNING
			     : CHECK_OK;
	struct buf span = BUF_INIT(128);
	msg_span(&span, age);
	r = check_addm(out, "file_age", f->naming.code, s, MSG_CHECK_FILE_AGE, f->file, buf_cstr(&span));
	buf_release(&span);
	check_detail(r, "file", "%s", f->file);
	check_detail(r, "age_s", "%lld", (long long)age);
	struct check_perf p = { .label = "age", .uom = "s", .value = (double)age,
				.warn = (double)f->warn, .crit = (double)f->crit,
				.has = (f->warn ? CHECK_PERF_WARN : 0) | (f->crit ? CHECK_PERF_CRIT : 0) };
	check_perf_add(r, &p);
}

static void file_age_destroy(void *self)
{
	struct file_age *f = self;
	free(f->file);
	free(f);
}

const struct check_kind check_file_age = {
	.name = "file_age",
	.create = file_age_create,
	.set = file_age_set,
	.ready = file_age_ready,
	.run = file_age_run,
	.destroy = file_age_destroy,
	.example =
		"; A file older than a limit, e.g. the last exchange with the back office.\n"
		"; Code: NAME.stale.\n"
		"; [check.file_age exchange]\n"
		"; file = /var/lib/pos/exchange/last_ok\n"
		"; warn = 2h\n"
		"; crit = 1d\n",
};
