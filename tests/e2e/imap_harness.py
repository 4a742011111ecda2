"""E-mail in: a real IMAP server for the end-to-end tests.

An Imapd runs Debian's Dovecot (`dovecot -F -c CONF`) with a config of its
own in a temporary directory: a free port on the loopback, one user with a
password (passwd-file), a Maildir, STARTTLS on a certificate made at run
time (mail_harness.make_certs) or no TLS at all. Letters are delivered by
writing files into the Maildir's new/ (what a local delivery agent does),
never by APPEND, which would mark them \\Seen. flags(uid) reads a letter's
flags back from the Maildir's file name.

Dovecot's login process refuses root: run as root (CI), the whole server
runs as nobody:nogroup (setpriv), which owns the directory.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from harness import free_port  # noqa: E402

USER, PASSWORD = "desk@tilldesk.example", "s3cret-imap-pw"

CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
ssl = {ssl}
{ssl_files}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = 0
first_valid_gid = 0
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {user}
    group = {group}
  }}
  unix_listener stats-writer {{
    user = {user}
    group = {group}
  }}
}}
"""


def _account():
    """(user, group, uid, gid, preexec) the server runs as: this account, or nobody when root."""
    if os.geteuid() != 0:
        import grp
        import pwd
        return (pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name,
                os.geteuid(), os.getegid(), [])
    import grp
    import pwd
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    return ("nobody", group, nobody.pw_uid, nobody.pw_gid,
            [shutil.which("setpriv"), "--reuid=nobody", "--regid=%s" % group, "--clear-groups"])


class Imapd:
    """Dovecot: start(), stop(), deliver(bytes), flags(uid), uids(); url and ca_file for [imap]."""

    def __init__(self, certs=None, d=None):
        """certs: a make_certs() directory for STARTTLS with server.pem; None: no TLS."""
        self.dir = d or tempfile.mkdtemp(prefix="tilldesk-imap-")
        self.own_dir = d is None
        self.certs = certs
        self.port = free_port()
        self.proc = None
        self.user, self.group, self.uid, self.gid, self.setpriv = _account()
        self.maildir = os.path.join(self.dir, "home", USER, "Maildir")
        self._delivered = 0
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.maildir, sub), exist_ok=True)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
        ssl_files = ""
        if certs:
            # Copied in: Dovecot reads them as its own account (root's CI directory may be closed to it).
            for n in ("server.pem", "server.key"):
                shutil.copy(os.path.join(certs, n), os.path.join(self.dir, n))
            ssl_files = "ssl_cert = <%s/server.pem\nssl_key = <%s/server.key\n" % (self.dir, self.dir)
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(d=self.dir, user=self.user, group=self.group, uid=self.uid, gid=self.gid,
                                ssl="yes" if certs else "no", ssl_files=ssl_files, port=self.port))
        if os.geteuid() == 0:
            for root, dirs, files in os.walk(self.dir):
                for n in dirs + files:
                    os.chown(os.path.join(root, n), self.uid, self.gid)
            os.chown(self.dir, self.uid, self.gid)

    @property
    def url(self):
        return "imap://127.0.0.1:%d/INBOX" % self.port

    def config(self, poll="1s", extra=""):
        """The [imap] section for a Desk (the password comes from the environment: env())."""
        return ("[imap]\nurl = %s\nuser = %s\nstarttls = %s\npoll = %s\n%s"
                % (self.url, USER, "required" if self.certs else "off", poll, extra))

    @staticmethod
    def env():
        return {"TILLDESK_IMAP_PASSWORD": PASSWORD}

    def start(self):
        assert self.proc is None, "dovecot runs already"
        self.proc = subprocess.Popen(self.setpriv + [shutil.which("dovecot") or "/usr/sbin/dovecot", "-F",
                                                     "-c", self.conf],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        import socket
        end = time.time() + 20
        while time.time() < end:
            if self.proc.poll() is not None:
                raise AssertionError("dovecot did not start: %s\n%s" % (self.proc.stderr.read(), self.log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(200).startswith(b"* OK"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("dovecot does not answer on %d\n%s" % (self.port, self.log()))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            # Its own session: the master and its children go together.
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.proc:
            self.proc.stderr.close()
        self.proc = None

    def close(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def deliver(self, message, seen=False):
        """Puts one letter (bytes, or str as UTF-8) in the mailbox as new, unseen mail (seen: as
        mail a person has read already)."""
        if isinstance(message, str):
            message = message.encode()
        message = message.replace(b"\r\n", b"\n")  # a Maildir keeps LF; Dovecot sends CRLF
        self._delivered += 1
        name = "%d.M%dP%d_%d.tilldesk" % (time.time(), self._delivered, os.getpid(), self._delivered)
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(message)
        if os.geteuid() == 0:
            os.chown(tmp, self.uid, self.gid)
        os.rename(tmp, os.path.join(self.maildir, "cur", name + ":2,S") if seen
                  else os.path.join(self.maildir, "new", name))

    def renumber(self):
        """Makes the (stopped) server renumber the mailbox: a new UIDVALIDITY, the letters
        and their flags kept, as after a restore or a move to another server."""
        assert self.proc is None, "stop dovecot first"
        for n in os.listdir(self.maildir):
            if n.startswith("dovecot"):
                os.remove(os.path.join(self.maildir, n))
        time.sleep(1.1)  # Dovecot's UIDVALIDITY is the time in seconds

    def deliver_many(self, messages):
        for m in messages:
            self.deliver(m)

    def _files(self):
        """{uid: flags} of the letters Dovecot has numbered (dovecot-uidlist)."""
        uids = {}
        try:
            with open(os.path.join(self.maildir, "dovecot-uidlist")) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            return {}
        names = {}
        for sub in ("new", "cur"):
            for n in os.listdir(os.path.join(self.maildir, sub)):
                names[n.split(":")[0]] = n
        for line in lines:
            m = re.match(r"(\d+)\s+(?:\S+\s+)*?:?(\S+)$", line)
            if not m:
                continue
            uid, base = int(m.group(1)), m.group(2).lstrip(":")
            n = names.get(base)
            if n is not None:
                uids[uid] = n.split(":2,")[1] if ":2," in n else ""
        return uids

    def flags(self, uid):
        """The Maildir flags of letter uid ("S" when \\Seen), None when unknown."""
        return self._files().get(uid)

    def seen(self):
        """The UIDs marked \\Seen."""
        return sorted(u for u, f in self._files().items() if "S" in f)
