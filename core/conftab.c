#include <ini.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/conftab.h"
#include "core/log.h"

/* The longest duration a config takes, in any unit. */
#define DURATION_MAX (100LL * 365 * 86400)

int config_parse_duration(int64_t *out, const char *s)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
	};
	if (!strcmp(s, "0")) {
		*out = 0;
		return 0;
	}
	int64_t total = 0;
	const char *p = s;
	if (!*p)
		return TD_EINVAL;
	while (*p) {
		if (*p < '0' || *p > '9')
			return TD_EINVAL;
		int64_t n = 0;
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (*p++ - '0');
			/* Bounded by the total, not by a digit count: what config show
			 * prints in seconds must read back. */
			if (n > DURATION_MAX)
				return TD_EINVAL;
		}
		size_t i;
		for (i = 0; i < ARRAY_SIZE(units); i++)
			if (*p == units[i].unit)
				break;
		if (i == ARRAY_SIZE(units))
			return TD_EINVAL;
		p++;
		total += n * units[i].secs;
		if (total > DURATION_MAX)
			return TD_EINVAL;
	}
	*out = total;
	return 0;
}

static bool choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, v, n))
			return true;
		p += len + (bar ? 1 : 0);
	}
	return false;
}

/* Checks value against key and stores it in obj; on error writes the reason. */
/* Frees a string value; a secret's bytes are wiped first. */
static void cfg_free_value(const struct cfg_key *k, char *v)
{
	if (v && k->type == CFG_SECRET)
		explicit_bzero(v, strlen(v));
	free(v);
}

static int key_set(const struct cfg_table *t, void *obj, const struct cfg_key *k,
		   const char *value, char *err, size_t errlen)
{
	void *field = (char *)obj + k->offset;
	long long i;
	int64_t d;

	switch (k->type) {
	case CFG_STRING:
	case CFG_SECRET:
	case CFG_CHOICE:
		if (k->type == CFG_CHOICE && !choice_ok(k->choices, value)) {
			snprintf(err, errlen, "%s.%s: '%s' is not one of %s", k->section, k->name,
				 value, k->choices);
			return TD_EINVAL;
		}
		if (!utf8_valid(value, strlen(value))) {
			snprintf(err, errlen, "%s.%s: value is not valid UTF-8", k->section, k->name);
			return TD_EINVAL;
		}
		cfg_free_value(k, *(char **)field);
		*(char **)field = xstrdup(value);
		return 0;
	case CFG_INT:
		if (parse_int(&i, value, k->min, k->max)) {
			snprintf(err, errlen, "%s.%s: '%s' is not an integer from %lld to %lld",
				 k->section, k->name, value, k->min, k->max);
			return TD_EINVAL;
		}
		*(long long *)field = i;
		return 0;
	case CFG_DURATION:
		if (config_parse_duration(&d, value)) {
			snprintf(err, errlen, "%s.%s: '%s' is not a duration (such as 90s, 15m, 4h, 2d)",
				 k->section, k->name, value);
			return TD_EINVAL;
		}
		if (d < k->min || d > k->max) {
			snprintf(err, errlen, "%s.%s: %s is out of range (%llds to %llds)",
				 k->section, k->name, value, k->min, k->max);
			return TD_EINVAL;
		}
		*(int64_t *)field = d;
		return 0;
	case CFG_CUSTOM:
		return t->custom(obj, k, k->name, value, err, errlen);
	}
	return TD_EINVAL;
}

/*
 * inih's reader, fgets() but for lines longer than inih's buffer: inih
 * would parse the rest of such a line as a line of its own (a value cut
 * short, a "syntax error" on the wrong line). Stops the parse instead.
 * It also notes where the last [section] header stood.
 */
struct load_state;

struct line_reader {
	FILE *f;
	int line;       /* lines read so far */
	int too_long;   /* the line that did not fit, 0 for none */
	int max;        /* the longest line that fits, in bytes */
	int section_line;  /* the line of the last [section] header */
	char section[256]; /* its name, as inih will read it */
	bool used;         /* an entry of it came */
	struct load_state *st;
};

static int empty_section(struct load_state *st);

/* Reads "[ name ]" (inih trims the name) into r->section. */
static void header_seen(struct line_reader *r, const char *line)
{
	const char *p = line + strspn(line, " \t") + 1;
	p += strspn(p, " \t");
	size_t n = strcspn(p, "]");
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	snprintf(r->section, sizeof(r->section), "%.*s", (int)n, p);
	r->section_line = r->line;
	r->used = false;
}

static char *read_line(char *str, int num, void *stream)
{
	struct line_reader *r = stream;
	/* Every entry before this line is handled: a section left empty shows now. */
	if (!fgets(str, num, r->f) || (str[strspn(str, " \t")] == '[' && empty_section(r->st)))
		return NULL;
	r->line++;
	if (str[strspn(str, " \t")] == '[')
		header_seen(r, str);
	size_t n = strlen(str);
	if (n + 1 == (size_t)num && str[n - 1] != '\n') {
		int c = getc(r->f);
		if (c == '\n' || c == EOF)  /* it fitted, but for its newline */
			return str;
		r->too_long = r->line;
		r->max = num - 1;
		return NULL;
	}
	return str;
}

struct load_state {
	const struct cfg_table *t;
	void *obj;
	bool *seen;             /* per row */
	char **others;          /* "section\nname" of entries other() took */
	size_t n_others;
	char open[256];         /* the section other() is taking, "" for none */
	int open_line;          /* its header's line */
	struct line_reader *r;
	char *err;
	size_t errlen;
	bool failed;
	int err_line;           /* when not the line inih reports */
};

/* Ends the section other() was taking, if any: section_end() checks it. */
static int close_section(struct load_state *st, char *reason, size_t n)
{
	int rc = 0;
	if (st->open[0] && st->t->section_end) {
		rc = st->t->section_end(st->obj, st->open, reason, n);
		if (rc)
			st->err_line = st->open_line;
	}
	st->open[0] = '\0';
	return rc;
}

/* An entry of no row: other()'s, refused when set twice. */
static int other_entry(struct load_state *st, const char *section, const char *name,
		       const char *value, char *reason, size_t n)
{
	char id[512];
	if (!st->t->other)
		return CFG_NOT_MINE;
	snprintf(id, sizeof(id), "%s\n%s", section, name);
	for (size_t j = 0; j < st->n_others; j++) {
		if (!strcmp(st->others[j], id)) {
			snprintf(reason, n, "%s.%s is set twice", section, name);
			return TD_EINVAL;
		}
	}
	int rc = st->t->other(st->obj, section, name, value, reason, n);
	if (rc == 0) {
		st->others = xrealloc(st->others, (st->n_others + 1) * sizeof(*st->others));
		st->others[st->n_others++] = xstrdup(id);
		if (strcmp(st->open, section)) {
			snprintf(st->open, sizeof(st->open), "%s", section);
			st->open_line = st->r->section_line;
		}
	}
	return rc;
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_state *st = user;
	const struct cfg_table *t = st->t;
	char reason[512];
	int rc = TD_EINVAL;
	size_t i;

	st->r->used = true;
	if (st->open[0] && strcmp(st->open, section)) {
		rc = close_section(st, reason, sizeof(reason));
		if (rc)
			goto done;
	}
	for (i = 0; i < t->n_keys; i++)
		if (!strcmp(t->keys[i].section, section) && !strcmp(t->keys[i].name, name))
			break;
	if (i < t->n_keys) {
		if (st->seen[i]) {
			snprintf(reason, sizeof(reason), "%s.%s is set twice", section, name);
		} else {
			st->seen[i] = true;
			rc = key_set(t, st->obj, &t->keys[i], value, reason, sizeof(reason));
		}
		goto done;
	}
	rc = other_entry(st, section, name, value, reason, sizeof(reason));
	if (rc == CFG_NOT_MINE) {
		bool known_section = false;
		rc = TD_EINVAL;
		for (size_t j = 0; j < t->n_keys; j++)
			known_section |= !strcmp(t->keys[j].section, section);
		if (!*section)
			snprintf(reason, sizeof(reason), "key '%s' outside any [section]", name);
		else if (known_section)
			snprintf(reason, sizeof(reason), "unknown key '%s' in [%s]", name, section);
		else
			snprintf(reason, sizeof(reason), "unknown section [%s]", section);
	}
done:
	if (rc && !st->failed) {
		/* inih reports the first failing line; keep the matching reason. */
		st->failed = true;
		snprintf(st->err, st->errlen, "%s", reason);
	}
	return rc == 0;
}

/*
 * The [section] just read had no entries: a section of rows keeps its
 * defaults, other() may take it (a check that needs no keys), anything
 * else is a typo. Reported at the header's line; true when it failed.
 */
static int empty_section(struct load_state *st)
{
	struct line_reader *r = st->r;
	const struct cfg_table *t = st->t;
	char reason[512];
	if (!r->section_line || r->used || st->failed)
		return 0;
	r->used = true;
	for (size_t j = 0; j < t->n_keys; j++)
		if (!strcmp(t->keys[j].section, r->section))
			return 0;
	int rc = t->other ? t->other(st->obj, r->section, NULL, NULL, reason, sizeof(reason)) :
		CFG_NOT_MINE;
	if (rc == CFG_NOT_MINE) {
		snprintf(reason, sizeof(reason), "unknown section [%s]", r->section);
		rc = TD_EINVAL;
	} else if (!rc && t->section_end) {
		rc = t->section_end(st->obj, r->section, reason, sizeof(reason));
	}
	if (rc) {
		st->failed = true;
		st->err_line = r->section_line;
		snprintf(st->err, st->errlen, "%s", reason);
	}
	return rc;
}

void cfg_release(const struct cfg_table *t, void *obj)
{
	if (t->release)
		t->release(obj);
	for (size_t i = 0; i < t->n_keys; i++) {
		if (t->keys[i].type == CFG_STRING || t->keys[i].type == CFG_SECRET ||
		    t->keys[i].type == CFG_CHOICE) {
			char **field = (char **)((char *)obj + t->keys[i].offset);
			cfg_free_value(&t->keys[i], *field);
			*field = NULL;
		}
	}
}

/* Reads the file at path into obj; 0, or TD_EINVAL with "path:line: reason". */
static int load_file(const struct cfg_table *t, void *obj, const char *path,
		     unsigned *exposed_mode, char *err, size_t errlen)
{
	char reason[512];
	struct line_reader r = { 0 };
	struct load_state st = { .t = t, .obj = obj, .r = &r, .err = reason,
				 .errlen = sizeof(reason) };
	int rc = TD_EINVAL, line;
	r.st = &st;

	r.f = fopen(path, "r");
	if (!r.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return TD_EINVAL;
	}
	st.seen = xcalloc(t->n_keys ? t->n_keys : 1, sizeof(*st.seen));
	line = ini_parse_stream(read_line, &r, on_ini_entry, &st);
	if (!line && !st.failed)
		empty_section(&st);
	if (!line && !st.failed && close_section(&st, reason, sizeof(reason))) {
		st.failed = true;
		line = st.err_line;
	}
	if (st.failed && st.err_line)
		line = st.err_line;

	struct stat fst;
	bool secret = false;
	for (size_t i = 0; i < t->n_keys; i++)
		secret |= st.seen[i] && t->keys[i].type == CFG_SECRET;
	if (exposed_mode && secret && !fstat(fileno(r.f), &fst) && cfg_mode_exposed(fst.st_mode))
		*exposed_mode = fst.st_mode & 07777;
	fclose(r.f);
	if (!line && r.too_long) {
		line = r.too_long;
		st.failed = true;
		snprintf(reason, sizeof(reason), "line longer than %d bytes", r.max);
	}
	if (line) {
		if (line > 0 && !st.failed)
			snprintf(reason, sizeof(reason), "syntax error (expected 'key = value' or '[section]')");
		else if (line < 0)
			snprintf(reason, sizeof(reason), "cannot read the file");
		snprintf(err, errlen, "%s:%d: %s", path, line > 0 ? line : 0, reason);
		goto done;
	}
	rc = 0;
done:
	for (size_t j = 0; j < st.n_others; j++)
		free(st.others[j]);
	free(st.others);
	free(st.seen);
	return rc;
}

int cfg_load(const struct cfg_table *t, void *obj, const char *path, unsigned *exposed_mode,
	     char *err, size_t errlen)
{
	char reason[512];

	if (exposed_mode)
		*exposed_mode = 0;
	for (size_t i = 0; i < t->n_keys; i++)
		if (key_set(t, obj, &t->keys[i], t->keys[i].def, reason, sizeof(reason)))
			fatal("built-in default is invalid: %s", reason);
	if (path && load_file(t, obj, path, exposed_mode, err, errlen))
		goto fail;
	for (size_t i = 0; i < t->n_keys; i++) {
		const char *v = t->keys[i].env ? getenv(t->keys[i].env) : NULL;
		if (v && key_set(t, obj, &t->keys[i], v, reason, sizeof(reason))) {
			snprintf(err, errlen, "%s: %s", t->keys[i].env, reason);
			goto fail;
		}
	}
	return 0;
fail:
	cfg_release(t, obj);
	return TD_EINVAL;
}

void cfg_write_comment(FILE *out, const char *help)
{
	if (!help)
		return;
	for (const char *p = help; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(out, "; %.*s\n", len, p);
		p += len + (nl ? 1 : 0);
	}
}

void cfg_write_example(const struct cfg_table *t, FILE *out)
{
	const char *section = NULL;
	fputs(t->preamble, out);
	for (size_t i = 0; i < t->n_keys; i++) {
		if (!section || strcmp(section, t->keys[i].section)) {
			section = t->keys[i].section;
			fprintf(out, "\n[%s]\n", section);
		}
		cfg_write_comment(out, t->keys[i].help);
		fprintf(out, "%s = %s\n", t->keys[i].name, t->keys[i].def);
	}
}

bool cfg_mode_exposed(unsigned mode)
{
	return (mode & (S_IRGRP | S_IROTH)) != 0;
}

int cfg_read_secret_file(const char *path, char *out, size_t n, char *err, size_t errlen)
{
	struct stat st;
	int rc = TD_EINVAL;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == ELOOP ? " (a symbolic link, not followed)" : "");
		return TD_EINVAL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto done;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: belongs to uid %u, not to us (uid %u); it holds a"
			 " secret: chown it to the account that reads it", path,
			 (unsigned)st.st_uid, (unsigned)geteuid());
		goto done;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "%s: mode %04o lets others read a secret; run chmod 600 %s",
			 path, (unsigned)(st.st_mode & 07777), path);
		goto done;
	}
	got = read(fd, out, n - 1);
	if (got < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (!out[0]) {
		snprintf(err, errlen, "%s: empty, expected the secret on its first line", path);
		goto done;
	}
	rc = 0;
done:
	close(fd);
	return rc;
}
