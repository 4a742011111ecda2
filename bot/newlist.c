/*
 * newlist.c - «Новые заявки», one message for new tickets' cards that
 * waited together; see newlist.h.
 */
#include "bot/newlist.h"
#include "bot/reply.h"
#include "bot/render_tg.h"
#include "core/html.h"
#include "core/notice.h"
#include "core/ticket_enums.h"
#include "storage/sla.h"
#include "storage/ticket.h"

/* A line's pieces are cut to these many bytes, so that a line has a bound (NEWLIST_BUDGET). */
#define TITLE_CUT 120
#define NAME_CUT 40
#define BUTTONS_PER_ROW 3

/* What one ticket's line needs, copied out of its row. */
struct line {
	bool found;
	int64_t id;
	enum ticket_status status;
	int priority;
	char store[NAME_CUT + 8], title[TITLE_CUT + 8], assignee[NAME_CUT + 8], zone[64];
};

/* Copies s into out (size bytes), cut at a whole character with "…" when longer than cut bytes. */
static void cut(char *out, size_t size, const char *s, size_t cut_at)
{
	size_t len = strlen(s);
	if (len <= cut_at) {
		snprintf(out, size, "%s", s);
		return;
	}
	len = utf8_cut(s, cut_at);
	snprintf(out, size, "%.*s…", (int)len, s);
}

static int line_of(const struct ticket_row *r, void *arg)
{
	struct line *l = arg;
	l->found = true;
	l->status = r->status;
	l->priority = r->priority;
	cut(l->store, sizeof(l->store), r->store, NAME_CUT);
	cut(l->title, sizeof(l->title), r->title, TITLE_CUT);
	cut(l->assignee, sizeof(l->assignee), r->assignee, NAME_CUT);
	snprintf(l->zone, sizeof(l->zone), "%s", r->timezone);
	return 0;
}

/* Appends ticket id's line; *claimable when it is still new. */
static int render_line(struct db *db, int64_t id, struct buf *b, bool *claimable)
{
	struct line l = { .id = id };
	struct sla_timer t;
	char at[32];
	*claimable = false;
	int rc = db_ticket_get(db, id, line_of, &l);
	if (rc == TD_ENOTFOUND || (!rc && !l.found))
		return notice_arg_msg(b, MSG_NEWLIST_GONE, (long long)id);
	if (rc)
		return rc;
	notice_arg_msg(b, MSG_NEWLIST_TICKET, (long long)id, l.priority, l.store);
	switch (l.status) {
	case TICKET_NEW:
		*claimable = true;
		if ((rc = db_sla_get(db, id, SLA_REACTION, &t)) && rc != TD_ENOTFOUND)
			return rc;
		if (!rc && t.breached_at) {
			notice_arg_msg(b, MSG_NEWLIST_BREACHED);
		} else if (!rc && t.due_at && !t.met_at) {
			reply_local_time(at, sizeof(at), t.due_at, l.zone);
			const char *hm = strchr(at, ' ');
			notice_arg_msg(b, MSG_NEWLIST_DUE, hm ? hm + 1 : at);
		}
		break;
	case TICKET_CLAIMED:
		notice_arg_msg(b, MSG_NEWLIST_CLAIMED, l.assignee);
		break;
	case TICKET_RESOLVED:
		notice_arg_msg(b, MSG_NEWLIST_RESOLVED, l.assignee);
		break;
	case TICKET_CLOSED:
		notice_arg_msg(b, MSG_NEWLIST_CLOSED);
		break;
	}
	notice_arg_markup(b, "\n");
	notice_arg_text(b, l.title);
	return 0;
}

/* Whether the list's body, args, is at most budget characters in lang. */
static bool fits(const char *args, size_t budget, enum msg_lang lang)
{
	struct buf html = BUF_INIT(64u << 10);
	struct notice n = { .kind = NOTICE_SAY, .args = args };
	bool ok = !notice_text(&html, &n, lang, NOTICE_TEXT_HTML) &&
		  html_text_length(buf_cstr(&html)) <= budget;
	buf_release(&html);
	return ok;
}

int newlist_render(struct db *db, const int64_t *tickets, size_t n, size_t budget,
		   enum msg_lang lang, struct buf *args, struct buf *actions, size_t *fit)
{
	struct buf lines = BUF_INIT(64u << 10), trial = BUF_INIT(64u << 10);
	struct notice_actions keys = { 0 };
	char data[32], label[32];
	int rc = 0;
	buf_reset(args);
	buf_reset(actions);
	*fit = 0;
	for (size_t i = 0; i < n && i < NEWLIST_MAX && !rc; i++) {
		bool claimable;
		size_t before = lines.len;
		if ((rc = render_line(db, tickets[i], &lines, &claimable)))
			break;
		buf_reset(&trial);
		notice_arg_msg(&trial, MSG_NEWLIST_HEAD, (long long)(i + 1));
		buf_add(&trial, buf_cstr(&lines), lines.len);
		notice_arg_msg(&trial, MSG_NEWLIST_FOOT);
		if (trial.failed) {
			rc = TD_ENOMEM;
			break;
		}
		if (!fits(buf_cstr(&trial), budget, lang)) {
			lines.len = before;
			break;
		}
		buf_reset(args);
		buf_add(args, buf_cstr(&trial), trial.len);
		*fit = i + 1;
		if (claimable) {
			button_data(data, sizeof(data), VERB_CLAIM, tickets[i], 0);
			struct buf l = BUF_INIT(sizeof(label));
			msg_buf_in(&l, lang, MSG_BTN_CLAIM_NUMBER, (long long)tickets[i]);
			snprintf(label, sizeof(label), "%s", buf_cstr(&l));
			buf_release(&l);
			rc = notice_action_add(&keys, keys.n / BUTTONS_PER_ROW, label, data);
		}
	}
	if (!rc)
		rc = notice_actions_store(actions, &keys);
	if (!rc && (args->failed || actions->failed))
		rc = TD_ENOMEM;
	buf_release(&lines);
	buf_release(&trial);
	return rc;
}

/*
 * Whether quote names ticket id by its number as the list's lines begin:
 * «№12 ·» (or «#12 ·», or the number alone) at the start of one of its
 * lines. A «№N» within a title or a store's name («Касса №2», «Магазин
 * №2») is words, not a ticket.
 */
static bool names_number(const char *quote, int64_t id)
{
	char num[32];
	size_t len = (size_t)snprintf(num, sizeof(num), "%lld", (long long)id);
	for (const char *line = quote, *nl; line; line = nl ? nl + 1 : NULL) {
		const char *p = line + strspn(line, " ");
		nl = strchr(line, '\n');
		if (!strncmp(p, "№", strlen("№")))
			p += strlen("№");
		else if (*p == '#')
			p++;
		else
			continue;
		if (!strncmp(p, num, len) &&
		    (!p[len] || p[len] == '\n' || !strncmp(p + len, " ·", strlen(" ·"))))
			return true;
	}
	return false;
}

/* Whether the quoted words lie within the ticket's title or store (both as the list shows them). */
static bool holds_words(const struct line *l, const char *quote)
{
	char q[TITLE_CUT + 8];
	size_t len = strlen(quote);
	/* A quote across lines, or with the list's "…": its longest line decides. */
	const char *best = quote;
	size_t best_len = 0;
	for (const char *p = quote; p < quote + len;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > best_len) {
			best = p;
			best_len = n;
		}
		p += n + 1;
	}
	if (best_len < 3 || best_len >= sizeof(q))
		return false;
	memcpy(q, best, best_len);
	q[best_len] = '\0';
	char *dots = strstr(q, "…");
	if (dots)
		*dots = '\0';
	return *q && (strstr(l->title, q) || strstr(l->store, q));
}

int newlist_quoted(struct db *db, const int64_t *tickets, size_t n, const char *quote,
		   int64_t *out)
{
	size_t by_words = 0;
	int64_t words_id = 0;
	if (!quote || !*quote)
		return TD_ENOTFOUND;
	for (size_t i = 0; i < n; i++) {
		if (names_number(quote, tickets[i])) {
			*out = tickets[i];
			return 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct line l = { .id = tickets[i] };
		int rc = db_ticket_get(db, tickets[i], line_of, &l);
		if (rc && rc != TD_ENOTFOUND)
			return rc;
		if (l.found && holds_words(&l, quote)) {
			by_words++;
			words_id = tickets[i];
		}
	}
	if (by_words != 1)
		return TD_ENOTFOUND;
	*out = words_id;
	return 0;
}
