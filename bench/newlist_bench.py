#!/usr/bin/env python3
"""A morning of new tickets (issue 18, «Новые заявки»): the real daemon
against tests/tgemu with Telegram's limits on and every Bot API call
delayed.

  python3 bench/newlist_bench.py [--cashiers 200] [--window 60]
                                 [--delay 150] [--timeout 1200] [--json FILE]
                                 [--reaction SECONDS]

Set-up (limits off, not measured): the cashiers join by their invites.
Then the daemon restarts with the default rates, the emulator's limits on,
and each cashier reports a problem, all of them spread evenly over
`window` seconds: as many new tickets.

For each ticket: the time from the cashier's message to the moment the
emulator first holds a message of the bot in the engineers' group that
shows it (its card, «Заявка №N», or its line on a list, «№N · P»),
polled every 0.1 s. Printed: p50, p99, the last; the group's messages
(sent or edited) and in its busiest minute (Telegram allows about 20);
how many lists and cards; the 429 answers.

With --reaction, the tickets' reaction time is that many seconds (the
warning at 75% of it) and nobody takes them: then, for each ticket, the
time from its warning's due second (sla_timers.warned_at) to the moment
the group first shows its warning, and the group's messages from the
first warning on (the SLA's warnings of several tickets waiting together
go as one message).
"""
import argparse
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))
from busy_bench import FAST, group_load, latency, log, save  # noqa: E402
from harness import GROUP, Desk  # noqa: E402

SHOWN = re.compile(r"Заявка №(\d+)|№(\d+) · P")
WARNED = re.compile(r"Заявку №(\d+) \(P\d\) никто не взял")


def set_up(d, cashiers):
    d.setup_chain()
    d.control("limits", {"on": False})
    d.pace(FAST)
    d.start()
    ids = [7000 + i for i in range(cashiers)]
    codes = [d.invite("cashier") for _ in ids]
    for uid, code in zip(ids, codes):
        d.says(uid, "Кассир %d" % uid, "/start " + code)
    d.wait_count("select count(*) from people where role = 'cashier'", len(ids), timeout=300)
    d.settled(300)
    log("%d cashiers joined" % len(ids))
    return ids


def morning(d, ids, window, timeout):
    seq, written, seen = 0, {}, {}
    gap = window / float(len(ids))
    calls_from = d.control("calls")["last_seq"]
    start = time.time()

    def poll():
        nonlocal seq
        r = d.control("sent", query="?chat_id=%d&since=%d" % (GROUP, seq))
        now = time.time()
        for m in r["messages"]:
            for card, line in SHOWN.findall(m["text"]):
                seen.setdefault(int(card or line), now)
        seq = max(seq, r["last_seq"])

    next_poll = start
    for n, uid in enumerate(ids):
        at = start + n * gap
        while time.time() < at:
            if time.time() >= next_poll:
                poll()
                next_poll = time.time() + 0.1
            time.sleep(min(0.01, max(0.0, at - time.time())))
        written[uid] = time.time()
        d.says(uid, "Кассир %d" % uid, "Касса %d не печатает чеки" % uid)
    log("%d problems reported in %.1f s" % (len(ids), time.time() - start))
    d.wait_count("select count(*) from tickets", len(ids), timeout)
    owner = {}
    for line in d.sql("select t.id, p.tg_user_id from tickets t"
                      " join people p on p.id = t.cashier_id").splitlines():
        t, uid = line.split("|")
        owner[int(t)] = int(uid)
    end = start + timeout
    while len(seen) < len(ids) and time.time() < end:
        poll()
        time.sleep(0.1)
    lat = [seen[t] - written[owner[t]] for t in seen if t in owner]
    calls = [c for c in d.control("calls")["calls"] if c["seq"] > calls_from]
    sent = d.sent(GROUP)
    return dict({"tickets": len(ids), "shown": len(lat),
                 "lists": sum(1 for m in sent if "Новые заявки" in m["text"]),
                 "cards": sum(1 for m in sent if "Заявка №" in m["text"])},
                **latency(lat), **group_load(d, calls))


def warnings(d, tickets, timeout):
    """Waits for every ticket's reaction warning in the group; the figures."""
    seq, seen = 0, {}
    calls_from = d.control("calls")["last_seq"]
    end = time.time() + timeout
    while len(seen) < tickets and time.time() < end:
        r = d.control("sent", query="?chat_id=%d&since=%d" % (GROUP, seq))
        now = time.time()
        for m in r["messages"]:
            for n in WARNED.findall(m["text"]):
                seen.setdefault(int(n), now)
        seq = max(seq, r["last_seq"])
        time.sleep(0.1)
    due = dict((int(t), int(w)) for t, w in (line.split("|") for line in d.sql(
        "select ticket_id, warned_at from sla_timers where kind = 'reaction'"
        " and warned_at is not null").splitlines()))
    lat = latency([seen[t] - due[t] for t in seen if t in due])
    calls = [c for c in d.control("calls")["calls"] if c["seq"] > calls_from]
    load = group_load(d, calls)
    return {"warned": len(seen),
            "warning_messages": sum(1 for m in d.sent(GROUP) if WARNED.search(m["text"])),
            "warning_p50_s": lat["p50_s"], "warning_p99_s": lat["p99_s"],
            "warning_last_s": lat["last_s"], "warning_group_messages": load["group_messages"],
            "warning_busiest_minute": load["group_busiest_minute"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cashiers", type=int, default=200)
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--delay", type=float, default=150)
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--json")
    ap.add_argument("--reaction", type=int, help="seconds to react; then the warnings are measured")
    a = ap.parse_args()
    d = Desk(limits=True, delay_ms=a.delay)
    try:
        ids = set_up(d, a.cashiers)
        d.stop()
        d.pace("")
        if a.reaction:
            with open(d.cfg, "a", encoding="utf-8") as f:
                f.write("[sla]\nwarn_at = 75\nstandard.p3 = %ds 10m 24/7\n" % a.reaction)
        d.control("limits", {"on": True})
        d.start()
        r = morning(d, ids, a.window, a.timeout)
        if a.reaction:
            r.update(warnings(d, len(ids), a.timeout))
        d.stop()
    finally:
        d.close()
    r.update({"window_s": a.window, "delay_ms": a.delay})
    print("new tickets: %(tickets)d from as many cashiers in %(window_s).0f s, %(delay_ms).0f ms a call" % r)
    print("  cashier -> in front of the engineers: p50 %(p50_s)s s, p99 %(p99_s)s s, last %(last_s)s s"
          " (%(shown)d of %(tickets)d shown)" % r)
    print("  group: %(group_messages)d messages (%(lists)d lists, %(cards)d cards), busiest minute"
          " %(group_busiest_minute)d; 429 answers: %(errors429)d" % r)
    if a.reaction:
        print("  reaction warnings: %(warned)d of %(tickets)d in %(warning_messages)d messages;"
              " due -> shown p50 %(warning_p50_s)s s, p99 %(warning_p99_s)s s, last %(warning_last_s)s s;"
              " group from the first: %(warning_group_messages)d messages, busiest minute"
              " %(warning_busiest_minute)d" % r)
    save(a.json, r)


if __name__ == "__main__":
    main()
