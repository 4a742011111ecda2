/* fuzz_util.c - helpers shared by the fuzz targets (see fuzz.h). */
#include "core/common.h"
#include "core/log.h"
#include "tests/fuzz/fuzz.h"

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz: invariant broken: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

static void drop_line(const char *line, void *arg)
{
	(void)line;
	(void)arg;
}

void fuzz_quiet_log(void)
{
	log_set_sink(drop_line, NULL);
}
