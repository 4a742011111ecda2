"""A storm end to end: many tills of a chain report one code at once (an
OFD down for everyone), each through the agents' endpoint with its own
token, as their agents would. The engineers' group, with Telegram's
limits on, gets one message listing the tills (edited as more arrive) and
the cards of the few that reported before the storm began — never a 429,
every till in the chat within seconds; when the tills are fine again, the
storm's ticket and those cards' close by themselves. (test_alerting.py:
one till.)
"""
import http.client
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import GROUP  # noqa: E402
from test_alerting import CARD, AlertTest  # noqa: E402

TILLS = 8
STORM_MIN = 3


def post(server, token, till, n, status="critical"):
    """What till's agent posts: the drive's documents unsent for 6 days, CRITICAL (or all sent)."""
    event = {"id": "%d-%06d" % (till, n), "kind": "change", "check": "fn", "code": "fn.unsent",
             "status": status, "message": "5 документов не отправлены в ОФД 6 дн.",
             "observed_at": int(time.time()), "data": {"unsent_count": 5}}
    body = json.dumps({"agent": "tilldesk-agent/0.1", "boot": str(till), "dropped": 0,
                       "events": [event]}, ensure_ascii=False).encode()
    c = http.client.HTTPConnection("127.0.0.1", server.desk.ingest_port, timeout=30)
    try:
        c.request("POST", "/api/v1/events", body=body, headers={
            "Content-Type": "application/json", "Authorization": "Bearer " + token})
        r = c.getresponse()
        return r.status, json.loads(r.read())
    finally:
        c.close()


class Storm(AlertTest):
    def test_many_tills_with_one_code_make_one_message_and_no_429(self):
        # The tills post once and fall silent: not offline within the test.
        s = self.serve(storm_min=str(STORM_MIN), storm_window="1m", storm_every="2s",
                       offline_after="1h")
        tokens = [s.new_till("Касса %d" % (i + 1)) for i in range(TILLS)]
        started = time.time()
        for i, token in enumerate(tokens):
            status, body = post(s, token, i + 1, 1)
            self.assertEqual((status, body["accepted"]), (200, 1), body)
        # The storm's message comes to list every till.
        storm = self.desk.wait_for(GROUP, lambda m: "не проходит на %d кассах в 1 магазинах" % TILLS
                                   in m["text"], timeout=30, what="the storm listing every till")
        took = time.time() - started
        self.quiet(3)
        for i in range(TILLS):
            self.assertIn("Ромашка на Ленина — Касса %d" % (i + 1), storm["text"])
        self.assertIn("Рекомендация: Неотправленные документы в ОФД", storm["text"])
        # The first storm_min - 1 tills' cards, and the storm's: nothing else, and no 429.
        sends = self.calls("sendMessage")
        self.assertEqual(len(self.messages()), STORM_MIN, [m["text"][:60] for m in self.messages()])
        self.assertEqual(len(sends), STORM_MIN)
        self.assertEqual([c for c in self.desk.control("calls")["calls"] if c["status"] == 429], [])
        self.assertEqual(len([m for m in self.messages() if CARD.match(m["text"])]), STORM_MIN)
        self.assertLess(took, 15)
        self.assertEqual(s.sql("select count(*) from alerts where code = 'fn.unsent' and state"
                               " = 'firing'")[0][0], TILLS)
        print("\n%d tills: %d messages, every till in the chat %.1f s after the first post"
              % (TILLS, len(sends), took), file=sys.stderr)

    def test_a_storm_over_closes_its_ticket_and_the_cards_before_it(self):
        s = self.serve(storm_min=str(STORM_MIN), storm_window="1m", storm_every="2s",
                       offline_after="1h")
        tokens = [s.new_till("Касса %d" % (i + 1)) for i in range(TILLS)]
        for i, token in enumerate(tokens):
            post(s, token, i + 1, 1)
        self.desk.wait_for(GROUP, lambda m: "не проходит на %d кассах" % TILLS in m["text"],
                           timeout=30, what="the storm listing every till")
        # The OFD is back: every till's documents go, two passes each.
        for n in (2, 3):
            for i, token in enumerate(tokens):
                self.assertEqual(post(s, token, i + 1, n, "ok")[0], 200)
        for ticket in range(1, STORM_MIN + 1):
            self.desk.wait_text(GROUP, "Заявка №%d закрыта сама" % ticket, timeout=40)
        self.quiet(3)
        self.assertEqual({a[1] for a in self.alerts()}, {"resolved"})
        self.assertEqual(s.sql("select count(*) from tickets where id in (select id from ticket_state"
                               " where status = 'closed')")[0][0], STORM_MIN)
        self.assertEqual(len(self.cards()), STORM_MIN)
        self.assertEqual([c for c in self.desk.control("calls")["calls"] if c["status"] == 429], [])


if __name__ == "__main__":
    unittest.main()
