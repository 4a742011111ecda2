/*
 * coalesce.c - a ticket's waiting relays merged into one message, and
 * notices of several tickets joined into one (see coalesce.h).
 */
#include "bot/coalesce.h"
#include "bot/render_tg.h"
#include "core/html.h"
#include "core/ticket_enums.h"
#include "core/tz.h"

#define MERGED_MAX (256u << 10)
/* Buttons a line in a joined message: three «Взять №N» fit a phone's width. */
#define BUTTONS_PER_LINE 3

/*
 * Splits a relay's arguments into its header (the nested «💬 №N, кассир
 * X» message and the ":\n" after it) and its words (the rest); false
 * for a row that is not a text relay.
 */
static bool relay_parts(const struct coalesce_row *r, size_t *header_len, const char **words)
{
	const struct notice *n = r->n;
	const char *p, *lim, *s;
	char type;
	size_t len;
	if (n->kind != NOTICE_SAY || n->msg_key || (n->actions && *n->actions) || r->parts_sent ||
	    strcmp(r->link_role, link_role_name(LINK_RELAY)) || !n->args)
		return false;
	p = n->args;
	lim = p + strlen(p);
	if (notice_arg_next(&p, lim, &type, &s, &len) || type != 'm' ||
	    notice_arg_next(&p, lim, &type, &s, &len) || type != 'h' || len != 2 ||
	    memcmp(s, ":\n", 2))
		return false;
	*header_len = (size_t)(p - n->args);
	*words = p;
	return true;
}

/* Appends one relay's words under its time: "\n<i>HH:MM</i> words". */
static void piece(struct buf *args, const char *words, int64_t at, const struct tz *tz, bool first)
{
	char hm[16];
	struct tm tm;
	if (tz)
		tz_local(tz, at, &tm);
	else
		gmtime_r(&(time_t){ (time_t)at }, &tm);
	strftime(hm, sizeof(hm), "%H:%M", &tm);
	notice_arg_markup(args, first ? "<i>" : "\n<i>");
	notice_arg_text(args, hm);
	notice_arg_markup(args, "</i> ");
	buf_add(args, words, strlen(words));
}

/* Whether args, as a message body in lang, fits one Telegram message. */
static bool fits(const struct buf *args, enum msg_lang lang)
{
	struct buf html = BUF_INIT(MERGED_MAX);
	struct notice n = { .kind = NOTICE_SAY, .args = buf_cstr(args) };
	bool ok = !args->failed && !notice_text(&html, &n, lang, NOTICE_TEXT_HTML) && !html.failed &&
		  html_text_length(buf_cstr(&html)) <= TG_TEXT_MAX;
	buf_release(&html);
	return ok;
}

int coalesce_relays(struct buf *args, size_t *taken, const struct coalesce_row *rows, size_t n,
		    const char *zone, enum msg_lang lang)
{
	struct buf trial = BUF_INIT(MERGED_MAX);
	struct tz *tz = NULL;
	size_t header_len, len;
	const char *words;
	int rc = 0;
	buf_reset(args);
	*taken = 0;
	if (!n || !relay_parts(&rows[0], &header_len, &words))
		return 0;
	if (!zone || tz_load(&tz, zone))
		tz = NULL;
	buf_add(&trial, rows[0].n->args, header_len);
	for (size_t i = 0; i < n && i < COALESCE_MAX; i++) {
		if (!relay_parts(&rows[i], &len, &words) || len != header_len ||
		    memcmp(rows[i].n->args, rows[0].n->args, len) ||
		    rows[i].n->flags != rows[0].n->flags)
			break;
		piece(&trial, words, rows[i].created_at, tz, i == 0);
		/* A single relay too long for one message goes alone, split by the renderer. */
		if (!fits(&trial, lang))
			break;
		buf_reset(args);
		buf_add(args, buf_cstr(&trial), trial.len);
		*taken = i + 1;
	}
	if (args->failed)
		rc = TD_ENOMEM;
	tz_free(tz);
	buf_release(&trial);
	return rc;
}

/* Whether row r may join rows[0]'s message (first: r is rows[0]). */
static bool joins(const struct coalesce_row *r, const struct coalesce_row *first)
{
	const struct notice *n = r->n;
	return n->kind == NOTICE_SAY && !n->msg_key && n->args && (n->flags & NOTICE_JOINS) &&
	       n->flags == first->n->flags && n->reply_to == first->n->reply_to && !r->parts_sent;
}

/*
 * Adds row r's buttons to keys, each label followed by its ticket's
 * number; false when they do not fit or cannot be read.
 */
static bool join_buttons(struct notice_actions *keys, const struct coalesce_row *r,
			 enum msg_lang lang)
{
	struct notice_actions own;
	if (!r->n->actions || !*r->n->actions)
		return true;
	if (notice_actions_load(&own, r->n->actions) || keys->n + own.n > NOTICE_ACTIONS_MAX)
		return false;
	for (size_t i = 0; i < own.n; i++) {
		const struct notice_action *a = &own.v[i];
		const char *label = notice_action_label(a, lang);
		struct button b;
		struct buf numbered = BUF_INIT(sizeof(a->literal));
		if (!button_parse(&b, a->action)) {
			msg_buf_in(&numbered, lang, MSG_BTN_OF_TICKET, label, (long long)b.id);
			if (!numbered.failed)
				label = buf_cstr(&numbered);
		}
		int rc = notice_action_add(keys, keys->n / BUTTONS_PER_LINE, label, a->action);
		buf_release(&numbered);
		if (rc)
			return false;
	}
	return true;
}

int coalesce_notices(struct buf *args, struct buf *actions, size_t *taken,
		     const struct coalesce_row *rows, size_t n, enum msg_lang lang)
{
	struct buf trial = BUF_INIT(MERGED_MAX);
	struct notice_actions *keys = xcalloc(1, sizeof(*keys));
	int rc = 0;
	buf_reset(args);
	buf_reset(actions);
	*taken = 0;
	for (size_t i = 0; i < n && i < COALESCE_MAX; i++) {
		if (!joins(&rows[i], &rows[0]))
			break;
		size_t buttons = keys->n;
		if (i)
			notice_arg_markup(&trial, "\n\n");
		buf_add(&trial, rows[i].n->args, strlen(rows[i].n->args));
		if (!join_buttons(keys, &rows[i], lang) || !fits(&trial, lang)) {
			keys->n = buttons;
			break;
		}
		buf_reset(args);
		buf_add(args, buf_cstr(&trial), trial.len);
		*taken = i + 1;
	}
	if (*taken)
		rc = notice_actions_store(actions, keys);
	if (!rc && (args->failed || actions->failed))
		rc = TD_ENOMEM;
	free(keys);
	buf_release(&trial);
	return rc;
}
