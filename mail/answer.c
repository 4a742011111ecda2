/*
 * answer.c - letters back to people who write by e-mail; see answer.h.
 */
#include "bot/dialog.h"
#include "core/config.h"
#include "core/log.h"
#include "mail/answer.h"
#include "mail/mail.h"
#include "storage/mail_in.h"
#include "storage/ticket.h"

#define LETTER_MAX (256u << 10)
#define SUBJECT_MAX 1024
#define TITLE_MAX 200           /* bytes of a ticket's title in a subject */
#define THREAD_REFS 10          /* Message-IDs References keeps */
#define REF_MAX 128

void mail_answer_own_address(const struct dialog *d, char *out, size_t n)
{
	const char *from = d->cfg && d->cfg->smtp_from ? d->cfg->smtp_from : "";
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *a = lt && gt ? lt + 1 : from;
	size_t len = lt && gt ? (size_t)(gt - a) : strlen(a);
	while (len && (*a == ' ' || *a == '\t'))
		a++, len--;
	while (len && (a[len - 1] == ' ' || a[len - 1] == '\t'))
		len--;
	if (len >= n)
		len = 0;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i]);
	out[len] = '\0';
}

void mail_answer_link(struct dialog *d, struct buf *b, const char *subject, const char *body)
{
	static const char hex[] = "0123456789ABCDEF";
	char own[256];
	mail_answer_own_address(d, own, sizeof(own));
	buf_printf(b, "mailto:%s?subject=", own);
	/* RFC 6068: everything but the unreserved characters percent-encoded, UTF-8 bytes too. */
	for (int part = 0; part < 2; part++) {
		const char *s = part ? body : subject;
		if (!s)
			break;
		if (part)
			buf_puts(b, "&body=");
		for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			    strchr("-._~", *p)) {
				buf_putc(b, (char)*p);
			} else {
				buf_putc(b, '%');
				buf_putc(b, hex[*p >> 4]);
				buf_putc(b, hex[*p & 15]);
			}
		}
	}
}


void mail_thread_push(struct ticket_mail *m, const char *id)
{
	char refs[TICKET_MAIL_REFS];
	const char *p = m->refs;
	size_t count = 1;
	if (!*id || strlen(id) >= sizeof(m->last_id) || strchr(id, ' ') || !strcmp(id, m->last_id))
		return;
	for (const char *q = p; *q; q++)
		count += *q == ' ';
	/* The oldest go first, while too many with id (count is those there) or too long. */
	while (*p && (count >= THREAD_REFS || strlen(p) + strlen(id) + 2 > sizeof(refs))) {
		const char *sp = strchr(p, ' ');
		p = sp ? sp + 1 : p + strlen(p);
		count--;
	}
	size_t n = strlen(p), k = strlen(id);
	memcpy(refs, p, n);
	if (n)
		refs[n++] = ' ';
	memcpy(refs + n, id, k + 1);
	memcpy(m->refs, refs, n + k + 1);
	snprintf(m->last_id, sizeof(m->last_id), "%s", id);
}

int mail_answer_thread(struct dialog *d, int64_t ticket_id, bool *by_mail, bool *reachable)
{
	struct ticket_mail m;
	int rc = db_ticket_mail_get(d->db, ticket_id, &m);
	*by_mail = !rc;
	*reachable = !rc && m.reachable;
	return rc == TD_ENOTFOUND ? 0 : rc;
}

static int title_of(const struct ticket_row *r, void *arg)
{
	utf8_snprintf(arg, TITLE_MAX, "%s", r->title);
	return 0;
}

/* What ask asks, in plain text, with its links. */
static void ask_text(struct dialog *d, struct buf *b, int64_t ticket_id, enum answer_ask ask)
{
	struct buf subject = BUF_INIT(SUBJECT_MAX), links[2];
	if (ask == ANSWER_ASK_CONFIRM) {
		for (int i = 0; i < 2; i++) {
			const char *word = msg(i ? MSG_MAIL_IN_WORD_BROKEN : MSG_MAIL_IN_WORD_WORKS);
			buf_init(&links[i], 2048);
			buf_reset(&subject);
			msg_buf(&subject, MSG_MAIL_IN_SUBJECT, (long long)ticket_id, word);
			mail_answer_link(d, &links[i], buf_cstr(&subject), word);
		}
		msg_buf(b, MSG_MAIL_IN_ASK_CONFIRM, buf_cstr(&links[0]), buf_cstr(&links[1]));
		buf_release(&links[0]);
		buf_release(&links[1]);
	} else if (ask == ANSWER_ASK_RATE) {
		msg_buf(b, MSG_MAIL_IN_ASK_RATE);
		for (int score = 5; score >= 1; score--) {
			char digit[12];
			snprintf(digit, sizeof(digit), "%d", score);
			buf_init(&links[0], 2048);
			buf_reset(&subject);
			msg_buf(&subject, MSG_MAIL_IN_SUBJECT, (long long)ticket_id, digit);
			mail_answer_link(d, &links[0], buf_cstr(&subject), digit);
			msg_buf(b, MSG_MAIL_IN_RATE_LINK, score, buf_cstr(&links[0]));
			buf_release(&links[0]);
		}
	}
	buf_release(&subject);
}

int mail_answer(struct dialog *d, int64_t ticket_id, const char *kind, const struct buf *parts,
		enum answer_ask ask)
{
	struct ticket_mail m;
	char title[TITLE_MAX] = "", ref[REF_MAX], our_id[256];
	int64_t event = 0, id;
	int rc = db_ticket_mail_get(d->db, ticket_id, &m);
	if (rc == TD_ENOTFOUND || (!rc && !m.reachable))
		return 0;
	if (rc || (rc = db_ticket_newest_event(d->db, ticket_id, &event)) ||
	    (rc = db_ticket_get(d->db, ticket_id, title_of, title)))
		return rc;
	struct buf subject = BUF_INIT(SUBJECT_MAX), text = BUF_INIT(LETTER_MAX);
	const struct notice n = { .kind = NOTICE_SAY, .args = buf_cstr(parts) };
	if ((rc = notice_text(&text, &n, msg_language(), NOTICE_TEXT_PLAIN)))
		goto done;
	buf_puts(&text, "\n");
	if (ask != ANSWER_ASK_NONE) {
		buf_puts(&text, "\n");
		ask_text(d, &text, ticket_id, ask);
	}
	msg_buf(&text, MSG_MAIL_IN_FOOTER, (long long)ticket_id);
	msg_buf(&subject, MSG_MAIL_IN_SUBJECT, (long long)ticket_id, title);
	snprintf(ref, sizeof(ref), "ticket:%lld:%lld:%s", (long long)ticket_id, (long long)event, kind);
	const struct letter_rcpt to = { m.name, m.addr };
	const struct letter l = {
		.ref = ref, .kind = "ticket", .subject = buf_cstr(&subject), .text = buf_cstr(&text),
		.to = &to, .n_to = 1, .ticket_id = ticket_id,
		.in_reply_to = *m.last_id ? m.last_id : NULL, .references = *m.refs ? m.refs : NULL,
	};
	if (text.failed || subject.failed) {
		rc = TD_ENOMEM;
		goto done;
	}
	rc = mail_queue(d->db, &l, d->now, &id);
	if (rc == TD_EEXISTS || rc == TD_EINVAL) {
		if (rc == TD_EINVAL)
			log_warn("mail: %s could not be queued to %s", ref, m.addr);
		rc = 0;
		goto done;
	}
	/* The thread moves on: the cashier's answer to this letter replies to it. */
	if (!rc && !(rc = db_letter_message_id(d->db, id, our_id, sizeof(our_id)))) {
		mail_thread_push(&m, our_id);
		rc = db_ticket_mail_set(d->db, ticket_id, &m);
	}
done:
	buf_release(&subject);
	buf_release(&text);
	return rc;
}

int mail_answer_direct(struct dialog *d, const struct answer_direct *a)
{
	struct ticket_mail thread = { .refs = "" };
	int64_t id;
	for (size_t i = 0; i < a->n_references; i++)
		mail_thread_push(&thread, a->references[i]);
	if (a->in_reply_to && *a->in_reply_to)
		mail_thread_push(&thread, a->in_reply_to);
	const struct letter_rcpt to = { a->to_name, a->to_addr };
	const struct letter l = {
		.ref = a->ref, .kind = a->kind, .subject = a->subject, .text = a->text, .to = &to, .n_to = 1,
		.in_reply_to = a->in_reply_to && *a->in_reply_to ? a->in_reply_to : NULL,
		.references = *thread.refs ? thread.refs : NULL,
	};
	int rc = mail_queue(d->db, &l, d->now, &id);
	if (rc == TD_EINVAL)
		log_warn("mail: %s could not be queued to %s", a->ref, a->to_addr);
	return rc == TD_EEXISTS || rc == TD_EINVAL ? 0 : rc;
}
