#!/usr/bin/env python3
"""An engineer who blocked the bot, found out by the 403 of a merged
message in his private chat: every word that message held goes to the
group at once, in the order the cashier wrote it, and the bot does not
knock on the blocked chat again for each of them.
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, DeskTest  # noqa: E402

WORD = re.compile(r"t(\d+)w(\d+)x")


def visible(d, chat):
    return [m for m in d.control("history", query="?chat_id=%d" % chat)["messages"]
            if m["_by_bot"] and not m["_deleted"]]


def words(msgs):
    return [(int(u), int(k)) for m in msgs for u, k in WORD.findall(m.get("text", ""))]


def refused(d):
    return [c for c in d.control("calls")["calls"]
            if c["status"] == 403 and str(c["chat_id"]) == str(ENGINEER)]


class Blocked(DeskTest):
    def test_a_merged_message_refused_by_a_blocked_engineer_goes_to_the_group_whole_and_in_order(self):
        d = self.desk
        d.cashier_says("Касса не печатает чек")
        card = d.wait_text(GROUP, "Заявка №1")
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_text(CASHIER, "взял инженер Иван")
        d.settled()
        # The first word flies (answered 2 s late); the next three wait behind it, together.
        d.control("fault", {"method": "sendMessage", "kind": "delay", "seconds": 2,
                            "apply": True, "chat_id": ENGINEER})
        d.cashier_says("t%dw0x" % CASHIER)
        d.wait_text(ENGINEER, "t%dw0x" % CASHIER)
        for k in range(1, 4):
            d.cashier_says("t%dw%dx" % (CASHIER, k))
        # Ivan blocks the bot meanwhile; the bot learns it from the 403 alone.
        d.control("block", {"user_id": ENGINEER, "blocked": True, "emit": False})
        end = time.time() + 20
        while time.time() < end and not refused(d):
            time.sleep(0.05)
        self.assertTrue(refused(d))
        # Anna goes on writing: the group has her words now.
        d.cashier_says("t%dw4x" % CASHIER)
        d.wait_text(GROUP, "t%dw4x" % CASHIER)
        d.settled(30)
        time.sleep(3)
        d.settled(30)
        self.assertEqual(words(visible(d, GROUP)), [(CASHIER, k) for k in range(1, 5)])
        self.assertEqual(len(refused(d)), 1, refused(d))


if __name__ == "__main__":
    unittest.main()
