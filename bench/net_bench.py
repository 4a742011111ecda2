#!/usr/bin/env python3
"""Delivery over a network: the real daemon against tests/tgemu with an
answer delay (issue 13). Each benchmark runs at every delay given.

  python3 bench/net_bench.py [--delays 0,50,150,300] [--jitter MS]
                             [--only delivery,relay,button,inflight,contend]
                             [--in-flight N] [--group-rate N] [--json FILE]

delivery  rows for 50 private chats, Telegram's limits on (emulator and
          daemon defaults): messages/s over a window after a 2 s start, and
          the 429 answers.
relay     rows into the engineers' group, limits off (emulator off, daemon
          rates 1000): messages/s. The rows belong to 50 tickets, each
          ticket's rows one stream with one call in flight. The same rows
          spread over 50 groups too.
button    5,000 rows wait for 100 groups (limits on, so the global rate is
          the bottleneck); a person presses a button 20 times: the time from
          the press to Telegram's receipt of answerCallbackQuery (p50, p99).
inflight  100 chats, limits off, max_in_flight 64: daemon CPU per delivered
          message, VmRSS and VmHWM, the most calls the emulator saw at once.
contend   (only when asked) 20 registered cashiers send 1,000 messages while
          1,000 rows for 50 chats are being delivered: how long the poller
          took, and how long each thread waited for the write lock (the
          daemon logs it when it stops).

A config key the daemon does not know (max_in_flight, before issue 13) is
left out of its config when --in-flight is 0.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
from bench import GROUP, Bench, Ctl, cpu_s, log, mem  # noqa: E402


class NetBench(Bench):
    def __init__(self, limits, in_flight, **rates):
        self.in_flight = in_flight
        super().__init__(limits=limits, **rates)

    def configure(self, **kw):
        super().configure(**kw)
        if self.in_flight:
            with open(self.cfg, "a") as f:
                f.write("max_in_flight = %d\n" % self.in_flight)


def fill(d, chats, rows, first=0, tickets=0):
    """rows legacy sendMessage rows, interleaved over chats, straight into the
    outbox; with tickets, of tickets 1..tickets in turn (no ticket: NULL)."""
    now = int(time.time())
    sql = ["BEGIN;"]
    for i in range(rows):
        sql.append("INSERT INTO outbox(channel, chat_id, method, payload, created_at, ticket_id)"
                   " VALUES ('telegram', %d, 'sendMessage', '{\"text\":\"bench %d\"}', %d, %s);"
                   % (chats[i % len(chats)], first + i, now,
                      1 + i % tickets if tickets else "NULL"))
    sql.append("COMMIT;")
    subprocess.run(["sqlite3", d.db], input="\n".join(sql), text=True, check=True)


def private_chats(ctl, ids):
    """A private chat exists once its user has written; those updates are confirmed."""
    for uid in ids:
        ctl.post("message", {"from": {"id": uid, "first_name": "u%d" % uid}, "text": "hi"})
    nxt = ctl.get("stats")["next_update_id"]
    ctl.bot("getUpdates", {"offset": nxt, "timeout": 0})


def groups(ctl, n, first=-2000000):
    ids = [first - i for i in range(n)]
    for g in ids:
        ctl.post("group", {"id": g, "title": "g%d" % g, "type": "group"})
    return ids


def rate_over(d, ctl, window, warm=2.0, total=None):
    """Messages/s the emulator received over window s, from warm s after connecting."""
    while time.monotonic() - d.t_connected < warm:
        time.sleep(0.05)
    s0, t0, c0 = ctl.get("stats")["messages_sent"], time.monotonic(), cpu_s(d.pid())
    while time.monotonic() - t0 < window:
        if total is not None and ctl.get("stats")["messages_sent"] >= total:
            break
        time.sleep(0.1)
    s1, t1, c1 = ctl.get("stats")["messages_sent"], time.monotonic(), cpu_s(d.pid())
    n = s1 - s0
    return {"rate": n / (t1 - t0), "sent": n, "window_s": t1 - t0,
            "cpu_ms_per_msg": 1000 * (c1 - c0) / n if n else 0.0, "cpu_share": (c1 - c0) / (t1 - t0)}


def measured(d, ctl, delay, jitter, window, total=None):
    """Starts the daemon over a network of delay ms; its rate, 429s, calls at once, memory."""
    ctl.post("latency", {"ms": delay, "jitter_ms": jitter})
    d.start()
    r = rate_over(d, ctl, window, total=total)
    m = mem(d.pid())
    st = ctl.get("stats")
    r.update(errors429=st["errors429"], max_in_flight=st["max_in_flight"],
             max_per_chat=st["max_in_flight_per_chat"], rss_kb=m.get("VmRSS", 0),
             hwm_kb=m.get("VmHWM", 0), threads=m.get("Threads"))
    d.stop()
    d.stop_lines = [line for _, line in d.lines if "write lock" in line]
    r["lock_waits"] = d.stop_lines
    return r


def bench_delivery(delay, jitter, in_flight, window=12):
    d = NetBench(limits=True, in_flight=in_flight)
    ctl = Ctl(d.url)
    try:
        d.setup_chain()
        ids = [200000 + i for i in range(50)]
        private_chats(ctl, ids)
        fill(d, ids, 50 * 14)
        return measured(d, ctl, delay, jitter, window)
    finally:
        ctl.close()
        d.close()


def bench_relay(delay, jitter, in_flight, spread, group_rate, window=8):
    d = NetBench(limits=False, in_flight=in_flight, chat_rate=1000, group_rate=group_rate,
                 global_rate=1000)
    ctl = Ctl(d.url)
    try:
        d.setup_chain()
        chats = groups(ctl, 50) if spread else [GROUP]
        fill(d, chats, 4000, tickets=50)
        return measured(d, ctl, delay, jitter, window, total=4000)
    finally:
        ctl.close()
        d.close()


def bench_button(delay, jitter, in_flight, presses=20, give_up=30):
    d = NetBench(limits=True, in_flight=in_flight)
    ctl = Ctl(d.url)
    try:
        d.setup_chain()
        presser = 990001
        private_chats(ctl, [presser])
        hi = ctl.get("history?chat_id=%d" % presser)["messages"][0]["message_id"]
        fill(d, groups(ctl, 100), 5000)
        ctl.post("latency", {"ms": delay, "jitter_ms": jitter})
        d.start()
        time.sleep(3)   # the backlog is being sent at the global rate
        waits = []
        for i in range(presses):
            t = time.time()
            qid = ctl.post("callback", {"from": {"id": presser, "first_name": "p"},
                                        "chat_id": presser, "message_id": hi,
                                        "data": "x:%d" % i})["callback_query_id"]
            end = t + give_up
            while True:
                a = [x for x in ctl.get("callback_answers")["answers"]
                     if x["callback_query_id"] == qid]
                if a:
                    waits.append(1000 * (a[0]["answered_at"] - t))
                    break
                if time.time() > end:
                    waits.append(float("inf"))
                    break
                time.sleep(0.01)
            time.sleep(0.3)
        pending = d.count("select count(*) from outbox where state = 'pending'")
        st = ctl.get("stats")
        d.stop()
        waits.sort()
        return {"p50_ms": waits[len(waits) // 2], "p99_ms": waits[-1], "max_ms": waits[-1],
                "presses": presses, "backlog_left": pending, "errors429": st["errors429"]}
    finally:
        ctl.close()
        d.close()


def bench_inflight(delay, jitter, in_flight, window=8):
    d = NetBench(limits=False, in_flight=in_flight, chat_rate=1000, group_rate=6000,
                 global_rate=1000)
    ctl = Ctl(d.url)
    try:
        d.setup_chain()
        ids = [400000 + i for i in range(100)]
        private_chats(ctl, ids)
        fill(d, ids, 6000)
        return measured(d, ctl, delay, jitter, window)
    finally:
        ctl.close()
        d.close()


def bench_contend(delay, jitter, in_flight, cashiers=20, n=1000):
    """The poller handles n cashiers' messages while the sender delivers: lock waits of both."""
    d = NetBench(limits=True, in_flight=in_flight)
    ctl = Ctl(d.url)
    try:
        d.setup_chain()
        ids = [500000 + i for i in range(cashiers)]
        d.register_cashiers(ids)
        d.wait_outbox_empty()
        d.stop()
        others = [200000 + i for i in range(50)]
        private_chats(ctl, others)
        fill(d, others, 50 * 20)
        ctl.post("latency", {"ms": delay, "jitter_ms": jitter})
        d.start()
        t0 = time.monotonic()
        bench.inject(d.url, [(ids[i % cashiers], "Касса не печатает чек (%d)" % i) for i in range(n)])
        while ctl.get("stats")["pending_updates"]:
            time.sleep(0.05)
        handled = time.monotonic() - t0
        sent0, t1 = ctl.get("stats")["messages_sent"], time.monotonic()
        time.sleep(5)
        rate = (ctl.get("stats")["messages_sent"] - sent0) / (time.monotonic() - t1)
        d.stop()
        return {"updates": n, "handled_s": handled, "rate_after": rate,
                "errors429": ctl.get("stats")["errors429"],
                "lock_waits": [line for _, line in d.lines if "write lock" in line]}
    finally:
        ctl.close()
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--delays", default="0,50,150,300")
    ap.add_argument("--jitter", type=float, default=10, help="ms (default 10: arrivals +-5 ms)")
    ap.add_argument("--only", default="delivery,relay,button,inflight")
    ap.add_argument("--in-flight", type=int, default=16, help="max_in_flight; 0: leave it out")
    ap.add_argument("--presses", type=int, default=20)
    ap.add_argument("--group-rate", type=int, default=60000,
                    help="the daemon's group_rate in the relay runs (default 60000, its bound"
                         " since issue 13's second round; before: 6000)")
    ap.add_argument("--give-up", type=float, default=30, help="s to wait for one answer")
    ap.add_argument("--json")
    a = ap.parse_args()
    only = a.only.split(",")
    res = {"machine": bench.machine(), "jitter_ms": a.jitter, "in_flight": a.in_flight, "runs": {}}
    for delay in [int(x) for x in a.delays.split(",")]:
        jit = min(a.jitter, delay)
        out = res["runs"][str(delay)] = {}
        if "delivery" in only:
            r = out["delivery"] = bench_delivery(delay, jit, a.in_flight)
            log("%4d ms delivery, 50 chats, limits on: %.1f msg/s, %d x 429, in flight <= %d (%d/chat),"
                " %.2f ms CPU/msg" % (delay, r["rate"], r["errors429"], r["max_in_flight"],
                                      r["max_per_chat"], r["cpu_ms_per_msg"]))
        if "relay" in only:
            r = out["relay"] = bench_relay(delay, jit, a.in_flight, False, a.group_rate)
            log("%4d ms relay into the group, limits off: %.1f msg/s, in flight <= %d"
                % (delay, r["rate"], r["max_in_flight"]))
            r = out["relay50"] = bench_relay(delay, jit, a.in_flight, True, a.group_rate)
            log("%4d ms relay into 50 groups, limits off: %.1f msg/s, in flight <= %d (%d/chat)"
                % (delay, r["rate"], r["max_in_flight"], r["max_per_chat"]))
        if "button" in only:
            r = out["button"] = bench_button(delay, jit, a.in_flight, a.presses, a.give_up)
            log("%4d ms button during 5,000 waiting: p50 %.0f ms, p99 %.0f ms (%d presses), %d x 429"
                % (delay, r["p50_ms"], r["p99_ms"], r["presses"], r["errors429"]))
        if "inflight" in only:
            r = out["inflight"] = bench_inflight(delay, jit, 64 if a.in_flight else 0)
            log("%4d ms 100 chats, limits off, max_in_flight 64: %.1f msg/s, %.2f ms CPU/msg,"
                " VmRSS %.1f MiB (HWM %.1f), in flight <= %d"
                % (delay, r["rate"], r["cpu_ms_per_msg"], r["rss_kb"] / 1024, r["hwm_kb"] / 1024,
                   r["max_in_flight"]))
        if "contend" in only:
            r = out["contend"] = bench_contend(delay, jit, a.in_flight)
            log("%4d ms %d updates handled in %.1f s while delivering (then %.1f msg/s, %d x 429): %s"
                % (delay, r["updates"], r["handled_s"], r["rate_after"], r["errors429"],
                   " / ".join(x.split("info: ")[-1] for x in r["lock_waits"])))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
