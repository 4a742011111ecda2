/*
 * check_test.h - what the checks' unit tests share: configure an instance
 * from key/value pairs as the agent's config would, run a pass, find a
 * result by code.
 */
#ifndef TD_TEST_CHECK_TEST_H
#define TD_TEST_CHECK_TEST_H

#include <time.h>
#include <unistd.h>

#include "agent/checks.h"

/* Creates an instance of kind from NULL-ended key, value pairs; fails the test on an error. */
static inline void *check_test_new(const struct check_kind *kind, const char *const *kv)
{
	char err[256] = "";
	void *self = kind->create();
	for (; kv[0]; kv += 2)
		if (kind->set(self, kv[0], kv[1], err, sizeof(err)))
			fail_msg("%s = %s: %s", kv[0], kv[1], err);
	if (kind->ready(self, err, sizeof(err)))
		fail_msg("ready: %s", err);
	return self;
}

/* The first error set() or ready() gives for the pairs kv, or "" (copied into err). */
static inline const char *check_test_error(const struct check_kind *kind, const char *const *kv,
					   char *err, size_t errlen)
{
	void *self = kind->create();
	err[0] = '\0';
	int rc = 0;
	for (; kv[0] && !rc; kv += 2)
		rc = kind->set(self, kv[0], kv[1], err, errlen);
	if (!rc)
		rc = kind->ready(self, err, errlen);
	kind->destroy(self);
	return rc ? err : "";
}

static inline const struct check_result *check_test_find(const struct check_results *rs,
							 const char *code)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].code, code))
			return &rs->v[i];
	return NULL;
}

/* The value of r's detail key, or NULL. */
static inline const char *check_test_detail(const struct check_result *r, const char *key)
{
	for (size_t i = 0; i < r->n_details; i++)
		if (!strcmp(r->details[i].key, key))
			return r->details[i].value;
	return NULL;
}

/* pid was killed: gone, or init's zombie for a moment; waits up to a second. */
static inline bool check_test_gone(pid_t pid)
{
	for (int i = 0; i < 100; i++) {
		char path[64], st[256] = "";
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		FILE *f = fopen(path, "r");
		if (!f)
			return true;
		size_t n = fread(st, 1, sizeof(st) - 1, f);
		fclose(f);
		st[n] = '\0';
		const char *paren = strrchr(st, ')');
		if (paren && paren[1] == ' ' && paren[2] == 'Z')
			return true;
		struct timespec ts = { 0, 10 * 1000000 };
		nanosleep(&ts, NULL);
	}
	return false;
}

/* The process named by pidfile (written by a test's command) is gone; the file is removed. */
static inline bool check_test_pidfile_gone(const char *pidfile)
{
	FILE *f = fopen(pidfile, "r");
	long long pid = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lld", &pid), 1);
	fclose(f);
	unlink(pidfile);
	return check_test_gone((pid_t)pid);
}

#endif
