"""Who touches the database, end to end. Started as root with general.user
set, every command becomes that account before it opens anything: an admin
command run as root next to the daemon leaves no root-owned file behind and
the daemon goes on. Nothing follows a symbolic link planted at the database,
its -wal or a backup's destination; files are 0600; a config file holding
the bot token that others can read is reported.

The root cases need root (the service account is nobody) and say so when
skipped; the others run as anyone."""
import os
import pwd
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, CASHIER, GROUP, Desk  # noqa: E402

ROOT = os.geteuid() == 0
NEEDS_ROOT = "needs root: the service account (nobody) is only taken from root"


def owner(path):
    return pwd.getpwuid(os.lstat(path).st_uid).pw_name


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


class Privileges(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.me = "nobody" if ROOT else pwd.getpwuid(os.geteuid()).pw_name

    def tearDown(self):
        self.desk.close()

    def db_files(self):
        d = self.desk
        return [d.db + s for s in ("", "-wal", "-shm") if os.path.lexists(d.db + s)]

    def assert_all_files_are_the_service_accounts(self):
        for f in self.db_files():
            self.assertEqual(owner(f), self.me, f)

    @unittest.skipUnless(ROOT, NEEDS_ROOT)
    def test_admin_commands_run_as_root_become_the_service_account_and_the_daemon_goes_on(self):
        d = self.desk
        d.setup_chain()
        # A console run as root holds the database open before the daemon
        # starts: the WAL files it creates must already be nobody's.
        chat = subprocess.Popen([BIN, "-c", d.cfg, "chat"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            end = time.time() + 10
            while time.time() < end and not os.path.exists(d.db + "-shm"):
                time.sleep(0.05)
            self.assertTrue(os.path.exists(d.db + "-shm"), "the console did not open the database")
            self.assert_all_files_are_the_service_accounts()

            d.start()
            d.register()
            # The admin, as root, while the daemon runs.
            d.cli("org", "add", "Лютик")
            d.cli("store", "add", "Лютик на Мира", "--org", "Лютик", "--tz", "Europe/Moscow",
                  "--hours", "24/7")
            backup = os.path.join(d.dir, "copy.db")
            d.cli("backup", backup)
            self.assertEqual(owner(backup), "nobody")
            self.assert_all_files_are_the_service_accounts()

            d.cashier_says("Касса не печатает чек")
            d.wait_text(CASHIER, "Заявка №1 принята")
            d.wait_text(GROUP, "Заявка №1")
            self.assertIsNone(d.daemon.poll(), "the daemon died")
            self.assert_all_files_are_the_service_accounts()
        finally:
            chat.stdin.close()
            chat.wait(10)

    @unittest.skipUnless(ROOT, NEEDS_ROOT)
    def test_root_without_general_user_refuses_a_database_of_another_account(self):
        d = self.desk
        d.setup_chain()
        # The same config without general.user: root stays root and finds nobody's files.
        cfg = os.path.join(d.dir, "no-user.ini")
        with open(d.cfg) as f, open(cfg, "w") as g:
            g.write("".join(line for line in f if not line.startswith("user =")))
        r = subprocess.run([BIN, "-c", cfg, "org", "list"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("принадлежит пользователю nobody, а tilldesk работает от имени root", r.stderr)
        self.assert_all_files_are_the_service_accounts()

    def test_database_wal_and_backups_are_readable_by_their_owner_only(self):
        d = self.desk
        d.setup_chain()
        d.start()
        d.register()
        backup = os.path.join(d.dir, "copy.db")
        d.cli("backup", backup)
        for f in self.db_files() + [backup]:
            self.assertEqual(mode(f), 0o600, f)
        self.assertEqual(len(self.db_files()), 3, "the daemon holds the WAL open")

    def test_a_symbolic_link_at_the_database_is_refused_and_its_target_untouched(self):
        d = self.desk
        # An empty file: SQLite would gladly make it a database.
        target = os.path.join(d.dir, "precious")
        open(target, "w").close()
        os.symlink(target, d.db)
        for cmd in (["init"], ["serve"]):
            r = subprocess.run([BIN, "-c", d.cfg] + cmd, capture_output=True, text=True, timeout=20)
            self.assertEqual(r.returncode, 1, cmd)
            self.assertIn(d.db + " — символическая ссылка", r.stderr)
        self.assertEqual(os.path.getsize(target), 0)

    def test_a_symbolic_link_at_the_wal_is_refused_and_its_target_untouched(self):
        d = self.desk
        d.setup_chain()
        target = os.path.join(d.dir, "precious")
        with open(target, "w") as f:
            f.write("root's file\n")
        os.symlink(target, d.db + "-wal")
        r = d.cli("org", "add", "Лютик", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(d.db + "-wal — символическая ссылка", r.stderr)
        with open(target) as f:
            self.assertEqual(f.read(), "root's file\n")

    def test_a_symbolic_link_at_a_backups_destination_is_refused_and_its_target_untouched(self):
        d = self.desk
        d.setup_chain()
        target = os.path.join(d.dir, "precious")
        with open(target, "w") as f:
            f.write("root's file\n")
        dest = os.path.join(d.dir, "copy.db")
        os.symlink(target, dest)
        r = d.cli("backup", dest, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(dest + " — символическая ссылка", r.stderr)
        self.assertTrue(os.path.islink(dest))
        with open(target) as f:
            self.assertEqual(f.read(), "root's file\n")

    def test_a_config_file_holding_the_token_readable_by_others_is_reported(self):
        d = self.desk
        os.chmod(d.cfg, 0o644)
        warning = "хранит секрет (токен бота или пароль SMTP)"
        r = d.cli("config", "check")
        self.assertIn(warning, r.stderr)
        self.assertIn("chmod 600 " + d.cfg, r.stderr)
        d.setup_chain()
        d.start()
        with open(os.path.join(d.dir, "serve.log")) as f:
            self.assertIn(warning, f.read())
        d.stop()

        os.chmod(d.cfg, 0o600)
        self.assertNotIn(warning, d.cli("config", "check").stderr)


if __name__ == "__main__":
    unittest.main()
