/*
 * check_disk.c - free space and free inodes of the till's mounts (a full
 * disk stops the POS software's database and logs first).
 *
 *   [check.disk]
 *   mounts = / /var/lib/pos   ; default /
 *   warn = 10%                ; free space below this: WARNING (or bytes: 2G)
 *   crit = 5%                 ; ... CRITICAL
 *   inode_warn = 10%          ; free inodes, the same way (or a count)
 *   inode_crit = 5%
 *
 * Two results, <instance>.space and <instance>.inodes (disk.space,
 * disk.inodes), each the worst of the mounts; every mount is in the
 * details and the perfdata. A file system without inode counts (btrfs
 * reports none) is left out of the inode result.
 */
#include <sys/statvfs.h>

#include "agent/checks.h"
#include "core/buf.h"

#define DISK_MOUNTS_MAX 8

/* Free below value: a share (percent) or an absolute amount (bytes, inodes). */
struct limit {
	bool percent;
	double value;
};

struct disk {
	char instance[33];
	char *mounts[DISK_MOUNTS_MAX];
	size_t n_mounts;
	struct limit warn, crit, inode_warn, inode_crit;
};

static void *disk_create(void)
{
	struct disk *d = xcalloc(1, sizeof(*d));
	snprintf(d->instance, sizeof(d->instance), "disk");
	d->warn = d->inode_warn = (struct limit){ true, 10 };
	d->crit = d->inode_crit = (struct limit){ true, 5 };
	return d;
}

static void drop_mounts(struct disk *d)
{
	for (size_t i = 0; i < d->n_mounts; i++)
		free(d->mounts[i]);
	d->n_mounts = 0;
}

/* "10%", "2G", "500M", "1024" (K, M, G, T are powers of 1024; a B may follow). */
static int parse_limit(struct limit *out, const char *key, const char *value, char *err,
		       size_t errlen)
{
	static const struct { char c; double mul; } units[] = {
		{ 'K', 1024.0 }, { 'M', 1048576.0 }, { 'G', 1073741824.0 }, { 'T', 1099511627776.0 },
	};
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	struct limit l = { false, v };

	if (end == value || errno || v < 0 || *value == '-' || *value == ' ')
		goto bad;
	if (*end == '%') {
		l.percent = true;
		end++;
		if (v > 100)
			goto bad;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if (*end == units[i].c || *end == units[i].c + 32) {
				l.value *= units[i].mul;
				end++;
				break;
			}
		if (*end == 'B')
			end++;
	}
	if (*end)
		goto bad;
	*out = l;
	return 0;
bad:
	snprintf(err, errlen, "%s '%s': use a share such as 10%% or an amount such as 2G", key, value);
	return TD_EINVAL;
}

static int disk_set(void *self, const char *key, const char *value, char *err, size_t errlen)
{
	struct disk *d = self;

	if (!strcmp(key, CHECK_KEY_INSTANCE))
		return check_set_instance(d->instance, value, err, errlen);
	if (!strcmp(key, "mounts")) {
		drop_mounts(d);
		for (const char *p = value; *p;) {
			size_t n = strcspn(p, " \t");
			if (n) {
				if (d->n_mounts == DISK_MOUNTS_MAX || *p != '/') {
					snprintf(err, errlen, "mounts '%s': up to %d absolute paths, separated by spaces",
						 value, DISK_MOUNTS_MAX);
					return TD_EINVAL;
				}
				d->mounts[d->n_mounts] = xmalloc(n + 1);
				memcpy(d->mounts[d->n_mounts], p, n);
				d->mounts[d->n_mounts++][n] = '\0';
			}
			p += n;
			p += strspn(p, " \t");
		}
		return 0;
	}
	if (!strcmp(key, "warn"))
		return parse_limit(&d->warn, key, value, err, errlen);
	if (!strcmp(key, "crit"))
		return parse_limit(&d->crit, key, value, err, errlen);
	if (!strcmp(key, "inode_warn"))
		return parse_limit(&d->inode_warn, key, value, err, errlen);
	if (!strcmp(key, "inode_crit"))
		return parse_limit(&d->inode_crit, key, value, err, errlen);
	return check_unknown_key("disk", key, err, errlen);
}

static int disk_ready(void *self, char *err, size_t errlen)
{
	struct disk *d = self;
	(void)err, (void)errlen;
	if (!d->n_mounts)
		d->mounts[d->n_mounts++] = xstrdup("/");
	return 0;
}

/* The free amount below which l fires, for a total of total. */
static double limit_amount(const struct limit *l, double total)
{
	return l->percent ? total * l->value / 100.0 : l->value;
}

static enum check_state judge(double free_, double total, const struct limit *warn,
			      const struct limit *crit)
{
	if (free_ < limit_amount(crit, total))
		return CHECK_CRITICAL;
	if (free_ < limit_amount(warn, total))
		return CHECK_WARNING;
	return CHECK_OK;
}

/* "12.3G": df -h's way, the same in every language. */
static void human(char *out, size_t n, double bytes)
{
	static const char units[] = "BKMGTP";
	size_t u = 0;
	while (bytes >= 1024 && u + 1 < sizeof(units) - 1) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f%c" : "%.0f%c", bytes, units[u]);
}

/* The worst mount so far of one result: its state, and the share free to break ties. */
struct worst {
	enum check_state state;
	double share;
	size_t mount;
	bool any;
};

static void consider(struct worst *w, enum check_state s, double share, size_t mount)
{
	if (!w->any || check_state_worst(s, w->state) != w->state ||
	    (s == w->state && share < w->share)) {
		*w = (struct worst){ s, share, mount, true };
	}
}

static void disk_run(void *self, const struct check_ctx *ctx, struct check_results *out)
{
	struct disk *d = self;
	struct statvfs st[DISK_MOUNTS_MAX];
	int err[DISK_MOUNTS_MAX];
	struct worst space = { 0 }, inodes = { 0 };
	char code[65], a[16], b[16];
	(void)ctx;

	for (size_t i = 0; i < d->n_mounts; i++) {
		err[i] = statvfs(d->mounts[i], &st[i]) ? errno : 0;
		if (err[i]) {
			consider(&space, CHECK_UNKNOWN, 0, i);
			consider(&inodes, CHECK_UNKNOWN, 0, i);
			continue;
		}
		double total = (double)st[i].f_blocks * st[i].f_frsize;
		double avail = (double)st[i].f_bavail * st[i].f_frsize;
		consider(&space, judge(avail, total, &d->warn, &d->crit), total ? avail / total : 1, i);
		if (st[i].f_files) {
			double files = (double)st[i].f_files, favail = (double)st[i].f_favail;
			consider(&inodes, judge(favail, files, &d->inode_warn, &d->inode_crit),
				 favail / files, i);
		}
	}

	check_default_code(code, d->instance, "space");
	struct check_result *rs_space;
	size_t m = space.mount;
	if (err[m]) {
		rs_space = check_addm(out, "disk", code, CHECK_UNKNOWN, MSG_CHECK_DISK_ERROR,
				      d->mounts[m], strerror(err[m]));
	} else {
		double total = (double)st[m].f_blocks * st[m].f_frsize;
		human(a, sizeof(a), (double)st[m].f_bavail * st[m].f_frsize);
		human(b, sizeof(b), total);
		rs_space = check_addm(out, "disk", code, space.state, MSG_CHECK_DISK_SPACE, d->mounts[m],
				      a, b, (long long)(space.share * 100));
	}
	struct check_result *rs_inodes = NULL;
	if (inodes.any) {
		check_default_code(code, d->instance, "inodes");
		m = inodes.mount;
		if (err[m])
			rs_inodes = check_addm(out, "disk", code, CHECK_UNKNOWN, MSG_CHECK_DISK_ERROR,
					       d->mounts[m], strerror(err[m]));
		else
			rs_inodes = check_addm(out, "disk", code, inodes.state, MSG_CHECK_DISK_INODES,
					       d->mounts[m], (unsigned long long)st[m].f_favail,
					       (unsigned long long)st[m].f_files,
					       (long long)(inodes.share * 100));
	}

	for (size_t i = 0; i < d->n_mounts; i++) {
		char key[64];
		if (err[i])
			continue;
		double total = (double)st[i].f_blocks * st[i].f_frsize;
		double avail = (double)st[i].f_bavail * st[i].f_frsize;
		snprintf(key, sizeof(key), "free %s", d->mounts[i]);
		check_detail(rs_space, key, "%.0f", avail);
		struct check_perf p = { .value = avail, .warn = limit_amount(&d->warn, total),
					.crit = limit_amount(&d->crit, total), .min = 0, .max = total,
					.has = CHECK_PERF_WARN | CHECK_PERF_CRIT | CHECK_PERF_MIN | CHECK_PERF_MAX };
		utf8_snprintf(p.label, sizeof(p.label), "%s", d->mounts[i]);
		snprintf(p.uom, sizeof(p.uom), "B");
		check_perf_add(rs_space, &p);
		if (rs_inodes && st[i].f_files) {
			double files = (double)st[i].f_files;
			p = (struct check_perf){ .value = (double)st[i].f_favail,
						 .warn = limit_amount(&d->inode_warn, files),
						 .crit = limit_amount(&d->inode_crit, files), .min = 0,
						 .max = files, .has = p.has };
			utf8_snprintf(p.label, sizeof(p.label), "%s inodes", d->mounts[i]);
			check_perf_add(rs_inodes, &p);
		}
	}
}

static void disk_destroy(void *self)
{
	drop_mounts(self);
	free(self);
}

const struct check_kind check_disk = {
	.name = "disk",
	.create = disk_create,
	.set = disk_set,
	.ready = disk_ready,
	.run = disk_run,
	.destroy = disk_destroy,
	.example =
		"; Free space and inodes of the mounts, below a share (10%) or an amount\n"
		"; (2G). Codes: disk.space, disk.inodes.\n"
		"[check.disk]\n"
		"mounts = /\n"
		"warn = 10%\n"
		"crit = 5%\n"
		"inode_warn = 10%\n"
		"inode_crit = 5%\n",
};
