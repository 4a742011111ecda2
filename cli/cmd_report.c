/*
 * cmd_report.c - report sla: how the tickets opened in a period met their
 * SLA, per organisation, store, priority and engineer.
 *
 * Every figure comes from the tickets' timers and history: a timer's
 * used SLA seconds (kept when it was met), whether it was breached, and
 * the sla_breach rows. Percentiles are nearest-rank over the met timers.
 */
#include <getopt.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/tz.h"
#include "storage/chain.h"
#include "storage/sla.h"

enum section { BY_TOTAL, BY_ORG, BY_STORE, BY_PRIORITY, BY_ENGINEER, SECTIONS };

static const enum msg_id section_names[SECTIONS] = {
	MSG_CLI_REPORT_TOTAL, MSG_CLI_REPORT_BY_ORG, MSG_CLI_REPORT_BY_STORE,
	MSG_CLI_REPORT_BY_PRIORITY, MSG_CLI_REPORT_BY_ENGINEER,
};

/* One ticket as counted. */
struct counted {
	char *key[SECTIONS];       /* its group in each section */
	bool met[2], decided[2], in_time[2];
	int64_t used[2];
	int breaches;
};

/* A group's figures; by enum sla_kind where there are two. */
struct figures {
	int tickets, breaches;
	int met[2], decided[2], in_time[2];
	int64_t median[2], p90[2];
};

struct zone {
	char *name;
	struct tz *tz;             /* NULL: it does not load, and UTC stands in */
};

struct report {
	long from_day, to_day;     /* the store's dates, days since 1970, inclusive */
	struct counted *rows;
	size_t n, cap;
	struct zone *zones;        /* each zone met, loaded once */
	size_t n_zones;
};

struct args {
	const char *from, *to, *org, *format;
};

/* The zone called name, loaded once per report; NULL (UTC) when it does not load. */
static const struct tz *zone(struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n_zones; i++)
		if (!strcmp(r->zones[i].name, name))
			return r->zones[i].tz;
	r->zones = xrealloc(r->zones, (r->n_zones + 1) * sizeof(*r->zones));
	struct zone *z = &r->zones[r->n_zones++];
	*z = (struct zone){ xstrdup(name), NULL };
	if (tz_load(&z->tz, name))
		z->tz = NULL;
	return z->tz;
}

static void report_free(struct report *r)
{
	for (size_t i = 0; i < r->n; i++)
		for (int s = 0; s < SECTIONS; s++)
			free(r->rows[i].key[s]);
	free(r->rows);
	for (size_t i = 0; i < r->n_zones; i++) {
		free(r->zones[i].name);
		tz_free(r->zones[i].tz);
	}
	free(r->zones);
}

static int count_ticket(const struct sla_report_row *t, void *arg)
{
	struct report *r = arg;
	const struct tz *tz = zone(r, t->timezone);
	int64_t local = t->created_at + (tz ? tz_offset(tz, t->created_at) : 0);
	long day = (long)((local - (local % 86400 + 86400) % 86400) / 86400);
	if (day < r->from_day || day > r->to_day)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->rows = xrealloc(r->rows, r->cap * sizeof(*r->rows));
	}
	struct counted *c = &r->rows[r->n++];
	char store[512], prio[8];
	utf8_snprintf(store, sizeof(store), "%s · %s", t->org, t->store);
	snprintf(prio, sizeof(prio), "P%d", t->priority);
	*c = (struct counted){
		.key = { xstrdup(msg(MSG_CLI_REPORT_TOTAL)), xstrdup(t->org), xstrdup(store),
			 xstrdup(prio), xstrdup(*t->engineer ? t->engineer : msg(MSG_CLI_REPORT_NOBODY)) },
		.breaches = t->breaches,
	};
	for (int k = 0; k < 2; k++) {
		const struct sla_timer *s = &t->timer[k];
		if (!t->has[k])
			continue;
		c->met[k] = s->met_at != 0;
		c->used[k] = s->used;
		/* Decided: met, or breached while still running. */
		c->decided[k] = c->met[k] || s->breached_at;
		c->in_time[k] = c->met[k] && !s->breached_at;
	}
	return 0;
}

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The nearest-rank pct-th percentile of n sorted values; n > 0. */
static int64_t percentile(const int64_t *v, size_t n, int pct)
{
	size_t rank = (n * (size_t)pct + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

/* Figures of rows[0..n); scratch holds n values. */
static void tally(struct counted *const *rows, size_t n, int64_t *scratch, struct figures *f)
{
	memset(f, 0, sizeof(*f));
	f->tickets = (int)n;
	for (size_t i = 0; i < n; i++)
		f->breaches += rows[i]->breaches;
	for (int k = 0; k < 2; k++) {
		size_t m = 0;
		for (size_t i = 0; i < n; i++) {
			f->decided[k] += rows[i]->decided[k];
			f->in_time[k] += rows[i]->in_time[k];
			if (rows[i]->met[k])
				scratch[m++] = rows[i]->used[k];
		}
		f->met[k] = (int)m;
		qsort(scratch, m, sizeof(*scratch), cmp_int64);
		f->median[k] = m ? percentile(scratch, m, 50) : -1;
		f->p90[k] = m ? percentile(scratch, m, 90) : -1;
	}
}

static int cmp_key(const void *a, const void *b, void *section)
{
	const struct counted *x = *(const struct counted *const *)a;
	const struct counted *y = *(const struct counted *const *)b;
	int s = *(const int *)section;
	return strcmp(x->key[s], y->key[s]);
}

/* ---- text ---- */

static const int text_cols[] = { 30, 7, 17, 11, 13, 18, 11, 13, 0 };

static void span_cell(char *out, size_t n, int64_t seconds)
{
	struct buf b = BUF_INIT(64);
	if (seconds < 0)
		buf_puts(&b, "—");
	else
		msg_span(&b, seconds);
	snprintf(out, n, "%s", buf_cstr(&b));
	buf_release(&b);
}

static void share_cell(char *out, size_t n, int in_time, int decided)
{
	if (decided)
		snprintf(out, n, "%d%% (%d/%d)", (in_time * 200 + decided) / (2 * decided), in_time,
			 decided);
	else
		snprintf(out, n, "—");
}

static void text_header(struct cli *c, enum section s)
{
	char *copy = xstrdup(msg(MSG_CLI_REPORT_COLUMNS));
	const char *cells[ARRAY_SIZE(text_cols)];
	size_t k = cli_split(copy, cells, ARRAY_SIZE(cells));
	cells[0] = msg(section_names[s]);
	fputc('\n', c->out);
	cli_row(c, text_cols, k, cells);
	free(copy);
}

static void text_row(struct cli *c, const char *name, const struct figures *f)
{
	char tickets[16], cells[6][64], breaches[16];
	snprintf(tickets, sizeof(tickets), "%d", f->tickets);
	snprintf(breaches, sizeof(breaches), "%d", f->breaches);
	for (int k = 0; k < 2; k++) {
		span_cell(cells[3 * k], sizeof(cells[0]), f->median[k]);
		span_cell(cells[3 * k + 1], sizeof(cells[0]), f->p90[k]);
		share_cell(cells[3 * k + 2], sizeof(cells[0]), f->in_time[k], f->decided[k]);
	}
	cli_row(c, text_cols, ARRAY_SIZE(text_cols),
		(const char *[]){ name, tickets, cells[0], cells[1], cells[2], cells[3], cells[4],
				  cells[5], breaches });
}

/* ---- CSV (RFC 4180) ---- */

/* A field, quoted when it must be; a leading = + - @ is defused for spreadsheets. */
static void csv_field(FILE *out, const char *s)
{
	bool formula = strchr("=+-@", s[0]) && s[0];
	if (!formula && !s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_number(FILE *out, int64_t v)
{
	if (v >= 0)
		fprintf(out, "%lld", (long long)v);
}

static void csv_row(struct cli *c, enum section s, const char *name, const struct figures *f)
{
	csv_field(c->out, msg(section_names[s]));
	fputc(',', c->out);
	csv_field(c->out, name);
	fprintf(c->out, ",%d", f->tickets);
	for (int k = 0; k < 2; k++) {
		fputc(',', c->out);
		csv_number(c->out, f->median[k]);
		fputc(',', c->out);
		csv_number(c->out, f->p90[k]);
		fprintf(c->out, ",%d,%d", f->in_time[k], f->decided[k]);
	}
	fprintf(c->out, ",%d\r\n", f->breaches);
}

/* ---- the command ---- */

static int report_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct args *a = arg;
	switch (opt) {
	case 'f': a->from = val; return 0;
	case 't': a->to = val; return 0;
	case 'o': a->org = val; return 0;
	case 'F': a->format = val; return 0;
	}
	(void)c;
	return EXIT_USAGE;
}

static void print(struct cli *c, struct report *r, const struct args *a, bool csv)
{
	struct counted **idx = xcalloc(r->n, sizeof(*idx));
	int64_t *scratch = xcalloc(r->n, sizeof(*scratch));
	struct figures f;
	if (csv)
		fprintf(c->out, "%s\r\n", msg(MSG_CLI_REPORT_CSV_HEADER));
	else
		cli_say(c, MSG_CLI_REPORT_SLA_HEAD, a->from, a->to);
	for (size_t i = 0; i < r->n; i++)
		idx[i] = &r->rows[i];
	for (int s = 0; s < SECTIONS; s++) {
		qsort_r(idx, r->n, sizeof(*idx), cmp_key, &s);
		if (!csv)
			text_header(c, (enum section)s);
		for (size_t i = 0, j; i < r->n; i = j) {
			for (j = i + 1; j < r->n && !strcmp(idx[j]->key[s], idx[i]->key[s]); j++)
				;
			tally(idx + i, j - i, scratch, &f);
			if (csv)
				csv_row(c, (enum section)s, idx[i]->key[s], &f);
			else
				text_row(c, idx[i]->key[s], &f);
		}
	}
	free(idx);
	free(scratch);
}

static int report_sla(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "org", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct args a = { .format = "text" };
	struct report r = { 0 };
	int64_t org_id = 0;
	bool done;
	int rc = cli_options(c, &argc, &argv, "f:t:o:F:h", opts, MSG_HELP_REPORT_SLA, report_opt, &a,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 0 || !a.from || !a.to)
		return cli_usage(c, MSG_HELP_REPORT_SLA, false);
	if (parse_date(&r.from_day, a.from))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DATE, a.from);
	if (parse_date(&r.to_day, a.to))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DATE, a.to);
	if (r.from_day > r.to_day)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_PERIOD, a.from, a.to);
	bool csv = !strcmp(a.format, "csv");
	if (!csv && strcmp(a.format, "text"))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_FORMAT, a.format);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (a.org && (rc = cli_found(c, db_org_find(c->db, &org_id, a.org), MSG_NOUN_ORG, a.org)))
		return rc;
	/* Zones are at most a day off UTC: a day's margin on each side, then the store's date. */
	rc = db_sla_report(c->db, ((int64_t)r.from_day - 1) * 86400, ((int64_t)r.to_day + 2) * 86400,
			   org_id, count_ticket, &r);
	if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	else if (!r.n && !csv)
		cli_say(c, MSG_CLI_REPORT_NONE);
	else
		print(c, &r, &a, csv);
	report_free(&r);
	return rc;
}

int cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "sla", report_sla }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_REPORT);
}
