"""Stopping the daemon: SIGTERM ends it within 2 s whatever it is doing —
idle in a long poll, in the middle of a burst, or waiting for a database
that another process holds locked — and a restart loses and doubles
nothing the cashier said."""
import os
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, Desk  # noqa: E402

LIMIT = 2.0


class Stop(unittest.TestCase):
    def setUp(self):
        self.desk = Desk(limits=False, extra_config="chat_rate = 200\ngroup_rate = 6000\nglobal_rate = 500\n")
        self.desk.setup_chain()
        self.desk.start()
        self.desk.register()

    def tearDown(self):
        self.desk.close()

    def sigterm(self, what):
        """Sends SIGTERM, asserts a clean exit within LIMIT, and reports the time taken."""
        d = self.desk
        t = time.monotonic()
        d.daemon.send_signal(signal.SIGTERM)
        rc = d.daemon.wait(10)
        took = time.monotonic() - t
        d.daemon = None
        print("\n  stop %s: %.2f s" % (what, took), file=sys.stderr)
        self.assertEqual(rc, 0)
        self.assertLess(took, LIMIT)

    def drained(self):
        d = self.desk
        deadline = time.time() + 30
        while time.time() < deadline and d.sql("select count(*) from outbox where state = 'pending'") != "0":
            time.sleep(0.2)

    def said(self):
        """What the cashier said, as the tickets' history holds it (sorted)."""
        rows = self.desk.sql("select body from ticket_events where kind in ('opened', 'message')")
        return sorted(r for r in rows.split("\n") if r)

    def test_idle_in_a_long_poll_the_daemon_stops_within_two_seconds(self):
        time.sleep(1.5)  # in the middle of a long poll
        self.sigterm("idle")

    def test_while_another_process_holds_the_write_lock_the_daemon_stops_in_time_and_loses_nothing(self):
        d = self.desk
        d.cashier_says("сообщение до блокировки")
        d.wait_text(CASHIER, "№")
        self.drained()
        # An admin's sqlite3 session (or a backup tool) takes the write lock and keeps it.
        lock = sqlite3.connect(d.db, isolation_level=None, timeout=10)
        lock.execute("BEGIN IMMEDIATE")
        try:
            texts = ["пока база занята %d" % i for i in range(5)]
            for t in texts:
                d.cashier_says(t)
            time.sleep(1.5)  # the poller has them and waits for the lock
            self.sigterm("with the write lock held elsewhere")
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        d.start()
        deadline = time.time() + 15
        while time.time() < deadline and len(self.said()) < 1 + len(texts):
            time.sleep(0.2)
        self.assertEqual(self.said(), sorted(["сообщение до блокировки"] + texts))

    def test_during_a_burst_the_daemon_stops_in_time_and_loses_nothing(self):
        d = self.desk
        texts = ["поток %03d" % i for i in range(60)]
        for t in texts[:40]:
            d.cashier_says(t)
        self.sigterm("during a burst")
        for t in texts[40:]:
            d.cashier_says(t)
        d.start()
        deadline = time.time() + 30
        while time.time() < deadline and len(self.said()) < len(texts):
            time.sleep(0.2)
        self.drained()
        self.assertEqual(self.said(), sorted(texts))
        self.assertEqual(d.sql("select count(*) from outbox where state = 'failed'"), "0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
