/*
 * advice.c - the knowledge base in the dialog. A cashier's new problem
 * goes to the knowledge base first: when it is sure of an article, the
 * cashier gets it with «Помогло» and «Не помогло — создать заявку»; the
 * first ends there (and counts), the second opens the ticket carrying the
 * article and the file the question came with. While the article waits,
 * the cashier may answer in words instead of pressing. Anyone registered
 * may look articles up with /kb.
 */
#include "bot/engine.h"
#include "core/chatter.h"
#include "core/config.h"
#include "core/log.h"
#include "kb/search.h"
#include "storage/chain.h"
#include "storage/kb.h"
#include "storage/ticket.h"

#define ADVICE_MAX (16u << 10)
#define LOOKUP_HITS 3
#define SUGGESTION_WAIT (30 * 60)  /* seconds an article waits for a typed answer */

enum { PRESS_HELPED = 1, PRESS_NOT_HELPED = 2 };

/* An article as notice arguments (core/notice.h): its texts, with **bold** kept as tags. */
static void article_parts(struct buf *b, const struct kb_entry *e)
{
	notice_arg_markup(b, "📘 <b>");
	notice_arg_text(b, e->title);
	notice_arg_markup(b, "</b>\n\n");
	bool bold = false;
	for (const char *p = e->body; *p;) {
		const char *star = strstr(p, "**");
		size_t n = star ? (size_t)(star - p) : strlen(p);
		char *part = xmalloc(n + 1);
		memcpy(part, p, n);
		part[n] = '\0';
		notice_arg_text(b, part);
		free(part);
		if (!star)
			break;
		notice_arg_markup(b, bold ? "</b>" : "<b>");
		bold = !bold;
		p = star + 2;
	}
	if (bold)
		notice_arg_markup(b, "</b>");
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
	enum kb_use use = kb_hit_use(&hit, d->cfg->kb_threshold, d->cfg->kb_hint);
	if (use != KB_USE_ANSWER) {
		if (use == KB_USE_HINT)
			*hint = hit.article_id;
		return 0;
	}
	/* A file the suggestion could not keep would be lost: the ticket opens at once. */
	if ((u->photo && strlen(u->photo) >= KB_FILE_ID_MAX) ||
	    (u->document && strlen(u->document) >= KB_FILE_ID_MAX))
		return 0;
	if ((rc = db_kb_get(d->db, hit.article_id, &e)))
		return rc == TD_ENOTFOUND ? 0 : rc;
	/* The article waits for the cashier's answer, pressed or typed. */
	if ((rc = db_kb_suggest(d->db, &suggestion, e.id, p->id, u->text, hit.confidence, d->now)) ||
	    (rc = db_kb_suggest_file(d->db, suggestion, u->photo, u->document)) ||
	    (rc = db_state_set(d->db, p->id, dialog_state_name(STATE_SUGGESTED), 0, d->now)))
		goto done;
	struct buf b = BUF_INIT(ADVICE_MAX);
	article_parts(&b, &e);
	notice_arg_markup(&b, "\n\n");
	notice_arg_msg(&b, MSG_BOT_KB_DID_IT_HELP);
	button_data(data[0], sizeof(data[0]), VERB_ADVICE, suggestion, PRESS_HELPED);
	button_data(data[1], sizeof(data[1]), VERB_ADVICE, suggestion, PRESS_NOT_HELPED);
	struct notice_actions *kb = reply_keyboard_column(2, (const char *[]){ msg(MSG_BTN_KB_HELPED), msg(MSG_BTN_KB_NOT_HELPED) },
							  (const char *[]){ data[0], data[1] });
	rc = reply_say_parts(d, u->chat_id, &b, kb, u->message_id, 0, NULL);
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

/* The article helped: counted, the problem is over, and the cashier is glad to hear it. */
static int helped(struct dialog *d, const struct kb_suggestion *s, int64_t chat_id)
{
	int rc;
	if ((rc = db_kb_outcome(d->db, s->id, "helped", 0, d->now)) ||
	    (rc = db_state_clear(d->db, s->person_id)))
		return rc;
	return reply_msg(d, chat_id, MSG_BOT_KB_GLAD);
}

/*
 * The article did not help: the ticket opens from the words (and the
 * file) the cashier first sent, carrying the article, in reply to u.
 * TD_ENOTFOUND when the article is gone.
 */
static int not_helped(struct dialog *d, const struct person *p, const struct kb_suggestion *s,
		      const struct tg_update *u, int64_t *ticket)
{
	struct kb_entry e;
	int rc;
	if ((rc = db_kb_get(d->db, s->article_id, &e)))
		return rc;
	struct report r = {
		.words = s->query,
		.photo = *s->photo ? s->photo : NULL,
		.document = *s->document ? s->document : NULL,
		.kb_article_id = e.id,
		.priority = e.priority,
	};
	const struct actor who = actor_person(p);
	const struct event_args declined = { .body = e.title };
	if (!(rc = cashier_open_ticket(d, p, u, &r, ticket)) &&
	    !(rc = db_kb_outcome(d->db, s->id, "not_helped", *ticket, d->now)))
		rc = engine_apply(d, EV_KB_DECLINED, &who, *ticket, &declined);
	kb_entry_release(&e);
	/* Only the article's absence reads as TD_ENOTFOUND: the ticket is half written by now. */
	return rc == TD_ENOTFOUND ? TD_ERR : rc;
}

int advice_press(struct dialog *d, const struct tg_update *u, const struct button *k)
{
	struct kb_suggestion s;
	struct person p;
	int64_t ticket;
	int choice = k->arg, rc;

	if (db_kb_suggestion(d->db, k->id, &s))
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	bool refused;
	if ((rc = dialog_presser(d, u, &p, &refused)) || refused)
		return rc;
	/* Only the cashier it was shown to, in their own chat, and only once. */
	if (s.person_id != p.id || u->chat_id != u->from_id || *s.outcome)
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	if (choice == PRESS_HELPED)
		return (rc = helped(d, &s, u->chat_id)) ? rc : reply_answer(d, u, msg(MSG_BOT_KB_COUNTED), false);
	rc = not_helped(d, &p, &s, u, &ticket);
	if (rc == TD_ENOTFOUND)
		return reply_answer(d, u, msg(MSG_BOT_STALE_BUTTON), true);
	return rc ? rc : reply_answer(d, u, NULL, false);
}

int advice_search(struct dialog *d, const struct tg_update *u, const char *words)
{
	struct kb_hit hits[LOOKUP_HITS];
	struct kb_entry e;
	int n, rc;
	if (!*words)
		return reply_msg(d, u->chat_id, MSG_BOT_KB_USAGE);
	if ((rc = best(d, words, hits, LOOKUP_HITS, &n)))
		return rc;
	if (!n || 100 * hits[0].confidence < d->cfg->kb_hint)
		return reply_msg(d, u->chat_id, MSG_BOT_KB_NOTHING);
	if ((rc = db_kb_get(d->db, hits[0].article_id, &e)))
		return rc == TD_ENOTFOUND ? reply_msg(d, u->chat_id, MSG_BOT_KB_NOTHING) : rc;
	struct buf b = BUF_INIT(ADVICE_MAX);
	article_parts(&b, &e);
	kb_entry_release(&e);
	bool also = false;
	for (int i = 1; i < n; i++) {
		if (100 * hits[i].confidence < d->cfg->kb_hint || db_kb_get(d->db, hits[i].article_id, &e))
			continue;
		if (!also)
			notice_arg_msg(&b, MSG_BOT_KB_ALSO);
		also = true;
		notice_arg_markup(&b, "\n• ");
		notice_arg_text(&b, e.title);
		kb_entry_release(&e);
	}
	rc = reply_say_parts(d, u->chat_id, &b, NULL, u->message_id, 0, NULL);
	buf_release(&b);
	return rc;
}

/* ---- answers typed instead of pressed ---- */

/*
 * Phrases that say the article did not help. Not a bare «не»: «сканер не
 * читает» is a problem of its own, left to the knowledge base to tell.
 */
static const char *const not_helped_phrases[] = {
	"не помогло", "не помогла", "не помог", "не помогает", "не помогли", "не получилось",
	"не получается", "не вышло", "не сработало", "не заработало", "все равно", "так же",
	"все также", "то же самое", "по прежнему", "опять", "снова", "без изменений",
	"ничего не изменилось", "didnt help", "did not help", "doesnt help", "not helped", "still",
	"same",
	NULL,
};
/* "No" says it too, when it comes alone (with chatter at most): «нет бумаги» is not a no. */
static const char *const no_words[] = { "нет", "неа", "no", "nope", NULL };

/* Words of an article that helped; with chatter and nothing else they say so. */
static const char *const helped_words[] = {
	"помогло", "помогла", "помог", "помогает", "получилось", "получается", "вышло",
	"заработало", "заработала", "заработал", "работает", "работают", "печатает",
	"исправилось", "решилось", "отлично", "супер", "класс", "все", "теперь", "уже",
	"спасибо", "спасибки", "спасибочки", "спс", "пасиб", "благодарю", "благодарим",
	"да", "ага", "угу", "ок", "окей", "ok", "okay", "yes", "thanks", "thank", "thx",
	"helped", "works", "worked", "fixed", "great", "it",
	NULL,
};
/* A message of emoji says it helped when it holds one of these. */
static const char *const helped_emoji[] = { "👍", "👌", "🙏", "✅", NULL };

/* Words of a message looked at for an answer; an answer is short. */
#define ANSWER_WORDS 64

/* Marks in used[] the words of every phrase of list found in w[0..n); true if any. */
static bool find_phrases(const struct chatter_word *w, size_t n, const char *const *list, bool *used)
{
	bool found = false;
	for (; *list; list++) {
		struct chatter_word pw[4];
		size_t np = 0;
		for (const char *p = *list; np < ARRAY_SIZE(pw) && chatter_next(&p, &pw[np]);)
			np++;
		for (size_t i = 0; i + np <= n; i++) {
			size_t k = 0;
			while (k < np && chatter_word_eq(&w[i + k], &pw[k]))
				k++;
			if (k < np)
				continue;
			found = true;
			for (k = 0; k < np; k++)
				used[i + k] = true;
		}
	}
	return found;
}

enum advice_answer advice_answer_of(const char *text, bool file, bool *more)
{
	struct chatter_word w[ANSWER_WORDS];
	bool used[ANSWER_WORDS] = { false }, no = false, yes = false, other = false;
	const char *s = text;
	size_t n = 0;

	while (n < ANSWER_WORDS && chatter_next(&s, &w[n]))
		n++;
	other = n == ANSWER_WORDS;   /* a long story is more than an answer */
	bool not_helped = find_phrases(w, n, not_helped_phrases, used);
	for (size_t i = 0; i < n; i++) {
		if (used[i])
			continue;
		if (chatter_word_in(&w[i], no_words))
			no = true;
		else if (chatter_word_in(&w[i], helped_words))
			yes = true;
		else if (!chatter_is(&w[i]))
			other = true;
	}
	for (const char *const *e = helped_emoji; *e; e++)
		yes = yes || strstr(text, *e);
	*more = other || file;
	/* A file shows what is still wrong. */
	if (not_helped || file || (no && !other))
		return ADVICE_NOT_HELPED;
	return yes && !no && !other ? ADVICE_HELPED : ADVICE_OTHER;
}


/*
 * The article the cashier waits on: their last step was seeing it, it is
 * undecided, and it was shown less than SUGGESTION_WAIT seconds ago.
 */
static int waiting(struct dialog *d, const struct person *p, struct kb_suggestion *out, bool *waits)
{
	enum dialog_state state;
	int64_t unused;
	int rc;
	*waits = false;
	rc = dialog_state(d, p->id, &state, &unused);
	if (rc == TD_ENOTFOUND || (!rc && state != STATE_SUGGESTED))
		return 0;
	if (rc || (rc = db_kb_latest(d->db, p->id, out)))
		return rc == TD_ENOTFOUND ? 0 : rc;
	*waits = !*out->outcome && out->shown_at > d->now - SUGGESTION_WAIT;
	return 0;
}

/* Whether the knowledge base is sure of an article for text other than article_id. */
static int another_article(struct dialog *d, const char *text, int64_t article_id, bool *out)
{
	struct kb_hit hit;
	int n, rc;
	*out = false;
	if ((rc = best(d, text, &hit, 1, &n)) || !n)
		return rc;
	*out = hit.article_id != article_id && 100 * hit.confidence >= d->cfg->kb_threshold;
	return 0;
}

int advice_typed(struct dialog *d, const struct person *p, const struct tg_update *u,
		 bool *handled)
{
	struct kb_suggestion s;
	int64_t ticket;
	bool waits, more, another;
	int rc;

	*handled = false;
	if ((rc = waiting(d, p, &s, &waits)) || !waits)
		return rc;
	switch (advice_answer_of(u->text, u->photo || u->document, &more)) {
	case ADVICE_HELPED:
		*handled = true;
		return helped(d, &s, u->chat_id);
	case ADVICE_OTHER:
		/* Only a problem the knowledge base tells apart is a new one. */
		if ((rc = another_article(d, u->text, s.article_id, &another)) || another)
			return rc;
		break;
	case ADVICE_NOT_HELPED:
		break;
	}
	rc = not_helped(d, p, &s, u, &ticket);
	if (rc == TD_ENOTFOUND)
		return 0;     /* the article is gone: a new problem after all */
	*handled = true;
	/* What the cashier added goes to the ticket, as any message would. */
	if (rc || !more)
		return rc;
	return cashier_add_message(d, p, u, ticket);
}
