"""End-to-end harness for tilldesk-agent: the real agent against the real daemon.

A Server is `tilldesk serve` (harness.Desk: its own database, the Bot API
emulator it needs to run, the agents' ingest on a free loopback port) with
a chain set up by the admin commands; Server.new_till() adds a till with
`tilldesk till add` and returns the token it prints. Tests read what
arrived where an admin would: the daemon's database (agent_events,
check_states, equipment, tills) and its command line.

A Till is a till PC: the POS software writes the fiscal drive's state file
(agent/FN-STATE.md), a fake УТМ (tests/fakes/fakeutm.py) answers the utm
check, and tilldesk-agent runs with `interval = 1s`, the till's token in a
0600 token_file.
"""
import datetime
import glob
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT = os.environ.get("TILLDESK_AGENT_BIN") or os.path.join(
    ROOT, os.path.dirname(os.environ.get("TILLDESK_BIN", "build/tilldesk")), "tilldesk-agent")
FAKEUTM = os.path.join(ROOT, "tests", "fakes", "fakeutm.py")
STORE = "Ромашка на Ленина"
FSRAR_ID = "030000123456"
SERIAL = "7281440500123456"


def seq(event_id):
    return int(event_id.rsplit("-", 1)[1])


class Server:
    """tilldesk serve with a chain; its ingest at self.url. extra_config: more
    sections of the daemon's config (e.g. "[alerts]\noffline_after = 10s\n")."""

    def __init__(self, ingest_config="", extra_config=""):
        self.desk = Desk(ingest_config="timeout = 3s\n" + ingest_config, extra_config=extra_config)
        try:
            self.desk.setup_chain()
            self.url = self.desk.ingest_url
            self.start()
        except BaseException:
            self.desk.close()   # the emulator too: no test owns it yet
            raise

    def new_till(self, name):
        out = self.cli("till", "add", name, "--store", STORE).stdout
        return re.search(r"(tdk_[a-z2-7]+)", out).group(1)

    def rotate(self, name):
        out = self.cli("till", "token", name, "--rotate", "--store", STORE).stdout
        return re.search(r"(tdk_[a-z2-7]+)", out).group(1)

    def cli(self, *args):
        return self.desk.cli(*args)

    def start(self):
        self.desk.start()

    def stop(self, sig=signal.SIGTERM):
        self.desk.stop(sig)

    def sql(self, query, *args):
        with sqlite3.connect("file:%s?mode=ro" % self.desk.db, uri=True, timeout=10) as db:
            return db.execute(query, args).fetchall()

    def events(self, till, **match):
        """The till's stored events as dicts, oldest first, whose columns equal match."""
        where = "".join(" and e.%s = ?" % k for k in match)
        rows = self.sql("select e.event_id, e.kind, e.check_name, e.code, e.status, e.message,"
                        " e.data, e.observed_at, e.received_at from agent_events e"
                        " join tills t on t.id = e.till_id where t.name = ?" + where
                        + " order by e.received_at, e.event_id", till, *match.values())
        keys = ("id", "kind", "check", "code", "status", "message", "data", "observed_at",
                "received_at")
        return [dict(zip(keys, r)) for r in rows]

    def wait_event(self, till, timeout=10, after=None, **match):
        """The first stored event of till matching (and, with after, an id given
        after that one), waited for."""
        end = time.time() + timeout
        while time.time() < end:
            got = [e for e in self.events(till, **match) if after is None or seq(e["id"]) > seq(after)]
            if got:
                return got[0]
            time.sleep(0.1)
        raise AssertionError("no event %r of %s in the database in %ss; it has %r"
                             % (match, till, timeout, [(e["code"], e["status"], e["kind"])
                                                      for e in self.events(till)][-10:]))

    def state(self, till, code):
        """check_states of a code: (status, message, count), or None."""
        rows = self.sql("select c.status, c.message, c.count from check_states c join tills t"
                        " on t.id = c.till_id where t.name = ? and c.code = ?", till, code)
        return rows[0] if rows else None

    def duplicates(self):
        """Events the daemon answered as duplicates (its debug log), all tills."""
        with open(os.path.join(self.desk.dir, "serve.log"), "rb") as f:
            return sum(int(n) for n in re.findall(rb"\): \d+ accepted, (\d+) duplicate", f.read()))

    def close(self):
        self.desk.close()


class FakeUtm:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, FAKEUTM, "--port", "0", "--owner", FSRAR_ID],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), "the fake УТМ did not start: %r" % line
        self.url = "http://127.0.0.1:%d" % int(line.split()[1])

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.proc.stdout.close()


def utc(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Till:
    """A till PC: the POS software's state file, a УТМ and tilldesk-agent."""

    def __init__(self, server, name="Касса 1", token=None, config=""):
        self.dir = tempfile.mkdtemp(prefix="tilldesk-agent-e2e-")
        self.name = name
        self.state = os.path.join(self.dir, "fn-state.json")
        self.spool = os.path.join(self.dir, "spool.db")
        self.cfg = os.path.join(self.dir, "agent.ini")
        self.token_file = os.path.join(self.dir, "token")
        self.utm = FakeUtm()
        self.set_token(token or server.new_till(name))
        with open(self.cfg, "w") as f:
            f.write("[agent]\nserver = %s\ntoken_file = %s\ninterval = 1s\nretry_max = 1s\n"
                    "timeout = 5s\nspool = %s\nstate_dir = %s\nfsrar_id = %s\nlog_level = debug\n"
                    "[check.fn]\nfile = %s\n[check.utm]\nurl = %s\ntimeout = 2s\n%s"
                    % (server.url, self.token_file, self.spool, self.dir, FSRAR_ID, self.state,
                       self.utm.url, config))
        self.log_path = os.path.join(self.dir, "agent.log")
        self.log = open(self.log_path, "ab")
        self.agent = None
        self.pos_writes()

    def set_token(self, token):
        """The admin puts the till's token into the agent's 0600 token file."""
        tmp = self.token_file + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        os.replace(tmp, self.token_file)

    def pos_writes(self, expires_in_days=400, unsent_days=None, flags=0, mode="fiscal"):
        """The POS software writes the drive's state, as FN-STATE.md says."""
        now = datetime.datetime.now(datetime.timezone.utc)
        self.valid_until = (now + datetime.timedelta(days=expires_in_days)).strftime("%Y-%m-%d")
        state = {"serial": SERIAL, "valid_until": self.valid_until,
                 "unsent_count": 0, "mode": mode, "flags": flags, "written_at": utc(now)}
        if unsent_days is not None:
            state["unsent_count"] = 5
            state["first_unsent_at"] = utc(now - datetime.timedelta(days=unsent_days))
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state)

    def start(self, clock_offset=None):
        """Starts the service; clock_offset (seconds, e.g. -300): the PC's clock is
        that far off (libfaketime, the Debian package faketime)."""
        env = dict(os.environ)
        if clock_offset is not None:
            # The library itself, not the faketime command: that one forks the
            # agent and a kill would reach only it. Only the wall clock is off;
            # the agent's intervals and curl's time-outs keep the monotonic one.
            # A sanitizer build tolerates the preloaded library.
            env["LD_PRELOAD"] = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")[0]
            env["FAKETIME"] = "%+ds" % clock_offset
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
        self.log.flush()
        self.agent = subprocess.Popen([AGENT, "-c", self.cfg, "run"], stdout=self.log,
                                      stderr=self.log, env=env)

    def kill(self, sig=signal.SIGKILL):
        if self.agent and self.agent.poll() is None:
            self.agent.send_signal(sig)
            self.agent.wait(10)
        self.agent = None

    def check(self):
        return subprocess.run([AGENT, "-c", self.cfg, "check"], capture_output=True, text=True)

    def spool_summary(self):
        return subprocess.run([AGENT, "-c", self.cfg, "spool"], capture_output=True,
                              text=True).stdout

    def spool_contents(self):
        """The agent stopped: (the ids waiting in its spool, its boot, the last
        sequence number it ever gave an event)."""
        with sqlite3.connect(self.spool) as db:
            boot = db.execute("select value from meta where key = 'boot'").fetchone()[0]
            waiting = ["%s-%06d" % (boot, s) for (s,) in db.execute("select seq from events")]
            row = db.execute("select seq from sqlite_sequence where name = 'events'").fetchone()
        return waiting, boot, row[0] if row else 0

    def backlog(self, n):
        """A long outage's heartbeats, written straight into the stopped agent's spool."""
        event = json.dumps({"kind": "heartbeat", "check": "fn", "code": "fn.state", "status": "ok",
                            "message": "ФН в фискальном режиме", "observed_at": int(time.time()),
                            "data": {}, "perf": []}, ensure_ascii=False)
        with sqlite3.connect(self.spool) as db:
            db.executemany("insert into events(kind, observed_at, json) values (1, ?, ?)",
                           [(int(time.time()), event)] * n)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def close(self):
        self.kill(signal.SIGTERM)
        self.log.close()
        self.utm.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class AgentTest(unittest.TestCase):
    """A daemon and one till per test."""

    def setUp(self):
        self.server = Server()
        self.addCleanup(self.server.close)
        self.till = Till(self.server)
        self.addCleanup(self.till.close)

    def wait_drained(self, timeout=30):
        """The running agent's spool empties (what it spooled reached the server)."""
        end = time.time() + timeout
        while time.time() < end:
            if "ждут отправки: 0 событий" in self.till.spool_summary():
                return
            time.sleep(0.2)
        raise AssertionError("the spool never emptied: %s" % self.till.spool_summary())

    def assert_every_event_once(self):
        """The agent stopped: the daemon's rows of the till and what still waits in
        the spool are the spool's whole sequence, 1 to the last number it gave,
        each stored once. (An id may be both stored and waiting: a batch the
        server stored whose answer the agent never read; it goes again and the
        server counts it a duplicate.) And the daemon's per-code counts saw each
        event once: a code that kept one status counts as many events as it has rows."""
        stored = [e["id"] for e in self.server.events(self.till.name)]
        waiting, boot, last = self.till.spool_contents()
        self.assertEqual(len(stored), len(set(stored)))
        self.assertEqual({i.rsplit("-", 1)[0] for i in stored + waiting}, {boot})
        numbers = sorted(set(seq(i) for i in stored + waiting))
        self.assertEqual(numbers, list(range(1, last + 1)),
                         "a gap: %d numbers of %d" % (len(numbers), last))
        for code, statuses, rows in self.server.sql(
                "select code, count(distinct status), count(*) from agent_events e join tills t"
                " on t.id = e.till_id where t.name = ? group by code", self.till.name):
            if statuses == 1:
                self.assertEqual(self.server.state(self.till.name, code)[2], rows, code)
        return stored, waiting
