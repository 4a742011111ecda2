#!/usr/bin/env python3
"""A ticket claimed from «Новые заявки» sends its whole card to the
engineer's private chat. If the ticket goes back to the queue (the admin
revokes the engineer) before that card left, the card is not the
cashier's words: it must not be handed to the group as one of them.
"""
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, CASHIER, ENGINEER, GROUP, button  # noqa: E402
from test_new_list import Lists, numbers  # noqa: E402


class Requeued(Lists):
    def test_a_private_card_still_waiting_when_its_ticket_is_requeued_does_not_go_to_the_group(self):
        d = self.desk
        self.cashiers_write([OTHERS5[0], CASHIER] + OTHERS5[1:], hold=True)
        d.settled(60)
        _, lists = self.group_now()
        n = self.ticket_of(CASHIER)
        lst = next(m for m in lists if n in numbers(m["text"]))
        whole = lambda: [m["text"][:60] for m in d.sent(GROUP) if "Кассир:" in m["text"]]  # noqa: E731
        before = whole()
        # Ivan's private chat is busy until the ticket is requeued: the bot's
        # answer to his /help is held.
        d.control("fault", {"method": "sendMessage", "kind": "hold", "apply": True,
                            "chat_id": ENGINEER})
        d.says(ENGINEER, "Иван", "/help")
        end = time.time() + 15
        while time.time() < end and not d.sent(ENGINEER):
            time.sleep(0.05)
        self.assertTrue(d.sent(ENGINEER))
        # He takes Anna's ticket from the list: its whole card waits for his chat.
        d.press(ENGINEER, GROUP, lst["message_id"], button(lst, "Взять №%d" % n))
        end = time.time() + 30
        while d.sql("select count(*) from outbox where chat_id = %d and ticket_id = %d"
                    " and state = 'pending'" % (ENGINEER, n)) == "0":
            self.assertLess(time.time(), end, "the whole card did not wait for his chat")
            time.sleep(0.05)
        # The admin revokes him meanwhile: the ticket goes back to the queue.
        r = subprocess.run([BIN, "-c", d.cfg, "person", "disable", "Иван"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        d.wait_text(GROUP, "Заявка №%d снова в очереди" % n)
        d.control("release", {})
        time.sleep(3)
        d.settled(30)
        self.assertEqual(whole(), before, d.sql(
            "select group_concat(id || ':' || chat_id || ':' || coalesce(link_role, '-') || ':' || state, ' ')"
            " from outbox where ticket_id = %d" % n))


OTHERS5 = [7100 + i for i in range(5)]

if __name__ == "__main__":
    unittest.main()
