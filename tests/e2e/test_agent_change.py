"""A till's fiscal drive expiring in 10 days reaches the server within one pass."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_harness import AGENT, AgentTest  # noqa: E402


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

    def test_check_prints_one_pass_as_a_table_and_exits_with_the_worst_state(self):
        self.till.pos_writes(expires_in_days=2, flags=0x02)
        r = subprocess.run([AGENT, "-c", self.till.cfg, "check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)  # CRITICAL, as plugins exit
        rows = [line.split(None, 3) for line in r.stdout.splitlines()]
        self.assertEqual(rows[0], ["проверка", "код", "состояние", "итог"])
        by_code = {row[1]: row for row in rows[1:]}
        self.assertEqual(by_code["fn.expiring"][2], "CRITICAL")
        self.assertIn("истекает через 2 дн.", by_code["fn.expiring"][3])
        self.assertEqual(by_code["fn.flags"][2], "WARNING")
        self.assertEqual(by_code["clock.skew"][2], "UNKNOWN")  # the service never ran
        # A healthy drive with the clock unknown: UNKNOWN is the worst, exit 3.
        self.till.pos_writes()
        r = subprocess.run([AGENT, "-c", self.till.cfg, "check"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
