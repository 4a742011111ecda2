"""One update that cannot be handled must not hold back every chat: the real
daemon against the emulator. The fault is injected from outside the code, in
the database: a trigger refuses any ticket whose title says POISON, as a bug
or a bad row would refuse one particular message."""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CASHIER, ENGINEER, GROUP, TOKEN, Desk  # noqa: E402

BORIS = 5002
POISON = ("CREATE TRIGGER poison BEFORE INSERT ON tickets WHEN NEW.title LIKE '%POISON%'"
          " BEGIN SELECT RAISE(ABORT, 'injected fault'); END")


class FailedUpdates(unittest.TestCase):
    def setUp(self):
        self.desk = Desk(limits=False)
        self.desk.setup_chain()
        self.desk.start()
        self.desk.register()
        code = self.desk.invite("cashier")
        self.desk.says(BORIS, "Борис", "/start " + code)
        self.desk.wait_text(BORIS, "вы подключены")

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


if __name__ == "__main__":
    unittest.main()
