"""The issue's "done when", tried as a new user would: [smtp] points at a
real SMTP server (Debian's aiosmtpd, STARTTLS on a test CA's certificate,
AUTH), the organisation has an owner's e-mail, yesterday holds tickets, and
`tilldesk serve` starts after the org's `[digest] send_at` in its zone:
the digest of yesterday arrives at the server, in two parts, its subject
decoded, and its SLA figures are those `tilldesk report sla --from DAY
--to DAY --org ORG` prints."""
import datetime
import os
import re
import shutil
import sys
import tempfile
import unittest
from zoneinfo import ZoneInfo

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402
from mail_harness import PASSWORD, Mailbox, mail_config, make_certs  # noqa: E402

ZONE = ZoneInfo("Europe/Moscow")  # the zone of setup_chain()'s store
ORG = "Ромашка"
SHARE = re.compile(r"(\d+)% \((\d+)/(\d+)\)")


def seed_yesterday(d, day):
    """Three tickets opened in the Moscow store's yesterday (24/7): #1 claimed
    in 5 min and resolved in 30, #2 claimed late after a reaction breach,
    #3 claimed in 10 min and open still."""
    t0 = int(datetime.datetime.combine(day, datetime.time(), ZONE).timestamp())
    t1, t2, t3 = t0 + 3600, t0 + 7200, t0 + 10800
    d.sql(f"""
INSERT INTO people(id, name, role, created_at) VALUES (50, 'Иван', 'engineer', 0);
INSERT INTO tickets(id, store_id, source, title, created_at, status, priority) VALUES
  (1, 1, 'telegram', 'Касса не печатает', {t1}, 'resolved', 2),
  (2, 1, 'telegram', 'Нет связи с ОФД', {t2}, 'claimed', 2),
  (3, 1, 'telegram', 'Сканер молчит', {t3}, 'claimed', 2);
INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body) VALUES
  (1, {t1}, NULL, 'opened', 'new', 2, NULL), (1, {t1 + 300}, 50, 'claimed', 'claimed', 2, NULL),
  (1, {t1 + 1800}, 50, 'resolved', 'resolved', 2, NULL),
  (2, {t2}, NULL, 'opened', 'new', 2, NULL), (2, {t2 + 900}, NULL, 'sla_breach', 'new', 2, 'reaction'),
  (2, {t2 + 1800}, 50, 'claimed', 'claimed', 2, NULL),
  (3, {t3}, NULL, 'opened', 'new', 2, NULL), (3, {t3 + 600}, 50, 'claimed', 'claimed', 2, NULL);
INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at, met_at, used, breached_at) VALUES
  (1, 'reaction', 900, {t1}, {t1 + 900}, {t1 + 300}, 300, NULL),
  (1, 'resolution', 14400, {t1}, {t1 + 14400}, {t1 + 1800}, 1800, NULL),
  (2, 'reaction', 900, {t2}, {t2 + 900}, {t2 + 1800}, 1800, {t2 + 900}),
  (3, 'reaction', 900, {t3}, {t3 + 900}, {t3 + 600}, 600, NULL);""")


def report_total(out):
    """(reaction in time, resolution in time, breaches) of `report sla`'s total row."""
    for line in out.splitlines():
        shares = SHARE.findall(line)
        if line.split()[:1] in (["всего"], ["total"]) and len(shares) == 2:
            return shares[0], shares[1], line.split()[-1]
    raise AssertionError("no total row in:\n" + out)


def digest_sla(text):
    """The same three figures from the digest's text part."""
    def after(label):
        m = re.search(r"^\s*%s\W*(.*)$" % re.escape(label), text, re.M)
        assert m, "no '%s' in the letter's text:\n%s" % (label, text)
        return m.group(1)
    reaction, resolution = SHARE.search(after("реакция в срок")), SHARE.search(after("решение в срок"))
    breaches = re.match(r"\d+", after("нарушений"))
    return reaction.groups(), resolution.groups(), breaches.group(0)


class DigestByMail(unittest.TestCase):
    def setUp(self):
        self.certs = make_certs(tempfile.mkdtemp(prefix="tilldesk-digestmail-"))
        os.chmod(self.certs, 0o755)
        self.box = Mailbox(self.certs)
        self.addCleanup(self._clean)
        self.box.start()
        os.environ["TILLDESK_SMTP_PASSWORD"] = PASSWORD

    def _clean(self):
        os.environ.pop("TILLDESK_SMTP_PASSWORD", None)
        if hasattr(self, "desk"):
            self.desk.close()
        self.box.stop()
        shutil.rmtree(self.certs, ignore_errors=True)

    def test_digest_mail__after_send_at_yesterday_s_digest_arrives_with_report_sla_s_figures(self):
        now = datetime.datetime.now(ZONE)
        # send_at a few minutes ago in the org's zone: today's time has come.
        send_at = max(now - datetime.timedelta(minutes=5), now.replace(hour=0, minute=0))
        self.desk = d = Desk(extra_config=mail_config(self.box) + "[digest]\nsend_at = %s\n"
                             % send_at.strftime("%H:%M"))
        d.setup_chain()  # org Ромашка, owner owner@romashka.example, a 24/7 store in Moscow
        d.cli("org", "owner", "add", ORG, "olga@romashka.example", "--name", "Ольга Петрова")
        day = (now - datetime.timedelta(days=1)).date()
        seed_yesterday(d, day)
        d.start()

        [(env, m)] = self.box.wait_count(1, timeout=30)
        self.assertEqual(sorted(env), ["olga@romashka.example", "owner@romashka.example"])
        self.assertIn("Ольга Петрова", [a.display_name for a in m["To"].addresses])
        self.assertIn(ORG, m["Subject"])  # RFC 2047 decoded
        self.assertNotIn("=?", m["Subject"])
        self.assertEqual(m["Auto-Submitted"], "auto-generated")
        self.assertEqual(m.get_content_type(), "multipart/alternative")
        parts = {p.get_content_type(): p.get_content() for p in m.iter_parts()}
        self.assertEqual(sorted(parts), ["text/html", "text/plain"])
        self.assertIn(day.isoformat(), parts["text/plain"])

        got = digest_sla(parts["text/plain"])
        iso = day.isoformat()
        want = report_total(d.cli("report", "sla", "--from", iso, "--to", iso, "--org", ORG).stdout)
        self.assertEqual(got, want)
        # And they are the seeded day's: 2 of 3 reactions in time, 1 of 1 resolution, 1 breach.
        self.assertEqual(got, (("67", "2", "3"), ("100", "1", "1"), "1"))
        self.assertIn("#2", re.search(r"^.*заявки с нарушением.*$", parts["text/plain"], re.M).group(0))
        for fig in ("67% (2/3)", "100% (1/1)"):
            self.assertIn(fig, parts["text/html"])

        # One letter of yesterday, in the owners' language.
        self.assertEqual(d.sql("SELECT ref FROM letters"), "digest:1:%s:ru" % iso)

if __name__ == "__main__":
    unittest.main()
