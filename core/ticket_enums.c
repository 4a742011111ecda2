/*
 * ticket_enums.c - the one table of each closed set of words; see
 * ticket_enums.h. A designated initialiser per row keeps the text beside
 * its enumerator, and the static assertions keep the counts honest.
 */
#include "core/common.h"
#include "core/ticket_enums.h"

static const char *const status_names[] = {
	[TICKET_NEW] = "new",
	[TICKET_CLAIMED] = "claimed",
	[TICKET_RESOLVED] = "resolved",
	[TICKET_CLOSED] = "closed",
};
_Static_assert(ARRAY_SIZE(status_names) == TICKET_STATUS_COUNT, "a status without its text");

static const char *const kind_names[] = {
	[HISTORY_OPENED] = "opened",
	[HISTORY_MESSAGE] = "message",
	[HISTORY_PHOTO] = "photo",
	[HISTORY_FILE] = "file",
	[HISTORY_CLAIMED] = "claimed",
	[HISTORY_RELEASED] = "released",
	[HISTORY_REPLY] = "reply",
	[HISTORY_NOTE] = "note",
	[HISTORY_RESOLVED] = "resolved",
	[HISTORY_CONFIRMED] = "confirmed",
	[HISTORY_REOPENED] = "reopened",
	[HISTORY_RATED] = "rated",
	[HISTORY_PRIORITY] = "priority",
	[HISTORY_SLA_WARNING] = "sla_warning",
	[HISTORY_SLA_BREACH] = "sla_breach",
	[HISTORY_REQUEUED] = "requeued",
	[HISTORY_CASHIER_MOVED] = "cashier_moved",
	[HISTORY_AGENT_UPDATE] = "agent_update",
	[HISTORY_RECOVERED] = "recovered",
	[HISTORY_AUTO_RESOLVED] = "auto_resolved",
	[HISTORY_KB_NOT_HELPED] = "kb_not_helped",
};
_Static_assert(ARRAY_SIZE(kind_names) == HISTORY_KIND_COUNT, "a history kind without its text");

static const char *const role_names[] = {
	[ROLE_CASHIER] = "cashier",
	[ROLE_ENGINEER] = "engineer",
	[ROLE_ADMIN] = "admin",
	[ROLE_OWNER] = "owner",
};
_Static_assert(ARRAY_SIZE(role_names) == PERSON_ROLE_COUNT, "a role without its text");

static const char *const person_event_names[] = {
	[PERSON_DISABLED] = "disabled",
	[PERSON_ENABLED] = "enabled",
	[PERSON_MOVED] = "moved",
};
_Static_assert(ARRAY_SIZE(person_event_names) == PERSON_EVENT_KIND_COUNT,
	       "a person's history kind without its text");

static const char *const link_names[] = {
	[LINK_CARD] = "card",
	[LINK_RELAY] = "relay",
	[LINK_QUESTION] = "question",
	[LINK_CONFIRM] = "confirm",
	[LINK_RATING] = "rating",
	[LINK_RESOLUTION] = "resolution",
	[LINK_LIST] = "list",
	[LINK_ASSIGNED] = "assigned",
};
_Static_assert(ARRAY_SIZE(link_names) == LINK_ROLE_COUNT, "a link role without its text");

static const char *const state_names[] = {
	[STATE_NEW_TICKET] = "new_ticket",
	[STATE_SUGGESTED] = "suggested",
	[STATE_RESOLUTION] = "resolution",
};
_Static_assert(ARRAY_SIZE(state_names) == DIALOG_STATE_COUNT, "a dialog state without its text");

static const char *const route_names[] = {
	[ROUTE_FISCAL] = "fiscal",
	[ROUTE_EGAIS] = "egais",
	[ROUTE_NETWORK] = "network",
	[ROUTE_HARDWARE] = "hardware",
	[ROUTE_POS] = "pos",
};
_Static_assert(ARRAY_SIZE(route_names) == ROUTE_GROUP_COUNT, "a routing group without its text");

/* A verb's callback prefix and the arguments it takes: a bit per value 1..5, 0 for none. */
static const struct {
	const char *name;
	unsigned args;
} verbs[] = {
	[VERB_PRIORITY] = { "p", 1u << 1 | 1u << 3 },
	[VERB_CONFIRM] = { "ok", 0 },
	[VERB_REOPEN] = { "re", 0 },
	[VERB_RATE] = { "r", 1u << 1 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 },
	[VERB_CLAIM] = { "c", 0 },
	[VERB_RELEASE] = { "u", 0 },
	[VERB_CLOSE] = { "x", 0 },
	[VERB_ADVICE] = { "k", 1u << 1 | 1u << 2 },
};
_Static_assert(ARRAY_SIZE(verbs) == BUTTON_VERB_COUNT, "a verb without its text");

static const char *name_of(const char *const *names, size_t n, unsigned i)
{
	return i < n && names[i] ? names[i] : "?";
}

static int parse_in(int *out, const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (name && !strcmp(name, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	return TD_EINVAL;
}

/* One name and one parser per set, all over the same two helpers. */
#define ENUM_TEXT(type, prefix, names)                                                   \
	const char *prefix##_name(enum type v)                                           \
	{                                                                                \
		return name_of(names, ARRAY_SIZE(names), (unsigned)v);                   \
	}                                                                                \
	int prefix##_parse(enum type *out, const char *name)                             \
	{                                                                                \
		int i, rc = parse_in(&i, names, ARRAY_SIZE(names), name);                \
		if (!rc)                                                                 \
			*out = (enum type)i;                                             \
		return rc;                                                               \
	}

ENUM_TEXT(ticket_status, ticket_status, status_names)
ENUM_TEXT(history_kind, history_kind, kind_names)
ENUM_TEXT(person_role, person_role, role_names)
ENUM_TEXT(person_event_kind, person_event_kind, person_event_names)
ENUM_TEXT(link_role, link_role, link_names)
ENUM_TEXT(dialog_state, dialog_state, state_names)
ENUM_TEXT(route_group, route_group, route_names)

const char *button_verb_name(enum button_verb v)
{
	return (unsigned)v < ARRAY_SIZE(verbs) ? verbs[v].name : "?";
}

int button_parse(struct button *out, const char *data)
{
	char word[4];
	long long n;
	const char *id = strchr(data, ':');
	if (!id || (size_t)(id - data) >= sizeof(word))
		return TD_EINVAL;
	memcpy(word, data, (size_t)(id - data));
	word[id - data] = '\0';
	id++;
	size_t v;
	for (v = 0; v < ARRAY_SIZE(verbs); v++)
		if (!strcmp(word, verbs[v].name))
			break;
	if (v == ARRAY_SIZE(verbs))
		return TD_EINVAL;
	char num[24];
	const char *arg = strchr(id, ':');
	size_t len = arg ? (size_t)(arg - id) : strlen(id);
	if (!len || len >= sizeof(num))
		return TD_EINVAL;
	memcpy(num, id, len);
	num[len] = '\0';
	if (parse_int(&n, num, 1, INT64_MAX))
		return TD_EINVAL;
	out->verb = (enum button_verb)v;
	out->id = n;
	out->arg = 0;
	/* An argument exactly when the verb takes one, and only one of its values. */
	if (!arg)
		return verbs[v].args ? TD_EINVAL : 0;
	if (!verbs[v].args || parse_int(&n, arg + 1, 1, 5) || !(verbs[v].args & 1u << n))
		return TD_EINVAL;
	out->arg = (int)n;
	return 0;
}

void button_data(char *out, size_t n, enum button_verb v, int64_t id, int arg)
{
	if (arg)
		snprintf(out, n, "%s:%lld:%d", button_verb_name(v), (long long)id, arg);
	else
		snprintf(out, n, "%s:%lld", button_verb_name(v), (long long)id);
}
