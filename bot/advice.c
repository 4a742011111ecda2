/*
 * advice.c - the knowledge base in the dialog. A cashier's new problem
 * goes to the knowledge base first: when it is sure of an article, the
 * cashier gets it with «Помогло» and «Не помогло — создать заявку»; the
 * first ends there (and counts), the second opens the ticket carrying the
 * article. Anyone registered may look articles up with /kb.
 */
#include "bot/dialog.h"
#include "core/config.h"
#include "core/log.h"
#include "kb/search.h"
#include "storage/kb.h"
#include "storage/ticket.h"

#define ADVICE_MAX (16u << 10)
#define LOOKUP_HITS 3

enum { PRESS_HELPED = 1, PRESS_NOT_HELPED = 2 };

/* An article's body as Telegram HTML: escaped, with **bold** kept. */
static void article_html(struct buf *b, const struct kb_entry *e)
{
	buf_puts(b, "📘 <b>");
	esc(b, e->title);
	buf_puts(b, "</b>\n\n");
	bool bold = false;
	for (const char *p = e->body; *p;) {
		const char *star = strstr(p, "**");
		size_t n = star ? (size_t)(star - p) : strlen(p);
		char *part = xmalloc(n + 1);
		memcpy(part, p, n);
		part[n] = '\0';
		esc(b, part);
		free(part);
		if (!star)
			break;
		buf_puts(b, bold ? "</b>" : "<b>");
		bold = !bold;
		p = star + 2;
	}
	if (bold)
		buf_puts(b, "</b>");
}

/* The best hit for text, if any; TD_EINVAL text counts as none. */
static int best(struct dialog *d, const char *text, struct kb_hit *out, int max, int *n)
{
	*n = 0;
	if (!d->kb || !d->cfg || !*text)
		return 0;
	int rc = kb_search(d->kb, d->db, text, out, max, n);
	if (rc == TD_EINVAL) {
		*n = 0;
		return 0;
	}
	return rc;
}

int advice_offer(struct dialog *d, const struct person *p, const struct tg_update *u,
		 bool *answered, int64_t *hint)
{
	struct kb_hit hit;
	struct kb_entry e;
	int64_t suggestion;
	char data[2][32];
	int n, rc;

	*answered = false;
	*hint = 0;
	if ((rc = best(d, u->text, &hit, 1, &n)) || !n)
		return rc;
	if (100 * hit.confidence < d->cfg->kb_threshold) {
		if (100 * hit.confidence >= d->cfg->kb_hint)
			*hint = hit.article_id;
		return 0;
	}
	if ((rc = db_kb_get(d->db, hit.article_id, &e)))
		return rc == TD_ENOTFOUND ? 0 : rc;
	if ((rc = db_kb_suggest(d->db, &suggestion, e.id, p->id, u->text, hit.confidence, d->now)))
		goto done;
	struct buf b = BUF_INIT(ADVICE_MAX);
	article_html(&b, &e);
	buf_puts(&b, "\n\n");
	msg_buf(&b, MSG_BOT_KB_DID_IT_HELP);
	snprintf(data[0], sizeof(data[0]), "k:%lld:%d", (long long)suggestion, PRESS_HELPED);
	snprintf(data[1], sizeof(data[1]), "k:%lld:%d", (long long)suggestion, PRESS_NOT_HELPED);
	json_object *kb = keyboard_column(2, (const char *[]){ msg(MSG_BTN_KB_HELPED), msg(MSG_BTN_KB_NOT_HELPED) },
					  (const char *[]){ data[0], data[1] });
	rc = say(d, u->chat_id, buf_cstr(&b), kb, u->message_id, 0, NULL);
	buf_release(&b);
	if (!rc) {
		*answered = true;
		log_info("kb: article %s offered to person %lld (%.0f%%)", e.slug, (long long)p->id,
			 100 * hit.confidence);
	}
done:
	kb_entry_release(&e);
	return rc;
}

/* Strictly "k:ID:1" or "k:ID:2". */
static bool press_parse(const char *data, int64_t *suggestion, int *choice)
{
	char num[24];
	long long id;
	if (strncmp(data, "k:", 2))
		return false;
	const char *p = data + 2, *colon = strchr(p, ':');
	if (!colon || (size_t)(colon - p) >= sizeof(num))
		return false;
	memcpy(num, p, (size_t)(colon - p));
	num[colon - p] = '\0';
	if (parse_int(&id, num, 1, INT64_MAX))
		return false;
	if (strcmp(colon + 1, "1") && strcmp(colon + 1, "2"))
		return false;
	*suggestion = id;
	*choice = colon[1] - '0';
	return true;
}

bool advice_is_press(const char *callback_data)
{
	return !strncmp(callback_data, "k:", 2);
}

int advice_press(struct dialog *d, const struct tg_update *u)
{
	struct kb_suggestion s;
	struct person p;
	struct kb_entry e;
	int64_t sid, ticket;
	int choice, rc;

	if (!press_parse(u->callback_data, &sid, &choice) || db_kb_suggestion(d->db, sid, &s))
		return answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	if ((rc = dialog_person(d, u->from_id, &p)) == TD_ENOTFOUND)
		return answer(d, u, msg(MSG_BOT_NEED_INVITE_SHORT), true);
	if (rc)
		return rc;
	if (p.disabled)
		return access_refuse(d, u);
	/* Only the cashier it was shown to, in their own chat, and only once. */
	if (s.person_id != p.id || u->chat_id != u->from_id || *s.outcome)
		return answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	if (choice == PRESS_HELPED) {
		if ((rc = db_kb_outcome(d->db, sid, "helped", 0, d->now)) ||
		    (rc = say_msg(d, u->chat_id, MSG_BOT_KB_GLAD)))
			return rc;
		return answer(d, u, msg(MSG_BOT_KB_COUNTED), false);
	}
	if ((rc = db_kb_get(d->db, s.article_id, &e)))
		return rc == TD_ENOTFOUND ? answer(d, u, msg(MSG_BOT_STALE_BUTTON), true) : rc;
	/* The ticket starts from the words the cashier wrote, with the article attached. */
	if (!(rc = cashier_open_ticket(d, &p, u, s.query, e.id, e.priority, &ticket)) &&
	    !(rc = db_kb_outcome(d->db, sid, "not_helped", ticket, d->now)) &&
	    !(rc = ticket_change(d, ticket, p.id, "kb_not_helped", TICKET_NEW, e.priority, 0, e.title)))
		rc = answer(d, u, NULL, false);
	kb_entry_release(&e);
	return rc;
}

int advice_search(struct dialog *d, const struct tg_update *u, const char *words)
{
	struct kb_hit hits[LOOKUP_HITS];
	struct kb_entry e;
	int n, rc;
	if (!*words)
		return say_msg(d, u->chat_id, MSG_BOT_KB_USAGE);
	if ((rc = best(d, words, hits, LOOKUP_HITS, &n)))
		return rc;
	if (!n || 100 * hits[0].confidence < d->cfg->kb_hint)
		return say_msg(d, u->chat_id, MSG_BOT_KB_NOTHING);
	if ((rc = db_kb_get(d->db, hits[0].article_id, &e)))
		return rc == TD_ENOTFOUND ? say_msg(d, u->chat_id, MSG_BOT_KB_NOTHING) : rc;
	struct buf b = BUF_INIT(ADVICE_MAX);
	article_html(&b, &e);
	kb_entry_release(&e);
	bool also = false;
	for (int i = 1; i < n; i++) {
		if (100 * hits[i].confidence < d->cfg->kb_hint || db_kb_get(d->db, hits[i].article_id, &e))
			continue;
		if (!also)
			msg_buf(&b, MSG_BOT_KB_ALSO);
		also = true;
		buf_puts(&b, "\n• ");
		esc(&b, e.title);
		kb_entry_release(&e);
	}
	rc = say(d, u->chat_id, buf_cstr(&b), NULL, u->message_id, 0, NULL);
	buf_release(&b);
	return rc;
}
