"""A busy engineers' group under Telegram's 20 messages a minute, end to
end with the emulator's limits on.

When a cashier writes faster than the group may be posted to, what waits
is merged where it keeps its meaning: the relays of one ticket go as one
message, each piece under its time, in order, nothing lost, nothing twice,
and an engineer's reply to that message reaches the cashier.

With several groups ([routing]) each group has its own 20 a minute, and
the global 30 a second is shared: a group with a long backlog neither
holds back another group nor the people's private chats.
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, GROUP, DeskTest  # noqa: E402

WORDS = ["слово-%02d" % i for i in range(30)]
OTHER_GROUP = -1005555
PEOPLE = [8000 + i for i in range(40)]
REPLY_LANE = 1


def rows(chats, n, tag, lane=0):
    """n plain rows for each of chats, queued in turns as a burst would
    queue them."""
    return ("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d),"
            " c(chat) AS (VALUES %s)"
            " INSERT INTO outbox(channel, chat_id, method, payload, created_at, lane)"
            " SELECT 'telegram', chat, 'sendMessage', json_object('text', '%s ' || i),"
            " strftime('%%s', 'now'), %d FROM n, c ORDER BY i, chat;"
            % (n - 1, ", ".join("(%d)" % c for c in chats), tag, lane))


class BusyGroup(DeskTest):
    def no_429(self):
        self.assertEqual([c for c in self.desk.control("calls")["calls"] if c["status"] == 429], [])

    def relays(self):
        return [m for m in self.desk.sent(GROUP) if m["text"].startswith("💬 №1, кассир Анна")]

    def test_thirty_messages_of_one_cashier_reach_the_group_as_a_few_messages_in_order(self):
        d = self.desk
        d.cashier_says("Касса не печатает чеки")
        d.wait_text(GROUP, "Касса не печатает чеки")
        for w in WORDS:
            d.cashier_says(w)
        # At 20 a minute one by one they would take a minute and a half.
        end = time.time() + 25
        while time.time() < end and not all(any(w in m["text"] for m in self.relays()) for w in WORDS):
            time.sleep(0.2)
        d.settled()
        relays = self.relays()
        text = "\n".join(m["text"] for m in relays)
        self.assertLessEqual(len(relays), 4, [m["text"][:60] for m in relays])
        # Every word once, in the order written, each under its time.
        self.assertEqual(re.findall(r"слово-\d\d", text), WORDS)
        self.assertTrue(all(re.search(r"\d\d:\d\d " + w, text) for w in WORDS[len(WORDS) - 5:]))
        self.no_429()

        # The engineer answers the merged message: the cashier hears it.
        merged = relays[-1]
        d.engineer_says("Перезагрузите кассу", reply_to=merged["message_id"])
        d.wait_text(CASHIER, "Перезагрузите кассу")
        self.no_429()

    def test_a_photo_among_the_words_is_not_merged_and_keeps_its_place(self):
        d = self.desk
        d.cashier_says("Касса не печатает чеки")
        d.wait_text(GROUP, "Касса не печатает чеки")
        for w in ["до-1", "до-2", "до-3"]:
            d.cashier_says(w)
        d.says(CASHIER, "Анна", photo=True, caption="вот экран")
        for w in ["после-1", "после-2", "после-3"]:
            d.cashier_says(w)
        d.settled(40)
        relays = sorted(self.relays(), key=lambda m: m["message_id"])
        kinds = [(m["kind"], re.findall(r"(?:до|после)-\d|вот экран", m["text"])) for m in relays]
        words = [w for _, ws in kinds for w in ws]
        self.assertEqual(words, ["до-1", "до-2", "до-3", "вот экран", "после-1", "после-2", "после-3"])
        photo = [k for k, ws in kinds if "вот экран" in ws]
        self.assertEqual(photo, ["photo"])
        # The words around it went merged: fewer messages than pieces.
        self.assertLess(len(relays), 7, kinds)
        self.no_429()

    def test_a_busy_group_starves_neither_another_group_nor_private_chats(self):
        d = self.desk
        d.control("group", {"id": OTHER_GROUP, "title": "Фискальщики", "type": "group"})
        for uid in PEOPLE:
            d.says(uid, "Гость", "здравствуйте")
        d.settled()
        # The busy group's backlog is the oldest; then people's chats, each
        # with replies to send (a lane above the groups'), more than the
        # global 30 a second can carry: 40 chats at 1 a second each.
        d.sql("BEGIN;" + rows([GROUP], 200, "busy") + rows([OTHER_GROUP], 5, "other") +
              rows(PEOPLE, 30, "private", REPLY_LANE) + "COMMIT;")
        start = time.time()
        # The other group's 5 at its own 20 a minute: under 15 s.
        while time.time() < start + 20 and len(d.sent(OTHER_GROUP)) < 5:
            time.sleep(0.3)
        took = time.time() - start
        self.assertEqual([m["text"] for m in d.sent(OTHER_GROUP)], ["other %d" % i for i in range(5)])
        self.assertLess(took, 16)
        # The busy group goes on at its own pace meanwhile, within its allowance.
        busy = [m for m in d.sent(GROUP) if m["text"].startswith("busy")]
        self.assertGreaterEqual(len(busy), 4)
        # And the people's chats, each in order, none left behind.
        private = {uid: [m["text"] for m in d.sent(uid) if m["text"].startswith("private")]
                   for uid in PEOPLE}
        for uid in PEOPLE:
            self.assertEqual(private[uid], ["private %d" % i for i in range(len(private[uid]))])
        self.assertGreaterEqual(min(len(v) for v in private.values()), 5, private)
        self.no_429()

if __name__ == "__main__":
    unittest.main()
