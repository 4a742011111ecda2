/*
 * notice.c - notices in their stored form: arguments, actions, and the
 * body in a language. No channel's format lives here.
 */
#include "core/html.h"
#include "core/notice.h"

static const char *const kind_names[] = {
	[NOTICE_LEGACY] = "tg_json",
	[NOTICE_SAY] = "text",
	[NOTICE_ASK] = "ask",
	[NOTICE_EDIT] = "edit",
	[NOTICE_PHOTO] = "photo",
	[NOTICE_DOCUMENT] = "document",
	[NOTICE_ANSWER] = "answer",
};

const char *notice_kind_name(enum notice_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : "";
}

int notice_kind_parse(enum notice_kind *out, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (!strcmp(kind_names[i], name)) {
			*out = (enum notice_kind)i;
			return 0;
		}
	return TD_EINVAL;
}

static const char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void notice_copy(struct notice *out, const struct notice *n)
{
	*out = *n;
	out->msg_key = dup_or_null(n->msg_key);
	out->args = dup_or_null(n->args);
	out->actions = dup_or_null(n->actions);
	out->ref = dup_or_null(n->ref);
	out->legacy_method = dup_or_null(n->legacy_method);
	out->legacy_payload = dup_or_null(n->legacy_payload);
}

void notice_release(struct notice *n)
{
	free((char *)n->msg_key);
	free((char *)n->args);
	free((char *)n->actions);
	free((char *)n->ref);
	free((char *)n->legacy_method);
	free((char *)n->legacy_payload);
	memset(n, 0, sizeof(*n));
}

static int arg_add(struct buf *args, char type, const char *s, size_t len)
{
	buf_printf(args, "%c%zu:", type, len);
	buf_add(args, s, len);
	return buf_putc(args, ',');
}

int notice_arg_text(struct buf *args, const char *s)
{
	return arg_add(args, 't', s, strlen(s));
}

int notice_arg_markup(struct buf *args, const char *html)
{
	return arg_add(args, 'h', html, strlen(html));
}

/* The end of the printf conversion that starts at p (a '%'). */
static const char *conversion_end(const char *p)
{
	p++;
	p += strspn(p, "-+ #0'");
	p += strspn(p, "0123456789");
	if (*p == '.') {
		p++;
		p += strspn(p, "0123456789");
	}
	p += strspn(p, "hlLqjzt");
	return *p ? p + 1 : p;
}

/*
 * The catalogue's texts are formats the compiler cannot see;
 * test_msg__languages_take_the_same_arguments checks them, as in msg.c.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Formats the one conversion spec (len bytes) with its argument from ap. */
static int format_one(struct buf *args, const char *spec, size_t len, va_list *ap)
{
	char fmt[32], one[512];
	char conv = spec[len - 1];
	bool ll = len >= 3 && spec[len - 2] == 'l' && spec[len - 3] == 'l';
	bool l = !ll && spec[len - 2] == 'l', z = spec[len - 2] == 'z';
	if (len >= sizeof(fmt))
		return TD_EINVAL;
	memcpy(fmt, spec, len);
	fmt[len] = '\0';
	switch (conv) {
	case 's': {
		/* Width and precision on %s are not in the catalogue; NULL prints as printf's would. */
		const char *str = va_arg(*ap, const char *);
		return notice_arg_text(args, str ? str : "(null)");
	}
	case 'd': case 'i':
		if (ll)
			snprintf(one, sizeof(one), fmt, va_arg(*ap, long long));
		else if (l)
			snprintf(one, sizeof(one), fmt, va_arg(*ap, long));
		else if (z)
			snprintf(one, sizeof(one), fmt, va_arg(*ap, ssize_t));
		else
			snprintf(one, sizeof(one), fmt, va_arg(*ap, int));
		break;
	case 'u': case 'o': case 'x': case 'X':
		if (ll)
			snprintf(one, sizeof(one), fmt, va_arg(*ap, unsigned long long));
		else if (l)
			snprintf(one, sizeof(one), fmt, va_arg(*ap, unsigned long));
		else if (z)
			snprintf(one, sizeof(one), fmt, va_arg(*ap, size_t));
		else
			snprintf(one, sizeof(one), fmt, va_arg(*ap, unsigned));
		break;
	case 'f': case 'e': case 'g':
		snprintf(one, sizeof(one), fmt, va_arg(*ap, double));
		break;
	case 'c':
		snprintf(one, sizeof(one), fmt, va_arg(*ap, int));
		break;
	default:
		return TD_EINVAL;
	}
	return notice_arg_text(args, one);
}
#pragma GCC diagnostic pop

int notice_args_v(struct buf *args, enum msg_id id, va_list ap)
{
	va_list copy;
	int rc = 0;
	va_copy(copy, ap);
	for (const char *p = strchr(msg(id), '%'); p && !rc; p = strchr(p, '%')) {
		const char *end = conversion_end(p);
		if (p[1] != '%')
			rc = format_one(args, p, (size_t)(end - p), &copy);
		p = end;
	}
	va_end(copy);
	return rc;
}

int notice_arg_msg_parts(struct buf *args, enum msg_id id, const char *parts)
{
	const char *key = msg_key(id);
	size_t klen = strlen(key), plen = strlen(parts);
	buf_printf(args, "m%zu:%s|", klen + 1 + plen, key);
	buf_add(args, parts, plen);
	return buf_putc(args, ',');
}

int notice_arg_list(struct buf *args, const char *items)
{
	return arg_add(args, 'l', items, strlen(items));
}

static void span_unit(void *arg, enum msg_id id, long long n, bool first)
{
	struct buf *items = arg;
	if (!first)
		notice_arg_text(items, " ");
	notice_arg_msg(items, id, n);
}

int notice_arg_span(struct buf *args, int64_t seconds)
{
	struct buf items = BUF_INIT(1024);
	msg_span_each(seconds, span_unit, &items);
	int rc = items.failed ? TD_ENOMEM : notice_arg_list(args, buf_cstr(&items));
	buf_release(&items);
	return rc;
}

int notice_arg_msg(struct buf *args, enum msg_id id, ...)
{
	struct buf parts = BUF_INIT(args->cap);
	va_list ap;
	va_start(ap, id);
	int rc = notice_args_v(&parts, id, ap);
	va_end(ap);
	if (!rc)
		rc = parts.failed ? TD_ENOMEM : notice_arg_msg_parts(args, id, buf_cstr(&parts));
	buf_release(&parts);
	return rc;
}

int notice_arg_next(const char **p, const char *lim, char *type, const char **s, size_t *len)
{
	char *end;
	const char *q = *p;
	if (q >= lim || !strchr("thml", *q) || !*q)
		return TD_EINVAL;
	*type = *q++;
	if (q >= lim || *q < '0' || *q > '9')
		return TD_EINVAL;
	errno = 0;
	unsigned long long n = strtoull(q, &end, 10);
	if (errno || end >= lim || *end != ':' || n >= (unsigned long long)(lim - end - 1) ||
	    end[1 + n] != ',')
		return TD_EINVAL;
	*s = end + 1;
	*len = (size_t)n;
	*p = end + 2 + n;
	return 0;
}

static int render_msg(struct buf *out, const char *key, size_t key_len, const char *a,
		      const char *lim, enum msg_lang lang, int depth);

/*
 * Appends the argument (type, len bytes of s) as HTML: a text escaped, a
 * markup as it is, a nested message or a list rendered at depth.
 */
static int arg_html(struct buf *out, char type, const char *s, size_t len, enum msg_lang lang,
		    int depth)
{
	const char *bar, *lim = s + len;
	if (type == 'h') {
		buf_add(out, s, len);
		return 0;
	}
	if (type == 't') {
		char *copy = xcalloc(1, len + 1);
		memcpy(copy, s, len);
		html_escape(out, copy);
		free(copy);
		return 0;
	}
	if (depth >= NOTICE_DEPTH_MAX)
		return TD_EINVAL;
	if (type == 'm') {
		if (!(bar = memchr(s, '|', len)))
			return TD_EINVAL;
		return render_msg(out, s, (size_t)(bar - s), bar + 1, lim, lang, depth + 1);
	}
	for (const char *p = s; p < lim; ) {  /* a list: its items one after another */
		int rc = notice_arg_next(&p, lim, &type, &s, &len);
		if (!rc)
			rc = arg_html(out, type, s, len, lang, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* Appends, as HTML, the catalogue text of key in lang with the arguments a..lim. */
static int render_msg(struct buf *out, const char *key, size_t key_len, const char *a,
		      const char *lim, enum msg_lang lang, int depth)
{
	char name[128], type;
	const char *s;
	size_t len;
	enum msg_id id;
	int rc = 0;
	if (key_len >= sizeof(name))
		return TD_EINVAL;
	memcpy(name, key, key_len);
	name[key_len] = '\0';
	if (msg_by_key(&id, name))
		return TD_EINVAL;
	const char *t = msg_in(lang, id);
	for (const char *p; !rc && (p = strchr(t, '%')); t = conversion_end(p)) {
		buf_add(out, t, (size_t)(p - t));
		if (p[1] == '%')
			buf_putc(out, '%');
		else if (!(rc = notice_arg_next(&a, lim, &type, &s, &len)))
			/* The catalogue's markup is written for HTML: the arguments join it so. */
			rc = arg_html(out, type, s, len, lang, depth);
	}
	if (!rc)
		buf_puts(out, t);
	return rc;
}

int notice_text(struct buf *out, const struct notice *n, enum msg_lang lang,
		enum notice_text_as as)
{
	const char *a = n->args ? n->args : "", *lim = a + strlen(a);
	struct buf html = BUF_INIT(1u << 20);
	int rc = 0;
	if (n->msg_key)
		rc = render_msg(&html, n->msg_key, strlen(n->msg_key), a, lim, lang, 0);
	else if (as == NOTICE_TEXT_PLAIN && lim - a > 0 && *a == 't') {
		/* One plain argument stays as it is: no round trip through HTML. */
		const char *s;
		size_t len;
		char type;
		if (!(rc = notice_arg_next(&a, lim, &type, &s, &len)))
			buf_add(out, s, len);
		buf_release(&html);
		return rc ? rc : out->failed ? TD_ENOMEM : 0;
	} else
		rc = arg_html(&html, 'l', a, (size_t)(lim - a), lang, -1);
	if (!rc && html.failed)
		rc = TD_ENOMEM;
	if (!rc && as == NOTICE_TEXT_PLAIN)
		html_to_text(out, buf_cstr(&html));
	else if (!rc)
		buf_puts(out, buf_cstr(&html));
	buf_release(&html);
	return rc ? rc : out->failed ? TD_ENOMEM : 0;
}

int notice_action_add(struct notice_actions *a, size_t row, const char *label,
		      const char *action)
{
	if (a->n >= NOTICE_ACTIONS_MAX)
		return TD_EINVAL;
	struct notice_action *b = &a->v[a->n++];
	memset(b, 0, sizeof(*b));
	b->row = row;
	snprintf(b->action, sizeof(b->action), "%s", action);
	if (msg_by_text(&b->label, label)) {
		b->label = MSG__COUNT;
		snprintf(b->literal, sizeof(b->literal), "%s", label);
	}
	return 0;
}

int notice_actions_store(struct buf *out, const struct notice_actions *a)
{
	for (size_t i = 0; a && i < a->n; i++) {
		const struct notice_action *b = &a->v[i];
		if (b->label < MSG__COUNT)
			buf_printf(out, "%zu\t%s\tk:%s\n", b->row, b->action, msg_key(b->label));
		else
			buf_printf(out, "%zu\t%s\tt:%s\n", b->row, b->action, b->literal);
	}
	return out->failed ? TD_ENOMEM : 0;
}

int notice_actions_load(struct notice_actions *out, const char *stored)
{
	memset(out, 0, sizeof(*out));
	for (const char *p = stored ? stored : ""; *p; ) {
		const char *nl = strchr(p, '\n');
		char line[NOTICE_ACTION_MAX + 128], *action, *label, *end;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (out->n >= NOTICE_ACTIONS_MAX || len >= sizeof(line))
			return TD_EINVAL;
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (nl != NULL);
		struct notice_action *b = &out->v[out->n++];
		errno = 0;
		b->row = (size_t)strtoul(line, &end, 10);
		if (errno || end == line || *end != '\t')
			return TD_EINVAL;
		action = end + 1;
		if (!(label = strchr(action, '\t')) || (label[1] != 'k' && label[1] != 't') || label[2] != ':')
			return TD_EINVAL;
		*label = '\0';
		snprintf(b->action, sizeof(b->action), "%s", action);
		if (strlen(action) > NOTICE_ACTION_MAX)
			b->action[NOTICE_ACTION_MAX] = '\0';
		if (label[1] == 't') {
			b->label = MSG__COUNT;
			snprintf(b->literal, sizeof(b->literal), "%s", label + 3);
		} else if (msg_by_key(&b->label, label + 3)) {
			return TD_EINVAL;
		}
	}
	return 0;
}

const char *notice_action_label(const struct notice_action *a, enum msg_lang lang)
{
	return a->label < MSG__COUNT ? msg_in(lang, a->label) : a->literal;
}
