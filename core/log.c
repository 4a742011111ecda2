#include <pthread.h>
#include <unistd.h>

#include "core/log.h"

#define LOG_LINE_MAX 2048
#define LOG_SECRETS_MAX 8
#define LOG_MASK "***"

static enum log_level min_level = LOG_INFO;
static const char *program = "tilldesk";
static char *secrets[LOG_SECRETS_MAX];
static void (*sink)(const char *, void *);
static void *sink_arg;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_set_program(const char *name)
{
	program = name;
}

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

static void forget_slot(size_t i)
{
	if (secrets[i])
		explicit_bzero(secrets[i], strlen(secrets[i]));
	free(secrets[i]);
	secrets[i] = NULL;
}

void log_replace_secret(const char *old, const char *secret)
{
	pthread_mutex_lock(&log_lock);
	/* The rotated-out secret gives up its slot: rotations never fill the table. */
	for (size_t i = 0; old && *old && i < LOG_SECRETS_MAX; i++)
		if (secrets[i] && !strcmp(secrets[i], old))
			forget_slot(i);
	pthread_mutex_unlock(&log_lock);
	log_add_secret(secret);
}

void log_clear_secrets(void)
{
	pthread_mutex_lock(&log_lock);
	for (size_t i = 0; i < LOG_SECRETS_MAX; i++)
		forget_slot(i);
	pthread_mutex_unlock(&log_lock);
}

void log_set_sink(void (*fn)(const char *line, void *arg), void *arg)
{
	pthread_mutex_lock(&log_lock);
	sink = fn;
	sink_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

/*
 * Appends text[0..len) to out (size bytes, holding *n) with every byte that
 * lies in an occurrence of a registered secret masked: each run of masked
 * bytes becomes one LOG_MASK, whatever the secrets' lengths, so a secret of
 * one byte, a secret made of '*', repeated or overlapping occurrences and
 * secrets sharing bytes are all covered, and nothing of a secret survives.
 * The text is masked whole before out cuts it, so a cut never leaves part
 * of a secret unmasked. Returns false when out was full.
 */
static bool mask_into(char *out, size_t size, size_t *n, const char *text, size_t len)
{
	size_t masked_to = 0;  /* bytes before this index are inside a secret */
	size_t lens[LOG_SECRETS_MAX], n_secrets = 0;
	bool in_mask = false;

	while (n_secrets < LOG_SECRETS_MAX && secrets[n_secrets]) {
		lens[n_secrets] = strlen(secrets[n_secrets]);
		n_secrets++;
	}
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < n_secrets; k++) {
			size_t sl = lens[k];
			if (sl <= len - i && i + sl > masked_to && !memcmp(text + i, secrets[k], sl))
				masked_to = i + sl;
		}
		const char *piece = text + i;
		size_t piece_len = 1;
		if (i < masked_to) {
			if (in_mask)
				continue;
			piece = LOG_MASK;
			piece_len = strlen(LOG_MASK);
		}
		in_mask = i < masked_to;
		if (piece_len > size - 1 - *n)
			return false;
		memcpy(out + *n, piece, piece_len);
		*n += piece_len;
	}
	return true;
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
	char small[LOG_LINE_MAX], line[LOG_LINE_MAX];
	char *text = small;
	va_list again;

	/* The whole message is formatted before masking, however long. */
	va_copy(again, ap);
	int len = vsnprintf(small, sizeof(small), fmt, ap);
	if (len >= (int)sizeof(small) && (text = malloc((size_t)len + 1)))
		vsnprintf(text, (size_t)len + 1, fmt, again);
	va_end(again);
	if (len < 0 || !text) {
		text = small;
		len = snprintf(small, sizeof(small), "(a log line was lost: out of memory)");
	}

	size_t n = (size_t)snprintf(line, sizeof(line), "%s[%d]: %s: ", program, (int)getpid(),
				    level_names[level]);
	pthread_mutex_lock(&log_lock);
	if (!mask_into(line, sizeof(line), &n, text, (size_t)len))
		n = utf8_cut(line, n);
	line[n] = '\0';
	flatten(line);
	if (sink)
		sink(line, sink_arg);
	else
		fprintf(stderr, "%s\n", line);
	pthread_mutex_unlock(&log_lock);
	if (text != small)
		free(text);
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
