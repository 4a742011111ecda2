"""When an alert's card goes, end to end with the real agent and daemon: a
silence holds it back, and its end is said before it; across restarts it
goes once — the agent stopped or killed while the fault lasts, the daemon
killed -9 with the card refused (429) or posted but unanswered.
(test_alerting.py: the shared AlertTest.)
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import GROUP  # noqa: E402
from test_alerting import FN_STATE_ARTICLE, FN_STATE_HEAD, AlertTest  # noqa: E402


class Silences(AlertTest):
    def test_a_silence_keeps_the_card_back_and_its_end_is_announced(self):
        s = self.serve()
        till = self.till()
        out = self.desk.cli("silence", "add", "--till", "Касса 1", "--for", "12s",
                            "--comment", "замена ФН").stdout
        silence = int(re.search(r"\d+", out).group(0))
        till.pos_writes(mode="archive")
        till.start()
        s.wait_event(till.name, code="fn.state", status="critical")
        self.fault_reported()
        self.quiet(3)
        # Recorded, silent.
        self.assertEqual(self.messages(), [])
        self.assertIn("тишина", self.desk.cli("alert", "list").stdout)
        # The silence ends with the drive still closed: said, then the card.
        over = self.desk.wait_text(GROUP, "Тишина №%d закончилась; не в норме: 1" % silence, timeout=20)
        card = self.wait_card(FN_STATE_HEAD)
        self.assertLess(over["seq"], card["seq"])
        self.assertIn("Рекомендация: " + FN_STATE_ARTICLE, card["text"])
        self.quiet(2)
        self.assertEqual(len(self.messages()), 2, [m["text"] for m in self.messages()])


class Restarts(AlertTest):
    def test_an_agent_restarted_during_a_fault_sends_nothing_twice(self):
        s = self.serve()
        till = self.till()
        till.pos_writes(mode="archive")
        till.start()
        self.wait_card(FN_STATE_HEAD)
        # Stopped and started, then killed and started: each start reports the fault again.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            count = self.reports()
            if sig == signal.SIGKILL:
                # Killed waiting for the answer to a batch the daemon then takes: sent again.
                s.desk.daemon.send_signal(signal.SIGSTOP)
                time.sleep(1.6)
            till.kill(sig)
            s.desk.daemon.send_signal(signal.SIGCONT)
            till.start()
            self.wait_until(lambda: self.reports() >= count + 3, 10, "more passes")
        self.quiet(2)
        self.assertEqual(len(self.messages()), 1, [m["text"] for m in self.messages()])
        self.assertEqual(len(self.calls("sendMessage")), 1)
        self.assertEqual([(a[0], a[1], a[3]) for a in self.alerts()], [("fn.state", "firing", 1)])
        self.assertEqual(s.sql("select count(*) from tickets")[0][0], 1)
        # Each report counted once: the batch sent again after the kill was a duplicate.
        till.kill(signal.SIGTERM)
        self.assertGreater(s.duplicates(), 0)
        self.assertEqual(self.reports(), len(s.events(till.name, code="fn.state", status="critical")))

    def kill_daemon_with_the_card_unsent(self, fault, unsent):
        """The fault is stored, its card not delivered (the emulator's fault),
        when unsent() the daemon is killed -9; it is started again. The card
        in the group once; what the bot posted, oldest first."""
        s = self.serve()
        till = self.till()
        self.desk.control("fault", dict(fault, method="sendMessage", chat_id=GROUP))
        till.pos_writes(mode="archive")
        till.start()
        self.fault_reported()
        self.wait_until(unsent, 5, "the card's call")
        s.stop(signal.SIGKILL)
        self.desk.control("release", {})
        s.start()
        self.wait_card(FN_STATE_HEAD, timeout=20)
        # The ticket's card is the one recorded; a copy of it, if any, goes (at the group's pace).
        linked = lambda: self.desk.sql("select message_id from tg_links where role = 'card'")  # noqa: E731
        self.wait_until(lambda: linked() and [str(m["message_id"]) for m in self.messages()]
                        == [linked()], 15, "one card, the ticket's")
        self.quiet(3)
        self.assertEqual([str(m["message_id"]) for m in self.cards()], [linked()],
                         [m["text"] for m in self.messages()])
        self.assertEqual(len(self.messages()), 1)
        self.assertEqual([(a[0], a[1], a[3]) for a in self.alerts()], [("fn.state", "firing", 1)])
        self.assertEqual(s.sql("select count(*) from tickets")[0][0], 1)
        return self.desk.history(GROUP)

    def test_kill_9_before_the_card_was_sent_the_card_comes_once_after_the_restart(self):
        # Telegram refuses the card (429 for 5 s): the daemon is to send it again, and dies.
        refused = lambda: [c for c in self.calls("sendMessage") if c["status"] == 429]  # noqa: E731
        posted = self.kill_daemon_with_the_card_unsent({"kind": "429", "seconds": 5}, refused)
        self.assertEqual([c["status"] for c in self.calls("sendMessage")], [429, 200])
        self.assertEqual(len(posted), 1)

    def test_kill_9_while_telegram_has_the_card_unanswered_the_card_stays_once(self):
        # Telegram has posted the card; the daemon dies before it hears so.
        posted = self.kill_daemon_with_the_card_unsent(
            {"kind": "hold", "apply": True}, lambda: self.desk.sent(GROUP))
        # It posted the card again after the restart, found the first copy and deleted it.
        self.assertEqual([m["_deleted"] for m in posted], [True, False])


if __name__ == "__main__":
    unittest.main()
