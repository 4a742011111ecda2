"""Letters to owners end to end: the real daemon's scheduler. The owners an
admin sets up with `org owner` get a reminder of a fiscal drive that ends in
7 days, one letter per language, queued on the daemon's start (the day it
was down was missed) and never again across restarts; an owner who turned
expiry letters off, and a drive 35 days off, get none."""
import datetime
import os
import sys
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402


class Letters(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.addCleanup(self.desk.close)

    def wait_sql(self, query, want, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.desk.sql(query) == want:
                return
            time.sleep(0.2)
        self.fail("%s: %r, not %r" % (query, self.desk.sql(query), want))

    def test_a_drive_ending_in_7_days_is_told_to_the_owners_who_want_it_once_per_language(self):
        d = self.desk
        d.setup_chain()
        d.cli("org", "owner", "add", "Ромашка", "olga@romashka.example", "--name", "Ольга Петрова",
              "--lang", "ru")
        d.cli("org", "owner", "add", "Ромашка", "john@romashka.example", "--name", "John", "--lang", "en")
        # The owner given to `org add` wants no expiry letters.
        d.cli("org", "owner", "set", "Ромашка", "owner@romashka.example", "--expiry", "off")
        d.cli("till", "add", "Касса 1", "--store", "Ромашка на Ленина")
        today = datetime.datetime.now(ZoneInfo("Europe/Moscow")).date()
        ends = (today + datetime.timedelta(days=7)).isoformat()
        later = (today + datetime.timedelta(days=35)).isoformat()
        d.cli("equipment", "add", "--till", "Касса 1", "--kind", "fn", "--serial", "9999078900001234",
              "--expires", ends)
        d.cli("equipment", "add", "--till", "Касса 1", "--kind", "fn", "--serial", "9999078900005678",
              "--expires", later)

        d.start()  # the scheduler's first tick runs the pass
        self.wait_sql("SELECT count(*) FROM letters WHERE kind = 'expiry'", "2")
        self.assertEqual(d.sql("SELECT group_concat(ref, ' ') FROM (SELECT ref FROM letters WHERE kind = 'expiry' ORDER BY ref)"),
                         "expiry:1:%s:7:en expiry:1:%s:7:ru" % (ends, ends))
        self.assertEqual(d.sql("SELECT r.addr FROM letter_rcpts r JOIN letters l ON l.id = r.letter_id"
                               " WHERE l.kind = 'expiry' AND l.ref LIKE '%:ru'"), "olga@romashka.example")
        self.assertEqual(d.sql("SELECT subject FROM letters WHERE kind = 'expiry' AND ref LIKE '%:ru'"),
                         "Срок ФН заканчивается %s: Касса 1, Ромашка на Ленина" % ends)
        self.assertEqual(d.sql("SELECT subject FROM letters WHERE kind = 'expiry' AND ref LIKE '%:en'"),
                         "Fiscal drive ends on %s: Касса 1, Ромашка на Ленина" % ends)

        # Restarts and more passes queue nothing more.
        d.stop()
        d.start()
        time.sleep(2)
        d.settled()
        self.assertEqual(d.sql("SELECT count(*) FROM letters WHERE kind = 'expiry'"), "2")
        self.assertEqual(d.sql("SELECT count(*) FROM letter_rcpts r JOIN letters l ON l.id = r.letter_id"
                               " WHERE l.kind = 'expiry'"), "2")


if __name__ == "__main__":
    unittest.main()
