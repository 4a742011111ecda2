"""The server goes away and comes back; the agent is killed mid-batch: every
event still reaches the server exactly once, by its id."""
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_harness import AgentTest  # noqa: E402


def seq(event_id):
    return int(event_id.rsplit("-", 1)[1])


class AgentOutageTest(AgentTest):
    def assert_every_event_once(self):
        """The agent stopped: what the server stored and what still waits in the
        spool (the last pass's, at most) are the spool's sequence without a gap
        or an overlap."""
        ids = self.ingest.ids()
        waiting = self.till.spool_ids()
        self.assertLess(len(waiting), 20)
        self.assertEqual(len(ids), len(set(ids)))
        self.assertFalse(set(ids) & set(waiting))
        numbers = sorted(seq(i) for i in ids + waiting)
        self.assertEqual(numbers, list(range(1, len(numbers) + 1)))
        self.assertEqual(len({i.rsplit("-", 1)[0] for i in ids}), 1)  # one spool, one boot

    def test_the_server_down_for_a_while_and_back_loses_and_doubles_nothing(self):
        self.till.start()
        self.ingest.wait_for(code="fn.expiring", kind="heartbeat")
        self.ingest.down()
        # While it is away the drive's state changes, and heartbeats pile up.
        time.sleep(1.2)
        self.till.pos_writes(unsent_days=4)
        time.sleep(1.8)
        waiting = self.till.spool_waiting()
        self.assertNotIn("ждут отправки: 0 событий", waiting)
        self.ingest.up()
        e = self.ingest.wait_for(code="fn.unsent", kind="change", status="warning", timeout=10)
        self.assertIn("первый 4 дн. назад", e["message"])
        self.till.kill(signal.SIGTERM)
        self.assert_every_event_once()
        self.assertEqual(self.ingest.duplicates, 0)

    def test_kill_9_of_the_agent_mid_batch_loses_nothing(self):
        self.till.start()
        self.ingest.wait_for(code="fn.expiring", kind="change")
        # The server sits on the next batch; the agent dies while it waits.
        self.ingest.hold = 1.5
        self.ingest.received.clear()
        self.assertTrue(self.ingest.received.wait(5))
        self.till.kill(signal.SIGKILL)
        time.sleep(1.6)  # the server stores that batch after all; its 200 went nowhere
        self.ingest.hold = 0
        before = len(self.ingest.ids())
        self.till.start()
        self.ingest.wait_for(code="fn.expiring", kind="change", timeout=5)
        end = time.time() + 5
        while time.time() < end and len(self.ingest.ids()) <= before + 7:
            time.sleep(0.1)
        self.till.kill(signal.SIGTERM)
        # The unacknowledged batch came again: duplicates at the server, stored once.
        self.assertGreater(self.ingest.duplicates, 0)
        self.assert_every_event_once()


if __name__ == "__main__":
    unittest.main(verbosity=2)
