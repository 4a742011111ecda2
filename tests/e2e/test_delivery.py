"""Delivery when something goes wrong, end to end: the real daemon against
the emulator.

- One update that cannot be handled must not hold back every chat. The fault
  is injected from outside the code, in the database: a trigger refuses any
  ticket whose title says POISON, as a bug or a bad row would refuse one
  particular message.
- A 429 means our model of Telegram's limits was wrong, and Telegram
  lengthens the ban of a bot that keeps calling: after a 429 on one chat the
  bot calls nothing at all (no chat, no edit, no callback answer, no long
  poll) for retry_after seconds, then delivers everything, once. The
  emulator's call log shows when each call arrived.
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, TOKEN, Desk, button  # noqa: E402

BORIS = 5002
POISON = ("CREATE TRIGGER poison BEFORE INSERT ON tickets WHEN NEW.title LIKE '%POISON%'"
          " BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
RETRY_AFTER = 4
# The bot learns of the 429 a moment after the emulator answered it; a call
# already on its way in that moment is not one the bot chose to make.
IN_FLIGHT = 0.15


class Delivery(unittest.TestCase):
    def setUp(self):
        # The emulator's own limits off: the only 429 is the one injected.
        self.desk = Desk(limits=False)
        self.desk.setup_chain()
        self.desk.start()
        self.desk.register()
        self.desk.another_cashier_joins(BORIS, "Борис")

    def tearDown(self):
        self.desk.close()

    def failed(self):
        return self.desk.cli("updates", "failed").stdout

    def test_a_poisoned_message_is_set_aside_the_others_go_on_and_a_retry_handles_it_later(self):
        d = self.desk
        d.sql(POISON)
        poisoned = d.cashier_says("Касса не печатает POISON")["update_id"]
        # Other chats write right behind it: they are answered, not held back.
        d.says(BORIS, "Борис", "Сканер не читает коды")
        d.engineer_says("/queue")
        d.wait_text(BORIS, "Заявка №1 принята")
        d.wait_text(GROUP, "Сканер не читает коды")
        d.wait_text(GROUP, "Очередь")

        end = time.time() + 15
        while "POISON" not in self.failed() and time.time() < end:
            time.sleep(0.2)
        rows = self.failed().splitlines()
        self.assertEqual(len(rows), 2, rows)        # the header and the poisoned update
        cells = rows[1].split()
        self.assertEqual((cells[0], cells[1], cells[4], cells[5]), ("1", str(poisoned), "UTC", "3"))
        self.assertIn("чат %d: Касса не печатает POISON" % CASHIER, rows[1])
        self.assertIn("injected fault", rows[1])
        self.assertFalse(any("принята" in m["text"] for m in d.sent(CASHIER)))
        # The offset moved past it: Telegram does not hold it any more.
        self.assertEqual(d.control("updates")["updates"], [])
        with open(os.path.join(d.dir, "serve.log"), encoding="utf-8") as f:
            log = f.read()
        self.assertIn("update %d failed 3 times" % poisoned, log)
        self.assertIn("set aside as failed update 1", log)
        self.assertNotIn(TOKEN.split(":")[1], log)

        # While the fault lasts a retry fails, says why, and the update stays.
        r = d.cli("updates", "retry", "1", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("injected fault", r.stderr)
        self.assertEqual(self.failed().splitlines()[1].split()[5], "4")

        # The fault is mended: the retry opens the ticket and the cashier is told.
        d.sql("DROP TRIGGER poison")
        r = d.cli("updates", "retry", "1")
        self.assertIn("Обновление 1 обработано", r.stdout)
        d.wait_text(CASHIER, "Заявка №2 принята")
        d.wait_text(GROUP, "Касса не печатает POISON")
        self.assertEqual(self.failed().strip(), "Отложенных обновлений нет.")
        self.assertEqual(d.cli("updates", "retry", "1", check=False).returncode, 1)
        time.sleep(1)
        self.assertEqual(len([m for m in d.sent(CASHIER) if "Заявка №2 принята" in m["text"]]), 1)
        self.assertEqual(d.sql("select count(*) from tickets"), "2")


    def calls(self, since):
        return self.desk.control("calls", query="?since=%d" % since)["calls"]

    def test_a_429_on_one_chat_stops_every_call_then_everything_goes_once(self):
        d = self.desk
        d.cashier_says("Касса не печатает чек")
        card = d.wait_text(GROUP, "Заявка №1")
        d.wait_text(CASHIER, "Заявка №1 принята")
        time.sleep(0.5)
        since = d.control("calls")["last_seq"]

        # Telegram refuses the next message to Анна with retry_after 4.
        d.control("fault", {"method": "sendMessage", "kind": "429", "chat_id": CASHIER,
                            "seconds": RETRY_AFTER})
        d.cashier_says("/my")
        end = time.time() + 10
        flood = None
        while not flood and time.time() < end:
            flood = next((c for c in self.calls(since) if c["status"] == 429), None)
            time.sleep(0.05)
        self.assertIsNotNone(flood, "the injected 429 never came")
        self.assertEqual(flood["chat_id"], CASHIER)

        # Meanwhile other chats want answers: Борис reports, Иван takes ticket №1.
        d.says(BORIS, "Борис", "Сканер не читает коды")
        d.press(ENGINEER, GROUP, card["message_id"], button(card, "Взять"))

        # Afterwards everything arrives.
        d.wait_text(BORIS, "Заявка №2 принята", timeout=RETRY_AFTER + 15)
        d.wait_text(GROUP, "Сканер не читает коды")
        d.wait_text(CASHIER, "Открытые заявки магазина")
        d.wait_text(CASHIER, "взял инженер Иван")
        d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and "в работе" in m["text"],
                   what="the claimed card")
        time.sleep(1)
        self.assertEqual(d.answers()["unanswered"], [])

        # Nothing was called while the pause lasted, not even getUpdates.
        # From its answer (less the moment it takes to reach the bot) until
        # retry_after after it arrived, which is before the bot could start the pause.
        start, end = flood["answered_at"], flood["at"] + RETRY_AFTER
        during = [c for c in self.calls(since)
                  if start + IN_FLIGHT < c["at"] < end and c["seq"] != flood["seq"]]
        self.assertEqual(during, [])
        after = [c for c in self.calls(since) if c["at"] > start]
        methods = {c["method"] for c in after}
        self.assertTrue({"sendMessage", "editMessageText", "answerCallbackQuery",
                         "getUpdates"} <= methods, methods)
        first = min(c["at"] for c in after if c["at"] > start + IN_FLIGHT)
        print("\n429 answered at +0.00 s; the first call after it came at +%.2f s (retry_after %d)"
              % (first - start, RETRY_AFTER), file=sys.stderr)

        # Nothing doubled: each message once, and as many as the outbox sent.
        for chat, needle in ((CASHIER, "Открытые заявки магазина"), (CASHIER, "взял инженер"),
                             (BORIS, "Заявка №2 принята"), (GROUP, "Сканер не читает коды")):
            self.assertEqual(len([m for m in d.sent(chat) if needle in m["text"]]), 1, needle)
        self.assertEqual(d.sql("select count(*) from outbox where state = 'pending'"), "0")
        # A notice is one row however many messages it became (parts_sent before the last).
        sent = int(d.sql("select coalesce(sum(parts_sent + 1), 0) from outbox where state = 'sent'"
                         " and kind in ('text', 'ask', 'photo', 'document')"))
        self.assertEqual(d.control("stats")["messages_sent"], sent)



if __name__ == "__main__":
    unittest.main()
