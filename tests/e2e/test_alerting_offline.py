"""Tills that fall silent, end to end: the real agents stopped, the real
daemon with offline_after = 10s. One till silent is one alert and one
card; a whole store silent (its link down) is one store alert, the tills'
held under it, one card; heard again, they end and the tickets close.
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


class Offline(AlertTest):
    def test_a_till_whose_agent_stops_is_one_alert(self):
        self.serve()
        one, two = self.till("Касса 1"), self.till("Касса 2")
        one.start()
        two.start()
        self.wait_until(lambda: self.server.sql("select count(*) from tills where last_seen_at"
                                                " is not null")[0][0] == 2, 10, "both tills heard")
        one.kill()
        stopped = time.time()
        card = self.wait_card("till.offline", timeout=20)
        self.assertGreaterEqual(time.time() - stopped, 10, "offline_after = 10s")
        self.assertIn("Касса: Касса 1", card["text"])
        self.assertIn("агент кассы не отвечает с", card["text"])
        self.assertIn("Рекомендация: Касса не выходит на связь с поддержкой", card["text"])
        self.quiet(4)
        self.assertEqual(len(self.messages()), 1, [m["text"] for m in self.messages()])
        self.assertEqual([(a[0], a[1]) for a in self.alerts()], [("till.offline", "firing")])
        # Back: heard again, the alert ends and its unclaimed ticket closes.
        one.start()
        self.desk.wait_text(GROUP, "Заявка №1 закрыта сама")
        self.assertEqual([(a[0], a[1]) for a in self.alerts()], [("till.offline", "resolved")])

    def test_a_whole_store_silent_is_one_store_alert_not_one_per_till(self):
        self.serve()
        tills = [self.till("Касса %d" % i) for i in (1, 2, 3)]
        for t in tills:
            t.start()
        self.wait_until(lambda: self.server.sql("select count(*) from tills where last_seen_at"
                                                " is not null")[0][0] == 3, 10, "the tills heard")
        # The store's link goes down: no till is heard any more.
        for t in tills:
            t.kill()
        card = self.wait_card("store.offline", timeout=20)
        self.assertIn("нет связи с магазином: ни одна из 3 касс не отвечает", card["text"])
        self.assertIn("Рекомендация: Нет связи с магазином", card["text"])
        self.quiet(4)
        self.assertEqual(len(self.messages()), 1, [m["text"] for m in self.messages()])
        alerts = self.alerts()
        store = [a for a in alerts if a[0] == "store.offline"]
        self.assertEqual(len(store), 1)
        store_id = self.server.sql("select id from alerts where code = 'store.offline'")[0][0]
        # The tills' alerts are recorded, held under the store's, with no ticket of their own.
        self.assertEqual(sorted((a[0], a[1], a[3], a[4]) for a in alerts if a[0] == "till.offline"),
                         [("till.offline", "firing", None, store_id)] * 3)
        # The link is back: the store's alert ends, the tills' with it, the ticket closes.
        for t in tills:
            t.start()
        self.desk.wait_text(GROUP, "Заявка №1 закрыта сама")
        self.quiet(1)
        self.assertEqual({a[1] for a in self.alerts()}, {"resolved"})
        self.assertEqual(len(self.cards()), 1)

    def test_a_daemon_down_longer_than_offline_after_finds_no_till_offline_on_its_return(self):
        s = self.serve()
        tills = [self.till("Касса %d" % i) for i in (1, 2)]
        for t in tills:
            # Agents back off up to 6 s while the server is away: they come back within that.
            with open(t.cfg) as f:
                cfg = f.read().replace("retry_max = 1s", "retry_max = 6s")
            with open(t.cfg, "w") as f:
                f.write(cfg)
            t.start()
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
        tills = [self.till("Касса %d" % i) for i in (1, 2, 3)]
        for t in tills:
            # Through the store's link; the agents back off up to 6 s while it is down.
            with open(t.cfg) as f:
                cfg = f.read().replace("server = %s" % s.url, "server = %s" % link.url)
                cfg = cfg.replace("retry_max = 1s", "retry_max = 6s")
            with open(t.cfg, "w") as f:
                f.write(cfg)
            t.start()
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
