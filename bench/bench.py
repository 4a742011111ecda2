#!/usr/bin/env python3
"""Benchmarks of the ticket loop: the real daemon against tests/tgemu.

  python3 bench/bench.py [--only handling,delivery,memory] [--n 10000]
                         [--perf FILE] [--json FILE]

1. handling  updates handled per second (emulator limits off, replies only
             queued): N cashier messages are injected while the daemon is
             stopped, then `serve` starts and we time from its first
             getUpdates to the emulator's pending_updates == 0, and check
             the history rows in the database.
2. delivery  1,000 outbox rows for 50 private chats, emulator limits ON,
             default rates (chat_rate 1, global_rate 30): messages/s
             delivered and 429 answers; then (2b) the same with a backlog
             of 30,000 rows, measured over 20 s.
3. memory    VmRSS / VmHWM of the daemon idle after start and after 10,000
             tickets opened through the bot (/new + a message from 100
             cashiers, daemon rates 1000/s, emulator limits off), 15 s into
             sending the ~29,000 replies they queue (the drain rate of that
             backlog and the time of the sender's due query are recorded);
             then the handling rate again with those 10,000 open tickets in
             the database (2,000 plain messages that join open tickets; the
             backlog is marked sent first so only the handling is timed).

Prints one table at the end (the figures of bench/RESULTS.md).
"""
import argparse
import http.client
import json
import os
import platform
import sqlite3
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
from harness import GROUP, TOKEN  # noqa: E402

BIN = harness.BIN


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


class Ctl:
    """The emulator's control API over one kept-alive connection."""

    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.conn = self._connect()

    def _connect(self):
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        c.connect()
        c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return c

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=data,
                                  headers={"Content-Type": "application/json"})
                r = self.conn.getresponse()
                return json.loads(r.read())
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn.close()
                self.conn = self._connect()

    def post(self, path, body):
        return self._call("POST", "/control/" + path, body)

    def get(self, path):
        return self._call("GET", "/control/" + path)

    def bot(self, method, params):
        return self._call("POST", "/bot%s/%s" % (TOKEN, method), params)

    def close(self):
        self.conn.close()


class Sampler(threading.Thread):
    """Polls /control/stats (and the daemon's memory) every `every` seconds."""

    def __init__(self, url, every, pid=None):
        super().__init__(daemon=True)
        self.ctl = Ctl(url)
        self.every, self.pid = every, pid
        self.samples = []  # (t, stats, rss_kb)
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            t = time.monotonic()
            s = self.ctl.get("stats")
            rss = mem(self.pid).get("VmRSS", 0) if self.pid else 0
            self.samples.append((t, s, rss))
            self.halt.wait(max(0.0, self.every - (time.monotonic() - t)))

    def stop(self):
        self.halt.set()
        self.join()
        self.ctl.close()

    def first(self, pred):
        for t, s, _ in self.samples:
            if pred(s):
                return t
        return None


def cpu_s(pid):
    """CPU seconds (user + system) the process has used."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def mem(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                    out[k] = int(v.split()[0])
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Pss", "Pss_Anon", "Pss_File"):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class Bench(harness.Desk):
    """A Desk whose config we control and whose daemon's log lines we timestamp."""

    def __init__(self, limits, **rates):
        super().__init__(limits=limits)
        self.configure(**rates)
        self.lines = []
        self.reader = None

    def configure(self, log_level="info", poll_timeout="30s", chat_rate=1, group_rate=20,
                  global_rate=30):
        run_as = "user = nobody\n" if os.geteuid() == 0 else ""
        with open(self.cfg, "w") as f:
            f.write("[general]\ndatabase = %s\nlanguage = ru\nlog_level = %s\n%s"
                    "[telegram]\ntoken = %s\napi_url = %s\nengineers_chat = %d\n"
                    "poll_timeout = %s\nbot_username = tilldesk_emu_bot\n"
                    "chat_rate = %d\ngroup_rate = %d\nglobal_rate = %d\n"
                    % (self.db, log_level, run_as, TOKEN, self.url, GROUP, poll_timeout,
                       chat_rate, group_rate, global_rate))

    def start(self, wrap=None):
        env = dict(os.environ, TILLDESK_CONFIG="")
        cmd = [BIN, "-c", self.cfg, "serve"]
        self.t_spawn = time.monotonic()
        self.daemon = subprocess.Popen((wrap or []) + cmd, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, env=env)
        self.lines = []
        connected = threading.Event()

        def read(p):
            for raw in p.stderr:
                t = time.monotonic()
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines.append((t, line))
                self.log.write(raw)
                if "connected as" in line:
                    self.t_connected = t
                    connected.set()

        self.reader = threading.Thread(target=read, args=(self.daemon,), daemon=True)
        self.reader.start()
        if not connected.wait(60):
            raise AssertionError("serve did not connect: %s" % self.lines[-20:])

    def pid(self):
        """The daemon's pid (under `perf record` it is perf's child)."""
        p = self.daemon.pid
        try:
            kids = open("/proc/%d/task/%d/children" % (p, p)).read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        return p

    def stop(self, sig=signal.SIGTERM):
        if self.daemon and self.daemon.poll() is None:
            os.kill(self.pid(), sig)  # under perf, perf ends when its child does
            self.daemon.wait(30)
        if self.reader:
            self.reader.join(5)
        self.daemon = None

    def count(self, query):
        return int(self.sql(query) or 0)

    def register_cashiers(self, ids):
        """Cashiers join through real invite links; leaves the daemon running."""
        codes = [self.invite("cashier") for _ in ids]  # daemon stopped: no WAL race
        self.start()
        ctl = Ctl(self.url)
        for uid, code in zip(ids, codes):
            ctl.post("message", {"from": {"id": uid, "first_name": "Кассир %d" % uid},
                                 "text": "/start " + code})
        ctl.close()
        end = time.time() + 60
        while self.count("select count(*) from people where role = 'cashier'") < len(ids):
            if time.time() > end:
                raise AssertionError("cashiers did not register")
            time.sleep(0.1)

    def wait_outbox_empty(self, timeout=120):
        end = time.time() + timeout
        while self.count("select count(*) from outbox where state = 'pending'"):
            if time.time() > end:
                raise AssertionError("outbox did not drain")
            time.sleep(0.2)


def inject(url, msgs):
    """Posts messages to the emulator's queue; returns seconds taken."""
    ctl = Ctl(url)
    t = time.monotonic()
    for uid, text in msgs:
        r = ctl.post("message", {"from": {"id": uid, "first_name": "Кассир %d" % uid},
                                 "text": text})
        assert r.get("ok"), r
    dt = time.monotonic() - t
    ctl.close()
    return dt


HANDLED = "select count(*) from ticket_events where kind in ('opened', 'message')"


def timed_handling(d, msgs, perf=None, expect_events=None):
    """Daemon stopped: inject msgs, start serve, time until all are confirmed."""
    before = d.count(HANDLED)
    ctl = Ctl(d.url)
    inj = inject(d.url, msgs)
    st = ctl.get("stats")
    assert st["pending_updates"] == len(msgs), st["pending_updates"]
    wrap = ["perf", "record", "--call-graph", "dwarf,16384", "-F", "499", "-o", perf, "--"] \
        if perf else None
    sampler = None
    calls0 = st["calls"].get("getUpdates", 0)
    d.start(wrap=wrap)
    sampler = Sampler(d.url, 0.01)
    sampler.start()
    end = time.time() + 300
    while sampler.first(lambda s: s["pending_updates"] == 0) is None:
        if time.time() > end:
            raise AssertionError("updates not confirmed: %d pending" % ctl.get("stats")["pending_updates"])
        time.sleep(0.05)
    sampler.stop()
    t_done = sampler.first(lambda s: s["pending_updates"] == 0)
    handled = d.count(HANDLED) - before
    polls = ctl.get("stats")["calls"].get("getUpdates", 0) - calls0
    rss = mem(d.pid())
    t0 = d.t_connected  # the line just before the first getUpdates
    startup = d.t_connected - d.t_spawn
    d.stop()
    ctl.close()
    n = len(msgs)
    return {"n": n, "handled": handled, "expected": expect_events if expect_events is not None else n,
            "inject_s": inj, "inject_rate": n / inj, "startup_s": startup,
            "elapsed_s": t_done - t0, "rate": n / (t_done - t0), "getUpdates": polls,
            "rss_kb": rss.get("VmRSS", 0), "hwm_kb": rss.get("VmHWM", 0)}


# ---------------------------------------------------------------- 1. handling

def bench_handling(n, cashiers, perf=None):
    d = Bench(limits=False, chat_rate=1000, group_rate=6000, global_rate=1000)
    try:
        d.setup_chain()
        ids = [100000 + i for i in range(cashiers)]
        d.register_cashiers(ids)
        d.wait_outbox_empty()
        d.stop()
        # The measured run: default rates, the sender paces what it sends at ~28/s.
        d.configure()
        msgs = [(ids[i % cashiers], "Касса не печатает чек, ошибка 235 (%d)" % i) for i in range(n)]
        r = timed_handling(d, msgs, perf=perf)
        r["cashiers"] = cashiers
        r["outbox_rows"] = d.count("select count(*) from outbox where ticket_id is not null")
        r["tickets"] = d.count("select count(*) from tickets")
        return r
    finally:
        d.close()


# ---------------------------------------------------------------- 2. delivery

def bench_delivery(chats=50, per_chat=20, window=None):
    d = Bench(limits=True)  # default rates: chat_rate 1, group_rate 20, global_rate 30
    ctl = Ctl(d.url)
    try:
        d.setup_chain()
        ids = [200000 + i for i in range(chats)]
        for uid in ids:  # a private chat exists once its user has written
            ctl.post("message", {"from": {"id": uid, "first_name": "u%d" % uid}, "text": "hi"})
        # Confirm those updates so that the daemon has nothing to answer.
        nxt = ctl.get("stats")["next_update_id"]
        ctl.bot("getUpdates", {"offset": nxt, "timeout": 0})
        assert ctl.get("stats")["pending_updates"] == 0
        total = chats * per_chat
        now = int(time.time())
        sql = ["BEGIN;"]
        for i in range(total):  # interleaved: chat 1, 2, ... 50, 1, 2, ...
            sql.append("INSERT INTO outbox(channel, chat_id, method, payload, created_at) VALUES"
                       " ('telegram', %d, 'sendMessage', '{\"text\":\"bench %d\"}', %d);"
                       % (ids[i % chats], i, now))
        sql.append("COMMIT;")
        subprocess.run(["sqlite3", d.db], input="\n".join(sql), text=True, check=True)
        due_ms = time_due_query(d)
        sent0 = ctl.get("stats")["messages_sent"]
        d.start()
        sampler = Sampler(d.url, 0.05)
        sampler.start()
        end = time.time() + 120
        cpu0, w0 = cpu_s(d.pid()), time.monotonic()
        while ctl.get("stats")["messages_sent"] - sent0 < total:
            if window and time.monotonic() - d.t_connected > window:
                break
            if time.time() > end:
                raise AssertionError("not delivered")
            time.sleep(0.2)
        cpu = (cpu_s(d.pid()) - cpu0) / (time.monotonic() - w0)
        sampler.stop()
        st = ctl.get("stats")
        pending = d.count("select count(*) from outbox where state = 'pending'")
        d.stop()

        def at(k):
            return sampler.first(lambda s: s["messages_sent"] - sent0 >= k)
        if window:  # a backlog too large to wait for: the rate over the window
            sm = [x for x in sampler.samples if x[0] - d.t_connected >= 2]
            rate = (sm[-1][1]["messages_sent"] - sm[0][1]["messages_sent"]) / (sm[-1][0] - sm[0][0])
            return {"chats": chats, "rows": total, "sent": st["messages_sent"] - sent0,
                    "errors429": st["errors429"], "window_s": sm[-1][0] - sm[0][0],
                    "sustained_rate": rate, "cpu": cpu, "pending_left": pending, "due_ms": due_ms}
        t_first, t_last = at(1), at(total)
        lo, hi = total // 10, total - total // 10
        sustained = (hi - lo) / (at(hi) - at(lo))
        # The busiest rolling second seen by the sampler (0.05 s steps).
        peak = 0
        sm = sampler.samples
        j = 0
        for i in range(len(sm)):
            while sm[i][0] - sm[j][0] > 1.0:
                j += 1
            if i > j:
                rate = (sm[i][1]["messages_sent"] - sm[j][1]["messages_sent"]) / (sm[i][0] - sm[j][0])
                if sm[i][0] - sm[j][0] > 0.9:
                    peak = max(peak, rate)
        return {"chats": chats, "rows": total, "sent": st["messages_sent"] - sent0,
                "errors429": st["errors429"], "errors": st["errors"],
                "first_after_connect_s": t_first - d.t_connected,
                "overall_rate": total / (t_last - d.t_connected),
                "first_to_last_rate": (total - 1) / (t_last - t_first),
                "sustained_rate": sustained, "peak_1s": peak, "pending_left": pending, "cpu": cpu,
                "due_ms": due_ms,
                "duration_s": t_last - t_first}
    finally:
        ctl.close()
        d.close()


# ---------------------------------------------------------------- 3. memory

# storage/outbox.c's db_outbox_due, expanded (QUEUE_HEAD written out).
_HEAD = ("SELECT %s FROM outbox INDEXED BY outbox_queue WHERE state = 'pending'"
         " AND channel = 'telegram' AND %s ORDER BY %s LIMIT 1")
DUE_QUERY = ("WITH RECURSIVE chats(c) AS ("
             "  SELECT (" + _HEAD % ("chat_id", "chat_id IS NOT NULL", "chat_id") + ")"
             "  UNION ALL"
             "  SELECT (" + _HEAD % ("chat_id", "chat_id > c", "chat_id") + ")"
             "   FROM chats WHERE c IS NOT NULL),"
             " heads(id) AS ("
             "  SELECT (" + _HEAD % ("id", "chat_id = c", "id") + ") FROM chats WHERE c IS NOT NULL"
             "  UNION ALL"
             "  SELECT id FROM outbox INDEXED BY outbox_queue WHERE state = 'pending'"
             "   AND channel = 'telegram' AND chat_id IS NULL)"
             " SELECT o.id, coalesce(o.chat_id, 0), o.method, o.payload, coalesce(o.ticket_id, 0),"
             " coalesce(o.link_role, ''), coalesce(o.edit_role, ''), o.attempts, o.kind, o.msg_key,"
             " o.args, o.actions, o.ref, o.reply_to, o.flags, o.parts_sent"
             " FROM heads h JOIN outbox o ON o.id = h.id"
             " WHERE o.not_before <= %d ORDER BY o.id LIMIT 64;")


def time_due_query(d, runs=20):
    """Wall time (ms, best of runs) of the sender's db_outbox_due query, run by
    Python's sqlite3 module (same SQLite version as the daemon's) on the same file."""
    q = DUE_QUERY % int(time.time())
    con = sqlite3.connect(d.db)
    best = None
    try:
        for _ in range(runs):
            t = time.perf_counter()
            con.execute(q).fetchall()
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
    finally:
        con.close()
    return 1000 * best


def bench_memory(tickets=10000, cashiers=100, join_n=2000, drain_s=15):
    d = Bench(limits=False, chat_rate=1000, group_rate=6000, global_rate=1000)
    out = {}
    try:
        d.setup_chain()
        ids = [300000 + i for i in range(cashiers)]
        codes = [d.invite("cashier") for _ in ids]
        d.start()
        time.sleep(2)
        pid = d.daemon.pid
        m = mem(pid)
        out["idle_rss_kb"], out["idle_hwm_kb"] = m["VmRSS"], m["VmHWM"]
        out["idle_anon_kb"], out["idle_file_kb"] = m["RssAnon"], m["RssFile"]
        out["idle_pss_kb"] = m.get("Pss", 0)
        out["threads"] = m.get("Threads")
        ctl = Ctl(d.url)
        for uid, code in zip(ids, codes):
            ctl.post("message", {"from": {"id": uid, "first_name": "Кассир %d" % uid},
                                 "text": "/start " + code})
        sampler = Sampler(d.url, 0.5, pid=pid)
        sampler.start()
        t0 = time.monotonic()
        msgs = []
        for i in range(tickets):
            uid = ids[i % cashiers]
            msgs.append((uid, "/new"))
            msgs.append((uid, "ФН не отвечает, касса стоит (%d)" % i))
        out["inject_s"] = inject(d.url, msgs)
        end = time.time() + 240
        while True:
            s = ctl.get("stats")
            if s["pending_updates"] == 0 and d.count("select count(*) from tickets") >= tickets:
                break
            if time.time() > end:
                raise AssertionError("tickets not opened: %d pending" % s["pending_updates"])
            time.sleep(0.2)
        out["handled_s"] = time.monotonic() - t0
        # The sender now has a backlog of ~3 messages per ticket. It is not
        # waited for (see RESULTS.md): watch it for drain_s, then measure.
        pend0 = d.count("select count(*) from outbox where state = 'pending'")
        sent0, td = ctl.get("stats")["messages_sent"], time.monotonic()
        time.sleep(drain_s)
        sent1, td1 = ctl.get("stats")["messages_sent"], time.monotonic()
        out["backlog"] = pend0
        out["drain_rate"] = (sent1 - sent0) / (td1 - td)
        out["drain_s"] = drain_s
        out["backlog_left"] = d.count("select count(*) from outbox where state = 'pending'")
        sampler.stop()
        m = mem(pid)
        out["after_rss_kb"], out["after_hwm_kb"] = m["VmRSS"], m["VmHWM"]
        out["after_anon_kb"], out["after_file_kb"] = m["RssAnon"], m["RssFile"]
        out["after_pss_kb"] = m.get("Pss", 0)
        out["peak_sampled_rss_kb"] = max(r for _, _, r in sampler.samples)
        out["tickets"] = d.count("select count(*) from tickets")
        out["sent"] = ctl.get("stats")["messages_sent"]
        out["db_kb"] = os.path.getsize(d.db) // 1024
        out["wal_kb"] = os.path.getsize(d.db + "-wal") // 1024 if os.path.exists(d.db + "-wal") else 0
        out["due_query_ms"] = time_due_query(d)
        # Clear the backlog so that 1c times the handling path alone.
        d.stop()
        d.sql("update outbox set state = 'sent' where state = 'pending'")
        out["due_query_empty_ms"] = time_due_query(d)
        d.configure()
        # Handling again, now that 10,000 tickets are open: plain messages join them.
        msgs = [(ids[i % cashiers], "Всё ещё не работает (%d)" % i) for i in range(join_n)]
        out["join"] = timed_handling(d, msgs)
        ctl.close()
        return out
    finally:
        d.close()


# ---------------------------------------------------------------- report

def machine():
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
        except OSError:
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        ram = int(f.readline().split()[1]) // 1024
    return {"nproc": sh("nproc"), "cpu": cpu, "ram_mb": ram, "kernel": platform.release(),
            "gcc": sh("gcc --version | head -1"), "sqlite": sh("sqlite3 --version | cut -d' ' -f1"),
            "libsqlite": sh("pkg-config --modversion sqlite3"), "python": platform.python_version(),
            "curl": sh("pkg-config --modversion libcurl"), "json-c": sh("pkg-config --modversion json-c"),
            "commit": sh("git -C %s rev-parse --short HEAD" % ROOT)}


def table(mc, res):
    rows = []
    ok = lambda b: "yes" if b else "**NO**"  # noqa: E731
    for key, label in (("handling", "1. updates handled/s, %d cashiers, %d msgs"),
                       ("handling1", "1b. updates handled/s, %d cashier, %d msgs")):
        if key in res:
            r = res[key]
            rows.append((label % (r["cashiers"], r["n"]), "%.0f /s" % r["rate"], ">= 2,000 /s",
                         ok(r["rate"] >= 2000 and r["handled"] == r["n"]),
                         "%d history rows for %d msgs; %.2f s from first getUpdates; %d getUpdates;"
                         " startup %.2f s; injection %.0f/s (before start)"
                         % (r["handled"], r["n"], r["elapsed_s"], r["getUpdates"], r["startup_s"],
                            r["inject_rate"])))
    if "memory" in res and "join" in res["memory"]:
        r = res["memory"]["join"]
        rows.append(("1c. updates handled/s with %d open tickets in the DB, %d msgs"
                     % (res["memory"]["tickets"], r["n"]), "%.0f /s" % r["rate"], ">= 2,000 /s",
                     ok(r["rate"] >= 2000 and r["handled"] == r["n"]),
                     "%d history rows for %d msgs; %.2f s; VmRSS of the restarted daemon"
                     " afterwards %.1f MiB" % (r["handled"], r["n"], r["elapsed_s"],
                                               r["rss_kb"] / 1024)))
    if "delivery" in res:
        r = res["delivery"]
        rows.append(("2. delivery to %d chats, %d rows, limits on" % (r["chats"], r["rows"]),
                     "%.1f msg/s, %d x 429" % (r["sustained_rate"], r["errors429"]),
                     ">= 27 /s, 0 x 429", ok(r["sustained_rate"] >= 27 and r["errors429"] == 0),
                     "10-90%% window; first-to-last %.1f/s over %.1f s; incl. startup %.1f/s;"
                     " busiest 1 s %.1f/s; daemon CPU %.0f%% of a core; db_outbox_due query %.2f ms"
                     % (r["first_to_last_rate"], r["duration_s"], r["overall_rate"], r["peak_1s"],
                        100 * r["cpu"], r["due_ms"])))
    if "delivery_backlog" in res:
        r = res["delivery_backlog"]
        rows.append(("2b. the same with a backlog of %d rows" % r["rows"],
                     "%.1f msg/s, %d x 429" % (r["sustained_rate"], r["errors429"]),
                     ">= 27 /s, 0 x 429", ok(r["sustained_rate"] >= 27 and r["errors429"] == 0),
                     "rate over %.0f s (from 2 s after connecting); daemon CPU %.0f%% of a core;"
                     " db_outbox_due query %.1f ms (1/(1/28 + that) = %.1f/s)"
                     % (r["window_s"], 100 * r["cpu"], r["due_ms"],
                        1 / (1 / 28 + r["due_ms"] / 1000))))
    if "memory" in res:
        r = res["memory"]
        mib = lambda kb: kb / 1024  # noqa: E731
        rows.append(("3a. VmRSS idle after start",
                     "%.1f MiB (%d kB), HWM %.1f MiB" % (mib(r["idle_rss_kb"]), r["idle_rss_kb"],
                                                         mib(r["idle_hwm_kb"])),
                     "< 16 MB", ok(r["idle_hwm_kb"] < 16 * 1024),
                     "%s threads; RssAnon %.1f + RssFile %.1f MiB (library pages); PSS %.1f MiB"
                     % (r["threads"], mib(r["idle_anon_kb"]), mib(r["idle_file_kb"]),
                        mib(r["idle_pss_kb"]))))
        rows.append(("3b. VmRSS after %d tickets" % r["tickets"],
                     "%.1f MiB (%d kB), HWM %.1f MiB" % (mib(r["after_rss_kb"]), r["after_rss_kb"],
                                                         mib(r["after_hwm_kb"])),
                     "< 16 MB", ok(r["after_hwm_kb"] < 16 * 1024),
                     "RssAnon %.1f + RssFile %.1f MiB; PSS %.1f MiB; %d updates (/new + text)"
                     " handled in %.1f s, then %d s of sending; DB %.0f MiB, WAL %.0f MiB"
                     % (mib(r["after_anon_kb"]), mib(r["after_file_kb"]), mib(r["after_pss_kb"]),
                        2 * r["tickets"], r["handled_s"], r["drain_s"], mib(r["db_kb"]),
                        mib(r["wal_kb"]))))
        rows.append(("3c. sender drain rate with a backlog (rates 1000/s, limits off)",
                     "%.0f msg/s" % r["drain_rate"], "-", "-",
                     "backlog %d rows, %d left after %d s; db_outbox_due query %.1f ms with the"
                     " backlog, %.2f ms with none" % (r["backlog"], r["backlog_left"], r["drain_s"],
                                                     r["due_query_ms"], r["due_query_empty_ms"])))
    out = ["machine: %s x %s, %d MB RAM, Linux %s, %s, sqlite %s (lib %s), libcurl %s, json-c %s,"
           " Python %s, commit %s" % (mc["nproc"], mc["cpu"], mc["ram_mb"], mc["kernel"], mc["gcc"],
                                      mc["sqlite"], mc["libsqlite"], mc["curl"], mc["json-c"],
                                      mc["python"], mc["commit"]), "",
           "| benchmark | result | target | met | notes |", "|---|---|---|---|---|"]
    out += ["| %s |" % " | ".join(r) for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default="handling,delivery,memory")
    ap.add_argument("--n", type=int, default=10000, help="messages for bench 1")
    ap.add_argument("--cashiers", type=int, default=100)
    ap.add_argument("--tickets", type=int, default=10000)
    ap.add_argument("--perf", help="record bench 1 under perf into this file")
    ap.add_argument("--json", help="also write the raw figures here")
    a = ap.parse_args()
    if not os.path.exists(BIN):
        sys.exit("no %s: run make first" % BIN)
    only = a.only.split(",")
    res = {}
    mc = machine()  # before the runs: the commit that was built
    t = time.monotonic()
    if "handling" in only:
        log("1. handling: %d messages from %d cashiers" % (a.n, a.cashiers))
        res["handling"] = bench_handling(a.n, a.cashiers, perf=a.perf)
        log("   %.0f updates/s" % res["handling"]["rate"])
        log("1b. handling: %d messages from 1 cashier" % (a.n // 2))
        res["handling1"] = bench_handling(a.n // 2, 1)
        log("   %.0f updates/s" % res["handling1"]["rate"])
    if "delivery" in only:
        log("2. delivery: 1000 rows to 50 chats, limits on")
        res["delivery"] = bench_delivery()
        log("   %.1f msg/s, %d x 429" % (res["delivery"]["sustained_rate"], res["delivery"]["errors429"]))
        log("2b. delivery: a backlog of 30,000 rows to 50 chats, 20 s")
        res["delivery_backlog"] = bench_delivery(per_chat=600, window=22)
        log("   %.1f msg/s, %d x 429" % (res["delivery_backlog"]["sustained_rate"],
                                        res["delivery_backlog"]["errors429"]))
    if "memory" in only:
        log("3. memory: %d tickets" % a.tickets)
        res["memory"] = bench_memory(tickets=a.tickets)
        log("   %.1f MiB after" % (res["memory"]["after_hwm_kb"] / 1024))
    res["total_s"] = time.monotonic() - t
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": mc, "results": res}, f, indent=1)
    print(table(mc, res))
    print("\ntotal bench time: %.0f s" % res["total_s"])


if __name__ == "__main__":
    main()
