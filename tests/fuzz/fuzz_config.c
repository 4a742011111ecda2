/*
 * fuzz_config.c - the config file parser (core/config.c through inih).
 *
 * config_load() reads a path, so the input is written to an anonymous
 * in-memory file (memfd) and read through /proc/self/fd: nothing touches
 * the disk. The environment's overrides are cleared once so only the
 * input counts.
 *
 * A file that loads must load again, to the same settings, from what
 * config_write_effective() prints for it (secrets print as "(set)", which
 * reads back as the same "(set)"). One exception, inih's: a value may
 * start with ';' when written right after the '=' ("from =;x"), but
 * printed as "from = ;x" the ';' starts a comment; and "key=value" may
 * fit in a line where "key = value" does not. config show prints settings
 * for people, so such settings are not reloaded.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "core/config.h"
#include "tests/fuzz/fuzz.h"

/* Loads data as a config file; 0 or TD_EINVAL as config_load(). */
static int load(struct config *cfg, const void *data, size_t size, char *err, size_t errlen)
{
	char path[64];
	int fd = memfd_create("fuzz_config", MFD_CLOEXEC), rc;
	if (fd < 0)
		fuzz_fail("memfd_create: %s", strerror(errno));
	if (size && write(fd, data, size) != (ssize_t)size)
		fuzz_fail("write to memfd: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rc = config_load(cfg, path, err, errlen);
	close(fd);
	return rc;
}

/* The effective settings of cfg as text (free() it). */
static char *effective(const struct config *cfg, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		fuzz_fail("open_memstream: %s", strerror(errno));
	config_write_effective(cfg, f);
	fclose(f);
	return text;
}

static size_t longest_line(const char *text)
{
	size_t longest = 0;
	for (const char *p = text; *p; p += *p == '\n') {
		size_t n = strcspn(p, "\n");
		longest = n > longest ? n : longest;
		p += n;
	}
	return longest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool once;
	struct config cfg, again;
	char err[512] = "";
	size_t len, len2;

	if (!once) {
		unsetenv("TILLDESK_TELEGRAM_TOKEN");
		unsetenv("TILLDESK_SMTP_PASSWORD");
		once = true;
	}
	if (load(&cfg, data, size, err, sizeof(err))) {
		if (!*err)
			fuzz_fail("a file refused without a reason");
		return 0;
	}
	(void)config_sla_policy(&cfg, "standard", 1 + (int)(size % 4));
	char *text = effective(&cfg, &len);
	if (strstr(text, "= ;") || longest_line(text) > 199) {
		free(text);
		config_release(&cfg);
		return 0;
	}
	if (load(&again, text, len, err, sizeof(err)))
		fuzz_fail("the effective settings do not load: %s\n%s", err, text);
	char *text2 = effective(&again, &len2);
	if (len != len2 || memcmp(text, text2, len))
		fuzz_fail("the effective settings change on reload:\n%s\n----\n%s", text, text2);
	free(text);
	free(text2);
	config_release(&cfg);
	config_release(&again);
	return 0;
}
