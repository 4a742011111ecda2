#!/usr/bin/env python3
"""Alerting end to end (issue 15): the real daemon (tests/e2e/harness),
tills posting their agents' events to its endpoint, tests/tgemu as Telegram.

  python3 bench/alert_net_bench.py [--only latency,storm,memory] [--delays 50,150]
                                   [--faults 60] [--gap 3.2] [--storm 500]
                                   [--storm-seconds 50] [--alerts 10000] [--json FILE]

latency  --faults tills (in stores of 10, ten codes) each post one fault,
         one after another, --gap s apart, Telegram's limits on (20
         messages a minute into the engineers' group, so the gap is 3 s
         or more: a card never waits behind the one before it) and the
         network delay (± 5 ms) on every call. Each fault: from the
         moment its agent posts it (its pass just ended) to Telegram's
         receipt of the card's sendMessage (the emulator's arrival stamp).
         storm_min is raised for this run, so that faults of one code do
         not storm.
storm    --storm tills in 50 stores post one code each, spread over
         --storm-seconds, limits on, 50 ms delay, the default [alerts]
         (storm_min 5, storm_every 10s). Fault k is in the chat when a
         message or edit reaches Telegram whose storm head counts k tills
         (faults are stored in the order they are posted), or its own card
         (those before the storm began). Counts the group's sendMessage
         and editMessageText calls and the 429 answers.
memory   --alerts tills (in stores of 10) each post a fault (ten codes,
         storm_min raised, so each opens an alert, a ticket and a card),
         limits off; the daemon's VmRSS after the cards are out and a few
         ticks, then after a restart on the same database (10,000 firing
         alerts, nothing to send).
"""
import argparse
import asyncio
import hashlib
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, HERE)
from harness import GROUP, Desk  # noqa: E402
from ingest_bench import Conn  # noqa: E402

CODES = ["fn.blocked", "fn.expiring", "fn.unsent", "utm.down", "utm.cert_rsa", "disk.space",
         "tcp.unreachable", "process.down", "clock.skew", "ofd.unreachable"]
ARTICLES = os.path.join(ROOT, "kb", "articles")
NO_STORMS = "[alerts]\nstorm_min = 100000\n"


def log(s):
    print("%s %s (load %.2f)" % (time.strftime("%H:%M:%S"), s, os.getloadavg()[0]), file=sys.stderr,
          flush=True)


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        s = f.read()
    return {k: int(re.search(r"%s:\s+(\d+)" % k, s).group(1)) for k in ("VmRSS", "VmHWM", "RssAnon",
                                                                          "RssFile")}


def desk(limits, delay, alerts_config="", telegram_config=""):
    """A desk with the articles, the chain, and the daemon's log at info (benchmarks, not tests)."""
    d = Desk(limits=limits, delay_ms=delay, jitter_ms=min(10, delay), extra_config=telegram_config
             + alerts_config, ingest_config="connections = 4000\nper_address = 0\nrate = 1000\n"
             "burst = 2000\n")
    with open(d.cfg) as f:
        cfg = f.read().replace("log_level = debug", "log_level = info")
    with open(d.cfg, "w") as f:
        f.write(cfg)
    d.setup_chain()
    d.cli("kb", "import", ARTICLES)
    return d


def add_tills(d, n, per_store=10):
    """n tills in stores of per_store (besides the chain's own), straight into the database:
    their tokens, by till index."""
    stores = (n + per_store - 1) // per_store
    d.sql("WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %d)"
          " INSERT INTO stores(org_id, name, address, timezone, hours, created_at)"
          " SELECT s.org_id, 'Магазин ' || (k.i + 1), '', s.timezone, s.hours, s.created_at"
          " FROM k, (SELECT * FROM stores ORDER BY id LIMIT 1) s" % stores)
    first = int(d.sql("SELECT min(id) FROM stores WHERE name = 'Магазин 1'"))
    tokens = ["alert-bench-%06d" % i for i in range(n)]
    rows = [(first + i // per_store, "Касса %d-%d" % (i // per_store + 1, i % per_store + 1),
             hashlib.sha256(t.encode()).hexdigest()) for i, t in enumerate(tokens)]
    with sqlite3.connect(d.db) as db:   # 10,000 rows: too long for one sqlite3 argument
        db.executemany("INSERT INTO tills(store_id, name, token_hash, created_at) VALUES (?, ?, ?, 0)",
                       rows)
    db.close()
    return tokens


def fault_body(i, code, n=0):
    e = {"id": "f-%d-%d" % (i, n), "kind": "change", "check": code.split(".")[0], "code": code,
         "status": "critical", "message": "сбой %s (бенчмарк)" % code, "observed_at": int(time.time()),
         "data": {"bench": i}}
    return json.dumps({"agent": "bench", "dropped": 0, "events": [e]}, ensure_ascii=False).encode()


def post(port, token, body):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("POST", "/api/v1/events", body=body,
                  headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def group_calls(d, since):
    r = d.control("calls", query="?since=%d" % since)
    return [c for c in r["calls"] if c["chat_id"] == GROUP], r["last_seq"]


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


# ---- latency

def bench_latency(delay, faults, gap):
    d = desk(True, delay, NO_STORMS)
    try:
        tokens = add_tills(d, faults)
        d.start()
        time.sleep(2)
        _, seq = group_calls(d, 0)
        lat, answers, extra = [], [], 0
        for i, tok in enumerate(tokens):
            slot = time.time() + gap
            t0 = time.time()
            st = post(d.ingest_port, tok, fault_body(i, CODES[i % len(CODES)]))
            answers.append((time.time() - t0) * 1000)
            assert st == 200, st
            card = None
            while card is None and time.time() < t0 + 30:
                calls, seq2 = group_calls(d, seq)
                sends = [c for c in calls if c["method"] == "sendMessage" and c["status"] == 200]
                if sends:
                    card = sends[0]
                    extra += len(calls) - 1
                    seq = seq2
                    break
                time.sleep(0.005)
            lat.append((card["at"] - t0) * 1000 if card else float("inf"))
            time.sleep(max(0.0, slot - time.time()))
        time.sleep(1)
        calls, _ = group_calls(d, seq)
        extra += len(calls)
        st = d.control("stats")
        texts = [m["text"] for m in d.control("sent", query="?chat_id=%d" % GROUP)["messages"]]
        named = sum(1 for i in range(faults) if any("Касса %d-%d" % (i // 10 + 1, i % 10 + 1) in t
                                                    for t in texts))
        return {"delay_ms": delay, "faults": faults, "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99),
                "max_ms": max(lat), "min_ms": min(lat), "answer_p50_ms": pct(answers, 0.5),
                "other_group_calls": extra, "errors429": st["errors429"], "cards_naming_till": named,
                "load": os.getloadavg()[0]}
    finally:
        d.close()


# ---- storm

def storm_count(text):
    m = re.search(r"не проходит на (\d+) касс", text)
    return int(m.group(1)) if m else None


def bench_storm(n, seconds, delay):
    d = desk(True, delay)
    try:
        tokens = add_tills(d, n)
        d.start()
        time.sleep(2)
        posted, stop = [], threading.Event()
        shown = []        # (Telegram's receipt, tills the chat shows as failing so far)
        calls_seen = {"sendMessage": 0, "editMessageText": 0, "other": 0, "failed": 0}

        def watch():
            cseq, sseq, best, own = 0, 0, 0, set()
            while not stop.is_set():
                calls, cseq2 = group_calls(d, cseq)
                if calls:
                    cseq = cseq2
                    for c in calls:
                        k = c["method"] if c["method"] in calls_seen else "other"
                        calls_seen[k if c["status"] == 200 else "failed"] += 1
                    at = max(c["at"] for c in calls)
                    r = d.control("sent", query="?chat_id=%d&since=%d" % (GROUP, sseq))
                    sseq = r["last_seq"]
                    for m in r["messages"]:
                        k = storm_count(m["text"])
                        if k is None:
                            own.update(re.findall(r"Касса \d+-\d+", m["text"]))
                        else:
                            best = max(best, k)
                    shown.append((at, best, set(own)))
                time.sleep(0.05)

        w = threading.Thread(target=watch)
        w.start()
        t_start = time.time()
        order = list(range(n))
        for i in order:
            slot = t_start + seconds * i / n
            time.sleep(max(0.0, slot - time.time()))
            t0 = time.time()
            assert post(d.ingest_port, tokens[i], fault_body(i, "ofd.unreachable")) == 200
            posted.append((i, t0))
        t_last = time.time()
        # Until the chat shows them all (or a minute and a half after the last).
        while time.time() < t_last + 90:
            if shown and shown[-1][1] >= n:
                break
            time.sleep(0.2)
        time.sleep(1)
        stop.set()
        w.join()
        waits = []
        for rank, (i, t0) in enumerate(posted, 1):
            name = "Касса %d-%d" % (i // 10 + 1, i % 10 + 1)
            t = next((at for at, best, own in shown if best >= rank or name in own), None)
            waits.append((t - t0) if t else float("inf"))
        st = d.control("stats")
        storms = d.sql("SELECT count(*) FROM storms")
        tickets = d.sql("SELECT count(*) FROM tickets")
        return {"tills": n, "seconds": seconds, "delay_ms": delay, "posted_s": t_last - t_start,
                "wait_p50_s": pct(waits, 0.5), "wait_max_s": max(waits),
                "all_shown_after_first_s": (max(t0 + w for (_, t0), w in zip(posted, waits))
                                            - t_start),
                "calls": calls_seen, "errors429": st["errors429"], "storms": int(storms),
                "tickets": int(tickets), "load": os.getloadavg()[0]}
    finally:
        d.close()


# ---- memory

async def post_all(port, tokens, conns=50):
    q = asyncio.Queue()
    for i, t in enumerate(tokens):
        q.put_nowait((i, t))
    statuses = {}

    async def worker():
        while not q.empty():
            i, t = q.get_nowait()
            st = await Conn(port, t).post(fault_body(i, CODES[i % len(CODES)]))
            statuses[st] = statuses.get(st, 0) + 1

    await asyncio.gather(*(worker() for _ in range(conns)))
    return statuses


def bench_memory(n):
    d = desk(False, 0, NO_STORMS, "chat_rate = 1000\ngroup_rate = 60000\nglobal_rate = 1000\n")
    try:
        tokens = add_tills(d, n)
        d.start()
        time.sleep(3)
        idle = rss_kb(d.daemon.pid)
        t0 = time.time()
        statuses = asyncio.run(post_all(d.ingest_port, tokens))
        posted_s = time.time() - t0
        end = time.time() + 120
        while time.time() < end and int(d.sql("SELECT count(*) FROM outbox WHERE state = 'pending'")):
            time.sleep(1)
        sent_s = time.time() - t0
        time.sleep(5)   # a few ticks with every alert firing
        busy = rss_kb(d.daemon.pid)
        # Where the memory is: the largest mappings (the heap, malloc's arenas, libraries).
        pm = subprocess.run(["pmap", "-x", str(d.daemon.pid)], capture_output=True, text=True).stdout
        maps = sorted((line.split() for line in pm.splitlines()[2:-2] if len(line.split()) >= 6),
                      key=lambda f: -int(f[2]))[:12]
        firing = int(d.sql("SELECT count(*) FROM alerts WHERE state = 'firing'"))
        d.stop()
        d.start()
        time.sleep(10)
        restarted = rss_kb(d.daemon.pid)
        return {"alerts": n, "firing": firing, "answers": statuses, "posted_s": posted_s,
                "cards_out_s": sent_s, "idle": idle, "after": busy, "restarted": restarted,
                "largest_maps_after": [" ".join(f) for f in maps],
                "db_mb": os.path.getsize(d.db) / 1e6, "load": os.getloadavg()[0]}
    finally:
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="latency,storm,memory")
    ap.add_argument("--delays", default="50,150")
    ap.add_argument("--faults", type=int, default=60)
    ap.add_argument("--gap", type=float, default=3.2)
    ap.add_argument("--storm", type=int, default=500)
    ap.add_argument("--storm-seconds", type=float, default=50)
    ap.add_argument("--storm-delay", type=int, default=50)
    ap.add_argument("--alerts", type=int, default=10000)
    ap.add_argument("--json")
    a = ap.parse_args()
    only, res = a.only.split(","), {}
    if "latency" in only:
        for delay in [int(x) for x in a.delays.split(",")]:
            r = res["latency_%d" % delay] = bench_latency(delay, a.faults, a.gap)
            log("fault -> card, %d ms delay, limits on: p50 %.0f ms, p99 %.0f ms, max %.0f ms "
                "(%d faults; ingest answer p50 %.1f ms; %d cards name their till; %d other group "
                "calls; %d x 429)" % (delay, r["p50_ms"], r["p99_ms"], r["max_ms"], r["faults"],
                                      r["answer_p50_ms"], r["cards_naming_till"],
                                      r["other_group_calls"], r["errors429"]))
    if "storm" in only:
        r = res["storm"] = bench_storm(a.storm, a.storm_seconds, a.storm_delay)
        log("storm: %d tills over %.0f s: each in the chat after p50 %.1f s, max %.1f s; all shown "
            "%.1f s after the first; group calls %s; %d x 429; %d storm(s), %d tickets"
            % (r["tills"], r["posted_s"], r["wait_p50_s"], r["wait_max_s"],
               r["all_shown_after_first_s"], json.dumps(r["calls"]), r["errors429"], r["storms"],
               r["tickets"]))
    if "memory" in only:
        r = res["memory"] = bench_memory(a.alerts)
        log("memory: %d firing alerts (posted in %.1f s, cards out after %.1f s, answers %s): VmRSS "
            "idle %.1f MiB; after, a few ticks on %.1f MiB (HWM %.1f, anon %.1f); restarted on them "
            "%.1f MiB (anon %.1f, HWM %.1f); database %.1f MB"
            % (r["firing"], r["posted_s"], r["cards_out_s"], json.dumps(r["answers"]),
               r["idle"]["VmRSS"] / 1024, r["after"]["VmRSS"] / 1024, r["after"]["VmHWM"] / 1024,
               r["after"]["RssAnon"] / 1024, r["restarted"]["VmRSS"] / 1024,
               r["restarted"]["RssAnon"] / 1024, r["restarted"]["VmHWM"] / 1024, r["db_mb"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
