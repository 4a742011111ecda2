/*
 * fuzz_hours.c - the working-hours parser (core/hours.c) and the config's
 * duration parser (config_parse_duration), on the same text.
 *
 * Beyond memory safety it checks what hours.h promises: parsed spans are
 * sorted, merged, disjoint and inside the week; hours_format() of them
 * fits HOURS_TEXT_MAX and parses back to the same spans; hours_open_at()
 * and hours_next_open() agree. A duration parses to 0..100 years.
 */
#include "core/common.h"
#include "core/config.h"
#include "core/hours.h"
#include "tests/fuzz/fuzz.h"

static void check_spans(const struct hours *h, const char *text)
{
	if (h->n > HOURS_MAX_SPANS)
		fuzz_fail("'%s': %u spans", text, h->n);
	for (unsigned i = 0; i < h->n; i++) {
		const struct hours_span *s = &h->span[i];
		if (s->start >= s->end || s->end > HOURS_WEEK)
			fuzz_fail("'%s': span %u is [%u, %u)", text, i, s->start, s->end);
		if (i && s->start <= h->span[i - 1].end)
			fuzz_fail("'%s': span %u not after span %u", text, i, i - 1);
	}
}

static void check_round_trip(const struct hours *h, const char *text)
{
	char canon[HOURS_TEXT_MAX], err[256];
	struct hours again;
	if (hours_format(h, canon, sizeof(canon)))
		fuzz_fail("'%s': canonical text does not fit", text);
	if (!h->n)
		return;  /* "" is no hours, and does not parse */
	if (hours_parse(&again, canon, err, sizeof(err)))
		fuzz_fail("'%s': canonical '%s' does not parse: %s", text, canon, err);
	if (again.n != h->n || memcmp(again.span, h->span, h->n * sizeof(h->span[0])))
		fuzz_fail("'%s': canonical '%s' parses to other spans", text, canon);
}

/* Open now exactly when the next opening is 0 minutes away; a wait ends open. */
static void check_queries(const struct hours *h, const char *text, unsigned m)
{
	int wait = hours_next_open(h, m);
	bool open = hours_open_at(h, m);
	if ((wait == 0) != open || (wait < 0) != (h->n == 0) || wait >= HOURS_WEEK)
		fuzz_fail("'%s': at %u open %d, next open in %d", text, m, open, wait);
	if (wait > 0 && !hours_open_at(h, m + (unsigned)wait))
		fuzz_fail("'%s': at %u next open in %d, but closed then", text, m, wait);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), err[256];
	struct hours h;
	int64_t secs;

	if (!hours_parse(&h, text, err, sizeof(err))) {
		check_spans(&h, text);
		check_round_trip(&h, text);
		check_queries(&h, text, 0);
		check_queries(&h, text, HOURS_WEEK - 1);
		for (unsigned i = 0; i < h.n; i++) {
			check_queries(&h, text, h.span[i].start);
			check_queries(&h, text, h.span[i].start + HOURS_WEEK - 1);
			check_queries(&h, text, h.span[i].end);
		}
	}
	if (!config_parse_duration(&secs, text) && (secs < 0 || secs > 100LL * 365 * 86400))
		fuzz_fail("'%s': duration %lld", text, (long long)secs);
	free(text);
	return 0;
}
