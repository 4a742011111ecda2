#!/usr/bin/env python3
"""Benchmark of the till agents' endpoint: the real daemon (tests/e2e/harness)
and 1,000 tills, each with its own token and its own keep-alive connection,
driven by one asyncio load generator.

  python3 bench/ingest_bench.py [--tills 1000] [--batch 100] [--seconds 20] [--rounds 3]
                                [--hb-seconds 90] [--hb-interval 60] [--status warning|ok]

1. latency     on a fresh daemon, the 1,000 tills send heartbeats (8
               events, facts included) every --hb-interval seconds (the
               agent's default, spread over the interval), each keeping its
               connection, while one more till posts single events, 15 a
               second, from a process of its own: p50/p99/max of that answer.
2. memory      the daemon's VmRSS sampled every second of phase 1, and its
               peak (VmHWM) at the end of it.
3. throughput  every till posts change batches of --batch events, one after
               another, for --seconds, --rounds times: events stored per
               second (counted in the database, not in the answers).

The load generator is Python: it needs about one core at 10,000 events/s,
so on a 2-core machine it competes with the daemon for the CPU; the figures
are a floor.
"""
import argparse
import asyncio
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import Desk  # noqa: E402


class Conn:
    """One keep-alive HTTP/1.1 connection posting batches."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.reader = self.writer = None

    async def post(self, body):
        """Posts on the kept connection; one the server closed (idle past its timeout) is
        opened again, as libcurl does."""
        if self.writer:
            try:
                return await self.post_once(body)
            except (asyncio.IncompleteReadError, ConnectionError):
                self.writer.close()
                self.writer = None
        return await self.post_once(body)

    async def post_once(self, body):
        if not self.writer:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(("POST /api/v1/events HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\n"
                           "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
                           % (self.token, len(body))).encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        m = re.search(rb"(?i)content-length: *(\d+)", head)
        await self.reader.readexactly(int(m.group(1)) if m else 0)
        if re.search(rb"(?i)connection: *close", head):
            self.writer.close()
            self.writer = None
        return status


def events_body(till, seq, n, kind="change", prefix="", status="warning"):
    now = int(time.time())
    evs = ['{"id":"%s%d-%d-%d","kind":"%s","check":"fn","code":"fn.c%d","status":"%s",'
           '"message":"ФН истекает через %d дн.","observed_at":%d,"data":{"days_left":%d}}'
           % (prefix, till, seq, i, kind, i % 8, status, i, now, i) for i in range(n)]
    return ('{"agent":"bench","dropped":0,"events":[%s]}' % ",".join(evs)).encode()


def heartbeat_body(till, seq):
    now = int(time.time())
    checks = ["fn", "utm", "tcp", "clock", "disk", "process", "log", "file_age"]
    evs = []
    for i, c in enumerate(checks):
        data = ""
        if c == "fn":
            data = ',"data":{"fn.serial":"72814405%08d","fn.valid_until":"2026-12-05"}' % till
        elif c == "utm":
            data = ',"data":{"utm.rsa_until":"2027-01-01","utm.gost_until":"2027-02-01"}'
        evs.append('{"id":"hb-%d-%d-%d","kind":"heartbeat","check":"%s","code":"%s.state",'
                   '"status":"ok","message":"норма","observed_at":%d%s}' % (till, seq, i, c, c, now, data))
    return ('{"agent":"bench","dropped":0,"events":[%s]}' % ",".join(evs)).encode()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        s = f.read()
    return (int(re.search(r"VmRSS:\s+(\d+)", s).group(1)), int(re.search(r"VmHWM:\s+(\d+)", s).group(1)))


async def throughput(port, tokens, batch, seconds, prefix, status):
    stop = time.monotonic() + seconds
    statuses = {}

    async def till(i, tok):
        c, seq = Conn(port, tok), 0
        while time.monotonic() < stop:
            st = await c.post(events_body(i, seq, batch, prefix=prefix, status=status))
            statuses[st] = statuses.get(st, 0) + 1
            seq += 1

    await asyncio.gather(*(till(i, t) for i, t in enumerate(tokens)))
    return statuses


async def heartbeats_and_latency(port, tokens, probe_token, seconds, interval, pid):
    stop = time.monotonic() + seconds
    rss = []

    async def till(i, tok):
        c, seq = Conn(port, tok), 0
        await asyncio.sleep(interval * i / len(tokens))  # spread over the interval
        while time.monotonic() < stop:
            t = time.monotonic()
            await c.post(heartbeat_body(i, seq))
            seq += 1
            await asyncio.sleep(max(0, interval - (time.monotonic() - t)))

    async def sample():
        while time.monotonic() < stop:
            rss.append(rss_kb(pid))
            await asyncio.sleep(1)

    # The probe runs in a process of its own: in this event loop, a thousand
    # tills' coroutines would delay reading its answers and be timed with them.
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=probe, args=(port, probe_token, interval, stop - time.monotonic(), child))
    proc.start()
    await asyncio.gather(*(till(i, t) for i, t in enumerate(tokens)), sample())
    lat = parent.recv()
    proc.join()
    return lat, rss


def probe(port, token, delay, seconds, out):
    """Posts single events, 15 a second (within the default rate of 20), on one
    keep-alive connection; sends the answers' times (ms) to out."""
    import http.client
    time.sleep(delay)  # once every till is connected
    stop, lat, seq = time.monotonic() + seconds - delay, [], 0
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    while time.monotonic() < stop:
        body = events_body(999999, seq, 1)
        t = time.perf_counter()
        c.request("POST", "/api/v1/events", body=body, headers=headers)
        r = c.getresponse()
        r.read()
        lat.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, r.status
        seq += 1
        time.sleep(1 / 15)
    c.close()
    out.send(lat)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tills", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--hb-seconds", type=int, default=90)
    ap.add_argument("--hb-interval", type=int, default=60)
    ap.add_argument("--status", default="warning", choices=["warning", "ok"],
                    help="of the throughput batches' events: warning (each till's first batch"
                         " opens an alert per code since issue 15, the rest repeat it) or ok")
    a = ap.parse_args()

    d = Desk(limits=False, ingest_config="connections = 4000\nper_address = 0\n")
    try:
        d.setup_chain()
        # Tills straight into the database: 1,000 `till add` runs would take minutes.
        import hashlib
        tokens = ["bench-token-%06d" % i for i in range(a.tills + 1)]
        store = d.sql("select id from stores limit 1")
        rows = ",".join("(%s, 'bench %d', '%s', 0)" % (store, i, hashlib.sha256(t.encode()).hexdigest())
                        for i, t in enumerate(tokens))
        d.sql("insert into tills(store_id, name, token_hash, created_at) values " + rows)
        d.start()
        pid = d.daemon.pid
        print("daemon pid %d, ingest port %d" % (pid, d.ingest_port), file=sys.stderr, flush=True)
        idle = rss_kb(pid)

        lat, rss = asyncio.run(heartbeats_and_latency(d.ingest_port, tokens[:a.tills], tokens[a.tills],
                                                      a.hb_seconds, a.hb_interval, pid))
        lat.sort()
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
        peak_rss = max(r[0] for r in rss)
        hwm = rss_kb(pid)[1]

        # Rounds: other work on a shared machine moves a single figure a lot.
        rates, statuses = [], {}
        for r in range(a.rounds):
            before = int(d.sql("select count(*) from agent_events"))
            t0 = time.monotonic()
            for k, v in asyncio.run(throughput(d.ingest_port, tokens[:a.tills], a.batch, a.seconds,
                                               "r%d-" % r, a.status)).items():
                statuses[k] = statuses.get(k, 0) + v
            took = time.monotonic() - t0
            rates.append((int(d.sql("select count(*) from agent_events")) - before) / took)
            print("round %d: %.0f events/s (load average %.1f)" % (r + 1, rates[-1], os.getloadavg()[0]),
                  file=sys.stderr, flush=True)
        print("\n== ingest bench: %d tills, %d cores" % (a.tills, os.cpu_count()))
        print("| figure | value |")
        print("|---|---|")
        print("| throughput: events stored / s (batches of %d %s events, %d s; median of %s) | %.0f |"
              % (a.batch, a.status, a.seconds, " / ".join("%.0f" % x for x in rates),
                 statistics.median(rates)))
        print("| answers during throughput | %s |" % json.dumps(statuses))
        print("| single event answer p50 / p99 / max ms (%d samples, %d tills heartbeating every %d s) "
              "| %.1f / %.1f / %.1f |" % (len(lat), a.tills, a.hb_interval, p(0.5), p(0.99), lat[-1]))
        print("| daemon VmRSS idle / peak during heartbeats / VmHWM after them, MB | %.1f / %.1f / %.1f |"
              % (idle[0] / 1024, peak_rss / 1024, hwm / 1024))
        print("| daemon VmHWM after the throughput phase, MB | %.1f |" % (rss_kb(pid)[1] / 1024))
        print("| database size after, MB | %.1f |" % (os.path.getsize(d.db) / 1e6))
    finally:
        # What the daemon said about connections it ended, for a run that went wrong.
        with open(os.path.join(d.dir, "serve.log"), errors="replace") as f:
            ended = [l.strip() for l in f if "cut off" in l or "libmicrohttpd" in l]
        print("daemon on connections: %d lines%s" % (len(ended), "".join("\n  " + l for l in ended[:8])))
        d.close()


if __name__ == "__main__":
    main()
