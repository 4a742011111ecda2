"""E-mail out end to end: the daemon delivers letters to a real SMTP server
(Debian's aiosmtpd, STARTTLS on a test CA's certificate, AUTH), and what
arrives reads right in Python's email package; refusals, a server away,
a server in the clear, a certificate not to trust and a kill -9 lose
nothing and send nothing twice but what SMTP cannot rule out."""
import os
import re
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402
from mail_harness import PASSWORD, Mailbox, mail_config, make_certs, queue_sql, sql_as_owner  # noqa: E402

OLGA = ("Ольга Петрова", "olga@romashka.example")
IVAN = ("Иван Сидоров", "ivan@romashka.example")
GONE = ("Уволен", "gone@romashka.example")
BUSY = ("Занят", "busy@romashka.example")
TEXT = "Итоги дня: 12 заявок, 3 просрочены.\nСпасибо, что вы с нами.\n"
HTML = "<p>Итоги дня: <b>12</b> заявок, 3 просрочены.</p>\n"


class Mail(unittest.TestCase):
    refuse = ()
    defer = ()
    smtpd_cert = "server"
    starttls = "required"

    server_password = PASSWORD

    def setUp(self):
        self.certs = make_certs(tempfile.mkdtemp(prefix="tilldesk-mail-"))
        os.chmod(self.certs, 0o755)
        self.box = Mailbox(self.certs, refuse=[a for _, a in self.refuse],
                           defer=[a for _, a in self.defer], password=self.server_password)
        self.addCleanup(self._clean)
        if self.smtpd_cert is not False:
            self.box.start(self.smtpd_cert)
        os.environ["TILLDESK_SMTP_PASSWORD"] = PASSWORD
        self.desk = Desk(extra_config=mail_config(self.box, self.starttls))
        self.desk.setup_chain()
        # No digest of its own: after send_at (08:00 in Moscow) it would be one more letter.
        self.desk.cli("org", "owner", "set", "Ромашка", "owner@romashka.example", "--digest", "off")
        self.desk.start()

    def _clean(self):
        os.environ.pop("TILLDESK_SMTP_PASSWORD", None)
        if hasattr(self, "desk"):
            self.desk.close()
        self.box.stop()
        import shutil
        shutil.rmtree(self.certs, ignore_errors=True)

    # ---- helpers
    def queue(self, ref, rcpts, subject="Итоги за 25 ноября: 12 заявок", text=TEXT, html=HTML):
        sql_as_owner(self.desk.db, "BEGIN;" + queue_sql(ref, subject, text, html, rcpts) + "COMMIT;")

    def letter(self, ref):
        row = self.desk.sql("SELECT state, attempts, coalesce(last_error, '') FROM letters WHERE ref = '%s'" % ref)
        state, attempts, error = row.split("|", 2)
        return state, int(attempts), error

    def rcpts(self, ref):
        rows = self.desk.sql("SELECT addr, state, coalesce(status, 0) FROM letter_rcpts WHERE letter_id ="
                             " (SELECT id FROM letters WHERE ref = '%s') ORDER BY addr" % ref)
        return {a: (s, int(c)) for a, s, c in (r.split("|") for r in rows.splitlines())}

    def wait_letter(self, ref, pred, timeout=20, what="the letter"):
        end = time.time() + timeout
        while time.time() < end:
            got = self.letter(ref)
            if pred(*got):
                return got
            time.sleep(0.1)
        self.fail("%s: %s is %r" % (what, ref, self.letter(ref)))

    def refused(self, cert, reason):
        """The server started with cert (None: in the clear) gets nothing:
        the letter waits, tried again, its last error naming reason."""
        self.box.start(cert)
        self.queue("digest:1:2026-11-25", [OLGA, IVAN])
        state, attempts, error = self.wait_letter("digest:1:2026-11-25", lambda s, a, e: a >= 2)
        self.assertEqual(state, "pending")
        self.assertIn(reason, error)
        self.assertEqual(self.box.raw(), [])
        self.assertEqual({s for s, _ in self.rcpts("digest:1:2026-11-25").values()}, {"pending"})
        self.assertNotIn(PASSWORD, self.log())

    def log(self):
        with open(os.path.join(self.desk.dir, "serve.log"), "rb") as f:
            return f.read().decode(errors="replace")


class Delivery(Mail):
    refuse = (GONE,)
    defer = (BUSY,)

    def test_mail__a_russian_letter_arrives_whole_in_both_parts(self):
        self.queue("digest:1:2026-11-25", [OLGA, IVAN])
        [(env, m)] = self.box.wait_count(1)
        self.assertEqual(sorted(env), ["ivan@romashka.example", "olga@romashka.example"])
        self.assertEqual(m["Subject"], "Итоги за 25 ноября: 12 заявок")
        self.assertEqual([(a.display_name, a.addr_spec) for a in m["To"].addresses],
                         [(IVAN[0], IVAN[1]), (OLGA[0], OLGA[1])])
        self.assertEqual(m["From"].addresses[0].display_name, "Служба поддержки")
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        self.assertEqual(m["Message-ID"], "<digest.1.2026-11-25@tilldesk>")
        self.assertIsNotNone(m["Date"].datetime)
        self.assertEqual(m.get_content_type(), "multipart/alternative")
        parts = [(p.get_content_type(), p.get_content_charset(), p.get_content()) for p in m.iter_parts()]
        self.assertEqual([p[:2] for p in parts], [("text/plain", "utf-8"), ("text/html", "utf-8")])
        self.assertEqual(parts[0][2].replace("\r\n", "\n"), TEXT)
        self.assertEqual(parts[1][2].replace("\r\n", "\n"), HTML)
        # On the wire: CRLF alone, no line over 998 octets.
        raw = self.box.raw()[0][1]
        self.assertNotIn(b"\n", raw.replace(b"\r\n", b""))
        self.assertNotIn(b"\r", raw.replace(b"\r\n", b""))
        self.assertLessEqual(max(len(line) for line in raw.split(b"\r\n")), 998)
        self.wait_letter("digest:1:2026-11-25", lambda s, a, e: s == "done")
        self.assertEqual(self.rcpts("digest:1:2026-11-25"),
                         {"ivan@romashka.example": ("sent", 250), "olga@romashka.example": ("sent", 250)})
        self.assertNotIn(PASSWORD, self.log())

    def test_mail__a_refused_recipient_fails_while_the_others_get_the_letter(self):
        self.queue("breach:7:reaction", [OLGA, GONE, IVAN], subject="Просрочена заявка №7")
        [(env, m)] = self.box.wait_count(1)
        self.assertEqual(sorted(env), ["ivan@romashka.example", "olga@romashka.example"])
        self.assertEqual(m["Subject"], "Просрочена заявка №7")
        state, attempts, error = self.wait_letter("breach:7:reaction", lambda s, a, e: s == "done")
        self.assertEqual(attempts, 1)
        self.assertIn("no such mailbox", error)
        self.assertEqual(self.rcpts("breach:7:reaction"),
                         {"gone@romashka.example": ("failed", 550), "ivan@romashka.example": ("sent", 250),
                          "olga@romashka.example": ("sent", 250)})
        # A permanent refusal is not tried again.
        time.sleep(2.5)
        self.assertEqual(self.letter("breach:7:reaction")[1], 1)
        self.assertEqual(len(self.box.raw()), 1)
        # The admin sees the failure; the sent ones only with --all.
        self.queue("digest:1:2026-11-26", [OLGA])
        self.box.wait_count(2)
        self.wait_letter("digest:1:2026-11-26", lambda s, a, e: s == "done")
        out = self.desk.cli("mail", "queue").stdout
        self.assertIn("breach:7:reaction", out)
        self.assertRegex(out, r"gone@romashka\.example +failed +550 +5\.1\.1")
        self.assertRegex(out, r"olga@romashka\.example +sent +250")
        self.assertIn("no such mailbox", out)
        self.assertNotIn("digest:1:2026-11-26", out)
        self.assertIn("digest:1:2026-11-26", self.desk.cli("mail", "queue", "--all").stdout)

    def test_mail__a_recipient_deferred_is_tried_again_alone(self):
        self.queue("breach:8:resolution", [OLGA, BUSY], subject="Просрочена заявка №8")
        [(env, m)] = self.box.wait_count(1)
        self.assertEqual(env, ["olga@romashka.example"])
        state, attempts, error = self.wait_letter("breach:8:resolution", lambda s, a, e: a >= 3)
        self.assertEqual(state, "pending")
        self.assertIn("try again later", error)
        self.assertEqual(self.rcpts("breach:8:resolution"),
                         {"busy@romashka.example": ("pending", 451), "olga@romashka.example": ("sent", 250)})
        # Olga got it once: the retries go to the deferred recipient only.
        self.assertEqual(len(self.box.raw()), 1)


class ServerAway(Mail):
    smtpd_cert = False

    def test_mail__the_server_down_then_up_the_letter_arrives_once(self):
        self.queue("expiry:12:2026-12-01:7", [OLGA], subject="ФН кассы 3 истекает через 7 дней")
        state, attempts, error = self.wait_letter("expiry:12:2026-12-01:7", lambda s, a, e: a >= 2)
        self.assertEqual(state, "pending")
        self.assertIn("cannot connect", error)
        out = self.desk.cli("mail", "queue").stdout
        self.assertIn("expiry:12:2026-12-01:7", out)
        self.assertRegex(out, r"olga@romashka\.example +pending")
        self.assertIn("cannot connect", out)
        self.box.start("server")
        [(env, m)] = self.box.wait_count(1, timeout=30)
        self.assertEqual(m["Subject"], "ФН кассы 3 истекает через 7 дней")
        self.wait_letter("expiry:12:2026-12-01:7", lambda s, a, e: s == "done")
        time.sleep(3)
        self.assertEqual(len(self.box.raw()), 1)
        self.assertEqual(self.rcpts("expiry:12:2026-12-01:7"), {"olga@romashka.example": ("sent", 250)})


class Refusals(Mail):
    """What the daemon must not send to: each time the letter stays pending
    with the reason, and the server receives nothing."""
    smtpd_cert = False

    def test_mail__a_plain_text_server_is_refused_when_starttls_is_required(self):
        self.refused(None, "STARTTLS")

    def test_mail__a_self_signed_certificate_is_refused(self):
        self.refused("self", "self-signed certificate")

    def test_mail__a_certificate_for_another_host_is_refused(self):
        self.refused("other", "mismatch")


class WrongPassword(Mail):
    smtpd_cert = False
    server_password = "another-password"

    def test_mail__a_wrong_password_keeps_the_letter_waiting(self):
        self.refused("server", "AUTH refused: 535")


class Crash(Mail):
    def test_mail__kill_9_while_sending_loses_no_letter_and_doubles_none_twice(self):
        n = 600
        sql = "".join(queue_sql("bulk:%d" % i, "Письмо %d" % i, TEXT, HTML, [OLGA]) for i in range(n))
        sql_as_owner(self.desk.db, "BEGIN;" + sql + "COMMIT;")
        self.box.wait_count(20)
        self.desk.stop(signal.SIGKILL)
        at_kill = len(self.box.raw())
        self.assertLess(at_kill, n, "the kill came after the last letter: nothing tested")
        self.desk.start()
        end = time.time() + 60
        while time.time() < end and self.desk.sql("SELECT count(*) FROM letters WHERE state = 'pending'") != "0":
            time.sleep(0.2)
        self.assertEqual(self.desk.sql("SELECT count(*) FROM letters WHERE state = 'done'"), str(n))
        seen = {}
        for _, raw in self.box.raw():
            mid = re.search(rb"Message-I[dD]: <([^>]+)>", raw).group(1).decode()
            seen[mid] = seen.get(mid, 0) + 1
        self.assertEqual(sorted(seen), sorted("bulk.%d@tilldesk" % i for i in range(n)))
        doubled = [m for m, c in seen.items() if c > 1]
        self.assertLessEqual(max(seen.values()), 2)
        print("\n  kill -9 after %d of %d letters: %d sent twice" % (at_kill, n, len(doubled)), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
