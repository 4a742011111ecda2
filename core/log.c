#include <pthread.h>
#include <unistd.h>

#include "core/log.h"

#define LOG_LINE_MAX 2048
#define LOG_SECRETS_MAX 8

static enum log_level min_level = LOG_INFO;
static char *secrets[LOG_SECRETS_MAX];
static void (*sink)(const char *, void *);
static void *sink_arg;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_level(enum log_level level)
{
	min_level = level;
}

int log_level_parse(enum log_level *out, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (!strcmp(name, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

void log_add_secret(const char *secret)
{
	if (!secret || !*secret)
		return;
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < LOG_SECRETS_MAX; i++) {
		if (secrets[i] && !strcmp(secrets[i], secret))
			break;
		if (!secrets[i]) {
			secrets[i] = xstrdup(secret);
			break;
		}
	}
	pthread_mutex_unlock(&log_lock);
}

void log_clear_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < LOG_SECRETS_MAX; i++) {
		free(secrets[i]);
		secrets[i] = NULL;
	}
	pthread_mutex_unlock(&log_lock);
}

void log_set_sink(void (*fn)(const char *line, void *arg), void *arg)
{
	pthread_mutex_lock(&log_lock);
	sink = fn;
	sink_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

/* Replaces every occurrence of each secret in line, in place. */
static void redact(char *line)
{
	for (size_t i = 0; i < LOG_SECRETS_MAX && secrets[i]; i++) {
		size_t n = strlen(secrets[i]);
		char *p;
		while ((p = strstr(line, secrets[i]))) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + n, strlen(p + n) + 1);
		}
	}
}

/* Control characters would split one event over several journal lines. */
static void flatten(char *line)
{
	for (unsigned char *p = (unsigned char *)line; *p; p++)
		if (*p < 0x20)
			*p = ' ';
}

TD_PRINTF(2, 0)
static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n = snprintf(line, sizeof(line), "tilldesk[%d]: %s: ", (int)getpid(),
			 level_names[level]);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	flatten(line);
	pthread_mutex_lock(&log_lock);
	redact(line);
	if (sink)
		sink(line, sink_arg);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
