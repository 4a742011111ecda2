#define PCRE2_CODE_UNIT_WIDTH 8
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

int kb_regex_compile(struct kb_regex **out, const char *pattern, char *err, size_t errlen)
{
	struct buf folded = BUF_INIT(64u << 10);
	int errcode;
	PCRE2_SIZE erroff;
	int rc = TD_EINVAL;

	if (kb_fold_yo(&folded, pattern)) {
		snprintf(err, errlen, "pattern too long");
		goto done;
	}
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)buf_cstr(&folded), folded.len,
					 PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS, &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		/* PCRE2 counts bytes; authors count characters. */
		size_t chars = 0;
		for (size_t i = 0; i < erroff && i < folded.len; i++)
			chars += ((unsigned char)folded.data[i] & 0xC0) != 0x80;
		snprintf(err, errlen, "bad pattern at character %zu: %s", chars + 1, (const char *)msg);
		goto done;
	}
	/* Without a JIT (some architectures) the interpreter still works, limits and all. */
	pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	struct kb_regex *re = xcalloc(1, sizeof(*re));
	re->code = code;
	re->md = pcre2_match_data_create_from_pattern(code, NULL);
	re->mc = pcre2_match_context_create(NULL);
	if (!re->md || !re->mc) {
		kb_regex_free(re);
		snprintf(err, errlen, "out of memory");
		rc = TD_ENOMEM;
		goto done;
	}
	pcre2_set_match_limit(re->mc, KB_REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mc, KB_REGEX_DEPTH_LIMIT);
	*out = re;
	rc = 0;
done:
	buf_release(&folded);
	return rc;
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
	return rc == PCRE2_ERROR_NOMATCH ? 0 : TD_ERR;
}
