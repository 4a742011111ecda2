/*
 * digest.h - the owners' daily digest of an organisation: yesterday in its
 * stores' own days, computed from the database (storage/digest.h) and
 * rendered as text and as HTML for e-mail (a table bar chart that Outlook
 * and Gmail show: widths and inline styles, no images, no style sheet).
 *
 * The SLA figures are `tilldesk report sla`'s for the same day and
 * organisation: the same rows, counted by the same rules.
 */
#ifndef TD_MAIL_DIGEST_H
#define TD_MAIL_DIGEST_H

#include "core/buf.h"
#include "core/config.h"
#include "core/msg.h"
#include "storage/db.h"

#define DIGEST_DAYS 14   /* the chart's days, the digest's day last */
#define DIGEST_EXPIRY_DAYS 30

/* A name and how many: an article, a check code, a store. */
struct digest_count {
	char *name;
	int64_t n;
};

struct digest_engineer {
	char *name;
	int claimed, resolved;
	int64_t median;      /* median reaction (SLA seconds) of the claims; -1: none met */
};

struct digest_unit {
	char *store, *till, *kind, *model, *serial;
	char expires_on[11];
};

struct digest_offline {
	char *store, *till;  /* till "": the whole store */
	int64_t since;
};

struct digest_rating {
	int64_t ticket_id;
	int score;
	char *comment;       /* "" when none */
};

/* The SLA of the day's tickets, as `report sla` counts them; [enum sla_kind]. */
struct digest_sla {
	int tickets, breaches;
	int in_time[2], decided[2];
	int64_t *breached;   /* the numbers of the tickets breached */
	size_t n_breached;
};

struct digest {
	/*
	 * The language of its words: the configured one (msg_language()) from
	 * digest_build(); set it before rendering for an owner's own.
	 */
	enum msg_lang lang;
	int64_t org_id;
	char org[256];
	char date[11];                 /* the day covered, YYYY-MM-DD */
	int64_t opened, resolved, open_now;
	struct digest_sla sla;
	struct digest_count *articles, *codes, *stores;
	size_t n_articles, n_codes, n_stores;
	struct digest_engineer *engineers;
	size_t n_engineers;
	struct digest_unit *expiring;
	size_t n_expiring;
	struct digest_offline *offline;
	size_t n_offline;
	struct digest_rating *ratings;
	size_t n_ratings;
	int64_t kb_problems, kb_solved;
	char days[DIGEST_DAYS][11];
	int64_t per_day[DIGEST_DAYS];
};

/*
 * Computes org_id's digest of date (YYYY-MM-DD) into *out (release with
 * digest_release); open tickets and tills offline are the database's now,
 * the equipment expiring counts from the day after date.
 * TD_EINVAL for a date that is not one; TD_ENOTFOUND for no such
 * organisation.
 */
int digest_build(struct digest *out, struct db *db, int64_t org_id, const char *date);
void digest_release(struct digest *d);

/* Yesterday's date at now in org_id's zone (db_org_zone; UTC without one) into date (11 bytes). */
int digest_yesterday(struct db *db, int64_t org_id, int64_t now, char *date);

/* The letter's subject, text and HTML parts, appended; each 0 or TD_ENOMEM. */
int digest_subject(struct buf *out, const struct digest *d);
int digest_text(struct buf *out, const struct digest *d);
int digest_html(struct buf *out, const struct digest *d);

/*
 * Queues org_id's digest of date to its owners in the caller's
 * transaction (mail_queue, ref "digest:ORG_ID:DATE"). TD_EEXISTS when it
 * was queued before; TD_ENOTFOUND when the organisation has no owner's
 * address.
 */
int digest_queue(struct db *db, int64_t org_id, const char *date, int64_t now);

/*
 * The scheduler's pass, in its transaction: each organisation whose
 * local time is past cfg->digest_send_at and whose digest of yesterday is
 * not queued gets it queued, at most max of them (the rest wait for the
 * next pass). *queued (may be NULL) counts them. An organisation whose
 * letter mail_queue refuses (an owner's address that is not one) is logged
 * and passed by. resume (may be NULL): the pass starts after organisation
 * *resume and leaves there the last it took when its batch filled, else
 * 0, so that a thousand due at once are one walk, not a walk per batch.
 */
int digest_tick(struct db *db, const struct config *cfg, int64_t now, int max, int *queued,
		int64_t *resume);

#endif
