/*
 * check_plugin.c - any Nagios / Monitoring Plugins plugin as a check.
 *
 *   [check.plugin ntp]
 *   command = /usr/lib/nagios/plugins/check_ntp_time -H pool.ntp.org -w 60 -c 240
 *   timeout = 10s         ; default 10 s, then its process group is killed
 *   code = plugin.ntp     ; default plugin.<instance>
 *
 * The command is split into argv here, as a shell would split words in
 * '...' and "..." (and \ outside single quotes), but no shell runs: no
 * variables, globs or pipes. The plugin runs in its own process group with
 * stdin and stderr on /dev/null and without the agent's other descriptors.
 * Exit 0-3 is OK, WARNING, CRITICAL, UNKNOWN; anything else, a signal, a
 * plugin that cannot start or one past its timeout is UNKNOWN and says
 * why. It runs through agent_exec_argv (agent/exec.h), as the fn check's
 * command does. The first line up to "|" is the summary; perfdata is read
 * after the first line's "|" and after the "|" of the long text, as Nagios
 * does.
 * At most 8 KiB of output is kept (the rest is read and dropped, so a
 * chatty plugin never blocks). The check's name on the wire is the
 * instance's ([check.plugin ntp] reports as check "ntp").
 */
#include <math.h>
#include <sys/wait.h>

#include "agent/checks.h"
#include "agent/exec.h"
#include "core/buf.h"

#define PLUGIN_ARGS_MAX 64
#define PLUGIN_OUTPUT_MAX 8192
#define PLUGIN_TIMEOUT_MAX 600
#define PLUGIN_PERF_MAX 16

struct plugin {
	struct check_naming naming;
	char *argv[PLUGIN_ARGS_MAX + 1];
	size_t argc;
	int64_t timeout;  /* seconds */
};

static void *plugin_create(void)
{
	struct plugin *p = xcalloc(1, sizeof(*p));
	check_naming_init(&p->naming, "plugin");
	p->timeout = 10;
	return p;
}

static void drop_argv(struct plugin *p)
{
	for (size_t i = 0; i < p->argc; i++)
		free(p->argv[i]);
	p->argc = 0;
	p->argv[0] = NULL;
}

/* Splits s into words as sh would (quotes and backslashes, nothing else). */
static int split_command(struct plugin *p, const char *s, char *err, size_t errlen)
{
	struct buf word = BUF_INIT(4096);
	int rc = TD_EINVAL;

	drop_argv(p);
	while (*s) {
		s += strspn(s, " \t");
		if (!*s)
			break;
		buf_reset(&word);
		buf_add(&word, "", 0);  /* '' is a word too */
		while (*s && *s != ' ' && *s != '\t') {
			if (*s == '\'') {
				const char *end = strchr(s + 1, '\'');
				if (!end)
					goto unbalanced;
				buf_add(&word, s + 1, (size_t)(end - s - 1));
				s = end + 1;
			} else if (*s == '"') {
				for (s++; *s && *s != '"'; s++) {
					if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
						s++;
					buf_putc(&word, *s);
				}
				if (!*s)
					goto unbalanced;
				s++;
			} else if (*s == '\\' && s[1]) {
				buf_putc(&word, s[1]);
				s += 2;
			} else {
				buf_putc(&word, *s++);
			}
		}
		if (word.failed || p->argc == PLUGIN_ARGS_MAX) {
			snprintf(err, errlen, "command: at most %d words of 4 KiB", PLUGIN_ARGS_MAX);
			goto done;
		}
		p->argv[p->argc++] = xstrdup(buf_cstr(&word));
		p->argv[p->argc] = NULL;
	}
	rc = 0;
	goto done;
unbalanced:
	snprintf(err, errlen, "command: a quote is not closed");
done:
	buf_release(&word);
	if (rc)
		drop_argv(p);
	return rc;
}

static int plugin_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct plugin *p = self;

	int rc = check_naming_set(&p->naming, key, value, err, errlen);
	if (rc != TD_ENOTFOUND)
		return rc;
	if (!strcmp(key, "command"))
		return split_command(p, value, err, errlen);
	if (!strcmp(key, "timeout"))
		return check_set_duration(&p->timeout, key, value, PLUGIN_TIMEOUT_MAX, err, errlen);
	return check_unknown_key("plugin", key, err, errlen);
}

static int plugin_ready(void *self, char *err, size_t errlen)
{
	struct plugin *p = self;
	if (!p->argc || !*p->argv[0]) {
		snprintf(err, errlen, "a plugin check needs a command");
		return TD_EINVAL;
	}
	if (!p->naming.code_set)
		check_default_code(p->naming.code, "plugin", p->naming.instance);
	return 0;
}

/* ---- perfdata ---- */

/* Length of the number at s ([+-]digits[.digits][e[+-]digits], a comma for the point), 0: none. */
static size_t number_span(const char *s)
{
	size_t i = 0, digits = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (s[i] == '.' || s[i] == ',') {
		i++;
		while (s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (!digits)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		size_t j = i + 1;
		if (s[j] == '+' || s[j] == '-')
			j++;
		if (s[j] >= '0' && s[j] <= '9') {
			while (s[j] >= '0' && s[j] <= '9')
				j++;
			i = j;
		}
	}
	return i;
}

/* The number in s[0..n) (C locale, a comma read as the point); false when it is not finite. */
static bool number_value(const char *s, size_t n, double *out)
{
	char tmp[64];
	if (n >= sizeof(tmp))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *comma = strchr(tmp, ',');
	if (comma)
		*comma = '.';
	*out = strtod(tmp, NULL);
	return isfinite(*out);
}

/* A field that must be a plain number, or empty: *has gets flag when it is one. */
static void optional_number(const char *f, size_t n, double *out, unsigned *has, unsigned flag)
{
	if (n && number_span(f) == n && number_value(f, n, out))
		*has |= flag;
}

/* One "label=value[UOM];warn;crit;min;max" at s; 0 when it reads, the item's end in *end. */
static int perf_item(const char *s, const char **end, struct check_perf *p)
{
	struct buf label = BUF_INIT(1024);
	int rc = TD_EINVAL;
	const char *q = s;

	memset(p, 0, sizeof(*p));
	if (*q == '\'') {
		/* Quoted: may hold spaces and '=', a quote doubled. */
		for (q++;; q++) {
			if (!*q)
				goto skip;
			if (*q == '\'' && q[1] == '\'')
				buf_putc(&label, *q++);
			else if (*q == '\'')
				break;
			else
				buf_putc(&label, *q);
		}
		q++;
	} else {
		size_t n = strcspn(q, "= \t\n");
		buf_add(&label, q, n);
		q += n;
	}
	if (*q != '=' || !label.len || label.failed || !utf8_valid(label.data, label.len))
		goto skip;
	q++;

	size_t tok = strcspn(q, " \t\n");
	const char *field[5] = { 0 };
	size_t len[5] = { 0 };
	size_t nf = 0;
	for (const char *f = q; nf < 5 && f <= q + tok;) {
		const char *semi = memchr(f, ';', (size_t)(q + tok - f));
		field[nf] = f;
		len[nf++] = (size_t)((semi ? semi : q + tok) - f);
		if (!semi)
			break;
		f = semi + 1;
	}
	size_t num = number_span(field[0]);
	if (!num || num > len[0] || !number_value(field[0], num, &p->value))
		goto skip;
	size_t uom = len[0] - num;
	if (uom >= sizeof(p->uom))
		goto skip;
	for (size_t i = num; i < len[0]; i++)
		if (!((field[0][i] >= 'a' && field[0][i] <= 'z') || (field[0][i] >= 'A' && field[0][i] <= 'Z') ||
		      field[0][i] == '%'))
			goto skip;
	memcpy(p->uom, field[0] + num, uom);
	p->uom[uom] = '\0';
	if (nf > 1)
		optional_number(field[1], len[1], &p->warn, &p->has, CHECK_PERF_WARN);
	if (nf > 2)
		optional_number(field[2], len[2], &p->crit, &p->has, CHECK_PERF_CRIT);
	if (nf > 3)
		optional_number(field[3], len[3], &p->min, &p->has, CHECK_PERF_MIN);
	if (nf > 4)
		optional_number(field[4], len[4], &p->max, &p->has, CHECK_PERF_MAX);
	size_t keep = utf8_cut(label.data, label.len < sizeof(p->label) ? label.len : sizeof(p->label) - 1);
	memcpy(p->label, label.data, keep);
	p->label[keep] = '\0';
	*end = q + tok;
	rc = 0;
	goto done;
skip:
	/* Garbage: on to the next word. */
	*end = q + strcspn(q, " \t\n");
	if (*end == s)
		(*end)++;
done:
	buf_release(&label);
	return rc;
}

size_t check_plugin_perf_parse(struct check_result *r, const char *s)
{
	size_t added = 0;
	while (*s && r->n_perf < PLUGIN_PERF_MAX) {
		s += strspn(s, " \t\n\r");
		if (!*s)
			break;
		struct check_perf p;
		const char *end;
		if (!perf_item(s, &end, &p)) {
			check_perf_add(r, &p);
			added++;
		}
		s = end;
	}
	return added;
}

static void plugin_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct plugin *p = self;
	struct buf output = BUF_INIT(PLUGIN_OUTPUT_MAX);
	struct buf summary = BUF_INIT(4096);
	struct agent_exec_result o;
	struct check_result *r;
	const char *name = p->argv[0];
	/* A plugin reports as its instance: [check.plugin ntp] is check "ntp". */
	const char *check = p->naming.instance, *code = p->naming.code;
	(void)ctx;

	if (agent_exec_argv(&o, p->argv, (long)(p->timeout * 1000), PLUGIN_OUTPUT_MAX, &output) ||
	    o.exec_errno) {
		r = check_addm(out, check, code, CHECK_UNKNOWN, MSG_CHECK_PLUGIN_EXEC, name,
			       strerror(o.exec_errno ? o.exec_errno : EAGAIN));
		goto done;
	}
	if (o.timed_out) {
		r = check_addm(out, check, code, CHECK_UNKNOWN, MSG_CHECK_PLUGIN_TIMEOUT, name,
			       (long long)p->timeout);
		goto done;
	}

	const char *text = buf_cstr(&output);
	size_t first = strcspn(text, "\n");
	size_t bar = strcspn(text, "|\n");
	check_one_line(&summary, text, bar);

	if (WIFSIGNALED(o.status)) {
		r = check_addm(out, check, code, CHECK_UNKNOWN, MSG_CHECK_PLUGIN_SIGNAL, name,
			       WTERMSIG(o.status));
	} else if (WEXITSTATUS(o.status) > CHECK_UNKNOWN) {
		r = check_addm(out, check, code, CHECK_UNKNOWN, MSG_CHECK_PLUGIN_BAD_EXIT, name,
			       WEXITSTATUS(o.status), buf_cstr(&summary));
	} else if (!summary.len) {
		r = check_addm(out, check, code, (enum check_state)WEXITSTATUS(o.status),
			       MSG_CHECK_PLUGIN_SILENT, name);
	} else {
		r = check_add(out, check, code, (enum check_state)WEXITSTATUS(o.status), "%s",
			      buf_cstr(&summary));
	}
	/* Perfdata: after the first line's bar, and everything after the long text's first bar. */
	if (bar < first) {
		char *line = xmalloc(first - bar);
		memcpy(line, text + bar + 1, first - bar - 1);
		line[first - bar - 1] = '\0';
		check_plugin_perf_parse(r, line);
		free(line);
	}
	if (text[first]) {
		const char *rest = text + first + 1;
		const char *rest_bar = strchr(rest, '|');
		struct buf long_text = BUF_INIT(4096);
		check_one_line(&long_text, rest, rest_bar ? (size_t)(rest_bar - rest) : strlen(rest));
		if (long_text.len)
			check_detail(r, "long_output", "%s", buf_cstr(&long_text));
		buf_release(&long_text);
		if (rest_bar)
			check_plugin_perf_parse(r, rest_bar + 1);
	}
	if (WIFEXITED(o.status))
		check_detail(r, "exit", "%d", WEXITSTATUS(o.status));
done:
	buf_release(&summary);
	buf_release(&output);
}

static void plugin_destroy(void *self)
{
	drop_argv(self);
	free(self);
}

const struct check_kind check_plugin = {
	.name = "plugin",
	.create = plugin_create,
	.set = plugin_set,
	.ready = plugin_ready,
	.run = plugin_run,
	.destroy = plugin_destroy,
	.example =
		"; Any Nagios / Monitoring Plugins plugin (no shell): exit 0-3 is the state.\n"
		"; Code: plugin.NAME; killed with its process group after timeout.\n"
		"; [check.plugin ntp]\n"
		"; command = /usr/lib/nagios/plugins/check_ntp_time -H pool.ntp.org -w 60 -c 240\n"
		"; timeout = 10s\n",
};
