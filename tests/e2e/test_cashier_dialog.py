"""The cashier's dialog as a new cashier writes it, end to end: the real
daemon with the shipped articles imported, against the emulator. A greeting
first, then the problem; an answer typed instead of pressed; a photo with a
caption that the knowledge base answers; follow-ups acknowledged quietly."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, GROUP, ROOT, Desk, button  # noqa: E402

ARTICLES = os.path.join(ROOT, "kb", "articles")
NOT_HELPED = "Не помогло — создать заявку"
DESCRIBE = "Опишите, пожалуйста, проблему"
ACK = "Передал инженеру ✓"


class CashierDialog(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.desk.setup_chain()
        self.desk.cli("kb", "import", ARTICLES)
        self.desk.start()
        self.desk.register()

    def tearDown(self):
        self.desk.close()

    def count(self, chat, needle):
        return sum(needle in m["text"] for m in self.desk.sent(chat))

    def test_greeting_then_the_problem_then_did_not_help_in_words(self):
        d = self.desk
        # «Добрый день» alone: asked for the problem, no ticket, no clock running.
        d.cashier_says("Добрый день!")
        d.wait_text(CASHIER, DESCRIBE)
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")

        # The problem goes to the knowledge base first.
        d.cashier_says("не печатает чеки")
        advice = d.wait_text(CASHIER, "Это помогло?")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")

        # Typed instead of pressed: the ticket opens from the question, with the article.
        d.cashier_says("не помогло, бумага стоит")
        d.wait_text(CASHIER, "Заявка №1 принята")
        card = d.wait_text(GROUP, "Заявка №1")
        self.assertIn("не печатает чеки", card["text"])
        self.assertIn("База знаний:", card["text"])
        d.wait_text(GROUP, "не помогло, бумага стоит")
        self.assertEqual(d.sql("SELECT title FROM tickets"), "не печатает чеки")
        self.assertEqual(d.sql("SELECT outcome || ' ' || ticket_id FROM kb_suggestions"), "not_helped 1")
        # The buttons are spent: «Не помогло» pressed now opens nothing more.
        d.answered(d.press(CASHIER, CASHIER, advice["message_id"], button(advice, NOT_HELPED)))
        d.settled()
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "1")
        self.assertEqual(self.count(CASHIER, ACK), 0)

        # Follow-ups: one quiet acknowledgement, not one per message.
        d.cashier_says("и чек не отрезает")
        ack = d.wait_text(CASHIER, ACK)
        self.assertTrue(ack["disable_notification"])
        d.cashier_says("и лампочка мигает")
        d.wait_text(GROUP, "и лампочка мигает")
        d.settled()
        self.assertEqual(self.count(CASHIER, ACK), 1)
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "1")

    def test_photo_with_a_caption_reaches_the_card_when_the_article_did_not_help(self):
        d = self.desk
        sent = d.cashier_says(None, photo=True, caption="не печатает чеки")
        photo_id = sent["message"]["photo"][-1]["file_id"]
        advice = d.wait_text(CASHIER, "Это помогло?")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")

        d.press(CASHIER, CASHIER, advice["message_id"], button(advice, NOT_HELPED))
        d.wait_text(CASHIER, "Заявка №1 принята")
        card = d.wait_text(GROUP, "Заявка №1")
        self.assertIn("не печатает чеки", card["text"])
        shot = d.wait_for(GROUP, lambda m: m["kind"] == "photo", what="the cashier's photo")
        self.assertEqual(shot["file_id"], photo_id)


if __name__ == "__main__":
    unittest.main(verbosity=2)
