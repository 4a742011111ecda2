#!/usr/bin/env python3
"""Issue 16's figure: 1,000 organisations' digests delivered to a local SMTP
server at >= 50 letters/s.

    python3 bench/digest_mail_bench.py [ORGS] [ROUNDS]      (1000 orgs, 1 round)

Each round: a fresh desk (tests/e2e/harness.py's Desk: the real `tilldesk
serve`, the Bot API emulator, its own database, `log_level = info`) with
[smtp] pointing at the tests' aiosmtpd (tests/fakes/smtpd.py: STARTTLS on a
test CA's certificate made at run time, AUTH) on the loopback and `[digest]
send_at = 00:00`. ORGS organisations, each with an owner, a store in Moscow
(24/7) and five tickets opened in its yesterday (SLA timers, claims, a
resolution, a breach), are written in one transaction before the daemon
starts; the daemon then finds every digest of yesterday due, as it does
when it was down at send_at, and queues and sends them all. Timed from the
daemon listening to every letter queued (the scheduler) and to every letter
done in the database (delivered); the server's files are counted.
"""
import datetime
import os
import shutil
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import Desk  # noqa: E402
from mail_harness import PASSWORD, Mailbox, mail_config, make_certs, sql_as_owner  # noqa: E402

ZONE = ZoneInfo("Europe/Moscow")


def seed(n):
    """The SQL of n organisations with an owner, a store and five tickets of yesterday each."""
    day = datetime.datetime.now(ZONE).date() - datetime.timedelta(days=1)
    t0 = int(datetime.datetime.combine(day, datetime.time(), ZONE).timestamp())
    out = ["INSERT INTO people(id, name, role, created_at) VALUES (50, 'Иван', 'engineer', 0);"]
    tid = 0
    for org in range(1, n + 1):
        out.append("INSERT INTO orgs(id, name, created_at) VALUES (%d, 'Сеть %d', 0);"
                   "INSERT INTO org_owners(org_id, email, name) VALUES (%d, 'owner%d@chain.example', 'Владелец %d');"
                   "INSERT INTO stores(id, org_id, name, timezone, hours, created_at)"
                   " VALUES (%d, %d, 'Магазин %d', 'Europe/Moscow', '24/7', 0);" % (org, org, org, org, org, org, org, org))
        for k in range(5):
            tid += 1
            at = t0 + 3600 * (k + 1)
            status = ("resolved", "claimed", "new", "claimed", "new")[k]
            out.append("INSERT INTO tickets(id, store_id, source, title, created_at, status, priority)"
                       " VALUES (%d, %d, 'telegram', 'Касса не печатает чек', %d, '%s', 2);"
                       "INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body)"
                       " VALUES (%d, %d, NULL, 'opened', 'new', 2, NULL);" % (tid, org, at, status, tid, at))
            if status != "new":
                late = 1200 if k == 3 else 300
                out.append("INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body)"
                           " VALUES (%d, %d, 50, 'claimed', 'claimed', 2, NULL);"
                           "INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at, met_at, used,"
                           " breached_at) VALUES (%d, 'reaction', 900, %d, %d, %d, %d, %s);"
                           % (tid, at + late, tid, at, at + 900, at + late, late,
                              at + 900 if late > 900 else "NULL"))
                if late > 900:
                    out.append("INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body)"
                               " VALUES (%d, %d, NULL, 'sla_breach', 'new', 2, 'reaction');" % (tid, at + 900))
            if status == "resolved":
                out.append("INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body)"
                           " VALUES (%d, %d, 50, 'resolved', 'resolved', 2, NULL);" % (tid, at + 1800))
    return "".join(out)


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def one_round(n):
    certs = make_certs(tempfile.mkdtemp(prefix="tilldesk-digestbench-"))
    os.chmod(certs, 0o755)
    box = Mailbox(certs)
    box.start("server")
    os.environ["TILLDESK_SMTP_PASSWORD"] = PASSWORD
    desk = Desk(extra_config=mail_config(box) + "[digest]\nsend_at = 00:00\n")
    with open(desk.cfg) as f:
        cfg = f.read().replace("log_level = debug", "log_level = info")
    with open(desk.cfg, "w") as f:
        f.write(cfg)
    try:
        desk.cli("init")
        sql_as_owner(desk.db, "BEGIN;" + seed(n) + "COMMIT;")
        loads = [load()]
        desk.start()
        t0 = time.monotonic()
        queued_at = None
        while True:
            row = desk.sql("SELECT count(*), count(*) FILTER (WHERE state = 'done') FROM letters")
            queued, done = (int(x) for x in row.split("|"))
            now = time.monotonic() - t0
            if queued == n and queued_at is None:
                queued_at = now
            if done == n:
                break
            if now > 900:
                raise AssertionError("%d queued, %d done in 900 s" % (queued, done))
            if int(now) % 10 == 0:
                loads.append(load())
            time.sleep(0.2)
        took = time.monotonic() - t0
        loads.append(load())
        got = len([f for f in os.listdir(box.dir) if f.endswith(".eml")])
        return queued_at, took, got, loads
    finally:
        desk.close()
        box.stop()
        os.environ.pop("TILLDESK_SMTP_PASSWORD", None)
        shutil.rmtree(certs, ignore_errors=True)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    for r in range(rounds):
        queued_at, took, got, loads = one_round(n)
        print("round %d: %d digests queued in %.2f s, all delivered in %.2f s = %.1f letters/s"
              " (server files: %d); load average %s" % (r + 1, n, queued_at, took, n / took, got,
                                                        " ".join(sorted(set(loads)))))


if __name__ == "__main__":
    main()
