/*
 * Unit tests: the ticket engine's table, walked whole. For every event,
 * every status a ticket can be in and every kind of actor, a fresh ticket
 * is put in that status and the event applied: what is allowed writes the
 * expected status and history row and queues the expected notices; what
 * is refused changes nothing, writes no history and queues nothing.
 *
 * The expectations below restate the rules independently of
 * bot/engine.c's table: a change there that changes what users may do
 * fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <unistd.h>

#include "peek.h"
#include "scratch.h"
#include "bot/engine.h"
#include "core/log.h"
#include "core/msg.h"
#include "core/token.h"
#include "storage/chain.h"
#include "storage/sla.h"
#include "storage/ticket.h"

#define NOW 1795000000
#define ENGINEERS (-100)
#define ANNA 1001    /* the ticket's cashier */
#define BORIS 1002   /* another cashier of the same store */
#define IVAN 2001    /* the engineer who claims the walked tickets */
#define PETR 2002    /* another engineer */
#define ADA 2003     /* an admin */
#define OLGA 3001    /* the organisation's owner */

static char dir[] = "/tmp/tilldesk-engine-XXXXXX";
static struct db *desk;
static struct dialog dlg;
static int64_t org, store, till, other_till;

/* The actors walked: the six of the table and the strangers who must be refused. */
enum who {
	W_CASHIER,        /* the ticket's own cashier */
	W_OTHER_CASHIER,  /* a cashier of the same store, not the ticket's */
	W_ASSIGNEE,       /* Ivan: the assignee of a claimed, resolved or closed ticket */
	W_ENGINEER,       /* Petr: any engineer */
	W_ADMIN,
	W_OWNER,
	W_AGENT,          /* the agent of the ticket's till */
	W_OTHER_AGENT,    /* the agent of another till */
	W_SYSTEM,
	W_COUNT
};
static const char *const who_names[W_COUNT] = {
	"cashier", "other cashier", "assignee", "engineer", "admin", "owner", "agent",
	"other agent", "system",
};
static const int64_t who_tg[W_COUNT] = { ANNA, BORIS, IVAN, PETR, ADA, OLGA, 0, 0, 0 };
static struct person people[W_COUNT];

/* Statuses walked: S_NONE is "no ticket yet", for the open events. */
enum { S_NEW, S_CLAIMED, S_RESOLVED, S_CLOSED, S_NONE, S_COUNT };
static const char *const status_names[S_COUNT] = { "new", "claimed", "resolved", "closed", "none" };

#define W(x) (1u << (x))
#define S(x) (1u << (x))
#define ENGINEERING (W(W_ASSIGNEE) | W(W_ENGINEER) | W(W_ADMIN))
#define OPEN_ST (S(S_NEW) | S(S_CLAIMED))
#define UNFINISHED (OPEN_ST | S(S_RESOLVED))
#define ANY_ST (UNFINISHED | S(S_CLOSED))

struct expect {
	enum ticket_event ev;
	unsigned from, actors;
	const char *to;        /* NULL: the status stays */
	const char *history;
	enum { KEPT, ACTOR, NOBODY } assignee;   /* after it */
	bool sets_priority;    /* to the 1 the walk asks for; else it stays 3 */
	int to_cashier, to_engineers, to_owner;  /* outbox rows queued */
};

/*
 * Who may do what, restated. The assignee "W_ASSIGNEE" is Ivan, who is an
 * engineer on a new ticket (nobody's yet).
 */
static const struct expect rules[] = {
	{ EV_OPEN, S(S_NONE), W(W_CASHIER) | W(W_OTHER_CASHIER), "new", "opened", NOBODY, true, 1, 1, 0 },
	{ EV_MESSAGE, OPEN_ST, W(W_CASHIER), NULL, "message", KEPT, false, 0, 1, 0 },
	{ EV_CLAIM, S(S_NEW), ENGINEERING, "claimed", "claimed", ACTOR, false, 1, 1, 0 },
	{ EV_RELEASE, S(S_CLAIMED), W(W_ASSIGNEE) | W(W_ADMIN), "new", "released", NOBODY, false, 0, 1, 0 },
	{ EV_REPLY, UNFINISHED, ENGINEERING, NULL, "reply", KEPT, false, 1, 0, 0 },
	{ EV_NOTE, ANY_ST, ENGINEERING, NULL, "note", KEPT, false, 0, 0, 0 },
	{ EV_RESOLVE, S(S_CLAIMED), W(W_ASSIGNEE) | W(W_ADMIN), "resolved", "resolved", KEPT, false,
	  1, 2, 0 },
	{ EV_CONFIRM, S(S_RESOLVED), W(W_CASHIER), "closed", "confirmed", KEPT, false, 2, 1, 0 },
	{ EV_REOPEN, S(S_RESOLVED), W(W_CASHIER), "claimed", "reopened", KEPT, false, 1, 2, 0 },
	{ EV_RATE, S(S_CLOSED), W(W_CASHIER), NULL, "rated", KEPT, false, 1, 0, 0 },
	{ EV_PRIORITY, OPEN_ST, W(W_CASHIER), NULL, "priority", KEPT, true, 1, 1, 0 },
	{ EV_KB_DECLINED, S(S_NEW), W(W_CASHIER), NULL, "kb_not_helped", KEPT, false, 0, 0, 0 },
	{ EV_AGENT_OPEN, S(S_NONE), W(W_AGENT) | W(W_SYSTEM), "new", "opened", NOBODY, true, 0, 1, 0 },
	{ EV_AGENT_UPDATE, UNFINISHED, W(W_AGENT) | W(W_SYSTEM), NULL, "agent_update", KEPT, false, 0, 1, 0 },
	{ EV_RECOVER, OPEN_ST, W(W_AGENT) | W(W_SYSTEM), NULL, "recovered", KEPT, false, 0, 1, 0 },
	{ EV_AUTO_RESOLVE, UNFINISHED, W(W_SYSTEM), "closed", "auto_resolved", KEPT, false, 0, 2, 0 },
	{ EV_SLA_WARNING, ANY_ST, W(W_SYSTEM), NULL, "sla_warning", KEPT, false, 0, 1, 0 },
	{ EV_ESCALATE, ANY_ST, W(W_SYSTEM), NULL, "sla_breach", KEPT, false, 0, 1, 1 },
	{ EV_REQUEUE, S(S_CLAIMED), W(W_SYSTEM), "new", "requeued", NOBODY, false, 0, 2, 0 },
	{ EV_CASHIER_MOVED, UNFINISHED, W(W_SYSTEM), NULL, "cashier_moved", KEPT, false, 0, 2, 0 },
	{ EV_AGENT_RAISE, OPEN_ST, W(W_AGENT) | W(W_SYSTEM), NULL, "priority", KEPT, true, 0, 2, 0 },
	{ EV_FORECAST_OPEN, S(S_NONE), W(W_SYSTEM), "new", "opened", NOBODY, true, 0, 1, 1 },
};

/* ---- reading what happened, through a second connection ---- */

static int64_t outbox_to(int64_t chat, int64_t after)
{
	sqlite3_stmt *st;
	int64_t n;
	assert_int_equal(sqlite3_prepare_v2(peek, "SELECT count(*) FROM outbox WHERE id > ?1 AND"
					    " coalesce(chat_id, 0) = ?2", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, chat);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- the desk ---- */

static int64_t enrol(const char *code, const char *role, int64_t tg, const char *name)
{
	char hash[SHA256_HEX_LEN + 1];
	int64_t invite, id;
	bool in_store = !strcmp(role, "cashier");
	token_hash(hash, code);
	assert_int_equal(db_invite_add(desk, &invite, hash, role, in_store ? store : 0, org, NOW + 60), 0);
	assert_int_equal(db_invite_redeem(desk, &id, hash, tg, name, NOW), 0);
	return id;
}

static int setup(void **state)
{
	(void)state;
	static const char *const roles[W_COUNT] = { "cashier", "cashier", "engineer", "engineer",
						    "admin", "owner" };
	char path[256], err[256], code[32];
	if (scratch_make(dir, sizeof(dir), "engine"))
		return -1;
	snprintf(path, sizeof(path), "%s/desk.db", dir);
	if (db_open(&desk, path, err, sizeof(err)) || msg_set_language("ru"))
		return -1;
	log_set_level(LOG_WARN);
	dlg = (struct dialog){ .db = desk, .engineers_chat = ENGINEERS, .now = NOW };
	assert_int_equal(db_begin(desk), 0);
	assert_int_equal(db_org_add(desk, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(desk, &store, org, "Магазин", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_till_add(desk, &till, store, "Касса 1", "hash-1"), 0);
	assert_int_equal(db_till_add(desk, &other_till, store, "Касса 2", "hash-2"), 0);
	for (int w = 0; w < W_COUNT; w++) {
		if (!who_tg[w])
			continue;
		snprintf(code, sizeof(code), "code-%d", w);
		int64_t id = enrol(code, roles[w], who_tg[w], who_names[w]);
		assert_int_equal(dialog_person_by_id(&dlg, id, &people[w]), 0);
	}
	assert_int_equal(db_commit(desk), 0);
	return sqlite3_open(path, &peek) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sqlite3_close(peek);
	db_close(desk);
	return scratch_remove(dir);
}

/* A ticket of Anna's at the till, in status s (claimed and after: by Ivan). */
static int64_t ticket_in(int s)
{
	const struct ticket_new n = { .store_id = store, .till_id = till,
				      .cashier_id = people[W_CASHIER].id, .source = "telegram",
				      .title = "Не печатает чек", .priority = 3 };
	const int64_t ivan = people[W_ASSIGNEE].id;
	int64_t id;
	assert_int_equal(db_ticket_open(desk, &id, &n, NOW - 600), 0);
	if (s >= S_CLAIMED)
		assert_int_equal(db_ticket_event(desk, id, NOW - 500, ivan, HISTORY_CLAIMED,
						 TICKET_CLAIMED, 3, ivan, NULL), 0);
	if (s >= S_RESOLVED)
		assert_int_equal(db_ticket_event(desk, id, NOW - 400, ivan, HISTORY_RESOLVED,
						 TICKET_RESOLVED, 3, ivan, "заменили ленту"), 0);
	if (s >= S_CLOSED)
		assert_int_equal(db_ticket_event(desk, id, NOW - 300, people[W_CASHIER].id,
						 HISTORY_CONFIRMED, TICKET_CLOSED, 3, ivan, NULL), 0);
	return id;
}

static struct actor actor_of(int w)
{
	switch (w) {
	case W_AGENT: return (struct actor){ .kind = ACTOR_AGENT, .till_id = till };
	case W_OTHER_AGENT: return (struct actor){ .kind = ACTOR_AGENT, .till_id = other_till };
	case W_SYSTEM: return (struct actor){ .kind = ACTOR_SYSTEM };
	default: return actor_person(&people[w]);
	}
}

/* One cell of the table: event ev on a ticket in status s by actor w. */
static void walk_one(const struct expect *e, int s, int w)
{
	const struct actor who = actor_of(w);
	int64_t made = 0;
	struct sla_timer timer = { .kind = SLA_REACTION, .due_at = NOW - 60, .started_at = NOW - 600 };
	struct event_args a = {
		.body = "слова", .priority = 1, .score = 4, .title = "Касса не пробивает",
		.store_id = store, .till_id = till, .reply_to = 7, .chat_id = who_tg[w],
		.name = "Иван", .out_id = &made,
	};
	bool allowed = (e->from & S(s)) && (e->actors & W(w));
	int64_t last_out = query_int("SELECT coalesce(max(id), 0) FROM outbox WHERE ?1", 1);
	int64_t last_event = query_int("SELECT coalesce(max(id), 0) FROM ticket_events WHERE ?1", 1);

	assert_int_equal(db_begin(desk), 0);
	int64_t id = s == S_NONE ? 0 : ticket_in(s);
	timer.ticket_id = id;
	if (e->ev == EV_SLA_WARNING || e->ev == EV_ESCALATE)
		a.timer = &timer;
	assert_int_equal(db_commit(desk), 0);
	const char *before = s == S_NONE ? "" : status_names[s];
	int64_t events_before = query_int("SELECT count(*) FROM ticket_events WHERE id > ?1", last_event);
	int64_t out_before = query_int("SELECT count(*) FROM outbox WHERE id > ?1", last_out);

	assert_int_equal(db_begin(desk), 0);
	int rc = engine_apply(&dlg, e->ev, &who, id, &a);
	assert_int_equal(db_commit(desk), 0);

	char where[128];
	snprintf(where, sizeof(where), "%s on %s by %s", ticket_event_name(e->ev), status_names[s],
		 who_names[w]);
	if (!allowed) {
		if (rc != ENGINE_EDENIED && rc != ENGINE_ESTALE)
			fail_msg("%s: allowed (%d), should be refused", where, rc);
		assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE id > ?1", last_event),
				 events_before);
		assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE id > ?1", last_out), out_before);
		if (id)
			assert_string_equal(query_text("SELECT status FROM ticket_state WHERE id = ?1", id),
					    before);
		return;
	}
	if (rc)
		fail_msg("%s: refused (%d), should be allowed", where, rc);
	if (!id)
		id = made;
	assert_true(id > 0);
	int64_t row = query_int("SELECT max(id) FROM ticket_events WHERE ticket_id = ?1", id);
	if (strcmp(query_text("SELECT kind FROM ticket_events WHERE id = ?1", row), e->history))
		fail_msg("%s: history '%s', expected '%s'", where,
			 query_text("SELECT kind FROM ticket_events WHERE id = ?1", row), e->history);
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE id > ?1", last_event),
			 events_before + 1);
	int64_t actor = who.kind == ACTOR_PERSON ? who.person->id : 0;
	assert_int_equal(query_int("SELECT coalesce(actor_id, 0) FROM ticket_events WHERE id = ?1", row),
			 actor);
	const char *to = e->to ? e->to : before;
	if (strcmp(query_text("SELECT status FROM ticket_state WHERE id = ?1", id), to))
		fail_msg("%s: status '%s', expected '%s'", where,
			 query_text("SELECT status FROM ticket_state WHERE id = ?1", id), to);
	int64_t had = s != S_NONE && s >= S_CLAIMED ? people[W_ASSIGNEE].id : 0;
	int64_t want = e->assignee == KEPT ? had : e->assignee == ACTOR ? actor : 0;
	assert_int_equal(query_int("SELECT coalesce(assignee_id, 0) FROM ticket_state WHERE id = ?1", id),
			 want);
	assert_int_equal(query_int("SELECT priority FROM ticket_state WHERE id = ?1", id),
			 e->sets_priority ? 1 : 3);
	int64_t cashier = outbox_to(ANNA, last_out) + outbox_to(BORIS, last_out);
	int64_t engineers = outbox_to(ENGINEERS, last_out), owner = outbox_to(OLGA, last_out);
	if (cashier != e->to_cashier || engineers != e->to_engineers || owner != e->to_owner)
		fail_msg("%s: notices cashier %lld, engineers %lld, owner %lld; expected %d, %d, %d",
			 where, (long long)cashier, (long long)engineers, (long long)owner,
			 e->to_cashier, e->to_engineers, e->to_owner);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE id > ?1", last_out),
			 out_before + cashier + engineers + owner);
}

static void test_engine__every_event_status_and_actor_is_as_the_rules_say(void **state)
{
	(void)state;
	assert_int_equal(ARRAY_SIZE(rules), TICKET_EVENT_COUNT);
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		assert_int_equal(rules[i].ev, i);
		bool opens = rules[i].from & S(S_NONE);
		for (int s = opens ? S_NONE : S_NEW; s <= (opens ? S_NONE : S_CLOSED); s++)
			for (int w = 0; w < W_COUNT; w++)
				walk_one(&rules[i], s, w);
	}
}

static void test_engine__events_on_a_missing_ticket_are_not_found(void **state)
{
	(void)state;
	const struct actor system = { .kind = ACTOR_SYSTEM };
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (!(rules[i].from & S(S_NONE)))
			assert_int_equal(engine_apply(&dlg, rules[i].ev, &system, 999999, NULL), TD_ENOTFOUND);
}

static void test_engine__a_ticket_is_rated_once(void **state)
{
	(void)state;
	const struct actor anna = actor_person(&people[W_CASHIER]);
	const struct event_args a = { .score = 5, .chat_id = ANNA, .pressed = true };
	assert_int_equal(db_begin(desk), 0);
	int64_t id = ticket_in(S_CLOSED);
	assert_int_equal(engine_apply(&dlg, EV_RATE, &anna, id, &a), 0);
	assert_int_equal(engine_apply(&dlg, EV_RATE, &anna, id, &a), ENGINE_ESTALE);
	assert_int_equal(db_commit(desk), 0);
	assert_int_equal(query_int("SELECT count(*) FROM ticket_events WHERE ticket_id = ?1"
				   " AND kind = 'rated'", id), 1);
}

static void test_engine__a_reopened_ticket_does_not_go_back_to_a_disabled_assignee(void **state)
{
	(void)state;
	const struct actor anna = actor_person(&people[W_CASHIER]);
	const struct event_args a = { .chat_id = ANNA };
	assert_int_equal(db_begin(desk), 0);
	int64_t id = ticket_in(S_RESOLVED);
	assert_int_equal(db_person_set_disabled(desk, people[W_ASSIGNEE].id, NOW), 0);
	assert_int_equal(engine_apply(&dlg, EV_REOPEN, &anna, id, &a), 0);
	assert_int_equal(db_person_set_disabled(desk, people[W_ASSIGNEE].id, 0), 0);
	assert_int_equal(db_commit(desk), 0);
	assert_string_equal(query_text("SELECT status FROM ticket_state WHERE id = ?1", id), "new");
	assert_int_equal(query_int("SELECT coalesce(assignee_id, 0) FROM ticket_state WHERE id = ?1", id), 0);
}

static void test_engine__a_disabled_person_may_do_nothing(void **state)
{
	(void)state;
	struct person off = people[W_ADMIN];
	off.disabled = true;
	const struct actor who = actor_person(&off);
	assert_int_equal(db_begin(desk), 0);
	int64_t id = ticket_in(S_NEW);
	assert_int_equal(engine_apply(&dlg, EV_CLAIM, &who, id, NULL), ENGINE_EDENIED);
	assert_int_equal(engine_apply(&dlg, EV_NOTE, &who, id, NULL), ENGINE_EDENIED);
	assert_int_equal(db_commit(desk), 0);
}

/* ---- the words: one table each, and nothing else is taken ---- */

static void test_enums__every_word_reads_back_and_unknown_words_are_refused(void **state)
{
	(void)state;
	enum ticket_status st;
	enum history_kind k;
	enum person_role r;
	enum link_role l;
	enum dialog_state ds;
	for (int i = 0; i < TICKET_STATUS_COUNT; i++) {
		assert_int_equal(ticket_status_parse(&st, ticket_status_name((enum ticket_status)i)), 0);
		assert_int_equal(st, i);
	}
	for (int i = 0; i < HISTORY_KIND_COUNT; i++) {
		assert_int_equal(history_kind_parse(&k, history_kind_name((enum history_kind)i)), 0);
		assert_int_equal(k, i);
	}
	for (int i = 0; i < PERSON_ROLE_COUNT; i++) {
		assert_int_equal(person_role_parse(&r, person_role_name((enum person_role)i)), 0);
		assert_int_equal(r, i);
	}
	for (int i = 0; i < LINK_ROLE_COUNT; i++) {
		assert_int_equal(link_role_parse(&l, link_role_name((enum link_role)i)), 0);
		assert_int_equal(l, i);
	}
	assert_int_equal(ticket_status_parse(&st, "Claimed"), TD_EINVAL);
	assert_int_equal(history_kind_parse(&k, "claim"), TD_EINVAL);
	assert_int_equal(person_role_parse(&r, "superuser"), TD_EINVAL);
	assert_int_equal(person_role_parse(&r, ""), TD_EINVAL);
	assert_int_equal(link_role_parse(&l, "cards"), TD_EINVAL);
	assert_int_equal(dialog_state_parse(&ds, "resolving"), TD_EINVAL);
	assert_int_equal(dialog_state_parse(&ds, "resolution"), 0);
	assert_int_equal(ds, STATE_RESOLUTION);
}

static void test_enums__callback_data_is_parsed_strictly(void **state)
{
	(void)state;
	static const char *const forged[] = {
		"", "c", "c:", "c:0", "c:-1", "c:12x", "c:12:1", "p:12", "p:12:2", "p:12:3:1",
		"r:12:6", "r:12:0", "k:5", "k:5:3", "zz:12", "ok:12:1", "c:99999999999999999999",
		"C:12", " c:12", "c:12 ",
	};
	struct button b;
	char data[64];
	for (size_t i = 0; i < ARRAY_SIZE(forged); i++)
		if (button_parse(&b, forged[i]) != TD_EINVAL)
			fail_msg("'%s' was taken", forged[i]);
	assert_int_equal(button_parse(&b, "p:12:1"), 0);
	assert_int_equal(b.verb, VERB_PRIORITY);
	assert_int_equal(b.id, 12);
	assert_int_equal(b.arg, 1);
	assert_int_equal(button_parse(&b, "ok:7"), 0);
	assert_int_equal(b.verb, VERB_CONFIRM);
	assert_int_equal(b.arg, 0);
	/* What the bot writes, it reads back. */
	for (int v = 0; v < BUTTON_VERB_COUNT; v++) {
		int arg = v == VERB_PRIORITY ? 3 : v == VERB_RATE ? 5 : v == VERB_ADVICE ? 2 : 0;
		button_data(data, sizeof(data), (enum button_verb)v, 4242, arg);
		assert_int_equal(button_parse(&b, data), 0);
		assert_int_equal(b.verb, v);
		assert_int_equal(b.id, 4242);
		assert_int_equal(b.arg, arg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enums__every_word_reads_back_and_unknown_words_are_refused),
		cmocka_unit_test(test_enums__callback_data_is_parsed_strictly),
		cmocka_unit_test_setup_teardown(test_engine__every_event_status_and_actor_is_as_the_rules_say,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine__events_on_a_missing_ticket_are_not_found,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine__a_ticket_is_rated_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine__a_reopened_ticket_does_not_go_back_to_a_disabled_assignee,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine__a_disabled_person_may_do_nothing,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
