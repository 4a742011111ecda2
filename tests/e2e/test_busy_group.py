"""A busy engineers' group under Telegram's 20 messages a minute, end to
end with the emulator's limits on.

When a cashier writes faster than the group may be posted to, what waits
is merged where it keeps its meaning: the relays of one ticket go as one
message, each piece under its time, in order, nothing lost, nothing twice,
and an engineer's reply to that message reaches the cashier.
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, GROUP, DeskTest  # noqa: E402

WORDS = ["слово-%02d" % i for i in range(30)]


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


if __name__ == "__main__":
    unittest.main()
