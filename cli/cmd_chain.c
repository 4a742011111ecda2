/*
 * cmd_chain.c - org, store, till, equipment, invite and person: describing
 * a client's retail chain and who may use the bot.
 */
#include <getopt.h>
#include <unistd.h>

#include "bot/dialog.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/hours.h"
#include "core/token.h"
#include "core/tz.h"
#include "storage/chain.h"
#include "storage/digest.h"
#include "storage/events.h"
#include "storage/outbox.h"

#define NAME_MAX_BYTES 200
#define ADDRESS_MAX_BYTES 500
#define OWNERS_MAX 16

static bool tier_valid(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* ---- org ---- */

struct org_args {
	const char *tier;
	const char *owners[OWNERS_MAX + 1];
	size_t n_owners;
	int tell_store;   /* -1: not given */
	const char *timezone;  /* the digest's zone; NULL: not given */
};

static int yes_no(struct cli *c, int *out, const char *val)
{
	if (strcmp(val, "yes") && strcmp(val, "no"))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_YES_NO, val);
	*out = !strcmp(val, "yes");
	return 0;
}

static int org_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct org_args *a = arg;
	switch (opt) {
	case 's':
		return yes_no(c, &a->tell_store, val);
	case 'z':
		if (!tz_valid(val))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_TZ, val);
		a->timezone = val;
		return 0;
	case 't':
		if (!tier_valid(val))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_TIER, val);
		a->tier = val;
		return 0;
	case 'o':
		if (!cli_email_valid(val))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_EMAIL, val);
		if (a->n_owners == OWNERS_MAX)
			return cli_fail(c, EXIT_USAGE, MSG_CLI_TOO_MANY_OWNERS, OWNERS_MAX);
		a->owners[a->n_owners++] = val;
		return 0;
	}
	return EXIT_USAGE;
}

static int org_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tier", required_argument, NULL, 't' },
		{ "owner", required_argument, NULL, 'o' },
		{ "tell-store", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct org_args a = { .tier = "standard", .tell_store = -1 };
	bool done;
	int64_t id;
	int rc = cli_options(c, &argc, &argv, "t:o:s:h", opts, MSG_HELP_ORG_ADD, org_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1)
		return cli_usage(c, MSG_HELP_ORG_ADD, false);
	if ((rc = cli_check_text(c, MSG_NOUN_ORG, argv[0], NAME_MAX_BYTES)) || (rc = cli_begin(c)))
		return rc;
	rc = db_org_add(c->db, &id, argv[0], a.tier, a.owners);
	if (!rc && a.tell_store == 1)
		rc = db_org_set_tell_store(c->db, id, true);
	if (rc == TD_EEXISTS)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_ORG_EXISTS, argv[0]);
	else if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_say(c, MSG_CLI_ORG_ADDED, (long long)id, argv[0], a.tier);
	if (a.tell_store == 1)
		cli_say(c, MSG_CLI_ORG_TELL_STORE, (long long)id, msg(MSG_CLI_YES));
	return EXIT_OK;
}

/* org set ORG [--tell-store yes|no] [--timezone ZONE] */
static int org_set(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tell-store", required_argument, NULL, 's' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct org_args a = { .tell_store = -1 };
	bool done;
	int64_t id;
	int rc = cli_options(c, &argc, &argv, "s:z:h", opts, MSG_HELP_ORG_SET, org_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1 || (a.tell_store < 0 && !a.timezone))
		return cli_usage(c, MSG_HELP_ORG_SET, false);
	if ((rc = cli_begin(c)))
		return rc;
	if ((rc = cli_found(c, db_org_find(c->db, &id, argv[0]), MSG_NOUN_ORG, argv[0])))
		return cli_finish(c, rc);
	if ((a.tell_store >= 0 && db_org_set_tell_store(c->db, id, a.tell_store)) ||
	    (a.timezone && db_org_set_zone(c->db, id, a.timezone)))
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	if (a.tell_store >= 0)
		cli_say(c, MSG_CLI_ORG_TELL_STORE, (long long)id,
			msg(a.tell_store ? MSG_CLI_YES : MSG_CLI_NO));
	if (a.timezone)
		cli_say(c, MSG_CLI_ORG_TIMEZONE, (long long)id, a.timezone);
	return EXIT_OK;
}

static const int org_cols[] = { 4, 30, 10, 8, 14, 0 };

static int print_org(const struct org_row *r, void *arg)
{
	struct cli *c = arg;
	char id[24], stores[24];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(stores, sizeof(stores), "%lld", (long long)r->stores);
	cli_row(c, org_cols, ARRAY_SIZE(org_cols),
		(const char *[]){ id, r->name, r->tier, stores,
				  msg(r->tell_store ? MSG_CLI_YES : MSG_CLI_NO), r->owners });
	return 0;
}

static int org_list(struct cli *c, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage(c, MSG_HELP_ORG_LIST, argc == 2 && (!strcmp(argv[1], "-h") ||
								   !strcmp(argv[1], "--help")));
	if (!cli_db(c))
		return EXIT_FAIL;
	cli_header(c, org_cols, ARRAY_SIZE(org_cols), MSG_CLI_ORG_HEADER);
	return db_org_list(c->db, print_org, c) ? EXIT_FAIL : EXIT_OK;
}

int cmd_org(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", org_add }, { "set", org_set }, { "list", org_list }, { "owner", cmd_org_owner },
		{ NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_ORG);
}

/* ---- store ---- */

struct store_args {
	const char *org, *tz, *hours, *address, *email;
};

static int store_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct store_args *a = arg;
	(void)c;
	switch (opt) {
	case 'o': a->org = val; return 0;
	case 'z': a->tz = val; return 0;
	case 'H': a->hours = val; return 0;
	case 'a': a->address = val; return 0;
	case 'e': a->email = val; return 0;
	}
	return EXIT_USAGE;
}

static const struct option store_opts[] = {
	{ "org", required_argument, NULL, 'o' },
	{ "tz", required_argument, NULL, 'z' },
	{ "hours", required_argument, NULL, 'H' },
	{ "address", required_argument, NULL, 'a' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int store_add(struct cli *c, int argc, char **argv)
{
	struct store_args a = { 0 };
	struct hours hours;
	char hours_text[512], why[256];
	int64_t org_id, id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:z:H:a:h", store_opts, MSG_HELP_STORE_ADD,
			     store_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1 || !a.org || !a.tz || !a.hours)
		return cli_usage(c, MSG_HELP_STORE_ADD, false);
	if ((rc = cli_check_text(c, MSG_NOUN_STORE, argv[0], NAME_MAX_BYTES)))
		return rc;
	if (a.address && *a.address && (rc = cli_check_text(c, MSG_NOUN_ADDRESS, a.address,
							     ADDRESS_MAX_BYTES)))
		return rc;
	if (!tz_valid(a.tz))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_TZ, a.tz);
	if (hours_parse(&hours, a.hours, why, sizeof(why)))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_HOURS, a.hours, why);
	hours_format(&hours, hours_text, sizeof(hours_text));
	if (!cli_db(c) || (rc = cli_found(c, db_org_find(c->db, &org_id, a.org), MSG_NOUN_ORG, a.org)))
		return rc ? rc : EXIT_FAIL;
	if ((rc = cli_begin(c)))
		return rc;
	rc = db_store_add(c->db, &id, org_id, argv[0], a.address, a.tz, hours_text);
	if (rc == TD_EEXISTS)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_STORE_EXISTS, argv[0]);
	else if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_say(c, MSG_CLI_STORE_ADDED, (long long)id, argv[0], a.tz, hours_text);
	return EXIT_OK;
}

static const int store_cols[] = { 4, 16, 22, 18, 5, 24, 30, 0 };

static int print_store(const struct store_row *r, void *arg)
{
	struct cli *c = arg;
	char id[24], tills[24];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(tills, sizeof(tills), "%lld", (long long)r->tills);
	cli_row(c, store_cols, ARRAY_SIZE(store_cols),
		(const char *[]){ id, r->org, r->name, r->timezone, tills, *r->email ? r->email : "-",
				  r->address, r->hours });
	return 0;
}

static int store_list(struct cli *c, int argc, char **argv)
{
	struct store_args a = { 0 };
	int64_t org_id = 0;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:h", store_opts, MSG_HELP_STORE_LIST, store_opt,
			     &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0 || a.tz || a.hours || a.address)
		return cli_usage(c, MSG_HELP_STORE_LIST, false);
	if (!cli_db(c))
		return EXIT_FAIL;
	if (a.org && (rc = cli_found(c, db_org_find(c->db, &org_id, a.org), MSG_NOUN_ORG, a.org)))
		return rc;
	cli_header(c, store_cols, ARRAY_SIZE(store_cols), MSG_CLI_STORE_HEADER);
	return db_store_list(c->db, org_id, print_store, c) ? EXIT_FAIL : EXIT_OK;
}

/*
 * An address given to --email: lower-case into out (n bytes), "" for
 * "none" when none_ok. 0, or the usage failure reported.
 */
static int email_arg(struct cli *c, const char *val, bool none_ok, char *out, size_t n)
{
	if (none_ok && !strcmp(val, "none")) {
		*out = '\0';
		return 0;
	}
	size_t len = strlen(val);
	if (len >= n || !cli_email_valid(val))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_EMAIL, val);
	for (size_t i = 0; i <= len; i++)
		out[i] = (char)(val[i] >= 'A' && val[i] <= 'Z' ? val[i] - 'A' + 'a' : val[i]);
	return 0;
}

/*
 * Saves email ("": none) as the address of row id (called name) with
 * save, in one transaction, and says what was done.
 */
static int email_save(struct cli *c, int (*save)(struct db *, int64_t, const char *), int64_t id,
		      const char *name, const char *email, enum msg_id said_set, enum msg_id said_cleared)
{
	int rc = cli_begin(c);
	if (rc)
		return rc;
	rc = save(c->db, id, *email ? email : NULL);
	if (rc == TD_EEXISTS)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_EMAIL_TAKEN, email);
	else if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	if (*email)
		cli_say(c, said_set, (long long)id, name, email);
	else
		cli_say(c, said_cleared, (long long)id, name);
	return EXIT_OK;
}

/* store set STORE --email ADDR|none: the store's own address; its letters are the store's. */
static int store_set(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "email", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_args a = { 0 };
	char email[256];
	int64_t org_id = 0, id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:e:h", opts, MSG_HELP_STORE_SET, store_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1 || !a.email || a.tz || a.hours || a.address)
		return cli_usage(c, MSG_HELP_STORE_SET, false);
	if ((rc = email_arg(c, a.email, true, email, sizeof(email))))
		return rc;
	if (!cli_db(c))
		return EXIT_FAIL;
	if ((a.org && (rc = cli_found(c, db_org_find(c->db, &org_id, a.org), MSG_NOUN_ORG, a.org))) ||
	    (rc = cli_found(c, db_store_find(c->db, &id, org_id, argv[0]), MSG_NOUN_STORE, argv[0])))
		return rc;
	return email_save(c, db_store_set_email, id, argv[0], email, MSG_CLI_STORE_EMAIL_SET,
			  MSG_CLI_STORE_EMAIL_CLEARED);
}

int cmd_store(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", store_add }, { "list", store_list }, { "set", store_set }, { NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_STORE);
}

/* ---- till ---- */

struct place_args {
	const char *org, *store, *till;
};

static int place_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct place_args *a = arg;
	(void)c;
	switch (opt) {
	case 'o': a->org = val; return 0;
	case 's': a->store = val; return 0;
	case 't': a->till = val; return 0;
	}
	return EXIT_USAGE;
}

static const struct option place_opts[] = {
	{ "org", required_argument, NULL, 'o' },
	{ "store", required_argument, NULL, 's' },
	{ "till", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Resolves --org / --store / --till given in a; ids stay 0 when not given. */
static int find_place(struct cli *c, const struct place_args *a, int64_t *org_id,
		      int64_t *store_id, int64_t *till_id)
{
	int rc = 0;
	*org_id = *store_id = 0;
	if (till_id)
		*till_id = 0;
	if (!cli_db(c))
		return EXIT_FAIL;
	if (a->org && (rc = cli_found(c, db_org_find(c->db, org_id, a->org), MSG_NOUN_ORG, a->org)))
		return rc;
	if (a->store && (rc = cli_found(c, db_store_find(c->db, store_id, *org_id, a->store),
					MSG_NOUN_STORE, a->store)))
		return rc;
	if (till_id && a->till && (rc = cli_found(c, db_till_find(c->db, till_id, *store_id, a->till),
						  MSG_NOUN_TILL, a->till)))
		return rc;
	return 0;
}

/* The till a new agent token is for: store_id and name to add one, id to rotate one's token. */
struct till_key {
	int64_t store_id, id;
	const char *name;
};

static int till_insert(struct cli *c, struct till_key *t, const char *hash)
{
	int rc = db_till_add(c->db, &t->id, t->store_id, t->name, hash);
	if (rc == TD_EEXISTS)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_TILL_EXISTS, t->name);
	return rc ? cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db)) : 0;
}

static int till_rekey(struct cli *c, struct till_key *t, const char *hash)
{
	int rc = db_till_set_token(c->db, t->id, hash);
	return rc ? cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db)) : 0;
}

/*
 * Makes an agent token, has store() keep its hash in one transaction (it
 * reports its own failure), then shows the token once with said and wipes
 * it: only the hash is kept, anywhere.
 */
static int issue_token(struct cli *c, struct till_key *t, enum msg_id said,
		       int (*store)(struct cli *, struct till_key *, const char *hash))
{
	char token[128], hash[65];
	int rc;
	if (token_new(token, sizeof(token), "tdk_", 32))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NO_RANDOM);
	token_hash(hash, token);
	if (!(rc = cli_begin(c)))
		rc = cli_finish(c, store(c, t, hash));
	if (!rc)
		cli_say(c, said, (long long)t->id, t->name, token);
	explicit_bzero(token, sizeof(token));
	return rc ? rc : EXIT_OK;
}

static int till_add(struct cli *c, int argc, char **argv)
{
	struct place_args a = { 0 };
	int64_t org_id, store_id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:h", place_opts, MSG_HELP_TILL_ADD, place_opt,
			     &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1 || !a.store || a.till)
		return cli_usage(c, MSG_HELP_TILL_ADD, false);
	if ((rc = cli_check_text(c, MSG_NOUN_TILL, argv[0], NAME_MAX_BYTES)) ||
	    (rc = find_place(c, &a, &org_id, &store_id, NULL)))
		return rc;
	struct till_key t = { .store_id = store_id, .name = argv[0] };
	return issue_token(c, &t, MSG_CLI_TILL_ADDED, till_insert);
}

struct token_args {
	struct place_args place;
	bool rotate;
};

static int token_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct token_args *a = arg;
	if (opt == 'r') {
		a->rotate = true;
		return 0;
	}
	return place_opt(c, opt, val, &a->place);
}

/*
 * A new agent token, printed once; the database keeps only its hash, so
 * the old token stops working with the commit (the endpoint looks every
 * request's token up).
 */
static int till_token(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ "rotate", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct token_args a = { 0 };
	int64_t org_id, store_id, id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:rh", opts, MSG_HELP_TILL_TOKEN, token_opt, &a,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 1 || !a.rotate)
		return cli_usage(c, MSG_HELP_TILL_TOKEN, false);
	if ((rc = find_place(c, &a.place, &org_id, &store_id, NULL)) ||
	    (rc = cli_found(c, db_till_find(c->db, &id, store_id, argv[0]), MSG_NOUN_TILL, argv[0])))
		return rc;
	struct till_key t = { .id = id, .name = argv[0] };
	return issue_token(c, &t, MSG_CLI_TILL_TOKEN_ROTATED, till_rekey);
}

static const int till_cols[] = { 4, 16, 22, 16, 7, 0 };

static int print_till(const struct till_row *r, void *arg)
{
	struct cli *c = arg;
	char seen[64] = "-";
	if (r->last_seen_at)
		cli_time(seen, sizeof(seen), r->last_seen_at, NULL);
	char id[24], units[24];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	snprintf(units, sizeof(units), "%lld", (long long)r->equipment);
	cli_row(c, till_cols, ARRAY_SIZE(till_cols),
		(const char *[]){ id, r->org, r->store, r->name, units, seen });
	return 0;
}

static int till_list(struct cli *c, int argc, char **argv)
{
	struct place_args a = { 0 };
	int64_t org_id, store_id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:h", place_opts, MSG_HELP_TILL_LIST, place_opt,
			     &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0 || a.till)
		return cli_usage(c, MSG_HELP_TILL_LIST, false);
	if ((rc = find_place(c, &a, &org_id, &store_id, NULL)))
		return rc;
	cli_header(c, till_cols, ARRAY_SIZE(till_cols), MSG_CLI_TILL_HEADER);
	return db_till_list(c->db, store_id, print_till, c) ? EXIT_FAIL : EXIT_OK;
}

int cmd_till(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "add", till_add }, { "list", till_list }, { "token", till_token }, { NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_TILL);
}

/* ---- equipment ---- */

struct equipment_args {
	struct place_args place;
	const char *kind, *model, *serial, *expires, *expiring;
};

static int equipment_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct equipment_args *a = arg;
	switch (opt) {
	case 'k': a->kind = val; return 0;
	case 'm': a->model = val; return 0;
	case 'n': a->serial = val; return 0;
	case 'e': a->expires = val; return 0;
	case 'w': a->expiring = val; return 0;
	}
	return place_opt(c, opt, val, &a->place);
}

static const struct option equipment_opts[] = {
	{ "org", required_argument, NULL, 'o' },
	{ "store", required_argument, NULL, 's' },
	{ "till", required_argument, NULL, 't' },
	{ "kind", required_argument, NULL, 'k' },
	{ "model", required_argument, NULL, 'm' },
	{ "serial", required_argument, NULL, 'n' },
	{ "expires", required_argument, NULL, 'e' },
	{ "expiring-within", required_argument, NULL, 'w' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int equipment_add(struct cli *c, int argc, char **argv)
{
	struct equipment_args a = { 0 };
	int64_t org_id, store_id, till_id, id;
	long days;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:t:k:m:n:e:h", equipment_opts,
			     MSG_HELP_EQUIPMENT_ADD, equipment_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0 || !a.place.till || !a.kind || a.expiring)
		return cli_usage(c, MSG_HELP_EQUIPMENT_ADD, false);
	if (!equipment_kind_valid(a.kind))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_KIND, a.kind);
	if (a.model && *a.model && (rc = cli_check_text(c, MSG_NOUN_MODEL, a.model, NAME_MAX_BYTES)))
		return rc;
	if (a.serial && *a.serial &&
	    (rc = cli_check_text(c, MSG_NOUN_SERIAL, a.serial, NAME_MAX_BYTES)))
		return rc;
	if (a.expires && parse_date(&days, a.expires))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DATE, a.expires);
	if ((rc = find_place(c, &a.place, &org_id, &store_id, &till_id)) || (rc = cli_begin(c)))
		return rc;
	rc = db_equipment_add(c->db, &id, till_id, a.kind, a.model, a.serial, a.expires);
	if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_say(c, MSG_CLI_EQUIPMENT_ADDED, (long long)id, a.kind, a.place.till);
	return EXIT_OK;
}

static const int equipment_cols[] = { 4, 22, 16, 9, 18, 18, 0 };

static int print_equipment(const struct equipment_row *r, void *arg)
{
	struct cli *c = arg;
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	cli_row(c, equipment_cols, ARRAY_SIZE(equipment_cols),
		(const char *[]){ id, r->store, r->till, r->kind, r->model, r->serial,
				  *r->expires_on ? r->expires_on : "-" });
	return 0;
}

static int equipment_list(struct cli *c, int argc, char **argv)
{
	struct equipment_args a = { 0 };
	int64_t org_id, store_id, till_id, within;
	char until[32] = "";
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:t:w:h", equipment_opts,
			     MSG_HELP_EQUIPMENT_LIST, equipment_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0 || a.kind || a.model || a.serial || a.expires)
		return cli_usage(c, MSG_HELP_EQUIPMENT_LIST, false);
	if (a.expiring) {
		if (config_parse_duration(&within, a.expiring))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DURATION, a.expiring);
		time_t t = (time_t)(clock_now() + within);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(until, sizeof(until), "%Y-%m-%d", &tm);
	}
	if ((rc = find_place(c, &a.place, &org_id, &store_id, &till_id)))
		return rc;
	cli_header(c, equipment_cols, ARRAY_SIZE(equipment_cols), MSG_CLI_EQUIPMENT_HEADER);
	return db_equipment_list(c->db, till_id, until, print_equipment, c) ? EXIT_FAIL : EXIT_OK;
}

int cmd_equipment(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = { { "add", equipment_add }, { "list", equipment_list }, { NULL, NULL } };
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_EQUIPMENT);
}

/* ---- invite ---- */

struct invite_args {
	struct place_args place;
	const char *role, *ttl;
};

static int invite_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct invite_args *a = arg;
	switch (opt) {
	case 'r': a->role = val; return 0;
	case 'l': a->ttl = val; return 0;
	}
	return place_opt(c, opt, val, &a->place);
}

static int store_org(const struct store_row *r, void *arg)
{
	*(int64_t *)arg = r->org_id;
	return 0;
}

int cmd_invite(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "org", required_argument, NULL, 'o' },
		{ "store", required_argument, NULL, 's' },
		{ "ttl", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct invite_args a = { .role = "cashier" };
	char code[64], hash[65], bot[128], until[64];
	int64_t org_id, store_id, id, ttl = c->cfg.invite_ttl;
	bool done;
	int rc = cli_options(c, &argc, &argv, "r:o:s:l:h", opts, MSG_HELP_INVITE, invite_opt, &a,
			     &done);
	if (done || rc)
		return rc;
	if (argc != 0)
		return cli_usage(c, MSG_HELP_INVITE, false);
	enum person_role role;
	if (person_role_parse(&role, a.role))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_ROLE, a.role);
	if (role == ROLE_CASHIER && !a.place.store)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_CASHIER_NEEDS_STORE);
	if (role == ROLE_OWNER && !a.place.org && !a.place.store)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_OWNER_NEEDS_ORG);
	if (a.ttl && (config_parse_duration(&ttl, a.ttl) || ttl < 60))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_DURATION, a.ttl);
	if ((rc = find_place(c, &a.place, &org_id, &store_id, NULL)))
		return rc;
	if (store_id && !org_id)
		db_store_get(c->db, store_id, store_org, &org_id);
	if (db_setting_get(c->db, "bot_username", bot, sizeof(bot)) || !*bot)
		snprintf(bot, sizeof(bot), "%s", c->cfg.tg_bot_username);
	if (!*bot)
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NO_BOT_USERNAME);
	if (token_new(code, sizeof(code), "", 16))
		return cli_fail(c, EXIT_FAIL, MSG_CLI_NO_RANDOM);
	token_hash(hash, code);
	if ((rc = cli_begin(c)))
		return rc;
	/* Engineers and admins belong to the support company, not a client. */
	bool staff = role == ROLE_ENGINEER || role == ROLE_ADMIN;
	rc = db_invite_add(c->db, &id, hash, a.role, staff ? 0 : store_id, staff ? 0 : org_id,
			   clock_now() + ttl);
	if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_time(until, sizeof(until), clock_now() + ttl, NULL);
	cli_say(c, MSG_CLI_INVITE_CREATED, a.role, until, bot, code);
	return EXIT_OK;
}

/* ---- person ---- */

struct person_args {
	struct place_args place;
	const char *role, *email, *telegram;
};

static int person_opt(struct cli *c, int opt, const char *val, void *arg)
{
	struct person_args *a = arg;
	if (opt == 'e' || opt == 'T') {
		*(opt == 'e' ? &a->email : &a->telegram) = val;
		return 0;
	}
	if (opt == 'r') {
		if (!role_valid(val))
			return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_ROLE, val);
		a->role = val;
		return 0;
	}
	return place_opt(c, opt, val, &a->place);
}

static const struct option person_opts[] = {
	{ "org", required_argument, NULL, 'o' },
	{ "store", required_argument, NULL, 's' },
	{ "role", required_argument, NULL, 'r' },
	{ "email", required_argument, NULL, 'e' },
	{ "telegram", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const int person_cols[] = { 4, 20, 9, 16, 20, 12, 24, 9, 12, 0 };

static int print_person(const struct person_row *r, void *arg)
{
	struct cli *c = arg;
	char id[24], tg[24] = "-", seen[64] = "-";
	snprintf(id, sizeof(id), "%lld", (long long)r->id);
	if (r->tg_user_id)
		snprintf(tg, sizeof(tg), "%lld", (long long)r->tg_user_id);
	if (r->last_seen_at)
		cli_time(seen, sizeof(seen), r->last_seen_at, NULL);
	cli_row(c, person_cols, ARRAY_SIZE(person_cols),
		(const char *[]){ id, r->name, r->role, *r->org ? r->org : "-",
				  *r->store ? r->store : "-", tg, *r->email ? r->email : "-",
				  msg(r->disabled_at ? MSG_CLI_PERSON_DISABLED_MARK :
					MSG_CLI_PERSON_ENABLED_MARK),
				  r->blocked ? msg(MSG_CLI_PERSON_BLOCKED_MARK) : "-", seen });
	return 0;
}

static int person_list(struct cli *c, int argc, char **argv)
{
	struct person_args a = { 0 };
	struct person_filter f = { 0 };
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:r:h", person_opts, MSG_HELP_PERSON_LIST,
			     person_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 0 || a.email || a.telegram)
		return cli_usage(c, MSG_HELP_PERSON_LIST, false);
	if ((rc = find_place(c, &a.place, &f.org_id, &f.store_id, NULL)))
		return rc;
	f.role = a.role;
	cli_header(c, person_cols, ARRAY_SIZE(person_cols), MSG_CLI_PERSON_HEADER);
	return db_person_list(c->db, &f, print_person, c) ? EXIT_FAIL : EXIT_OK;
}

/* The dialog an admin command speaks through: the outbox, the engineers' chat. */
static void admin_dialog(struct cli *c, struct dialog *d)
{
	*d = (struct dialog){
		.db = c->db,
		.now = clock_now(),
		.cfg = &c->cfg,
	};
	dialog_chats(d, &c->cfg);
}

struct person_names {
	char name[NAME_MAX_BYTES + 1], role[16], store[NAME_MAX_BYTES + 1];
};

static int person_names(const struct person_row *r, void *arg)
{
	struct person_names *n = arg;
	snprintf(n->name, sizeof(n->name), "%s", r->name);
	snprintf(n->role, sizeof(n->role), "%s", r->role);
	return 0;
}

static int store_name(const struct store_row *r, void *arg)
{
	struct person_names *n = arg;
	snprintf(n->store, sizeof(n->store), "%s", r->name);
	return 0;
}

enum person_verb { PERSON_DISABLE, PERSON_ENABLE, PERSON_MOVE };

/* person disable|enable|move: one transaction each, state, history, tickets, notices. */
static int person_change(struct cli *c, int argc, char **argv, enum person_verb verb,
			 enum msg_id help)
{
	struct person_args a = { 0 };
	struct dialog d;
	struct person_names names = { "", "", "" };
	char admin[256];
	int64_t id, org_id, store_id;
	size_t n = 0;
	bool done;
	int rc = cli_options(c, &argc, &argv, verb == PERSON_MOVE ? "o:s:h" : "h", person_opts,
			     help, person_opt, &a, &done);
	if (done || rc)
		return rc;
	/* --store (and --org to narrow it) belong to move alone. */
	if (argc != 1 || a.role || a.email || a.telegram || (verb == PERSON_MOVE) != (a.place.store != NULL) ||
	    (verb != PERSON_MOVE && a.place.org))
		return cli_usage(c, help, false);
	if ((rc = find_place(c, &a.place, &org_id, &store_id, NULL)) ||
	    (rc = cli_found(c, db_person_find(c->db, &id, argv[0]), MSG_NOUN_PERSON, argv[0])))
		return rc;
	cli_admin_login(admin, sizeof(admin));
	if ((rc = cli_begin(c)))
		return rc;
	db_person_get(c->db, id, person_names, &names);
	if (store_id)
		db_store_get(c->db, store_id, store_name, &names);
	admin_dialog(c, &d);
	switch (verb) {
	case PERSON_DISABLE:
		rc = access_disable(&d, id, admin, &n);
		break;
	case PERSON_ENABLE:
		rc = access_enable(&d, id, admin);
		break;
	case PERSON_MOVE:
		rc = access_move(&d, id, store_id, admin, &n);
		break;
	}
	if (rc == TD_EEXISTS) {
		db_rollback(c->db);
		if (verb == PERSON_MOVE)
			cli_say(c, MSG_CLI_PERSON_SAME_STORE, (long long)id, names.name, names.store);
		else
			cli_say(c, verb == PERSON_DISABLE ? MSG_CLI_PERSON_ALREADY_DISABLED :
				MSG_CLI_PERSON_ALREADY_ENABLED, (long long)id, names.name);
		return EXIT_OK;
	}
	if (rc == TD_EINVAL) {
		db_rollback(c->db);
		return cli_fail(c, EXIT_USAGE, MSG_CLI_NOT_A_CASHIER, names.name, names.role);
	}
	if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	if (verb == PERSON_DISABLE)
		cli_say(c, MSG_CLI_PERSON_DISABLED, (long long)id, names.name, n);
	else if (verb == PERSON_ENABLE)
		cli_say(c, MSG_CLI_PERSON_ENABLED, (long long)id, names.name);
	else
		cli_say(c, MSG_CLI_PERSON_MOVED, (long long)id, names.name, names.store, n);
	return EXIT_OK;
}

static int person_disable(struct cli *c, int argc, char **argv)
{
	return person_change(c, argc, argv, PERSON_DISABLE, MSG_HELP_PERSON_DISABLE);
}

static int person_enable(struct cli *c, int argc, char **argv)
{
	return person_change(c, argc, argv, PERSON_ENABLE, MSG_HELP_PERSON_ENABLE);
}

static int person_move(struct cli *c, int argc, char **argv)
{
	return person_change(c, argc, argv, PERSON_MOVE, MSG_HELP_PERSON_MOVE);
}

/*
 * person add NAME --role ROLE [--store S] [--org O] [--email ADDR] [--telegram ID]: someone
 * enrolled by hand, e.g. a cashier who writes by e-mail only (no invite,
 * no Telegram).
 */
static int person_add(struct cli *c, int argc, char **argv)
{
	struct person_args a = { .role = "cashier" };
	char email[256] = "";
	int64_t org_id, store_id, id, tg = 0;
	bool done;
	int rc = cli_options(c, &argc, &argv, "o:s:r:e:T:h", person_opts, MSG_HELP_PERSON_ADD, person_opt,
			     &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1 || (!a.email && !a.telegram))
		return cli_usage(c, MSG_HELP_PERSON_ADD, false);
	if ((rc = cli_check_text(c, MSG_NOUN_PERSON, argv[0], NAME_MAX_BYTES)) ||
	    (a.email && (rc = email_arg(c, a.email, false, email, sizeof(email)))))
		return rc;
	long long tg_id = 0;
	if (a.telegram && parse_int(&tg_id, a.telegram, 1, INT64_MAX))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_NUMBER, a.telegram);
	tg = tg_id;
	enum person_role role;
	if (person_role_parse(&role, a.role))
		return cli_fail(c, EXIT_USAGE, MSG_CLI_BAD_ROLE, a.role);
	if (role == ROLE_CASHIER && !a.place.store)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_CASHIER_NEEDS_STORE);
	if (role == ROLE_OWNER && !a.place.org && !a.place.store)
		return cli_fail(c, EXIT_USAGE, MSG_CLI_OWNER_NEEDS_ORG);
	if ((rc = find_place(c, &a.place, &org_id, &store_id, NULL)))
		return rc;
	if (store_id && !org_id)
		db_store_get(c->db, store_id, store_org, &org_id);
	if ((rc = cli_begin(c)))
		return rc;
	/* As an invite enrols them: staff belong to the support company, an owner to no store. */
	bool staff = role == ROLE_ENGINEER || role == ROLE_ADMIN;
	rc = db_person_add(c->db, &id, argv[0], a.role, staff || role == ROLE_OWNER ? 0 : store_id,
			   staff ? 0 : org_id, tg, *email ? email : NULL);
	if (rc == TD_EEXISTS)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_PERSON_TAKEN, *email ? email : "-", a.telegram ? a.telegram : "-");
	else if (rc)
		rc = cli_fail(c, EXIT_FAIL, MSG_CLI_DB_ERROR, db_errmsg(c->db));
	if ((rc = cli_finish(c, rc)))
		return rc;
	cli_say(c, MSG_CLI_PERSON_ADDED, (long long)id, argv[0], a.role, *email ? email : "-");
	return EXIT_OK;
}

/* person set PERSON --email ADDR|none: the address their letters come from. */
static int person_set(struct cli *c, int argc, char **argv)
{
	struct person_args a = { 0 };
	struct person_names names = { "", "", "" };
	char email[256];
	int64_t id;
	bool done;
	int rc = cli_options(c, &argc, &argv, "e:h", person_opts, MSG_HELP_PERSON_SET, person_opt, &a, &done);
	if (done || rc)
		return rc;
	if (argc != 1 || !a.email || a.telegram || a.role || a.place.store || a.place.org)
		return cli_usage(c, MSG_HELP_PERSON_SET, false);
	if ((rc = email_arg(c, a.email, true, email, sizeof(email))))
		return rc;
	if (!cli_db(c) || (rc = cli_found(c, db_person_find(c->db, &id, argv[0]), MSG_NOUN_PERSON, argv[0])))
		return rc ? rc : EXIT_FAIL;
	db_person_get(c->db, id, person_names, &names);
	return email_save(c, db_person_set_email, id, names.name, email, MSG_CLI_PERSON_EMAIL_SET,
			  MSG_CLI_PERSON_EMAIL_CLEARED);
}

int cmd_person(struct cli *c, int argc, char **argv)
{
	static const struct cli_sub subs[] = {
		{ "list", person_list }, { "add", person_add }, { "set", person_set },
		{ "disable", person_disable }, { "enable", person_enable }, { "move", person_move },
		{ NULL, NULL },
	};
	return cli_dispatch(c, argc, argv, subs, MSG_HELP_PERSON);
}
