/*
 * queue.c - mail_queue(): a letter checked and written; see mail.h.
 */
#include "core/crypto.h"
#include "mail/mail.h"
#include "storage/letters.h"

#define RCPTS_MAX 64

bool mail_address_valid(const char *a)
{
	const char *at = a ? strchr(a, '@') : NULL;
	size_t n = a ? strlen(a) : 0;
	if (!at || at == a || !at[1] || strchr(at + 1, '@') || n > 254)
		return false;
	for (const char *c = a; *c; c++)
		if (*c <= ' ' || *c >= 0x7f || strchr("<>()[]\\,;:\"", *c))
			return false;
	return true;
}

/* No header may carry a line break a sender did not put there. */
static bool one_line(const char *s)
{
	return !s || !strpbrk(s, "\r\n");
}

int mail_queue(struct db *db, const struct letter *l, int64_t now, int64_t *id)
{
	const char *addrs[RCPTS_MAX], *names[RCPTS_MAX];
	unsigned char r[12];
	char message_id[96];
	if (!l->ref || !l->kind || !l->subject || !*l->subject || !one_line(l->subject) || !l->text ||
	    !one_line(l->in_reply_to) || !one_line(l->references) ||
	    !l->n_to || l->n_to > RCPTS_MAX)
		return TD_EINVAL;
	for (size_t i = 0; i < l->n_to; i++) {
		if (!mail_address_valid(l->to[i].addr) || !one_line(l->to[i].name))
			return TD_EINVAL;
		addrs[i] = l->to[i].addr;
		names[i] = l->to[i].name;
	}
	/* Fixed when queued: a letter sent again after a crash is the same message. */
	if (crypto_random(r, sizeof(r)))
		return TD_ERR;
	snprintf(message_id, sizeof(message_id), "%lld.%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x@tilldesk",
		 (long long)now, r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
	const struct letter_row_new row = {
		.ref = l->ref, .kind = l->kind, .subject = l->subject, .text = l->text,
		.html = l->html, .message_id = message_id, .org_id = l->org_id,
		.ticket_id = l->ticket_id, .in_reply_to = l->in_reply_to, .references = l->references,
	};
	return db_letter_add(db, id, &row, addrs, names, l->n_to, now);
}
