"""A till's agent and the real daemon through trouble: the server down for a
minute, the agent or the daemon killed in the middle of a batch, the till's
token rotated. Every event the agent spooled still reaches the daemon's
database exactly once, by its id."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_harness import AgentTest  # noqa: E402


class AgentOutageTest(AgentTest):
    def test_the_server_down_for_60_s_and_back_loses_and_doubles_nothing(self):
        s, till = self.server, self.till.name
        self.till.start()
        s.wait_event(till, code="fn.expiring", kind="heartbeat")
        s.stop()
        down = time.time()
        # While it is away the drive's state changes, and heartbeats pile up.
        time.sleep(5)
        self.till.pos_writes(unsent_days=4)
        time.sleep(60 - (time.time() - down))
        self.assertNotIn("ждут отправки: 0 событий", self.till.spool_summary())
        s.start()
        e = s.wait_event(till, code="fn.unsent", kind="change", status="warning", timeout=10)
        self.assertIn("первый 4 дн. назад", e["message"])
        self.assertGreater(e["received_at"] - e["observed_at"], 50)  # it waited in the spool
        self.wait_drained()
        self.till.kill(signal.SIGTERM)
        stored, _ = self.assert_every_event_once()
        self.assertGreater(len(stored), 60 * 10)  # a minute of passes of 11 codes or so

    def test_kill_9_of_the_agent_mid_batch_loses_and_doubles_nothing(self):
        s, till = self.server, self.till.name
        self.till.start()
        s.wait_event(till, code="fn.expiring", kind="change")
        # The daemon is stopped: the kernel takes the next batch's request and the
        # agent waits for an answer that cannot come. It dies waiting.
        s.desk.daemon.send_signal(signal.SIGSTOP)
        time.sleep(1.6)
        self.till.kill(signal.SIGKILL)
        s.desk.daemon.send_signal(signal.SIGCONT)
        self.till.start()
        self.wait_drained()
        self.till.kill(signal.SIGTERM)
        self.assert_every_event_once()
        # The daemon read the dead agent's batch after all: it came again, a duplicate.
        self.assertGreater(s.duplicates(), 0)

    def test_kill_9_of_the_daemon_mid_batch_loses_and_doubles_nothing(self):
        s, till = self.server, self.till.name
        self.till.start()
        s.wait_event(till, code="fn.expiring", kind="change")
        self.till.kill(signal.SIGTERM)
        # A long outage left 20,000 heartbeats; the daemon dies while it takes them.
        self.till.backlog(20000)
        self.till.start()
        end = time.time() + 20
        while time.time() < end and len(s.events(till)) < 3000:
            time.sleep(0.05)
        s.stop(signal.SIGKILL)
        killed_with = len(s.events(till))
        self.assertLess(killed_with, 20000, "the kill came too late to test anything")
        time.sleep(1)
        s.start()
        self.wait_drained(timeout=60)
        self.till.kill(signal.SIGTERM)
        stored, _ = self.assert_every_event_once()
        self.assertGreater(len(stored), 20000)
        print("\n  the daemon killed with %d events of the till stored" % killed_with,
              file=sys.stderr)

    def test_a_rotated_token_is_refused_the_spool_kept_and_all_sent_once_the_file_has_the_new_one(self):
        s, till = self.server, self.till.name
        self.till.start()
        s.wait_event(till, code="fn.expiring", kind="change")
        new = s.rotate(till)
        # The old token gets 401: the agent says so once and keeps its events.
        end = time.time() + 10
        while time.time() < end and "(401)" not in self.till.log_text():
            time.sleep(0.1)
        refused_at = len(s.events(till))
        self.till.pos_writes(unsent_days=8)
        time.sleep(3)
        self.assertEqual(len(s.events(till)), refused_at)
        self.assertEqual(self.till.log_text().count("(401)"), 1)
        self.assertNotIn("ждут отправки: 0 событий", self.till.spool_summary())
        # The admin writes the new token into the agent's token file; no restart.
        self.till.set_token(new)
        e = s.wait_event(till, code="fn.unsent", kind="change", status="critical", timeout=10)
        self.assertGreater(e["received_at"] - e["observed_at"], 1)
        self.wait_drained()
        self.assertIn("holds a new token", self.till.log_text())
        self.assertNotIn(new, self.till.log_text())
        self.till.kill(signal.SIGTERM)
        self.assert_every_event_once()


if __name__ == "__main__":
    unittest.main(verbosity=2)
