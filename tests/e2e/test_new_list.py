"""«Новые заявки»: a morning's new tickets under Telegram's 20 messages a
minute in the engineers' group, end to end with the emulator's limits on.

When more than a few new tickets' cards wait for the group's allowance,
they go as one message listing them, a «Взять №N» button each: no ticket
left out, none shown twice, within 4096 characters. The list shows who
took what; a reply to it quoting a ticket's line reaches that ticket's
cashier; a reply that quotes none is answered with how to. kill -9 with
the list on its way leaves one list in the group, never two.
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, Desk, DeskTest, button  # noqa: E402

OTHERS = [7100 + i for i in range(11)]


def numbers(text):
    return [int(n) for n in re.findall(r"№(\d+) · P", text)]


class Lists(DeskTest):
    """What the tests below share: cashiers reporting, what the group got."""

    def no_429(self):
        self.assertEqual([c for c in self.desk.control("calls")["calls"] if c["status"] == 429], [])

    def cashiers_write(self, uids, hold=False):
        """Each of uids reports a problem, in order. hold: the first card's
        answer is held (it reaches Telegram at once) until every ticket is
        open, so that the others wait for the group together. A list forms
        as soon as four wait: on a loaded machine, later tickets may miss
        it; the second ticket never does."""
        d = self.desk
        for uid in uids:
            if uid != CASHIER:
                d.another_cashier_joins(uid, "Кассир %d" % uid)
        d.settled(60)
        if hold:
            d.control("fault", {"method": "sendMessage", "kind": "hold", "apply": True,
                                "chat_id": GROUP})
        before = int(d.sql("select count(*) from tickets"))
        for uid in uids:
            d.says(uid, "Кассир %d" % uid, "Касса %d не печатает чеки" % uid)
        end = time.time() + 30
        while int(d.sql("select count(*) from tickets")) < before + len(uids):
            self.assertLess(time.time(), end, "the tickets were not opened")
            time.sleep(0.1)
        if hold:
            d.control("release", {})

    def ticket_of(self, uid):
        return int(self.desk.sql("select t.id from tickets t join people p on p.id = t.cashier_id"
                                 " where p.tg_user_id = %d" % uid))

    def group_now(self):
        d = self.desk
        msgs = [m for m in d.sent(GROUP) if not m["deleted"]]  # a copy deleted after a time-out
        cards = [m for m in msgs if "Заявка №" in m["text"] and "Новые заявки" not in m["text"]]
        lists = [m for m in msgs if "Новые заявки" in m["text"]]
        return cards, lists



class NewList(Lists):
    def test_eleven_new_tickets_after_the_first_go_as_a_list_each_claimable_from_it(self):
        d = self.desk
        # The first ticket of the morning comes alone: its card goes at once.
        d.cashier_says("Касса не печатает чеки")
        d.wait_text(GROUP, "Заявка №1")
        self.cashiers_write(OTHERS)
        d.settled(60)
        cards, lists = self.group_now()
        # The first card goes at once, unless the first few waited together
        # already (a slow machine): then they are a list of their own.
        self.assertLessEqual(len(cards), 3, [m["text"][:40] for m in cards])
        self.assertIn(len(lists), (1, 2), [m["text"][:40] for m in lists])
        # Every ticket once: on its card, or on a list.
        shown = [int(n) for m in cards for n in re.findall(r"Заявка №(\d+)", m["text"])]
        for m in lists:
            shown += numbers(m["text"])
            self.assertLessEqual(len(m["text"]), 4096)
            self.assertIn("Новые заявки: %d" % len(numbers(m["text"])), m["text"])
            for n in numbers(m["text"]):
                button(m, "Взять №%d" % n)
        self.assertEqual(sorted(shown), list(range(1, 13)))
        # What the group was sent while they waited: far fewer than a card each.
        self.assertLessEqual(len(d.sent(GROUP)), 4)
        lst = max(lists, key=lambda m: len(numbers(m["text"])))

        # Claimed from the list: the list says who has it, and its button is gone.
        n = numbers(lst["text"])[2]
        data = button(lst, "Взять №%d" % n)
        press = d.press(ENGINEER, GROUP, lst["message_id"], data)
        self.assertIn("ваша", d.answered(press)["text"])
        self.assertEqual(d.sql("select status from tickets where id = %d" % n), "claimed")
        lst = d.wait_for(GROUP, lambda m: m["message_id"] == lst["message_id"] and
                         re.search(r"№%d · P\d · [^\n]* · ✋ Иван" % n, m["text"]),
                         what="the list showing who took №%d" % n)
        self.assertNotIn("Взять №%d" % n, [b["text"] for b in lst["buttons"]])
        self.assertEqual(len([b for b in lst["buttons"]]), len(numbers(lst["text"])) - 1)
        # The engineer has the whole card in the private chat, and answers the cashier from it.
        card = d.wait_text(ENGINEER, "Заявка №%d" % n)
        self.assertIn("Кассир:", card["text"])
        who = int(d.sql("select p.tg_user_id from tickets t join people p on p.id = t.cashier_id"
                        " where t.id = %d" % n))
        d.says(ENGINEER, "Иван", "Выезжаю", reply_to=card["message_id"])
        d.wait_text(who, "Выезжаю")
        # A ticket with a card of its own gets none privately: the group's card says it all.
        first = cards[0]
        mine = int(re.search(r"Заявка №(\d+)", first["text"]).group(1))
        d.press(ENGINEER, GROUP, first["message_id"], button(first, "Взять"))
        d.wait_for(GROUP, lambda m: m["message_id"] == first["message_id"] and "в работе" in m["text"],
                   what="the card claimed")
        d.settled()
        self.assertEqual([m["text"][:40] for m in d.sent(ENGINEER)
                          if "Заявка №%d · P" % mine in m["text"]], [])
        self.assertEqual(len([m for m in d.sent(ENGINEER) if "Заявка №%d · P" % n in m["text"]]), 1)

        # The button pressed again (a client that had not redrawn yet): nothing changes.
        again = d.press(ENGINEER, GROUP, lst["message_id"], data)
        d.answered(again)
        self.assertEqual(d.sql("select count(*) from tickets where status = 'claimed'"), "2")

        # No card to press «Отказаться» on: /release from the private chat.
        d.says(ENGINEER, "Иван", "/release %d" % n)
        d.wait_text(ENGINEER, "Заявка №%d снова в очереди" % n)
        self.assertEqual(d.sql("select status from tickets where id = %d" % n), "new")
        d.wait_for(GROUP, lambda m: m["message_id"] == lst["message_id"] and
                   "Взять №%d" % n in [b["text"] for b in m["buttons"]],
                   what="the list offering №%d again" % n)
        self.no_429()

    def test_a_reply_to_the_list_reaches_the_cashier_whose_line_it_quotes(self):
        d = self.desk
        self.cashiers_write([CASHIER] + OTHERS)
        d.settled(60)
        _, lists = self.group_now()
        lst = max(lists, key=lambda m: len(numbers(m["text"])))
        listed = numbers(lst["text"])
        who = next(uid for uid in OTHERS if self.ticket_of(uid) in listed[1:])
        n = self.ticket_of(who)

        # By the number on the line.
        d.engineer_says("Проверьте бумагу", reply_to=lst["message_id"], quote="№%d" % n)
        d.wait_text(who, "Проверьте бумагу")
        # By the words of the line (its title), without the number.
        other = next(uid for uid in OTHERS if uid != who and self.ticket_of(uid) in listed)
        d.engineer_says("Перезагрузите кассу", reply_to=lst["message_id"],
                        quote="Касса %d не печатает" % other)
        d.wait_text(other, "Перезагрузите кассу")

        # A reply quoting nothing: the engineer is told how; no cashier hears it.
        d.engineer_says("Кто это?", reply_to=lst["message_id"])
        d.wait_text(GROUP, "Это список новых заявок")
        d.settled()
        for uid in [CASHIER] + OTHERS:
            self.assertNotIn("Кто это?", [m["text"] for m in d.sent(uid)])
        self.assertEqual(len([m for m in d.sent(who) if "Проверьте бумагу" in m["text"]]), 1)
        self.no_429()

    def test_kill_9_with_the_list_on_its_way_leaves_one_list(self):
        d = self.desk
        for uid in OTHERS[:6]:
            d.another_cashier_joins(uid, "Кассир %d" % uid)
        d.settled(60)
        # The first card goes at once: the group's allowance is then spent for 3 s.
        d.cashier_says("Касса не печатает чеки")
        d.wait_text(GROUP, "Заявка №1")
        # The next call to the group reaches Telegram; its answer is held.
        d.control("fault", {"method": "sendMessage", "kind": "hold", "apply": True,
                            "chat_id": GROUP})
        for uid in OTHERS[:6]:
            d.says(uid, "Кассир %d" % uid, "Касса %d не печатает чеки" % uid)
        end = time.time() + 30
        while not self.group_now()[1]:
            self.assertLess(time.time(), end, "no list reached the group")
            time.sleep(0.05)
        d.daemon.send_signal(signal.SIGKILL)
        d.daemon.wait(10)
        d.control("release", {})
        d.start()
        d.settled(60)

        def lists_sent():
            return [m for m in d.history(GROUP) if "Новые заявки" in m.get("text", "")]
        # The probe for the copy and its delete, each within the group's allowance.
        end = time.time() + 20
        while not any(m["_deleted"] for m in lists_sent()) and time.time() < end:
            time.sleep(0.2)
        history = lists_sent()
        self.assertEqual(len([m for m in history if not m["_deleted"]]), 1, history)
        self.assertEqual(len(history), 2)
        self.assertTrue(history[0]["_deleted"])
        lst = next(m for m in history if not m["_deleted"])
        self.assertEqual(sorted(numbers(lst["text"])), list(range(2, 8)))
        # Nothing else of theirs came twice: no card of a listed ticket.
        cards, _ = self.group_now()
        self.assertEqual([re.findall(r"Заявка №(\d+)", m["text"]) for m in cards], [["1"]])


class Conversation(Lists):
    """The conversation of a ticket taken from a list, with the card's
    count edited as often as it may be (card_every = 1 s)."""

    def setUp(self):
        self.desk = Desk(extra_config="card_every = 1s\n")
        self.addCleanup(self.desk.close)
        self.desk.setup_chain()
        self.desk.start()
        self.desk.register()

    def test_the_conversation_of_a_listed_ticket_costs_the_group_nothing(self):
        d = self.desk
        self.cashiers_write([OTHERS[0], CASHIER] + OTHERS[1:5], hold=True)
        d.settled(60)
        _, lists = self.group_now()
        n = self.ticket_of(CASHIER)
        lst = next(m for m in lists if n in numbers(m["text"]))
        d.press(ENGINEER, GROUP, lst["message_id"], button(lst, "Взять №%d" % n))
        d.wait_text(ENGINEER, "Заявка №%d" % n)
        d.wait_for(GROUP, lambda m: m["message_id"] == lst["message_id"] and "✋ Иван" in m["text"],
                   what="the list showing who took it")
        d.settled()
        edits = lambda: [c for c in d.control("calls")["calls"]   # noqa: E731
                         if c["chat_id"] == GROUP and c["method"].startswith("editMessage")]
        before = len(edits())
        for w in ["бумага есть", "чек не выходит", "перезагрузила"]:
            d.cashier_says(w)
            d.wait_text(ENGINEER, w)
        time.sleep(3)   # three ticks of the count's edit
        d.settled()
        # The list has no count to show: the group is not called at all.
        self.assertEqual(len(edits()), before, edits()[before:])
        self.no_429()


class Refused(Lists):
    """The bot is removed from the engineers' group: Telegram refuses a list
    for good. Its cards go one by one, each refused once, and the group's
    queue is empty again; never a new list of the same cards, refused every
    group slot for ever."""

    def test_a_list_refused_for_good_lets_its_cards_go_one_by_one_and_stops(self):
        d = self.desk
        for uid in OTHERS[:6]:
            d.another_cashier_joins(uid, "Кассир %d" % uid)
        d.settled(60)
        # The bot is removed from the engineers' group: every call to it is refused (403).
        d.control("kick", {"chat_id": GROUP, "kicked": True})
        for uid in [CASHIER] + OTHERS[:6]:
            d.says(uid, "Кассир %d" % uid, "Касса %d не печатает чеки" % uid)
        end = time.time() + 30
        while int(d.sql("select count(*) from tickets")) < 7:
            self.assertLess(time.time(), end, "the tickets were not opened")
            time.sleep(0.1)

        def waiting():
            return int(d.sql("select count(*) from outbox where chat_id = %d and state = 'pending'"
                             % GROUP))
        # One list, then its cards one by one, each refused: about 8 group slots of 3 s.
        end = time.time() + 60
        while waiting() and time.time() < end:
            time.sleep(0.5)
        calls = [c for c in d.control("calls")["calls"]
                 if c["chat_id"] == GROUP and c["method"] == "sendMessage"]
        self.assertEqual(waiting(), 0, "the group's rows are still waiting after %d refused calls"
                         % len(calls))
        self.assertLessEqual(len(calls), 7 + 1)
        lists = int(d.sql("select count(*) from outbox where link_role = 'list'"))
        self.assertLessEqual(lists, 1)



if __name__ == "__main__":
    unittest.main()
