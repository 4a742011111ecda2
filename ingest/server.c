/*
 * server.c - the agents' endpoint on libmicrohttpd: routing, token and
 * rate checks, the body, the answers (doc/AGENT-API.md, "Answers"), and
 * the watch on slow clients. Decoding is decode.c's, storing storage's.
 */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "bot/alert.h"
#include "bot/sender.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/token.h"
#include "ingest/bucket.h"
#include "ingest/decode.h"
#include "ingest/ingest.h"
#include "storage/events.h"
#include "storage/outbox.h"

/* Two cores: two threads answer, one parsing while the other writes. */
#define INGEST_THREADS 2
/*
 * Per connection, for the request line, the headers (an agent's take a few
 * hundred bytes) and the read buffer; the body is copied out as it comes.
 * Small, as a thousand tills may hold a connection each.
 */
#define CONNECTION_MEMORY (8 * 1024)
#define TOKEN_MAX 256
/* How long the database may stay busy before a batch gets 503, and the agent's wait. */
#define BUSY_RETRY_AFTER 5
#define PRUNE_EVERY_MS (60 * 1000)
#define PRUNE_CHUNK 5000

/* A TCP connection and the time by which its request must have arrived. */
struct watch {
	int fd;
	int64_t deadline_ms;  /* INT64_MAX: being answered, not watched */
	struct watch *prev, *next;
};

struct ingest {
	const struct config *cfg;
	struct sockaddr_storage addr;
	char *tls_cert, *tls_key;     /* PEM text */
	struct MHD_Daemon *mhd;
	struct buckets *buckets;

	/* One connection per answering thread; a thread takes a free one. */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_free;
	struct db *pool[INGEST_THREADS];
	bool pool_busy[INGEST_THREADS];
	/* Batches are written one at a time: SQLite has one writer. */
	pthread_mutex_t write_lock;

	pthread_mutex_t watch_lock;
	struct watch *watches;
	pthread_t maintenance;
	bool maintenance_started;
	struct db *maintenance_db;   /* checkpoints and pruning, off the answering threads */
	volatile int stop;
	/* Told when a batch queued notices (set once the sender runs; NULL until then). */
	struct sender *_Atomic sender;
};

enum route { ROUTE_EVENTS, ROUTE_HEALTH };

/* What MHD keeps for us between calls for one request (*con_cls). */
struct request {
	enum route route;
	int64_t till;
	long long length;      /* Content-Length; -1 when not given (chunked) */
	int64_t started_ms;    /* when its headers were in */
	struct buf body;
	bool too_big;
	char addr[INET6_ADDRSTRLEN];
};

/* ---- answers ---- */

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *json,
			      int retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), (void *)json,
								 MHD_RESPMEM_MUST_COPY);
	char secs[16];
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	if (retry_after > 0) {
		snprintf(secs, sizeof(secs), "%d", retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* {"error": reason}, the reason escaped as JSON. */
static enum MHD_Result answer_error(struct MHD_Connection *c, unsigned status, const char *reason,
				    int retry_after)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "error", json_object_new_string(reason));
	enum MHD_Result rc = answer(c, status, json_object_to_json_string_ext(o,
				    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), retry_after);
	json_object_put(o);
	return rc;
}

/* ---- the database pool ---- */

static struct db *pool_take(struct ingest *in, int *slot)
{
	pthread_mutex_lock(&in->pool_lock);
	for (;;) {
		for (int i = 0; i < INGEST_THREADS; i++) {
			if (!in->pool_busy[i]) {
				in->pool_busy[i] = true;
				*slot = i;
				pthread_mutex_unlock(&in->pool_lock);
				return in->pool[i];
			}
		}
		pthread_cond_wait(&in->pool_free, &in->pool_lock);
	}
}

static void pool_give(struct ingest *in, int slot)
{
	pthread_mutex_lock(&in->pool_lock);
	in->pool_busy[slot] = false;
	pthread_cond_signal(&in->pool_free);
	pthread_mutex_unlock(&in->pool_lock);
}

/* ---- the watch on slow clients ---- */

static struct watch *watch_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

static void watch_set(struct ingest *in, struct MHD_Connection *c, int64_t deadline_ms)
{
	pthread_mutex_lock(&in->watch_lock);
	struct watch *w = watch_of(c);
	if (w)
		w->deadline_ms = deadline_ms;
	pthread_mutex_unlock(&in->watch_lock);
}

/*
 * MHD tells when a connection opens and closes. It closes the socket only
 * after the CLOSED notice, which takes the lock the maintenance thread
 * holds while it shuts sockets down: a descriptor is never shut after it
 * was closed (and perhaps reused).
 */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct ingest *in = cls;
	struct watch *w = *socket_context;
	pthread_mutex_lock(&in->watch_lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = xcalloc(1, sizeof(*w));
		w->fd = i ? i->connect_fd : -1;
		w->deadline_ms = clock_mono_ms() + in->cfg->ingest_timeout * 1000;
		w->next = in->watches;
		if (w->next)
			w->next->prev = w;
		in->watches = w;
		*socket_context = w;
	} else if (w) {
		if (w->prev)
			w->prev->next = w->next;
		else
			in->watches = w->next;
		if (w->next)
			w->next->prev = w->prev;
		free(w);
		*socket_context = NULL;
	}
	pthread_mutex_unlock(&in->watch_lock);
}

/*
 * True when the client's bytes wait in the kernel for us: then the client
 * is not slow, the server is (busy with other batches).
 */
static bool bytes_waiting(int fd)
{
	int n;
	return fd >= 0 && !ioctl(fd, FIONREAD, &n) && n > 0;
}

/*
 * Shuts down every connection whose request line and headers are not in
 * by its deadline (idle ones too): MHD then sees it end and closes it. One
 * with bytes waiting gets a second more.
 */
static void cut_slow_clients(struct ingest *in)
{
	int64_t now = clock_mono_ms();
	int cut = 0;
	pthread_mutex_lock(&in->watch_lock);
	for (struct watch *w = in->watches; w; w = w->next) {
		if (w->deadline_ms > now || w->fd < 0)
			continue;
		if (bytes_waiting(w->fd)) {
			w->deadline_ms = now + 1000;
			continue;
		}
		shutdown(w->fd, SHUT_RDWR);
		w->deadline_ms = INT64_MAX;
		cut++;
	}
	pthread_mutex_unlock(&in->watch_lock);
	if (cut)
		log_debug("ingest: closed %d connection%s idle, or without a request's headers, for %llds",
			  cut, cut == 1 ? "" : "s", (long long)in->cfg->ingest_timeout);
}

/*
 * The body's own deadline, checked as its pieces come: timeout from the
 * headers, unless the rest waits in the kernel (the server is behind). A
 * client that stops sending altogether meets MHD's idle timeout instead.
 */
static bool body_too_slow(struct ingest *in, struct MHD_Connection *c, const struct request *r)
{
	if (r->length >= 0 && (long long)r->body.len >= r->length)
		return false;
	if (clock_mono_ms() - r->started_ms <= in->cfg->ingest_timeout * 1000)
		return false;
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	return !(i && bytes_waiting(i->connect_fd));
}

/* Deletes heartbeats past [ingest] heartbeat_keep, a chunk at a time between batches. */
static void prune_heartbeats(struct ingest *in)
{
	int64_t before = clock_now() - in->cfg->ingest_heartbeat_keep;
	int deleted, total = 0, rc;
	struct db *db = in->maintenance_db;
	do {
		pthread_mutex_lock(&in->write_lock);
		rc = db_begin(db);
		if (!rc)
			rc = db_agent_prune(db, before, PRUNE_CHUNK, &deleted);
		if (!rc)
			rc = db_commit(db);
		if (rc)
			db_rollback(db);
		pthread_mutex_unlock(&in->write_lock);
		if (rc)
			return;
		total += deleted;
	} while (deleted == PRUNE_CHUNK && !in->stop);
	if (total)
		log_debug("ingest: pruned %d heartbeats", total);
}

static void *maintenance_thread(void *arg)
{
	struct ingest *in = arg;
	int64_t pruned = 0, checkpointed = 0;
	while (!in->stop) {
		cut_slow_clients(in);
		/*
		 * The answering threads' commits never checkpoint (a commit that
		 * did would hold every other batch behind its sync): done here.
		 */
		if (clock_mono_ms() - checkpointed >= 1000) {
			db_wal_checkpoint(in->maintenance_db);
			checkpointed = clock_mono_ms();
		}
		if (clock_mono_ms() - pruned >= PRUNE_EVERY_MS) {
			prune_heartbeats(in);
			pruned = clock_mono_ms();
		}
		struct timespec step = { 0, 200 * 1000000 };
		nanosleep(&step, NULL);
	}
	return NULL;
}

/* ---- the requests ---- */

static void client_address(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "?");
	if (!i || !i->client_addr)
		return;
	if (i->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)i->client_addr)->sin_addr, out, (socklen_t)n);
	else if (i->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)i->client_addr)->sin6_addr, out, (socklen_t)n);
}

/*
 * The till of the bearer token: looked up by the token's SHA-256, then the
 * stored digest compared in constant time (the index lookup is not, and
 * tells only a digest's prefix, not a token's). The token is never logged.
 */
static int till_of_token(struct db *db, struct MHD_Connection *c, int64_t *till)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	char hash[SHA256_HEX_LEN + 1], stored[SHA256_HEX_LEN + 1];
	if (!auth || strncasecmp(auth, "Bearer ", 7))
		return TD_ENOTFOUND;
	const char *token = auth + 7;
	token += strspn(token, " ");
	size_t n = strnlen(token, TOKEN_MAX + 1);
	if (!n || n > TOKEN_MAX)
		return TD_ENOTFOUND;
	token_hash(hash, token);
	int rc = db_agent_till(db, hash, till, stored);
	if (rc)
		return rc;
	return token_equal(hash, stored, SHA256_HEX_LEN) ? 0 : TD_ENOTFOUND;
}

static bool json_content_type(struct MHD_Connection *c)
{
	const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	size_t n = strlen("application/json");
	return t && !strncasecmp(t, "application/json", n) && (!t[n] || t[n] == ';' || t[n] == ' ');
}

/*
 * Everything that can be told before the body: content type, size, token,
 * rate. An answer queued now ends the request (MHD reads no body); else
 * MHD_YES goes on reading it.
 */
static enum MHD_Result events_begin(struct ingest *in, struct MHD_Connection *c,
				    struct request *r)
{
	const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long n;
	int slot, wait, rc;
	r->length = -1;
	if (!json_content_type(c))
		return answer_error(c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "not application/json", 0);
	if (len && (parse_int(&n, len, 0, INT64_MAX) || n > INGEST_BODY_MAX))
		return answer_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body over 1 MiB", 0);
	struct db *db = pool_take(in, &slot);
	rc = till_of_token(db, c, &r->till);
	pool_give(in, slot);
	if (rc == TD_ENOTFOUND) {
		/* Debug: anyone may knock, and the journal is not theirs to fill. */
		log_debug("ingest: %s: unknown token", r->addr);
		return answer_error(c, MHD_HTTP_UNAUTHORIZED, "unknown token", 0);
	}
	if (rc)
		return answer_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", BUSY_RETRY_AFTER);
	if (!buckets_take(in->buckets, r->till, clock_mono_ms(), &wait)) {
		log_debug("ingest: till %lld: over its rate, retry in %ds", (long long)r->till, wait);
		return answer_error(c, MHD_HTTP_TOO_MANY_REQUESTS, "too many requests", wait);
	}
	r->length = len ? n : -1;
	return MHD_YES;
}

/* The whole body is in: decode, store in one transaction, answer. */
static enum MHD_Result events_end(struct ingest *in, struct MHD_Connection *c, struct request *r)
{
	struct ingest_batch batch;
	bool fresh[INGEST_EVENTS_MAX];
	char err[256], ok[128];
	int accepted = 0, duplicate = 0, slot, rc;

	if (r->too_big)
		return answer_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "body over 1 MiB", 0);
	/*
	 * Stopping: what MHD still has read is answered at once, unstored (the
	 * agent sends it again), so that serve stops in time under load too.
	 */
	if (in->stop)
		return answer_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "stopping", BUSY_RETRY_AFTER);
	if (ingest_decode(&batch, r->body.data ? r->body.data : "", r->body.len, err, sizeof(err))) {
		log_info("ingest: till %lld: batch refused: %s", (long long)r->till, err);
		return answer_error(c, MHD_HTTP_BAD_REQUEST, err, 0);
	}
	struct db *db = pool_take(in, &slot);
	pthread_mutex_lock(&in->write_lock);
	int64_t now = clock_now();
	rc = db_begin(db);
	int64_t before = db_total_changes(db);
	if (!rc)
		rc = db_agent_store(db, r->till, batch.events, batch.n, now, &accepted, &duplicate,
				    fresh);
	/* The alerts and their notices in the same transaction: a crash loses or doubles none. */
	if (!rc && accepted) {
		struct dialog d = { .db = db, .now = now, .cfg = in->cfg };
		dialog_chats(&d, in->cfg);
		before = db_total_changes(db);
		rc = alert_observe(&d, r->till, batch.events, fresh, batch.n);
	}
	/* Kicking an idle sender costs a wake-up; a batch of heartbeats changes no alert. */
	bool queued = !rc && accepted && db_total_changes(db) != before;
	if (!rc)
		rc = db_commit(db);
	if (rc)
		db_rollback(db);
	pthread_mutex_unlock(&in->write_lock);
	struct sender *sender = in->sender;
	if (!rc && queued && sender)
		sender_kick(sender);
	pool_give(in, slot);
	if (batch.dropped)
		log_warn("ingest: till %lld: its agent's full spool dropped %lld heartbeats",
			 (long long)r->till, (long long)batch.dropped);
	log_debug("ingest: till %lld (%s): %d accepted, %d duplicate", (long long)r->till,
		  batch.agent, accepted, duplicate);
	ingest_batch_release(&batch);
	if (rc == TD_EBUSY)
		return answer_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database busy", BUSY_RETRY_AFTER);
	if (rc)   /* the contract knows 503 for a database that fails us, not 500 */
		return answer_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database error", BUSY_RETRY_AFTER);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Seconds from the one clock, milliseconds from the system's. */
	snprintf(ok, sizeof(ok), "{\"accepted\": %d, \"duplicate\": %d, \"server_time\": %lld}",
		 accepted, duplicate, (long long)clock_now() * 1000 + ts.tv_nsec / 1000000);
	return answer(c, MHD_HTTP_OK, ok, 0);
}

static enum MHD_Result health(struct ingest *in, struct MHD_Connection *c)
{
	int slot;
	struct db *db = pool_take(in, &slot);
	bool ok = db_schema_version(db) >= 0;
	pool_give(in, slot);
	return ok ? answer(c, MHD_HTTP_OK, "{\"status\": \"ok\"}", 0)
		  : answer_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "database unavailable", BUSY_RETRY_AFTER);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct ingest *in = cls;
	struct request *r = *con_cls;
	(void)version;

	if (!r) {
		bool events = !strcmp(url, "/api/v1/events"), healthz = !strcmp(url, "/api/v1/health");
		if (!events && !healthz)
			return answer_error(c, MHD_HTTP_NOT_FOUND, "no such path", 0);
		if (strcmp(method, events ? "POST" : "GET"))
			return answer_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, events ? "use POST" : "use GET", 0);
		r = xcalloc(1, sizeof(*r));
		*con_cls = r;
		r->route = events ? ROUTE_EVENTS : ROUTE_HEALTH;
		r->started_ms = clock_mono_ms();
		buf_init(&r->body, INGEST_BODY_MAX);
		client_address(c, r->addr, sizeof(r->addr));
		/*
		 * The headers are in: the watch lets go (MHD may read the rest, and
		 * call us, rounds later when busy); the body has its own deadline.
		 */
		watch_set(in, c, INT64_MAX);
		return r->route == ROUTE_HEALTH ? MHD_YES : events_begin(in, c, r);
	}
	if (r->route == ROUTE_EVENTS && *upload_size) {
		/* A chunked body has no length to refuse up front: keep reading, keep nothing. */
		if (!r->too_big && buf_add(&r->body, upload, *upload_size))
			r->too_big = true;
		*upload_size = 0;
		if (body_too_slow(in, c, r)) {
			log_info("ingest: %s: cut off, its body slower than %llds", r->addr,
				 (long long)in->cfg->ingest_timeout);
			return MHD_NO;
		}
		return MHD_YES;
	}
	return r->route == ROUTE_HEALTH ? health(in, c) : events_end(in, c, r);
}

/* The request is over: its connection has timeout again to bring the next one. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ingest *in = cls;
	struct request *r = *con_cls;
	(void)toe;
	if (r) {
		buf_release(&r->body);
		free(r);
		*con_cls = NULL;
	}
	watch_set(in, c, clock_mono_ms() + in->cfg->ingest_timeout * 1000);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_debug("ingest: libmicrohttpd: %s", line);
}

/* ---- set-up ---- */

/* "host:port" or "[v6]:port" into a socket address. */
static int parse_listen(struct sockaddr_storage *out, const char *s, char *err, size_t errlen)
{
	char host[128];
	const char *colon = strrchr(s, ':');
	long long port;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_socktype = SOCK_STREAM }, *ai;
	if (!colon || parse_int(&port, colon + 1, 1, 65535) || (size_t)(colon - s) >= sizeof(host))
		goto bad;
	if (*s == '[' && colon > s + 1 && colon[-1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s - 2), s + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	if (getaddrinfo(host, NULL, &hints, &ai))
		goto bad;
	memcpy(out, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)out)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)(void *)out)->sin6_port = htons((uint16_t)port);
	return 0;
bad:
	snprintf(err, errlen, "ingest.listen: '%s' is not ADDRESS:PORT (such as 127.0.0.1:8461 or [::1]:8461)", s);
	return TD_EINVAL;
}

static char *read_pem(const char *path, const char *key, char *err, size_t errlen)
{
	struct buf b = BUF_INIT(1 << 20);
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "ingest.%s: %s: %s", key, path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	if (b.failed || !b.len) {
		snprintf(err, errlen, "ingest.%s: %s: empty or over 1 MiB", key, path);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

int ingest_new(struct ingest **out, const struct config *cfg, char *err, size_t errlen)
{
	struct ingest *in;
	*out = NULL;
	if (!*cfg->ingest_listen)
		return 0;
	in = xcalloc(1, sizeof(*in));
	in->cfg = cfg;
	pthread_mutex_init(&in->pool_lock, NULL);
	pthread_cond_init(&in->pool_free, NULL);
	pthread_mutex_init(&in->write_lock, NULL);
	pthread_mutex_init(&in->watch_lock, NULL);
	if (parse_listen(&in->addr, cfg->ingest_listen, err, errlen))
		goto fail;
	if (!*cfg->ingest_tls_cert != !*cfg->ingest_tls_key) {
		snprintf(err, errlen, "ingest: tls_cert and tls_key go together");
		goto fail;
	}
	if (*cfg->ingest_tls_cert &&
	    (!(in->tls_cert = read_pem(cfg->ingest_tls_cert, "tls_cert", err, errlen)) ||
	     !(in->tls_key = read_pem(cfg->ingest_tls_key, "tls_key", err, errlen))))
		goto fail;
	if (in->tls_cert && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "ingest: this libmicrohttpd has no TLS");
		goto fail;
	}
	in->buckets = buckets_new((double)cfg->ingest_rate, (double)cfg->ingest_burst);
	*out = in;
	return 0;
fail:
	ingest_free(in);
	return TD_EINVAL;
}

/*
 * Each connection is a descriptor, and systemd's soft limit is 1,024: raise
 * it towards the hard limit so that [ingest] connections can be met.
 */
static void allow_descriptors(rlim_t want)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur >= want)
		return;
	r.rlim_cur = want < r.rlim_max ? want : r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) || r.rlim_cur < want)
		log_warn("ingest: %llu open files allowed, fewer than connections needs",
			 (unsigned long long)r.rlim_cur);
}

int ingest_start(struct ingest *in, char *err, size_t errlen)
{
	char why[256] = "cannot set up a connection";
	for (int i = 0; i < INGEST_THREADS; i++) {
		if (db_open(&in->pool[i], in->cfg->database, why, sizeof(why)) ||
		    db_wal_autocheckpoint(in->pool[i], false)) {
			snprintf(err, errlen, "ingest: %s", why);
			return TD_ERR;
		}
	}
	if (db_open(&in->maintenance_db, in->cfg->database, why, sizeof(why))) {
		snprintf(err, errlen, "ingest: %s", why);
		return TD_ERR;
	}
	/* The connections, and the database's files and the other threads' sockets. */
	allow_descriptors((rlim_t)in->cfg->ingest_connections + 64);
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (in->addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (in->tls_cert)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, in->tls_cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, in->tls_key },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (!in->tls_cert)
		tls[0].option = MHD_OPTION_END;
	in->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, in,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, in,  /* first: it logs the options' errors */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&in->addr,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)INGEST_THREADS,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)in->cfg->ingest_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)in->cfg->ingest_per_address,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)in->cfg->ingest_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, in,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, in,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
	if (!in->mhd) {
		snprintf(err, errlen, "ingest: cannot listen on %s (in use, or not allowed)",
			 in->cfg->ingest_listen);
		return TD_ERR;
	}
	if (pthread_create(&in->maintenance, NULL, maintenance_thread, in)) {
		snprintf(err, errlen, "ingest: no thread");
		return TD_ERR;
	}
	in->maintenance_started = true;
	log_info("ingest: listening on %s%s", in->cfg->ingest_listen, in->tls_cert ? " (HTTPS)" : "");
	return 0;
}

void ingest_tell(struct ingest *in, struct sender *sender)
{
	if (in)
		in->sender = sender;
}

void ingest_free(struct ingest *in)
{
	if (!in)
		return;
	in->stop = 1;
	if (in->maintenance_started)
		pthread_join(in->maintenance, NULL);
	if (in->mhd)
		MHD_stop_daemon(in->mhd);
	for (int i = 0; i < INGEST_THREADS; i++)
		db_close(in->pool[i]);
	db_close(in->maintenance_db);
	buckets_free(in->buckets);
	free(in->tls_cert);
	if (in->tls_key) {
		explicit_bzero(in->tls_key, strlen(in->tls_key));
		free(in->tls_key);
	}
	pthread_mutex_destroy(&in->pool_lock);
	pthread_cond_destroy(&in->pool_free);
	pthread_mutex_destroy(&in->write_lock);
	pthread_mutex_destroy(&in->watch_lock);
	free(in);
}
