#!/usr/bin/env python3
"""What engineers feel on a busy morning (issue 18): the real daemon against
tests/tgemu with Telegram's limits on and every Bot API call delayed.

  python3 bench/busy_bench.py [--cashiers 200] [--per 5] [--window 60]
                              [--delay 150] [--relay group|assignee]
                              [--claimed] [--timeout 1200] [--json FILE]

Set-up (limits off, the daemon's rates raised, not measured): the cashiers
join by their invites and each opens a ticket, whose card reaches the
engineers' group; with --claimed the engineer takes each by its «Взять»
button (what relay = assignee is about). Then the daemon restarts with the default rates, the
emulator's limits on, and the burst: each cashier writes `per` messages on
their open ticket, all of them spread evenly over `window` seconds.

For each message: the time from the cashier's message to the moment the
emulator first holds a message of the bot, in the engineers' group or in
an engineer's private chat, that carries its words (the group and the
engineer's chat are polled every 0.1 s). Printed: p50, p99, the last, how
many arrived; the group's own messages (sent or edited) in the busiest
minute of the burst (Telegram allows about 20), the messages sent to the
engineers' private chats during it, and the 429 answers.
`--relay` writes `[telegram] relay = ...` (a key issue 18 item 1 adds; leave
it out on a daemon that does not know it).
"""
import argparse
import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "e2e"))
from harness import ENGINEER, FAST, GROUP, Desk, button  # noqa: E402

WORD = re.compile(r"b(\d+)m(\d+)x")


def log(*a):
    print("busy_bench:", *a, file=sys.stderr, flush=True)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


def latency(lat):
    """The p50, p99 and last of latencies in seconds."""
    return {"p50_s": round(pct(lat, 50), 2), "p99_s": round(pct(lat, 99), 2),
            "last_s": round(max(lat), 2) if lat else None}


def group_load(d, calls):
    """The group's own messages (sent or edited) among calls, in all and in
    its busiest minute, and the 429 answers the emulator gave."""
    group = sorted(c["at"] for c in calls if c["chat_id"] == GROUP and c["status"] == 200
                   and c["method"] in ("sendMessage", "sendPhoto", "sendDocument",
                                       "editMessageText", "editMessageReplyMarkup"))
    busiest = max([sum(1 for t in group if s <= t < s + 60) for s in group] or [0])
    return {"group_messages": len(group), "group_busiest_minute": busiest,
            "errors429": d.control("stats")["errors429"]}


def save(path, r):
    if path:
        with open(path, "w") as f:
            json.dump(r, f, indent=1)


def claim_all(d, n, engineers):
    cards = [m for m in d.sent(GROUP) if any(b["text"] == "Взять" for b in m["buttons"])]
    for k, card in enumerate(cards):
        d.press(engineers[k % len(engineers)], GROUP, card["message_id"], button(card, "Взять"))
    d.wait_count("select count(*) from tickets where status = 'claimed'", n, timeout=300)
    d.settled(300)


def set_up(d, cashiers, claimed, engineers):
    d.setup_chain()
    d.control("limits", {"on": False})
    d.pace(FAST)
    d.start()
    for uid in engineers:
        d.says(uid, "Инженер %d" % uid, "/start " + d.invite("engineer"))
    ids = [7000 + i for i in range(cashiers)]
    codes = [d.invite("cashier") for _ in ids]
    for uid, code in zip(ids, codes):
        d.says(uid, "Кассир %d" % uid, "/start " + code)
    d.wait_count("select count(*) from people where role = 'cashier'", len(ids), timeout=300)
    for uid in ids:
        d.says(uid, "Кассир %d" % uid, "Касса %d не печатает чеки" % uid)
    d.wait_count("select count(*) from tickets", len(ids), timeout=300)
    tickets = len(ids)
    d.wait_count("select count(*) from tg_links where role = 'card'", len(ids), timeout=300)
    d.settled(300)
    if claimed:
        claim_all(d, tickets, engineers)
    log("%d cashiers, %d open tickets%s, their cards sent" %
        (len(ids), tickets, ", claimed" if claimed else ""))
    return ids


def burst(d, ids, per, window, timeout, engineers):
    chats = [GROUP] + engineers
    seqs = {c: 0 for c in chats}
    written, seen = {}, {}
    total = len(ids) * per
    gap = window / float(total)
    start = time.time()
    calls_from = d.control("calls")["last_seq"]
    n = 0

    def poll():
        for c in chats:
            r = d.control("sent", query="?chat_id=%d&since=%d" % (c, seqs[c]))
            now = time.time()
            for m in r["messages"]:
                for w in WORD.findall(m["text"]):
                    seen.setdefault(w, now)
            seqs[c] = max(seqs[c], r["last_seq"])

    next_poll = start
    for k in range(per):
        for uid in ids:
            at = start + n * gap
            while time.time() < at:
                if time.time() >= next_poll:
                    poll()
                    next_poll = time.time() + 0.1
                time.sleep(min(0.01, max(0.0, at - time.time())))
            w = (str(uid), str(k))
            written[w] = time.time()
            d.says(uid, "Кассир %d" % uid, "b%dm%dx уточнение %d" % (uid, k, k))
            n += 1
    log("%d messages written in %.1f s" % (n, time.time() - start))
    end = start + timeout
    while len(seen) < total and time.time() < end:
        poll()
        time.sleep(0.1)
    lat = [seen[w] - written[w] for w in written if w in seen]
    calls = [c for c in d.control("calls")["calls"] if c["seq"] > calls_from]
    private = [c for c in calls if c["chat_id"] in engineers and c["status"] == 200
               and c["method"] in ("sendMessage", "sendPhoto", "sendDocument")]
    return dict({"messages": total, "arrived": len(lat), "private_messages": len(private)},
                **latency(lat), **group_load(d, calls))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cashiers", type=int, default=200)
    ap.add_argument("--per", type=int, default=5)
    ap.add_argument("--window", type=float, default=60)
    ap.add_argument("--delay", type=float, default=150)
    ap.add_argument("--relay", choices=("group", "assignee"))
    ap.add_argument("--claimed", action="store_true")
    ap.add_argument("--engineers", type=int, default=1,
                    help="engineers taking the tickets in turn (with --claimed)")
    ap.add_argument("--timeout", type=float, default=1200)
    ap.add_argument("--json")
    a = ap.parse_args()
    d = Desk(limits=True, delay_ms=a.delay)
    try:
        engineers = [ENGINEER] + [6100 + i for i in range(a.engineers - 1)]
        ids = set_up(d, a.cashiers, a.claimed, engineers)
        d.stop()
        d.pace("relay = %s\n" % a.relay if a.relay else "")
        d.control("limits", {"on": True})
        d.start()
        r = burst(d, ids, a.per, a.window, a.timeout, engineers)
        d.stop()
    finally:
        d.close()
    r.update({"cashiers": a.cashiers, "per": a.per, "window_s": a.window, "delay_ms": a.delay,
              "relay": a.relay or "(default)", "claimed": a.claimed, "engineers": a.engineers})
    print("busy desk: %(messages)d messages from %(cashiers)d cashiers in %(window_s).0f s,"
          " %(delay_ms).0f ms a call, relay %(relay)s, claimed %(claimed)s by %(engineers)d engineers" % r)
    print("  cashier -> engineer: p50 %(p50_s)s s, p99 %(p99_s)s s, last %(last_s)s s"
          " (%(arrived)d of %(messages)d arrived)" % r)
    print("  group: %(group_messages)d messages, busiest minute %(group_busiest_minute)d;"
          " engineers' private chats: %(private_messages)d messages; 429 answers: %(errors429)d" % r)
    save(a.json, r)


if __name__ == "__main__":
    main()
