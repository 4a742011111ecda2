/*
 * digest.c - the daily digest's figures, and its queueing; see digest.h.
 * The rendering is digest_render.c's.
 */
#include "core/log.h"
#include "core/tz.h"
#include "mail/digest.h"
#include "mail/mail.h"
#include "storage/digest.h"
#include "storage/letters.h"
#include "storage/owners.h"
#include "storage/sla.h"

#define DAY 86400

/* A store of the organisation and its day. */
struct place {
	int64_t id;
	struct tz *tz;       /* NULL: the zone does not load, and UTC stands in */
	int64_t from, to;    /* the digest's day in its zone */
};

struct build {
	struct digest *d;
	struct place *places;
	size_t n_places;
	struct buf windows;  /* "[[id, from, to], ...]" of the day */
	long day;            /* the digest's day, days since 1970 */
};

#define GROW(arr, n) \
	((arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))), &(arr)[(n)++])

static void ymd(long day, int *y, int *m, int *dd)
{
	time_t t = (time_t)day * DAY;
	struct tm tm;
	gmtime_r(&t, &tm);
	*y = tm.tm_year + 1900;
	*m = tm.tm_mon + 1;
	*dd = tm.tm_mday;
}

static void date_of(char *out, long day)
{
	int y, m, dd;
	ymd(day, &y, &m, &dd);
	snprintf(out, 11, "%04d-%02d-%02d", (y % 10000 + 10000) % 10000, (m % 100 + 100) % 100,
		 (dd % 100 + 100) % 100);
}

/* The instant a zone's (or UTC's) clocks read day's 00:00. */
static int64_t midnight(const struct tz *tz, long day)
{
	int y, m, dd;
	if (!tz)
		return (int64_t)day * DAY;
	ymd(day, &y, &m, &dd);
	return tz_mktime(tz, y, m, dd, 0, 0, 0);
}

static int store_row(const struct digest_row *r, void *arg)
{
	struct build *b = arg;
	struct place *p = GROW(b->places, b->n_places);
	*p = (struct place){ .id = r->i[0] };
	if (tz_load(&p->tz, r->s[2]))
		p->tz = NULL;
	p->from = midnight(p->tz, b->day);
	p->to = midnight(p->tz, b->day + 1);
	buf_printf(&b->windows, "%s[%lld,%lld,%lld]", b->n_places > 1 ? "," : "",
		   (long long)p->id, (long long)p->from, (long long)p->to);
	return 0;
}

static const struct place *place_of(const struct build *b, int64_t store_id)
{
	for (size_t i = 0; i < b->n_places; i++)
		if (b->places[i].id == store_id)
			return &b->places[i];
	return NULL;
}

static int count_row(const struct digest_row *r, void *arg)
{
	struct { struct digest_count **arr; size_t *n; } *to = arg;
	struct digest_count *c = GROW(*to->arr, *to->n);
	*c = (struct digest_count){ xstrdup(r->s[0]), r->i[1] };
	return 0;
}

static int opened_row(const struct digest_row *r, void *arg)
{
	struct digest *d = arg;
	d->opened += r->i[2];
	/* A cashier's ticket is a problem the knowledge base did not solve. */
	d->kb_problems += r->i[3];
	/* The stores with most tickets: the five first, as sorted. */
	if (d->n_stores < 5)
		*GROW(d->stores, d->n_stores) = (struct digest_count){ xstrdup(r->s[1]), r->i[2] };
	return 0;
}

static int int_row(const struct digest_row *r, void *arg)
{
	int64_t *out = arg;
	out[0] = r->i[0];
	out[1] = r->i[1];
	return 0;
}

/* The engineers' rows, by name: claimed and resolved, reactions gathered for the median. */
struct engineer_rows {
	struct digest *d;
	int64_t last_id;
	int64_t *reactions;
	size_t n_reactions;
};

static int cmp_int64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The engineer's median as `report sla` takes it: nearest rank. */
static void engineer_close(struct engineer_rows *e)
{
	if (!e->d->n_engineers)
		return;
	struct digest_engineer *g = &e->d->engineers[e->d->n_engineers - 1];
	g->median = -1;
	if (e->n_reactions) {
		qsort(e->reactions, e->n_reactions, sizeof(*e->reactions), cmp_int64);
		size_t rank = (e->n_reactions * 50 + 99) / 100;
		g->median = e->reactions[rank ? rank - 1 : 0];
	}
	e->n_reactions = 0;
}

static int engineer_row(const struct digest_row *r, void *arg)
{
	struct engineer_rows *e = arg;
	if (!e->d->n_engineers || r->i[0] != e->last_id) {
		engineer_close(e);
		*GROW(e->d->engineers, e->d->n_engineers) =
			(struct digest_engineer){ .name = xstrdup(r->s[1]), .median = -1 };
		e->last_id = r->i[0];
	}
	struct digest_engineer *g = &e->d->engineers[e->d->n_engineers - 1];
	if (r->i[2]) {
		g->claimed++;
		if (r->i[3] >= 0)
			*GROW(e->reactions, e->n_reactions) = r->i[3];
	} else {
		g->resolved++;
	}
	return 0;
}

static int unit_row(const struct digest_row *r, void *arg)
{
	struct digest *d = arg;
	struct digest_unit *u = GROW(d->expiring, d->n_expiring);
	*u = (struct digest_unit){ xstrdup(r->s[0]), xstrdup(r->s[1]), xstrdup(r->s[2]),
				   xstrdup(r->s[3]), xstrdup(r->s[4]), "" };
	snprintf(u->expires_on, sizeof(u->expires_on), "%s", r->s[5]);
	return 0;
}

static int offline_row(const struct digest_row *r, void *arg)
{
	struct digest *d = arg;
	*GROW(d->offline, d->n_offline) =
		(struct digest_offline){ xstrdup(r->s[0]), xstrdup(r->s[1]), r->i[2] };
	return 0;
}

static int rating_row(const struct digest_row *r, void *arg)
{
	struct digest *d = arg;
	*GROW(d->ratings, d->n_ratings) =
		(struct digest_rating){ r->i[0], (int)r->i[1], xstrdup(r->s[2]) };
	return 0;
}

/* Each ticket of the chart's fortnight into its store's day. */
static int created_row(const struct digest_row *r, void *arg)
{
	struct build *b = arg;
	const struct place *p = place_of(b, r->i[0]);
	int64_t local = r->i[1] + (p && p->tz ? tz_offset(p->tz, r->i[1]) : 0);
	long day = (long)((local - (local % DAY + DAY) % DAY) / DAY);
	long i = day - (b->day - DIGEST_DAYS + 1);
	if (i >= 0 && i < DIGEST_DAYS)
		b->d->per_day[i]++;
	return 0;
}

/* A ticket of the day counted as `report sla` counts it (cli/cmd_report.c). */
static int sla_row(const struct sla_report_row *t, void *arg)
{
	struct build *b = arg;
	struct digest_sla *s = &b->d->sla;
	const struct tz *tz = NULL;
	/* The store's own day, by its zone's name as the report reads it. */
	for (size_t i = 0; i < b->n_places && !tz; i++)
		if (b->places[i].tz && !strcmp(tz_name(b->places[i].tz), t->timezone))
			tz = b->places[i].tz;
	int64_t local = t->created_at + (tz ? tz_offset(tz, t->created_at) : 0);
	if ((long)((local - (local % DAY + DAY) % DAY) / DAY) != b->day)
		return 0;
	s->tickets++;
	s->breaches += t->breaches;
	if (t->breaches)
		*GROW(s->breached, s->n_breached) = t->ticket_id;
	for (int k = 0; k < 2; k++) {
		const struct sla_timer *tm = &t->timer[k];
		if (!t->has[k])
			continue;
		s->decided[k] += tm->met_at || tm->breached_at;
		s->in_time[k] += tm->met_at && !tm->breached_at;
	}
	return 0;
}

int digest_build(struct digest *out, struct db *db, int64_t org_id, const char *date)
{
	struct digest *d = out;
	struct build b = { .d = d, .windows = BUF_INIT(1 << 24) };
	struct engineer_rows eng = { .d = d };
	char today[11], last[11];
	int rc;
	memset(d, 0, sizeof(*d));
	d->lang = msg_language();
	d->org_id = org_id;
	if (parse_date(&b.day, date))
		return TD_EINVAL;
	if ((rc = db_org_name(db, org_id, d->org, sizeof(d->org))))
		return rc;
	date_of(d->date, b.day);
	for (int i = 0; i < DIGEST_DAYS; i++)
		date_of(d->days[i], b.day - DIGEST_DAYS + 1 + i);
	buf_putc(&b.windows, '[');
	struct digest_args a = { .org_id = org_id };
	if ((rc = db_digest_rows(db, DQ_STORES, &a, store_row, &b)))
		goto done;
	buf_putc(&b.windows, ']');
	if (!buf_cstr(&b.windows)) {
		rc = TD_ENOMEM;
		goto done;
	}
	a.windows = buf_cstr(&b.windows);
	/* Equipment: from the day after the digest's (the morning it is read) for 30 days. */
	date_of(today, b.day + 1);
	date_of(last, b.day + 1 + DIGEST_EXPIRY_DAYS);
	a.first = today;
	a.last = last;
	/* The chart's fortnight, with a day's margin for the zones; each ticket is put in its day. */
	a.from = ((int64_t)b.day - DIGEST_DAYS) * DAY;
	a.to = ((int64_t)b.day + 2) * DAY;
	int64_t two[2] = { 0 };
	struct { struct digest_count **arr; size_t *n; } articles = { &d->articles, &d->n_articles },
		codes = { &d->codes, &d->n_codes };
	if ((rc = db_digest_rows(db, DQ_OPENED, &a, opened_row, d)) ||
	    (rc = db_digest_rows(db, DQ_RESOLVED, &a, int_row, two)))
		goto done;
	d->resolved = two[0];
	if ((rc = db_digest_rows(db, DQ_OPEN_NOW, &a, int_row, two)))
		goto done;
	d->open_now = two[0];
	if ((rc = db_digest_rows(db, DQ_KB, &a, int_row, two)))
		goto done;
	d->kb_solved = two[0];
	d->kb_problems += two[0];
	if ((rc = db_digest_rows(db, DQ_ARTICLES, &a, count_row, &articles)) ||
	    (rc = db_digest_rows(db, DQ_CODES, &a, count_row, &codes)) ||
	    (rc = db_digest_rows(db, DQ_ENGINEERS, &a, engineer_row, &eng)) ||
	    (rc = db_digest_rows(db, DQ_EXPIRING, &a, unit_row, d)) ||
	    (rc = db_digest_rows(db, DQ_OFFLINE, &a, offline_row, d)) ||
	    (rc = db_digest_rows(db, DQ_RATINGS, &a, rating_row, d)) ||
	    (rc = db_digest_rows(db, DQ_CREATED, &a, created_row, &b)))
		goto done;
	engineer_close(&eng);
	/* `report sla`'s own query and margin: a day each side, then the store's date. */
	rc = db_sla_report(db, ((int64_t)b.day - 1) * DAY, ((int64_t)b.day + 2) * DAY, org_id,
			   sla_row, &b);
done:
	for (size_t i = 0; i < b.n_places; i++)
		tz_free(b.places[i].tz);
	free(b.places);
	free(eng.reactions);
	buf_release(&b.windows);
	if (rc)
		digest_release(d);
	return rc;
}

static void counts_free(struct digest_count *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].name);
	free(c);
}

void digest_release(struct digest *d)
{
	counts_free(d->articles, d->n_articles);
	counts_free(d->codes, d->n_codes);
	counts_free(d->stores, d->n_stores);
	for (size_t i = 0; i < d->n_engineers; i++)
		free(d->engineers[i].name);
	free(d->engineers);
	for (size_t i = 0; i < d->n_expiring; i++) {
		struct digest_unit *u = &d->expiring[i];
		free(u->store);
		free(u->till);
		free(u->kind);
		free(u->model);
		free(u->serial);
	}
	free(d->expiring);
	for (size_t i = 0; i < d->n_offline; i++) {
		free(d->offline[i].store);
		free(d->offline[i].till);
	}
	free(d->offline);
	for (size_t i = 0; i < d->n_ratings; i++)
		free(d->ratings[i].comment);
	free(d->ratings);
	free(d->sla.breached);
	memset(d, 0, sizeof(*d));
}

/* The zone of org_id, NULL (UTC) when it has none that loads. */
static struct tz *org_tz(struct db *db, int64_t org_id)
{
	char zone[128];
	struct tz *tz = NULL;
	if (db_org_zone(db, org_id, zone, sizeof(zone)) || tz_load(&tz, zone))
		return NULL;
	return tz;
}

/* Days since 1970 of the local date at now. */
static long local_day(const struct tz *tz, int64_t now)
{
	int64_t local = now + (tz ? tz_offset(tz, now) : 0);
	return (long)((local - (local % DAY + DAY) % DAY) / DAY);
}

int digest_yesterday(struct db *db, int64_t org_id, int64_t now, char *date)
{
	struct tz *tz = org_tz(db, org_id);
	date_of(date, local_day(tz, now) - 1);
	tz_free(tz);
	return 0;
}

/* The owners who want the digest, by the language they read. */
struct rcpts {
	struct letter_rcpt *to[2];   /* by enum msg_lang */
	size_t n[2];
};

static int owner_row(const struct owner_row *o, void *arg)
{
	struct rcpts *r = arg;
	enum msg_lang lang = msg_language();
	if (*o->language)
		msg_lang_parse(&lang, o->language);
	*GROW(r->to[lang], r->n[lang]) = (struct letter_rcpt){ xstrdup(o->name), xstrdup(o->email) };
	return 0;
}

static void rcpts_release(struct rcpts *r)
{
	for (int l = 0; l < 2; l++) {
		for (size_t i = 0; i < r->n[l]; i++) {
			free((char *)r->to[l][i].name);
			free((char *)r->to[l][i].addr);
		}
		free(r->to[l]);
	}
}

/* "digest:ORG:DATE:" and the language: one letter per language, ever. */
static void ref_of(char *out, size_t n, int64_t org_id, const char *date, const char *lang)
{
	snprintf(out, n, "digest:%lld:%s:%s", (long long)org_id, date, lang);
}

/* Renders d in lang and queues it for to[0..n); TD_EEXISTS when it was queued before. */
static int queue_in(struct db *db, struct digest *d, enum msg_lang lang,
		    const struct letter_rcpt *to, size_t n, int64_t now)
{
	struct buf subject = BUF_INIT(1024), text = BUF_INIT(1 << 20), html = BUF_INIT(4 << 20);
	char ref[80];
	int64_t id;
	int rc;
	d->lang = lang;
	ref_of(ref, sizeof(ref), d->org_id, d->date, lang == LANG_EN ? "en" : "ru");
	if (digest_subject(&subject, d) || digest_text(&text, d) || digest_html(&html, d)) {
		rc = TD_ENOMEM;
	} else {
		const struct letter l = {
			.ref = ref, .kind = "digest", .org_id = d->org_id, .subject = buf_cstr(&subject),
			.text = buf_cstr(&text), .html = buf_cstr(&html), .to = to, .n_to = n,
		};
		rc = mail_queue(db, &l, now, &id);
	}
	buf_release(&subject);
	buf_release(&text);
	buf_release(&html);
	return rc;
}

int digest_queue(struct db *db, int64_t org_id, const char *date, int64_t now)
{
	struct digest d;
	struct rcpts r = { 0 };
	int rc, queued = 0, before = 0;
	if ((rc = db_org_mail_recipients(db, org_id, OWNER_MAIL_DIGEST, owner_row, &r)))
		goto done;
	if (!r.n[LANG_RU] && !r.n[LANG_EN]) {
		rc = TD_ENOTFOUND;
		goto done;
	}
	if ((rc = digest_build(&d, db, org_id, date)))
		goto done;
	for (int l = 0; l < 2 && !rc; l++) {
		if (!r.n[l])
			continue;
		rc = queue_in(db, &d, (enum msg_lang)l, r.to[l], r.n[l], now);
		if (rc == TD_EEXISTS) {
			before++;
			rc = 0;
		} else if (!rc) {
			queued++;
		}
	}
	if (!rc && !queued && before)
		rc = TD_EEXISTS;
	digest_release(&d);
done:
	rcpts_release(&r);
	return rc;
}

struct tick {
	struct db *db;
	const struct config *cfg;
	int64_t now;
	int64_t *orgs;
	size_t n;
};

static int org_row(int64_t org_id, void *arg)
{
	struct tick *t = arg;
	*GROW(t->orgs, t->n) = org_id;
	return 0;
}

int digest_tick(struct db *db, const struct config *cfg, int64_t now, int max, int *queued,
		int64_t *resume)
{
	struct tick t = { db, cfg, now, NULL, 0 };
	int rc = db_digest_orgs(db, org_row, &t), n = 0;
	size_t i = 0;
	/* A pass that filled its batch goes on after the last organisation it took. */
	while (resume && i < t.n && t.orgs[i] <= *resume)
		i++;
	for (; i < t.n && !rc && n < max; i++) {
		char date[11], ref[64];
		bool done;
		struct tz *tz = org_tz(db, t.orgs[i]);
		long day = local_day(tz, now);
		/* Due from send_at of the org's today: a daemon down then sends it when it starts. */
		bool due = now >= midnight(tz, day) + (int64_t)cfg->digest_send_at * 60;
		tz_free(tz);
		if (!due)
			continue;
		date_of(date, day - 1);
		snprintf(ref, sizeof(ref), "digest:%lld:%s:", (long long)t.orgs[i], date);
		if ((rc = db_letter_exists_under(db, ref, &done)) || done)
			continue;
		rc = digest_queue(db, t.orgs[i], date, now);
		if (!rc) {
			log_info("digest: queued the digest of %s for organisation %lld", date,
				 (long long)t.orgs[i]);
			n++;
		} else if (rc == TD_ENOTFOUND) {
			rc = 0;   /* nobody wants it: nothing to queue, today either */
		} else if (rc == TD_EINVAL) {
			/* An owner's address mail_queue refuses: told, and the others go on. */
			log_warn("digest: organisation %lld: cannot queue its digest (%d)",
				 (long long)t.orgs[i], rc);
			rc = 0;
		}
	}
	if (resume)
		*resume = n == max && i < t.n ? t.orgs[i - 1] : 0;
	free(t.orgs);
	if (queued)
		*queued = n;
	return rc;
}
