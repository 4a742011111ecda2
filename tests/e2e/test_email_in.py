"""E-mail in end to end: the real daemon reads a real IMAP mailbox (Debian's
Dovecot, tests/e2e/imap_harness.py, STARTTLS on a test CA made at run
time), the engineers' chat is the Bot API emulator, and letters out go to
a real SMTP server (aiosmtpd, mail_harness.Mailbox)."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402
from imap_harness import PASSWORD, USER, Imapd  # noqa: E402
from mail_harness import make_certs  # noqa: E402


class Certs(unittest.TestCase):
    """A test CA in a directory of the test's, readable by the daemon's account."""

    def setUp(self):
        self.certs = make_certs(tempfile.mkdtemp(prefix="tilldesk-mailin-"))
        os.chmod(self.certs, 0o755)
        for n in os.listdir(self.certs):
            os.chmod(os.path.join(self.certs, n), 0o644)
        self.addCleanup(__import__("shutil").rmtree, self.certs, True)
        self.addCleanup(os.environ.pop, "TILLDESK_IMAP_PASSWORD", None)

    def imapd(self):
        box = Imapd(certs=self.certs)
        self.addCleanup(box.close)
        box.start()
        return box

    def desk(self, box, imap_extra="", extra=""):
        d = Desk(extra_config=box.config(extra=imap_extra) + "[smtp]\nca_file = %s\n" % os.path.join(
            self.certs, "ca.pem") + extra)
        self.addCleanup(d.close)
        return d


class Doctor(Certs):
    def doctor_line(self, desk):
        out = desk.cli("doctor", check=False).stdout
        lines = [ln for ln in out.splitlines() if "почтовый ящик" in ln]
        self.assertEqual(len(lines), 1, out)
        return lines[0]

    def test_doctor__logs_into_the_mailbox_over_starttls_with_the_private_ca(self):
        box = self.imapd()
        desk = self.desk(box)
        desk.cli("init")
        os.environ["TILLDESK_IMAP_PASSWORD"] = PASSWORD
        line = self.doctor_line(desk)
        self.assertTrue(line.startswith("ok"), line)
        self.assertIn("вход как " + USER, line)

    def test_doctor__a_wrong_password_is_named_without_showing_it(self):
        box = self.imapd()
        desk = self.desk(box)
        desk.cli("init")
        os.environ["TILLDESK_IMAP_PASSWORD"] = "not-the-password"
        line = self.doctor_line(desk)
        self.assertTrue(line.startswith("fail"), line)
        self.assertIn("не принял вход", line)
        self.assertNotIn("not-the-password", line)

    def test_doctor__a_certificate_for_another_host_is_refused(self):
        box = Imapd(certs=self.certs)
        self.addCleanup(box.close)
        # The server shows the certificate the test CA signed for other.example.
        for ext in ("pem", "key"):
            __import__("shutil").copy(os.path.join(self.certs, "other." + ext),
                                      os.path.join(box.dir, "server." + ext))
        box.start()
        desk = self.desk(box)
        desk.cli("init")
        os.environ["TILLDESK_IMAP_PASSWORD"] = PASSWORD
        line = self.doctor_line(desk)
        self.assertTrue(line.startswith("fail"), line)
        self.assertIn("certificate", line)


if __name__ == "__main__":
    unittest.main()
