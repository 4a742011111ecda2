/*
 * inbound.c - inbound_take(): a letter in, taken; see inbound.h.
 *
 * Who wrote decides first: nobody (no address), a robot (a bounce, an
 * automatic reply, a mailer-daemon, our own address) gets nothing; too
 * many letters in the hour from one address are only counted; a stranger
 * gets one polite answer a day; a letter too big to fetch, a polite
 * refusal. A cashier's letter (a person's address, or a store's own:
 * its mailbox person) goes to the ticket it names ([№N] in the subject,
 * or In-Reply-To / References naming one of our letters or one of
 * theirs), answers the knowledge base's article it replies to, or is a
 * new problem: the knowledge base first, then a ticket. Every change of a
 * ticket goes through the engine; every letter taken leaves one mail_in
 * row.
 */
#include "bot/engine.h"
#include "core/chatter.h"
#include "core/config.h"
#include "core/log.h"
#include "kb/search.h"
#include "mail/answer.h"
#include "mail/inbound.h"
#include "mail/mail.h"
#include "storage/attachments.h"
#include "storage/chain.h"
#include "storage/kb.h"
#include "storage/mail_in.h"
#include "storage/ticket.h"

#define TITLE_MAX_BYTES 3000  /* as a Telegram report's */
#define TEXT_MAX (64u << 10)
#define WORDS_MAX (32u << 10) /* bytes of a letter's words a ticket keeps: the engine's notices hold them */
#define SUBJECT_MAX 1024
#define THEIR_SUBJECT_MAX 300 /* bytes of their subject quoted in an answer */
#define RECORD_SUBJECT_MAX 500
#define ANSWER_MAX (64u << 10)
#define QUERY_MAX 4000        /* a longer letter is a story for an engineer, not a question */
#define HOUR 3600

static const char *const outcome_names[INBOUND_OUTCOME_COUNT] = {
	[INBOUND_OPENED] = "opened", [INBOUND_JOINED] = "joined", [INBOUND_ANSWERED] = "answered",
	[INBOUND_DECIDED] = "decided", [INBOUND_UNKNOWN] = "unknown", [INBOUND_CAPPED] = "capped",
	[INBOUND_OVERSIZE] = "oversize", [INBOUND_LOOP] = "loop", [INBOUND_INVALID] = "invalid",
	[INBOUND_SET_ASIDE] = "set_aside",
};

const char *inbound_outcome_name(enum inbound_outcome o)
{
	return (unsigned)o < INBOUND_OUTCOME_COUNT ? outcome_names[o] : "?";
}

/* One letter being taken. */
struct take {
	struct dialog *d;
	const struct inbound_meta *m;
	const struct inletter *l;
	struct person p;           /* the cashier who wrote, once known */
	enum inbound_outcome outcome;
	int64_t ticket;
};

/* ---- who wrote ---- */

/*
 * Local parts that belong to mail software, not people (RFC 2142 and
 * common practice): a letter from them is never answered.
 */
static const char *const robot_prefixes[] = {
	"mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply",
	"do-not-reply", "do_not_reply", "bounce", "owner-", "listserv", "majordomo", NULL,
};

static bool robot_address(const char *addr)
{
	const char *at = strchr(addr, '@');
	size_t local = at ? (size_t)(at - addr) : strlen(addr);
	for (const char *const *p = robot_prefixes; *p; p++)
		if (!strncmp(addr, *p, strlen(*p)))
			return true;
	/* A list's administrative address: "list-request@". */
	return local > 8 && !strncmp(addr + local - 8, "-request", 8);
}

static bool own_address(const struct dialog *d, const char *addr)
{
	char own[256];
	mail_answer_own_address(d, own, sizeof(own));
	if (*own && !strcmp(own, addr))
		return true;
	const char *user = d->cfg && d->cfg->imap_user ? d->cfg->imap_user : "";
	return strchr(user, '@') && !strcasecmp(user, addr);
}

/*
 * The cashier whose address wrote: a person's, or a store's own (its
 * mailbox person, made at the first need). *known is false for an
 * address nobody has, a disabled person, or anyone but a cashier with a
 * store: only cashiers report problems.
 */
static int sender(struct take *t, bool *known)
{
	int64_t id, store;
	int rc = db_person_by_email(t->d->db, t->l->from_addr, &id);
	*known = false;
	if (rc == TD_ENOTFOUND && !(rc = db_store_by_email(t->d->db, t->l->from_addr, &store)))
		rc = db_store_mailbox(t->d->db, store, t->d->now, &id);
	if (!rc)
		rc = dialog_person_by_id(t->d, id, &t->p);
	if (rc)
		return rc == TD_ENOTFOUND ? 0 : rc;
	*known = !t->p.disabled && t->p.role == ROLE_CASHIER && t->p.store_id;
	return 0;
}

/* ---- answers to one letter ---- */

static const char *bare_subject(const char *s);

/* Their subject without "Re:"s, or "(no subject)", cut to THEIR_SUBJECT_MAX bytes (out). */
static const char *their_subject(const struct inletter *l, char *out)
{
	const char *s = bare_subject(l->subject);
	utf8_snprintf(out, THEIR_SUBJECT_MAX, "%s", *s ? s : msg(MSG_MAIL_IN_NO_SUBJECT));
	return out;
}

static int answer_letter(struct take *t, const char *ref, const char *kind, const char *subject,
			 const char *text)
{
	const struct answer_direct a = {
		.ref = ref, .kind = kind, .to_addr = t->l->from_addr, .to_name = t->l->from_name,
		.subject = subject, .text = text, .in_reply_to = t->l->message_id,
		.references = (const char *const *)t->l->references, .n_references = t->l->n_references,
	};
	return mail_answer_direct(t->d, &a);
}

/* A polite answer in catalogue message id (its arguments after the subject's). */
static int polite(struct take *t, const char *ref, const char *kind, enum msg_id id, ...)
{
	struct buf subject = BUF_INIT(SUBJECT_MAX), text = BUF_INIT(ANSWER_MAX);
	char theirs[THEIR_SUBJECT_MAX];
	va_list ap;
	int rc = 0;
	msg_buf(&subject, MSG_MAIL_IN_RE, their_subject(t->l, theirs));
	va_start(ap, id);
	msg_vbuf(&text, id, ap);
	va_end(ap);
	/* An answer that cannot be written is left out: the letter is taken all the same. */
	if (subject.failed || text.failed)
		log_warn("mail: %s could not be written", ref);
	else
		rc = answer_letter(t, ref, kind, buf_cstr(&subject), buf_cstr(&text));
	buf_release(&subject);
	buf_release(&text);
	return rc;
}

static int stranger(struct take *t)
{
	char ref[400], day[16];
	format_date(day, sizeof(day), t->d->now / 86400);
	snprintf(ref, sizeof(ref), "unknown:%s:%s", t->l->from_addr, day);
	char theirs[THEIR_SUBJECT_MAX];
	t->outcome = INBOUND_UNKNOWN;
	return polite(t, ref, "unknown", MSG_MAIL_IN_UNKNOWN, their_subject(t->l, theirs), t->l->from_addr);
}

static int capped(struct take *t, long long cap)
{
	char ref[400], hour[16], day[16];
	format_date(day, sizeof(day), t->d->now / 86400);
	/* YYYYMMDDHH of UTC: one answer per address and hour. */
	snprintf(hour, sizeof(hour), "%.4s%.2s%.2s%02d", day, day + 5, day + 8,
		 (int)(t->d->now % 86400 / HOUR));
	snprintf(ref, sizeof(ref), "capped:%s:%s", t->l->from_addr, hour);
	t->outcome = INBOUND_CAPPED;
	return polite(t, ref, "capped", MSG_MAIL_IN_CAPPED, cap, t->l->from_addr);
}

static int oversize(struct take *t, long long max)
{
	char ref[128];
	snprintf(ref, sizeof(ref), "oversize:%lld:%lld", (long long)t->m->uidvalidity, (long long)t->m->uid);
	t->outcome = INBOUND_OVERSIZE;
	char theirs[THEIR_SUBJECT_MAX];
	return polite(t, ref, "oversize", MSG_MAIL_IN_OVERSIZE, their_subject(t->l, theirs),
		      (long long)(t->m->size + 1023) / 1024, max / 1024);
}

/* ---- what a letter names ---- */

/* s without its leading "Re:", "Fwd:", "Fw:", "Отв:" (any case, any number of them) and spaces. */
static const char *bare_subject(const char *s)
{
	static const char *const prefixes[] = { "re:", "fwd:", "fw:", "aw:", "отв:", "ответ:", "пересл:", NULL };
	for (bool again = true; again;) {
		again = false;
		while (*s == ' ' || *s == '\t')
			s++;
		for (const char *const *p = prefixes; *p; p++)
			if (!strncasecmp(s, *p, strlen(*p))) {
				s += strlen(*p);
				again = true;
			}
	}
	return s;
}

/* The number after marker in s ("[№12]"), or 0. */
static int64_t tagged(const char *s, const char *marker, const char *closing)
{
	for (const char *p = s; (p = strstr(p, marker)); p++) {
		const char *q = p + strlen(marker);
		int64_t n = 0;
		while (*q == ' ')
			q++;
		int digits = 0;
		for (; *q >= '0' && *q <= '9' && digits < 15; q++, digits++)
			n = n * 10 + (*q - '0');
		if (digits && (!closing || !strncmp(q, closing, strlen(closing))))
			return n;
	}
	return 0;
}

/* The ticket the subject's tag names: «[№N]» or "[#N]". */
static int64_t subject_ticket(const char *subject)
{
	int64_t n = tagged(subject, "[№", "]");
	return n ? n : tagged(subject, "[#", "]");
}

/*
 * A bare «№N» names a ticket only in a reply ("Re: ..."), since «Касса
 * №2 не печатает» names a till; and only when nothing else names where
 * the reply goes (from_cashier()).
 */
static int64_t subject_bare_ticket(const char *subject)
{
	return bare_subject(subject) != subject ? tagged(subject, "№", NULL) : 0;
}

/* The knowledge base's suggestion the subject names: "[КБ-N]" or "[KB-N]". */
static int64_t subject_suggestion(const char *subject)
{
	int64_t n = tagged(subject, "[КБ-", "]");
	return n ? n : tagged(subject, "[KB-", "]");
}

/*
 * What the letter's In-Reply-To and References name, newest first: a
 * ticket (one of our letters about it, or one we took from this sender),
 * or a suggestion of the knowledge base (our letter "kb:N").
 */
static int thread_names(struct take *t, int64_t *ticket, int64_t *suggestion)
{
	const struct inletter *l = t->l;
	*ticket = *suggestion = 0;
	for (size_t i = 0; i <= l->n_references && !*ticket && !*suggestion; i++) {
		const char *id = i == 0 ? l->in_reply_to : l->references[l->n_references - i];
		char ref[128];
		int64_t found = 0;
		if (!*id)
			continue;
		int rc = db_letter_by_message(t->d->db, id, &found, ref, sizeof(ref));
		if (!rc && !found && !strncmp(ref, "kb:", 3))
			*suggestion = strtoll(ref + 3, NULL, 10);
		if (rc == TD_ENOTFOUND)
			rc = db_mail_in_ticket(t->d->db, id, l->from_addr, &found);
		if (rc && rc != TD_ENOTFOUND)
			return rc;
		*ticket = found;
	}
	return 0;
}

/* ---- what a reply says ---- */

/*
 * The first line of text that has a word besides small talk, into out
 * (n bytes): «Добрый день!» above the answer is no answer.
 */
static void first_line(const char *text, char *out, size_t n)
{
	struct chatter_word w;
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		const char *p = out;
		utf8_snprintf(out, n, "%.*s", (int)len, line);
		if (chatter_next(&p, &w) && !chatter_only(out))
			return;
		line += len;
		line += *line == '\n';
	}
	*out = '\0';
}

/*
 * The words a reply decides with: its first line with a word besides
 * small talk, else the subject's words after its tag (a mailto: link's
 * subject).
 */
static void decision_line(const struct inletter *l, char *out, size_t n)
{
	first_line(l->text, out, n);
	if (!*out) {
		const char *s = bare_subject(l->subject);
		const char *tag = strchr(s, ']');
		utf8_snprintf(out, n, "%s", tag ? tag + 1 : s);
	}
}

/*
 * Whether line says yes: a word of yes, and besides only more of them
 * or small talk («Работает, спасибо!»). Its first word one of no (a
 * «Не работает») is never a yes.
 */
static bool says(const char *line, const char *const *yes, const char *const *no)
{
	struct chatter_word w;
	bool any = false, first = true;
	for (const char *p = line; chatter_next(&p, &w); first = false) {
		if (first && chatter_word_in(&w, no))
			return false;
		if (chatter_word_in(&w, yes))
			any = true;
		else if (!chatter_is(&w))
			return false;
	}
	return any;
}

static const char *const no_words[] = { "не", "нет", "not", "no", "didnt", "doesnt", "still", NULL };
/* Words that say it works; with them, only these and small talk («Да, теперь всё работает, спасибо»). */
static const char *const works_words[] = {
	"работает", "работают", "заработало", "заработала", "заработал", "да", "works", "worked",
	"working", "yes", "fixed", "теперь", "уже", "снова", "всё", "now", "again", "fine", "it", "is",
	"all", "ok", "ок", "okay", "окей", "отлично", "нормально", "good", NULL,
};

/* Whether text says nothing worth a message: no word, or small talk alone («Спасибо!»). */
static bool nothing_said(const char *text)
{
	struct chatter_word w;
	const char *p = text;
	return !chatter_next(&p, &w) || chatter_only(text);
}

/* The rating a line gives: its first word a digit 1..5 alone («5», «5, спасибо», not «1С»); 0: none. */
static int rating(const char *line)
{
	struct chatter_word w;
	const char *p = line;
	if (chatter_next(&p, &w) && w.n == 1 && w.c[0] >= '1' && w.c[0] <= '5')
		return (int)(w.c[0] - '0');
	return 0;
}

/* ---- into tickets ---- */

/* Whether a file is a picture the engineers' chat shows as a photo. */
static bool photo_type(const char *mime)
{
	return !strcmp(mime, "image/jpeg") || !strcmp(mime, "image/png") || !strcmp(mime, "image/webp");
}

/* The letter's words for a ticket: its new text, and the names of the files too big to keep. */
static void letter_words(const struct take *t, struct buf *b)
{
	const struct inletter *l = t->l;
	long long max = t->d->cfg ? t->d->cfg->imap_attachment_max : 0;
	size_t n = strlen(l->text), start = b->len;
	if (n > WORDS_MAX) {
		/* A letter longer than a ticket keeps: its beginning, and how long it was. */
		n = utf8_cut(l->text, WORDS_MAX);
		buf_add(b, l->text, n);
		msg_buf(b, MSG_MAIL_IN_CUT, (long long)(strlen(l->text) + 1023) / 1024);
	} else {
		buf_add(b, l->text, n);
	}
	for (size_t i = 0; i < l->n_files && b->len - start < WORDS_MAX + 4096; i++)
		if (!l->files[i].data) {
			char name[256];
			utf8_snprintf(name, sizeof(name), "%s", l->files[i].name);
			msg_buf(b, MSG_MAIL_IN_FILE_TOO_BIG, name, max / 1024);
		}
}

/* The first file that is kept (its bytes came), or n_files. */
static size_t next_file(const struct inletter *l, size_t from)
{
	while (from < l->n_files && !l->files[from].data)
		from++;
	return from;
}

/* Keeps file f with ticket_id: its file ref "att:ID" in out (n bytes). */
static int keep_file(struct take *t, int64_t ticket_id, const struct inletter_file *f, char *out, size_t n)
{
	int64_t id;
	int rc = db_attachment_add(t->d->db, ticket_id, f->name, f->mime, f->data, f->size, t->d->now, &id);
	if (!rc)
		snprintf(out, n, ATTACHMENT_REF "%lld", (long long)id);
	return rc;
}

/* Each kept file from from on, as the cashier's message «📎 name» with the file. */
static int add_files(struct take *t, int64_t ticket_id, size_t from)
{
	const struct actor who = actor_person(&t->p);
	int rc = 0;
	for (size_t i = next_file(t->l, from); i < t->l->n_files && !rc; i = next_file(t->l, i + 1)) {
		const struct inletter_file *f = &t->l->files[i];
		char ref[32];
		struct buf body = BUF_INIT(1024);
		msg_buf(&body, MSG_MAIL_IN_FILE, f->name);
		if (!(rc = keep_file(t, ticket_id, f, ref, sizeof(ref)))) {
			const struct event_args a = {
				.body = buf_cstr(&body), .photo = photo_type(f->mime) ? ref : NULL,
				.document = photo_type(f->mime) ? NULL : ref,
			};
			rc = engine_apply(t->d, EV_MESSAGE, &who, ticket_id, &a);
		}
		buf_release(&body);
	}
	return rc;
}

/* The letter joins the ticket's mail thread: the answers reply to it. */
static int thread_on(struct take *t, int64_t ticket_id)
{
	struct ticket_mail *m = xmalloc(sizeof(*m));
	int rc = db_ticket_mail_get(t->d->db, ticket_id, m);
	if (!rc && *t->l->message_id) {
		mail_thread_push(m, t->l->message_id);
		rc = db_ticket_mail_set(t->d->db, ticket_id, m);
	}
	free(m);
	return rc == TD_ENOTFOUND ? 0 : rc;
}

/* What opening from a letter needs when the ticket exists, before its notices. */
struct opening {
	struct take *t;
	const struct inletter_file *file;  /* the first kept file, NULL: none */
	char file_ref[32];
};

/* The new ticket's thread (their letter and its References) and its first file. */
static int opened(struct dialog *d, int64_t ticket_id, void *arg)
{
	struct opening *o = arg;
	const struct inletter *l = o->t->l;
	struct ticket_mail *m = xcalloc(1, sizeof(*m));
	(void)d;
	snprintf(m->addr, sizeof(m->addr), "%s", l->from_addr);
	utf8_snprintf(m->name, sizeof(m->name), "%s", l->from_name);
	/* A name is one line of a header: a break in it would stop every answer. */
	for (char *p = m->name; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
	for (size_t i = 0; i < l->n_references; i++)
		mail_thread_push(m, l->references[i]);
	mail_thread_push(m, l->message_id);
	int rc = db_ticket_mail_set(o->t->d->db, ticket_id, m);
	free(m);
	if (!rc && o->file)
		rc = keep_file(o->t, ticket_id, o->file, o->file_ref, sizeof(o->file_ref));
	return rc;
}

/* s past the leading "Re:"s and the desk's own tags ("[№12]", "[#12]", "[КБ-3]"). */
static const char *untagged_subject(const char *s)
{
	static const char *const tags[] = { "[№", "[#", "[КБ-", "[KB-", NULL };
	for (bool again = true; again;) {
		again = false;
		s = bare_subject(s);
		for (const char *const *t = tags; *t && !again; t++) {
			const char *close = strchr(s, ']');
			if (!strncmp(s, *t, strlen(*t)) && close && tagged(s, *t, "]")) {
				s = close + 1;
				again = true;
			}
		}
	}
	return s;
}

/* The title of a ticket from a letter: its subject, else its first line. */
static void letter_title(const struct inletter *l, char *out, size_t n)
{
	const char *s = untagged_subject(l->subject);
	if (*s)
		utf8_snprintf(out, n, "%s", s);
	else
		first_line(l->text, out, n);
	if (!*out)
		utf8_snprintf(out, n, "%s", msg(MSG_MAIL_IN_NO_SUBJECT));
	/* One line: a title is shown on one. */
	for (char *p = out; *p; p++)
		if (*p == '\r' || *p == '\n' || *p == '\t')
			*p = ' ';
}

/*
 * Opens a ticket from the letter with title and words (the "opened"
 * row's), its first kept file, the knowledge base's article (0: none)
 * at priority; then its other files, one message each.
 */
static int open_ticket(struct take *t, const char *title, const char *words, int64_t article,
		       int priority)
{
	struct opening o = { .t = t };
	const struct actor who = actor_person(&t->p);
	size_t first = next_file(t->l, 0);
	if (first < t->l->n_files)
		o.file = &t->l->files[first];
	bool photo = o.file && photo_type(o.file->mime);
	const struct event_args a = {
		.title = title, .body = *words ? words : NULL, .kb_article_id = article,
		.priority = priority, .source = "email", .out_id = &t->ticket,
		.photo = o.file && photo ? o.file_ref : NULL, .document = o.file && !photo ? o.file_ref : NULL,
		.opened = opened, .opened_arg = &o,
	};
	int rc = engine_apply(t->d, EV_OPEN, &who, 0, &a);
	if (!rc && o.file)
		rc = add_files(t, t->ticket, first + 1);
	if (!rc) {
		t->outcome = INBOUND_OPENED;
		log_info("mail: ticket %lld opened by person %lld's letter", (long long)t->ticket,
			 (long long)t->p.id);
	}
	return rc;
}

/*
 * A new ticket from the letter, with the knowledge base's hint (0: none);
 * mentioning (catalogue message mention, MSG__COUNT: none) the ticket it
 * named but could not go to.
 */
static int open_from_letter(struct take *t, enum msg_id mention, int64_t named, int64_t article)
{
	char title[TITLE_MAX_BYTES + 1];
	struct buf words = BUF_INIT(TEXT_MAX);
	if (mention != MSG__COUNT)
		msg_buf(&words, mention, (long long)named);
	letter_words(t, &words);
	letter_title(t->l, title, sizeof(title));
	int rc = words.failed ? TD_ENOMEM : open_ticket(t, title, buf_cstr(&words), article, 3);
	buf_release(&words);
	return rc;
}

/* The letter's words (and files) added to ticket_id: ENGINE_ refusals as the engine gives them. */
static int join(struct take *t, int64_t ticket_id)
{
	const struct actor who = actor_person(&t->p);
	struct buf words = BUF_INIT(TEXT_MAX);
	size_t first = next_file(t->l, 0);
	const struct inletter_file *f = first < t->l->n_files ? &t->l->files[first] : NULL;
	char ref[32];
	int rc;
	letter_words(t, &words);
	/* Asked first: a refusal must leave no file behind. */
	if ((rc = engine_check(t->d, EV_MESSAGE, &who, ticket_id)))
		goto done;
	t->ticket = ticket_id;
	t->outcome = INBOUND_JOINED;
	if ((rc = thread_on(t, ticket_id)))
		goto done;
	if (!f && nothing_said(buf_cstr(&words)))
		goto done;   /* nothing to add: an empty reply, a "thanks" */
	if (f && (rc = keep_file(t, ticket_id, f, ref, sizeof(ref))))
		goto done;
	const struct event_args a = {
		.body = buf_cstr(&words), .photo = f && photo_type(f->mime) ? ref : NULL,
		.document = f && !photo_type(f->mime) ? ref : NULL,
	};
	if (!(rc = engine_apply(t->d, EV_MESSAGE, &who, ticket_id, &a)) && f)
		rc = add_files(t, ticket_id, first + 1);
done:
	buf_release(&words);
	return rc;
}

/* A reply on a resolved ticket: «Работает» confirms it, anything else reopens it with the words. */
static int decide_resolved(struct take *t, int64_t ticket_id)
{
	const struct actor who = actor_person(&t->p);
	char line[512];
	decision_line(t->l, line, sizeof(line));
	if (says(line, works_words, no_words)) {
		const struct event_args a = { 0 };
		int rc = engine_apply(t->d, EV_CONFIRM, &who, ticket_id, &a);
		if (!rc) {
			t->ticket = ticket_id;
			t->outcome = INBOUND_DECIDED;
			rc = thread_on(t, ticket_id);
		}
		return rc;
	}
	const struct event_args a = { 0 };
	int rc = engine_apply(t->d, EV_REOPEN, &who, ticket_id, &a);
	if (rc)
		return rc;
	/* The engineers read why under the card, with the files. */
	return join(t, ticket_id);
}

/* A reply on a closed ticket: a rating, thanks, or a new problem that follows it. */
static int decide_closed(struct take *t, int64_t ticket_id)
{
	const struct actor who = actor_person(&t->p);
	char line[512];
	decision_line(t->l, line, sizeof(line));
	int score = rating(line);
	if (score) {
		const struct event_args a = { .score = score };
		int rc = engine_apply(t->d, EV_RATE, &who, ticket_id, &a);
		if (rc && rc != ENGINE_ESTALE)
			return rc;
		/* Rated before: the first rating stands. */
		t->ticket = ticket_id;
		t->outcome = INBOUND_DECIDED;
		return thread_on(t, ticket_id);
	}
	/* Thanks, or «Работает» once more (it was confirmed): nothing to do. */
	if (!t->l->n_files && (nothing_said(t->l->text) || says(t->l->text, works_words, no_words))) {
		t->ticket = ticket_id;
		t->outcome = INBOUND_DECIDED;
		return 0;
	}
	return open_from_letter(t, MSG_MAIL_IN_FOLLOWS, ticket_id, 0);
}

/*
 * A letter that names ticket_id. *done unless it is no ticket of the
 * writer's store (then the letter is a new one, as if it named nothing).
 * Another cashier's ticket of the same store, or one closed, is followed
 * by a new ticket that mentions it.
 */
static int to_ticket(struct take *t, int64_t ticket_id, bool *done)
{
	struct ticket_row r;
	int rc = dialog_ticket_load(t->d, ticket_id, &r);
	*done = false;
	if (rc == TD_ENOTFOUND || (!rc && r.store_id != t->p.store_id))
		return 0;
	if (rc)
		return rc;
	*done = true;
	if (r.cashier_id != t->p.id)
		return open_from_letter(t, MSG_MAIL_IN_ABOUT, ticket_id, 0);
	switch (r.status) {
	case TICKET_NEW:
	case TICKET_CLAIMED:
		rc = join(t, ticket_id);
		/* Refused before anything changed: the letter stands alone. */
		if (rc == ENGINE_EDENIED || rc == ENGINE_ESTALE)
			rc = open_from_letter(t, MSG_MAIL_IN_ABOUT, ticket_id, 0);
		return rc;
	case TICKET_RESOLVED:
		return decide_resolved(t, ticket_id);
	case TICKET_CLOSED:
		return decide_closed(t, ticket_id);
	}
	return 0;
}

/* ---- the knowledge base ---- */

/* What the knowledge base reads of a letter: its subject and its words. */
static void question(const struct inletter *l, char *out, size_t n)
{
	const char *s = bare_subject(l->subject);
	utf8_snprintf(out, n, "%s%s%s", s, *s ? "\n" : "", l->text);
}

/* An article's body as plain text: its **bold** marks dropped. */
static void article_text(struct buf *b, const char *body)
{
	for (const char *p = body; *p;) {
		const char *star = strstr(p, "**");
		size_t n = star ? (size_t)(star - p) : strlen(p);
		buf_add(b, p, n);
		if (!star)
			break;
		p = star + 2;
	}
}

/*
 * A new problem: the knowledge base answers by letter when it is sure
 * (*answered), or gives the article worth a hint on the card (*hint).
 * A letter with files goes to an engineer: the files show what is wrong.
 */
static int advise(struct take *t, bool *answered, int64_t *hint)
{
	const struct dialog *d = t->d;
	char query[QUERY_MAX + 1], ref[64];
	struct kb_hit hit;
	struct kb_entry e;
	int64_t suggestion;
	int n, rc;
	*answered = false;
	*hint = 0;
	question(t->l, query, sizeof(query));
	if (!d->kb || !d->cfg || t->l->n_files || strlen(query) >= QUERY_MAX || !*query)
		return 0;
	rc = kb_search(d->kb, d->db, query, &hit, 1, &n);
	if (rc == TD_EINVAL || (!rc && !n))
		return 0;
	if (rc)
		return rc;
	enum kb_use use = kb_hit_use(&hit, d->cfg->kb_threshold, d->cfg->kb_hint);
	if (use != KB_USE_ANSWER) {
		*hint = use == KB_USE_HINT ? hit.article_id : 0;
		return 0;
	}
	if ((rc = db_kb_get(d->db, hit.article_id, &e)))
		return rc == TD_ENOTFOUND ? 0 : rc;
	/* An article too long for a letter is a hint on the card instead. */
	if (strlen(e.body) + strlen(e.title) > ANSWER_MAX / 2) {
		*hint = e.id;
		kb_entry_release(&e);
		return 0;
	}
	char theirs[THEIR_SUBJECT_MAX];
	const char *bare = bare_subject(t->l->subject);
	utf8_snprintf(theirs, sizeof(theirs), "%s", *bare ? bare : e.title);
	struct buf subject = BUF_INIT(SUBJECT_MAX), text = BUF_INIT(ANSWER_MAX), body = BUF_INIT(ANSWER_MAX),
		   link_subject = BUF_INIT(SUBJECT_MAX), links[2] = { BUF_INIT(2048), BUF_INIT(2048) };
	if ((rc = db_kb_suggest(d->db, &suggestion, e.id, t->p.id, query, hit.confidence, d->now)))
		goto done;
	msg_buf(&subject, MSG_MAIL_IN_KB_SUBJECT, (long long)suggestion, theirs);
	for (int i = 0; i < 2; i++) {
		const char *word = msg(i ? MSG_MAIL_IN_KB_NOT_HELPED : MSG_MAIL_IN_KB_HELPED);
		buf_reset(&link_subject);
		buf_puts(&link_subject, "Re: ");
		msg_buf(&link_subject, MSG_MAIL_IN_KB_SUBJECT, (long long)suggestion, word);
		mail_answer_link(t->d, &links[i], buf_cstr(&link_subject), word);
	}
	article_text(&body, e.body);
	msg_buf(&text, MSG_MAIL_IN_KB_ANSWER, e.title, buf_cstr(&body), buf_cstr(&links[0]),
		buf_cstr(&links[1]));
	snprintf(ref, sizeof(ref), "kb:%lld", (long long)suggestion);
	if (subject.failed || text.failed)
		rc = TD_ENOMEM;
	else
		rc = answer_letter(t, ref, "kb", buf_cstr(&subject), buf_cstr(&text));
	if (!rc) {
		*answered = true;
		t->outcome = INBOUND_ANSWERED;
		log_info("kb: article %s offered by letter to person %lld (%.0f%%)", e.slug,
			 (long long)t->p.id, 100 * hit.confidence);
	}
done:
	buf_release(&subject);
	buf_release(&text);
	buf_release(&body);
	buf_release(&link_subject);
	buf_release(&links[0]);
	buf_release(&links[1]);
	kb_entry_release(&e);
	return rc;
}

/*
 * A reply to the article the knowledge base sent: «Помогло» records it;
 * anything else opens the ticket from the first letter's words, carrying
 * the article, with this reply's words added. *done unless the
 * suggestion is not this cashier's, or was decided before and the reply
 * says more than thanks or the same answer (the letter is then a new one).
 */
static int kb_reply(struct take *t, int64_t id, bool *done)
{
	struct kb_suggestion *s = xmalloc(sizeof(*s));
	struct kb_entry e;
	char line[512];
	int rc = db_kb_suggestion(t->d->db, id, s);
	bool more;
	*done = false;
	if (rc || s->person_id != t->p.id) {
		/* A number no suggestion has (a typo, another desk's): the letter is a new one. */
		rc = rc == TD_ENOTFOUND ? 0 : rc;
		goto done;
	}
	if (*s->outcome) {
		/* Decided before: thanks, or its answer again (a link pressed twice), change nothing. */
		if (!t->l->n_files && (nothing_said(t->l->text) ||
				       (advice_answer_of(t->l->text, false, &more) != ADVICE_OTHER && !more))) {
			*done = true;
			t->outcome = INBOUND_DECIDED;
			t->ticket = s->ticket_id;
		}
		goto done;
	}
	*done = true;
	decision_line(t->l, line, sizeof(line));
	/* Read as the cashier's typed answer in Telegram is read (bot/advice.c). */
	if (advice_answer_of(line, t->l->n_files, &more) == ADVICE_HELPED) {
		t->outcome = INBOUND_DECIDED;
		rc = db_kb_outcome(t->d->db, s->id, "helped", 0, t->d->now);
		goto done;
	}
	if ((rc = db_kb_get(t->d->db, s->article_id, &e))) {
		/* The article is gone: the letter is a new problem after all. */
		*done = rc != TD_ENOTFOUND;
		rc = rc == TD_ENOTFOUND ? 0 : rc;
		goto done;
	}
	/* The first letter's words (question()'s): their first line is the title, the rest the words. */
	char title[TITLE_MAX_BYTES + 1];
	const char *words = s->query;
	size_t n = strcspn(words, "\n");
	utf8_snprintf(title, sizeof(title), "%.*s", (int)n, words);
	if (words[n] && words[n + 1])
		words += n + 1;
	const struct actor who = actor_person(&t->p);
	const struct event_args declined = { .body = e.title };
	if (!(rc = open_ticket(t, title, words, e.id, e.priority)) &&
	    !(rc = db_kb_outcome(t->d->db, s->id, "not_helped", t->ticket, t->d->now)))
		rc = engine_apply(t->d, EV_KB_DECLINED, &who, t->ticket, &declined);
	kb_entry_release(&e);
	/* What the reply says besides «не помогло» goes to the ticket. */
	advice_answer_of(t->l->text, t->l->n_files, &more);
	if (!rc && more) {
		rc = join(t, t->ticket);
		t->outcome = INBOUND_OPENED;
	}
done:
	free(s);
	return rc;
}

/* ---- taking ---- */

/* A cashier's letter: to the ticket it names, the article it answers, or a new problem. */
static int from_cashier(struct take *t)
{
	int64_t named = subject_ticket(t->l->subject), suggestion = subject_suggestion(t->l->subject);
	int64_t thread_ticket, thread_suggestion;
	bool done = false, answered;
	int64_t hint;
	int rc = thread_names(t, &thread_ticket, &thread_suggestion);
	if (rc)
		return rc;
	if (!named)
		named = thread_ticket;
	if (!suggestion)
		suggestion = thread_suggestion;
	if (!named && !suggestion)
		named = subject_bare_ticket(t->l->subject);
	if (named && ((rc = to_ticket(t, named, &done)) || done))
		return rc;
	if (suggestion && ((rc = kb_reply(t, suggestion, &done)) || done))
		return rc;
	if ((rc = advise(t, &answered, &hint)) || answered)
		return rc;
	return open_from_letter(t, MSG__COUNT, 0, hint);
}

static int decide(struct take *t)
{
	const struct dialog *d = t->d;
	const struct inletter *l = t->l;
	long long cap = d->cfg ? d->cfg->imap_per_sender_hour : 20;
	long long max = d->cfg ? d->cfg->imap_max_letter : 10 << 20;
	int64_t recent;
	bool known;
	int rc;
	if (!*l->from_addr || l->automatic || l->bounce || robot_address(l->from_addr) ||
	    own_address(d, l->from_addr)) {
		t->outcome = INBOUND_LOOP;
		return 0;
	}
	if (!mail_address_valid(l->from_addr)) {
		t->outcome = INBOUND_INVALID;
		return 0;
	}
	if ((rc = sender(t, &known)) || (rc = db_mail_in_count(d->db, l->from_addr, d->now - HOUR, &recent)))
		return rc;
	if (recent >= cap) {
		t->outcome = INBOUND_CAPPED;
		/* A stranger hears once a day, whatever they send. */
		return known ? capped(t, cap) : 0;
	}
	if (!known)
		return stranger(t);
	if ((long long)t->m->size > max)
		return oversize(t, max);
	return from_cashier(t);
}

int inbound_take(struct dialog *d, const struct inbound_meta *m, const struct inletter *l,
		 enum inbound_outcome *outcome, int64_t *ticket_id)
{
	struct take t = { .d = d, .m = m, .l = l, .outcome = INBOUND_INVALID };
	char subject[RECORD_SUBJECT_MAX];
	bool taken;
	*outcome = INBOUND_INVALID;
	*ticket_id = 0;
	int rc = db_mail_in_taken(d->db, m->uidvalidity, m->uid, &taken);
	if (rc)
		return rc;
	if (taken)
		return TD_EEXISTS;
	/* What a parser could not fill (bytes that are no message) is taken as nothing usable. */
	bool whole = l->from_addr && l->from_name && l->subject && l->message_id && l->in_reply_to &&
		     l->text && (l->references || !l->n_references) && (l->files || !l->n_files);
	if (whole && (rc = decide(&t)))
		return rc;
	utf8_snprintf(subject, sizeof(subject), "%s", whole ? l->subject : "");
	const struct mail_in_new row = {
		.uidvalidity = m->uidvalidity, .uid = m->uid, .message_id = whole ? l->message_id : NULL,
		.from_addr = whole ? l->from_addr : "", .subject = subject, .size = (int64_t)m->size, .at = d->now,
		.outcome = inbound_outcome_name(t.outcome), .ticket_id = t.ticket,
	};
	if ((rc = db_mail_in_add(d->db, &row)))
		return rc;
	log_debug("mail: letter %lld/%lld from %s: %s (ticket %lld)", (long long)m->uidvalidity,
		  (long long)m->uid, whole && *l->from_addr ? l->from_addr : "-",
		  inbound_outcome_name(t.outcome), (long long)t.ticket);
	*outcome = t.outcome;
	*ticket_id = t.ticket;
	return 0;
}
