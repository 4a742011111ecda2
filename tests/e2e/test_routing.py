"""Routing, end to end: the real daemon with the shipped articles and
[routing] fiscal set, against the emulator. A cashier's fiscal-drive problem
reaches the fiscal engineers' chat, a printer problem the default one, and
the fiscal engineers work the ticket from their own chat."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, ROOT, Desk, button  # noqa: E402

ARTICLES = os.path.join(ROOT, "kb", "articles")
NOT_HELPED = "Не помогло — создать заявку"
FISCAL = -1005555          # the fiscal engineers' group
FISCAL_SUPER = -1005556    # the supergroup it becomes
BORIS = 5002               # a second cashier of the store


class Routing(unittest.TestCase):
    def setUp(self):
        self.desk = Desk(extra_config="\n[routing]\nfiscal = %d\n" % FISCAL)
        self.addCleanup(self.desk.close)
        d = self.desk
        d.setup_chain()
        d.control("group", {"id": FISCAL, "title": "Фискальщики", "type": "group"})
        d.cli("kb", "import", ARTICLES)
        d.start()
        d.register()

    def reports_past_the_article(self, user_id, name, words, ticket):
        """The cashier's words get an article that does not help: a ticket."""
        d = self.desk
        d.says(user_id, name, words)
        advice = d.wait_text(user_id, "Это помогло?")
        d.press(user_id, user_id, advice["message_id"], button(advice, NOT_HELPED))
        d.wait_text(user_id, "Заявка №%d принята" % ticket)

    def test_fn_problem_goes_to_the_fiscal_chat_printer_problem_to_the_default(self):
        d = self.desk
        self.reports_past_the_article(CASHIER, "Анна", "ошибка ФН 235", 1)
        card = d.wait_text(FISCAL, "Заявка №1")
        self.assertIn("ошибка ФН 235", card["text"])
        self.assertEqual(d.sql("SELECT route FROM tickets WHERE id = 1"), "fiscal")

        # The fiscal engineer claims it from the fiscal chat; the cashier is told.
        press = d.press(ENGINEER, FISCAL, card["message_id"], button(card, "Взять"))
        self.assertFalse(d.answered(press).get("show_alert"))
        d.wait_text(CASHIER, "Заявку №1 взял инженер Иван")
        d.wait_text(FISCAL, "в работе")
        # A reply to the card there reaches the cashier.
        d.says(ENGINEER, "Иван", "Везём новый ФН, будем через час", chat_id=FISCAL,
               reply_to=card["message_id"])
        d.wait_text(CASHIER, "Везём новый ФН")
        # The cashier's answer follows the engineer who took it to his private chat
        # (telegram.relay = assignee); the fiscal chat's card counts it.
        d.cashier_says("Ждём")
        relay = d.wait_text(ENGINEER, "Ждём")
        self.assertIn("№1", relay["text"])

        # A printer problem is hardware's, which has no chat of its own: the default one.
        d.another_cashier_joins(BORIS, "Борис")
        self.reports_past_the_article(BORIS, "Борис", "не печатает чеки", 2)
        d.wait_text(GROUP, "Заявка №2")
        self.assertEqual(d.sql("SELECT route FROM tickets WHERE id = 2"), "hardware")

        # Each chat's /queue lists its own tickets.
        d.says(ENGINEER, "Иван", "/queue", chat_id=FISCAL)
        queue = d.wait_text(FISCAL, "Очередь")
        self.assertIn("№1", queue["text"])
        self.assertNotIn("№2", queue["text"])
        d.engineer_says("/queue")
        queue = d.wait_text(GROUP, "Очередь")
        self.assertIn("№2", queue["text"])
        self.assertNotIn("№1", queue["text"])

        d.settled()
        self.assertFalse([m["text"][:60] for m in d.sent(GROUP) if "№1" in m["text"]])
        self.assertFalse([m["text"][:60] for m in d.sent(FISCAL) if "№2" in m["text"]])

    def test_the_fiscal_group_upgraded_to_a_supergroup_is_followed(self):
        d = self.desk
        d.control("migrate", {"chat_id": FISCAL, "new_chat_id": FISCAL_SUPER})
        self.reports_past_the_article(CASHIER, "Анна", "ошибка ФН 235", 1)
        card = d.wait_text(FISCAL_SUPER, "Заявка №1")
        press = d.press(ENGINEER, FISCAL_SUPER, card["message_id"], button(card, "Взять"))
        self.assertFalse(d.answered(press).get("show_alert"))
        d.wait_text(CASHIER, "Заявку №1 взял инженер Иван")
        d.settled()
        self.assertEqual(d.sql("SELECT count(*) FROM outbox WHERE chat_id = %d" % FISCAL), "0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
