"""`tilldesk doctor` against the emulator: a good set-up is all ok (exit 0);
each broken one — a wrong token, a group that does not exist, a bot no
longer in the group, a database open to others, a link in place of the WAL,
a wrong bot_username, a typo in the file — fails with the fix to apply."""
import os
import pwd
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, GROUP, Desk  # noqa: E402


class Doctor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = cls.desk = Desk()
        d.setup_chain()
        d.start()  # the daemon has run once: the files are as it leaves them
        d.stop()
        # The service account owns the database, closed to everybody else.
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(d.db, nobody.pw_uid, nobody.pw_gid)
        os.chmod(d.db, 0o600)

    @classmethod
    def tearDownClass(cls):
        cls.desk.close()

    def doctor(self, config=None, env=None):
        r = subprocess.run([BIN, "-c", config or self.desk.cfg, "doctor"], capture_output=True,
                           text=True, env=dict(os.environ, TILLDESK_CONFIG="", **(env or {})))
        return r.returncode, r.stdout

    def config_with(self, old, new):
        """A copy of the desk's config with one line changed."""
        with open(self.desk.cfg) as f:
            text = f.read()
        self.assertIn(old, text)
        path = self.desk.cfg + ".variant"
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        return path

    def assertFails(self, out, *needles):
        lines = [l for l in out.split("\n") if l.startswith("fail")]
        for n in needles:
            self.assertTrue(any(n in l for l in lines), "no fail line with %r in:\n%s" % (n, out))

    def test_a_good_setup_is_all_ok(self):
        rc, out = self.doctor()
        self.assertEqual(rc, 0, out)
        self.assertNotIn("fail", out)
        self.assertNotIn("warn", out)
        for needle in ("конфигурация: " + self.desk.cfg, "права " + self.desk.db + ": 0600",
                       "целостность (PRAGMA quick_check): ok", "схема: версия",
                       "токен: бот @tilldesk_emu_bot", "telegram.bot_username: @tilldesk_emu_bot",
                       "чат инженеров: «Инженеры» (group), бот в нём: member", "Всё в порядке."):
            self.assertIn(needle, out)

    def test_a_wrong_token_is_refused_with_401_and_says_where_the_token_comes_from(self):
        rc, out = self.doctor(env={"TILLDESK_TELEGRAM_TOKEN": "4242:wrong"})
        self.assertEqual(rc, 1)
        self.assertFails(out, "Telegram не принимает токен (401 Unauthorized)",
                         "проверьте telegram.token или TILLDESK_TELEGRAM_TOKEN")
        self.assertIn("warn  чат инженеров не проверен", out)
        self.assertNotIn("4242:wrong", out)

    def test_a_missing_group_says_to_add_the_bot_and_check_the_id(self):
        cfg = self.config_with("engineers_chat = %d" % GROUP, "engineers_chat = -1009999")
        rc, out = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertFails(out, "чат инженеров -1009999 не найден (Bad Request: chat not found)",
                         "добавьте бота в группу и проверьте telegram.engineers_chat")

    def test_each_routed_groups_chat_is_checked_too(self):
        self.desk.control("group", {"id": -1005555, "title": "Фискальщики", "type": "group"})
        cfg = self.config_with("bot_username = tilldesk_emu_bot\n", "bot_username = tilldesk_emu_bot\n"
                               "[routing]\nfiscal = -1005555\nnetwork = -1009998\n")
        rc, out = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertIn("ok    чат инженеров routing.fiscal: «Фискальщики» (group), бот в нём: member", out)
        self.assertIn("чат инженеров: «Инженеры» (group), бот в нём: member", out)
        self.assertFails(out, "чат инженеров -1009998 не найден (Bad Request: chat not found)",
                         "добавьте бота в группу и проверьте routing.network")

    def test_a_bot_removed_from_the_group_is_told_to_be_added_again(self):
        self.desk.control("kick", {"chat_id": GROUP})
        try:
            rc, out = self.doctor()
        finally:
            self.desk.control("kick", {"chat_id": GROUP, "kicked": False})
        self.assertEqual(rc, 1)
        self.assertFails(out, "бота нет в группе «Инженеры» (kicked) — добавьте бота в группу снова")

    def test_a_private_chat_as_the_engineers_chat_is_refused(self):
        self.desk.cashier_says("привет")  # the emulator now knows the cashier's private chat
        cfg = self.config_with("engineers_chat = %d" % GROUP, "engineers_chat = 5001")
        rc, out = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertFails(out, "чат 5001 — private, а не группа")

    def test_a_wrong_bot_username_is_named(self):
        cfg = self.config_with("bot_username = tilldesk_emu_bot", "bot_username = other_bot")
        rc, out = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertFails(out, "telegram.bot_username = «other_bot», а токен принадлежит @tilldesk_emu_bot")

    def test_a_database_readable_by_others_is_told_to_chmod_600(self):
        db = self.desk.db
        os.chmod(db, 0o644)
        try:
            rc, out = self.doctor()
        finally:
            os.chmod(db, 0o600)
        self.assertEqual(rc, 1)
        self.assertFails(out, "%s: права 0644" % db, "chmod 600 %s" % db)

    def test_a_database_of_another_owner_is_told_to_chown(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to give the file away")
        db = self.desk.db
        os.chown(db, 0, 0)
        try:
            rc, out = self.doctor()
        finally:
            nobody = pwd.getpwnam("nobody")
            os.chown(db, nobody.pw_uid, nobody.pw_gid)
        self.assertEqual(rc, 1)
        self.assertFails(out, "%s принадлежит root, а не учётной записи службы nobody" % db,
                         "chown nobody: %s" % db)

    def test_a_link_in_place_of_the_wal_is_refused(self):
        wal = self.desk.db + "-wal"
        os.symlink("/etc/passwd", wal)
        try:
            rc, out = self.doctor()
        finally:
            os.unlink(wal)
        self.assertEqual(rc, 1)
        self.assertFails(out, "%s — символическая ссылка" % wal)
        self.assertNotIn("целостность", out)  # nothing is opened through the link

    def test_a_typo_in_the_config_is_one_of_the_findings(self):
        cfg = self.config_with("engineers_chat", "engineers_chta")
        rc, out = self.doctor(cfg)
        self.assertEqual(rc, 1)
        self.assertFails(out, "unknown key 'engineers_chta' in [telegram]", "исправьте файл")


if __name__ == "__main__":
    unittest.main(verbosity=2)
