"""Revoking access, end to end: an admin disables an engineer who holds a
ticket while the daemon runs; the group sees the ticket back in the queue
and the engineer's next press is politely refused. A disabled cashier is
refused too, and opens nothing."""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, CASHIER, ENGINEER, GROUP, DeskTest  # noqa: E402

PETR = 6002
REFUSAL = "Ваш доступ к поддержке отключён"


class Access(DeskTest):
    def admin(self, *args):
        """An admin command next to the running daemon. As root it becomes general.user
        (nobody) itself: started as nobody, it could not even run a binary in a clone
        under /root."""
        d = self.desk
        r = subprocess.run([BIN, "-c", d.cfg] + list(args), capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def answers_of(self, user_id):
        return [a for a in self.desk.answers()["answers"] if a["from_id"] == user_id]

    def next_answer(self, user_id, before, timeout=15):
        """The answer to user_id's press after the before answers they already had."""
        end = time.time() + timeout
        while time.time() < end:
            mine = self.answers_of(user_id)
            if len(mine) > before:
                return mine[before]
            time.sleep(0.1)
        raise AssertionError("press of %d not answered" % user_id)

    def test_engineer_disabled_while_holding_a_ticket(self):
        d = self.desk
        d.says(PETR, "Пётр", "/start " + d.invite("engineer"))
        d.wait_text(PETR, "инженер")
        d.cashier_says("Касса не печатает чек")
        card = d.wait_text(GROUP, "Заявка №1")
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер Иван")
        d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and "в работе" in m["text"],
                   what="claimed card")

        # The admin revokes Иван's access: the ticket goes back to the queue.
        self.assertIn("Заявок возвращено в очередь: 1", self.admin("person", "disable", "Иван"))
        notice = d.wait_text(GROUP, "Заявка №1 снова в очереди")
        self.assertIn("Иван", notice["text"])
        again = d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and
                           [b["text"] for b in m["buttons"]] == ["Взять"], what="card with «Взять»")
        self.assertNotIn("в работе", again["text"])
        self.assertEqual(d.sql("select status || ':' || coalesce(assignee_id, '') from ticket_state"),
                         "new:")

        # His next press is refused politely and changes nothing.
        before = len(self.answers_of(ENGINEER))
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        refused = self.next_answer(ENGINEER, before)
        self.assertIn(REFUSAL, refused["text"])
        self.assertTrue(refused["show_alert"])
        self.assertEqual(d.sql("select status from ticket_state"), "new")
        d.engineer_says("/queue")
        d.wait_text(GROUP, REFUSAL)

        # Пётр takes it as usual.
        d.press(PETR, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер Пётр")
        kinds = d.sql("select group_concat(kind, ' ') from (select kind from ticket_events"
                      " where ticket_id = 1 order by id)")
        self.assertEqual(kinds, "opened claimed requeued claimed")
        self.assertEqual(d.sql("select kind from person_events"), "disabled")
        d.settled()
        self.assertEqual(d.answers()["unanswered"], [])

    def test_disabled_cashier_is_refused_and_opens_nothing(self):
        d = self.desk
        self.admin("person", "disable", "Анна")
        d.cashier_says("Касса не печатает чек")
        d.wait_text(CASHIER, REFUSAL)
        self.assertEqual(d.sql("select count(*) from tickets"), "0")
        # Enabled again, she is served as before.
        self.admin("person", "enable", "Анна")
        d.cashier_says("Касса не печатает чек")
        d.wait_text(GROUP, "Заявка №1")


if __name__ == "__main__":
    unittest.main()
