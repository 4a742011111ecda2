"""Coming back, end to end: the real agents, the real daemon with
offline_after = 10s. A daemon away for longer than offline_after, or a
store's link pulled and put back, gives the agents offline_after to
return — each at its next try, backing off while they could not post —
so that no till is said offline for the daemon's absence, and a store
back from its outage is the one message it was, not one more per till.
(test_alerting.py: the shared AlertTest.)
"""
import os
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import GROUP  # noqa: E402
from test_alerting import AlertTest  # noqa: E402


class Link:
    """A store's network link to the server: a TCP relay to the daemon's
    ingest that can be pulled (every connection cut, new ones refused at
    once, as a dead router's ICMP would) and put back."""

    def __init__(self, port):
        self.up = True
        self.conns = []
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self.listener.getsockname()[1]
        self.port = port
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                client.close()
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def pull(self):
        self.up = False
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns = []

    def close(self):
        self.pull()
        self.listener.close()


class ComingBack(AlertTest):
    def till_backing_off(self, name, server=None):
        """A till started whose agent backs off up to 6 s while it cannot post,
        to server (default: the daemon's ingest)."""
        t = self.till(name)
        with open(t.cfg) as f:
            cfg = f.read().replace("retry_max = 1s", "retry_max = 6s")
        if server:
            cfg = cfg.replace("server = %s" % self.server.url, "server = %s" % server)
        with open(t.cfg, "w") as f:
            f.write(cfg)
        t.start()
        return t

    def test_a_daemon_down_longer_than_offline_after_finds_no_till_offline_on_its_return(self):
        s = self.serve()
        for i in (1, 2):
            self.till_backing_off("Касса %d" % i)
        self.wait_until(lambda: s.sql("select count(*) from tills where last_seen_at"
                                      " is not null")[0][0] == 2, 10, "the tills heard")
        # The server is down for longer than offline_after: the tills were not silent, it was.
        s.stop()
        time.sleep(12)
        s.start()
        back = time.time()
        self.wait_until(lambda: s.sql("select count(*) from tills where last_seen_at > ?",
                                      int(back))[0][0] == 2, 9, "both agents back")
        self.quiet(1)
        self.assertEqual(self.messages(), [])
        self.assertEqual(self.alerts(), [])

    def test_a_store_whose_link_is_pulled_and_put_back_is_one_message(self):
        s = self.serve()
        link = Link(s.desk.ingest_port)
        self.addCleanup(link.close)
        for i in (1, 2, 3):
            self.till_backing_off("Касса %d" % i, link.url)
        self.wait_until(lambda: s.sql("select count(*) from tills where last_seen_at"
                                      " is not null")[0][0] == 3, 10, "the tills heard")
        link.pull()
        card = self.wait_card("store.offline", timeout=20)
        self.assertIn("нет связи с магазином: ни одна из 3 касс не отвечает", card["text"])
        # Put back: the agents come back, each at its next try, with what they spooled.
        link.up = True
        back = time.time()
        self.wait_until(lambda: s.sql("select count(*) from tills where last_seen_at > ?",
                                      int(back))[0][0] == 3, 10, "every agent back")
        self.desk.wait_text(GROUP, "Заявка №1 закрыта сама")
        self.quiet(3)
        self.assertEqual(len(self.cards()), 1, [m["text"][:300] for m in self.messages()])
        self.assertEqual({a[1] for a in self.alerts()}, {"resolved"})
        self.assertEqual(s.sql("select count(*) from tickets")[0][0], 1)


if __name__ == "__main__":
    unittest.main()
