/*
 * Unit tests: the till agent's store and forward - the spool's bound and
 * what it drops (never a change), the batches it builds, ids that never
 * repeat, and the uploader's answers to the server (ack, 413, 400, 5xx,
 * Retry-After) and its backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/uploader.h"
#include "core/clock.h"
#include "core/json.h"
#include "storage/spool.h"

static char path[64];

static struct spool *fresh_spool(long long max)
{
	struct spool *sp;
	char err[256];
	snprintf(path, sizeof(path), "/tmp/tilldesk-spool-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	if (spool_open(&sp, path, max, 1764115200, err, sizeof(err)))
		fail_msg("%s", err);
	return sp;
}

static void remove_spool(struct spool *sp)
{
	char file[80];
	spool_close(sp);
	unlink(path);
	snprintf(file, sizeof(file), "%s-wal", path);
	unlink(file);
	snprintf(file, sizeof(file), "%s-shm", path);
	unlink(file);
}

/* Adds one event of kind whose code is code. */
static void add(struct spool *sp, enum spool_kind kind, const char *code)
{
	char json[128];
	snprintf(json, sizeof(json), "{\"kind\":\"%s\",\"code\":\"%s\"}",
		 kind == SPOOL_CHANGE ? "change" : "heartbeat", code);
	struct spool_item it = { kind, 1764115260, json };
	assert_int_equal(spool_add(sp, &it, 1), 0);
}

/* The batch's body parsed, its events array and the batch. */
static json_object *batch(struct spool *sp, size_t max, struct spool_batch *b)
{
	struct buf body = BUF_INIT(1 << 20);
	assert_int_equal(spool_batch(sp, max, "tilldesk-agent/test", b, &body), 0);
	json_object *o = b->n ? json_tokener_parse(buf_cstr(&body)) : NULL;
	if (b->n && !o)
		fail_msg("not JSON: %s", buf_cstr(&body));
	buf_release(&body);
	return o;
}

static const char *event_field(json_object *o, size_t i, const char *key)
{
	return json_get_str(json_object_array_get_idx(json_get_array(o, "events"), i), key);
}

static void test_agent_spool__a_full_spool_drops_the_oldest_heartbeat_never_a_change(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(100);
	struct spool_stats st;
	add(sp, SPOOL_CHANGE, "c.first");
	for (int i = 0; i < 99; i++)
		add(sp, i == 0 ? SPOOL_HEARTBEAT : SPOOL_CHANGE, i == 0 ? "h.oldest" : "c.more");
	/* Full with 99 changes and one heartbeat: the heartbeat goes for the new change. */
	add(sp, SPOOL_CHANGE, "c.new");
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 100);
	assert_int_equal(st.changes, 100);
	assert_int_equal(st.dropped, 1);
	/* No heartbeat left: a new heartbeat is the one dropped ... */
	add(sp, SPOOL_HEARTBEAT, "h.new");
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 100);
	assert_int_equal(st.dropped, 2);
	/* ... and a change is kept past the bound. */
	add(sp, SPOOL_CHANGE, "c.past");
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 101);
	assert_int_equal(st.changes, 101);
	remove_spool(sp);
}

static void test_agent_spool__drops_are_reported_in_the_next_batch_and_cleared_by_its_ack(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(100);
	struct spool_batch b;
	for (int i = 0; i < 103; i++)
		add(sp, SPOOL_HEARTBEAT, "h");
	json_object *o = batch(sp, 500, &b);
	int64_t dropped;
	assert_true(json_get_int(o, "dropped", &dropped));
	assert_int_equal(dropped, 3);
	assert_int_equal(b.n, 100);
	/* The oldest three went: the first kept is the fourth added. */
	assert_string_equal(event_field(o, 0, "id"), "1764115200-000004");
	json_object_put(o);
	/* One more dropped while the batch was out: it stays owed. */
	add(sp, SPOOL_HEARTBEAT, "h");
	assert_int_equal(spool_ack(sp, &b), 0);
	o = batch(sp, 500, &b);
	assert_true(json_get_int(o, "dropped", &dropped));
	assert_int_equal(dropped, 1);
	assert_int_equal(b.n, 1);
	json_object_put(o);
	remove_spool(sp);
}

static void test_agent_spool__a_batch_is_the_oldest_events_in_the_api_shape(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	struct spool_batch b;
	for (int i = 0; i < 1200; i++)
		add(sp, i % 2 ? SPOOL_HEARTBEAT : SPOOL_CHANGE, "fn.expiring");
	json_object *o = batch(sp, 500, &b);
	assert_int_equal(b.n, 500);
	assert_string_equal(json_get_str(o, "agent"), "tilldesk-agent/test");
	assert_string_equal(json_get_str(o, "boot"), "1764115200");
	assert_int_equal(json_object_array_length(json_get_array(o, "events")), 500);
	assert_string_equal(event_field(o, 0, "id"), "1764115200-000001");
	assert_string_equal(event_field(o, 0, "kind"), "change");
	assert_string_equal(event_field(o, 1, "kind"), "heartbeat");
	assert_string_equal(event_field(o, 499, "id"), "1764115200-000500");
	assert_string_equal(event_field(o, 0, "code"), "fn.expiring");
	json_object_put(o);
	/* Until acknowledged, the same batch again, same ids. */
	o = batch(sp, 500, &b);
	assert_string_equal(event_field(o, 0, "id"), "1764115200-000001");
	json_object_put(o);
	assert_int_equal(spool_ack(sp, &b), 0);
	o = batch(sp, 500, &b);
	assert_string_equal(event_field(o, 0, "id"), "1764115200-000501");
	json_object_put(o);
	remove_spool(sp);
}

static void test_agent_spool__ids_never_repeat_across_acks_and_reopening(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(1000);
	struct spool_batch b;
	char err[256];
	add(sp, SPOOL_CHANGE, "a");
	add(sp, SPOOL_CHANGE, "b");
	json_object_put(batch(sp, 500, &b));
	assert_int_equal(spool_ack(sp, &b), 0);
	spool_close(sp);
	/* Reopened later (the agent restarted): the boot is the file's, the sequence goes on. */
	assert_int_equal(spool_open(&sp, path, 1000, 1799999999, err, sizeof(err)), 0);
	add(sp, SPOOL_CHANGE, "c");
	json_object *o = batch(sp, 500, &b);
	assert_string_equal(event_field(o, 0, "id"), "1764115200-000003");
	json_object_put(o);
	remove_spool(sp);
}

static void test_agent__every_string_of_an_event_is_one_line_of_utf8_within_the_contract(void **state)
{
	(void)state;
	struct check_results rs = { 0 };
	struct buf out = BUF_INIT(1 << 20);
	char long_value[400];
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	/* A vendor tool's serial with bytes that start no character, a key too. */
	struct check_result *r = check_add(&rs, "fn", "fn.ok", CHECK_OK, "ok");
	check_detail(r, "fn.serial", "%s", "\xff\xfe" "9287\n0001");
	check_detail(r, "bad\x80key", "%s", "v");
	check_detail(r, "long", "%s", long_value);
	/* 300 two-byte letters: past 512 bytes, cut at a whole character. */
	free(r->summary);
	r->summary = xcalloc(601, 1);
	for (int i = 0; i < 300; i++)
		memcpy(r->summary + 2 * i, "\xD1\x8F", 2);
	assert_int_equal(agent_event_json(r, SPOOL_CHANGE, 1764115300, &out), 0);
	assert_true(utf8_valid(out.data, out.len));
	json_object *o = json_tokener_parse(buf_cstr(&out));
	assert_non_null(o);
	json_object *data = json_get_obj(o, "data");
	assert_string_equal(json_get_str(data, "fn.serial"), "\xEF\xBF\xBD\xEF\xBF\xBD" "9287 0001");
	assert_string_equal(json_get_str(data, "bad\xEF\xBF\xBDkey"), "v");
	assert_int_equal(strlen(json_get_str(data, "long")), 256);
	assert_int_equal(strlen(json_get_str(o, "message")), 512);
	json_object_put(o);
	buf_release(&out);
	check_results_release(&rs);
}

/* The kinds of the events one pass with these states of fn.x and fn.y stores. */
static void pass_kinds(struct agent *a, struct spool *sp, enum check_state x, enum check_state y,
		       char *out, size_t n)
{
	struct check_results rs = { 0 };
	struct spool_batch b;
	size_t changes;
	check_add(&rs, "fn", "fn.x", x, "x");
	check_add(&rs, "fn", "fn.y", y, "y");
	assert_int_equal(agent_store(a, &rs, 1764115300, sp, &changes), 0);
	check_results_release(&rs);
	json_object *o = batch(sp, 500, &b);
	snprintf(out, n, "%s %s", event_field(o, 0, "kind"), event_field(o, 1, "kind"));
	assert_int_equal(spool_ack(sp, &b), 0);
	json_object_put(o);
}

static void test_agent__the_first_pass_and_a_new_state_are_changes_the_rest_heartbeats(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(1000);
	struct agent_config cfg = { .state_dir = "/tmp", .fsrar_id = "" };
	struct agent a;
	char kinds[64];
	agent_init(&a, &cfg);
	pass_kinds(&a, sp, CHECK_OK, CHECK_OK, kinds, sizeof(kinds));
	assert_string_equal(kinds, "change change");
	pass_kinds(&a, sp, CHECK_OK, CHECK_OK, kinds, sizeof(kinds));
	assert_string_equal(kinds, "heartbeat heartbeat");
	pass_kinds(&a, sp, CHECK_OK, CHECK_WARNING, kinds, sizeof(kinds));
	assert_string_equal(kinds, "heartbeat change");
	pass_kinds(&a, sp, CHECK_OK, CHECK_WARNING, kinds, sizeof(kinds));
	assert_string_equal(kinds, "heartbeat heartbeat");
	agent_release(&a);
	remove_spool(sp);
}

/* ---- the uploader, its server faked ---- */

struct fake_server {
	long status[8];       /* answers in turn; the last repeats */
	long retry_after;
	size_t calls, n_status;
	size_t events[8];     /* events in each batch it got */
	int64_t server_time;
	const char *bad_code;  /* set: a batch holding an event of this code gets a 400 naming it */
	size_t bad_until;      /* not 0: only in the calls before this one */
};

/* The index of the first event of code in the batch o, or -1. */
static long index_of_code(json_object *o, const char *code)
{
	json_object *events = json_get_array(o, "events");
	for (size_t i = 0; code && i < json_object_array_length(events); i++) {
		const char *c = json_get_str(json_object_array_get_idx(events, i), "code");
		if (c && !strcmp(c, code))
			return (long)i;
	}
	return -1;
}

static int fake_post(void *arg, const char *body, size_t len, struct http_response *resp)
{
	struct fake_server *f = arg;
	json_object *o = json_tokener_parse(body);
	(void)len;
	size_t i = f->calls < f->n_status ? f->calls : f->n_status - 1;
	long bad = f->bad_until && f->calls >= f->bad_until ? -1 : index_of_code(o, f->bad_code);
	if (f->calls < ARRAY_SIZE(f->events))
		f->events[f->calls] = json_object_array_length(json_get_array(o, "events"));
	json_object_put(o);
	f->calls++;
	if (bad >= 0) {
		resp->status = 400;
		buf_printf(&resp->body, "{\"error\": \"events[%ld].message: not valid UTF-8\"}", bad);
		return 0;
	}
	if (f->status[i] < 0)
		return TD_ERR;  /* no answer: the network */
	resp->status = f->status[i];
	resp->retry_after = f->retry_after;
	if (resp->status == 200)
		buf_printf(&resp->body, "{\"accepted\": 1, \"duplicate\": 0, \"server_time\": %lld}",
			   (long long)f->server_time);
	else if (resp->status == 400)
		buf_puts(&resp->body, "{\"error\": \"dropped: not an integer\"}");
	return 0;
}

static void fake_uploader(struct uploader *u, struct fake_server *f)
{
	uploader_init(u, "http://127.0.0.1:1/", "secret-token", 1000, 300 * 1000);
	u->post = fake_post;
	u->post_arg = f;
}

static void test_agent_uploader__a_200_removes_the_batch_and_gives_the_server_time(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	struct fake_server f = { .status = { 200 }, .n_status = 1 };
	struct uploader u;
	struct spool_stats st;
	clock_set(1800000000);
	f.server_time = 1800000000LL * 1000 + 90 * 1000;  /* the server is 90 s ahead */
	for (int i = 0; i < 1100; i++)
		add(sp, SPOOL_HEARTBEAT, "h");
	fake_uploader(&u, &f);
	assert_string_equal(u.url, "http://127.0.0.1:1/api/v1/events");
	assert_int_equal(uploader_drain(&u, sp, false, NULL), 0);
	assert_int_equal(f.calls, 3);
	assert_int_equal(f.events[0], 500);
	assert_int_equal(f.events[2], 100);
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 0);
	assert_true(u.skew_known);
	assert_int_equal(u.skew_ms, 90 * 1000);
	uploader_release(&u);
	clock_set(0);
	remove_spool(sp);
}

static void test_agent_uploader__a_413_halves_the_batch(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	struct fake_server f = { .status = { 413, 413, 200 }, .n_status = 3 };
	struct uploader u;
	for (int i = 0; i < 300; i++)
		add(sp, SPOOL_CHANGE, "c");
	fake_uploader(&u, &f);
	assert_int_equal(uploader_drain(&u, sp, false, NULL), 0);
	assert_int_equal(f.events[0], 300);
	assert_int_equal(f.events[1], 150);
	assert_int_equal(f.events[2], 75);
	/* Each 200 grows it back: 150 of the 225 left, then the last 75. */
	assert_int_equal(f.events[3], 150);
	assert_int_equal(f.events[4], 75);
	assert_int_equal(f.calls, 5);
	uploader_release(&u);
	remove_spool(sp);
}

static void test_agent_uploader__refusals_and_outages_keep_the_events_and_back_off(void **state)
{
	(void)state;
	long answers[] = { 401, 500, 503, -1 };  /* 400: see the tests below */
	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		struct spool *sp = fresh_spool(50000);
		struct fake_server f = { .status = { answers[i] }, .n_status = 1 };
		struct uploader u;
		struct spool_stats st;
		add(sp, SPOOL_CHANGE, "c");
		fake_uploader(&u, &f);
		assert_int_equal(uploader_drain(&u, sp, false, NULL), TD_EBUSY);
		assert_int_equal(f.calls, 1);
		assert_int_equal(spool_stats(sp, &st), 0);
		assert_int_equal(st.events, 1);
		assert_int_equal(u.failures, 1);
		assert_true(u.next_try_ms > clock_mono_ms());
		/* Not before the backoff is over ... */
		assert_int_equal(uploader_drain(&u, sp, false, NULL), TD_EBUSY);
		assert_int_equal(f.calls, 1);
		/* ... unless a fresh change forces one try. */
		assert_int_equal(uploader_drain(&u, sp, true, NULL), TD_EBUSY);
		assert_int_equal(f.calls, 2);
		assert_int_equal(u.failures, 2);
		uploader_release(&u);
		remove_spool(sp);
	}
}

static void test_agent_uploader__a_400_is_kept_once_then_the_named_event_is_set_aside(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	struct fake_server f = { .status = { 200 }, .n_status = 1, .bad_code = "fn.bad" };
	struct uploader u;
	struct spool_stats st;
	add(sp, SPOOL_CHANGE, "c.0");
	add(sp, SPOOL_CHANGE, "c.1");
	add(sp, SPOOL_CHANGE, "fn.bad");
	add(sp, SPOOL_CHANGE, "c.3");
	add(sp, SPOOL_CHANGE, "c.4");
	fake_uploader(&u, &f);
	/* The first refusal: kept whole, retried after a backoff. */
	assert_int_equal(uploader_drain(&u, sp, false, NULL), TD_EBUSY);
	assert_int_equal(f.calls, 1);
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 5);
	assert_int_equal(st.refused, 0);
	/* The same refusal again: one at a time, the named one set aside, the rest sent. */
	assert_int_equal(uploader_drain(&u, sp, true, NULL), 0);
	assert_int_equal(f.calls, 6);
	assert_int_equal(f.events[1], 5);
	assert_int_equal(f.events[2], 1);
	assert_int_equal(f.events[3], 1);
	assert_int_equal(f.events[4], 1);
	assert_int_equal(f.events[5], 2);  /* past it, whole batches again */
	assert_int_equal(u.set_aside, 1);
	assert_int_equal(u.sent, 4);
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.refused, 1);
	/* Never sent again: a new event goes alone. */
	add(sp, SPOOL_CHANGE, "c.5");
	assert_int_equal(uploader_drain(&u, sp, true, NULL), 0);
	assert_int_equal(f.calls, 7);
	assert_int_equal(f.events[6], 1);
	uploader_release(&u);
	remove_spool(sp);
}

static void test_agent_uploader__after_the_named_event_passes_whole_batches_go_again(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	/* The server refuses twice, then takes the event it named after all. */
	struct fake_server f = { .status = { 200 }, .n_status = 1, .bad_code = "fn.bad", .bad_until = 2 };
	struct uploader u;
	struct spool_stats st;
	add(sp, SPOOL_CHANGE, "c.0");
	add(sp, SPOOL_CHANGE, "c.1");
	add(sp, SPOOL_CHANGE, "fn.bad");
	add(sp, SPOOL_CHANGE, "c.3");
	add(sp, SPOOL_CHANGE, "c.4");
	fake_uploader(&u, &f);
	assert_int_equal(uploader_drain(&u, sp, false, NULL), TD_EBUSY);
	assert_int_equal(uploader_drain(&u, sp, true, NULL), 0);
	assert_int_equal(f.calls, 6);
	assert_int_equal(f.events[4], 1);  /* events[2], sent alone, taken */
	assert_int_equal(f.events[5], 2);
	assert_int_equal(u.set_aside, 0);
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.refused, 0);
	uploader_release(&u);
	remove_spool(sp);
}

static void test_agent_uploader__a_400_that_names_no_event_keeps_the_batch(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	struct fake_server f = { .status = { 400 }, .n_status = 1 };
	struct uploader u;
	struct spool_stats st;
	add(sp, SPOOL_CHANGE, "c.0");
	add(sp, SPOOL_CHANGE, "c.1");
	fake_uploader(&u, &f);
	for (int i = 0; i < 3; i++)
		assert_int_equal(uploader_drain(&u, sp, true, NULL), TD_EBUSY);
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 2);
	assert_int_equal(st.refused, 0);
	uploader_release(&u);
	remove_spool(sp);
}

static int collect_refused(void *arg, const char *id, enum spool_kind kind, const char *json,
			   const char *reason)
{
	struct buf *out = arg;
	(void)kind;
	buf_printf(out, "%s %s %s;", id, json, reason ? reason : "(none)");
	return 0;
}

static void test_agent_spool__a_refused_event_is_kept_aside_never_batched_and_survives_reopening(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(1000);
	struct spool_batch b;
	struct spool_stats st;
	struct buf shown = BUF_INIT(4096);
	char err[256];
	add(sp, SPOOL_CHANGE, "a");
	add(sp, SPOOL_CHANGE, "bad");
	add(sp, SPOOL_CHANGE, "c");
	assert_int_equal(spool_refuse(sp, 2, "events[0].message: not valid UTF-8"), 0);
	json_object *o = batch(sp, 500, &b);
	assert_int_equal(b.n, 2);
	assert_string_equal(event_field(o, 0, "code"), "a");
	assert_string_equal(event_field(o, 1, "code"), "c");
	json_object_put(o);
	/* Acknowledging the batch around it leaves it. */
	assert_int_equal(spool_ack(sp, &b), 0);
	spool_close(sp);
	assert_int_equal(spool_open(&sp, path, 1000, 1799999999, err, sizeof(err)), 0);
	assert_int_equal(spool_stats(sp, &st), 0);
	assert_int_equal(st.events, 0);
	assert_int_equal(st.refused, 1);
	assert_int_equal(spool_each(sp, 20, true, collect_refused, &shown), 0);
	assert_string_equal(buf_cstr(&shown), "1764115200-000002 {\"kind\":\"change\",\"code\":\"bad\"}"
			    " events[0].message: not valid UTF-8;");
	json_object_put(batch(sp, 500, &b));
	assert_int_equal(b.n, 0);
	buf_release(&shown);
	remove_spool(sp);
}

static void test_agent_uploader__retry_after_is_honoured(void **state)
{
	(void)state;
	struct spool *sp = fresh_spool(50000);
	struct fake_server f = { .status = { 429 }, .n_status = 1, .retry_after = 42 };
	struct uploader u;
	add(sp, SPOOL_CHANGE, "c");
	fake_uploader(&u, &f);
	int64_t t0 = clock_mono_ms();
	assert_int_equal(uploader_drain(&u, sp, false, NULL), TD_EBUSY);
	assert_true(u.next_try_ms - t0 >= 42 * 1000);
	assert_true(u.next_try_ms - t0 < 43 * 1000);
	uploader_release(&u);
	remove_spool(sp);
}

static void test_agent_uploader__backoff_doubles_with_jitter_up_to_its_cap(void **state)
{
	(void)state;
	/* Without jitter (rnd 0) the lower half of each step; rnd moves it up to the step. */
	assert_int_equal(uploader_backoff_ms(1, 0, 300000, 0), 500);
	assert_int_equal(uploader_backoff_ms(1, 0, 300000, 500), 1000);
	assert_int_equal(uploader_backoff_ms(2, 0, 300000, 0), 1000);
	assert_int_equal(uploader_backoff_ms(4, 0, 300000, 0), 4000);
	assert_int_equal(uploader_backoff_ms(9, 0, 300000, 0), 128000);
	assert_int_equal(uploader_backoff_ms(10, 0, 300000, 0), 150000);
	assert_int_equal(uploader_backoff_ms(50, 0, 300000, 150000), 300000);
	for (uint32_t r = 0; r < 100000; r += 7919) {
		int64_t w = uploader_backoff_ms(30, 0, 300000, r);
		assert_true(w >= 150000 && w <= 300000);
	}
	/* A longer Retry-After wins; a shorter one does not cut the backoff. */
	assert_int_equal(uploader_backoff_ms(1, 30, 300000, 0), 30000);
	assert_int_equal(uploader_backoff_ms(10, 2, 300000, 0), 150000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agent_spool__a_full_spool_drops_the_oldest_heartbeat_never_a_change),
		cmocka_unit_test(test_agent_spool__drops_are_reported_in_the_next_batch_and_cleared_by_its_ack),
		cmocka_unit_test(test_agent_spool__a_batch_is_the_oldest_events_in_the_api_shape),
		cmocka_unit_test(test_agent_spool__ids_never_repeat_across_acks_and_reopening),
		cmocka_unit_test(test_agent__the_first_pass_and_a_new_state_are_changes_the_rest_heartbeats),
		cmocka_unit_test(test_agent__every_string_of_an_event_is_one_line_of_utf8_within_the_contract),
		cmocka_unit_test(test_agent_uploader__a_200_removes_the_batch_and_gives_the_server_time),
		cmocka_unit_test(test_agent_uploader__a_413_halves_the_batch),
		cmocka_unit_test(test_agent_uploader__refusals_and_outages_keep_the_events_and_back_off),
		cmocka_unit_test(test_agent_uploader__a_400_is_kept_once_then_the_named_event_is_set_aside),
		cmocka_unit_test(test_agent_uploader__after_the_named_event_passes_whole_batches_go_again),
		cmocka_unit_test(test_agent_uploader__a_400_that_names_no_event_keeps_the_batch),
		cmocka_unit_test(test_agent_spool__a_refused_event_is_kept_aside_never_batched_and_survives_reopening),
		cmocka_unit_test(test_agent_uploader__retry_after_is_honoured),
		cmocka_unit_test(test_agent_uploader__backoff_doubles_with_jitter_up_to_its_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
