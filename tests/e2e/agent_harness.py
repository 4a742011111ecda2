"""End-to-end harness for tilldesk-agent: the real agent against a fake ingest.

FakeIngest is a small HTTP server speaking doc/AGENT-API.md's
`POST /api/v1/events`: it checks the bearer token, stores each event once
by its id (a repeat counts as a duplicate, as the real server does) and can
go down, come back on the same port, or hold its answer. (The real ingest
lives in `tilldesk serve`; at merge these tests switch to it.)

A Till is a till PC: the POS software writes the fiscal drive's state file
(agent/FN-STATE.md) and tilldesk-agent runs with `interval = 1s`.
"""
import datetime
import http.server
import json
import os
import re
import shutil
import signal
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT = os.environ.get("TILLDESK_AGENT_BIN") or os.path.join(
    ROOT, os.path.dirname(os.environ.get("TILLDESK_BIN", "build/tilldesk")), "tilldesk-agent")
TOKEN = "till-token-e2e-not-a-secret-0001"


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    allow_reuse_address = True
    daemon_threads = True


class FakeIngest:
    def __init__(self):
        self.lock = threading.Lock()
        self.events = {}        # id -> event, each stored once
        self.order = []         # ids in the order they were stored
        self.duplicates = 0
        self.batches = []       # (size, dropped) of every batch answered 200
        self.hold = 0.0         # seconds to sit on a batch before answering
        self.received = threading.Event()  # set whenever a batch arrives
        self.server = None
        self.port = 0
        self.up()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def up(self):
        ingest = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/api/v1/events":
                    return self.answer(404, {"error": "no such path"})
                if self.headers.get("Authorization") != "Bearer " + TOKEN:
                    return self.answer(401, {"error": "unknown token"})
                batch = json.loads(body)
                ingest.received.set()
                if ingest.hold:
                    time.sleep(ingest.hold)
                with ingest.lock:
                    accepted = duplicate = 0
                    for e in batch["events"]:
                        if e["id"] in ingest.events:
                            duplicate += 1
                        else:
                            ingest.events[e["id"]] = e
                            ingest.order.append(e["id"])
                            accepted += 1
                    ingest.duplicates += duplicate
                    ingest.batches.append((len(batch["events"]), batch["dropped"]))
                self.answer(200, {"accepted": accepted, "duplicate": duplicate,
                                  "server_time": int(time.time() * 1000)})

            def answer(self, status, obj):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the agent was killed while it waited

        self.server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        """The server goes away: connections are refused until up()."""
        self.server.shutdown()
        self.server.server_close()

    def close(self):
        self.down()

    def stored(self, **match):
        """Stored events whose fields equal match, in arrival order."""
        with self.lock:
            return [self.events[i] for i in self.order
                    if all(self.events[i].get(k) == v for k, v in match.items())]

    def wait_for(self, timeout=10, **match):
        end = time.time() + timeout
        while time.time() < end:
            got = self.stored(**match)
            if got:
                return got[0]
            time.sleep(0.05)
        raise AssertionError("no event %r reached the server in %ss; it has %r"
                             % (match, timeout, [(e["code"], e["status"], e["kind"])
                                                 for e in self.stored()][-10:]))

    def ids(self):
        with self.lock:
            return list(self.order)


def utc(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Till:
    """A till PC: the POS software's state file and tilldesk-agent."""

    def __init__(self, ingest):
        self.dir = tempfile.mkdtemp(prefix="tilldesk-agent-e2e-")
        self.ingest = ingest
        self.state = os.path.join(self.dir, "fn-state.json")
        self.spool = os.path.join(self.dir, "spool.db")
        self.cfg = os.path.join(self.dir, "agent.ini")
        token = os.path.join(self.dir, "token")
        with open(token, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token, 0o600)
        with open(self.cfg, "w") as f:
            f.write("[agent]\nserver = %s\ntoken_file = %s\ninterval = 1s\nretry_max = 1s\n"
                    "timeout = 5s\nspool = %s\nstate_dir = %s\nlog_level = debug\n"
                    "[check.fn]\nfile = %s\n" % (ingest.url, token, self.spool, self.dir, self.state))
        self.log = open(os.path.join(self.dir, "agent.log"), "ab")
        self.agent = None
        self.pos_writes()

    def pos_writes(self, expires_in_days=400, unsent_days=None, flags=0, mode="fiscal"):
        """The POS software writes the drive's state, as FN-STATE.md says."""
        now = datetime.datetime.now(datetime.timezone.utc)
        state = {"serial": "7281440500123456",
                 "valid_until": (now + datetime.timedelta(days=expires_in_days)).strftime("%Y-%m-%d"),
                 "unsent_count": 0, "mode": mode, "flags": flags, "written_at": utc(now)}
        if unsent_days is not None:
            state["unsent_count"] = 5
            state["first_unsent_at"] = utc(now - datetime.timedelta(days=unsent_days))
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            json.dump(state, f)
        os.replace(tmp, self.state)

    def start(self):
        self.agent = subprocess.Popen([AGENT, "-c", self.cfg, "run"], stdout=self.log, stderr=self.log)

    def kill(self, sig=signal.SIGKILL):
        if self.agent and self.agent.poll() is None:
            self.agent.send_signal(sig)
            self.agent.wait(10)
        self.agent = None

    def spool_waiting(self):
        out = subprocess.run([AGENT, "-c", self.cfg, "spool"], capture_output=True, text=True)
        return out.stdout

    def spool_ids(self):
        """The ids still waiting in the spool (its listing shows the oldest 20)."""
        return [line.split()[0] for line in self.spool_waiting().splitlines()
                if re.match(r"^\d+-\d{6} ", line)]

    def close(self):
        self.kill(signal.SIGTERM)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        with open(os.path.join(self.dir, "agent.log"), "rb") as f:
            return f.read().decode(errors="replace")


class AgentTest(unittest.TestCase):
    """A fake ingest and one till per test."""

    def setUp(self):
        self.ingest = FakeIngest()
        self.till = Till(self.ingest)

    def tearDown(self):
        self.till.close()
        self.ingest.close()
