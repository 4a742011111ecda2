"""Delivery with several calls in flight over a network, end to end: the
real daemon against the emulator answering every call in 150 ms.

- A chat's messages arrive in order (one call in flight per chat; a long
  text's parts one after another) while other chats are served at once.
- In the engineers' group, each ticket's messages arrive in order (its card
  before the card's edit, its relays one after another) while other
  tickets' go at the same time.
- A 429 stops every call: the calls already on their way finish, no new one
  starts until retry_after is over; then everything goes, once.
- kill -9 with calls in flight loses nothing, doubles at most the calls
  whose answers were not recorded (one per chat), and a ticket's card never
  stays twice in the engineers' group: the copy is found and deleted.
- A button is answered at once while thousands of cards wait.

Rows for many chats are queued straight into the outbox (as the bench
does): the point is the sender, not how the rows came to be.
"""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, GROUP, Desk  # noqa: E402

TICKET_ROW = ("INSERT INTO outbox(channel, chat_id, method, payload, created_at, ticket_id,"
              " link_role, edit_role) VALUES ('telegram', %d, '%s', '{\"text\":\"%s\"}', %d, %d, %s, %s);")

DELAY_MS = 150
# Generous per-chat and per-group limits on both sides: the global rate and
# the round trip are what these tests are about.
FAST_CHATS = "chat_rate = 10\ngroup_rate = 600\n"


def groups(d, n, first=-3000000):
    ids = [first - i for i in range(n)]
    for g in ids:
        d.control("group", {"id": g, "title": "g%d" % g, "type": "group"})
    return ids


def queue(d, rows):
    """rows: (chat_id, text) queued in the outbox as plain legacy messages, in order."""
    now = int(time.time())
    sql = ["BEGIN;"]
    for chat, text in rows:
        sql.append("INSERT INTO outbox(channel, chat_id, method, payload, created_at) VALUES"
                   " ('telegram', %d, 'sendMessage', '{\"text\":\"%s\"}', %d);" % (chat, text, now))
    sql.append("COMMIT;")
    subprocess.run(["sqlite3", d.db], input="\n".join(sql), text=True, check=True)


def queue_long(d, chat, html):
    """A notice of one markup argument, too long for one message: the sender splits it."""
    arg = "h%d:%s," % (len(html.encode()), html)
    d.sql("INSERT INTO outbox(channel, chat_id, method, payload, created_at, kind, args)"
          " VALUES ('telegram', %d, '', '', %d, 'text', '%s')" % (chat, int(time.time()), arg))


def queue_for_tickets(d, rows):
    """rows: (ticket_id, method, text, link_role, edit_role) for the group, in order."""
    now = int(time.time())
    quote = lambda v: "'%s'" % v if v else "NULL"   # noqa: E731
    sql = ["BEGIN;"] + [TICKET_ROW % (GROUP, method, text, now, t, quote(link), quote(edit))
                        for t, method, text, link, edit in rows] + ["COMMIT;"]
    subprocess.run(["sqlite3", d.db], input="\n".join(sql), text=True, check=True)


def wait_drained(d, timeout=30):
    end = time.time() + timeout
    while d.sql("select count(*) from outbox where state = 'pending'") != "0":
        if time.time() > end:
            raise AssertionError("the outbox did not drain: %s pending"
                                 % d.sql("select count(*) from outbox where state = 'pending'"))
        time.sleep(0.1)


class InFlight(unittest.TestCase):
    def desk(self, **kw):
        d = Desk(delay_ms=DELAY_MS, jitter_ms=10, **kw)
        self.addCleanup(d.close)
        d.setup_chain()
        d.start()
        return d

    def test_two_messages_to_one_chat_arrive_in_order_while_fifty_other_chats_are_served(self):
        d = self.desk(group_limit=600, chat_rate=10, extra_config=FAST_CHATS)
        others = groups(d, 50)
        chat = groups(d, 1, first=-4000000)[0]
        d.control("latency", {"ms": DELAY_MS, "jitter_ms": 10})   # forget the set-up's calls
        t = time.time()
        queue(d, [(others[0], "o0"), (chat, "первое")] + [(g, "o") for g in others[1:]]
              + [(chat, "второе")] + [(g, "p") for g in others])
        wait_drained(d)
        print("\n102 messages over 150 ms each delivered in %.1f s" % (time.time() - t),
              file=sys.stderr)
        self.assertEqual([m["text"] for m in d.history(chat, deleted=False)], ["первое", "второе"])
        st = d.control("stats")
        # Several calls were in flight at once, never two for one chat.
        self.assertGreaterEqual(st["max_in_flight"], 3, st)
        self.assertEqual(st["max_in_flight_per_chat"], 1, st)
        self.assertEqual(st["errors429"], 0)

    def test_a_long_text_split_in_parts_stays_in_order_while_other_chats_are_served(self):
        d = self.desk(group_limit=600, chat_rate=10, extra_config=FAST_CHATS)
        others = groups(d, 50)
        chat = groups(d, 1, first=-4000000)[0]
        d.control("latency", {"ms": DELAY_MS, "jitter_ms": 10})
        words = " ".join("слово%04d" % i for i in range(1000))   # ~10,000 characters
        queue(d, [(g, "o") for g in others[:25]])
        queue_long(d, chat, words)
        queue(d, [(chat, "после")] + [(g, "o") for g in others[25:]])
        wait_drained(d)
        got = [m["text"] for m in d.history(chat, deleted=False)]
        self.assertGreaterEqual(len(got), 4, got)
        self.assertEqual(got[-1], "после")
        self.assertEqual(" ".join(p.strip() for p in got[:-1]).split(), words.split())
        st = d.control("stats")
        self.assertGreaterEqual(st["max_in_flight"], 3, st)
        self.assertEqual(st["max_in_flight_per_chat"], 1, st)

    def test_two_tickets_relay_into_the_group_at_once_each_in_its_own_order(self):
        d = self.desk(limits=False, extra_config="chat_rate = 1000\ngroup_rate = 6000\n"
                                                 "global_rate = 1000\n")
        d.register()
        d.another_cashier_joins(5002, "Борис")
        d.wait_text(5002, "вы подключены")
        d.cashier_says("Касса 1 не печатает чек")
        d.says(5002, "Борис", "Касса 2 не печатает чек")
        d.wait_text(GROUP, "Касса 2")
        d.settled()
        tickets = [int(t) for t in d.sql("select id from tickets order by id").split()]
        self.assertEqual(len(tickets), 2)
        since = d.control("calls")["last_seq"]
        # Each ticket: a new card, eight relays, the card's edit; the tickets' rows alternate.
        rows = []
        for t in tickets:
            rows.append((t, "sendMessage", "карточка %d" % t, "card", None))
        for i in range(8):
            for t in tickets:
                rows.append((t, "sendMessage", "%d: реплика %d" % (t, i), "relay", None))
        for t in tickets:
            rows.append((t, "editMessageText", "карточка %d, взята" % t, None, "card"))
        queue_for_tickets(d, rows)
        wait_drained(d)
        group = [m for m in d.history(GROUP, deleted=False) if m["message_id"] > 0]
        for t in tickets:
            own = [m["text"] for m in group if m["text"].startswith(("карточка %d" % t, "%d: " % t))]
            # The card first, then its relays in order; the edit changed this card, not the old one.
            self.assertEqual(own, ["карточка %d, взята" % t] + ["%d: реплика %d" % (t, i)
                                                                 for i in range(8)], own)
        # The two tickets' relays were on their way to the group at the same time.
        calls = [c for c in d.control("calls", query="?since=%d" % since)["calls"]
                 if c["chat_id"] == GROUP]
        overlapping = max(sum(1 for o in calls if o["at"] <= c["at"] < o["answered_at"])
                          for c in calls)
        print("\n%d calls into the group, at most %d on their way at once"
              % (len(calls), overlapping), file=sys.stderr)
        self.assertGreaterEqual(overlapping, 2, calls)
        self.assertEqual(d.sql("select count(*) from outbox where state = 'failed'"), "0")

    def test_a_429_with_many_calls_in_flight_stops_every_call_then_everything_goes_once(self):
        retry_after = 3
        d = self.desk(limits=False, extra_config="chat_rate = 1000\ngroup_rate = 6000\n"
                                                 "global_rate = 1000\n")
        others = groups(d, 40)
        # A first round opens the sender's connections: on a loaded machine
        # the emulator accepting new ones would otherwise decide which calls
        # arrive first, not the sender.
        queue(d, [(g, "m0") for g in others])
        wait_drained(d)
        # A slower network: the calls started before the 429 are still on
        # their way when it comes, however slowly a loaded machine starts them.
        delay_ms = 4 * DELAY_MS
        d.control("latency", {"ms": delay_ms, "jitter_ms": 10})
        # Telegram refuses the next message to one of them with retry_after 3.
        d.control("fault", {"method": "sendMessage", "kind": "429", "chat_id": others[10],
                            "seconds": retry_after})
        since = d.control("calls")["last_seq"]
        queue(d, [(g, "m%d" % i) for i in range(1, 4) for g in others])
        wait_drained(d, timeout=40)
        calls = d.control("calls", query="?since=%d" % since)["calls"]
        flood = next(c for c in calls if c["status"] == 429)
        # Calls were on their way with it: the bot had several in flight.
        # (Those before it alone are no measure: calls started together are
        # answered together, and the 429 may be the first of them to arrive.)
        in_flight = [c for c in calls if c["at"] <= flood["answered_at"] and
                     c["answered_at"] >= flood["at"]
                     and c["seq"] != flood["seq"] and c["method"] != "getUpdates"]
        self.assertGreaterEqual(len(in_flight), 3, in_flight)
        # The 429's answer reaches the bot in half a round trip; a call that
        # left just before needs half a round trip to arrive: after that, nothing
        # arrives until retry_after has passed.
        settle = delay_ms / 1000 + 0.1
        during = [c for c in calls if flood["answered_at"] + settle < c["at"] < flood["at"] + retry_after
                  and c["method"] != "getUpdates"]
        self.assertEqual(during, [])
        after = [c for c in calls if c["at"] >= flood["at"] + retry_after]
        self.assertTrue(after)
        print("\n%d calls in flight when the 429 came; the next call arrived %.2f s after it"
              % (len(in_flight), min(c["at"] for c in after) - flood["at"]), file=sys.stderr)
        for g in others:
            self.assertEqual([m["text"] for m in d.history(g, deleted=False)],
                             ["m0", "m1", "m2", "m3"], g)

    def test_kill_9_with_calls_in_flight_loses_nothing_and_the_card_never_stays_twice(self):
        d = self.desk(group_limit=600, chat_rate=10,
                      extra_config=FAST_CHATS + "max_in_flight = 8\n")
        d.control("latency", {"ms": 0, "jitter_ms": 0})
        d.register()
        d.control("latency", {"ms": DELAY_MS * 2, "jitter_ms": 10})
        others = groups(d, 40)
        # The card's call reaches Telegram at once; its answer is held.
        d.control("fault", {"method": "sendMessage", "kind": "hold", "apply": True,
                            "chat_id": GROUP})
        d.cashier_says("Касса не печатает чек")
        end = time.time() + 15
        while not [m for m in d.sent(GROUP) if "Заявка №1" in m["text"]] and time.time() < end:
            time.sleep(0.02)
        # Telegram has the card; the bot does not know yet. Other chats' calls leave meanwhile.
        queue(d, [(g, "m%d" % i) for i in range(3) for g in others])
        seen = time.time()
        while d.control("stats")["in_flight"] < 6 and time.time() < seen + 2:
            time.sleep(0.01)
        serving = d.control("stats")["in_flight"]
        d.daemon.send_signal(signal.SIGKILL)
        d.daemon.wait(10)
        d.control("release", {})
        before = {g: [m["text"] for m in d.history(g, deleted=False)] for g in others}
        d.control("latency", {"ms": DELAY_MS, "jitter_ms": 10})
        d.start()
        wait_drained(d)
        d.wait_text(CASHIER, "Заявка №1")
        end = time.time() + 15      # the probe and the delete
        while time.time() < end and not any(
                "Заявка №1" in m.get("text", "") for m in d.history(GROUP, deleted=True)):
            time.sleep(0.05)
        # Nothing lost, in order; a message sent twice only where its answer was lost.
        doubled = 0
        for g in others:
            got = [m["text"] for m in d.history(g, deleted=False)]
            self.assertEqual(sorted(set(got)), ["m0", "m1", "m2"], (g, got))
            self.assertEqual([t for i, t in enumerate(got) if t not in got[:i]], ["m0", "m1", "m2"])
            self.assertLessEqual(len(got) - 3, 1, (g, got))   # at most one per chat
            doubled += len(got) - 3
        self.assertLessEqual(doubled, 8)   # max_in_flight
        # The card once in the group; its copy from before the crash deleted.
        cards = [m for m in d.history(GROUP, deleted=False) if "Заявка №1" in m["text"]]
        self.assertEqual(len(cards), 1, cards)
        all_cards = [m for m in d.history(GROUP) if "Заявка №1" in m.get("text", "")]
        self.assertEqual(len(all_cards), 2)
        self.assertTrue(all_cards[0]["_deleted"])
        # The ticket's card is the one that stays.
        self.assertEqual(d.sql("select message_id from tg_links where role = 'card'"),
                         str(cards[0]["message_id"]))
        print("\nkill -9 with %d calls being served: %d messages doubled (<= max_in_flight 8,"
              " one per chat), the card's copy deleted" % (serving, doubled), file=sys.stderr)

    def test_a_button_is_answered_at_once_while_two_thousand_cards_wait(self):
        d = self.desk()
        # A person the bot does not know writes, and presses a button under its answer.
        d.says(7001, "Гость", "здравствуйте")
        hello = d.wait_for(7001, lambda m: True, what="the bot's answer")
        waiting = groups(d, 100)
        queue(d, [(g, "card %d" % i) for i in range(20) for g in waiting])
        time.sleep(1)
        t = time.time()
        qid = d.press(7001, 7001, hello["message_id"], "x:1")["callback_query_id"]
        end = time.time() + 10
        answered = None
        while answered is None and time.time() < end:
            answered = next((a for a in d.answers()["answers"] if a["callback_query_id"] == qid),
                            None)
            time.sleep(0.02)
        self.assertIsNotNone(answered, "the press was not answered in 10 s")
        waited = answered["answered_at"] - t
        pending = int(d.sql("select count(*) from outbox where state = 'pending'"))
        print("\nanswered %.0f ms after the press, %d cards waiting" % (1000 * waited, pending),
              file=sys.stderr)
        self.assertGreater(pending, 1500)
        self.assertLess(waited, DELAY_MS / 1000 + 0.5)


if __name__ == "__main__":
    unittest.main()
