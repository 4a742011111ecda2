"""The ticket loop over Telegram, end to end: the real daemon against the
emulator, read as conversations between a cashier, engineers and the bot."""
import os
import random
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, Desk, DeskTest, button  # noqa: E402


class TicketLoop(DeskTest):
    def test_cashier_reports_engineer_claims_talks_closes_cashier_confirms_and_rates(self):
        d = self.desk
        d.cashier_says("Касса не печатает чек, ошибка <ФН> & 235")
        opened = d.wait_text(CASHIER, "Заявка №1 принята")
        card = d.wait_text(GROUP, "Заявка №1")
        self.assertIn("Касса не печатает чек, ошибка <ФН> & 235", card["text"])
        self.assertIn("Ромашка на Ленина", card["text"])
        self.assertEqual([b["text"] for b in card["buttons"]], ["Взять"])

        # «Касса работает?» — «Нет»: priority P1, on the card too.
        d.press(CASHIER, CASHIER, opened["message_id"], button(opened, "Нет, касса стоит"))
        d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and "P1" in m["text"],
                   what="card with P1")

        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер Иван")
        claimed = d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and
                             "в работе" in m["text"], what="claimed card")
        self.assertEqual([b["text"] for b in claimed["buttons"]], ["Закрыть", "Отказаться"])

        # The engineer replies to the card; the cashier answers by replying, and
        # the answer follows the engineer to his private chat (telegram.relay = assignee).
        d.engineer_says("Перезагрузите кассу, пожалуйста", reply_to=card["message_id"])
        relayed = d.wait_text(CASHIER, "Перезагрузите кассу")
        d.cashier_says("Перезагрузила, всё равно ошибка", reply_to=relayed["message_id"])
        d.wait_text(ENGINEER, "Перезагрузила, всё равно ошибка")

        # An internal note never reaches the cashier.
        d.engineer_says("/note 1 ФН почти заполнен, везу замену")
        d.wait_text(GROUP, "Заметка добавлена")

        d.press(ENGINEER, GROUP, card["message_id"], "x:1")
        question = d.wait_text(GROUP, "опишите решение")
        d.engineer_says("Заменили фискальный накопитель", reply_to=question["message_id"])
        resolved = d.wait_text(CASHIER, "Заменили фискальный накопитель")
        self.assertEqual([b["text"] for b in resolved["buttons"]], ["Работает ✅", "Всё ещё не работает"])

        d.press(CASHIER, CASHIER, resolved["message_id"], "ok:1")
        rate = d.wait_text(CASHIER, "Оцените")
        d.press(CASHIER, CASHIER, rate["message_id"], "r:1:5")
        d.wait_text(CASHIER, "Спасибо за оценку: 5")
        d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and "закрыта" in m["text"],
                   what="closed card")

        kinds = d.sql("select group_concat(kind, ' ') from (select kind from ticket_events"
                      " where ticket_id = 1 order by id)")
        self.assertEqual(kinds, "opened priority claimed reply message note resolved confirmed rated")
        self.assertNotIn("ФН почти заполнен", " ".join(m["text"] for m in d.sent(CASHIER)))
        # Every callback query was answered.
        d.settled()
        self.assertEqual(d.answers()["unanswered"], [])

    def test_stranger_and_bad_invite_get_a_polite_answer_and_nothing_is_stored(self):
        d = self.desk
        d.says(7777, "Чужой", "Здравствуйте, касса сломалась")
        d.wait_text(7777, "ссылку-приглашение")
        d.says(7778, "Чужой", "/start notavalidcode'; DROP TABLE people; --")
        d.wait_text(7778, "недействительна")
        self.assertEqual(d.sql("select count(*) from people"), "2")
        self.assertEqual(d.sql("select count(*) from tickets"), "0")

    def test_forged_buttons_and_other_peoples_buttons_change_nothing(self):
        d = self.desk
        d.cashier_says("Сканер не читает коды")
        card = d.wait_text(GROUP, "Заявка №1")
        # A cashier pressing the engineers' button, forged data, a ticket that does not exist.
        for press in (d.press(CASHIER, GROUP, card["message_id"], "c:1"),
                      d.press(ENGINEER, GROUP, card["message_id"], "c:999"),
                      d.press(ENGINEER, GROUP, card["message_id"], "c:1:1; DROP TABLE tickets"),
                      d.press(ENGINEER, GROUP, card["message_id"], "x:1")):   # not claimed yet
            d.answered(press)
        self.assertEqual(d.sql("select status from ticket_state where id = 1"), "new")
        answers = d.answers()
        self.assertEqual(answers["unanswered"], [])
        self.assertTrue(all(a.get("show_alert") for a in answers["answers"]), answers)
        # A second engineer cannot close the first one's ticket.
        other = d.invite("engineer")
        d.says(6002, "Пётр", "/start " + other)
        d.wait_text(6002, "инженер")
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер Иван")
        d.answered(d.press(6002, GROUP, card["message_id"], "x:1"))
        d.answered(d.press(6002, GROUP, card["message_id"], "u:1"))
        self.assertEqual(d.sql("select status || ' ' || assignee_id from ticket_state where id = 1"),
                         "claimed 2")

    def test_messages_join_the_open_ticket_and_new_starts_another(self):
        d = self.desk
        d.cashier_says("Не открывается смена")
        d.wait_text(CASHIER, "Заявка №1 принята")
        d.cashier_says("Пишет ошибку 68")
        d.wait_text(GROUP, "Пишет ошибку 68")
        d.cashier_says(None, photo=True, caption="Вот экран")
        shot = d.wait_for(GROUP, lambda m: m["kind"] == "photo", what="the cashier's photo")
        self.assertIn("Вот экран", shot["text"])
        d.cashier_says("/new")
        d.wait_text(CASHIER, "новую проблему")
        d.cashier_says("И ещё весы не печатают этикетки")
        d.wait_text(CASHIER, "Заявка №2 принята")
        d.cashier_says("/my")
        mine = d.wait_text(CASHIER, "Открытые заявки")
        self.assertIn("№1", mine["text"])
        self.assertIn("№2", mine["text"])
        self.assertEqual(d.sql("select count(*) from tickets"), "2")

    def test_long_text_is_split_never_rejected(self):
        d = self.desk
        d.cashier_says("Ошибка")
        card = d.wait_text(GROUP, "Заявка №1")
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер")
        long = ("Проверьте кабель & питание <ККТ>. " * 200).strip()
        d.engineer_says(long, reply_to=card["message_id"])
        parts = []
        deadline = time.time() + 15
        while time.time() < deadline:
            parts = [m for m in d.sent(CASHIER) if "Проверьте кабель" in m["text"]]
            if sum(len(m["text"]) for m in parts) >= len(long):
                break
            time.sleep(0.2)
        self.assertGreaterEqual(len(parts), 2)
        self.assertTrue(all(len(m["text"]) <= 4096 for m in parts))
        self.assertEqual(d.sql("select count(*) from outbox where state = 'failed'"), "0")


class Robustness(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.desk.setup_chain()

    def tearDown(self):
        self.desk.close()

    def test_sigterm_stops_the_daemon_within_two_seconds(self):
        d = self.desk
        d.start()
        time.sleep(1.5)  # in the middle of a long poll
        t = time.time()
        d.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(d.daemon.wait(5), 0)
        self.assertLess(time.time() - t, 2.0)
        d.daemon = None

    def test_html_pages_bad_json_dropped_connections_and_conflicts_are_survived(self):
        d = self.desk
        d.start()
        d.register()
        for kind in ("html", "badjson", "drop", "500"):
            d.control("fault", {"method": "getUpdates", "kind": kind, "count": 1})
            d.control("fault", {"method": "sendMessage", "kind": kind, "count": 1})
        d.control("fault", {"method": "getUpdates", "kind": "429", "count": 1, "seconds": 1})
        d.control("update", {"edited_message": {"message_id": 1, "date": 0, "chat": {"id": CASHIER, "type": "private"},
                                                "text": "unknown kind of update"}})
        d.cashier_says("Нет связи с ОФД")
        d.wait_text(CASHIER, "Заявка №1 принята", timeout=40)
        d.wait_text(GROUP, "Нет связи с ОФД", timeout=40)
        self.assertIsNone(d.daemon.poll())

    def test_a_second_instance_draws_409_and_the_first_carries_on(self):
        d = self.desk
        d.start()
        d.register()
        import subprocess
        from harness import BIN
        other = subprocess.Popen([BIN, "-c", d.cfg, "serve"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline and not d.control("stats")["errors"].get("409"):
            time.sleep(0.1)
        other.terminate()
        other.wait(10)
        self.assertGreater(d.control("stats")["errors"].get("409", 0), 0)
        d.cashier_says("После конфликта")
        d.wait_text(GROUP, "После конфликта", timeout=40)
        self.assertEqual(d.sql("select count(*) from tickets"), "1")

    def test_blocked_cashier_is_marked_blocked_and_the_row_fails_for_good(self):
        d = self.desk
        d.start()
        d.register()
        d.cashier_says("Не работает эквайринг")
        card = d.wait_text(GROUP, "Заявка №1")
        d.control("block", {"user_id": CASHIER, "blocked": True})
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        deadline = time.time() + 15
        while time.time() < deadline and d.sql("select blocked from people where tg_user_id = %d" % CASHIER) != "1":
            time.sleep(0.2)
        self.assertEqual(d.sql("select blocked from people where tg_user_id = %d" % CASHIER), "1")
        self.assertIn("blocked", d.sql("select error from outbox where state = 'failed'"))

    def test_group_upgraded_to_supergroup_is_followed(self):
        d = self.desk
        d.start()
        d.register()
        d.control("migrate", {"chat_id": GROUP, "new_chat_id": -1009999})
        d.cashier_says("Касса не видит сканер")
        d.wait_text(-1009999, "Заявка №1")
        self.assertEqual(d.sql("select count(*) from outbox where chat_id = %d and state = 'pending'" % GROUP), "0")


class Flood(unittest.TestCase):
    def test_a_burst_of_100_new_tickets_draws_no_429_and_every_card_arrives(self):
        # Telegram's limits scaled up 30x on both sides, so the burst runs in seconds.
        d = Desk(group_limit=600, chat_rate=30, extra_config="group_rate = 600\nchat_rate = 30\n")
        try:
            d.setup_chain()
            d.start()
            d.register()
            codes = [d.invite("cashier") for _ in range(100)]
            for i, code in enumerate(codes):
                d.says(8000 + i, "Кассир %d" % i, "/start " + code)
            for i in range(100):
                d.says(8000 + i, "Кассир %d" % i, "Касса %d не печатает" % i)
            deadline = time.time() + 90
            while time.time() < deadline:
                cards = [m for m in d.sent(GROUP) if m["text"].startswith("🆕")]
                if len(cards) >= 100:
                    break
                time.sleep(0.5)
            self.assertEqual(len(cards), 100)
            self.assertEqual(d.control("stats")["errors429"], 0)
        finally:
            d.close()


class CrashSafety(unittest.TestCase):
    def test_kill_9_during_a_burst_of_200_messages_loses_and_doubles_nothing(self):
        d = Desk(limits=False, extra_config="chat_rate = 200\ngroup_rate = 6000\nglobal_rate = 500\n")
        try:
            d.setup_chain()
            d.start()
            d.register()
            rng = random.Random(42)
            texts = ["сообщение %03d" % i for i in range(200)]
            for i, t in enumerate(texts):
                if i and i % 10 == 0 and rng.random() < 0.5:
                    d.stop(signal.SIGKILL)
                    d.start()
                d.cashier_says(t if i % 50 else "/new")  # a few fresh tickets too
                if rng.random() < 0.1:
                    time.sleep(rng.random() * 0.3)
            d.stop(signal.SIGKILL)
            d.start()
            deadline = time.time() + 60
            while time.time() < deadline and d.sql("select count(*) from outbox where state = 'pending'") != "0":
                time.sleep(0.5)
            time.sleep(1)
            self.assertEqual(d.sql("select count(*) from outbox where state = 'pending'"), "0")
            self.assertEqual(d.sql("select count(*) from outbox where state = 'failed'"), "0")
            # Each cashier message is in exactly one ticket's history, once.
            said = [t for i, t in enumerate(texts) if i % 50]
            rows = d.sql("select body from ticket_events where kind in ('opened', 'message')").split("\n")
            self.assertEqual(sorted(rows), sorted(said))
            # Telegram was asked for every update exactly as far as it was confirmed.
            stats = d.control("stats")
            self.assertEqual(stats["pending_updates"], 0)
        finally:
            d.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
