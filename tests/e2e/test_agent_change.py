"""A till's agent and the real daemon: a fiscal drive expiring in 10 days is
in the daemon's database within one pass, with the equipment registry
updated; a state change goes at once; the clock check tells the till's
clock from the server's time; `check` shows every check."""
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_harness import SERIAL, AgentTest  # noqa: E402


class AgentChangeTest(AgentTest):
    def test_a_drive_expiring_in_10_days_is_in_the_database_within_one_pass(self):
        s, till = self.server, self.till.name
        self.till.pos_writes(expires_in_days=10)
        started = time.time()
        self.till.start()
        e = s.wait_event(till, code="fn.expiring", kind="change", timeout=5)
        self.assertLess(time.time() - started, 2.5)
        self.assertEqual((e["check"], e["status"]), ("fn", "warning"))
        self.assertIn("истекает через 10 дн.", e["message"])
        data = json.loads(e["data"])
        self.assertEqual((data["fn.serial"], data["fn.valid_until"]), (SERIAL, self.till.valid_until))
        self.assertEqual(s.state(till, "fn.expiring")[0], "warning")
        # The equipment registry keeps itself current: the drive, and the УТМ's key.
        self.assertEqual(s.sql("select e.serial, e.expires_on from equipment e join tills t"
                               " on t.id = e.till_id where t.name = ? and e.kind = 'fn'", till),
                         [(SERIAL, self.till.valid_until)])
        units = s.cli("equipment", "list", "--till", till).stdout
        self.assertRegex(units, r"%s.*%s" % (SERIAL, self.till.valid_until))
        self.assertEqual(s.cli("equipment", "list", "--expiring-within", "30d").stdout.count(SERIAL), 1)
        s.wait_event(till, code="utm.cert_rsa", status="ok")
        self.assertEqual(len(s.sql("select 1 from equipment e join tills t on t.id = e.till_id"
                                   " where t.name = ? and e.kind = 'key'", till)), 2)
        # The till was heard.
        self.assertGreater(s.sql("select last_seen_at from tills where name = ?", till)[0][0] or 0,
                           started - 2)
        line = next(l for l in s.cli("till", "list").stdout.splitlines() if till in l)
        self.assertNotRegex(line, r"\s-$")
        # The first pass is a change for every code: the drive's, the УТМ's, the clock's.
        codes = {x["code"] for x in s.events(till, kind="change")}
        self.assertTrue({"fn.expiring", "fn.unsent", "fn.shift", "fn.flags", "fn.state",
                         "fn.stale", "utm.down", "utm.cert_rsa", "utm.cert_gost", "utm.fsrar_id",
                         "clock.skew"} <= codes, codes)

    def test_a_state_change_is_sent_at_the_next_pass_and_the_rest_as_heartbeats(self):
        s, till = self.server, self.till.name
        self.till.start()
        s.wait_event(till, code="fn.unsent", kind="change", status="ok")
        s.wait_event(till, code="fn.unsent", kind="heartbeat", status="ok")
        # The OFD has not confirmed a document for 8 days.
        self.till.pos_writes(unsent_days=8)
        changed = time.time()
        e = s.wait_event(till, code="fn.unsent", kind="change", status="critical", timeout=5)
        self.assertLess(time.time() - changed, 2.5)
        self.assertIn("не отправлены в ОФД", e["message"])
        self.assertEqual(s.state(till, "fn.unsent")[:2], ("critical", e["message"]))
        # The server answered: the clock check knows its skew now, and it is none.
        s.wait_event(till, code="clock.skew", kind="change", status="ok")
        self.till.kill()
        self.assert_every_event_once()

    def test_the_clock_check_tells_a_till_clock_5_minutes_slow_from_the_servers_time(self):
        s, till = self.server, self.till.name
        self.till.start(clock_offset=-300)
        # Before the server's first answer the skew is unknown; after it, critical (over 4 min).
        e = s.wait_event(till, code="clock.skew", kind="change", status="critical", timeout=8)
        self.assertRegex(e["message"], r"^часы кассы расходятся с сервером на -(29\d|30\d) с$")
        self.assertAlmostEqual(int(json.loads(e["data"])["skew_ms"]), -300000, delta=5000)
        self.assertEqual(s.state(till, "clock.skew")[0], "critical")
        # The till stamps its events with its own clock; the server keeps both.
        self.assertAlmostEqual(e["received_at"] - e["observed_at"], 300, delta=5)
        # `check` reads the skew the service kept.
        self.till.kill()
        row = next(l for l in self.till.check().stdout.splitlines() if "clock.skew" in l)
        self.assertIn("CRITICAL", row)

    def test_check_shows_every_check_as_a_table_and_exits_with_the_worst_state(self):
        self.till.pos_writes(expires_in_days=2, flags=0x02)
        r = self.till.check()
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)  # CRITICAL, as plugins exit
        rows = [line.split(None, 3) for line in r.stdout.splitlines()]
        self.assertEqual(rows[0], ["проверка", "код", "состояние", "итог"])
        by_code = {row[1]: row for row in rows[1:]}
        self.assertEqual({row[0] for row in rows[1:]}, {"fn", "utm", "clock"})
        self.assertEqual(by_code["fn.expiring"][2], "CRITICAL")
        self.assertIn("истекает через 2 дн.", by_code["fn.expiring"][3])
        self.assertEqual(by_code["fn.flags"][2], "WARNING")
        self.assertEqual(by_code["utm.cert_rsa"][2], "OK")
        self.assertEqual(by_code["utm.fsrar_id"][2], "OK")
        self.assertEqual(by_code["clock.skew"][2], "UNKNOWN")  # the service never ran
        # A healthy drive with the clock unknown: UNKNOWN is the worst, exit 3.
        self.till.pos_writes()
        self.assertEqual(self.till.check().returncode, 3)
        # Once the service has heard from the server, all is OK: exit 0.
        self.till.start()
        self.server.wait_event(self.till.name, code="clock.skew", status="ok")
        self.till.kill()
        r = self.till.check()
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertTrue(re.search(r"clock\.skew\s+OK", r.stdout), r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
