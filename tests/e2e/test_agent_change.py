"""A till's fiscal drive expiring in 10 days reaches the server within one pass."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_harness import AgentTest  # noqa: E402


class AgentChangeTest(AgentTest):
    def test_a_drive_expiring_in_10_days_is_on_the_server_within_one_pass(self):
        self.till.pos_writes(expires_in_days=10)
        started = time.time()
        self.till.start()
        e = self.ingest.wait_for(code="fn.expiring", kind="change", timeout=5)
        self.assertLess(time.time() - started, 2.5)
        self.assertEqual(e["status"], "warning")
        self.assertEqual(e["check"], "fn")
        self.assertIn("истекает через 10 дн.", e["message"])
        # The facts that keep the equipment registry current.
        self.assertEqual(e["data"]["fn.serial"], "7281440500123456")
        self.assertRegex(e["data"]["fn.valid_until"], r"^\d{4}-\d{2}-\d{2}$")
        self.assertEqual(e["perf"][0]["label"], "days_left")
        # The first pass after start is a change for every code, the clock's included.
        codes = {x["code"] for x in self.ingest.stored(kind="change")}
        self.assertTrue({"fn.expiring", "fn.unsent", "fn.shift", "fn.flags", "fn.state",
                         "fn.stale", "clock.skew"} <= codes, codes)

    def test_a_state_change_is_sent_at_the_next_pass_and_the_rest_as_heartbeats(self):
        self.till.start()
        self.ingest.wait_for(code="fn.unsent", kind="change", status="ok")
        self.ingest.wait_for(code="fn.unsent", kind="heartbeat", status="ok")
        # The OFD has not confirmed a document for 8 days.
        self.till.pos_writes(unsent_days=8)
        changed = time.time()
        e = self.ingest.wait_for(code="fn.unsent", kind="change", status="critical", timeout=5)
        self.assertLess(time.time() - changed, 2.5)
        self.assertIn("не отправлены в ОФД", e["message"])
        # The server answered: the clock check knows its skew now.
        self.ingest.wait_for(code="clock.skew", kind="change", status="ok")
        # Once acknowledged, nothing waits in the spool.
        time.sleep(0.3)
        self.assertEqual(self.ingest.duplicates, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
