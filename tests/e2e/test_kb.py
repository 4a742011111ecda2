"""The knowledge base in the cashier's flow, end to end: the real daemon with
the shipped articles imported, against the emulator."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, ROOT, Desk, button  # noqa: E402

ARTICLES = os.path.join(ROOT, "kb", "articles")
HELPED, NOT_HELPED = "Помогло 👍", "Не помогло — создать заявку"


class Advice(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.desk.setup_chain()
        out = self.desk.cli("kb", "import", ARTICLES).stdout
        self.assertIn("новых", out)
        self.desk.start()
        self.desk.register()

    def tearDown(self):
        self.desk.close()

    def test_fn_235_gets_its_article_and_helped_ends_without_a_ticket(self):
        d = self.desk
        d.cashier_says("ошибка ФН 235")
        advice = d.wait_text(CASHIER, "Это помогло?")
        self.assertIn("235", advice["text"])
        self.assertEqual([b["text"] for b in advice["buttons"]], [HELPED, NOT_HELPED])
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")
        self.assertEqual(d.sql("SELECT slug FROM kb_suggestions s JOIN kb_articles a"
                               " ON a.id = s.article_id"), "fn-storage-exhausted")

        d.press(CASHIER, CASHIER, advice["message_id"], button(advice, HELPED))
        d.wait_text(CASHIER, "Рад, что получилось")
        self.assertEqual(d.sql("SELECT outcome FROM kb_suggestions"), "helped")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")
        # Pressed twice: refused, counted once.
        d.press(CASHIER, CASHIER, advice["message_id"], button(advice, NOT_HELPED))
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")
        stats = d.cli("kb", "stats").stdout
        self.assertRegex(stats, r"fn-storage-exhausted\s+1\s+1\s+0")
        self.assertIn("Решено без заявки: 1 из 1", stats)

    def test_not_helped_opens_a_ticket_carrying_the_article(self):
        d = self.desk
        d.cashier_says("не печатает чеки")
        advice = d.wait_text(CASHIER, "Это помогло?")
        d.press(CASHIER, CASHIER, advice["message_id"], button(advice, NOT_HELPED))
        d.wait_text(CASHIER, "Заявка №1 принята")
        card = d.wait_text(GROUP, "Заявка №1")
        self.assertIn("не печатает чеки", card["text"])
        self.assertIn("База знаний:", card["text"])
        slug, outcome, ticket = d.sql(
            "SELECT a.slug, s.outcome, s.ticket_id FROM kb_suggestions s"
            " JOIN kb_articles a ON a.id = s.article_id").split("|")
        self.assertTrue(slug.startswith("printer-"), slug)
        self.assertEqual((outcome, ticket), ("not_helped", "1"))
        self.assertEqual(d.sql("SELECT a.slug FROM tickets t JOIN kb_articles a"
                               " ON a.id = t.kb_article_id WHERE t.id = 1"), slug)
        self.assertIn("kb_not_helped", d.sql("SELECT group_concat(kind) FROM ticket_events"
                                             " WHERE ticket_id = 1"))
        stats = d.cli("kb", "stats").stdout
        self.assertRegex(stats, slug + r"\s+1\s+0\s+1")
        self.assertIn("Решено без заявки: 0 из 1", stats)

    def test_words_the_base_cannot_answer_open_a_ticket_at_once(self):
        d = self.desk
        d.cashier_says("у нас в зале перегорела лампа над входом")
        d.wait_text(CASHIER, "Заявка №1 принята")
        self.assertEqual(d.sql("SELECT count(*) FROM kb_suggestions"), "0")
        self.assertNotIn("Это помогло?", "".join(m["text"] for m in d.sent(CASHIER)))

    def test_forged_and_foreign_presses_change_nothing(self):
        d = self.desk
        d.cashier_says("касса пишет нет бумаги")
        advice = d.wait_text(CASHIER, "Это помогло?")
        data = button(advice, HELPED)
        d.engineer_says("/kb нет бумаги")
        in_group = d.wait_text(GROUP, "бумаг")
        before = len(d.answers()["answers"])
        for user, chat, mid, forged in (
                (CASHIER, CASHIER, advice["message_id"], "k:999:1"),
                (CASHIER, CASHIER, advice["message_id"], "k:1:3"),
                (CASHIER, CASHIER, advice["message_id"], "k:1:1'; DROP TABLE tickets;--"),
                (ENGINEER, GROUP, in_group["message_id"], data)):
            d.press(user, chat, mid, forged)
        end = time.time() + 10
        while time.time() < end and len(d.answers()["answers"]) < before + 4:
            time.sleep(0.1)
        self.assertEqual(d.answers()["unanswered"], [])
        answers = d.answers()["answers"][before:]
        self.assertEqual(len(answers), 4)
        self.assertTrue(all(a.get("show_alert") for a in answers), answers)
        self.assertEqual(d.sql("SELECT count(*) FROM kb_suggestions WHERE outcome IS NULL"), "1")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")

    def test_kb_command_looks_articles_up(self):
        d = self.desk
        d.cashier_says("/kb открыта крышка")
        found = d.wait_text(CASHIER, "крышк")
        self.assertNotIn("Это помогло?", found["text"])
        d.engineer_says("/kb смена больше 24 часов")
        d.wait_text(GROUP, "24")
        self.assertEqual(d.sql("SELECT count(*) FROM kb_suggestions"), "0")


if __name__ == "__main__":
    unittest.main(verbosity=2)
