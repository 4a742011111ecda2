/*
 * check_utm.c - the ЕГАИС transport module (УТМ) on the till's PC: without
 * it, or with its key's certificates expired, alcohol cannot be sold.
 *
 *   [check.utm]
 *   url = http://localhost:8080   ; default
 *   timeout = 10s                 ; per request; default 10 s
 *   cert_warn = 30d               ; a certificate expiring sooner: WARNING
 *   cert_crit = 7d                ; ... CRITICAL (and when expired)
 *
 * A pass GETs {url}/api/info/list with "Accept: application/json" and
 * {url}/home, and yields:
 *   utm.down      CRITICAL when the УТМ does not answer 200 (nothing else is
 *                 reported then: nothing is known), else OK with its version;
 *   utm.cert_rsa, utm.cert_gost
 *                 the key's certificates by days left (data utm.rsa_until,
 *                 utm.gost_until as YYYY-MM-DD); CRITICAL when the УТМ says
 *                 one is not valid; UNKNOWN without a date;
 *   utm.fsrar_id  only when the store's ФСРАР ID is configured: CRITICAL
 *                 when the key's (db.ownerId, else ownerId) differs;
 *   utm.rsa       CRITICAL when rsaError is set or /home shows «Проблемы с
 *                 RSA».
 *
 * The JSON read is the shape public monitoring scripts for УТМ 4.x parse
 * (tests/fakes/fakeutm.py imitates it and says where it comes from):
 *   {"version": "4.2.0", "contour": "prod", "rsaError": null,
 *    "ownerId": "030000123456", "db": {"createDate": "...", "ownerId": "030000123456"},
 *    "rsa":  {"certType": "RSA",  "startDate": "...", "expireDate": "2026-12-05 12:00:00 +0300",
 *             "isValid": "valid", "issuer": "pki.fsrar.ru"},
 *    "gost": {"certType": "GOST", ..., "expireDate": "...", "isValid": "valid"}, "license": true}
 * Dates are read as "YYYY-MM-DD", optionally followed by " HH:MM:SS" (or
 * "T...") and an offset (" +0300", "+03:00", "Z"); without an offset, UTC.
 */
#include "agent/checks.h"
#include "core/buf.h"
#include "core/http.h"
#include "core/json.h"

#define UTM_ANSWER_MAX (256 << 10)
#define UTM_TIMEOUT_MAX 120
#define UTM_CERT_MAX (366 * 86400)
#define UTM_TEXT_SHOWN 120

struct utm {
	char url[512];
	int64_t timeout;                /* seconds */
	int64_t cert_warn, cert_crit;   /* seconds left */
	struct http *http;
};

static void *utm_create(void)
{
	struct utm *u = xcalloc(1, sizeof(*u));
	snprintf(u->url, sizeof(u->url), "http://localhost:8080");
	u->timeout = 10;
	u->cert_warn = 30 * 86400;
	u->cert_crit = 7 * 86400;
	return u;
}

static int utm_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct utm *u = self;

	if (!strcmp(key, CHECK_KEY_INSTANCE))
		return 0;  /* the codes are utm.*: one УТМ per till */
	if (!strcmp(key, "url")) {
		size_t n = strlen(value);
		if ((strncmp(value, "http://", 7) && strncmp(value, "https://", 8)) || n >= sizeof(u->url) - 32) {
			snprintf(err, errlen, "url '%s': use http://host:port", value);
			return TD_EINVAL;
		}
		/* {url}/api/info/list: no slash of its own at the end. */
		while (n > 8 && value[n - 1] == '/')
			n--;
		snprintf(u->url, sizeof(u->url), "%.*s", (int)n, value);
		return 0;
	}
	if (!strcmp(key, "timeout"))
		return check_set_duration(&u->timeout, key, value, UTM_TIMEOUT_MAX, err, errlen);
	if (!strcmp(key, "cert_warn"))
		return check_set_duration(&u->cert_warn, key, value, UTM_CERT_MAX, err, errlen);
	if (!strcmp(key, "cert_crit"))
		return check_set_duration(&u->cert_crit, key, value, UTM_CERT_MAX, err, errlen);
	return check_unknown_key("utm", key, err, errlen);
}

static int utm_ready(void *self, char *err, size_t errlen)
{
	struct utm *u = self;
	if (u->cert_crit > u->cert_warn) {
		snprintf(err, errlen, "cert_crit is longer than cert_warn");
		return TD_EINVAL;
	}
	return 0;
}

/* Two digits at s into *out, within [0, max]. */
static bool two_digits(const char *s, int max, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return *out <= max;
}

/* "YYYY-MM-DD[( |T)HH:MM[:SS][.fff][( |)(+|-)HH[:]MM|Z]]" into Unix seconds. */
static int parse_utm_time(int64_t *out, const char *s)
{
	char date[11];
	long days;
	int h = 0, m = 0, sec = 0, oh = 0, om = 0;
	int64_t offset = 0;

	if (strlen(s) < 10)
		return TD_EINVAL;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (parse_date(&days, date))
		return TD_EINVAL;
	const char *p = s + 10;
	if ((*p == ' ' || *p == 'T') && two_digits(p + 1, 23, &h) && p[3] == ':' &&
	    two_digits(p + 4, 59, &m)) {
		p += 6;
		if (*p == ':' && two_digits(p + 1, 60, &sec))
			p += 3;
		if (*p == '.')
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (*p == ' ')
			p++;
		if ((*p == '+' || *p == '-') && two_digits(p + 1, 14, &oh)) {
			const char *mm = p[3] == ':' ? p + 4 : p + 3;
			if (two_digits(mm, 59, &om))
				offset = (*p == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
		}
	}
	*out = (int64_t)days * 86400 + h * 3600 + m * 60 + sec - offset;
	return 0;
}

/* Outside text as one short clean line, for a summary. */
static void shown(struct buf *b, const char *s)
{
	size_t n = strlen(s);
	check_one_line(b, s, n);
	if (b->len > UTM_TEXT_SHOWN) {
		b->len = utf8_cut(b->data, UTM_TEXT_SHOWN);
		b->data[b->len] = '\0';
	}
}

static void judge_cert(const struct utm *u, const struct check_ctx *ctx, json_object *root,
		       const char *member, const char *label, const char *code, const char *until_key,
		       struct check_results *out)
{
	json_object *cert = json_get_obj(root, member);
	const char *expire = json_get_str(cert, "expireDate");
	const char *valid = json_get_str(cert, "isValid");
	struct check_result *r;
	struct buf text = BUF_INIT(1024);
	int64_t t;

	if (!expire || parse_utm_time(&t, expire)) {
		check_addm(out, "utm", code, CHECK_UNKNOWN, MSG_CHECK_UTM_CERT_NO_DATE, label);
		goto done;
	}
	char until[11];
	snprintf(until, sizeof(until), "%.10s", expire);
	int64_t left = t - ctx->now;
	long long days = left > 0 ? left / 86400 : 0;
	if (valid && strcmp(valid, "valid")) {
		shown(&text, valid);
		r = check_addm(out, "utm", code, CHECK_CRITICAL, MSG_CHECK_UTM_CERT_INVALID, label,
			       buf_cstr(&text));
	} else if (left <= 0) {
		r = check_addm(out, "utm", code, CHECK_CRITICAL, MSG_CHECK_UTM_CERT_EXPIRED, label, until);
	} else if (left <= u->cert_crit || left <= u->cert_warn) {
		r = check_addm(out, "utm", code, left <= u->cert_crit ? CHECK_CRITICAL : CHECK_WARNING,
			       MSG_CHECK_UTM_CERT_EXPIRING, label, days, until);
	} else {
		r = check_addm(out, "utm", code, CHECK_OK, MSG_CHECK_UTM_CERT_VALID, label, until, days);
	}
	check_detail(r, until_key, "%s", until);
	check_detail(r, "days_left", "%lld", left > 0 ? days : 0);
	struct check_perf p = { .label = "days_left", .uom = "d", .value = (double)days,
				.warn = (double)(u->cert_warn / 86400), .crit = (double)(u->cert_crit / 86400),
				.has = CHECK_PERF_WARN | CHECK_PERF_CRIT };
	check_perf_add(r, &p);
done:
	buf_release(&text);
}

static void judge_fsrar(const struct check_ctx *ctx, json_object *root, struct check_results *out)
{
	const char *id = json_get_str(json_get_obj(root, "db"), "ownerId");
	struct buf text = BUF_INIT(1024);
	if (!id || !*id)
		id = json_get_str(root, "ownerId");
	if (!ctx->fsrar_id || !*ctx->fsrar_id)
		return;
	if (!id || !*id) {
		check_addm(out, "utm", "utm.fsrar_id", CHECK_UNKNOWN, MSG_CHECK_UTM_FSRAR_NONE, ctx->fsrar_id);
		return;
	}
	shown(&text, id);
	struct check_result *r;
	if (strcmp(id, ctx->fsrar_id))
		r = check_addm(out, "utm", "utm.fsrar_id", CHECK_CRITICAL, MSG_CHECK_UTM_FSRAR_MISMATCH,
			       buf_cstr(&text), ctx->fsrar_id);
	else
		r = check_addm(out, "utm", "utm.fsrar_id", CHECK_OK, MSG_CHECK_UTM_FSRAR_OK, buf_cstr(&text));
	check_detail(r, "utm.fsrar_id", "%s", buf_cstr(&text));
	buf_release(&text);
}

static void judge_rsa(json_object *root, const char *home, struct check_results *out)
{
	struct buf text = BUF_INIT(1024);
	json_object *err = NULL;
	if (json_object_object_get_ex(root, "rsaError", &err) && err &&
	    !json_object_is_type(err, json_type_null) &&
	    !(json_object_is_type(err, json_type_string) && !*json_object_get_string(err)) &&
	    !(json_object_is_type(err, json_type_boolean) && !json_object_get_boolean(err))) {
		shown(&text, json_object_is_type(err, json_type_string) ? json_object_get_string(err)
			     : json_object_to_json_string_ext(err, JSON_C_TO_STRING_PLAIN));
		check_addm(out, "utm", "utm.rsa", CHECK_CRITICAL, MSG_CHECK_UTM_RSA_PROBLEM, buf_cstr(&text));
	} else if (home && strstr(home, "Проблемы с RSA")) {
		check_addm(out, "utm", "utm.rsa", CHECK_CRITICAL, MSG_CHECK_UTM_RSA_PROBLEM, "/home");
	} else {
		check_addm(out, "utm", "utm.rsa", CHECK_OK, MSG_CHECK_UTM_RSA_OK);
	}
	buf_release(&text);
}

void check_utm_judge(void *self, const struct check_ctx *ctx, const char *info, size_t len,
		     const char *home, struct check_results *out)
{
	struct utm *u = self;
	struct buf text = BUF_INIT(1024);
	json_tokener *tok = json_tokener_new();
	json_object *root = json_tokener_parse_ex(tok, info, (int)len);
	bool complete = json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);

	if (!root || !complete || !json_object_is_type(root, json_type_object)) {
		/* An older УТМ answers HTML: it is up, but tells us nothing we can read. */
		check_addm(out, "utm", "utm.down", CHECK_OK, MSG_CHECK_UTM_UP, u->url);
		check_addm(out, "utm", "utm.cert_rsa", CHECK_UNKNOWN, MSG_CHECK_UTM_UNREADABLE,
			   "/api/info/list");
		check_addm(out, "utm", "utm.cert_gost", CHECK_UNKNOWN, MSG_CHECK_UTM_UNREADABLE,
			   "/api/info/list");
		goto done;
	}
	const char *version = json_get_str(root, "version");
	shown(&text, version ? version : u->url);
	struct check_result *r = check_addm(out, "utm", "utm.down", CHECK_OK, MSG_CHECK_UTM_UP,
					    buf_cstr(&text));
	if (version)
		check_detail(r, "utm.version", "%s", buf_cstr(&text));
	judge_cert(u, ctx, root, "rsa", "RSA", "utm.cert_rsa", "utm.rsa_until", out);
	judge_cert(u, ctx, root, "gost", "ГОСТ", "utm.cert_gost", "utm.gost_until", out);
	judge_fsrar(ctx, root, out);
	judge_rsa(root, home, out);
done:
	if (root)
		json_object_put(root);
	buf_release(&text);
}

static void utm_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct utm *u = self;
	struct http_response info = { .body = BUF_INIT(UTM_ANSWER_MAX) };
	struct http_response home = { .body = BUF_INIT(UTM_ANSWER_MAX) };
	char url[600], reason[64];

	if (!u->http)
		u->http = http_new();
	snprintf(url, sizeof(url), "%s/api/info/list", u->url);
	int rc = http_get(u->http, url, "utm info", "application/json", (long)u->timeout * 1000, &info, NULL);
	if (rc == TD_ENOMEM) {
		/* It answered, past any sane size: up, but unreadable. */
		check_utm_judge(u, ctx, "", 0, NULL, out);
		goto done;
	}
	if (rc || info.status != 200) {
		snprintf(reason, sizeof(reason), "HTTP %ld", info.status);
		struct check_result *r = check_addm(out, "utm", "utm.down", CHECK_CRITICAL, MSG_CHECK_UTM_DOWN,
						    rc ? u->url : reason);
		check_detail(r, "url", "%s", u->url);
		goto done;
	}
	snprintf(url, sizeof(url), "%s/home", u->url);
	/* The home page only adds its banner: without it the JSON still speaks. */
	bool have_home = !http_get(u->http, url, "utm home", NULL, (long)u->timeout * 1000, &home, NULL) &&
			 home.status == 200;
	check_utm_judge(u, ctx, buf_cstr(&info.body), info.body.len,
			have_home ? buf_cstr(&home.body) : NULL, out);
done:
	buf_release(&info.body);
	buf_release(&home.body);
}

static void utm_destroy(void *self)
{
	struct utm *u = self;
	http_free(u->http);
	free(u);
}

const struct check_kind check_utm = {
	.name = "utm",
	.create = utm_create,
	.set = utm_set,
	.ready = utm_ready,
	.run = utm_run,
	.destroy = utm_destroy,
	.example =
		"; ЕГАИС: the УТМ on this PC (stores that sell alcohol). Codes: utm.down,\n"
		"; utm.cert_rsa, utm.cert_gost, utm.fsrar_id (with [agent] fsrar_id), utm.rsa.\n"
		"; [check.utm]\n"
		"; url = http://localhost:8080\n"
		"; timeout = 10s\n"
		"; A certificate's expiry: warning, critical.\n"
		"; cert_warn = 30d\n"
		"; cert_crit = 7d\n",
};
