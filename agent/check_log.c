/*
 * check_log.c - PCRE2 patterns over a log file's new lines (the POS
 * software's and the till driver's logs name faults no other check sees:
 * Эвотор's «Вход в режим заблокирован», a VAT error).
 *
 *   [check.log pos]
 *   file = /var/log/pos/pos.log
 *   charset = CP1251          ; the file's, converted to UTF-8; default UTF-8
 *   max_read = 1M             ; bytes read per pass at most (K, M); default 1M
 *   pattern.1 = critical fn.blocked Вход в режим заблокирован
 *   pattern.2 = warning pos.vat Сумма налога больше суммы регистраций
 *
 * A pattern is "STATE CODE REGEX": a state (warning, critical, unknown),
 * the code it raises, then the rest of the line as the expression. The
 * expressions go through the knowledge base's wrapper (kb/regex.h): UTF-8,
 * caseless, ё read as е, under a match limit. Each pass yields one result
 * per code: the worst state whose pattern matched a line new since the
 * last pass (with the last such line and the count), else OK. A file that
 * cannot be read makes every code UNKNOWN with the reason.
 *
 * Where the reading stopped is kept in memory and in the state directory
 * (log.<instance>.pos: device, inode, offset), so a restart goes on where
 * it left off. A pass reads from the committed position; what it read is
 * consumed only at commit(), which the agent calls once the pass's events
 * are in the spool: a spool that refuses them, a kill between the pass and
 * the spool, or `tilldesk-agent check` (which never commits) leaves the
 * lines for the next pass. A kill between the spool and the state file
 * reports them twice, never not at all. The first pass ever starts at the file's end: old lines
 * are not news. Rotation by rename: the old file (still open) is read to
 * its end, then the new one from its start. Truncation (copytruncate, a
 * size below the offset): from the start again. Only whole lines are read,
 * except a line longer than max_read, which is taken in pieces.
 */
#include <fcntl.h>
#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/checks.h"
#include "core/buf.h"
#include "kb/regex.h"
#include "kb/text.h"

#define LOG_PATTERNS_MAX 32
#define LOG_READ_MAX (64 << 20)
#define LOG_LINE_SHOWN 300

struct log_pattern {
	unsigned number;              /* N of pattern.N, for the order */
	enum check_state state;
	char code[65];
	struct kb_regex *re;
	/* this pass: */
	long long matches;
	char *last_line;
};

/* Where reading stopped: the file read (kept open across a rename) and the offset in it. */
struct log_pos {
	int fd;                       /* -1: none open */
	dev_t dev;
	ino_t ino;
	off_t offset;
	bool positioned;              /* dev, ino, offset hold a position */
};

struct log_check {
	char instance[33];
	char *file;
	char charset[64];
	size_t max_read;
	struct log_pattern patterns[LOG_PATTERNS_MAX];
	size_t n_patterns;
	struct log_pos at;            /* committed: where a pass starts */
	struct log_pos next;          /* where the last pass stopped, until commit() */
	bool next_ok;                 /* the last pass read without an error: next may be committed */
	bool loaded;                  /* the saved position was looked for */
	char saved[96];               /* what the state file holds, not to write it again */
};

static void *log_create(void)
{
	struct log_check *l = xcalloc(1, sizeof(*l));
	snprintf(l->instance, sizeof(l->instance), "log");
	snprintf(l->charset, sizeof(l->charset), "UTF-8");
	l->max_read = 1 << 20;
	l->at.fd = l->next.fd = -1;
	return l;
}

/* "STATE CODE REGEX" into p. */
static int parse_pattern(struct log_pattern *p, const char *value, char *err, size_t errlen)
{
	char state[16], code[80];
	const char *s = value;
	size_t n = strcspn(s, " \t");
	if (n >= sizeof(state) || !s[n])
		goto bad;
	memcpy(state, s, n);
	state[n] = '\0';
	s += n;
	s += strspn(s, " \t");
	n = strcspn(s, " \t");
	if (n >= sizeof(code) || !s[n])
		goto bad;
	memcpy(code, s, n);
	code[n] = '\0';
	s += n;
	s += strspn(s, " \t");
	if (!*s || check_parse_state(&p->state, state) || p->state == CHECK_OK)
		goto bad;
	if (check_set_code(p->code, code, err, errlen))
		return TD_EINVAL;
	char rerr[200];
	if (kb_regex_compile(&p->re, s, rerr, sizeof(rerr))) {
		snprintf(err, errlen, "pattern '%s': %s", s, rerr);
		return TD_EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "'%s': use STATE CODE REGEX, e.g. critical fn.blocked заблокирован "
		 "(STATE: warning, critical or unknown)", value);
	return TD_EINVAL;
}

static int log_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct log_check *l = self;
	long long number;

	if (!strcmp(key, CHECK_KEY_INSTANCE))
		return check_set_instance(l->instance, value, err, errlen);
	if (!strcmp(key, "file")) {
		if (*value != '/') {
			snprintf(err, errlen, "file '%s': give an absolute path", value);
			return TD_EINVAL;
		}
		free(l->file);
		l->file = xstrdup(value);
		return 0;
	}
	if (!strcmp(key, "charset")) {
		iconv_t cd = strlen(value) < sizeof(l->charset) ? iconv_open("UTF-8", value) : (iconv_t)-1;
		if (cd == (iconv_t)-1) {
			snprintf(err, errlen, "charset '%s' is unknown here (try CP1251, KOI8-R, UTF-8)", value);
			return TD_EINVAL;
		}
		iconv_close(cd);
		snprintf(l->charset, sizeof(l->charset), "%s", value);
		return 0;
	}
	if (!strcmp(key, "max_read")) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		if (*end == 'K' || *end == 'k')
			v <<= 10, end++;
		else if (*end == 'M' || *end == 'm')
			v <<= 20, end++;
		if (errno || end == value || *end || *value == '-' || v < 4096 || v > LOG_READ_MAX) {
			snprintf(err, errlen, "max_read '%s': use 4K to 64M", value);
			return TD_EINVAL;
		}
		l->max_read = (size_t)v;
		return 0;
	}
	if (!strncmp(key, "pattern.", 8) && !parse_int(&number, key + 8, 1, 9999)) {
		if (l->n_patterns == LOG_PATTERNS_MAX) {
			snprintf(err, errlen, "at most %d patterns", LOG_PATTERNS_MAX);
			return TD_EINVAL;
		}
		struct log_pattern *p = &l->patterns[l->n_patterns];
		memset(p, 0, sizeof(*p));
		if (parse_pattern(p, value, err, errlen))
			return TD_EINVAL;
		p->number = (unsigned)number;
		l->n_patterns++;
		return 0;
	}
	return check_unknown_key("log", key, err, errlen);
}

static int log_ready(void *self, char *err, size_t errlen)
{
	struct log_check *l = self;
	if (!l->file || !l->n_patterns) {
		snprintf(err, errlen, "a log check needs file and at least one pattern.N");
		return TD_EINVAL;
	}
	return 0;
}

/* ---- the saved position ---- */

static void state_path(struct buf *b, const struct log_check *l, const struct check_ctx *ctx)
{
	buf_printf(b, "%s/log.%s.pos", ctx->state_dir, l->instance);
}

static void load_position(struct log_check *l, const struct check_ctx *ctx)
{
	struct buf path = BUF_INIT(4096);
	unsigned long long dev, ino;
	long long off;
	l->loaded = true;
	if (!ctx->state_dir || !*ctx->state_dir)
		return;
	state_path(&path, l, ctx);
	FILE *f = fopen(buf_cstr(&path), "r");
	if (f && fscanf(f, "%llu %llu %lld", &dev, &ino, &off) == 3 && off >= 0) {
		l->at.dev = (dev_t)dev;
		l->at.ino = (ino_t)ino;
		l->at.offset = (off_t)off;
		l->at.positioned = true;
	}
	if (f)
		fclose(f);
	buf_release(&path);
}

/* Written to a temporary file and renamed: a crash leaves the old or the new. */
static void save_position(struct log_check *l, const struct check_ctx *ctx)
{
	struct buf path = BUF_INIT(4096), tmp = BUF_INIT(4096);
	if (!ctx->state_dir || !*ctx->state_dir || !l->at.positioned)
		return;
	char line[sizeof(l->saved)];
	snprintf(line, sizeof(line), "%llu %llu %lld\n", (unsigned long long)l->at.dev,
		 (unsigned long long)l->at.ino, (long long)l->at.offset);
	if (!strcmp(line, l->saved))
		return;
	state_path(&path, l, ctx);
	buf_printf(&tmp, "%s.tmp", buf_cstr(&path));
	FILE *f = fopen(buf_cstr(&tmp), "w");
	if (f) {
		fputs(line, f);
		if (fclose(f) == 0 && rename(buf_cstr(&tmp), buf_cstr(&path)) == 0)
			snprintf(l->saved, sizeof(l->saved), "%s", line);
		else
			unlink(buf_cstr(&tmp));
	}
	buf_release(&path);
	buf_release(&tmp);
}

/* ---- reading ---- */

/* Converts in[0..n) from the file's charset to UTF-8, a byte it cannot read becoming U+FFFD. */
static void to_utf8(iconv_t cd, const char *in, size_t n, struct buf *out)
{
	char chunk[4096];
	char *ip = (char *)in;
	size_t left = n;
	iconv(cd, NULL, NULL, NULL, NULL);
	while (left) {
		char *op = chunk;
		size_t room = sizeof(chunk);
		size_t rc = iconv(cd, &ip, &left, &op, &room);
		buf_add(out, chunk, sizeof(chunk) - room);
		if (rc != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL for a character cut at the end: skip a byte. */
		buf_add(out, "\xEF\xBF\xBD", 3);
		ip++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
}

static void match_line(struct log_check *l, const char *line, size_t len)
{
	struct buf clean = BUF_INIT((size_t)LOG_READ_MAX * 4), folded = BUF_INIT((size_t)LOG_READ_MAX * 4);
	check_one_line(&clean, line, len);
	if (clean.len && !kb_fold_yo(&folded, buf_cstr(&clean))) {
		for (size_t i = 0; i < l->n_patterns; i++) {
			struct log_pattern *p = &l->patterns[i];
			if (kb_regex_match(p->re, buf_cstr(&folded), folded.len) != 1)
				continue;
			p->matches++;
			free(p->last_line);
			size_t keep = utf8_cut(clean.data, clean.len < LOG_LINE_SHOWN ? clean.len : LOG_LINE_SHOWN);
			p->last_line = xmalloc(keep + 1);
			memcpy(p->last_line, clean.data, keep);
			p->last_line[keep] = '\0';
		}
	}
	buf_release(&clean);
	buf_release(&folded);
}

/*
 * Reads p's file from its offset, at most *budget bytes, matching whole
 * lines (everything when final: the rotated file's last line will never
 * end); the offset moves past what was read.
 */
static int read_lines(struct log_check *l, struct log_pos *p, iconv_t cd, size_t *budget,
		      bool final)
{
	char *data = xmalloc(*budget ? *budget : 1);
	struct buf text = BUF_INIT(SIZE_MAX / 2);
	int rc = 0;
	size_t got = 0;

	while (got < *budget) {
		ssize_t n = pread(p->fd, data + got, *budget - got, p->offset + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	size_t use = got;
	if (!final && got) {
		const char *nl = memrchr(data, '\n', got);
		/* A partial last line waits for its end, unless it alone fills the budget. */
		if (nl)
			use = (size_t)(nl - data) + 1;
		else if (got < *budget)
			use = 0;
	}
	to_utf8(cd, data, use, &text);
	for (size_t start = 0; start < text.len;) {
		const char *nl = memchr(text.data + start, '\n', text.len - start);
		size_t end = nl ? (size_t)(nl - text.data) : text.len;
		size_t len = end - start;
		if (len && text.data[start + len - 1] == '\r')
			len--;
		match_line(l, text.data + start, len);
		start = end + 1;
	}
	p->offset += (off_t)use;
	*budget -= use;
done:
	free(data);
	buf_release(&text);
	return rc;
}

static void pos_close(struct log_pos *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/*
 * The pass's own copy of the committed position (its descriptor
 * duplicated): a pass that is not committed leaves at as it was, the
 * rotated file it may have finished still open.
 */
static int pos_begin(struct log_check *l)
{
	pos_close(&l->next);
	l->next = l->at;
	if (l->at.fd >= 0 && (l->next.fd = fcntl(l->at.fd, F_DUPFD_CLOEXEC, 0)) < 0)
		return -errno;
	return 0;
}

/* One pass over the file into l->next; 0, or a negative errno with nothing matched. */
static int read_new(struct log_check *l, const struct check_ctx *ctx)
{
	struct log_pos *p = &l->next;
	struct stat now, open_st;
	size_t budget = l->max_read;
	iconv_t cd = iconv_open("UTF-8", l->charset);
	int rc = 0;

	if (cd == (iconv_t)-1)
		return -errno;
	if (!l->loaded)
		load_position(l, ctx);
	rc = pos_begin(l);
	if (rc)
		goto done;
	int path_rc = stat(l->file, &now) ? -errno : 0;

	if (p->fd >= 0 && (path_rc || now.st_dev != p->dev || now.st_ino != p->ino)) {
		/* Renamed away (or gone): finish the old file, then follow the path. */
		rc = read_lines(l, p, cd, &budget, true);
		if (rc || budget == 0)
			goto done;  /* more of the old file next pass */
		pos_close(p);
		if (path_rc)
			goto done;
		p->dev = now.st_dev;
		p->ino = now.st_ino;
		p->offset = 0;
	}
	if (path_rc) {
		rc = path_rc;
		goto done;
	}
	if (p->fd < 0) {
		p->fd = open(l->file, O_RDONLY | O_CLOEXEC);
		if (p->fd < 0 || fstat(p->fd, &open_st)) {
			rc = -errno;
			goto done;
		}
		if (!p->positioned) {
			/*
			 * The first pass ever: what is there already is history. Where
			 * it starts is no reading, so it holds even uncommitted.
			 */
			p->offset = open_st.st_size;
			l->at = (struct log_pos){ .fd = -1, .dev = open_st.st_dev,
						  .ino = open_st.st_ino, .offset = p->offset,
						  .positioned = true };
		} else if (open_st.st_dev != p->dev || open_st.st_ino != p->ino) {
			p->offset = 0;  /* rotated while we were not looking */
		}
		p->dev = open_st.st_dev;
		p->ino = open_st.st_ino;
		p->positioned = true;
	}
	if (fstat(p->fd, &open_st)) {
		rc = -errno;
		goto done;
	}
	if (open_st.st_size < p->offset)
		p->offset = 0;  /* truncated in place */
	rc = read_lines(l, p, cd, &budget, false);
done:
	iconv_close(cd);
	l->next_ok = rc == 0;
	return rc;
}

static void log_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct log_check *l = self;
	for (size_t i = 0; i < l->n_patterns; i++) {
		l->patterns[i].matches = 0;
		free(l->patterns[i].last_line);
		l->patterns[i].last_line = NULL;
	}
	int rc = read_new(l, ctx);

	/* One result per code, in the order the codes first appear. */
	for (size_t i = 0; i < l->n_patterns; i++) {
		const struct log_pattern *p = &l->patterns[i], *worst = NULL;
		bool seen = false;
		long long matches = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(l->patterns[j].code, p->code);
		if (seen)
			continue;
		for (size_t j = i; j < l->n_patterns; j++) {
			const struct log_pattern *q = &l->patterns[j];
			if (strcmp(q->code, p->code) || !q->matches)
				continue;
			matches += q->matches;
			if (!worst || check_state_worst(q->state, worst->state) != worst->state)
				worst = q;
		}
		struct check_result *r;
		if (rc)
			r = check_addm(out, "log", p->code, CHECK_UNKNOWN, MSG_CHECK_LOG_ERROR, l->file,
				       strerror(-rc));
		else if (worst)
			r = check_addm(out, "log", p->code, worst->state, MSG_CHECK_LOG_MATCH, l->file,
				       worst->last_line, matches);
		else
			r = check_addm(out, "log", p->code, CHECK_OK, MSG_CHECK_LOG_QUIET, l->file);
		check_detail(r, "file", "%s", l->file);
		if (worst)
			check_detail(r, "line", "%s", worst->last_line);
		struct check_perf perf = { .label = "matches", .value = (double)matches };
		check_perf_add(r, &perf);
	}
}

/* The pass's events are in the spool: its lines are consumed, here and in the state file. */
static void log_commit(void *self, const struct check_ctx *ctx)
{
	struct log_check *l = self;
	if (!l->next_ok)
		return;  /* an error: the next pass reads again from the committed position */
	pos_close(&l->at);
	l->at = l->next;
	l->next.fd = -1;  /* at owns it now */
	l->next_ok = false;
	save_position(l, ctx);
}

static void log_destroy(void *self)
{
	struct log_check *l = self;
	for (size_t i = 0; i < l->n_patterns; i++) {
		kb_regex_free(l->patterns[i].re);
		free(l->patterns[i].last_line);
	}
	pos_close(&l->at);
	pos_close(&l->next);
	free(l->file);
	free(l);
}

const struct check_kind check_log = {
	.name = "log",
	.create = log_create,
	.set = log_set,
	.ready = log_ready,
	.run = log_run,
	.commit = log_commit,
	.destroy = log_destroy,
	.example =
		"; New lines of a log matched by patterns: pattern.N = STATE CODE REGEX\n"
		"; (caseless). charset converts the file (POS logs are often CP1251).\n"
		"; [check.log pos]\n"
		"; file = /var/log/pos/pos.log\n"
		"; charset = CP1251\n"
		"; max_read = 1M\n"
		"; pattern.1 = critical fn.blocked Вход в режим заблокирован\n",
};
