"""Planned replacements end to end: the real daemon against the emulator. A
fiscal drive whose end of life is 20 days away puts a planned P3 card with
the replacement article in the engineers' chat and tells the owner in
Telegram, once, across restarts."""
import datetime
import os
import re
import sys
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import GROUP, ROOT, Desk  # noqa: E402

OWNER = 7001
ARTICLES = os.path.join(ROOT, "kb", "articles")
SERIAL = "9999078900001234"


def count(messages, needle):
    return sum(needle in m["text"] for m in messages)


class Forecast(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.addCleanup(self.desk.close)

    def test_a_drive_near_its_end_opens_one_planned_card_and_tells_the_owner(self):
        d = self.desk
        d.setup_chain()
        d.cli("till", "add", "Касса 1", "--store", "Ромашка на Ленина")
        d.cli("kb", "import", ARTICLES)
        # The owner joins through their invite while the registry has no dates yet.
        d.start()
        code = re.search(r"start=([a-z2-7]+)",
                         d.cli("invite", "--role", "owner", "--org", "Ромашка").stdout).group(1)
        d.says(OWNER, "Ольга", "/start " + code)
        d.wait_text(OWNER, "владелец")
        d.stop()

        ends = datetime.datetime.now(ZoneInfo("Europe/Moscow")).date() + datetime.timedelta(days=20)
        d.cli("equipment", "add", "--till", "Касса 1", "--kind", "fn", "--model", "ФН-1.2 15",
              "--serial", SERIAL, "--expires", ends.isoformat())
        title = "Плановая замена ФН %s (Касса 1): срок до %s" % (SERIAL, ends.strftime("%d.%m.%Y"))
        d.start()  # the scheduler's first tick runs the forecasts' pass
        card = d.wait_text(GROUP, title)
        self.assertIn("Заявка №1", card["text"])
        self.assertIn("P3", card["text"])
        self.assertIn("Замена ФН", card["text"])  # the article's title, as the card's hint
        told = d.wait_text(OWNER, "Плановая заявка №1")
        self.assertIn(title, told["text"])
        self.assertIn("Ромашка на Ленина", told["text"])

        # Restarts and more passes open nothing more.
        d.stop()
        d.start()
        time.sleep(2)
        d.settled()
        self.assertEqual(count(d.sent(GROUP), title), 1)
        self.assertEqual(count(d.sent(OWNER), "Плановая заявка"), 1)
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "1")
        self.assertEqual(d.sql("SELECT count(*) FROM forecasts"), "1")


if __name__ == "__main__":
    unittest.main()
