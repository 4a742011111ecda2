/*
 * Unit tests: the agents' batch decoder (every rule of doc/AGENT-API.md's
 * table), the per-till token bucket, and how a batch is stored (idempotent
 * events, check states, equipment facts, token rotation, pruning).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scratch.h"
#include "core/buf.h"
#include "core/token.h"
#include "ingest/bucket.h"
#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "storage/chain.h"
#include "storage/events.h"

/* ---- the decoder ---- */

#define GOOD_EVENT \
	"{\"id\":\"1764115200-000042\",\"kind\":\"change\",\"check\":\"fn\"," \
	"\"code\":\"fn.expiring\",\"status\":\"warning\"," \
	"\"message\":\"ФН 7281440500123456 истекает через 10 дн.\",\"observed_at\":1764115260," \
	"\"data\":{\"fn.serial\":\"7281440500123456\",\"fn.valid_until\":\"2026-12-05\"," \
	"\"days_left\":10},\"perf\":[{\"label\":\"days_left\",\"value\":10,\"uom\":\"d\"," \
	"\"warn\":30,\"crit\":3}]}"

/* A batch of three good events and then ev, so that its reason names events[3]. */
static char *batch_with(const char *ev)
{
	struct buf b = BUF_INIT(4 << 20);
	buf_printf(&b, "{\"agent\":\"tilldesk-agent/0.1\",\"boot\":\"1764115200\",\"dropped\":0,"
		   "\"events\":[%s,%s,%s,%s]}", GOOD_EVENT, GOOD_EVENT, GOOD_EVENT, ev);
	assert_false(b.failed);
	return buf_detach(&b);
}

/* The reason decoding body gives (asserting it fails). */
static const char *reason_of(const char *body, size_t len)
{
	static char err[256];
	struct ingest_batch batch;
	assert_int_equal(ingest_decode(&batch, body, len, err, sizeof(err)), TD_EINVAL);
	assert_null(batch.root);
	return err;
}

static void assert_event_refused(const char *ev, const char *reason)
{
	char *body = batch_with(ev);
	const char *got = reason_of(body, strlen(body));
	if (strncmp(got, reason, strlen(reason)))
		fail_msg("event %s\n  gave '%s'\n  wanted '%s...'", ev, got, reason);
	free(body);
}

static void test_ingest__a_good_batch_decodes_with_its_facts(void **state)
{
	(void)state;
	char err[256];
	struct ingest_batch b;
	char *body = batch_with("{\"id\":\"h:1\",\"kind\":\"heartbeat\",\"check\":\"utm\",\"code\":\"utm.cert_rsa\","
				"\"status\":\"ok\",\"message\":\"\",\"observed_at\":0,"
				"\"data\":{\"utm.rsa_until\":\"2027-01-01\",\"utm.gost_until\":\"2027-02-01\"},"
				"\"future_member\":{\"x\":[1]}}");
	assert_int_equal(ingest_decode(&b, body, strlen(body), err, sizeof(err)), 0);
	assert_string_equal(b.agent, "tilldesk-agent/0.1");
	assert_string_equal(b.boot, "1764115200");
	assert_int_equal(b.n, 4);
	assert_string_equal(b.events[0].id, "1764115200-000042");
	assert_int_equal(b.events[0].kind, AGENT_CHANGE);
	assert_int_equal(b.events[0].status, AGENT_WARNING);
	assert_string_equal(b.events[0].check, "fn");
	assert_string_equal(b.events[0].code, "fn.expiring");
	assert_int_equal(b.events[0].observed_at, 1764115260);
	assert_string_equal(b.events[0].fn_serial, "7281440500123456");
	assert_string_equal(b.events[0].fn_valid_until, "2026-12-05");
	assert_non_null(strstr(b.events[0].data, "\"days_left\":10"));
	assert_int_equal(b.events[3].kind, AGENT_HEARTBEAT);
	assert_int_equal(b.events[3].status, AGENT_OK);
	assert_string_equal(b.events[3].utm_rsa_until, "2027-01-01");
	assert_string_equal(b.events[3].utm_gost_until, "2027-02-01");
	assert_null(b.events[3].fn_serial);
	ingest_batch_release(&b);
	free(body);
}

static void test_ingest__optional_members_may_be_left_out(void **state)
{
	(void)state;
	char err[256];
	struct ingest_batch b;
	const char *body = "{\"events\":[{\"id\":\"a\",\"kind\":\"heartbeat\",\"check\":\"disk\","
			   "\"code\":\"disk.free\",\"status\":\"unknown\",\"message\":\"x\","
			   "\"observed_at\":5}]}";
	assert_int_equal(ingest_decode(&b, body, strlen(body), err, sizeof(err)), 0);
	assert_string_equal(b.agent, "");
	assert_int_equal(b.dropped, 0);
	assert_null(b.events[0].data);
	ingest_batch_release(&b);
}

/* Every rule of the contract's table for an event, each with the reason it gives. */
static void test_ingest__every_event_rule_refuses_with_its_field(void **state)
{
	(void)state;
	static const struct { const char *from, *to, *reason; } cases[] = {
		{ "\"id\":\"1764115200-000042\",", "", "events[3].id: missing" },
		{ "\"1764115200-000042\"", "\"\"", "events[3].id: 0 bytes" },
		{ "\"1764115200-000042\"", "\"a b\"", "events[3].id: character 0x20" },
		{ "\"1764115200-000042\"", "\"id/1\"", "events[3].id: character 0x2f" },
		{ "\"1764115200-000042\"", "\"" "0123456789012345678901234567890123456789012345678901234567890123" "4\"",
		  "events[3].id: 65 bytes" },
		{ "\"1764115200-000042\"", "42", "events[3].id: not a string" },
		{ "\"change\"", "\"burst\"", "events[3].kind: not one of change, heartbeat" },
		{ "\"kind\":\"change\",", "", "events[3].kind: missing" },
		{ "\"check\":\"fn\"", "\"check\":\"FN\"", "events[3].check: character 0x46" },
		{ "\"check\":\"fn\"", "\"check\":\"" "012345678901234567890123456789012" "\"", "events[3].check: 33 bytes" },
		{ "\"check\":\"fn\"", "\"check\":\"fn.x\"", "events[3].check: character 0x2e" },
		{ "\"fn.expiring\"", "\"fn-expiring\"", "events[3].code: character 0x2d" },
		{ "\"code\":\"fn.expiring\",", "", "events[3].code: missing" },
		{ "\"warning\"", "\"warn\"", "events[3].status: not one of ok, warning, critical, unknown" },
		{ "\"warning\"", "2", "events[3].status: not a string" },
		{ "\"ФН 7281440500123456 истекает через 10 дн.\"", "\"две\\nстроки\"",
		  "events[3].message: character 0x0a" },
		{ "\"ФН 7281440500123456 истекает через 10 дн.\"", "\"a\\u0000b\"",
		  "events[3].message: contains NUL" },
		{ "1764115260", "\"1764115260\"", "events[3].observed_at: not an integer" },
		{ "1764115260", "1764115260.5", "events[3].observed_at: not an integer" },
		{ "1764115260", "-1", "events[3].observed_at: not an integer" },
		{ "\"observed_at\":1764115260,", "", "events[3].observed_at: missing" },
		{ "\"days_left\":10", "\"days_left\":true", "events[3].data.days_left: not a string or a number" },
		/* json-c takes NaN and Infinity even when strict: not numbers of JSON. */
		{ "\"days_left\":10", "\"days_left\":NaN", "events[3].data.days_left: not a string or a number" },
		{ "\"value\":10", "\"value\":-Infinity", "events[3].perf[0].value: missing or not a number" },
		{ "\"days_left\":10", "\"days_left\":null", "events[3].data.days_left: not a string or a number" },
		{ "\"days_left\":10", "\"days_left\":[1]", "events[3].data.days_left: not a string or a number" },
		{ "\"data\":{", "\"data\":[],\"x\":{", "events[3].data: not an object" },
		{ "\"uom\":\"d\"", "\"uom\":7", "events[3].perf[0].uom: not a string" },
		{ "\"value\":10", "\"value\":\"10\"", "events[3].perf[0].value: missing or not a number" },
		{ "\"label\":\"days_left\",", "", "events[3].perf[0].label: missing" },
		{ "\"warn\":30", "\"warn\":\"30\"", "events[3].perf[0].warn: not a number" },
		{ "\"perf\":[", "\"perf\":{},\"x\":[", "events[3].perf: not an array" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *at = strstr(GOOD_EVENT, cases[i].from);
		assert_non_null(at);
		char ev[4096];
		snprintf(ev, sizeof(ev), "%.*s%s%s", (int)(at - GOOD_EVENT), GOOD_EVENT, cases[i].to,
			 at + strlen(cases[i].from));
		assert_event_refused(ev, cases[i].reason);
	}
}

static void test_ingest__data_and_perf_sizes_are_capped(void **state)
{
	(void)state;
	struct buf ev = BUF_INIT(1 << 20);
	/* 33 members */
	buf_puts(&ev, "{\"id\":\"a\",\"kind\":\"change\",\"check\":\"x\",\"code\":\"x\",\"status\":\"ok\","
		 "\"message\":\"\",\"observed_at\":1,\"data\":{");
	for (int i = 0; i < 33; i++)
		buf_printf(&ev, "%s\"k%d\":%d", i ? "," : "", i, i);
	buf_puts(&ev, "}}");
	assert_event_refused(buf_cstr(&ev), "events[3].data: 33 members, more than 32");
	buf_reset(&ev);
	buf_puts(&ev, "{\"id\":\"a\",\"kind\":\"change\",\"check\":\"x\",\"code\":\"x\",\"status\":\"ok\","
		 "\"message\":\"\",\"observed_at\":1,\"data\":{\"k\":\"");
	for (int i = 0; i < 257; i++)
		buf_putc(&ev, 'v');
	buf_puts(&ev, "\"}}");
	assert_event_refused(buf_cstr(&ev), "events[3].data.k: 257 bytes, more than 256");
	buf_reset(&ev);
	buf_puts(&ev, "{\"id\":\"a\",\"kind\":\"change\",\"check\":\"x\",\"code\":\"x\",\"status\":\"ok\","
		 "\"message\":\"\",\"observed_at\":1,\"data\":{\"");
	for (int i = 0; i < 65; i++)
		buf_putc(&ev, 'k');
	buf_puts(&ev, "\":1}}");
	assert_event_refused(buf_cstr(&ev), "events[3].data: a key is empty, longer than 64");
	buf_reset(&ev);
	buf_puts(&ev, "{\"id\":\"a\",\"kind\":\"change\",\"check\":\"x\",\"code\":\"x\",\"status\":\"ok\","
		 "\"message\":\"");
	for (int i = 0; i < 171; i++)
		buf_puts(&ev, "ы");  /* 342 bytes */
	for (int i = 0; i < 171; i++)
		buf_putc(&ev, 'a');  /* 513 in all */
	buf_puts(&ev, "\",\"observed_at\":1}");
	assert_event_refused(buf_cstr(&ev), "events[3].message: 513 bytes, more than 512");
	buf_reset(&ev);
	buf_puts(&ev, "{\"id\":\"a\",\"kind\":\"change\",\"check\":\"x\",\"code\":\"x\",\"status\":\"ok\","
		 "\"message\":\"\",\"observed_at\":1,\"perf\":[");
	for (int i = 0; i < 17; i++)
		buf_printf(&ev, "%s{\"label\":\"l\",\"value\":1}", i ? "," : "");
	buf_puts(&ev, "]}");
	assert_event_refused(buf_cstr(&ev), "events[3].perf: 17 items, more than 16");
	buf_release(&ev);
}

static void test_ingest__the_batch_members_are_checked(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(4 << 20);
	assert_string_equal(reason_of("{}", 2), "events: missing");
	assert_string_equal(reason_of("{\"events\":{}}", 13), "events: not an array");
	assert_string_equal(reason_of("{\"events\":[]}", 13), "events: 0 events, not 1 to 500");
	assert_string_equal(reason_of("[1]", 3), "body: not a JSON object");
	assert_string_equal(reason_of("{\"events\":[1]}", 14), "events[0]: not an object");
	const char *s = "{\"dropped\":-1,\"events\":[]}";
	assert_string_equal(reason_of(s, strlen(s)), "dropped: not an integer >= 0");
	s = "{\"dropped\":\"3\",\"events\":[]}";
	assert_string_equal(reason_of(s, strlen(s)), "dropped: not an integer >= 0");
	s = "{\"agent\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}";
	assert_string_equal(reason_of(s, strlen(s)), "agent: 70 bytes, more than 64");
	s = "{\"boot\":5}";
	assert_string_equal(reason_of(s, strlen(s)), "boot: not a string");
	buf_puts(&b, "{\"events\":[");
	for (int i = 0; i < 501; i++)
		buf_printf(&b, "%s{}", i ? "," : "");
	buf_puts(&b, "]}");
	assert_string_equal(reason_of(b.data, b.len), "events: 501 events, not 1 to 500");
	buf_release(&b);
}

static void test_ingest__malformed_deep_oversized_and_non_utf8_bodies_are_refused(void **state)
{
	(void)state;
	struct buf b = BUF_INIT(4 << 20);
	assert_string_equal(reason_of("", 0), "body: incomplete JSON");
	assert_string_equal(reason_of("{\"events\":[", 11), "body: incomplete JSON");
	assert_non_null(strstr(reason_of("{\"events\" 1}", 12), "body: not JSON"));
	assert_non_null(strstr(reason_of("{\"events\":[1,]}", 14), "body: not JSON"));
	assert_non_null(strstr(reason_of("{} x", 4), "body: not JSON"));
	assert_string_equal(reason_of("{} \r\n", 5), "events: missing");
	assert_string_equal(reason_of("{\"a\":\"\xff\"}", 8), "body: not valid UTF-8 text");
	assert_string_equal(reason_of("{\"a\":\"\xd0\"}", 8), "body: not valid UTF-8 text");
	assert_string_equal(reason_of("{}\0{}", 5), "body: not valid UTF-8 text");
	/* Six levels where the contract has five (an unknown member counts too). */
	const char *deep = "{\"events\":[{\"perf\":[{\"x\":[]}]}]}";
	assert_non_null(strstr(reason_of(deep, strlen(deep)), "nesting too deep"));
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	assert_non_null(strstr(reason_of(b.data, b.len), "nesting too deep"));
	buf_reset(&b);
	buf_puts(&b, "{\"x\":\"");
	while (b.len < INGEST_BODY_MAX)
		buf_puts(&b, "0123456789abcdef");
	buf_puts(&b, "\"}");
	assert_non_null(strstr(reason_of(b.data, b.len), "more than 1048576"));
	buf_release(&b);
}

/* ---- the endpoint's settings ---- */

/* ingest_new() on the defaults but [ingest] listen, tls_cert and tls_key; its result, the reason in err. */
static int ingest_with(const char *listen, const char *cert, const char *key, char *err, size_t n)
{
	struct config cfg;
	struct ingest *in = NULL;
	char why[256];
	assert_int_equal(config_load(&cfg, NULL, why, sizeof(why)), 0);
	free(cfg.ingest_listen);
	free(cfg.ingest_tls_cert);
	free(cfg.ingest_tls_key);
	cfg.ingest_listen = xstrdup(listen);
	cfg.ingest_tls_cert = xstrdup(cert);
	cfg.ingest_tls_key = xstrdup(key);
	*err = '\0';
	int rc = ingest_new(&in, &cfg, err, n);
	if (!*listen)
		assert_null(in);
	ingest_free(in);
	config_release(&cfg);
	return rc;
}

static void test_ingest__listen_and_tls_settings_are_checked_before_serving(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(ingest_with("127.0.0.1:8461", "", "", err, sizeof(err)), 0);
	assert_int_equal(ingest_with("[::1]:8461", "", "", err, sizeof(err)), 0);
	assert_int_equal(ingest_with("", "", "", err, sizeof(err)), 0);  /* off */
	assert_int_equal(ingest_with("localhost:8461", "", "", err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "ingest.listen: 'localhost:8461' is not ADDRESS:PORT"));
	assert_int_equal(ingest_with("127.0.0.1", "", "", err, sizeof(err)), TD_EINVAL);
	assert_int_equal(ingest_with("127.0.0.1:0", "", "", err, sizeof(err)), TD_EINVAL);
	assert_int_equal(ingest_with("127.0.0.1:65536", "", "", err, sizeof(err)), TD_EINVAL);
	assert_int_equal(ingest_with("127.0.0.1:8461", "/x/cert.pem", "", err, sizeof(err)), TD_EINVAL);
	assert_string_equal(err, "ingest: tls_cert and tls_key go together");
	assert_int_equal(ingest_with("127.0.0.1:8461", "/nonexistent/cert.pem", "/nonexistent/key.pem",
				     err, sizeof(err)), TD_EINVAL);
	assert_non_null(strstr(err, "ingest.tls_cert: /nonexistent/cert.pem: No such file"));
}

/* ---- the token bucket ---- */

static void test_ingest__a_till_past_its_burst_waits_for_its_rate(void **state)
{
	(void)state;
	struct buckets *b = buckets_new(2, 3);  /* 2 a second, 3 at once */
	int wait = 0;
	for (int i = 0; i < 3; i++)
		assert_true(buckets_take(b, 7, 1000, &wait));
	assert_false(buckets_take(b, 7, 1000, &wait));
	assert_int_equal(wait, 1);
	/* Another till has its own bucket. */
	assert_true(buckets_take(b, 8, 1000, &wait));
	/* Half a second later, one token is back. */
	assert_true(buckets_take(b, 7, 1500, &wait));
	assert_false(buckets_take(b, 7, 1500, &wait));
	/* Many tills: the table grows and keeps each bucket. */
	for (int64_t t = 100; t < 1100; t++)
		assert_true(buckets_take(b, t, 2000, &wait));
	assert_true(buckets_take(b, 7, 3000, &wait));
	buckets_free(b);
	b = buckets_new(0.01, 1);  /* one a hundred seconds */
	assert_true(buckets_take(b, 1, 0, &wait));
	assert_false(buckets_take(b, 1, 0, &wait));
	assert_int_equal(wait, 100);
	buckets_free(b);
}

/* ---- storage ---- */

static char dir[] = "/tmp/tilldesk-ingest-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "ingest");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

/* A fresh database with one till (id in *till) whose token hashes to "h1". */
static struct db *db_with_till(const char *name, int64_t *till)
{
	char path[256], err[256];
	struct db *db;
	int64_t org, store;
	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	assert_int_equal(db_open(&db, path, err, sizeof(err)), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_org_add(db, &org, "Ромашка", "standard", NULL), 0);
	assert_int_equal(db_store_add(db, &store, org, "Ленина", "", "Europe/Moscow", "24/7"), 0);
	assert_int_equal(db_till_add(db, till, store, "Касса 1", "h1"), 0);
	assert_int_equal(db_commit(db), 0);
	return db;
}

static struct agent_event event(const char *id, enum agent_kind kind, const char *code,
				enum agent_status status, int64_t at)
{
	return (struct agent_event){ .id = id, .kind = kind, .check = "fn", .code = code,
				     .status = status, .message = "m", .observed_at = at };
}

static void store(struct db *db, int64_t till, const struct agent_event *ev, size_t n, int64_t now,
		  int want_accepted, int want_duplicate)
{
	int accepted, duplicate;
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_agent_store(db, till, ev, n, now, &accepted, &duplicate, NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(accepted, want_accepted);
	assert_int_equal(duplicate, want_duplicate);
}

static int state_text(const struct check_state_row *r, void *arg)
{
	struct buf *b = arg;
	buf_printf(b, "%s %s %s first=%lld last=%lld count=%lld;", r->check, r->code, r->status,
		   (long long)r->first_seen_at, (long long)r->last_seen_at, (long long)r->count);
	return 0;
}

static void assert_states(struct db *db, int64_t till, const char *want)
{
	struct buf b = BUF_INIT(1 << 16);
	assert_int_equal(db_check_state_list(db, till, state_text, &b), 0);
	assert_string_equal(buf_cstr(&b), want);
	buf_release(&b);
}

static int equipment_text(const struct equipment_row *r, void *arg)
{
	buf_printf(arg, "%s %s %s %s;", r->kind, r->model, r->serial, r->expires_on);
	return 0;
}

static void assert_equipment(struct db *db, int64_t till, const char *want)
{
	struct buf b = BUF_INIT(1 << 16);
	assert_int_equal(db_equipment_list(db, till, NULL, equipment_text, &b), 0);
	assert_string_equal(buf_cstr(&b), want);
	buf_release(&b);
}

/* The first number the query what gives on database name, read by the sqlite3 shell. */
static int64_t count(const char *name, const char *what)
{
	char path[256], cmd[512];
	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	snprintf(cmd, sizeof(cmd), "sqlite3 %s \"%s\"", path, what);
	FILE *p = popen(cmd, "r");
	long long n = -1;
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%lld", &n), 1);
	pclose(p);
	return n;
}

static void test_events__a_batch_sent_twice_is_stored_once(void **state)
{
	(void)state;
	int64_t till;
	struct db *db = db_with_till("store", &till);
	struct agent_event ev[] = {
		event("e1", AGENT_CHANGE, "fn.expiring", AGENT_WARNING, 100),
		event("e2", AGENT_HEARTBEAT, "fn.unsent", AGENT_OK, 100),
		event("e1", AGENT_CHANGE, "fn.expiring", AGENT_WARNING, 100),  /* twice in one batch */
	};
	store(db, till, ev, 3, 1000, 2, 1);
	store(db, till, ev, 3, 1001, 0, 3);
	assert_int_equal(count("store", "select count(*) from agent_events"), 2);
	/* A change keeps its message; a heartbeat leaves it to check_states. */
	assert_int_equal(count("store", "select count(*) from agent_events where message is null"), 1);
	assert_states(db, till, "fn fn.expiring warning first=100 last=100 count=1;"
				"fn fn.unsent ok first=100 last=100 count=1;");
	/* Heard at the first batch, and again at the repeat: the agent is alive. */
	assert_int_equal(count("store", "select last_seen_at from tills"), 1001);
	db_close(db);
}

static void test_events__check_state_follows_the_order_events_arrive_in(void **state)
{
	(void)state;
	int64_t till;
	struct db *db = db_with_till("states", &till);
	struct agent_event a[] = {
		event("1", AGENT_CHANGE, "fn.expiring", AGENT_WARNING, 100),
		event("2", AGENT_HEARTBEAT, "fn.expiring", AGENT_WARNING, 160),
	};
	store(db, till, a, 2, 200, 2, 0);
	assert_states(db, till, "fn fn.expiring warning first=100 last=160 count=2;");
	struct agent_event b[] = {
		event("3", AGENT_CHANGE, "fn.expiring", AGENT_CRITICAL, 220),
		/* The till's clock went back (a dead clock battery): still its newest state. */
		event("4", AGENT_CHANGE, "fn.expiring", AGENT_OK, 50),
	};
	store(db, till, b, 2, 300, 2, 0);
	assert_states(db, till, "fn fn.expiring ok first=50 last=50 count=1;");
	db_close(db);
}

static void test_events__reported_facts_keep_the_equipment_registry_current(void **state)
{
	(void)state;
	int64_t till, unit;
	struct db *db = db_with_till("facts", &till);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_equipment_add(db, &unit, till, "kkt", "АТОЛ 30Ф", "001", NULL), 0);
	assert_int_equal(db_commit(db), 0);
	struct agent_event e = event("1", AGENT_HEARTBEAT, "fn.expiring", AGENT_OK, 100);
	e.fn_serial = "7281440500123456";
	e.fn_valid_until = "2026-12-05";
	e.utm_rsa_until = "2027-01-01";
	store(db, till, &e, 1, 200, 1, 0);
	assert_equipment(db, till, "kkt АТОЛ 30Ф 001 ;fn  7281440500123456 2026-12-05;"
				   "key RSA  2027-01-01;");
	/* The next heartbeat repeats them: nothing new. A new drive takes the old one's row. */
	e.id = "2";
	e.utm_rsa_until = NULL;
	e.utm_gost_until = "2027-03-01";
	store(db, till, &e, 1, 260, 1, 0);
	e.id = "3";
	e.fn_serial = "9999078900001111";
	e.fn_valid_until = "2028-01-10";
	e.utm_gost_until = "not a date";
	store(db, till, &e, 1, 320, 1, 0);
	assert_equipment(db, till, "kkt АТОЛ 30Ф 001 ;fn  9999078900001111 2028-01-10;"
				   "key RSA  2027-01-01;key ГОСТ  2027-03-01;");
	db_close(db);
}

static void test_events__a_rotated_token_finds_the_till_and_the_old_one_nothing(void **state)
{
	(void)state;
	int64_t till, found;
	char hash[65];
	struct db *db = db_with_till("rotate", &till);
	assert_int_equal(db_agent_till(db, "h1", &found, hash), 0);
	assert_int_equal(found, till);
	assert_string_equal(hash, "h1");
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_till_set_token(db, till, "h2"), 0);
	assert_int_equal(db_till_set_token(db, till + 100, "h3"), TD_ENOTFOUND);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_agent_till(db, "h1", &found, hash), TD_ENOTFOUND);
	assert_int_equal(db_agent_till(db, "h2", &found, hash), 0);
	assert_int_equal(found, till);
	db_close(db);
}

static void test_events__old_heartbeats_are_pruned_and_changes_kept(void **state)
{
	(void)state;
	int64_t till;
	int deleted;
	struct db *db = db_with_till("prune", &till);
	struct agent_event ev[] = {
		event("1", AGENT_HEARTBEAT, "a", AGENT_OK, 1),
		event("2", AGENT_HEARTBEAT, "a", AGENT_OK, 2),
		event("3", AGENT_CHANGE, "a", AGENT_CRITICAL, 3),
	};
	store(db, till, ev, 3, 1000, 3, 0);
	store(db, till, (struct agent_event[]){ event("4", AGENT_HEARTBEAT, "a", AGENT_OK, 4) }, 1,
	      5000, 1, 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_agent_prune(db, 2000, 1, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(db_agent_prune(db, 2000, 100, &deleted), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(db_agent_prune(db, 2000, 100, &deleted), 0);
	assert_int_equal(deleted, 0);
	assert_int_equal(db_commit(db), 0);
	store(db, till, ev, 3, 6000, 2, 1);  /* past retention, a heartbeat is new again */
	db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ingest__a_good_batch_decodes_with_its_facts),
		cmocka_unit_test(test_ingest__optional_members_may_be_left_out),
		cmocka_unit_test(test_ingest__every_event_rule_refuses_with_its_field),
		cmocka_unit_test(test_ingest__data_and_perf_sizes_are_capped),
		cmocka_unit_test(test_ingest__the_batch_members_are_checked),
		cmocka_unit_test(test_ingest__malformed_deep_oversized_and_non_utf8_bodies_are_refused),
		cmocka_unit_test(test_ingest__listen_and_tls_settings_are_checked_before_serving),
		cmocka_unit_test(test_ingest__a_till_past_its_burst_waits_for_its_rate),
		cmocka_unit_test(test_events__a_batch_sent_twice_is_stored_once),
		cmocka_unit_test(test_events__check_state_follows_the_order_events_arrive_in),
		cmocka_unit_test(test_events__reported_facts_keep_the_equipment_registry_current),
		cmocka_unit_test(test_events__a_rotated_token_finds_the_till_and_the_old_one_nothing),
		cmocka_unit_test(test_events__old_heartbeats_are_pruned_and_changes_kept),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
