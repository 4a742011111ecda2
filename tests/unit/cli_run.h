/*
 * cli_run.h - a unit test's command lines, run in-process: run("org",
 * "add", ..., NULL) is `tilldesk -c CFG org add ...`, its output in
 * out_text and err_text (freed by the next run; the test's teardown frees
 * the last). The test defines cfg_path, the config file's path, before
 * including this after cmocka.h.
 */
#ifndef TD_TEST_CLI_RUN_H
#define TD_TEST_CLI_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static char *out_text, *err_text;

static int run(const char *first, ...)
{
	char *argv[32] = { "tilldesk", "-c", cfg_path };
	int argc = 3;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	size_t on, en;
	free(out_text);
	free(err_text);
	FILE *out = open_memstream(&out_text, &on);
	FILE *err = open_memstream(&err_text, &en);
	int rc = cli_main(argc, argv, out, err);
	fclose(out);
	fclose(err);
	return rc;
}

#define assert_contains(hay, needle) \
	do { if (!strstr((hay), (needle))) fail_msg("'%s' not in:\n%s", (needle), (hay)); } while (0)

#endif
