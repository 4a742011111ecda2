"""E-mail's side of the end-to-end harness: a real SMTP server and letters.

A Mailbox runs tests/fakes/smtpd.py (Debian's aiosmtpd) on a port of its
own, with STARTTLS on a certificate made by make_certs() at run time (a
test CA in the test's directory: no key is ever committed) and AUTH, and
reads back what it received. mail_config() is the [smtp] section that
points a Desk at it; queue_letter() writes a letter into the daemon's
database as mail_queue() does, while the daemon runs.
"""
import email
import email.policy
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, free_port  # noqa: E402

SMTPD = os.path.join(ROOT, "tests", "fakes", "smtpd.py")
USER, PASSWORD = "desk", "s3cret-smtp-pw"


def _python_with_aiosmtpd():
    """An interpreter that has aiosmtpd: this one, else Debian's."""
    if subprocess.run([sys.executable, "-c", "import aiosmtpd"], capture_output=True).returncode == 0:
        return sys.executable
    return "/usr/bin/python3"


def _openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, capture_output=True)


def make_certs(d):
    """A test CA (ca.pem), a server certificate it signed for localhost and
    127.0.0.1 (server.pem, server.key), one it signed for another host
    (other.pem, other.key) and a self-signed one for localhost (self.pem,
    self.key). Returns d."""
    p = lambda n: os.path.join(d, n)  # noqa: E731
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.pem"),
             "-days", "2", "-subj", "/CN=tilldesk test CA")
    for name, san in (("server", "DNS:localhost,IP:127.0.0.1"), ("other", "DNS:other.example")):
        with open(p(name + ".ext"), "w") as f:
            f.write("subjectAltName=%s\n" % san)
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p(name + ".key"), "-out", p(name + ".csr"),
                 "-subj", "/CN=%s" % san.split(",")[0][4:])
        _openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
                 "-CAcreateserial", "-out", p(name + ".pem"), "-days", "2", "-extfile", p(name + ".ext"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("self.key"), "-out", p("self.pem"),
             "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")
    return d


class Mailbox:
    """The SMTP server: start(cert=None for no STARTTLS), stop(), messages()."""

    def __init__(self, d, refuse=(), defer=(), password=PASSWORD):
        self.certs = d
        self.dir = os.path.join(d, "received")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.refuse, self.defer, self.password = refuse, defer, password
        self.proc = None
        self.python = _python_with_aiosmtpd()

    def start(self, cert="server"):
        assert self.proc is None, "the SMTP server runs already"
        args = [self.python, SMTPD, "--port", str(self.port), "--dir", self.dir, "--user", USER,
                "--password", self.password]
        if cert:
            args += ["--cert", os.path.join(self.certs, cert + ".pem"),
                     "--key", os.path.join(self.certs, cert + ".key")]
        for a in self.refuse:
            args += ["--refuse", a]
        for a in self.defer:
            args += ["--defer", a]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), "smtpd did not start: %r" % line

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self.proc.stdout.close()
        self.proc = None

    def raw(self):
        """[(envelope lines, message bytes)] in the order received."""
        out = []
        for name in sorted(f for f in os.listdir(self.dir) if f.endswith(".eml")):
            base = os.path.join(self.dir, name[:-4])
            with open(base + ".env") as f:
                env = f.read().split()
            with open(base + ".eml", "rb") as f:
                out.append((env, f.read()))
        return out

    def messages(self):
        """[(envelope recipients, email.message.EmailMessage)]."""
        return [(env[1:], email.message_from_bytes(b, policy=email.policy.default)) for env, b in self.raw()]

    def wait_count(self, n, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            if len(self.raw()) >= n:
                return self.messages()
            time.sleep(0.1)
        raise AssertionError("the server received %d messages, not %d" % (len(self.raw()), n))


def mail_config(box, starttls="required", extra=""):
    """The [smtp] section for a Desk (the password comes from the environment)."""
    return ("[smtp]\nhost = 127.0.0.1\nport = %d\nuser = %s\nfrom = Служба поддержки <desk@tilldesk.example>\n"
            "starttls = %s\nca_file = %s\ntimeout = 5s\nretry_after = 1s\n%s"
            % (box.port, USER, starttls, os.path.join(box.certs, "ca.pem"), extra))


def _q(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def queue_sql(ref, subject, text, html, rcpts, now=None):
    """The SQL of one letter as mail_queue() writes it (rcpts: [(name, addr)])."""
    now = int(now or time.time())
    sql = ("INSERT INTO letters(ref, kind, subject, text, html, message_id, created_at, next_at)"
           " VALUES (%s, 'test', %s, %s, %s, %s, %d, %d);" % (_q(ref), _q(subject), _q(text), _q(html),
                                                                _q(ref.replace(":", ".") + "@tilldesk"), now, now))
    for name, addr in rcpts:
        sql += ("INSERT INTO letter_rcpts(letter_id, addr, name) VALUES ((SELECT id FROM letters WHERE ref = %s),"
                " %s, %s);" % (_q(ref), _q(addr), _q(name or "")))
    return sql


def sql_as_owner(db, sql):
    """sqlite3 on the daemon's database as the account that owns it (the
    daemon refuses files another account made)."""
    st = os.stat(os.path.dirname(db))
    def drop():
        if os.geteuid() == 0:
            os.setgid(st.st_gid)
            os.setuid(st.st_uid)
    import shutil
    r = subprocess.run([shutil.which("sqlite3"), "-cmd", ".timeout 5000", db], input=sql, capture_output=True,
                       text=True, check=True, preexec_fn=drop)
    return r.stdout.strip()
