#!/usr/bin/env python3
"""One engineer holding many busy tickets, end to end with Telegram's limits
on: what the cashiers write waits for the engineer's private chat (a
message a second), and the relays of one ticket that wait there go as one
message, the header once and each piece under its time, as in the group.

- 30 cashiers write 5 messages each at once: every word reaches the
  engineer once, in order per ticket, in fewer messages than words, with
  no 429; the engineer's reply to a merged message reaches its cashier.
- A photo among the words is not merged and keeps its place.
- kill -9 while a merged message is on its way (Telegram has it, the bot
  does not know): after the restart every word is in the engineer's chat
  once, the copy from before the crash deleted.
- The engineer lets the ticket go while a merged message is on its way:
  the words in it stay his, the group does not get them a second time.
- The engineer blocked the bot, found out by the 403 of a merged message:
  every word it held goes to the group at once, in the order written, and
  the blocked chat is not tried again for each.
"""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, Desk, DeskTest  # noqa: E402

TICKETS = 30
PER = 5
WORD = re.compile(r"t(\d+)w(\d+)x")


def words(msgs):
    """The marked words in msgs, in the order shown: (ticket's cashier, n)."""
    return [(int(u), int(k)) for m in msgs for u, k in WORD.findall(m.get("text", ""))]


def forbidden(d):
    """The 403s of the engineer's private chat."""
    return [c for c in d.control("calls")["calls"]
            if c["status"] == 403 and str(c["chat_id"]) == str(ENGINEER)]


def no_429(d):
    return [c for c in d.control("calls")["calls"] if c["status"] == 429]


class ManyTickets(unittest.TestCase):
    def setUp(self):
        self.d = Desk(limits=True)
        self.addCleanup(self.d.close)

    def test_thirty_busy_tickets_of_one_engineer_reach_him_merged_each_word_once_in_order(self):
        d = self.d
        # The chain, the tickets and Ivan's claims with the limits off: the burst is the point.
        cashiers = [7000 + i for i in range(TICKETS)]
        d.busy_morning([ENGINEER], cashiers)
        before = len(d.history(ENGINEER, deleted=False))

        # Each cashier writes 5 messages at once, all of them together.
        for k in range(PER):
            for uid in cashiers:
                d.says(uid, "Кассир %d" % uid, "t%dw%dx не печатает" % (uid, k))
        written = TICKETS * PER
        start = time.time()
        # One by one, at a message a second, they would take two and a half minutes.
        end = start + 100
        while time.time() < end and len(set(words(d.history(ENGINEER, deleted=False)))) < written:
            time.sleep(0.5)
        took = time.time() - start
        d.settled(30)
        relays = d.history(ENGINEER, deleted=False)[before:]
        got = words(relays)
        self.assertEqual(len(got), written, got)
        self.assertEqual(len(set(got)), written)
        for uid in cashiers:
            self.assertEqual([k for u, k in got if u == uid], list(range(PER)), uid)
        self.assertLess(len(relays), written // 2, [m["text"][:60] for m in relays])
        merged = [m for m in relays if len(WORD.findall(m["text"])) > 1]
        self.assertTrue(merged)
        # The header once, each piece under its time.
        self.assertEqual(merged[0]["text"].count("№"), 1, merged[0]["text"])
        self.assertTrue(re.search(r"\d\d:\d\d t\d+w\d+x", merged[0]["text"]), merged[0]["text"])
        self.assertEqual(no_429(d), [])
        print("\n%d words of %d tickets in %d messages, the last shown after %.0f s"
              % (written, TICKETS, len(relays), took), file=sys.stderr)

        # Ivan answers a merged message: its cashier hears it, nobody else.
        uid = int(WORD.findall(merged[0]["text"])[0][0])
        d.says(ENGINEER, "Иван", "Перезагрузите кассу", reply_to=merged[0]["message_id"])
        d.wait_text(uid, "Перезагрузите кассу")
        d.settled()
        heard = [u for u in cashiers if any("Перезагрузите" in m["text"] for m in d.sent(u))]
        self.assertEqual(heard, [uid])
        self.assertEqual(no_429(d), [])


class OneTicket(DeskTest):
    def claimed(self):
        d = self.desk
        d.cashier_says("Касса не печатает чек")
        card = d.wait_text(GROUP, "Заявка №1")
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер Иван")
        d.settled()
        return card

    def merged_in_flight(self, texts, late):
        """The cashier writes texts[0], which Telegram shows at once and
        answers once the rest wait for Ivan's chat; the rest go as one
        message, shown at once and answered at /control/release or `late`
        seconds later. Returns that message as shown."""
        d = self.desk
        self.first_held()
        d.control("fault", {"method": "sendMessage", "kind": "hold", "seconds": late,
                            "apply": True, "chat_id": ENGINEER})
        d.cashier_says(texts[0])
        d.wait_text(ENGINEER, texts[0])
        for t in texts[1:]:
            d.cashier_says(t)
        self.waiting(len(texts))
        d.control("release", {"keep": True})     # the first answer; the second hold stays
        return d.wait_for(ENGINEER, lambda m: all(t in m["text"] for t in texts[1:]), timeout=20,
                          what="the merged message")

    def first_held(self):
        """The next message to Ivan is shown at once, its answer held."""
        self.desk.control("fault", {"method": "sendMessage", "kind": "hold", "apply": True,
                                    "chat_id": ENGINEER})

    def waiting(self, n):
        """Waits until n messages wait for Ivan's chat (the held one among them)."""
        self.desk.wait_count("select count(*) from outbox where chat_id = %d"
                             " and state = 'pending'" % ENGINEER, n, timeout=30)

    def test_a_photo_among_the_words_is_not_merged_and_keeps_its_place(self):
        d = self.desk
        self.claimed()
        # The first goes at once and is answered late: the rest wait together.
        self.first_held()
        d.cashier_says("до-0")
        d.wait_text(ENGINEER, "до-0")
        for w in ["до-1", "до-2"]:
            d.cashier_says(w)
        d.says(CASHIER, "Анна", photo=True, caption="вот экран")
        for w in ["после-1", "после-2"]:
            d.cashier_says(w)
        self.waiting(6)
        d.control("release", {})
        d.settled(30)
        shown = [(m["kind"], re.findall(r"(?:до|после)-\d|вот экран", m["text"]))
                 for m in d.sent(ENGINEER) if "№1" in m["text"]]
        self.assertEqual(shown, [("text", ["до-0"]), ("text", ["до-1", "до-2"]),
                                 ("photo", ["вот экран"]), ("text", ["после-1", "после-2"])])
        self.assertEqual(no_429(d), [])

    def test_kill_9_with_a_merged_message_in_flight_shows_every_word_once(self):
        d = self.desk
        self.claimed()
        texts = ["t%dw%dx" % (CASHIER, k) for k in range(5)]
        copy = self.merged_in_flight(texts, 30)
        d.daemon.send_signal(signal.SIGKILL)
        d.daemon.wait(10)
        d.control("release", {})
        # She goes on writing while the bot is down; after the restart the
        # words in flight wait a little (Telegram fails twice), so the
        # message sent again merges more than the copy did.
        more = ["t%dw%dx" % (CASHIER, k) for k in range(5, 8)]
        for t in more:
            d.cashier_says(t)
        d.control("fault", {"method": "sendMessage", "kind": "500", "count": 2,
                            "chat_id": ENGINEER})
        d.start()
        end = time.time() + 30
        while time.time() < end and len(words(d.history(ENGINEER, deleted=False))) < 8:
            time.sleep(0.2)
        d.settled()
        end = time.time() + 15      # the probe and the delete
        while time.time() < end and not d.history(ENGINEER, deleted=True):
            time.sleep(0.1)
        self.assertEqual(words(d.history(ENGINEER, deleted=False)), [(CASHIER, k) for k in range(8)])
        # The copy from before the crash, merged, is the one deleted.
        gone = d.history(ENGINEER, deleted=True)
        self.assertEqual([m["message_id"] for m in gone], [copy["message_id"]])
        self.assertEqual(words(gone), [(CASHIER, k) for k in range(1, 5)])
        again = [m for m in d.history(ENGINEER, deleted=False) if texts[1] in m["text"]]
        self.assertEqual(words(again), [(CASHIER, k) for k in range(1, 8)])
        self.assertEqual(no_429(d), [])

    def test_a_ticket_let_go_with_a_merged_message_in_flight_shows_its_words_once(self):
        d = self.desk
        card = self.claimed()
        texts = ["t%dw%dx" % (CASHIER, k) for k in range(4)]
        self.merged_in_flight(texts, 10)
        # Ivan lets the ticket go while Telegram has the message and the bot does not know.
        d.answered(d.press(ENGINEER, GROUP, card["message_id"], "u:1"))
        d.control("release", {})
        time.sleep(1)
        d.cashier_says("t%dw4x" % CASHIER)
        d.wait_text(GROUP, "t%dw4x" % CASHIER)
        d.settled()
        shown = words(d.history(ENGINEER, deleted=False)) + words(d.history(GROUP, deleted=False))
        self.assertEqual(sorted(shown), [(CASHIER, k) for k in range(5)], shown)
        self.assertEqual(words(d.history(ENGINEER, deleted=False)), [(CASHIER, k) for k in range(4)])
        self.assertEqual(no_429(d), [])


    def test_a_merged_message_refused_by_a_blocked_engineer_goes_to_the_group_whole_and_in_order(self):
        d = self.desk
        self.claimed()
        # The first word flies (its answer held); the next three wait behind it, together.
        self.first_held()
        d.cashier_says("t%dw0x" % CASHIER)
        d.wait_text(ENGINEER, "t%dw0x" % CASHIER)
        for k in range(1, 4):
            d.cashier_says("t%dw%dx" % (CASHIER, k))
        # Ivan blocks the bot meanwhile; the bot learns it from the 403 alone.
        self.waiting(4)
        d.control("block", {"user_id": ENGINEER, "blocked": True, "emit": False})
        d.control("release", {})
        end = time.time() + 20
        while time.time() < end and not forbidden(d):
            time.sleep(0.05)
        self.assertTrue(forbidden(d))
        # Anna goes on writing: the group has her words now.
        d.cashier_says("t%dw4x" % CASHIER)
        d.wait_text(GROUP, "t%dw4x" % CASHIER)
        d.settled(30)
        time.sleep(3)
        d.settled(30)
        self.assertEqual(words(d.history(GROUP, deleted=False)), [(CASHIER, k) for k in range(1, 5)])
        self.assertEqual(len(forbidden(d)), 1, forbidden(d))


if __name__ == "__main__":
    unittest.main()
