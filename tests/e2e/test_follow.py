"""Conversations follow the engineer (telegram.relay = assignee, the
default), end to end: once a ticket is claimed, the cashier's words and
photos reach the engineer in their private chat with the bot, the engineer
answers there, and the engineers' group keeps only the card with a count."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, Desk, DeskTest  # noqa: E402

PETR = 6002


class Follow(DeskTest):
    def setUp(self):
        # The card's count is edited at most every 2 s here, not every minute.
        self.desk = Desk(extra_config="card_every = 2s\n")
        self.addCleanup(self.desk.close)
        self.desk.setup_chain()
        self.desk.start()
        self.desk.register()

    def claimed_by(self, engineer, name):
        d = self.desk
        d.cashier_says("Касса не печатает чек")
        d.wait_text(CASHIER, "Заявка №1 принята")
        card = d.wait_text(GROUP, "Заявка №1")
        d.press(engineer, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер " + name)
        return card

    def test_the_cashier_writes_after_the_claim_and_the_engineer_answers_in_private(self):
        d = self.desk
        card = self.claimed_by(ENGINEER, "Иван")

        d.cashier_says("Пишет ошибку <235>")
        relayed = d.wait_text(ENGINEER, "Пишет ошибку <235>")
        self.assertIn("№1 · Ромашка на Ленина · кассир Анна", relayed["text"])
        # He answers in his private chat by replying, as he would in the group.
        d.says(ENGINEER, "Иван", "Перезагрузите кассу", reply_to=relayed["message_id"])
        answer = d.wait_text(CASHIER, "Перезагрузите кассу")
        self.assertIn("инженер Иван", answer["text"])

        # A photo the same way, and a photo answers it.
        d.cashier_says(None, photo=True, caption="Вот экран")
        shot = d.wait_for(ENGINEER, lambda m: m["kind"] == "photo", what="the cashier's photo")
        self.assertIn("№1 · Ромашка на Ленина", shot["text"])
        self.assertIn("Вот экран", shot["text"])
        d.says(ENGINEER, "Иван", None, photo=True, caption="Нажмите вот тут",
               reply_to=shot["message_id"])
        back = d.wait_for(CASHIER, lambda m: m["kind"] == "photo", what="the engineer's photo")
        self.assertIn("Нажмите вот тут", back["text"])

        # The group has the card, counting them, and none of the words.
        d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and
                   "новых сообщений: 2" in m["text"], what="the card with the count")
        d.settled()
        group = " ".join(m["text"] for m in d.sent(GROUP))
        for words in ("Пишет ошибку", "Перезагрузите", "Вот экран", "Нажмите вот тут"):
            self.assertNotIn(words, group)
        kinds = d.sql("select group_concat(kind, ' ') from (select kind from ticket_events"
                      " where ticket_id = 1 order by id)")
        self.assertEqual(kinds, "opened claimed message reply photo reply")

        # A word that answers nothing gets the help; /close works there too.
        d.says(ENGINEER, "Иван", "а где заявки?")
        hint = d.wait_text(ENGINEER, "Сюда приходят сообщения")
        self.assertIn("№1", hint["text"])
        d.says(ENGINEER, "Иван", "/close 1 Заменили ФН")
        d.wait_text(CASHIER, "Заменили ФН")

    def test_an_engineer_without_a_private_chat_is_told_once_in_the_group(self):
        d = self.desk
        # Enrolled by the admin, not by an invite: he never wrote to the bot.
        d.cli("person", "add", "Пётр", "--role", "engineer", "--telegram", str(PETR))
        self.claimed_by(PETR, "Пётр")

        d.cashier_says("Пишет ошибку 235")
        d.wait_text(GROUP, "Пишет ошибку 235")
        hint = d.wait_text(GROUP, "Пётр, откройте личный чат с ботом")
        self.assertIn("https://t.me/", hint["text"])
        d.cashier_says("И ещё ошибка 236")
        d.wait_text(GROUP, "ошибка 236")
        d.settled()
        self.assertEqual(len([m for m in d.sent(GROUP) if "откройте личный чат" in m["text"]]), 1)
        self.assertEqual(d.sent(PETR), [])

        # He opens the chat: the next message follows him.
        d.says(PETR, "Пётр", "/start")
        d.wait_text(PETR, "Сюда приходят сообщения")
        d.cashier_says("Ошибка 237")
        d.wait_text(PETR, "Ошибка 237")

    def test_a_released_ticket_talks_in_the_group_again(self):
        d = self.desk
        card = self.claimed_by(ENGINEER, "Иван")
        d.cashier_says("Пишет ошибку 235")
        d.wait_text(ENGINEER, "Пишет ошибку 235")
        d.answered(d.press(ENGINEER, GROUP, card["message_id"], "u:1"))
        d.cashier_says("Так и не работает")
        relayed = d.wait_text(GROUP, "Так и не работает")
        self.assertEqual(relayed.get("reply_to_message_id"), card["message_id"])


    def test_words_for_an_engineer_who_blocked_the_bot_reach_the_group(self):
        d = self.desk
        card = self.claimed_by(ENGINEER, "Иван")
        d.control("block", {"user_id": ENGINEER, "blocked": True})
        d.cashier_says("Пишет ошибку 235")
        # Telegram refuses his private chat: the words are not lost, the group gets them.
        relayed = d.wait_text(GROUP, "Пишет ошибку 235", timeout=15)
        self.assertEqual(relayed.get("reply_to_message_id"), card["message_id"])
        # And the next ones go to the group directly.
        d.cashier_says("Так и не работает")
        d.wait_text(GROUP, "Так и не работает", timeout=15)
        d.settled()
        self.assertEqual(len([m for m in d.sent(GROUP) if "Пишет ошибку 235" in m["text"]]), 1)


if __name__ == "__main__":
    unittest.main()
