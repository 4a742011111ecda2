/*
 * digest_render.c - the digest as a letter's text and HTML parts; see
 * digest.h. Both are made from one list of sections (a title, optional
 * column names, rows of cells), so the two parts carry the same figures.
 *
 * The HTML is for mail readers: tables with widths, bgcolor and inline
 * styles only (Outlook drops style sheets and most CSS; Gmail drops
 * <style> in some views), no images. Every string from the database goes
 * through html_escape().
 */
#include "core/html.h"
#include "core/msg.h"
#include "mail/digest.h"

#define CELLS 6
#define CHART_WIDTH 300   /* pixels of the longest bar */

struct row {
	char *cell[CELLS];
};

struct section {
	enum msg_id title;
	const char *columns;      /* "a|b|c" or NULL: label and value rows */
	struct row *rows;
	size_t n;
};

struct sections {
	struct section s[16];
	size_t n;
	enum msg_lang lang;
};

static struct section *section_add(struct sections *l, enum msg_id title, enum msg_id columns)
{
	struct section *s = &l->s[l->n++];
	*s = (struct section){ .title = title, .columns = columns ? msg_in(l->lang, columns) : NULL };
	return s;
}

/* id in the letter's language, formatted with its arguments. */
static int say(struct buf *b, enum msg_lang lang, enum msg_id id, ...)
{
	va_list ap;
	va_start(ap, id);
	int rc = buf_vprintf(b, msg_in(lang, id), ap);
	va_end(ap);
	return rc;
}

struct span_to {
	struct buf *b;
	enum msg_lang lang;
};

static void span_unit(void *arg, enum msg_id id, long long n, bool first)
{
	struct span_to *to = arg;
	if (!first)
		buf_putc(to->b, ' ');
	say(to->b, to->lang, id, n);
}

/* Adds a row of n cells, each a printf of its own: "%s", value pairs given as strings. */
static void row_add(struct section *s, size_t n, ...)
{
	va_list ap;
	s->rows = xrealloc(s->rows, (s->n + 1) * sizeof(*s->rows));
	struct row *r = &s->rows[s->n++];
	memset(r, 0, sizeof(*r));
	va_start(ap, n);
	for (size_t i = 0; i < n && i < CELLS; i++)
		r->cell[i] = xstrdup(va_arg(ap, const char *));
	va_end(ap);
}

static void sections_free(struct sections *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->s[i].n; j++)
			for (int c = 0; c < CELLS; c++)
				free(l->s[i].rows[j].cell[c]);
		free(l->s[i].rows);
	}
}

static const char *num(char *out, int64_t v)
{
	snprintf(out, 24, "%lld", (long long)v);
	return out;
}

/* `report sla`'s share: "67% (2/3)", "—" when nothing was decided. */
static const char *share(char *out, size_t n, int64_t part, int64_t whole)
{
	if (whole)
		snprintf(out, n, "%lld%% (%lld/%lld)", (long long)((part * 200 + whole) / (2 * whole)),
			 (long long)part, (long long)whole);
	else
		snprintf(out, n, "—");
	return out;
}

static void counts(struct sections *l, enum msg_id title, const struct digest_count *c, size_t n)
{
	struct section *s = section_add(l, title, 0);
	char v[24];
	for (size_t i = 0; i < n; i++)
		row_add(s, 2, c[i].name, num(v, c[i].n));
}

static void time_of(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M UTC", &tm);
}

static void sections_of(struct sections *l, const struct digest *d)
{
	enum msg_lang lang = l->lang = d->lang;
	char a[24], b[24], c[64];
	struct section *s = section_add(l, MSG_DIGEST_TICKETS, 0);
	row_add(s, 2, msg_in(lang, MSG_DIGEST_OPENED), num(a, d->opened));
	row_add(s, 2, msg_in(lang, MSG_DIGEST_RESOLVED), num(a, d->resolved));
	row_add(s, 2, msg_in(lang, MSG_DIGEST_OPEN_NOW), num(a, d->open_now));

	s = section_add(l, MSG_DIGEST_SLA, 0);
	row_add(s, 2, msg_in(lang, MSG_DIGEST_SLA_REACTION), share(c, sizeof(c), d->sla.in_time[0], d->sla.decided[0]));
	row_add(s, 2, msg_in(lang, MSG_DIGEST_SLA_RESOLUTION), share(c, sizeof(c), d->sla.in_time[1], d->sla.decided[1]));
	row_add(s, 2, msg_in(lang, MSG_DIGEST_SLA_BREACHES), num(a, d->sla.breaches));
	if (d->sla.n_breached) {
		struct buf ids = BUF_INIT(1 << 16);
		for (size_t i = 0; i < d->sla.n_breached; i++)
			buf_printf(&ids, "%s#%lld", i ? ", " : "", (long long)d->sla.breached[i]);
		row_add(s, 2, msg_in(lang, MSG_DIGEST_SLA_BREACHED), buf_cstr(&ids) ? buf_cstr(&ids) : "…");
		buf_release(&ids);
	}

	counts(l, MSG_DIGEST_ARTICLES, d->articles, d->n_articles);
	counts(l, MSG_DIGEST_CODES, d->codes, d->n_codes);
	counts(l, MSG_DIGEST_STORES, d->stores, d->n_stores);

	s = section_add(l, MSG_DIGEST_ENGINEERS, MSG_DIGEST_ENGINEER_COLUMNS);
	for (size_t i = 0; i < d->n_engineers; i++) {
		const struct digest_engineer *e = &d->engineers[i];
		struct buf span = BUF_INIT(128);
		if (e->median < 0)
			buf_puts(&span, "—");
		else
			msg_span_each(e->median, span_unit, &(struct span_to){ &span, lang });
		row_add(s, 4, e->name, num(a, e->claimed), num(b, e->resolved),
			buf_cstr(&span) ? buf_cstr(&span) : "");
		buf_release(&span);
	}

	s = section_add(l, MSG_DIGEST_EXPIRING, MSG_DIGEST_EXPIRING_COLUMNS);
	for (size_t i = 0; i < d->n_expiring; i++) {
		const struct digest_unit *u = &d->expiring[i];
		row_add(s, 6, u->expires_on, u->store, u->till, u->kind, u->model, u->serial);
	}

	s = section_add(l, MSG_DIGEST_OFFLINE, MSG_DIGEST_OFFLINE_COLUMNS);
	for (size_t i = 0; i < d->n_offline; i++) {
		const struct digest_offline *o = &d->offline[i];
		time_of(c, sizeof(c), o->since);
		row_add(s, 3, o->store, *o->till ? o->till : msg_in(lang, MSG_DIGEST_WHOLE_STORE), c);
	}

	s = section_add(l, MSG_DIGEST_RATINGS, MSG_DIGEST_RATING_COLUMNS);
	int64_t sum = 0;
	for (size_t i = 0; i < d->n_ratings; i++) {
		const struct digest_rating *r = &d->ratings[i];
		char id[24];
		snprintf(id, sizeof(id), "#%lld", (long long)r->ticket_id);
		snprintf(c, sizeof(c), "%d/5", r->score);
		row_add(s, 3, id, c, r->comment);
		sum += r->score;
	}
	if (d->n_ratings) {
		snprintf(c, sizeof(c), "%.1f/5", (double)sum / (double)d->n_ratings);
		row_add(s, 2, msg_in(lang, MSG_DIGEST_RATING_AVERAGE), c);
	}

	s = section_add(l, MSG_DIGEST_KB, 0);
	row_add(s, 2, msg_in(lang, MSG_DIGEST_KB_SOLVED), share(c, sizeof(c), d->kb_solved, d->kb_problems));
}

int digest_subject(struct buf *out, const struct digest *d)
{
	return say(out, d->lang, MSG_DIGEST_SUBJECT, d->org, d->date);
}

/* ---- text ---- */

static void text_cells(struct buf *out, const char *const *cells, size_t n, const char *sep)
{
	buf_puts(out, "  ");
	for (size_t i = 0; i < n && cells[i]; i++)
		buf_printf(out, "%s%s", i ? sep : "", cells[i]);
	buf_putc(out, '\n');
}

int digest_text(struct buf *out, const struct digest *d)
{
	struct sections l = { 0 };
	enum msg_lang lang = d->lang;
	sections_of(&l, d);
	say(out, lang, MSG_DIGEST_TITLE, d->org, d->date);
	buf_puts(out, "\n");
	for (size_t i = 0; i < l.n; i++) {
		const struct section *s = &l.s[i];
		buf_printf(out, "\n%s\n", msg_in(lang, s->title));
		if (s->columns) {
			char *copy = xstrdup(s->columns);
			const char *cells[CELLS + 1] = { 0 };
			size_t k = 0;
			for (char *p = copy, *bar; p && k < CELLS; p = bar ? bar + 1 : NULL) {
				bar = strchr(p, '|');
				if (bar)
					*bar = '\0';
				cells[k++] = p;
			}
			text_cells(out, cells, k, " | ");
			free(copy);
		}
		if (!s->n)
			buf_printf(out, "  %s\n", msg_in(lang, MSG_DIGEST_NONE));
		for (size_t j = 0; j < s->n; j++)
			text_cells(out, (const char *const *)s->rows[j].cell, CELLS,
				   s->columns ? " | " : ": ");
	}
	int64_t most = 0;
	for (int i = 0; i < DIGEST_DAYS; i++)
		most = d->per_day[i] > most ? d->per_day[i] : most;
	buf_printf(out, "\n%s\n", msg_in(lang, MSG_DIGEST_CHART));
	for (int i = 0; i < DIGEST_DAYS; i++) {
		int w = most ? (int)((d->per_day[i] * 40 + most - 1) / most) : 0;
		buf_printf(out, "  %s %5lld%s%.*s\n", d->days[i], (long long)d->per_day[i], w ? " " : "",
			   w, "########################################");
	}
	sections_free(&l);
	return out->failed ? TD_ENOMEM : 0;
}

/* ---- HTML ---- */

#define FONT "font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222222;"
#define CELL "padding:4px 8px;border-bottom:1px solid #dddddd;" FONT

static void html_text(struct buf *out, const char *s)
{
	html_escape(out, s ? s : "");
}

int digest_html(struct buf *out, const struct digest *d)
{
	struct sections l = { 0 };
	enum msg_lang lang = d->lang;
	sections_of(&l, d);
	struct buf title = BUF_INIT(1024);
	say(&title, lang, MSG_DIGEST_TITLE, d->org, d->date);
	buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
	html_text(out, buf_cstr(&title));
	buf_puts(out, "</title></head>\n<body style=\"margin:0;padding:16px;background:#ffffff;\">\n"
		 "<table role=\"presentation\" width=\"640\" cellpadding=\"0\" cellspacing=\"0\""
		 " border=\"0\" style=\"width:640px;\">\n<tr><td style=\"" FONT
		 "font-size:20px;font-weight:bold;padding:0 0 12px 0;\">");
	html_text(out, buf_cstr(&title));
	buf_puts(out, "</td></tr>\n");
	buf_release(&title);
	for (size_t i = 0; i < l.n; i++) {
		const struct section *s = &l.s[i];
		buf_puts(out, "<tr><td style=\"" FONT "font-size:16px;font-weight:bold;padding:16px 0 4px 0;\">");
		html_text(out, msg_in(lang, s->title));
		buf_puts(out, "</td></tr>\n<tr><td><table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\""
			 " border=\"0\" style=\"width:100%;border-collapse:collapse;\">\n");
		if (s->columns) {
			buf_puts(out, "<tr>");
			for (const char *p = s->columns; p;) {
				const char *bar = strchr(p, '|');
				char cell[128];
				snprintf(cell, sizeof(cell), "%.*s", (int)(bar ? (size_t)(bar - p) : strlen(p)), p);
				buf_puts(out, "<th align=\"left\" style=\"" CELL "font-weight:bold;\">");
				html_text(out, cell);
				buf_puts(out, "</th>");
				p = bar ? bar + 1 : NULL;
			}
			buf_puts(out, "</tr>\n");
		}
		if (!s->n) {
			buf_puts(out, "<tr><td style=\"" CELL "\">");
			html_text(out, msg_in(lang, MSG_DIGEST_NONE));
			buf_puts(out, "</td></tr>\n");
		}
		for (size_t j = 0; j < s->n; j++) {
			buf_puts(out, "<tr>");
			for (int c = 0; c < CELLS && s->rows[j].cell[c]; c++) {
				buf_puts(out, "<td style=\"" CELL "\">");
				html_text(out, s->rows[j].cell[c]);
				buf_puts(out, "</td>");
			}
			buf_puts(out, "</tr>\n");
		}
		buf_puts(out, "</table></td></tr>\n");
	}
	/* The chart: a row a day, its bar a cell of a width in pixels (bgcolor for Outlook). */
	int64_t most = 0;
	for (int i = 0; i < DIGEST_DAYS; i++)
		most = d->per_day[i] > most ? d->per_day[i] : most;
	buf_puts(out, "<tr><td style=\"" FONT "font-size:16px;font-weight:bold;padding:16px 0 4px 0;\">");
	html_text(out, msg_in(lang, MSG_DIGEST_CHART));
	buf_puts(out, "</td></tr>\n<tr><td><table cellpadding=\"0\" cellspacing=\"0\" border=\"0\">\n");
	for (int i = 0; i < DIGEST_DAYS; i++) {
		int w = most ? (int)((d->per_day[i] * CHART_WIDTH + most - 1) / most) : 0;
		buf_printf(out, "<tr><td width=\"90\" style=\"" FONT "width:90px;padding:2px 8px 2px 0;"
			   "white-space:nowrap;\">%s</td><td width=\"%d\" style=\"width:%dpx;padding:2px 0;\">",
			   d->days[i], CHART_WIDTH, CHART_WIDTH);
		if (w)
			buf_printf(out, "<table cellpadding=\"0\" cellspacing=\"0\" border=\"0\"><tr>"
				   "<td width=\"%d\" height=\"14\" bgcolor=\"#2f6fb3\" style=\"width:%dpx;"
				   "height:14px;background-color:#2f6fb3;font-size:1px;line-height:1px;\">"
				   "&nbsp;</td></tr></table>", w, w);
		buf_printf(out, "</td><td style=\"" FONT "padding:2px 0 2px 8px;\">%lld</td></tr>\n",
			   (long long)d->per_day[i]);
	}
	buf_puts(out, "</table></td></tr>\n</table>\n</body></html>\n");
	sections_free(&l);
	return out->failed ? TD_ENOMEM : 0;
}
