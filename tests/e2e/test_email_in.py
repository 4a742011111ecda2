"""E-mail in end to end: the real daemon reads a real IMAP mailbox (Debian's
Dovecot, tests/e2e/imap_harness.py, STARTTLS on a test CA made at run
time), the engineers' chat is the Bot API emulator, and letters out go to
a real SMTP server (aiosmtpd, mail_harness.Mailbox)."""
import atexit
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest
from email.message import EmailMessage
from email.utils import make_msgid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ENGINEER, GROUP, Desk  # noqa: E402
from imap_harness import PASSWORD, USER, Imapd  # noqa: E402
from mail_harness import PASSWORD as SMTP_PASSWORD, Mailbox, mail_config, make_certs, sql_as_owner  # noqa: E402

SHOP = "shop@romashka.example"


def letter(subject, text, frm=SHOP, charset="utf-8", headers=(), files=()):
    """A letter as a mail client writes it (bytes): text in charset, files [(name, mime, bytes)]."""
    m = EmailMessage()
    m["From"] = "Магазин на Ленина <%s>" % frm
    m["To"] = "Служба поддержки <%s>" % USER
    m["Subject"] = subject
    m["Message-ID"] = make_msgid(domain="romashka.example")
    m["Date"] = "Thu, 26 Nov 2026 09:00:00 +0300"
    for k, v in headers:
        m[k] = v
    m.set_content(text, charset=charset)
    for name, mime, data in files:
        main, sub = mime.split("/")
        m.add_attachment(data, maintype=main, subtype=sub, filename=name)
    return m.as_bytes()


_certs = []


def test_ca():
    """A test CA and its certificates (make_certs), made once for the file's tests, readable by
    the daemon's and Dovecot's account, removed at exit."""
    if not _certs:
        d = make_certs(tempfile.mkdtemp(prefix="tilldesk-mailin-"))
        os.chmod(d, 0o755)
        for n in os.listdir(d):
            os.chmod(os.path.join(d, n), 0o644)
        atexit.register(shutil.rmtree, d, True)
        _certs.append(d)
    return _certs[0]


class Certs(unittest.TestCase):
    """Tests with a test CA (smtp.ca_file trusts it)."""

    def setUp(self):
        self.certs = test_ca()
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
            shutil.copy(os.path.join(self.certs, "other." + ext),
                                      os.path.join(box.dir, "server." + ext))
        box.start()
        desk = self.desk(box)
        desk.cli("init")
        os.environ["TILLDESK_IMAP_PASSWORD"] = PASSWORD
        line = self.doctor_line(desk)
        self.assertTrue(line.startswith("fail"), line)
        self.assertIn("certificate", line)


class EmailIn(Certs):
    """Dovecot, aiosmtpd and the daemon reading the mailbox every second;
    the store Ромашка на Ленина writes from SHOP."""
    poll = "1s"
    imap_extra = ""

    def setUp(self):
        super().setUp()
        self.box = self.imapd()
        self.smtp = Mailbox(self.certs)
        self.smtp.start()
        self.addCleanup(self.smtp.stop)
        os.environ["TILLDESK_IMAP_PASSWORD"] = PASSWORD
        os.environ["TILLDESK_SMTP_PASSWORD"] = SMTP_PASSWORD
        self.addCleanup(os.environ.pop, "TILLDESK_SMTP_PASSWORD", None)
        self.d = Desk(extra_config=self.box.config(poll=self.poll, extra=self.imap_extra) + mail_config(self.smtp))
        self.addCleanup(self.d.close)
        self.d.setup_chain()
        self.d.cli("org", "owner", "set", "Ромашка", "owner@romashka.example", "--digest", "off")
        self.d.cli("store", "set", "Ромашка на Ленина", "--email", SHOP)

    # ---- helpers
    def taken(self):
        return int(self.d.sql("SELECT count(*) FROM mail_in"))

    def wait_taken(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if self.taken() >= n:
                return
            time.sleep(0.1)
        self.fail("%d letters taken, not %d" % (self.taken(), n))

    def outcomes(self):
        return self.d.sql("SELECT group_concat(outcome, ' ') FROM (SELECT outcome FROM mail_in ORDER BY uid)")


class Intake(EmailIn):
    def test_a_letter_full_of_imap_answers_is_taken_whole_and_once(self):
        d = self.d
        lines = ["A001 OK", "A005 OK LOGIN completed", "* 3 FETCH (UID 3 BODY[] {12}", "T3 OK done",
                 "T4 OK", ")", "{999999}", "* BYE", "Касса не печатает чек, последняя строка."]
        self.box.deliver(letter("Касса не печатает", "\n".join(lines) + "\n"))
        d.start()
        card = d.wait_text(GROUP, "последняя строка", timeout=20)
        for ln in lines[:-1]:
            self.assertIn(ln.replace("<", "&lt;"), card["text"])
        self.wait_seen([1])
        d.settled()
        self.assertEqual(self.taken(), 1)
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "1")
        # The session stayed in step: the next letter is taken too.
        self.box.deliver(letter("Ещё одно", "Сканер молчит.\n"))
        d.wait_text(GROUP, "Сканер молчит", timeout=20)
        self.assertEqual(self.taken(), 2)

    def wait_seen(self, uids, timeout=20):
        end = time.time() + timeout
        while time.time() < end and self.box.seen() != uids:
            time.sleep(0.1)
        self.assertEqual(self.box.seen(), uids)

    def three_letters_killed_at(self, hook):
        """Three letters waiting; the daemon started with the test hook that
        kills it (SIGKILL) at letter 2, and seen killed."""
        d = self.d
        for i in range(3):
            self.box.deliver(letter("Заявка %d" % i, "Не работает касса номер %d.\n" % i))
        os.environ[hook] = "2"
        try:
            try:
                d.start()
            except AssertionError:
                pass  # killed before it said it polls
            self.assertEqual(d.daemon.wait(20), -9)
        finally:
            os.environ.pop(hook, None)
        d.daemon = None

    def test_kill_9_between_fetch_and_commit_takes_each_letter_once_and_seen_only_after(self):
        d = self.d
        # The hook kills the daemon after letter 2 was taken, before the batch commits.
        self.three_letters_killed_at("TILLDESK_TEST_INTAKE_KILL")
        # Nothing committed, so nothing marked read.
        self.assertEqual(self.taken(), 0)
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")
        self.assertEqual(self.box.seen(), [])
        d.start()
        self.wait_taken(3)
        self.wait_seen([1, 2, 3])
        d.settled()
        self.assertEqual(self.taken(), 3)
        self.assertEqual(d.sql("SELECT count(DISTINCT uid) FROM mail_in"), "3")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "3")
        self.assertEqual(d.sql("SELECT last_uid FROM mailbox_state"), "3")

    def test_kill_9_between_commit_and_seen_marks_them_read_on_restart_and_takes_none_again(self):
        d = self.d
        self.three_letters_killed_at("TILLDESK_TEST_INTAKE_KILL_SEEN")
        # Taken and committed, but the crash came before \Seen.
        self.assertEqual(self.taken(), 3)
        self.assertEqual(self.box.seen(), [])
        d.start()
        self.wait_seen([1, 2, 3])
        d.settled()
        self.assertEqual(self.taken(), 3)
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "3")

    def test_a_letter_that_cannot_be_taken_is_set_aside_and_holds_back_no_other(self):
        d = self.d
        for i in range(5):
            self.box.deliver(letter("Заявка %d" % i, "Не работает касса номер %d.\n" % i))
        # Taking letter 3 fails every time, as a defect would make it.
        os.environ["TILLDESK_TEST_INTAKE_FAIL"] = "3"
        try:
            d.start()
        finally:
            os.environ.pop("TILLDESK_TEST_INTAKE_FAIL", None)
        self.wait_taken(5, timeout=30)
        self.wait_seen([1, 2, 3, 4, 5])
        d.settled()
        self.assertEqual(self.outcomes(), "opened opened set_aside opened opened")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "4")
        self.assertEqual(d.sql("SELECT last_uid FROM mailbox_state"), "5")
        with open(os.path.join(d.dir, "serve.log"), encoding="utf-8", errors="replace") as f:
            self.assertIn("could not be taken in 3 passes: set aside", f.read())

    def test_a_new_mailbox_is_read_from_its_unseen_letters(self):
        d = self.d
        self.box.deliver(letter("Старое", "Прочитано давно.\n"), seen=True)
        self.box.deliver(letter("Новое", "Касса не печатает.\n"))
        d.start()
        self.wait_taken(1)
        self.wait_seen([1, 2])
        self.assertEqual(d.sql("SELECT uid FROM mail_in"), "2")
        self.assertEqual(d.sql("SELECT last_uid FROM mailbox_state"), "2")

    def test_a_renumbered_mailbox_is_read_again_from_its_unseen_letters_only(self):
        d = self.d
        self.box.deliver(letter("Первое", "Касса не печатает.\n"))
        self.box.deliver(letter("Второе", "Сканер молчит.\n"))
        d.start()
        self.wait_taken(2)
        self.wait_seen([1, 2])
        validity = d.sql("SELECT uidvalidity FROM mailbox_state")
        d.stop()
        self.box.stop()
        self.box.renumber()
        self.box.deliver(letter("Третье", "Весы не взвешивают.\n"))
        self.box.start()
        d.start()
        self.wait_taken(3)
        self.wait_seen([1, 2, 3])
        time.sleep(1.5)  # a pass more: the two read letters are still not taken again
        self.assertEqual(self.taken(), 3)
        self.assertNotEqual(d.sql("SELECT uidvalidity FROM mailbox_state"), validity)
        self.assertEqual(d.sql("SELECT count(*) FROM mail_in WHERE uidvalidity = (SELECT uidvalidity"
                               " FROM mailbox_state)"), "1")

    def test_mail_fetch_makes_one_pass_and_counts_what_it_took(self):
        d = self.d
        d.cli("init")
        self.box.deliver(letter("Не печатает чек", "Касса не печатает чек.\n"))
        self.box.deliver(letter("Автоответ", "Я в отпуске.\n", headers=[("Auto-Submitted", "auto-replied")]))
        out = d.cli("mail", "fetch").stdout
        self.assertIn("Писем разобрано: 2 (новых заявок 1,", out)
        self.assertIn("автоматических 1,", out)
        self.assertEqual(self.box.seen(), [1, 2])
        out = d.cli("mail", "fetch").stdout
        self.assertIn("Писем разобрано: 0 ", out)
        self.assertEqual(self.taken(), 2)

    def test_sigterm_stops_the_daemon_promptly_while_the_server_hangs(self):
        d = self.d
        self.box.deliver(letter("Не печатает чек", "Касса не печатает чек.\n"))
        d.start()
        self.wait_taken(1)
        # The server freezes: the next pass waits for an answer that does not come.
        os.killpg(self.box.proc.pid, signal.SIGSTOP)
        self.addCleanup(os.killpg, self.box.proc.pid, signal.SIGCONT)
        time.sleep(2.5)
        t = time.time()
        d.stop()
        self.assertLess(time.time() - t, 2.0)


class Conversation(EmailIn):
    def test_a_windows_1251_letter_with_a_file_opens_a_ticket_whose_card_shows_both(self):
        d = self.d
        d.start()
        self.box.deliver(letter("Не печатает чек", "Добрый день! Касса №2 не печатает чек, ошибка ФН 235.\n",
                                charset="windows-1251",
                                files=[("ошибка кассы.txt", "text/plain", "Ошибка 235: ФН переполнен\n".encode())]))
        card = d.wait_text(GROUP, "Касса №2 не печатает чек, ошибка ФН 235", timeout=20)
        self.assertIn("Ромашка на Ленина", card["text"])
        doc = d.wait_for(GROUP, lambda m: m["kind"] == "document", timeout=20, what="the file")
        self.assertEqual(doc["message"]["document"]["file_name"], "ошибка кассы.txt")
        self.wait_taken(1)
        self.assertEqual(self.outcomes(), "opened")

    def test_a_reply_with_the_ticket_number_joins_the_ticket(self):
        d = self.d
        d.start()
        self.box.deliver(letter("Не работает сканер", "Сканер штрихкодов молчит.\n"))
        d.wait_text(GROUP, "Сканер штрихкодов молчит", timeout=20)
        self.box.deliver(letter("Re: [№1] Не работает сканер", "Перезагрузили — не помогло.\n"))
        d.wait_text(GROUP, "Перезагрузили — не помогло", timeout=20)
        self.wait_taken(2)
        self.assertEqual(self.outcomes(), "opened joined")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "1")

    def test_an_engineers_reply_goes_back_by_e_mail_in_the_same_thread(self):
        d = self.d
        d.start()
        d.register()
        first = letter("Не печатает чек", "Касса не печатает чек.\n")
        self.box.deliver(first)
        card = d.wait_text(GROUP, "Касса не печатает чек", timeout=20)
        d.press(ENGINEER, GROUP, card["message_id"], "c:1")
        d.wait_for(GROUP, lambda m: m["message_id"] == card["message_id"] and "в работе" in m["text"],
                   what="claimed card")
        d.engineer_says("Проверьте бумагу в принтере, пожалуйста", reply_to=card["message_id"])
        import email
        import email.policy
        msg_id = email.message_from_bytes(first, policy=email.policy.default)["Message-ID"]
        end = time.time() + 20
        while time.time() < end:
            got = [m for to, m in self.smtp.messages() if SHOP in to and "бумагу" in m.get_body().get_content()]
            if got:
                break
            time.sleep(0.2)
        self.assertTrue(got, [m["Subject"] for _, m in self.smtp.messages()])
        m = got[0]
        self.assertIn("[№1]", m["Subject"])
        self.assertIn(msg_id, m["References"] or "")
        self.assertTrue(m["In-Reply-To"])

    def test_an_auto_reply_and_a_bounce_get_no_answer_and_no_ticket(self):
        d = self.d
        d.start()
        self.box.deliver(letter("Автоответ: Не печатает чек", "Я в отпуске до понедельника.\n",
                                headers=[("Auto-Submitted", "auto-replied")]))
        self.box.deliver(letter("Undelivered Mail Returned to Sender", "This is the mail system.\n",
                                frm="MAILER-DAEMON@romashka.example"))
        self.wait_taken(2)
        self.wait_seen_all(2)
        d.settled()
        self.assertEqual(self.outcomes(), "loop loop")
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")
        self.assertEqual(d.sql("SELECT count(*) FROM letters"), "0")
        self.assertEqual([m for m in d.sent(GROUP)], [])

    def wait_seen_all(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end and len(self.box.seen()) < n:
            time.sleep(0.1)
        self.assertEqual(len(self.box.seen()), n)


class Flood(EmailIn):
    imap_extra = "per_sender_hour = 3\n"

    def test_a_flood_from_one_address_is_capped(self):
        d = self.d
        for i in range(8):
            self.box.deliver(letter("Письмо %d" % i, "Касса %d не работает.\n" % i))
        d.start()
        self.wait_taken(8)
        d.settled()
        outcomes = self.outcomes().split()
        # The first three in UID order are taken as usual, the five after them capped.
        self.assertEqual(outcomes[3:], ["capped"] * 5, outcomes)
        self.assertNotIn("capped", outcomes[:3])
        self.assertLessEqual(int(d.sql("SELECT count(*) FROM tickets")), 3)


class Backlog(EmailIn):
    poll = "1h"
    imap_extra = "per_sender_hour = 10000\n"

    def test_a_letter_that_comes_during_a_long_pass_is_taken_without_waiting_a_poll(self):
        d = self.d
        for i in range(1000):
            self.box.deliver(letter("Заявка %d" % i, "Касса %d не работает.\n" % i))
        d.start()
        self.wait_taken(50, timeout=60)
        self.assertLess(self.taken(), 1000)
        self.box.deliver(letter("Опоздавшее", "Пришло, пока разбирались остальные.\n"))
        # Not an hour later: the pass that took letters is followed by another at once.
        self.wait_taken(1001, timeout=120)
        self.assertEqual(d.sql("SELECT last_uid FROM mailbox_state"), "1001")


class Oversize(EmailIn):
    imap_extra = "max_letter = 4096\n"

    def test_a_letter_over_max_letter_is_read_by_its_header_and_refused_politely(self):
        d = self.d
        d.start()
        self.box.deliver(letter("Фото чека", "Во вложении фото.\n",
                                files=[("чек.jpg", "image/jpeg", os.urandom(64 << 10))]))
        self.wait_taken(1)
        self.assertEqual(self.outcomes(), "oversize")
        self.assertLess(int(d.sql("SELECT size FROM mail_in")), 100 << 10)
        self.assertGreater(int(d.sql("SELECT size FROM mail_in")), 64 << 10)
        answer = self.smtp.wait_count(1)[0]
        self.assertIn(SHOP, answer[0])
        self.assertEqual(d.sql("SELECT count(*) FROM tickets"), "0")
        self.assertEqual(self.box.seen(), [1])


if __name__ == "__main__":
    unittest.main()
