#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/crypto.h"
#include "kb/alias.h"
#include "kb/article.h"
#include "kb/regex.h"
#include "kb/text.h"

#define SLUG_MAX 64
#define LIST_MAX 64    /* patterns or examples per article */

/*
 * The fiscal engineers have what the drive, the OFD, the shift and the
 * till's clock (which the drive checks every document against) break;
 * marking goes with ЕГАИС: both are the state's tracking systems, with
 * their own keys, modules and people who know them; the printer and the
 * link to the till are its hardware. README, "Routing", says the same.
 */
const struct kb_category kb_categories[] = {
	{ "ФН", ROUTE_FISCAL },
	{ "ОФД", ROUTE_FISCAL },
	{ "принтер", ROUTE_HARDWARE },
	{ "часы", ROUTE_FISCAL },
	{ "смена", ROUTE_FISCAL },
	{ "связь с ККТ", ROUTE_HARDWARE },
	{ "УТМ/ЕГАИС", ROUTE_EGAIS },
	{ "маркировка", ROUTE_EGAIS },
	{ "ПО кассы", ROUTE_POS },
	{ "сеть", ROUTE_NETWORK },
	{ "оборудование", ROUTE_HARDWARE },
	{ NULL, 0 },
};

int kb_category_route(enum route_group *out, const char *category)
{
	for (const struct kb_category *c = kb_categories; c->name; c++) {
		if (!strcmp(c->name, category)) {
			*out = c->group;
			return 0;
		}
	}
	return TD_ENOTFOUND;
}

enum key { K_ID, K_TITLE, K_CATEGORY, K_PRIORITY, K_CODES, K_KEYWORDS, K_PATTERN, K_EXAMPLE };

static const struct {
	const char *name;
	bool required, repeats;
} keys[] = {
	[K_ID] = { "id", true, false },
	[K_TITLE] = { "title", true, false },
	[K_CATEGORY] = { "category", true, false },
	[K_PRIORITY] = { "priority", true, false },
	[K_CODES] = { "codes", false, false },
	[K_KEYWORDS] = { "keywords", false, false },
	[K_PATTERN] = { "pattern", false, true },
	[K_EXAMPLE] = { "example", true, true },
};

/* Counts characters (not bytes) of valid UTF-8. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	char *out = xmalloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static void push(char ***list, size_t *n, char *item)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = item;
}

struct parse {
	struct kb_article *a;
	const char *file;
	struct buf *errors;
	int seen[ARRAY_SIZE(keys)];   /* the line each key was first set on */
	bool failed;
};

static void fail(struct parse *p, int line, const char *fmt, ...) TD_PRINTF(3, 4);
static void fail(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;
	buf_printf(p->errors, "%s:%d: ", p->file, line);
	va_start(ap, fmt);
	buf_vprintf(p->errors, fmt, ap);
	va_end(ap);
	buf_putc(p->errors, '\n');
	p->failed = true;
}

static bool valid_slug(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > SLUG_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

bool kb_code_is_agent(const char *code)
{
	size_t n = strlen(code);
	if (!n || n > 64 || !strchr(code, '.'))
		return false;
	return strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_.") == n;
}

/* Calls fn with each code of a comma-separated list, trimmed, until it returns true. */
static bool codes_each(const char *codes, bool (*fn)(const char *code, void *arg), void *arg)
{
	bool stop = false;
	for (const char *s = codes; *s && !stop;) {
		size_t n = strcspn(s, ",");
		char *code = trimmed(s, n);
		stop = *code && fn(code, arg);
		free(code);
		s += n + (s[n] == ',');
	}
	return stop;
}

static bool same_code(const char *code, void *arg)
{
	return !strcmp(code, arg);
}

bool kb_codes_name(const char *codes, const char *code)
{
	return codes_each(codes, same_code, (void *)code);
}

static bool put_cashiers_code(const char *code, void *arg)
{
	struct buf *out = arg;
	if (!kb_code_is_agent(code))
		buf_printf(out, "%s%s", out->len ? ", " : "", code);
	return false;
}

void kb_codes_for_cashiers(const char *codes, struct buf *out)
{
	codes_each(codes, put_cashiers_code, out);
}

/* A code with a dot is an agent's and must be written as the agent sends it. */
static bool bad_agent_code(const char *code, void *arg)
{
	(void)arg;
	return strchr(code, '.') && !kb_code_is_agent(code);
}

static void header_line(struct parse *p, int line, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (!colon) {
		fail(p, line, "expected 'key: value' in the header");
		return;
	}
	char *name = trimmed(s, (size_t)(colon - s));
	char *value = trimmed(colon + 1, n - (size_t)(colon + 1 - s));
	size_t k;
	for (k = 0; k < ARRAY_SIZE(keys); k++)
		if (!strcmp(name, keys[k].name))
			break;
	if (k == ARRAY_SIZE(keys)) {
		fail(p, line, "unknown key '%s'", name);
		goto done;
	}
	if (p->seen[k] && !keys[k].repeats) {
		fail(p, line, "'%s' is set twice (first on line %d)", name, p->seen[k]);
		goto done;
	}
	if (!p->seen[k])
		p->seen[k] = line;
	if (!*value) {
		fail(p, line, "'%s' is empty", name);
		goto done;
	}
	struct kb_article *a = p->a;
	char err[256];
	long long prio;
	switch ((enum key)k) {
	case K_ID:
		if (!valid_slug(value))
			fail(p, line, "id '%s' must be 1 to %d of a-z, 0-9 and '-'", value, SLUG_MAX);
		a->slug = value;
		a->slug_line = line;
		value = NULL;
		break;
	case K_TITLE:
		if (utf8_chars(value) > KB_TITLE_MAX)
			fail(p, line, "title is longer than %d characters", KB_TITLE_MAX);
		a->title = value;
		value = NULL;
		break;
	case K_CATEGORY: {
		enum route_group group;
		if (kb_category_route(&group, value))
			fail(p, line, "unknown category '%s' (see kb/FORMAT.md)", value);
		a->category = value;
		value = NULL;
		break;
	}
	case K_PRIORITY:
		if ((value[0] != 'P' && value[0] != 'p') || parse_int(&prio, value + 1, 1, 4))
			fail(p, line, "priority must be P1, P2, P3 or P4, not '%s'", value);
		else
			a->priority = (int)prio;
		break;
	case K_CODES:
		if (codes_each(value, bad_agent_code, NULL))
			fail(p, line, "codes: an agent's code is 1 to 64 of a-z, 0-9, '_' and '.'"
			     " (\"fn.unsent\")");
		a->codes = value;
		value = NULL;
		break;
	case K_KEYWORDS:
		a->keywords = value;
		value = NULL;
		break;
	case K_PATTERN:
		if (kb_regex_check(value, err, sizeof(err))) {
			fail(p, line, "pattern: %s", err);
			break;
		}
		if (a->n_patterns == LIST_MAX)
			fail(p, line, "more than %d patterns", LIST_MAX);
		push(&a->patterns, &a->n_patterns, value);
		value = NULL;
		break;
	case K_EXAMPLE:
		if (a->n_examples == LIST_MAX)
			fail(p, line, "more than %d examples", LIST_MAX);
		push(&a->examples, &a->n_examples, value);
		value = NULL;
		break;
	}
done:
	free(name);
	free(value);
}

int kb_article_parse(struct kb_article *out, const char *file, const char *data, size_t len,
		     struct buf *errors)
{
	struct parse p = { .a = out, .file = file, .errors = errors };
	memset(out, 0, sizeof(*out));
	out->file = xstrdup(file);
	crypto_sha256_hex(out->digest, data, len);

	if (memchr(data, '\0', len) || !utf8_valid(data, len)) {
		/* Name the first bad line: a newline is never inside a character. */
		int line = 1;
		for (const char *l = data, *e = data + len; l < e; line++) {
			const char *nl = memchr(l, '\n', (size_t)(e - l));
			size_t n = nl ? (size_t)(nl - l) : (size_t)(e - l);
			if (memchr(l, '\0', n) || !utf8_valid(l, n))
				break;
			l += n + 1;
		}
		fail(&p, line, "not valid UTF-8 text");
		goto done;
	}
	if (!len) {
		fail(&p, 1, "an article starts with a '---' line, then its header");
		goto done;
	}
	const char *s = data, *end = data + len;
	int line = 0;
	bool in_header = false, closed = false;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		const char *next = nl ? nl + 1 : end;
		line++;
		char *t = trimmed(s, n);
		if (line == 1) {
			if (strcmp(t, "---"))
				fail(&p, 1, "an article starts with a '---' line, then its header");
			else
				in_header = true;
		} else if (in_header && !strcmp(t, "---")) {
			in_header = false;
			closed = true;
			free(t);
			s = next;
			break;
		} else if (in_header && *t && *t != '#') {
			header_line(&p, line, s, n);
		}
		free(t);
		if (p.failed && line == 1)
			goto done;
		s = next;
	}
	if (!closed) {
		fail(&p, line, "the header is not closed by a '---' line");
		goto done;
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		if (keys[k].required && !p.seen[k])
			fail(&p, line, "the header has no '%s'", keys[k].name);
	out->body = trimmed(s, (size_t)(end - s));
	/* Leading blank lines are not part of the body either. */
	size_t lead = strspn(out->body, "\n\r \t");
	memmove(out->body, out->body + lead, strlen(out->body + lead) + 1);
	if (!*out->body)
		fail(&p, line + 1, "the article has no body");
	else if (utf8_chars(out->body) > KB_BODY_MAX)
		fail(&p, line + 1, "the body is longer than %d characters", KB_BODY_MAX);
	if (!out->codes)
		out->codes = xstrdup("");
	if (!out->keywords)
		out->keywords = xstrdup("");
done:
	if (p.failed) {
		kb_article_release(out);
		return TD_EINVAL;
	}
	return 0;
}

void kb_article_release(struct kb_article *a)
{
	free(a->slug);
	free(a->title);
	free(a->category);
	free(a->codes);
	free(a->keywords);
	for (size_t i = 0; i < a->n_patterns; i++)
		free(a->patterns[i]);
	free(a->patterns);
	for (size_t i = 0; i < a->n_examples; i++)
		free(a->examples[i]);
	free(a->examples);
	free(a->body);
	free(a->file);
	memset(a, 0, sizeof(*a));
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int cmp_slug(const void *x, const void *y)
{
	const struct kb_article *a = *(const struct kb_article *const *)x;
	const struct kb_article *b = *(const struct kb_article *const *)y;
	int c = strcmp(a->slug, b->slug);
	return c ? c : strcmp(a->file, b->file);
}

static int read_file(const char *path, struct buf *out, struct buf *errors)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		buf_printf(errors, "%s: %s\n", path, strerror(errno));
		return TD_ERR;
	}
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	bool bad = ferror(f);
	fclose(f);
	if (bad || out->failed) {
		buf_printf(errors, "%s:1: %s\n", path,
			   out->failed ? "file larger than 64 KiB" : strerror(errno));
		return TD_ERR;
	}
	return 0;
}

/* Reads and parses dir/aliases.txt into s; a missing file is no aliases. */
static int load_aliases(struct kb_set *s, const char *dir, struct buf *errors)
{
	struct buf path = BUF_INIT(4096), data = BUF_INIT(KB_ALIASES_MAX);
	struct kb_text *t = NULL;
	int rc = 0;
	buf_printf(&path, "%s/aliases.txt", dir);
	if (access(buf_cstr(&path), F_OK) && errno == ENOENT) {
		s->aliases_text = xstrdup("");
		goto done;
	}
	rc = TD_EINVAL;
	if (read_file(buf_cstr(&path), &data, errors))
		goto done;
	if (!(t = kb_text_new())) {
		buf_printf(errors, "%s: out of memory\n", buf_cstr(&path));
		goto done;
	}
	if ((rc = kb_aliases_parse(&s->aliases, t, buf_cstr(&path), buf_cstr(&data), errors)))
		goto done;
	s->aliases_text = buf_detach(&data);
done:
	kb_text_free(t);
	buf_release(&path);
	buf_release(&data);
	return rc;
}

int kb_set_load(struct kb_set *out, const char *dir, struct buf *errors)
{
	DIR *d = opendir(dir);
	char **names = NULL;
	size_t n_names = 0;
	bool failed = false;

	memset(out, 0, sizeof(*out));
	if (!d) {
		buf_printf(errors, "%s: %s\n", dir, strerror(errno));
		return TD_EINVAL;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] != '.' && n > 3 && !strcmp(e->d_name + n - 3, ".md"))
			push(&names, &n_names, xstrdup(e->d_name));
	}
	closedir(d);
	if (names)
		qsort(names, n_names, sizeof(*names), cmp_name);
	out->a = xcalloc(n_names ? n_names : 1, sizeof(*out->a));
	for (size_t i = 0; i < n_names; i++) {
		struct buf path = BUF_INIT(4096), data = BUF_INIT(KB_FILE_MAX);
		buf_printf(&path, "%s/%s", dir, names[i]);
		if (read_file(buf_cstr(&path), &data, errors) ||
		    kb_article_parse(&out->a[out->n], buf_cstr(&path), buf_cstr(&data), data.len, errors))
			failed = true;
		else
			out->n++;
		buf_release(&path);
		buf_release(&data);
		free(names[i]);
	}
	free(names);
	/* Duplicate ids stand next to each other once sorted. */
	const struct kb_article **by_slug = xcalloc(out->n ? out->n : 1, sizeof(*by_slug));
	for (size_t i = 0; i < out->n; i++)
		by_slug[i] = &out->a[i];
	qsort(by_slug, out->n, sizeof(*by_slug), cmp_slug);
	for (size_t i = 1; i < out->n; i++)
		if (!strcmp(by_slug[i]->slug, by_slug[i - 1]->slug)) {
			buf_printf(errors, "%s:%d: id '%s' is already used by %s\n", by_slug[i]->file,
				   by_slug[i]->slug_line, by_slug[i]->slug, by_slug[i - 1]->file);
			failed = true;
		}
	free(by_slug);
	failed |= load_aliases(out, dir, errors) != 0;
	if (!failed && !out->n) {
		buf_printf(errors, "%s: no articles (*.md files)\n", dir);
		failed = true;
	}
	if (failed) {
		kb_set_release(out);
		return TD_EINVAL;
	}
	return 0;
}

void kb_set_release(struct kb_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		kb_article_release(&s->a[i]);
	free(s->a);
	free(s->aliases_text);
	kb_aliases_free(s->aliases);
	memset(s, 0, sizeof(*s));
}
