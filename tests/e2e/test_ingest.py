"""The till agents' endpoint of the real daemon (doc/AGENT-API.md): a till's
agent posts its events with its token; the daemon stores each event once,
keeps the till's last-heard time and equipment current, and refuses what
the contract refuses — wrong tokens, malformed, oversized, deep and
non-UTF-8 bodies, too many requests, clients too slow to finish."""
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402

TIMEOUT = 3  # [ingest] timeout of these desks, seconds


def event(eid, kind="change", check="fn", code="fn.expiring", status="warning",
          message="ФН истекает через 10 дн.", data=None):
    e = {"id": eid, "kind": kind, "check": check, "code": code, "status": status,
         "message": message, "observed_at": int(time.time())}
    if data is not None:
        e["data"] = data
    return e


def batch(events):
    return json.dumps({"agent": "tilldesk-agent/0.1", "boot": "1", "dropped": 0,
                       "events": events}, ensure_ascii=False).encode()


class Agent:
    """What a till's agent does over HTTP, one connection per request."""

    def __init__(self, desk, token):
        self.desk, self.token = desk, token

    def post(self, body, token=None, content_type="application/json", path="/api/v1/events",
             chunked=False):
        c = http.client.HTTPConnection("127.0.0.1", self.desk.ingest_port, timeout=30)
        headers = {"Content-Type": content_type}
        token = self.token if token is None else token
        if token:
            headers["Authorization"] = "Bearer " + token
        try:
            c.request("POST", path, body=body, headers=headers, encode_chunked=chunked)
            r = c.getresponse()
            raw = r.read()
            return r.status, dict(r.getheaders()), json.loads(raw) if raw else None
        finally:
            c.close()

    def announce(self, length):
        """Sends only the headers of a body of length bytes; the status of the answer."""
        with socket.create_connection(("127.0.0.1", self.desk.ingest_port), timeout=10) as s:
            s.sendall(("POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n"
                       % (self.token, length)).encode())
            return int(s.recv(100).split()[1])

    def send(self, events, **kw):
        return self.post(batch(events), **kw)


def get(desk, path):
    c = http.client.HTTPConnection("127.0.0.1", desk.ingest_port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, json.loads(r.read())
    finally:
        c.close()


def new_till(desk, name):
    out = desk.cli("till", "add", name, "--store", "Ромашка на Ленина").stdout
    return re.search(r"(tdk_[a-z2-7]+)", out).group(1)


class IngestDesk(unittest.TestCase):
    ingest_config = "timeout = %ds\n" % TIMEOUT

    @classmethod
    def setUpClass(cls):
        cls.desk = Desk(ingest_config=cls.ingest_config)
        cls.desk.setup_chain()
        cls.desk.start()

    @classmethod
    def tearDownClass(cls):
        cls.desk.close()

    def stored(self, till):
        return int(self.desk.sql("select count(*) from agent_events e join tills t on t.id = e.till_id"
                                 " where t.name = '%s'" % till))


class Events(IngestDesk):
    def test_the_agent_posts_a_change_and_the_daemon_stores_it_with_its_facts(self):
        d = self.desk
        agent = Agent(d, new_till(d, "Касса 1"))
        before = int(time.time() * 1000)
        status, headers, body = agent.send([
            event("b-1", data={"fn.serial": "7281440500123456", "fn.valid_until": "2026-12-05",
                               "days_left": 10}),
            event("b-2", kind="heartbeat", check="utm", code="utm.cert_rsa", status="ok", message="",
                  data={"utm.rsa_until": "2027-01-01"}),
        ])
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual((body["accepted"], body["duplicate"]), (2, 0))
        self.assertLess(abs(body["server_time"] - before), 5000)
        # The equipment registry keeps itself current, and the till was heard.
        units = d.cli("equipment", "list", "--till", "Касса 1").stdout
        self.assertIn("7281440500123456", units)
        self.assertIn("2026-12-05", units)
        self.assertIn("2027-01-01", units)
        tills = d.cli("till", "list").stdout
        line = next(l for l in tills.splitlines() if "Касса 1" in l)
        self.assertNotRegex(line, r"\s-$")
        self.assertEqual(d.sql("select status || ' ' || count from check_states c join tills t"
                               " on t.id = c.till_id where t.name = 'Касса 1' and code = 'fn.expiring'"),
                         "warning 1")

    def test_a_batch_sent_twice_is_stored_once(self):
        d = self.desk
        agent = Agent(d, new_till(d, "Касса 2"))
        events = [event("twice-%d" % i) for i in range(20)]
        status, _, body = agent.send(events)
        self.assertEqual((status, body["accepted"], body["duplicate"]), (200, 20, 0))
        self.assertEqual(self.stored("Касса 2"), 20)
        status, _, body = agent.send(events)
        self.assertEqual((status, body["accepted"], body["duplicate"]), (200, 0, 20))
        self.assertEqual(self.stored("Касса 2"), 20)

    def test_a_wrong_token_is_refused_and_never_logged(self):
        d = self.desk
        token = new_till(d, "Касса 3")
        agent = Agent(d, token)
        wrong = token[:-4] + "aaaa"
        status, _, body = agent.send([event("w-1")], token=wrong)
        self.assertEqual((status, body), (401, {"error": "unknown token"}))
        status, _, _ = agent.post(batch([event("w-2")]), token="")
        self.assertEqual(status, 401)
        self.assertEqual(self.stored("Касса 3"), 0)
        with open(os.path.join(d.dir, "serve.log"), "rb") as f:
            self.assertNotIn(wrong.encode(), f.read())

    def test_a_rotated_token_works_at_once_and_the_old_one_no_more(self):
        d = self.desk
        old = new_till(d, "Касса 4")
        agent = Agent(d, old)
        self.assertEqual(agent.send([event("r-1")])[0], 200)
        out = d.cli("till", "token", "Касса 4", "--rotate", "--store", "Ромашка на Ленина").stdout
        new = re.search(r"(tdk_[a-z2-7]+)", out).group(1)
        self.assertNotEqual(new, old)
        self.assertEqual(agent.send([event("r-2")])[0], 401)
        self.assertEqual(agent.send([event("r-2")], token=new)[0], 200)
        self.assertEqual(self.stored("Касса 4"), 2)

    def test_bad_bodies_are_refused_with_a_reason_and_store_nothing(self):
        d = self.desk
        agent = Agent(d, new_till(d, "Касса 5"))
        status, _, body = agent.send([event("ok-1"), event("bad", status="warn")])
        self.assertEqual(status, 400)
        self.assertEqual(body["error"], "events[1].status: not one of ok, warning, critical, unknown")
        status, _, body = agent.post(b'{"events": [')
        self.assertEqual((status, body["error"]), (400, "body: incomplete JSON"))
        status, _, body = agent.post(b'{"events": [{"perf": [{"x": [[]]}]}]}')
        self.assertEqual(status, 400)
        self.assertIn("nesting too deep", body["error"])
        status, _, body = agent.post(b"[" * 200000)
        self.assertEqual(status, 400)
        status, _, body = agent.post(batch([event("u-1")]).replace("ФН".encode(), b"\xd0\x2f"))
        self.assertEqual((status, body["error"]), (400, "body: not valid UTF-8 text"))
        status, _, body = agent.post(b'{"events": []}', content_type="text/plain")
        self.assertEqual(status, 415)
        # Over 1 MiB: told by its length before the body, or once a chunked body passes it.
        big = batch([event("big-%d" % i, message="я" * 250) for i in range(500)])
        big = big[:-2] + b', "pad": "' + b"x" * (1024 * 1024) + b'"}'
        self.assertEqual(agent.announce(len(big)), 413)
        status, _, body = agent.post((big[i:i + 65536] for i in range(0, len(big), 65536)),
                                     chunked=True)
        self.assertEqual((status, body), (413, {"error": "body over 1 MiB"}))
        self.assertEqual(self.stored("Касса 5"), 0)
        # Still serving.
        self.assertEqual(agent.send([event("ok-2")])[0], 200)

    def test_while_another_process_holds_the_database_the_agent_is_told_to_come_back(self):
        d = self.desk
        agent = Agent(d, new_till(d, "Касса 9"))
        # An admin's sqlite3 session (or a backup tool) takes the write lock and keeps it.
        lock = sqlite3.connect(d.db, isolation_level=None, timeout=10)
        lock.execute("BEGIN IMMEDIATE")
        try:
            t = time.monotonic()
            status, headers, body = agent.send([event("busy-1")])
            took = time.monotonic() - t
            self.assertEqual((status, body), (503, {"error": "database busy"}))
            self.assertGreaterEqual(int(headers["Retry-After"]), 1)
            self.assertLess(took, 8)
            # Reading still works: the load balancer keeps the daemon.
            self.assertEqual(get(d, "/api/v1/health"), (200, {"status": "ok"}))
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        self.assertEqual(self.stored("Касса 9"), 0)
        status, _, body = agent.send([event("busy-1")])
        self.assertEqual((status, body["accepted"]), (200, 1))

    def test_health_answers_for_load_balancers(self):
        self.assertEqual(get(self.desk, "/api/v1/health"), (200, {"status": "ok"}))
        self.assertEqual(get(self.desk, "/nothing")[0], 404)

    def slow_client(self, head, body, agent):
        """Sends head at once, then body a byte a second, while agent is served as usual;
        the seconds after which the daemon cut the slow client off (None: never)."""
        slow = socket.create_connection(("127.0.0.1", self.desk.ingest_port))
        slow.sendall(head)
        slow.settimeout(1.0)
        start = time.monotonic()
        try:
            for i, byte in enumerate(body):
                slow.send(bytes([byte]))
                if i % 2 == 0:
                    self.assertEqual(agent.send([event("s-%s-%d" % (len(head), i))])[0], 200)
                try:
                    if slow.recv(1) == b"":
                        return time.monotonic() - start
                except socket.timeout:
                    pass
        except OSError:
            return time.monotonic() - start
        finally:
            slow.close()
        return None

    def test_a_client_sending_one_byte_a_second_is_cut_off_and_others_are_served(self):
        d = self.desk
        token = new_till(d, "Касса 6")
        agent = Agent(d, token)
        # Its headers, a byte a second.
        cut = self.slow_client(b"", b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n" * 4, agent)
        self.assertIsNotNone(cut, "the slow client was never cut off")
        self.assertLess(cut, TIMEOUT + 2)
        # Its body, a byte a second, after headers sent at once.
        head = ("POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer %s\r\nContent-Length: 200\r\n\r\n" % token).encode()
        cut_body = self.slow_client(head, b'{"events": [' + b" " * 180, agent)
        self.assertIsNotNone(cut_body, "the slow body was never cut off")
        self.assertLess(cut_body, TIMEOUT + 2)
        print("\n  slow headers cut off after %.1f s, slow body after %.1f s" % (cut, cut_body),
              file=sys.stderr)


class Crash(IngestDesk):
    def test_kill_9_in_the_middle_of_batches_then_the_same_batches_lose_and_double_nothing(self):
        d = self.desk
        agents = [Agent(d, new_till(d, "Крах %d" % i)) for i in range(4)]
        batches = [(a, [event("k%d-%d-%d" % (ai, b, i), kind="heartbeat" if i % 2 else "change",
                              code="c.%d" % (i % 7)) for i in range(500)])
                   for ai, a in enumerate(agents) for b in range(6)]
        answered = []

        def send_all(mine):
            for a, evs in mine:
                try:
                    answered.append(a.send(evs)[0])
                except (OSError, http.client.HTTPException):
                    answered.append(None)

        threads = [threading.Thread(target=send_all, args=([b for b in batches if b[0] is a],))
                   for a in agents]
        for t in threads:
            t.start()
        # Kill once some batches are in, while others are being written.
        deadline = time.time() + 20
        while time.time() < deadline and answered.count(200) < 3:
            time.sleep(0.01)
        d.daemon.send_signal(signal.SIGKILL)
        d.daemon.wait(10)
        d.daemon = None
        for t in threads:
            t.join(60)
        # Each batch is all stored or not at all: one transaction.
        for _, evs in batches:
            ids = ",".join("'%s'" % e["id"] for e in evs)
            n = int(d.sql("select count(*) from agent_events where event_id in (%s)" % ids))
            self.assertIn(n, (0, 500))
        stored_before = int(d.sql("select count(*) from agent_events"))
        self.assertLess(stored_before, 500 * len(batches), "the kill came too late to test anything")
        d.start()
        # The agents send every batch again: what was stored is a duplicate.
        accepted = duplicate = 0
        for a, evs in batches:
            status, _, body = a.send(evs)
            self.assertEqual(status, 200, body)
            accepted += body["accepted"]
            duplicate += body["duplicate"]
        self.assertEqual(duplicate, stored_before)
        self.assertEqual(accepted + duplicate, 500 * len(batches))
        self.assertEqual(int(d.sql("select count(*) from agent_events")), 500 * len(batches))
        print("\n  killed with %d of %d events stored" % (stored_before, 500 * len(batches)),
              file=sys.stderr)


class Https(unittest.TestCase):
    def test_with_a_certificate_and_key_the_agent_posts_over_https(self):
        d = Desk()
        try:
            cert, key = os.path.join(d.dir, "cert.pem"), os.path.join(d.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            os.chmod(key, 0o600)  # root's only: serve reads it before it becomes nobody
            with open(d.cfg) as f:
                cfg = f.read()
            with open(d.cfg, "w") as f:
                f.write(cfg.replace("[ingest]\n", "[ingest]\ntls_cert = %s\ntls_key = %s\n" % (cert, key)))
            d.setup_chain()
            token = new_till(d, "Касса TLS")
            d.start()
            ctx = ssl.create_default_context(cafile=cert)
            c = http.client.HTTPSConnection("127.0.0.1", d.ingest_port, context=ctx, timeout=10)
            c.request("POST", "/api/v1/events", body=batch([event("tls-1")]),
                      headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
            r = c.getresponse()
            self.assertEqual((r.status, json.loads(r.read())["accepted"]), (200, 1))
            c.close()
            # Plain HTTP on that port gets no answer.
            with self.assertRaises((http.client.HTTPException, OSError)):
                get(d, "/api/v1/health")
        finally:
            d.close()


class Rate(IngestDesk):
    ingest_config = "timeout = %ds\nrate = 1\nburst = 3\n" % TIMEOUT

    def test_a_till_over_its_rate_is_told_when_to_come_back(self):
        d = self.desk
        agent = Agent(d, new_till(d, "Касса 7"))
        other = Agent(d, new_till(d, "Касса 8"))
        answers = [agent.send([event("q-%d" % i)]) for i in range(5)]
        self.assertEqual([a[0] for a in answers[:3]], [200, 200, 200])
        status, headers, body = answers[3]
        self.assertEqual((status, body), (429, {"error": "too many requests"}))
        self.assertGreaterEqual(int(headers["Retry-After"]), 1)
        # Another till has a bucket of its own.
        self.assertEqual(other.send([event("o-1")])[0], 200)
        time.sleep(int(headers["Retry-After"]))
        self.assertEqual(agent.send([event("q-9")])[0], 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
