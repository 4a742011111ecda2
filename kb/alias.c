#include "core/buf.h"
#include "kb/alias.h"
#include "kb/text.h"

#define VARIANT_WORDS 8  /* words of a variant, at most */

/* One variant: its stems, and the canonical words it is read as. */
struct alias {
	char *stems[VARIANT_WORDS];
	int n;
	const char *canonical;  /* borrowed from the set's canonicals */
	int line;
};

struct kb_aliases {
	struct alias *v;         /* sorted by first stem, then longest first */
	size_t n;
	char **canonicals;
	size_t n_canonicals;
};

/* The terms of a text: stems, and where each word stands. */
struct terms {
	char (*stem)[KB_WORD_MAX + 1];
	size_t *start, *end;
	int n, alloc, max;
};

static int add_term(void *arg, const char *term, size_t n, size_t start, size_t end)
{
	struct terms *t = arg;
	if (t->max && t->n == t->max)
		return 1;
	if (t->n == t->alloc) {
		t->alloc = t->alloc * 2 + 16;
		t->stem = xrealloc(t->stem, (size_t)t->alloc * sizeof(*t->stem));
		t->start = xrealloc(t->start, (size_t)t->alloc * sizeof(*t->start));
		t->end = xrealloc(t->end, (size_t)t->alloc * sizeof(*t->end));
	}
	snprintf(t->stem[t->n], sizeof(t->stem[0]), "%.*s", (int)n, term);
	t->start[t->n] = start;
	t->end[t->n] = end;
	t->n++;
	return 0;
}

static void terms_release(struct terms *t)
{
	free(t->stem);
	free(t->start);
	free(t->end);
}

static int cmp_alias(const void *x, const void *y)
{
	const struct alias *a = x, *b = y;
	int c = strcmp(a->stems[0], b->stems[0]);
	if (c)
		return c;
	if (a->n != b->n)
		return b->n - a->n;
	for (int i = 1; i < a->n; i++)
		if ((c = strcmp(a->stems[i], b->stems[i])))
			return c;
	return a->line - b->line;
}

static bool same_stems(const struct alias *a, const struct alias *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->stems[i], b->stems[i]))
			return false;
	return true;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	char *out = xmalloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* Adds one variant of a line; false (with the reason in errors) when it has no word or too many. */
static bool add_variant(struct kb_aliases *a, struct kb_text *t, const char *variant,
			const char *canonical, const char *file, int line, struct buf *errors)
{
	struct terms st = { .max = VARIANT_WORDS + 1 };
	kb_text_terms(t, variant, strlen(variant), add_term, &st);
	bool ok = st.n >= 1 && st.n <= VARIANT_WORDS;
	if (!ok) {
		buf_printf(errors, "%s:%d: '%s': %s\n", file, line, variant,
			   st.n ? "more than 8 words" : "no word that counts (only stop words?)");
	} else {
		a->v = xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
		struct alias *v = &a->v[a->n++];
		*v = (struct alias){ .n = st.n, .canonical = canonical, .line = line };
		for (int i = 0; i < st.n; i++)
			v->stems[i] = xstrdup(st.stem[i]);
	}
	terms_release(&st);
	return ok;
}

/* Parses "CANONICAL = VARIANT, ..." into a; false after reporting a problem. */
static bool parse_line(struct kb_aliases *a, struct kb_text *t, const char *s, size_t len,
		       const char *file, int line, struct buf *errors)
{
	const char *eq = memchr(s, '=', len);
	if (!eq) {
		buf_printf(errors, "%s:%d: expected 'CANONICAL = VARIANT, VARIANT'\n", file, line);
		return false;
	}
	char *canonical = trimmed(s, (size_t)(eq - s));
	if (!*canonical) {
		buf_printf(errors, "%s:%d: nothing before '='\n", file, line);
		free(canonical);
		return false;
	}
	a->canonicals = xrealloc(a->canonicals, (a->n_canonicals + 1) * sizeof(*a->canonicals));
	a->canonicals[a->n_canonicals++] = canonical;
	bool ok = true, any = false;
	for (const char *p = eq + 1, *end = s + len; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t n = comma ? (size_t)(comma - p) : (size_t)(end - p);
		char *variant = trimmed(p, n);
		if (*variant) {
			ok &= add_variant(a, t, variant, canonical, file, line, errors);
			any = true;
		}
		free(variant);
		p += n + 1;
	}
	if (!any) {
		buf_printf(errors, "%s:%d: no variant after '='\n", file, line);
		ok = false;
	}
	return ok;
}

int kb_aliases_parse(struct kb_aliases **out, struct kb_text *t, const char *file,
		     const char *text, struct buf *errors)
{
	struct kb_aliases *a = xcalloc(1, sizeof(*a));
	bool ok = true;
	int line = 0;
	*out = NULL;
	if (!utf8_valid(text, strlen(text))) {
		buf_printf(errors, "%s:1: not UTF-8\n", file);
		kb_aliases_free(a);
		return TD_EINVAL;
	}
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		line++;
		size_t lead = strspn(p, " \t\r");
		if (lead < n && p[lead] != '#')
			ok &= parse_line(a, t, p, n, file, line, errors);
		p += n + (p[n] == '\n');
	}
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), cmp_alias);
	/*
	 * One variant read two ways would make the index depend on the order of
	 * lines; two spellings of one stem on the same line are one variant.
	 */
	for (size_t i = 1; i < a->n; i++)
		if (same_stems(&a->v[i], &a->v[i - 1]) && a->v[i].canonical != a->v[i - 1].canonical) {
			buf_printf(errors, "%s:%d: this variant is already on line %d\n", file,
				   a->v[i].line, a->v[i - 1].line);
			ok = false;
		}
	if (!ok) {
		kb_aliases_free(a);
		return TD_EINVAL;
	}
	*out = a;
	return 0;
}

void kb_aliases_free(struct kb_aliases *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		for (int k = 0; k < a->v[i].n; k++)
			free(a->v[i].stems[k]);
	for (size_t i = 0; i < a->n_canonicals; i++)
		free(a->canonicals[i]);
	free(a->v);
	free(a->canonicals);
	free(a);
}

size_t kb_aliases_count(const struct kb_aliases *a)
{
	return a ? a->n : 0;
}

/* The longest variant that starts at term i of t; NULL when none. */
static const struct alias *variant_at(const struct kb_aliases *a, const struct terms *t, int i)
{
	size_t lo = 0, hi = a->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(a->v[mid].stems[0], t->stem[i]) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Variants of one first stem come longest first: the first that fits wins. */
	for (; lo < a->n && !strcmp(a->v[lo].stems[0], t->stem[i]); lo++) {
		const struct alias *v = &a->v[lo];
		int k = 1;
		if (i + v->n > t->n)
			continue;
		while (k < v->n && !strcmp(v->stems[k], t->stem[i + k]))
			k++;
		if (k == v->n)
			return v;
	}
	return NULL;
}

int kb_aliases_apply(const struct kb_aliases *a, struct kb_text *t, const char *s, size_t len,
		     struct buf *out, bool *changed)
{
	struct terms st = { 0 };
	size_t copied = 0;
	*changed = false;
	if (a && a->n)
		kb_text_terms(t, s, len, add_term, &st);
	for (int i = 0; i < st.n;) {
		const struct alias *v = variant_at(a, &st, i);
		if (!v) {
			i++;
			continue;
		}
		buf_add(out, s + copied, st.start[i] - copied);
		buf_puts(out, v->canonical);
		copied = st.end[i + v->n - 1];
		i += v->n;
		*changed = true;
	}
	buf_add(out, s + copied, len - copied);
	terms_release(&st);
	return out->failed ? TD_ENOMEM : 0;
}
