"""A check's state changing, end to end with the real agent and daemon:
WARNING to CRITICAL raises the ticket's priority and says so once; a check
that flaps is said once, then no more. (test_alerting.py: AlertTest.)
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import GROUP  # noqa: E402
from test_alerting import FN_STATE_HEAD, AlertTest  # noqa: E402


class Worse(AlertTest):
    def test_warning_to_critical_raises_the_priority_and_says_so_once(self):
        s = self.serve()
        till = self.till()
        # The drive expires in 20 days: WARNING, P3.
        till.pos_writes(expires_in_days=20)
        till.start()
        card = self.wait_card("Проверка fn.expiring: предупреждение")
        self.assertTrue(card["text"].startswith("🆕 Заявка №1 · P3"), card["text"])
        self.assertIn("Рекомендация: Замена ФН", card["text"])
        last = s.wait_event(till.name, code="fn.expiring", kind="change", status="warning")
        # In 2 days: CRITICAL, P2, said under the card; then down to WARNING and up again.
        for days, status in ((2, "critical"), (20, "warning"), (2, "critical")):
            till.pos_writes(expires_in_days=days)
            last = s.wait_event(till.name, code="fn.expiring", kind="change", status=status,
                                after=last["id"])
        self.desk.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and
                           m["text"].startswith("🆕 Заявка №1 · P2"), what="the card at P2")
        self.quiet(2)
        worse = [m for m in self.messages() if "стало критично:" in m["text"]]
        self.assertEqual(len(worse), 1, [m["text"] for m in self.messages()])
        self.assertIn("№1, касса сообщает", worse[0]["text"])
        self.assertEqual(len(self.messages()), 2, [m["text"] for m in self.messages()])
        self.assertRegex(self.ticket(1), r"приоритет:\s+P2")


class Flapping(AlertTest):
    def test_a_flapping_check_gets_one_notice(self):
        # Recovery takes longer than the pass: each OK is only «recovering».
        s = self.serve(recover_after="60s")
        till = self.till()
        till.pos_writes(mode="archive")
        till.start()
        self.wait_card(FN_STATE_HEAD)
        last = s.wait_event(till.name, code="fn.state", kind="change", status="critical")
        # Fault and OK by turns, each seen by the agent: 8 changes, flap_changes = 4.
        for i in range(7):
            fine = i % 2 == 0
            till.pos_writes(mode="fiscal" if fine else "archive")
            last = s.wait_event(till.name, code="fn.state", kind="change",
                                status="ok" if fine else "critical", after=last["id"])
        self.quiet(3)
        notices = [m for m in self.messages() if "мигает" in m["text"]]
        self.assertEqual(len(notices), 1, [m["text"] for m in self.messages()])
        self.assertRegex(notices[0]["text"], r"№1: проверка fn\.state мигает — 4 изменени")
        self.assertIn("Мигает: уведомления приостановлены", self.cards()[0]["text"])
        # Nothing else: one card, its notice; one alert, one ticket.
        self.assertEqual(len(self.messages()), 2, [m["text"] for m in self.messages()])
        self.assertEqual(len(self.alerts()), 1)


if __name__ == "__main__":
    unittest.main()
