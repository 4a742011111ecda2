"""Tills that fall silent, end to end: the real agents stopped, the real
daemon with offline_after = 10s. One till silent is one alert and one
card; a whole store silent (its link down) is one store alert, the tills'
held under it, one card; heard again, they end and the tickets close.
(test_alerting_return.py: the daemon or a store coming back; test_alerting.py:
the shared AlertTest.)
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import GROUP  # noqa: E402
from test_alerting import AlertTest  # noqa: E402


class Offline(AlertTest):
    def test_a_till_whose_agent_stops_is_one_alert(self):
        self.serve()
        one, two = self.till("Касса 1"), self.till("Касса 2")
        one.start()
        two.start()
        self.wait_until(lambda: self.server.sql("select count(*) from tills where last_seen_at"
                                                " is not null")[0][0] == 2, 10, "both tills heard")
        one.kill()
        card = self.wait_card("till.offline", timeout=20)
        # Silent for offline_after = 10s since it was last heard (whole seconds, as stored).
        heard = self.server.sql("select last_seen_at from tills where name = 'Касса 1'")[0][0]
        self.assertGreaterEqual(time.time(), heard + 10, "offline_after = 10s")
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


if __name__ == "__main__":
    unittest.main()
