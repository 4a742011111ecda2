/*
 * ingest.h - the till agents' HTTP endpoint inside `tilldesk serve`
 * (doc/AGENT-API.md): POST /api/v1/events and GET /api/v1/health, served
 * by libmicrohttpd, which only ingest/ includes.
 *
 * A small pool of threads answers; each has its own database connection,
 * and batches are written one at a time (SQLite has one writer), so that
 * two of them never wait on each other's lock. Slow clients are cut off:
 * a request's headers must arrive within [ingest] timeout of the
 * connection's start or of its previous answer, its body within the same
 * time of its headers. A maintenance thread watches the headers,
 * checkpoints the database and prunes old heartbeats.
 */
#ifndef TD_INGEST_H
#define TD_INGEST_H

#include "core/config.h"

struct ingest;

/*
 * Checks [ingest] of cfg (borrowed for the endpoint's life) and reads the
 * TLS files, so that files only root may read are read before privileges
 * drop. *out is NULL when listen is empty (no endpoint). On failure writes
 * the reason to err and returns TD_EINVAL.
 */
int ingest_new(struct ingest **out, const struct config *cfg, char *err, size_t errlen);

/*
 * Opens the database connections, binds the address and starts serving.
 * 0, or TD_ERR with the reason in err (the endpoint stays stopped; free it
 * with ingest_free()).
 */
int ingest_start(struct ingest *in, char *err, size_t errlen);

struct sender;
/* The sender to kick when a batch's alerts queued notices (may be set after ingest_start). */
void ingest_tell(struct ingest *in, struct sender *sender);

/* Stops serving (answers in progress finish) and frees in; NULL is fine. */
void ingest_free(struct ingest *in);

#endif
