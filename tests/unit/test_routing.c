/*
 * Unit tests: routing. The knowledge base's categories and the [routing]
 * group of each (restated here: a change of kb/article.c's table that
 * sends a category's tickets elsewhere fails), the groups' stored names,
 * the config's [routing] keys, and which tickets each engineers' chat's
 * /queue lists. What the bot does with a route is in test_dialog.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <unistd.h>

#include "scratch.h"
#include "bot/dialog.h"
#include "core/config.h"
#include "kb/article.h"
#include "storage/ticket.h"

#define ENGINEERS (-100)
#define FISCAL (-300)
#define EGAIS (-400)

static const struct {
	const char *category, *group;
} expected[] = {
	{ "ФН", "fiscal" },
	{ "ОФД", "fiscal" },
	{ "смена", "fiscal" },
	{ "часы", "fiscal" },
	{ "УТМ/ЕГАИС", "egais" },
	{ "маркировка", "egais" },
	{ "сеть", "network" },
	{ "принтер", "hardware" },
	{ "связь с ККТ", "hardware" },
	{ "оборудование", "hardware" },
	{ "ПО кассы", "pos" },
};

static void test_routing__each_kb_category_has_its_group(void **state)
{
	(void)state;
	enum route_group g;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
		if (kb_category_route(&g, expected[i].category))
			fail_msg("category '%s' has no group", expected[i].category);
		assert_string_equal(route_group_name(g), expected[i].group);
	}
	/* And the table holds no category this test does not know. */
	for (const struct kb_category *c = kb_categories; c->name; c++)
		n++;
	assert_int_equal(n, ARRAY_SIZE(expected));
}

static void test_routing__an_unknown_category_has_no_group(void **state)
{
	(void)state;
	enum route_group g = ROUTE_POS;
	assert_int_equal(kb_category_route(&g, "кофеварка"), TD_ENOTFOUND);
	assert_int_equal(kb_category_route(&g, "фн"), TD_ENOTFOUND);
	assert_int_equal(kb_category_route(&g, ""), TD_ENOTFOUND);
	assert_int_equal(g, ROUTE_POS);
}

static void test_routing__group_names_are_the_config_keys(void **state)
{
	(void)state;
	static const char *const names[ROUTE_GROUP_COUNT] = { "fiscal", "egais", "network", "hardware", "pos" };
	enum route_group g;
	for (int i = 0; i < ROUTE_GROUP_COUNT; i++) {
		assert_string_equal(route_group_name((enum route_group)i), names[i]);
		assert_int_equal(route_group_parse(&g, names[i]), 0);
		assert_int_equal(g, i);
	}
	assert_int_equal(route_group_parse(&g, "Fiscal"), TD_EINVAL);
	assert_int_equal(route_group_parse(&g, ""), TD_EINVAL);
	assert_int_equal(route_group_parse(&g, NULL), TD_EINVAL);
}

/* ---- the config ---- */

static char dir[] = "/tmp/tilldesk-routing-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return scratch_make(dir, sizeof(dir), "routing");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_remove(dir);
}

/* Loads text as a config file; gives config_load()'s result and its error in err. */
static int load(struct config *cfg, const char *text, char *err, size_t n)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/tilldesk.ini", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return config_load(cfg, path, err, n);
}

static void test_routing__config_sets_each_groups_chat(void **state)
{
	(void)state;
	struct config cfg;
	char err[512];
	assert_int_equal(load(&cfg, "[telegram]\nengineers_chat = -100\n"
				    "[routing]\nfiscal = -300\negais = -400\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.tg_engineers_chat, ENGINEERS);
	assert_int_equal(cfg.route_chat[ROUTE_FISCAL], FISCAL);
	assert_int_equal(cfg.route_chat[ROUTE_EGAIS], EGAIS);
	assert_int_equal(cfg.route_chat[ROUTE_NETWORK], 0);
	assert_int_equal(cfg.route_chat[ROUTE_HARDWARE], 0);
	assert_int_equal(cfg.route_chat[ROUTE_POS], 0);
	config_release(&cfg);

	/* A typo is told with its file and line, like every other key's. */
	assert_int_equal(load(&cfg, "[routing]\nfiscal = -300\nfisacl = -301\n", err, sizeof(err)),
			 TD_EINVAL);
	if (!strstr(err, "tilldesk.ini:3: unknown key 'fisacl' in [routing]"))
		fail_msg("%s", err);
	assert_int_equal(load(&cfg, "[routing]\npos = кассиры\n", err, sizeof(err)), TD_EINVAL);
	if (!strstr(err, "tilldesk.ini:2:"))
		fail_msg("%s", err);
}

/* ---- which tickets a chat's /queue lists ---- */

/* The groups chat's /queue lists, as their names; "every ticket" when it lists all. */
static const char *queue_of(const struct dialog *d, int64_t chat, bool *except)
{
	static char names[64];
	struct ticket_routes r;
	size_t len = 0;
	if (!dialog_chat_routes(d, chat, &r))
		return "(every ticket)";
	*except = r.except;
	names[0] = '\0';
	for (int g = 0; g < ROUTE_GROUP_COUNT; g++)
		if (r.groups & 1u << g)
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? "," : "",
						route_group_name((enum route_group)g));
	return names;
}

static void test_routing__each_chat_queues_its_own_tickets_and_the_default_the_rest(void **state)
{
	(void)state;
	struct dialog d = { .engineers_chat = ENGINEERS };
	bool except;
	/* Nothing routed: the default chat lists every ticket. */
	assert_string_equal(queue_of(&d, ENGINEERS, &except), "(every ticket)");

	d.route_chats[ROUTE_FISCAL] = FISCAL;
	d.route_chats[ROUTE_EGAIS] = EGAIS;
	d.route_chats[ROUTE_NETWORK] = FISCAL;
	d.route_chats[ROUTE_POS] = ENGINEERS;  /* its own key, the default chat: the default's */
	assert_string_equal(queue_of(&d, FISCAL, &except), "fiscal,network");
	assert_false(except);
	assert_string_equal(queue_of(&d, EGAIS, &except), "egais");
	assert_false(except);
	assert_string_equal(queue_of(&d, ENGINEERS, &except), "fiscal,egais,network");
	assert_true(except);

	/* Each of them is an engineers' chat; no other chat, nor no chat, is. */
	assert_true(dialog_in_engineers_chat(&d, ENGINEERS));
	assert_true(dialog_in_engineers_chat(&d, FISCAL));
	assert_true(dialog_in_engineers_chat(&d, EGAIS));
	assert_false(dialog_in_engineers_chat(&d, -500));
	assert_false(dialog_in_engineers_chat(&d, 0));
	d.engineers_chat = 0;
	assert_false(dialog_in_engineers_chat(&d, 0));
	assert_true(dialog_in_engineers_chat(&d, FISCAL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routing__each_kb_category_has_its_group),
		cmocka_unit_test(test_routing__an_unknown_category_has_no_group),
		cmocka_unit_test(test_routing__group_names_are_the_config_keys),
		cmocka_unit_test_setup_teardown(test_routing__config_sets_each_groups_chat, setup, teardown),
		cmocka_unit_test(test_routing__each_chat_queues_its_own_tickets_and_the_default_the_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
