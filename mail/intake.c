/*
 * intake.c - e-mail in: the mailbox read into tickets; see intake.h.
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "bot/dialog.h"
#include "bot/sender.h"
#include "core/clock.h"
#include "core/log.h"
#include "kb/search.h"
#include "mail/imap.h"
#include "mail/intake.h"
#include "storage/mail_in.h"
#include "storage/mailbox.h"

/* Letters per transaction: the commit's fsync shared, a crash repeats at most this many fetches. */
#define BATCH_LETTERS 100
/* Bytes a batch holds in memory at most (a letter alone may pass it, up to imap.max_letter). */
#define BATCH_BYTES (32u << 20)
/* The wait for the server's next bytes. */
#define IMAP_TIMEOUT_MS 30000
#define BACKOFF_MAX_MS (5 * 60 * 1000)
/* Letters below the last UID looked at for a missing \Seen when a session starts: ten batches. */
#define SEEN_CATCH_UP 1000
/*
 * Passes a letter may fail alone before it is set aside: a letter that
 * makes inbound_take() fail every time (a defect) must not hold back every
 * letter after it. A database that fails for every letter fails the
 * setting aside too, so nothing is lost to a full disk.
 */
#define TAKE_TRIES 3

struct mail_intake {
	pthread_t thread;
	const struct config *cfg;
	struct sender *sender;
	const volatile int *stop;
};

/*
 * Tests' hooks, so that an end-to-end test crashes exactly where it means
 * to: TILLDESK_TEST_INTAKE_KILL=uid kills the daemon (SIGKILL) after that
 * letter was taken, before its transaction commits;
 * TILLDESK_TEST_INTAKE_KILL_SEEN=uid after the commit of its batch,
 * before the batch is marked \Seen.
 */
static int64_t kill_at_uid(const char *name)
{
	const char *s = getenv(name);
	long long v;
	return s && !parse_int(&v, s, 1, INT64_MAX) ? v : 0;
}

/*
 * The letter that failed alone last, and how many passes in a row: one
 * intake per process (serve's thread, or mail fetch).
 */
static struct {
	int64_t uid;
	int times;
} failing;

static void kill_here(const char *where, int64_t uid)
{
	log_warn("mail in: a test's hook: killed %s letter %lld", where, (long long)uid);
	raise(SIGKILL);
}

/* One fetched batch: letters[i] parsed into parsed[i] (parsed_ok[i]: it holds something to release). */
struct batch {
	struct imap_letter letters[BATCH_LETTERS];
	struct inletter parsed[BATCH_LETTERS];
	bool parsed_ok[BATCH_LETTERS];
	size_t n;
};

static void batch_release(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		imap_letter_release(&b->letters[i]);
		if (b->parsed_ok[i])
			inletter_release(&b->parsed[i]);
	}
	b->n = 0;
}

/* Parses the fetched letters, outside the transaction. TD_ENOMEM ends the batch (tried again). */
static int batch_parse(struct batch *b, const struct config *cfg)
{
	for (size_t i = 0; i < b->n; i++) {
		struct imap_letter *l = &b->letters[i];
		if (l->gone)
			continue;
		memset(&b->parsed[i], 0, sizeof(b->parsed[i]));
		int rc = mail_parse(l->raw.data ? l->raw.data : "", l->raw.len, (size_t)cfg->imap_attachment_max,
				    &b->parsed[i]);
		b->parsed_ok[i] = true;
		/* Not a message at all: inbound_take() records it as such. */
		if (rc && rc != TD_EINVAL)
			return rc;
		/* The bytes are in the parsed letter now; the raw copy can go. */
		buf_release(&l->raw);
	}
	return 0;
}

/*
 * Takes the batch's letters from..to-1 in one transaction with the
 * mailbox's last UID moved to the last one's. 0, or a database error
 * (rolled back).
 */
static int batch_take(struct db *db, const struct config *cfg, struct kb *kb, struct batch *b,
		      size_t from, size_t to, int64_t uidvalidity, struct mail_intake_counts *counts,
		      bool *changed)
{
	static int64_t kill_uid = -1, fail_uid = -1;
	struct mail_intake_counts c = { 0 };
	if (kill_uid < 0) {
		kill_uid = kill_at_uid("TILLDESK_TEST_INTAKE_KILL");
		/* TILLDESK_TEST_INTAKE_FAIL=uid: taking that letter fails, as a defect would make it. */
		fail_uid = kill_at_uid("TILLDESK_TEST_INTAKE_FAIL");
	}
	int64_t now = clock_now();
	int rc = db_begin(db);
	if (rc)
		return rc;
	int64_t before = db_total_changes(db);
	struct dialog d = { .db = db, .now = now, .kb = kb, .cfg = cfg };
	dialog_chats(&d, cfg);
	for (size_t i = from; i < to && !rc; i++) {
		const struct imap_letter *l = &b->letters[i];
		if (l->gone) {
			c.gone++;
			continue;
		}
		const struct inbound_meta meta = { uidvalidity, l->uid, l->size };
		enum inbound_outcome outcome = INBOUND_INVALID;
		int64_t ticket = 0;
		rc = fail_uid && l->uid == fail_uid ? TD_ERR
						    : inbound_take(&d, &meta, &b->parsed[i], &outcome, &ticket);
		if (rc == TD_EEXISTS) {
			c.again++;
			rc = 0;
			continue;
		}
		if (rc)
			break;
		c.letters++;
		c.outcomes[outcome]++;
		log_debug("mail in: letter %lld (%zu bytes%s): %s, ticket %lld", (long long)l->uid, l->size,
			 l->header_only ? ", its header alone" : "", inbound_outcome_name(outcome),
			 (long long)ticket);
		if (kill_uid && l->uid == kill_uid)
			kill_here("before the commit of", l->uid);
	}
	if (!rc)
		rc = db_mailbox_set(db, cfg->imap_url, uidvalidity, b->letters[to - 1].uid, now);
	*changed = db_total_changes(db) != before;
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	counts->letters += c.letters;
	counts->again += c.again;
	counts->gone += c.gone;
	for (int k = 0; k < INBOUND_OUTCOME_COUNT; k++)
		counts->outcomes[k] += c.outcomes[k];
	return 0;
}

/*
 * Records letter i of the batch as set aside (it failed alone TAKE_TRIES
 * passes in a row) and moves the mailbox past it, in one transaction.
 */
static int set_aside(struct db *db, const struct config *cfg, struct batch *b, size_t i,
		     int64_t uidvalidity, struct mail_intake_counts *counts)
{
	const struct imap_letter *l = &b->letters[i];
	const struct inletter *p = &b->parsed[i];
	bool parsed = b->parsed_ok[i];
	int64_t now = clock_now();
	const struct mail_in_new row = {
		.uidvalidity = uidvalidity, .uid = l->uid,
		.message_id = parsed ? p->message_id : NULL,
		.from_addr = parsed && p->from_addr ? p->from_addr : "",
		.subject = parsed && p->subject ? p->subject : "",
		.size = (int64_t)l->size, .at = now,
		.outcome = inbound_outcome_name(INBOUND_SET_ASIDE),
	};
	int rc = db_begin(db);
	if (rc)
		return rc;
	rc = db_mail_in_add(db, &row);
	if (!rc || rc == TD_EEXISTS)
		rc = db_mailbox_set(db, cfg->imap_url, uidvalidity, l->uid, now);
	if (!rc)
		rc = db_commit(db);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	log_error("mail in: letter %lld from <%s> could not be taken in %d passes: set aside"
		  " (tilldesk mail queue shows it no; the mailbox keeps it)", (long long)l->uid,
		  row.from_addr, TAKE_TRIES);
	counts->letters++;
	counts->outcomes[INBOUND_SET_ASIDE]++;
	return 0;
}

/*
 * The batch's letters one transaction each, after the whole batch failed:
 * those that can be taken are, and the one that cannot is tried again on
 * the next pass, or set aside after TAKE_TRIES. *taken: how many of the
 * batch's letters are done (the rest wait for the next pass).
 */
static int take_alone(struct db *db, const struct config *cfg, struct kb *kb, struct batch *b,
		      int64_t uidvalidity, struct mail_intake_counts *counts, bool *changed,
		      size_t *taken)
{
	*taken = 0;
	for (size_t i = 0; i < b->n; i++) {
		bool one_changed = false;
		int rc = batch_take(db, cfg, kb, b, i, i + 1, uidvalidity, counts, &one_changed);
		*changed |= one_changed;
		if (rc) {
			int64_t uid = b->letters[i].uid;
			failing.times = failing.uid == uid ? failing.times + 1 : 1;
			failing.uid = uid;
			log_warn("mail in: letter %lld cannot be taken (%d of %d): %s", (long long)uid,
				 failing.times, TAKE_TRIES, db_errmsg(db));
			if (failing.times < TAKE_TRIES || set_aside(db, cfg, b, i, uidvalidity, counts))
				return rc;
			*changed = true;
		}
		*taken = i + 1;
	}
	return 0;
}

/* Moves the mailbox's state on without letters (none past last_uid, or a start over with none unseen). */
static int state_set(struct db *db, const struct config *cfg, int64_t uidvalidity, int64_t last_uid)
{
	int rc = db_begin(db);
	if (!rc)
		rc = db_mailbox_set(db, cfg->imap_url, uidvalidity, last_uid, clock_now());
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	return rc;
}

/* The letters of uids, a batch at a time: fetched, parsed, taken, committed, then \Seen. */
static int take_letters(struct db *db, const struct config *cfg, struct sender *sender, struct kb *kb,
			struct imap *m, const int64_t *uids, size_t n, int64_t uidvalidity,
			const volatile int *stop, struct mail_intake_counts *counts)
{
	struct batch *b = xcalloc(1, sizeof(*b));
	int64_t seen[BATCH_LETTERS];
	int64_t kill_seen = kill_at_uid("TILLDESK_TEST_INTAKE_KILL_SEEN");
	int rc = 0;
	for (size_t i = 0; i < n && !rc && !*stop; i += b->n) {
		size_t k = n - i < BATCH_LETTERS ? n - i : BATCH_LETTERS;
		batch_release(b);
		memset(b->parsed_ok, 0, sizeof(b->parsed_ok));
		for (size_t j = 0; j < k; j++)
			b->letters[j].uid = uids[i + j];
		b->n = k;
		/* Past BATCH_BYTES, the rest waits for the next batch (the first letter always goes). */
		size_t keep = 0;
		if (imap_fetch(m, b->letters, k, (size_t)cfg->imap_max_letter, BATCH_BYTES, &keep)) {
			log_warn("mail in: cannot fetch letters from %lld: %s", (long long)uids[i], imap_why(m));
			rc = TD_ERR;
			break;
		}
		for (size_t j = keep; j < k; j++)
			imap_letter_release(&b->letters[j]);
		b->n = keep;
		rc = batch_parse(b, cfg);
		if (rc) {
			log_warn("mail in: out of memory parsing letters from %lld", (long long)uids[i]);
			break;
		}
		bool changed = false;
		rc = batch_take(db, cfg, kb, b, 0, b->n, uidvalidity, counts, &changed);
		if (rc) {
			log_warn("mail in: cannot take letters %lld to %lld: %s: one by one", (long long)b->letters[0].uid,
				 (long long)b->letters[b->n - 1].uid, db_errmsg(db));
			size_t taken;
			rc = take_alone(db, cfg, kb, b, uidvalidity, counts, &changed, &taken);
			/* What was taken is marked read below; the rest waits for the next pass. */
			b->n = taken;
		}
		if (changed && sender)
			sender_kick(sender);
		/* Committed: only now may a mail client see them as read. */
		size_t n_seen = 0;
		for (size_t j = 0; j < b->n; j++) {
			if (!b->letters[j].gone)
				seen[n_seen++] = b->letters[j].uid;
			if (kill_seen && b->letters[j].uid == kill_seen)
				kill_here("after the commit, before \\Seen, of", kill_seen);
		}
		if (n_seen && imap_seen(m, seen, n_seen)) {
			log_warn("mail in: letters taken, but not marked read: %s", imap_why(m));
			rc = TD_ERR;
		}
		if (rc)
			break;
	}
	batch_release(b);
	free(b);
	return rc;
}

/*
 * Marks \Seen the unseen letters among the last SEEN_CATCH_UP taken: a
 * crash or a broken connection between a batch's commit and its STORE
 * left them unread, though they are taken. On a new session only, so that
 * a person marking a letter unread in a mail client is overruled at most
 * once per restart or reconnection.
 */
static int seen_catch_up(struct imap *m, int64_t last_uid)
{
	int64_t *uids = NULL, from = last_uid > SEEN_CATCH_UP ? last_uid - SEEN_CATCH_UP + 1 : 1;
	size_t n = 0;
	int rc = imap_search(m, from, last_uid + 1, true, &uids, &n);
	if (!rc && n) {
		log_info("mail in: %zu letters taken before were not marked read: marking them", n);
		rc = imap_seen(m, uids, n);
	}
	if (rc)
		log_warn("mail in: cannot mark the letters taken before read: %s", imap_why(m));
	free(uids);
	return rc;
}

int mail_intake_pass(struct db *db, const struct config *cfg, struct sender *sender,
		     struct imap **session, const volatile int *stop, struct mail_intake_counts *counts)
{
	char err[512];
	int64_t uidvalidity, uidnext, known_validity = 0, last_uid = 0, *uids = NULL;
	size_t n = 0;
	struct kb *kb = NULL;
	static const volatile int never = 0;
	int rc;

	if (!stop)
		stop = &never;
	bool fresh = !*session;
	if (fresh) {
		rc = imap_open(session, cfg, IMAP_TIMEOUT_MS, stop, err, sizeof(err));
		if (rc) {
			log_warn("mail in: %s", err);
			return rc == TD_EDENIED ? rc : TD_ERR;
		}
	}
	struct imap *m = *session;
	if (imap_select(m, &uidvalidity, &uidnext)) {
		log_warn("mail in: cannot select the mailbox: %s", imap_why(m));
		rc = TD_ERR;
		goto done;
	}
	rc = db_mailbox_get(db, cfg->imap_url, &known_validity, &last_uid);
	if (rc && rc != TD_ENOTFOUND) {
		log_warn("mail in: cannot read the mailbox's state: %s", db_errmsg(db));
		goto done;
	}
	/* Never read, or renumbered: from its current state, its unseen letters. */
	bool start_over = rc == TD_ENOTFOUND || known_validity != uidvalidity;
	if (start_over) {
		if (rc != TD_ENOTFOUND)
			log_warn("mail in: the mailbox's UIDVALIDITY changed from %lld to %lld: taking its unseen"
				 " letters", (long long)known_validity, (long long)uidvalidity);
		last_uid = 0;
	}
	rc = 0;
	if (fresh && !start_over && last_uid > 0 && (rc = seen_catch_up(m, last_uid)))
		goto done;
	kb = kb_new();
	while (!*stop) {
		free(uids);
		uids = NULL;
		if (imap_search(m, last_uid + 1, uidnext, start_over, &uids, &n)) {
			log_warn("mail in: cannot search the mailbox: %s", imap_why(m));
			rc = TD_ERR;
			break;
		}
		if (!n) {
			/* Nothing up to UIDNEXT: the search may start there next time. */
			int64_t upto = uidnext > last_uid + 1 ? uidnext - 1 : last_uid;
			if ((start_over || upto != last_uid) && (rc = state_set(db, cfg, uidvalidity, upto)))
				log_warn("mail in: cannot record the mailbox's state: %s", db_errmsg(db));
			break;
		}
		rc = take_letters(db, cfg, sender, kb, m, uids, n, uidvalidity, stop, counts);
		if (rc)
			break;
		last_uid = uids[n - 1];
	}
done:
	free(uids);
	kb_free(kb);
	if (rc && imap_why(m)[0]) {
		imap_close(m);
		*session = NULL;
	}
	return rc;
}

static void *intake_main(void *arg)
{
	struct mail_intake *in = arg;
	struct imap *session = NULL;
	struct db *db;
	char err[512];
	int64_t backoff = 0;
	if (db_open(&db, in->cfg->database, err, sizeof(err))) {
		log_error("mail in: %s", err);
		return NULL;
	}
	while (!*in->stop) {
		struct mail_intake_counts counts = { 0 };
		bool fresh = !session;
		int rc = mail_intake_pass(db, in->cfg, in->sender, &session, in->stop, &counts);
		/* A kept session the server dropped meanwhile: once more at once, on a new one. */
		if (rc == TD_ERR && !fresh && !session && !*in->stop)
			rc = mail_intake_pass(db, in->cfg, in->sender, &session, in->stop, &counts);
		if (counts.letters)
			log_info("mail in: %zu letters taken", counts.letters);
		if (*in->stop)
			break;
		if (rc) {
			backoff = backoff ? (backoff * 2 < BACKOFF_MAX_MS ? backoff * 2 : BACKOFF_MAX_MS) : 1000;
			log_warn("mail in: the mailbox is tried again in %lld s", (long long)(backoff / 1000));
			clock_nap(backoff, in->stop);
			continue;
		}
		backoff = 0;
		/* Letters came while a long pass ran: look again at once rather than a poll later. */
		if (!counts.letters)
			clock_nap(in->cfg->imap_poll * 1000, in->stop);
	}
	imap_close(session);
	db_close(db);
	return NULL;
}

int mail_intake_start(struct mail_intake **out, const struct config *cfg, struct sender *sender,
		      const volatile int *stop, char *err, size_t errlen)
{
	struct mail_intake *in = xcalloc(1, sizeof(*in));
	in->cfg = cfg;
	in->sender = sender;
	in->stop = stop;
	if (pthread_create(&in->thread, NULL, intake_main, in)) {
		snprintf(err, errlen, "mail in: cannot start the intake's thread");
		free(in);
		return TD_ERR;
	}
	log_info("mail in: reading %s as %s every %llds", cfg->imap_url, cfg->imap_user,
		 (long long)cfg->imap_poll);
	*out = in;
	return 0;
}

void mail_intake_join(struct mail_intake *in)
{
	if (!in)
		return;
	pthread_join(in->thread, NULL);
	free(in);
}
