"""A till's agent and the real daemon, for the checks that watch the PC
around the till: the POS log read across its rotation and truncation (in
CP1251, as Russian POS software writes it), and a plugin that hangs, which
costs its own pass a time-out and never the agent its heartbeat."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from agent_harness import Server, Till  # noqa: E402


class AgentChecksTest(unittest.TestCase):
    def setUp(self):
        self.server = Server()
        self.addCleanup(self.server.close)

    def till_with(self, config):
        till = Till(self.server, config=config)
        self.addCleanup(till.close)
        return till

    def write(self, path, text, mode="a"):
        with open(path, mode, encoding="cp1251") as f:
            f.write(text)

    def test_the_pos_log_is_read_across_rotation_and_truncation(self):
        s = self.server
        log = os.path.join(s.desk.dir, "pos.log")
        self.write(log, "старт смены\n", "w")
        till = self.till_with("[check.log pos]\nfile = %s\ncharset = CP1251\n"
                              "pattern.1 = critical fn.blocked Вход в режим заблокирован\n" % log)
        till.start()
        # The first pass starts at the log's end: what was there before is old news.
        s.wait_event(till.name, code="fn.blocked", kind="change", status="ok")
        self.write(log, "12:01 ошибка (-3933) Вход в режим заблокирован\n")
        e = s.wait_event(till.name, code="fn.blocked", kind="change", status="critical")
        self.assertIn("Вход в режим заблокирован", e["message"])
        s.wait_event(till.name, code="fn.blocked", kind="change", status="ok", timeout=10,
                     after=e["id"])
        # Rotation: the line written to the old file just before it moved is still read,
        # then the new file from its start.
        self.write(log, "12:05 (-3933) вход в режим заблокирован\n")
        os.rename(log, log + ".1")
        self.write(log, "новый файл\n", "w")
        e = s.wait_event(till.name, code="fn.blocked", kind="change", status="critical",
                         after=e["id"])
        s.wait_event(till.name, code="fn.blocked", kind="change", status="ok", after=e["id"])
        self.write(log, "12:07 Вход в режим заблокирован\n")
        e = s.wait_event(till.name, code="fn.blocked", kind="change", status="critical",
                         after=e["id"])
        s.wait_event(till.name, code="fn.blocked", kind="change", status="ok", after=e["id"])
        # Truncation (a copytruncate rotation): read again from the start.
        self.write(log, "12:09 ВХОД В РЕЖИМ ЗАБЛОКИРОВАН\n", "w")
        s.wait_event(till.name, code="fn.blocked", kind="change", status="critical",
                     after=e["id"])

    def test_a_plugin_that_hangs_is_killed_at_its_timeout_and_the_agent_goes_on(self):
        s = self.server
        pidfile = os.path.join(s.desk.dir, "plugin.pid")
        script = os.path.join(s.desk.dir, "check_hang")
        with open(script, "w") as f:
            # A plugin whose child holds its output open, then both hang.
            f.write("#!/bin/sh\necho $$ > %s\nsleep 300 &\necho $! >> %s\nsleep 300\n"
                    % (pidfile, pidfile))
        os.chmod(script, 0o755)
        till = self.till_with("[check.plugin hang]\ncommand = %s\ntimeout = 1s\n" % script)
        started = time.time()
        till.start()
        e = s.wait_event(till.name, code="plugin.hang", kind="change", timeout=10)
        self.assertEqual(e["status"], "unknown")
        self.assertIn("1 с", e["message"])
        # The pass ended at the time-out, and the next passes keep coming: the
        # drive's heartbeats arrive while the plugin keeps hanging each pass.
        first = s.wait_event(till.name, code="fn.expiring", kind="heartbeat", timeout=10)
        later = s.wait_event(till.name, code="fn.expiring", kind="heartbeat", timeout=10,
                             after=first["id"])
        self.assertLess(time.time() - started, 15)
        self.assertNotEqual(first["id"], later["id"])
        # The plugin and its child were killed with their process group.
        with open(pidfile) as f:
            pids = [int(p) for p in f.read().split()[:2]]
        self.assertEqual(len(pids), 2)
        end = time.time() + 3
        alive = lambda: [p for p in pids if os.path.exists("/proc/%d" % p)]  # noqa: E731
        while alive() and time.time() < end:
            time.sleep(0.1)
        self.assertEqual(alive(), [], "the hung plugin or its child still runs")

if __name__ == "__main__":
    unittest.main()
