#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>

#include "core/buf.h"
#include "kb/regex.h"
#include "kb/text.h"

#define KB_REGEX_DEPTH_LIMIT 10000

struct kb_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
};

/* Folds ё and compiles; on failure writes the reason (in characters) to err. */
static pcre2_code *compile(const char *pattern, char *err, size_t errlen)
{
	struct buf folded = BUF_INIT(64u << 10);
	pcre2_code *code = NULL;
	int errcode;
	PCRE2_SIZE erroff;

	if (kb_fold_yo(&folded, pattern)) {
		snprintf(err, errlen, "pattern too long");
		goto done;
	}
	code = pcre2_compile((PCRE2_SPTR)buf_cstr(&folded), folded.len,
			     PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		/* PCRE2 counts bytes; authors count characters. */
		size_t chars = 0;
		for (size_t i = 0; i < erroff && i < folded.len; i++)
			chars += ((unsigned char)folded.data[i] & 0xC0) != 0x80;
		snprintf(err, errlen, "bad pattern at character %zu: %s", chars + 1, (const char *)msg);
	}
done:
	buf_release(&folded);
	return code;
}

int kb_regex_check(const char *pattern, char *err, size_t errlen)
{
	pcre2_code *code = compile(pattern, err, errlen);
	pcre2_code_free(code);
	return code ? 0 : TD_EINVAL;
}

int kb_regex_compile(struct kb_regex **out, const char *pattern, char *err, size_t errlen)
{
	pcre2_code *code = compile(pattern, err, errlen);
	if (!code)
		return TD_EINVAL;
	/* Without a JIT (some architectures) the interpreter still works, limits and all. */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	struct kb_regex *re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->md = pcre2_match_data_create_from_pattern(code, NULL);
	re->mc = pcre2_match_context_create(NULL);
	if (!re->md || !re->mc) {
		kb_regex_free(re);
		snprintf(err, errlen, "out of memory");
		return TD_ENOMEM;
	}
	pcre2_set_match_limit(re->mc, KB_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mc, KB_REGEX_DEPTH_LIMIT);
	*out = re;
	return 0;
}

void kb_regex_free(struct kb_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mc);
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}

int kb_regex_match(struct kb_regex *re, const char *text, size_t len)
{
	/* The caller's text is checked UTF-8; skipping the check again saves time. */
	int rc = pcre2_match(re->code, (PCRE2_SPTR)text, len, 0, PCRE2_NO_UTF_CHECK, re->md, re->mc);
	if (rc >= 0)
		return 1;
	switch (rc) {
	case PCRE2_ERROR_NOMATCH:
		return 0;
	case PCRE2_ERROR_MATCHLIMIT:
	case PCRE2_ERROR_DEPTHLIMIT:
	case PCRE2_ERROR_HEAPLIMIT:
		return KB_REGEX_ELIMIT;
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return KB_REGEX_EJITSTACK;
	default:
		return TD_ERR;
	}
}

const char *kb_regex_strerror(int rc)
{
	switch (rc) {
	case KB_REGEX_ELIMIT:
		return "hit its match limit";
	case KB_REGEX_EJITSTACK:
		return "ran out of JIT stack (the text is too long for it)";
	default:
		return "failed in PCRE2";
	}
}

/* ---- required literals, for the searcher's prefilter ---- */

struct scan {
	const char *p;          /* the next character of the pattern */
	struct buf *out;
	size_t run_start;       /* where the current run begins in out */
	bool gave_up;
};

/* Ends the current run: keeps it when it holds anything. */
static void end_run(struct scan *s)
{
	if (s->out->len > s->run_start) {
		buf_putc(s->out, '\t');
		s->run_start = s->out->len;
	}
}

/* Skips a {...} or <...> or '...' argument of an escape, if one follows. */
static void skip_argument(struct scan *s)
{
	char close = *s->p == '{' ? '}' : *s->p == '<' ? '>' : *s->p == '\'' ? '\'' : 0;
	if (!close)
		return;
	const char *end = strchr(s->p + 1, close);
	s->p = end ? end + 1 : s->p + strlen(s->p);
}

/* After a backslash: skips an escape that is not a literal character. */
static void skip_escape(struct scan *s)
{
	if (!*s->p)
		return;  /* a backslash that ends the pattern: stay on the NUL */
	char e = *s->p++;
	if (e == 'x' && *s->p != '{') {
		for (int i = 0; i < 2 && isxdigit((unsigned char)*s->p); i++)
			s->p++;
	} else if (e == 'c') {
		if (*s->p)
			s->p++;
	} else if ((e == 'p' || e == 'P') && *s->p != '{') {
		if (*s->p)
			s->p++;
	} else if (e >= '0' && e <= '9') {
		while (*s->p >= '0' && *s->p <= '9')
			s->p++;
	} else if (e == 'g' && (*s->p == '-' || *s->p == '+' || isdigit((unsigned char)*s->p))) {
		for (s->p++; isdigit((unsigned char)*s->p); s->p++)
			;
	} else if (strchr("xopPgkN", e)) {
		/* Only these take a {...}, <...> or '...' argument; after another
		 * escape a { is a quantifier or a character, and skipping to a
		 * later } could swallow a '|' and the alternative after it. */
		skip_argument(s);
	}
}

/* At '[': skips the character class. */
static void skip_class(struct scan *s)
{
	s->p++;
	if (*s->p == '^')
		s->p++;
	if (*s->p == ']')  /* a leading ] is a member */
		s->p++;
	while (*s->p && *s->p != ']') {
		/* A POSIX class "[:name:]" is letters only: "[[:]" is a class of '[' and ':'. */
		size_t name = s->p[0] == '[' && s->p[1] == ':'
			      ? strspn(s->p + 2, "^abcdefghijklmnopqrstuvwxyz") : 0;
		if (*s->p == '\\' && s->p[1])
			s->p += 2;
		else if (name && s->p[2 + name] == ':' && s->p[3 + name] == ']')
			s->p += 4 + name;
		else
			s->p++;
	}
	if (*s->p)
		s->p++;
}

/* At '(': skips the group and everything in it. */
static void skip_group(struct scan *s)
{
	/* A verb or an option setting may change the syntax; a comment (?#...)
	 * ends at its first ')', nesting nothing, and a quantifier after it
	 * repeats what came before it. */
	if (s->p[1] == '*' ||
	    (s->p[1] == '?' && !strchr(":=!<>|'P", s->p[2] ? s->p[2] : 'x'))) {
		s->gave_up = true;
		return;
	}
	int depth = 0;
	do {
		if (*s->p == '\\' && s->p[1]) {
			s->p += 2;
			continue;
		}
		if (*s->p == '[') {
			skip_class(s);
			continue;
		}
		depth += *s->p == '(';
		depth -= *s->p == ')';
		s->p++;
	} while (*s->p && depth > 0);
}

/* Skips a quantifier if one follows; returns the least count it allows, -1 without one. */
static int quantifier(struct scan *s)
{
	int least = 1;
	if (*s->p == '?' || *s->p == '*') {
		least = 0;
		s->p++;
	} else if (*s->p == '+') {
		s->p++;
	} else if (*s->p == '{') {
		const char *q = s->p + 1;
		int n = 0;
		bool digits = false;
		for (; isdigit((unsigned char)*q); q++, digits = true)
			n = n < 100000 ? n * 10 + (*q - '0') : n;
		q += strspn(q, ",0123456789");
		if (*q != '}')
			return -1;  /* not a quantifier: the caller read { as a character */
		least = digits ? n : 0;
		s->p = q + 1;
	} else {
		return -1;
	}
	if (*s->p == '?' || *s->p == '+')  /* lazy, possessive */
		s->p++;
	return least;
}

/* True for a pattern character that stands for itself (and is worth keeping). */
static bool literal_char(uint32_t c)
{
	if (c < 0x80)
		return c >= 0x20 && c < 0x7F && !strchr("\\^$.|?*+()[]{}", (int)c);
	return (c >= 0x410 && c <= 0x44F) || c == 0x401 || c == 0x451;
}

/* Scans one top-level alternative, appending its runs; stops at '|' or the end. */
static void scan_alternative(struct scan *s)
{
	while (*s->p && *s->p != '|' && !s->gave_up) {
		const char *atom = s->p;
		bool literal = false;
		if (*s->p == '\\' && (unsigned char)s->p[1] >= 0x80) {
			s->p++;  /* an escaped letter is itself: read it next */
			continue;
		}
		if (*s->p == '\\' && s->p[1] && !isalnum((unsigned char)s->p[1])) {
			atom = ++s->p;  /* an escaped punctuation character is itself */
			/* An escaped tab or control character is too, but no run holds one:
			 * a tab or newline in a run would end it. */
			literal = (unsigned char)*s->p >= 0x20 && (unsigned char)*s->p < 0x7F;
			s->p++;
		} else if (*s->p == '\\') {
			s->p++;
			skip_escape(s);
		} else if (*s->p == '[') {
			skip_class(s);
		} else if (*s->p == '(') {
			skip_group(s);
		} else if ((unsigned char)*s->p >= 0x80) {
			size_t n = 1;
			while ((s->p[n] & 0xC0) == 0x80)
				n++;
			/* The letters kept are two bytes: 110xxxxx 10xxxxxx. */
			literal = n == 2 && literal_char((uint32_t)(s->p[0] & 0x1F) << 6 |
							 (uint32_t)(s->p[1] & 0x3F));
			s->p += n;
		} else {
			literal = literal_char((unsigned char)*s->p);
			s->p++;
		}
		size_t len = (size_t)(s->p - atom);
		if (s->gave_up)
			return;
		int least = quantifier(s);
		if (literal && least != 0 && kb_lower(s->out, atom, len))
			s->gave_up = true;
		/* After a repeat or a missing piece, what follows is not adjacent. */
		if (!literal || least >= 0)
			end_run(s);
	}
	end_run(s);
}

int kb_regex_literals(struct buf *out, const char *pattern)
{
	struct buf folded = BUF_INIT(64u << 10), runs = BUF_INIT(64u << 10);
	struct scan s = { .out = &runs };
	int rc = TD_ENOMEM;
	if (kb_fold_yo(&folded, pattern))
		goto done;
	s.p = buf_cstr(&folded);
	/* \Q...\E quotes brackets and bars too, and a lone \E is nothing at all
	 * (a quantifier after it repeats the character before): not read here. */
	s.gave_up = strstr(s.p, "\\Q") || strstr(s.p, "\\E");
	for (;;) {
		size_t alt = runs.len;
		s.run_start = runs.len;
		scan_alternative(&s);
		if (s.gave_up || runs.failed || runs.len == alt) {
			rc = runs.failed ? TD_ENOMEM : TD_ENOTFOUND;
			goto done;
		}
		runs.data[runs.len - 1] = '\n';  /* the alternative's last run ends it */
		if (*s.p != '|')
			break;
		s.p++;
	}
	rc = buf_add(out, runs.data, runs.len);
done:
	buf_release(&folded);
	buf_release(&runs);
	return rc;
}
