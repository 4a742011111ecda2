"""The daily digest from the real daemon: an organisation whose send_at has
passed today (in its zone) when `tilldesk serve` starts gets yesterday's
digest queued at once, to its owner, and a restart queues nothing more.
A send_at still to come today queues nothing."""
import datetime
import os
import sys
import time
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402


def moscow_now():
    return datetime.datetime.now(ZoneInfo("Europe/Moscow"))


class DigestSchedule(unittest.TestCase):
    def desk(self, send_at):
        d = Desk(extra_config="[digest]\nsend_at = %s\n" % send_at)
        self.addCleanup(d.close)
        d.setup_chain()
        return d

    def letters(self, d):
        return d.sql("SELECT ref || ' ' || group_concat(r.addr) FROM letters l"
                     " JOIN letter_rcpts r ON r.letter_id = l.id GROUP BY l.id")

    def wait_letter(self, d, timeout=15):
        end = time.time() + timeout
        while time.time() < end:
            if self.letters(d):
                return self.letters(d)
            time.sleep(0.2)
        self.fail("no digest queued within %ds" % timeout)

    def test_a_daemon_started_after_send_at_queues_yesterday_s_digest_once(self):
        d = self.desk("00:00")
        yesterday = (moscow_now() - datetime.timedelta(days=1)).strftime("%Y-%m-%d")
        d.start()
        self.assertEqual(self.wait_letter(d), "digest:1:%s:ru owner@romashka.example" % yesterday)
        d.stop()
        d.start()
        time.sleep(3)
        self.assertEqual(d.sql("SELECT count(*) FROM letters"), "1")

    def test_a_send_at_still_to_come_queues_nothing(self):
        later = moscow_now() + datetime.timedelta(hours=2)
        if later.date() != moscow_now().date():
            self.skipTest("too close to midnight in Moscow")
        d = self.desk(later.strftime("%H:%M"))
        d.start()
        time.sleep(3)
        self.assertEqual(d.sql("SELECT count(*) FROM letters"), "0")


if __name__ == "__main__":
    unittest.main()
