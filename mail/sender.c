/*
 * sender.c - the mail sender thread; see sender.h.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "mail/build.h"
#include "mail/sender.h"
#include "mail/smtp.h"
#include "storage/letters.h"

/* Letters per SMTP session: one connection, TLS and AUTH carry many. */
#define SESSION_LETTERS 50
#define RCPTS_MAX 64
#define MESSAGE_CAP (16u << 20)
#define RETRY_CAP 3600

struct mail_sender {
	pthread_t thread;
	const volatile int *stop;
	char *db_path, *from;
	int64_t retry_after;
	struct mail_smtp *smtp;
	struct db *db;
	bool mime;  /* GMime started, by the first letter built */
};

/* One letter of a session: its message and the recipients that wait. */
struct outgoing {
	int64_t id;
	int attempts;
	char *ref;
	struct buf msg;
	size_t n_to;                          /* every recipient, for the To header */
	char *addr[RCPTS_MAX], *name[RCPTS_MAX];
	bool waits[RCPTS_MAX];
	const char *rcpts[RCPTS_MAX];         /* those that wait, for the envelope */
	size_t n_rcpts;
	struct mail_result results[RCPTS_MAX];
	struct mail_item item;
	bool bad;                             /* could not be built */
	bool recorded;                        /* its outcome is committed */
	struct mail_sender *sender;
	/* The row, copied: the draft's strings. */
	char *subject, *text, *html, *message_id, *in_reply_to, *references;
	int64_t created_at;
};

/* The letters of a pass, grown as they come: an idle pass allocates nothing. */
struct pass {
	struct mail_sender *s;
	struct outgoing *out;
	size_t n, alloc;
};

int64_t mail_retry_wait(int64_t first, int attempts)
{
	int64_t w = first;
	for (int i = 1; i < attempts && w < RETRY_CAP; i++)
		w *= 2;
	return w < RETRY_CAP ? w : RETRY_CAP;
}

static int take_letter(const struct letter_row *l, void *arg)
{
	struct pass *p = arg;
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 8;
		p->out = xrealloc(p->out, p->alloc * sizeof(*p->out));
		memset(p->out + p->n, 0, (p->alloc - p->n) * sizeof(*p->out));
	}
	struct outgoing *o = &p->out[p->n++];
	o->id = l->id;
	o->attempts = l->attempts;
	o->ref = xstrdup(l->ref);
	o->subject = xstrdup(l->subject);
	o->text = xstrdup(l->text);
	o->html = l->html ? xstrdup(l->html) : NULL;
	o->message_id = xstrdup(l->message_id);
	o->in_reply_to = xstrdup(l->in_reply_to);
	o->references = xstrdup(l->references);
	o->created_at = l->created_at;
	buf_init(&o->msg, MESSAGE_CAP);
	return 0;
}

static int take_rcpt(const struct letter_rcpt_row *r, void *arg)
{
	struct outgoing *o = arg;
	if (o->n_to == RCPTS_MAX)
		return 0;
	o->addr[o->n_to] = xstrdup(r->addr);
	o->name[o->n_to] = xstrdup(r->name);
	o->waits[o->n_to] = !strcmp(r->state, "pending");
	o->n_to++;
	return 0;
}

static void outgoing_release(struct outgoing *o)
{
	for (size_t i = 0; i < o->n_to; i++) {
		free(o->addr[i]);
		free(o->name[i]);
	}
	free(o->ref);
	free(o->subject);
	free(o->text);
	free(o->html);
	free(o->message_id);
	free(o->in_reply_to);
	free(o->references);
	buf_release(&o->msg);
}

static void recorded(struct mail_item *item, void *arg);

/* The message of o, and its envelope: the recipients that wait. */
static void prepare(struct mail_sender *s, struct outgoing *o)
{
	struct letter_rcpt to[RCPTS_MAX];
	for (size_t i = 0; i < o->n_to; i++) {
		to[i] = (struct letter_rcpt){ o->name[i], o->addr[i] };
		if (o->waits[i])
			o->rcpts[o->n_rcpts++] = o->addr[i];
	}
	const struct mail_draft d = {
		.from = s->from, .subject = o->subject, .text = o->text, .html = o->html,
		.message_id = o->message_id, .date = o->created_at, .to = to, .n_to = o->n_to,
		.in_reply_to = o->in_reply_to, .references = o->references,
	};
	if (!s->mime) {
		mail_mime_init();
		s->mime = true;
	}
	if (mail_build(&o->msg, &d)) {
		o->bad = true;
		for (size_t i = 0; i < o->n_rcpts; i++)
			o->results[i] = (struct mail_result){ MAIL_TEMPORARY, 0, "the message could not be built" };
	}
	o->sender = s;
	o->item = (struct mail_item){ o->msg.data, o->msg.len, o->rcpts, o->n_rcpts, o->results,
				      recorded, o };
}

static const char *const state_text[] = {
	[MAIL_SENT] = "sent", [MAIL_TEMPORARY] = "pending", [MAIL_PERMANENT] = "failed",
};

/* Records what the session did for o; in the caller's transaction. */
static int record(struct mail_sender *s, struct outgoing *o, int64_t now)
{
	const char *why_again = NULL, *why_failed = NULL;
	int sent = 0, failed = 0, again = 0, rc = 0;
	for (size_t i = 0; i < o->n_rcpts && !rc; i++) {
		const struct mail_result *r = &o->results[i];
		rc = db_letter_rcpt_set(s->db, o->id, o->rcpts[i], state_text[r->outcome], r->code,
					r->reply, now);
		if (r->outcome == MAIL_SENT) {
			sent++;
		} else if (r->outcome == MAIL_PERMANENT) {
			failed++;
			why_failed = why_failed ? why_failed : r->reply;
		} else {
			again++;
			why_again = why_again ? why_again : r->reply;
		}
	}
	if (rc)
		return rc;
	/* The letter's last error: why it waits, else why a recipient failed. */
	const char *error = why_again ? why_again : why_failed;
	int64_t next = now;
	if (again) {
		next += mail_retry_wait(s->retry_after, o->attempts + 1);
		log_warn("mail: letter %lld (%s): %d sent, %d failed, %d tried again in %llds: %s",
			 (long long)o->id, o->ref, sent, failed, again, (long long)(next - now), error);
	} else if (failed) {
		log_warn("mail: letter %lld (%s): %d sent, %d failed for good: %s", (long long)o->id, o->ref,
			 sent, failed, error);
	} else {
		log_info("mail: letter %lld (%s) sent to %d", (long long)o->id, o->ref, sent);
	}
	return db_letter_attempted(s->db, o->id, next, error);
}

/*
 * Commits what the server said of o, at once: a crash after this sends it
 * no more; before it, once more (the duplicate SMTP cannot rule out).
 * Recorded even while the daemon stops.
 */
static void recorded(struct mail_item *item, void *arg)
{
	(void)item;
	struct outgoing *o = arg;
	struct mail_sender *s = o->sender;
	int rc = db_begin(s->db);
	if (!rc)
		rc = record(s, o, clock_now());
	if (!rc)
		rc = db_commit(s->db);
	else
		db_rollback(s->db);
	if (rc)
		log_warn("mail: cannot record letter %lld's outcome: %s", (long long)o->id, db_errmsg(s->db));
	o->recorded = true;
}

/* One pass: the letters due, one session, their outcomes. How many letters it took, or -1. */
static int pass(struct mail_sender *s)
{
	struct mail_item items[SESSION_LETTERS];
	struct pass p = { s, NULL, 0, 0 };
	size_t n_items = 0;
	int rc = db_letter_due(s->db, clock_now(), SESSION_LETTERS, take_letter, &p);
	struct outgoing *out = p.out;
	for (size_t i = 0; i < p.n && !rc; i++)
		rc = db_letter_rcpts(s->db, out[i].id, take_rcpt, &out[i]);
	if (rc) {
		log_warn("mail: cannot read the letters due: %s", db_errmsg(s->db));
		goto done;
	}
	for (size_t i = 0; i < p.n; i++) {
		prepare(s, &out[i]);
		if (!out[i].bad && out[i].n_rcpts)
			items[n_items++] = out[i].item;
	}
	if (n_items)
		mail_smtp_send(s->smtp, items, n_items);
	/* Those that never went: not built, or no recipient left. */
	for (size_t i = 0; i < p.n; i++)
		if (!out[i].recorded)
			recorded(&out[i].item, &out[i]);
done:
	for (size_t i = 0; i < p.n; i++)
		outgoing_release(&out[i]);
	free(out);
	return rc ? -1 : (int)p.n;
}

static void *sender_main(void *arg)
{
	struct mail_sender *s = arg;
	char err[512];
	if (db_open(&s->db, s->db_path, err, sizeof(err))) {
		log_error("mail: %s", err);
		return NULL;
	}
	db_wait_through_stop(s->db);
	bool sent = false;
	while (!*s->stop) {
		int n = pass(s);
		sent = sent || n > 0;
		if (n == SESSION_LETTERS)
			continue;  /* more may be due at once */
		/* The messages built and freed leave pages the daemon need not keep. */
		if (sent)
			malloc_trim(0);
		sent = false;
		/* New letters are noticed within a second. */
		for (int i = 0; i < 10 && !*s->stop; i++)
			usleep(100 * 1000);
	}
	db_close(s->db);
	return NULL;
}

/*
 * Whether GMime reads from as one mailbox, asked of a child process: GMime
 * started in the daemon keeps about 1 MB resident (gpgme, libidn2,
 * libunistring, its type system: bench/RESULTS.md) however long no letter
 * is built, so the sender starts it for its first letter, and a from it
 * cannot send with still stops the start. The child mallocs: forked while
 * another thread held the allocator's lock, it would wait for ever (it
 * did, under ASan), so this runs before any thread. 0, or TD_EINVAL.
 */
int mail_sender_check_from(const char *from)
{
	pid_t pid = fork();
	int status;
	if (pid < 0)
		return TD_ERR;
	if (pid == 0) {
		char addr[256];
		mail_mime_init();
		_exit(mail_from_address(addr, sizeof(addr), from) ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return TD_ERR;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : TD_EINVAL;
}

int mail_sender_start(struct mail_sender **out, const struct config *cfg, const volatile int *stop,
		      char *err, size_t errlen)
{
	struct mail_sender *s = xcalloc(1, sizeof(*s));
	int rc = mail_smtp_new(&s->smtp, cfg, err, errlen);
	if (rc)
		goto fail;
	s->stop = stop;
	s->db_path = xstrdup(cfg->database);
	s->from = xstrdup(cfg->smtp_from);
	s->retry_after = cfg->smtp_retry_after;
	if (pthread_create(&s->thread, NULL, sender_main, s)) {
		snprintf(err, errlen, "mail: cannot start the sender's thread");
		rc = TD_ERR;
		goto fail;
	}
	log_info("mail: sending through %s:%lld as %s, STARTTLS %s", cfg->smtp_host, cfg->smtp_port,
		 cfg->smtp_from, cfg->smtp_starttls);
	*out = s;
	return 0;
fail:
	mail_smtp_free(s->smtp);
	free(s->db_path);
	free(s->from);
	free(s);
	return rc;
}

void mail_sender_join(struct mail_sender *s)
{
	if (!s)
		return;
	pthread_join(s->thread, NULL);
	mail_smtp_free(s->smtp);
	free(s->db_path);
	free(s->from);
	if (s->mime)
		mail_mime_shutdown();
	free(s);
}
