/*
 * schema.c - the database schema as a list of migrations.
 *
 * Migration N brings a file from user_version N-1 to N. Never edit a
 * migration that has shipped: add a new one.
 */
#include "core/log.h"
#include "storage/internal.h"

static const char *const migrations[] = {
	/* 1: the chain — organisations, stores, tills, equipment, people, invites. */
	"CREATE TABLE settings ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");"
	"CREATE TABLE orgs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  tier TEXT NOT NULL DEFAULT 'standard',"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE org_owners ("
	"  org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,"
	"  email TEXT NOT NULL,"
	"  PRIMARY KEY (org_id, email)"
	");"
	"CREATE TABLE stores ("
	"  id INTEGER PRIMARY KEY,"
	"  org_id INTEGER NOT NULL REFERENCES orgs(id),"
	"  name TEXT NOT NULL,"
	"  address TEXT NOT NULL DEFAULT '',"
	"  timezone TEXT NOT NULL,"
	"  hours TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (org_id, name)"
	");"
	"CREATE TABLE tills ("
	"  id INTEGER PRIMARY KEY,"
	"  store_id INTEGER NOT NULL REFERENCES stores(id),"
	"  name TEXT NOT NULL,"
	"  token_hash TEXT NOT NULL UNIQUE,"
	"  last_seen_at INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  UNIQUE (store_id, name)"
	");"
	"CREATE TABLE equipment ("
	"  id INTEGER PRIMARY KEY,"
	"  till_id INTEGER NOT NULL REFERENCES tills(id),"
	"  kind TEXT NOT NULL,"
	"  model TEXT NOT NULL DEFAULT '',"
	"  serial TEXT NOT NULL DEFAULT '',"
	"  expires_on TEXT," /* YYYY-MM-DD: fiscal drive end of life, certificate expiry */
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX equipment_till ON equipment(till_id);"
	"CREATE TABLE people ("
	"  id INTEGER PRIMARY KEY,"
	"  tg_user_id INTEGER UNIQUE,"
	"  name TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK (role IN ('cashier', 'engineer', 'owner', 'admin')),"
	"  store_id INTEGER REFERENCES stores(id),"
	"  org_id INTEGER REFERENCES orgs(id),"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE TABLE invites ("
	"  id INTEGER PRIMARY KEY,"
	"  code_hash TEXT NOT NULL UNIQUE,"
	"  role TEXT NOT NULL CHECK (role IN ('cashier', 'engineer', 'owner', 'admin')),"
	"  store_id INTEGER REFERENCES stores(id),"
	"  org_id INTEGER REFERENCES orgs(id),"
	"  created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL,"
	"  used_at INTEGER,"
	"  used_by INTEGER REFERENCES people(id)"
	");",

	/*
	 * 2: tickets and their history, the outbox. A ticket's state is its
	 * newest history row; history rows are never updated or deleted.
	 */
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY,"
	"  store_id INTEGER NOT NULL REFERENCES stores(id),"
	"  till_id INTEGER REFERENCES tills(id),"
	"  cashier_id INTEGER REFERENCES people(id),"
	"  source TEXT NOT NULL CHECK (source IN ('telegram', 'agent', 'email', 'cli')),"
	"  title TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX tickets_store ON tickets(store_id);"
	"CREATE TABLE ticket_events ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  at INTEGER NOT NULL,"
	"  actor_id INTEGER REFERENCES people(id),"
	"  kind TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('new', 'claimed', 'resolved', 'closed')),"
	"  priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),"
	"  assignee_id INTEGER REFERENCES people(id),"
	"  body TEXT"
	");"
	"CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);"
	"CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events"
	"  BEGIN SELECT RAISE(ABORT, 'ticket history is append-only'); END;"
	"CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events"
	"  BEGIN SELECT RAISE(ABORT, 'ticket history is append-only'); END;"
	"CREATE VIEW ticket_state AS"
	"  SELECT t.id, t.store_id, t.till_id, t.cashier_id, t.source, t.title,"
	"         t.created_at, e.status, e.priority, e.assignee_id, e.at AS updated_at"
	"  FROM tickets t JOIN ticket_events e ON e.id ="
	"    (SELECT max(id) FROM ticket_events WHERE ticket_id = t.id);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  channel TEXT NOT NULL CHECK (channel IN ('telegram', 'email')),"
	"  chat_id INTEGER,"
	"  recipient TEXT,"
	"  method TEXT NOT NULL,"
	"  payload TEXT NOT NULL,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  created_at INTEGER NOT NULL,"
	"  not_before INTEGER NOT NULL DEFAULT 0,"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),"
	"  sent_at INTEGER,"
	"  error TEXT"
	");"
	"CREATE INDEX outbox_pending ON outbox(state, id);",

	/*
	 * 3: the Telegram side. Which chat messages belong to which ticket (to
	 * route replies and edit cards), what each person is in the middle of
	 * answering, and how a sent outbox row is remembered.
	 */
	"CREATE TABLE tg_links ("
	"  chat_id INTEGER NOT NULL,"
	"  message_id INTEGER NOT NULL,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  role TEXT NOT NULL," /* card, relay, question */
	"  PRIMARY KEY (chat_id, message_id)"
	");"
	"CREATE INDEX tg_links_ticket ON tg_links(ticket_id, role);"
	"CREATE TABLE person_state ("
	"  person_id INTEGER PRIMARY KEY REFERENCES people(id),"
	"  kind TEXT NOT NULL," /* resolution: the engineer is typing how it was fixed */
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  since INTEGER NOT NULL"
	");"
	"ALTER TABLE outbox ADD COLUMN link_role TEXT;"   /* remember the sent message as this role */
	"ALTER TABLE outbox ADD COLUMN edit_role TEXT;"   /* edit the ticket's message of this role */
	"ALTER TABLE outbox ADD COLUMN message_id INTEGER;" /* what Telegram answered */
	"CREATE INDEX outbox_chat ON outbox(chat_id, state, id);",

	/*
	 * 4: the sender finds each chat's oldest pending row by walking the
	 * pending rows' chats in this index, so its cost follows the number of
	 * chats, not the backlog. And a cashier's tickets by cashier.
	 */
	"CREATE INDEX outbox_queue ON outbox(chat_id, id)"
	"  WHERE state = 'pending' AND channel = 'telegram';"
	/* A cashier's open ticket is looked up on every message they write. */
	"CREATE INDEX tickets_cashier ON tickets(cashier_id);",

	/*
	 * 5: the knowledge base. Articles by slug (retired, never deleted), the
	 * full-text index over them with tilldesk's Russian tokenizer, and
	 * every suggestion shown with its outcome.
	 */
	"CREATE TABLE kb_articles ("
	"  id INTEGER PRIMARY KEY,"
	"  slug TEXT NOT NULL UNIQUE,"
	"  title TEXT NOT NULL,"
	"  category TEXT NOT NULL,"
	"  priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),"
	"  codes TEXT NOT NULL DEFAULT '',"
	"  keywords TEXT NOT NULL DEFAULT '',"
	"  patterns TEXT NOT NULL DEFAULT ''," /* one per line */
	"  examples TEXT NOT NULL DEFAULT ''," /* one per line */
	"  body TEXT NOT NULL,"
	"  digest TEXT NOT NULL,"              /* SHA-256 of the file */
	"  generation INTEGER NOT NULL,"       /* the import that last saw it */
	"  updated_at INTEGER NOT NULL,"
	"  retired_at INTEGER"
	");"
	"CREATE VIRTUAL TABLE kb_fts USING fts5(title, codes, keywords, examples, body,"
	"  tokenize = 'tilldesk');"
	"INSERT INTO kb_fts(kb_fts, rank) VALUES ('rank', 'bm25(5.0, 5.0, 3.0, 3.0, 1.0)');"
	"CREATE VIRTUAL TABLE kb_vocab USING fts5vocab(kb_fts, 'row');"
	"CREATE TABLE kb_suggestions ("
	"  id INTEGER PRIMARY KEY,"
	"  article_id INTEGER NOT NULL REFERENCES kb_articles(id),"
	"  person_id INTEGER REFERENCES people(id),"
	"  query TEXT NOT NULL,"
	"  confidence REAL NOT NULL,"
	"  shown_at INTEGER NOT NULL,"
	"  outcome TEXT CHECK (outcome IN ('helped', 'not_helped')),"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  decided_at INTEGER"
	");"
	"CREATE INDEX kb_suggestions_article ON kb_suggestions(article_id);"
	"ALTER TABLE tickets ADD COLUMN kb_article_id INTEGER REFERENCES kb_articles(id);",
	/*
	 * 6: each term's document frequency, written at import: read from
	 * kb_vocab on every search, it walked the term's whole doclist.
	 */
	"CREATE TABLE kb_terms ("
	"  term TEXT PRIMARY KEY,"
	"  docs INTEGER NOT NULL"
	") WITHOUT ROWID;" KB_TERMS_REFRESH,
	/*
	 * 7: SLA timers (reaction, resolution) and the pauses while a ticket
	 * waits for the cashier. Each notice's time is set once, with the
	 * notice itself.
	 */
	"CREATE TABLE sla_timers ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  kind TEXT NOT NULL CHECK (kind IN ('reaction', 'resolution')),"
	"  budget INTEGER NOT NULL,"   /* SLA seconds */
	"  started_at INTEGER NOT NULL,"
	"  due_at INTEGER,"            /* NULL: unknown (paused) */
	"  warn_at INTEGER,"
	"  warned_at INTEGER,"
	"  breached_at INTEGER,"
	"  met_at INTEGER,"
	"  PRIMARY KEY (ticket_id, kind)"
	") WITHOUT ROWID;"
	"CREATE INDEX sla_timers_running ON sla_timers(due_at) WHERE met_at IS NULL;"
	"CREATE TABLE sla_pauses ("
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  from_at INTEGER NOT NULL,"
	"  to_at INTEGER,"
	"  PRIMARY KEY (ticket_id, from_at)"
	") WITHOUT ROWID;",
	/*
	 * 8: the SLA seconds a timer had used when it was met (store hours,
	 * less the pauses), and tickets by opening time, for the reports. The
	 * scheduler's pass reads only the notices still to come, so its cost
	 * does not grow with the open tickets.
	 */
	"ALTER TABLE sla_timers ADD COLUMN used INTEGER;"
	"CREATE INDEX tickets_created ON tickets(created_at);"
	"DROP INDEX sla_timers_running;"
	"CREATE INDEX sla_timers_breach ON sla_timers(due_at)"
	"  WHERE met_at IS NULL AND breached_at IS NULL;"
	"CREATE INDEX sla_timers_warn ON sla_timers(warn_at)"
	"  WHERE met_at IS NULL AND breached_at IS NULL AND warned_at IS NULL;",
	/*
	 * 9: the cashier's dialog. A suggestion keeps the photo or document
	 * its question came with, for the ticket it may open; a cashier's
	 * latest suggestion is looked up on every message while it waits; the
	 * last acknowledgement sent to each chat spaces the next.
	 */
	"ALTER TABLE kb_suggestions ADD COLUMN photo TEXT;"     /* Telegram file_id */
	"ALTER TABLE kb_suggestions ADD COLUMN document TEXT;"  /* Telegram file_id */
	"CREATE INDEX kb_suggestions_person ON kb_suggestions(person_id, id);"
	"CREATE TABLE chat_acks ("
	"  chat_id INTEGER PRIMARY KEY,"
	"  acked_at INTEGER NOT NULL"
	");",
	/*
	 * 10: updates that failed to handle, tried and set aside (dead letters) so
	 * that the others go on: the raw update as Telegram sent it, the last
	 * error, how often it was tried. Written with the offset that passes it.
	 */
	"CREATE TABLE failed_updates ("
	"  id INTEGER PRIMARY KEY,"
	"  update_id INTEGER NOT NULL,"
	"  raw TEXT NOT NULL,"         /* the update's JSON */
	"  error TEXT NOT NULL,"
	"  tries INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  tried_at INTEGER NOT NULL"
	");",
	/*
	 * 11: access. "Blocked the bot" (Telegram's 403, undone by their next
	 * message) and "disabled" (an admin revoked access, undone only by an
	 * admin) are separate facts; "active" had meant the first and served
	 * as the only switch. When each person last wrote. What admins did to
	 * people, append-only like a ticket's history.
	 */
	"ALTER TABLE people ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;"
	"UPDATE people SET blocked = 1 WHERE active = 0;"
	"ALTER TABLE people DROP COLUMN active;"
	"ALTER TABLE people ADD COLUMN disabled_at INTEGER;"  /* NULL: enabled */
	"ALTER TABLE people ADD COLUMN last_seen_at INTEGER;"
	"CREATE TABLE person_events ("
	"  id INTEGER PRIMARY KEY,"
	"  person_id INTEGER NOT NULL REFERENCES people(id),"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('disabled', 'enabled', 'moved')),"
	"  actor TEXT NOT NULL,"  /* the admin's login */
	"  body TEXT"
	");"
	"CREATE INDEX person_events_person ON person_events(person_id, id);"
	"CREATE TRIGGER person_events_no_update BEFORE UPDATE ON person_events"
	"  BEGIN SELECT RAISE(ABORT, 'person history is append-only'); END;"
	"CREATE TRIGGER person_events_no_delete BEFORE DELETE ON person_events"
	"  BEGIN SELECT RAISE(ABORT, 'person history is append-only'); END;",
	/*
	 * 12: notices. The outbox keeps what to say, not Telegram's JSON; the
	 * columns are core/notice.h's stored form, rendered at send time.
	 * Rows queued before keep kind 'tg_json' (method and payload), which
	 * the sender still sends as they are; new rows leave those two ''.
	 */
	"ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT 'tg_json';"
	"ALTER TABLE outbox ADD COLUMN msg_key TEXT;"  /* NULL: the body is the one markup argument */
	"ALTER TABLE outbox ADD COLUMN args TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE outbox ADD COLUMN actions TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE outbox ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;"
	/* A notice may go out as several messages (a long text): how many went. */
	"ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;",
	/*
	 * 13: a ticket's current state (status, priority, assignee) kept on
	 * the ticket, and the number of tickets in each status. Derived from the newest history row by a view, /queue
	 * read every ticket's history to find the open ones: 1.35 s at
	 * 100,000. db_ticket_event() writes the history row and the state in
	 * the caller's transaction; every writer of history goes through it.
	 * (A trigger did it first, but a statement that fires one keeps a
	 * statement journal: the handling rate fell by a third.) The view
	 * keeps its name and columns for the readers. The till agents'
	 * tickets are found by till and check.
	 */
	"ALTER TABLE tickets ADD COLUMN status TEXT;"        /* NULL only before its first history row */
	"ALTER TABLE tickets ADD COLUMN priority INTEGER;"
	"ALTER TABLE tickets ADD COLUMN assignee_id INTEGER REFERENCES people(id);"
	"ALTER TABLE tickets ADD COLUMN agent_check TEXT;"   /* the till agent's check that opened it */
	"UPDATE tickets SET (status, priority, assignee_id) ="
	"  (SELECT status, priority, assignee_id FROM ticket_events"
	"   WHERE ticket_id = tickets.id ORDER BY id DESC LIMIT 1);"
	"CREATE TABLE ticket_counts ("
	"  status TEXT PRIMARY KEY,"
	"  n INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"INSERT INTO ticket_counts(status, n)"
	"  SELECT status, count(*) FROM tickets WHERE status IS NOT NULL GROUP BY status;"
	"DROP VIEW ticket_state;"
	/* The time of the newest history row is read only for the rows shown. */
	"CREATE VIEW ticket_state AS"
	"  SELECT id, store_id, till_id, cashier_id, source, title, created_at,"
	"         status, priority, assignee_id,"
	"         (SELECT at FROM ticket_events WHERE ticket_id = tickets.id"
	"          ORDER BY id DESC LIMIT 1) AS updated_at"
	"  FROM tickets WHERE status IS NOT NULL;"
	/* /queue: the open tickets oldest first, and each engineer's. */
	"CREATE INDEX tickets_open ON tickets(created_at) WHERE status IN ('new', 'claimed');"
	"CREATE INDEX tickets_open_assignee ON tickets(assignee_id)"
	"  WHERE status IN ('new', 'claimed');"
	"CREATE INDEX tickets_till_check ON tickets(till_id, agent_check)"
	"  WHERE status IN ('new', 'claimed', 'resolved');"
	/* /queue: the running deadlines, nearest first (breached ones too). */
	"CREATE INDEX sla_timers_next ON sla_timers(due_at) WHERE met_at IS NULL;",
	/*
	 * 14: history rows whose words are the desk's own (an access revoked,
	 * a cashier moved) keep a catalogue key and its arguments (the
	 * outbox's stored form, core/notice.h), rendered in the reader's
	 * language when shown. Older rows keep their text in body: history
	 * is append-only, and a text cannot be parsed back into its
	 * arguments (a name may hold the separators).
	 */
	"ALTER TABLE ticket_events ADD COLUMN msg_key TEXT;"  /* NULL: the words are body */
	"ALTER TABLE ticket_events ADD COLUMN args TEXT;"
	"ALTER TABLE person_events ADD COLUMN msg_key TEXT;"
	"ALTER TABLE person_events ADD COLUMN args TEXT;",
	/*
	 * 15: delivery lanes and calls in flight. lane orders the chats'
	 * heads: 2 answers to a press, 1 replies to a person who just wrote,
	 * 0 the rest (cards, edits, bulk notices); a chat's rows stay in id
	 * order. flight_after, on a row with a link_role, says its call may
	 * have reached Telegram without an answer (a crash, a time-out): the
	 * chat's last recorded message id then. Pending, it is sent again; sent,
	 * the ids between flight_after and message_id are probed for the copy.
	 */
	"ALTER TABLE outbox ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE outbox ADD COLUMN flight_after INTEGER;"
	"ALTER TABLE outbox ADD COLUMN probe_end INTEGER NOT NULL DEFAULT 0;" /* the first id not probed */
	"CREATE INDEX outbox_probe ON outbox(id) WHERE state = 'sent' AND flight_after IS NOT NULL;",
	/*
	 * 16: the till agents' events (doc/AGENT-API.md), idempotent by (till,
	 * event id). A heartbeat keeps no message or data (check_states holds
	 * its state) and is pruned after [ingest] heartbeat_keep; changes stay.
	 * check_states: per (till, code) the newest status, since when (the
	 * agent's clock), how many events saw it: what alerting builds on.
	 */
	"CREATE TABLE agent_events ("
	"  till_id INTEGER NOT NULL REFERENCES tills(id),"
	"  event_id TEXT NOT NULL,"
	"  kind TEXT NOT NULL CHECK (kind IN ('change', 'heartbeat')),"
	"  check_name TEXT NOT NULL,"
	"  code TEXT NOT NULL,"
	"  status TEXT NOT NULL CHECK (status IN ('ok', 'warning', 'critical', 'unknown')),"
	"  message TEXT,"
	"  data TEXT,"   /* JSON object */
	"  observed_at INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  PRIMARY KEY (till_id, event_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX agent_events_heartbeats ON agent_events(received_at) WHERE kind = 'heartbeat';"
	"CREATE TABLE check_states ("
	"  till_id INTEGER NOT NULL REFERENCES tills(id),"
	"  code TEXT NOT NULL,"
	"  check_name TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  message TEXT NOT NULL,"
	"  first_seen_at INTEGER NOT NULL,"  /* the first event in this status */
	"  last_seen_at INTEGER NOT NULL,"
	"  count INTEGER NOT NULL,"          /* events in this status */
	"  PRIMARY KEY (till_id, code)"
	") WITHOUT ROWID;",
	/*
	 * 17: alerting. One alert per (till, code) at a time (a store's
	 * "store.offline" has no till); resolved alerts stay as history.
	 * due_at: when the scheduler must look at it next (recovery held long
	 * enough, a quiet card edit, a flapping check settled); NULL: only a
	 * new event changes it. flips: the recent OK/fault changes as Unix
	 * times, space-separated, for flapping. held_by: the store alert it
	 * waits under. storms: many tills, one code, one message.
	 */
	"CREATE TABLE storms ("
	"  id INTEGER PRIMARY KEY,"
	"  code TEXT NOT NULL,"
	"  opened_at INTEGER NOT NULL,"
	"  last_at INTEGER NOT NULL,"        /* the newest alert to join it */
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  card_at INTEGER NOT NULL DEFAULT 0,"    /* its message last edited */
	"  card_dirty INTEGER NOT NULL DEFAULT 0,"
	"  closed_at INTEGER"
	");"
	"CREATE INDEX storms_ticket ON storms(ticket_id);"
	"CREATE INDEX tills_last_seen ON tills(last_seen_at, store_id) WHERE last_seen_at IS NOT NULL;"
	"CREATE TABLE silences ("
	"  id INTEGER PRIMARY KEY,"
	"  till_id INTEGER REFERENCES tills(id),"   /* NULL: any till (of the store) */
	"  store_id INTEGER REFERENCES stores(id),"  /* NULL: any store */
	"  code TEXT,"                               /* NULL: any code */
	"  starts_at INTEGER NOT NULL,"
	"  ends_at INTEGER NOT NULL,"
	"  comment TEXT NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  removed_at INTEGER,"
	"  ended_at INTEGER,"   /* its end was handled (announced or nothing to say) */
	"  CHECK (till_id IS NOT NULL OR store_id IS NOT NULL OR code IS NOT NULL)"
	");"
	"CREATE INDEX silences_live ON silences(ends_at) WHERE ended_at IS NULL;"
	"CREATE TABLE alerts ("
	"  id INTEGER PRIMARY KEY,"
	"  store_id INTEGER NOT NULL REFERENCES stores(id),"
	"  till_id INTEGER REFERENCES tills(id),"
	"  code TEXT NOT NULL,"
	"  check_name TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL CHECK (state IN ('firing', 'recovering', 'resolved')),"
	"  severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),"
	"  message TEXT NOT NULL DEFAULT '',"
	"  data TEXT,"                       /* the agent's data object, JSON */
	"  priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  storm_id INTEGER REFERENCES storms(id),"
	"  held_by INTEGER REFERENCES alerts(id),"
	"  silence_id INTEGER REFERENCES silences(id),"
	"  opened_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER NOT NULL,"
	"  count INTEGER NOT NULL DEFAULT 1,"
	"  ok_since INTEGER,"                /* recovering: the first OK */
	"  ok_count INTEGER NOT NULL DEFAULT 0,"
	"  flips TEXT NOT NULL DEFAULT '',"
	"  flapping INTEGER NOT NULL DEFAULT 0,"
	"  card_at INTEGER NOT NULL DEFAULT 0," /* the card last edited for it */
	"  card_dirty INTEGER NOT NULL DEFAULT 0,"
	"  due_at INTEGER,"
	"  resolved_at INTEGER"
	");"
	"CREATE UNIQUE INDEX alerts_live ON alerts(store_id, coalesce(till_id, 0), code)"
	"  WHERE state != 'resolved';"
	"CREATE INDEX alerts_due ON alerts(due_at) WHERE due_at IS NOT NULL;"
	"CREATE INDEX alerts_ticket ON alerts(ticket_id);"
	"CREATE INDEX alerts_storm ON alerts(storm_id) WHERE storm_id IS NOT NULL;"
	/*
	 * Each new alert looks up its key's last resolved one (alerts_live
	 * holds only live rows) and counts the live ones of its code for a
	 * storm: without these, both scanned the alerts (bench/alert_bench.c).
	 */
	"CREATE INDEX alerts_key ON alerts(store_id, coalesce(till_id, 0), code);"
	"CREATE INDEX alerts_code_live ON alerts(code, opened_at) WHERE state != 'resolved';"
	"CREATE INDEX alerts_till_live ON alerts(till_id, code, state) WHERE state != 'resolved';"
	"CREATE INDEX alerts_held ON alerts(held_by) WHERE held_by IS NOT NULL;"
	"CREATE INDEX alerts_silence ON alerts(silence_id) WHERE silence_id IS NOT NULL;"
	"CREATE TABLE alert_events ("
	"  id INTEGER PRIMARY KEY,"
	"  alert_id INTEGER NOT NULL REFERENCES alerts(id),"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"    /* opened, raised, recovering, relapsed, recovered, flapping, ... */
	"  body TEXT"
	");"
	"CREATE INDEX alert_events_alert ON alert_events(alert_id, id);"
	"ALTER TABLE orgs ADD COLUMN tell_store INTEGER NOT NULL DEFAULT 0;" /* item 9 */
	/* The [routing] group whose engineers' chat has the ticket; NULL: the default chat. */
	"ALTER TABLE tickets ADD COLUMN route TEXT;"
	/* Planned tickets for equipment reaching its end of life, one per unit and date. */
	"CREATE TABLE forecasts ("
	"  equipment_id INTEGER NOT NULL REFERENCES equipment(id),"
	"  expires_on TEXT NOT NULL,"
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  opened_at INTEGER NOT NULL,"
	"  PRIMARY KEY (equipment_id, expires_on)"
	") WITHOUT ROWID;",
	/*
	 * 18: the scheduler's forecast pass reads the units whose date falls in
	 * the coming weeks, every second: by this index, not by a scan of the
	 * registry (10,000 tills: 6.7 ms a pass without it).
	 */
	"CREATE INDEX equipment_expires ON equipment(expires_on) WHERE expires_on IS NOT NULL;",
	/* 19: a routed chat's /queue counts its open tickets by route (README, "Routing"). */
	"CREATE INDEX tickets_open_route ON tickets(route) WHERE status IN ('new', 'claimed');",
	/*
	 * 20: letters, e-mail's side of the outbox (mail/mail.h): one per ref,
	 * ever; each recipient's outcome. state of a letter: pending (some
	 * recipient waits), done (every recipient sent or failed for good).
	 */
	"CREATE TABLE letters ("
	"  id INTEGER PRIMARY KEY,"
	"  ref TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  org_id INTEGER REFERENCES orgs(id),"
	"  subject TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  html TEXT,"
	"  message_id TEXT NOT NULL,"      /* fixed when queued: a resend is the same message */
	"  created_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"      /* the next attempt */
	"  last_error TEXT"
	");"
	"CREATE INDEX letters_due ON letters(next_at) WHERE state = 'pending';"
	"CREATE TABLE letter_rcpts ("
	"  letter_id INTEGER NOT NULL REFERENCES letters(id),"
	"  addr TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),"
	"  status INTEGER,"                /* the server's last SMTP code for it */
	"  reply TEXT,"                    /* and its text */
	"  at INTEGER,"                    /* when it was sent or failed for good */
	"  PRIMARY KEY (letter_id, addr)"
	") WITHOUT ROWID;",
	/*
	 * 21: an owner's letters (storage/owners.h): how they are named, in
	 * which language they read (NULL: general.language), and which kinds
	 * of letter they get.
	 */
	"ALTER TABLE org_owners ADD COLUMN name TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE org_owners ADD COLUMN language TEXT CHECK (language IN ('ru', 'en'));"
	"ALTER TABLE org_owners ADD COLUMN digest INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE org_owners ADD COLUMN breach INTEGER NOT NULL DEFAULT 1;"
	"ALTER TABLE org_owners ADD COLUMN expiry INTEGER NOT NULL DEFAULT 1;",
	/*
	 * 22: the owners' daily digest (mail/digest.c). An organisation's zone
	 * for its send_at (NULL: its first store's). Each figure reads one day
	 * of its stores' rows: tickets by store and time, history rows by
	 * kind and time, alerts by store and time, the articles' «Помогло»
	 * by time (bench/digest_bench.c).
	 */
	"ALTER TABLE orgs ADD COLUMN timezone TEXT;"
	"CREATE INDEX tickets_store_created ON tickets(store_id, created_at);"
	"CREATE INDEX ticket_events_kind_at ON ticket_events(kind, at);"
	"CREATE INDEX alerts_opened ON alerts(store_id, opened_at);"
	"CREATE INDEX kb_suggestions_helped ON kb_suggestions(decided_at) WHERE outcome = 'helped';",
	/*
	 * 23: letters in (mail/inbound.h). Who may write: a person's address,
	 * a store's (its letters are its mailbox person's, people.mailbox_of).
	 * The mailbox read so far (one row per [imap] url), moved in the
	 * transaction of what its letters did. Every letter taken, with what
	 * became of it (the per-sender cap counts these). A ticket whose
	 * cashier wrote by e-mail: where its answers go, and the thread they
	 * join. Letters out: their ticket and thread. Files that came with
	 * letters.
	 */
	"ALTER TABLE people ADD COLUMN email TEXT;"
	"CREATE UNIQUE INDEX people_email ON people(email) WHERE email IS NOT NULL;"
	"ALTER TABLE people ADD COLUMN mailbox_of INTEGER REFERENCES stores(id);"
	"CREATE UNIQUE INDEX people_mailbox ON people(mailbox_of) WHERE mailbox_of IS NOT NULL;"
	"ALTER TABLE stores ADD COLUMN email TEXT;"
	"CREATE UNIQUE INDEX stores_email ON stores(email) WHERE email IS NOT NULL;"
	"CREATE TABLE mailbox_state ("
	"  url TEXT PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  last_uid INTEGER NOT NULL,"
	"  at INTEGER NOT NULL"
	");"
	"CREATE TABLE mail_in ("
	"  id INTEGER PRIMARY KEY,"
	"  uidvalidity INTEGER NOT NULL,"
	"  uid INTEGER NOT NULL,"
	"  message_id TEXT,"
	"  from_addr TEXT NOT NULL DEFAULT '',"
	"  subject TEXT NOT NULL DEFAULT '',"
	"  size INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL," /* what became of it: inbound.h's names */
	"  ticket_id INTEGER REFERENCES tickets(id),"
	"  UNIQUE (uidvalidity, uid)"
	");"
	"CREATE INDEX mail_in_sender ON mail_in(from_addr, at);"
	"CREATE INDEX mail_in_message ON mail_in(message_id);"
	"CREATE TABLE ticket_mail ("
	"  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),"
	"  addr TEXT NOT NULL,"
	"  name TEXT NOT NULL DEFAULT '',"
	"  refs TEXT NOT NULL DEFAULT '',"  /* the thread's Message-IDs, space-separated, oldest first */
	"  last_id TEXT"                    /* its newest letter's: what an answer replies to */
	");"
	"ALTER TABLE letters ADD COLUMN ticket_id INTEGER REFERENCES tickets(id);"
	"ALTER TABLE letters ADD COLUMN in_reply_to TEXT;"
	"ALTER TABLE letters ADD COLUMN refs TEXT;"
	"CREATE INDEX letters_message ON letters(message_id);"
	"CREATE TABLE attachments ("
	"  id INTEGER PRIMARY KEY,"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  name TEXT NOT NULL,"
	"  mime TEXT NOT NULL,"
	"  size INTEGER NOT NULL,"
	"  data BLOB,"                      /* NULL: over imap.attachment_max, named only */
	"  file_id TEXT,"                   /* Telegram's, once it was uploaded there */
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX attachments_ticket ON attachments(ticket_id);",

	/*
	 * 24: what an attachment's Telegram file_id names: a photo refused
	 * as one was sent as a document, and is sent again by sendDocument.
	 */
	"ALTER TABLE attachments ADD COLUMN file_kind TEXT;",   /* "photo", "document"; NULL with file_id */

	/*
	 * 25: conversations follow the engineer (telegram.relay = assignee).
	 * When a person first wrote to the bot privately (an invite is opened
	 * there, so those who redeemed one have), and when the group was told
	 * how to open that chat. Per ticket: the cashier's messages relayed to
	 * its assignee's private chat, the card's last edit and the edit put
	 * off to show their count (card_due, done by the scheduler's tick).
	 */
	"ALTER TABLE people ADD COLUMN private_at INTEGER;"    /* NULL: never wrote privately */
	"ALTER TABLE people ADD COLUMN relay_hint_at INTEGER;" /* NULL: the group was not told */
	"UPDATE people SET private_at = (SELECT max(used_at) FROM invites WHERE used_by = people.id);"
	"CREATE TABLE ticket_relays ("
	"  ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),"
	"  relayed INTEGER NOT NULL DEFAULT 0,"  /* to the assignee since the claim */
	"  last_at INTEGER,"                     /* the last of them */
	"  card_at INTEGER,"                     /* the card's last edit */
	"  card_due INTEGER"                     /* an edit put off until then, NULL: none */
	");"
	"CREATE INDEX ticket_relays_due ON ticket_relays(card_due) WHERE card_due IS NOT NULL;",

	/*
	 * 26: «Новые заявки». New tickets' cards that wait for a group
	 * together go as one list (bot/newlist.h): the first card's row
	 * becomes the list (link_role 'list'); the others, and a copy of that
	 * first card, are held by it (list_row, state 'sent', message_id the
	 * list's once it went; back to 'pending' if the list never can).
	 * card_lists: which tickets a list shows, in its order.
	 */
	"ALTER TABLE outbox ADD COLUMN list_row INTEGER REFERENCES outbox(id);"
	"CREATE INDEX outbox_list_row ON outbox(list_row) WHERE list_row IS NOT NULL;"
	"CREATE TABLE card_lists ("
	"  row_id INTEGER NOT NULL REFERENCES outbox(id),"
	"  ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
	"  pos INTEGER NOT NULL,"
	"  PRIMARY KEY (row_id, ticket_id)"
	");"
	"CREATE INDEX card_lists_ticket ON card_lists(ticket_id);"
	/* A ticket's waiting rows: whether its card is the first, which edits a list's edit stands for. */
	"CREATE INDEX outbox_ticket_pending ON outbox(ticket_id, id) WHERE state = 'pending';",
};

int db_schema_latest(void)
{
	return (int)ARRAY_SIZE(migrations);
}

int db_migrate(struct db *db, int version)
{
	if (version > db_schema_latest())
		return TD_EINVAL;
	for (;;) {
		char bump[64];
		if (db_begin(db))
			return TD_ERR;
		/* Read under the write lock: another process may be migrating too. */
		int have = db_schema_version(db);
		if (have < 0 || have >= version) {
			db_rollback(db);
			return have < 0 ? TD_ERR : 0;
		}
		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;", have + 1);
		/* The version moves in the same transaction as the schema change. */
		if (db_exec(db, migrations[have]) || db_exec(db, bump) || db_commit(db)) {
			db_rollback(db);
			log_error("database: migration %d failed", have + 1);
			return TD_ERR;
		}
		log_debug("database: migrated to schema version %d", have + 1);
	}
}

/*
 * The daemon's database: the generic connection (db_connect) with the
 * knowledge base's tokenizer registered, then this file's migrations. They
 * live here, not in db.c, so that a program with another schema (the till
 * agent's spool) links db.c without the knowledge base.
 */
int db_open_raw(struct db **out, const char *path, char *err, size_t errlen)
{
	struct db *db;
	int rc = db_connect(&db, path, err, errlen);
	if (rc)
		return rc;
	if (db_kb_register(db)) {
		snprintf(err, errlen, "%s: cannot register the knowledge-base tokenizer", path);
		db_close(db);
		return TD_ERR;
	}
	*out = db;
	return 0;
}

int db_open(struct db **out, const char *path, char *err, size_t errlen)
{
	struct db *db;
	if (db_open_raw(&db, path, err, errlen))
		return TD_ERR;
	int have = db_schema_version(db);
	if (have > db_schema_latest()) {
		snprintf(err, errlen, "%s: schema version %d is newer than this tilldesk (%d)",
			 path, have, db_schema_latest());
		goto fail;
	}
	if (have < 0 || db_migrate(db, db_schema_latest())) {
		snprintf(err, errlen, "%s: cannot migrate the schema: %s", path,
			 sqlite3_errmsg(db->h));
		goto fail;
	}
	*out = db;
	return 0;
fail:
	db_close(db);
	return TD_ERR;
}
