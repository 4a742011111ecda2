"""Notices through the real sender: a long relay goes out in parts and a
reply to any part finds its ticket; a row queued by an older release (Bot
API JSON) is still sent as it was; a notice whose markup Telegram refuses
arrives as plain text."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, DeskTest  # noqa: E402


class Notices(DeskTest):
    def settled(self):
        deadline = time.time() + 15
        while time.time() < deadline and self.desk.sql(
                "select count(*) from outbox where state = 'pending'") != "0":
            time.sleep(0.2)
        self.assertEqual(self.desk.sql("select count(*) from outbox where state = 'pending'"), "0")

    def test_a_reply_to_the_second_part_of_a_long_relay_reaches_the_cashier(self):
        d = self.desk
        d.cashier_says("Ошибка")
        card = d.wait_text(GROUP, "Заявка №1")
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер")
        long = ("Чек не печатается, бумага & лента <на месте>. " * 95).strip()
        d.cashier_says(long)
        self.settled()
        # Claimed: it follows the engineer to his private chat (telegram.relay = assignee).
        parts = [m for m in d.sent(ENGINEER) if "Чек не печатается" in m["text"]]
        self.assertEqual(len(parts), 2)
        # One notice, two messages: both remembered as the ticket's.
        self.assertEqual(d.sql("select parts_sent from outbox where kind = 'text'"
                               " and link_role = 'relay' and chat_id = %d" % ENGINEER), "1")
        d.says(ENGINEER, "Иван", "Замените ленту", reply_to=parts[1]["message_id"])
        d.wait_text(CASHIER, "Замените ленту")

    def test_a_row_from_before_notices_is_sent_as_it_was(self):
        d = self.desk
        d.sql("insert into outbox(channel, chat_id, method, payload, created_at) values"
              " ('telegram', %d, 'sendMessage', '{\"text\":\"Старая <b>строка</b>\","
              "\"parse_mode\":\"HTML\"}', 1)" % CASHIER)
        d.cashier_says("/help")  # wakes the sender
        m = d.wait_text(CASHIER, "Старая строка")
        self.assertEqual(m["text"], "Старая строка")
        self.settled()
        self.assertEqual(d.sql("select state from outbox where kind = 'tg_json'"), "sent")

    def test_a_refused_markup_arrives_as_plain_text(self):
        d = self.desk
        # Markup no renderer of ours makes: an unclosed tag Telegram cannot parse.
        d.sql("insert into outbox(channel, chat_id, method, payload, created_at, kind, args)"
              " values ('telegram', %d, '', '', 1, 'text', 'h32:Открыто <b>сломано,')" % CASHIER)
        d.cashier_says("/help")
        m = d.wait_text(CASHIER, "Открыто")
        self.assertEqual(m["text"], "Открыто сломано")
        self.settled()
        self.assertEqual(d.sql("select state || ' ' || flags from outbox where kind = 'text'"
                               " and args like 'h32:%'"), "sent 4")


if __name__ == "__main__":
    unittest.main()
