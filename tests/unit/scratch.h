/*
 * scratch.h - the scratch directory a unit test's group works in: made
 * fresh in its setup, removed with everything in it in its teardown.
 */
#ifndef TD_TEST_SCRATCH_H
#define TD_TEST_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>

/* Makes dir (n bytes) a new directory /tmp/tilldesk-NAME-XXXXXX; 0 or -1. */
static inline int scratch_make(char *dir, size_t n, const char *name)
{
	snprintf(dir, n, "/tmp/tilldesk-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and what it holds; 0 or -1. */
static inline int scratch_remove(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

#endif
