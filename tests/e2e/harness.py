"""End-to-end harness: the real tilldesk binary against the Bot API emulator.

A Desk starts tests/tgemu/tgemu.py on a free port, writes a config that
points the daemon at it, describes a small chain with the admin commands,
registers a cashier and an engineer through real invite links, and runs
`tilldesk serve`. Tests then talk like people: desk.cashier_says("..."),
desk.press(...), and wait for what the bot sends.
"""
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, os.environ.get("TILLDESK_BIN", "build/tilldesk"))
EMU = os.path.join(ROOT, "tests", "tgemu", "tgemu.py")
TOKEN = "123456789:AAE-tgemu-test-token-not-a-secret-00"
GROUP = -1001234
CASHIER = 5001
ENGINEER = 6001
# The daemon's pace for setting up a busy desk: far above Telegram's (see Desk.busy_morning).
FAST = "global_rate = 1000\nchat_rate = 1000\ngroup_rate = 60000\n"


def free_port():
    """A TCP port nobody listens on now, on the loopback, below the range the
    kernel hands out to outgoing connections: a port taken from that range
    (bind to 0) may be some client's by the time the daemon binds it."""
    import random
    import socket
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port below %d" % low)


def button(msg, label):
    """The callback data of the button labelled label in a sent message."""
    for b in msg["buttons"]:
        if b["text"] == label:
            return b["callback_data"]
    raise AssertionError("no button %r in %s" % (label, msg["buttons"]))

# Desks not closed yet: a test whose setUp failed after making one never
# reaches its tearDown, and its emulator and daemon must not outlive it.
_open_desks = set()
atexit.register(lambda: [d.close() for d in list(_open_desks)])


class Desk:
    def __init__(self, limits=True, group_limit=None, chat_rate=None, extra_config="", delay_ms=0,
                 jitter_ms=0, ingest_config=""):
        self.dir = tempfile.mkdtemp(prefix="tilldesk-e2e-")
        args = [sys.executable, EMU, "--port", "0", "--limits", "on" if limits else "off",
                "--delay", str(delay_ms), "--jitter", str(jitter_ms)]
        if group_limit:
            args += ["--group-limit", str(group_limit)]
        if chat_rate:
            args += ["--chat-rate", str(chat_rate)]
        self.emu = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.emu.stdout.readline()
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert m, "emulator did not start: %r" % line
        self.url = "http://127.0.0.1:%s" % m.group(1)
        self.db = os.path.join(self.dir, "desk.db")
        # The daemon refuses root: as root (CI), it becomes nobody, who owns the directory.
        run_as = ""
        if os.geteuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chown(self.dir, nobody.pw_uid, nobody.pw_gid)
            run_as = "user = nobody\n"
        self.cfg = os.path.join(self.dir, "tilldesk.ini")
        # The agents' endpoint on a port of its own, so that desks run side by side.
        self.ingest_port = free_port()
        self.ingest_url = "http://127.0.0.1:%d" % self.ingest_port
        with open(self.cfg, "w") as f:
            f.write("[general]\ndatabase = %s\nlanguage = ru\nlog_level = debug\n%s"
                    "[ingest]\nlisten = 127.0.0.1:%d\n%s"
                    "[telegram]\ntoken = %s\napi_url = %s\nengineers_chat = %d\npoll_timeout = 2s\n"
                    "bot_username = tilldesk_emu_bot\n%s"
                    % (self.db, run_as, self.ingest_port, ingest_config, TOKEN, self.url, GROUP,
                       extra_config))
        self.daemon = None
        self.log = open(os.path.join(self.dir, "serve.log"), "ab")
        _open_desks.add(self)

    # ---- the admin's side
    def cli(self, *args, check=True):
        r = subprocess.run([BIN, "-c", self.cfg] + list(args), capture_output=True, text=True)
        if check and r.returncode:
            raise AssertionError("tilldesk %s: %s" % (" ".join(args), r.stderr))
        return r

    def setup_chain(self, tier="standard"):
        self.cli("init")
        self.cli("org", "add", "Ромашка", "--owner", "owner@romashka.example", "--tier", tier)
        self.cli("store", "add", "Ромашка на Ленина", "--org", "Ромашка", "--tz", "Europe/Moscow",
                 "--hours", "24/7", "--address", "Москва, ул. Ленина, 1")
        self.control("group", {"id": GROUP, "title": "Инженеры", "type": "group"})

    def invite(self, role, store="Ромашка на Ленина"):
        args = ["invite", "--role", role] + (["--store", store] if role == "cashier" else [])
        # The bot's username comes from getMe once serve has run; before that, the config.
        out = self.cli(*args).stdout
        return re.search(r"start=([a-z2-7]+)", out).group(1)

    # ---- the daemon
    def start(self):
        env = dict(os.environ, TILLDESK_CONFIG="")
        self.log.flush()
        start = self.log.tell()
        self.daemon = subprocess.Popen([BIN, "-c", self.cfg, "serve"], stdout=self.log,
                                       stderr=self.log, env=env)
        # Wait until it polls, so that tests talk to a daemon that listens.
        path = os.path.join(self.dir, "serve.log")
        end = time.time() + 15
        while time.time() < end and self.daemon.poll() is None:
            with open(path, "rb") as f:
                f.seek(start)
                if b"connected as" in f.read():
                    return
            time.sleep(0.05)
        if self.daemon.poll() is not None:
            with open(path, "rb") as f:
                f.seek(start)
                raise AssertionError("serve exited: %s" % f.read().decode(errors="replace")[-2000:])

    def stop(self, sig=signal.SIGTERM):
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            self.daemon.wait(10)
        self.daemon = None

    def close(self):
        if self not in _open_desks:
            return
        _open_desks.discard(self)
        self.stop()
        self.emu.terminate()
        self.emu.wait(5)
        self.emu.stdout.close()
        self.log.close()
        # TILLDESK_KEEP=1 leaves the desk's directory (its log, its database) to be read.
        if os.environ.get("TILLDESK_KEEP"):
            print("kept %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the emulator
    def control(self, path, body=None, query=""):
        req = urllib.request.Request(self.url + "/control/" + path + query,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def says(self, user_id, name, text=None, chat_id=None, reply_to=None, photo=False, caption=None,
             quote=None):
        body = {"from": {"id": user_id, "first_name": name}}
        if chat_id:
            body["chat"] = {"id": chat_id}
        if text is not None:
            body["text"] = text
        if photo:
            body["photo"] = {"content": "jpeg bytes"}
            if caption:
                body["caption"] = caption
        if reply_to:
            body["reply_to_message_id"] = reply_to
        if quote is not None:
            body["quote"] = quote
        return self.control("message", body)

    def cashier_says(self, text, **kw):
        return self.says(CASHIER, "Анна", text, **kw)

    def engineer_says(self, text, **kw):
        return self.says(ENGINEER, "Иван", text, chat_id=GROUP, **kw)

    def press(self, user_id, chat_id, message_id, data):
        return self.control("callback", {"from": {"id": user_id, "first_name": "x"},
                                         "chat_id": chat_id, "message_id": message_id, "data": data})

    def sent(self, chat_id):
        return self.control("sent", query="?chat_id=%d" % chat_id)["messages"]

    def history(self, chat_id, deleted=None):
        """The bot's messages in chat_id as the chat shows them, oldest first:
        all of them, or only those deleted (True) or not (False)."""
        return [m for m in self.control("history", query="?chat_id=%d" % chat_id)["messages"]
                if m["_by_bot"] and deleted in (None, m["_deleted"])]

    def wait_for(self, chat_id, pred, timeout=15, what="a message"):
        """The first message the bot sent to chat_id satisfying pred."""
        end = time.time() + timeout
        while time.time() < end:
            for m in self.sent(chat_id):
                if pred(m):
                    return m
            time.sleep(0.1)
        raise AssertionError("no %s in chat %d; got: %s" % (what, chat_id,
                             [m["text"][:80] for m in self.sent(chat_id)]))

    def wait_text(self, chat_id, needle, timeout=15):
        return self.wait_for(chat_id, lambda m: needle in m["text"], timeout, repr(needle))

    def answers(self):
        return self.control("callback_answers")

    def answered(self, press, timeout=15):
        """The bot's answer to a press (what press() returned). The answer
        leaves through the outbox, written with what the press changed: once
        it is here, the press has been handled."""
        qid = press["callback_query_id"]
        end = time.time() + timeout
        while time.time() < end:
            for a in self.answers()["answers"]:
                if a["callback_query_id"] == qid:
                    return a
            time.sleep(0.1)
        raise AssertionError("the press %s (%r) was not answered" % (qid, press["update"]))

    def settled(self, timeout=15):
        """Waits until the outbox holds nothing pending: all the bot meant to
        send so far, it has sent (a test may then assert what did not come)."""
        end = time.time() + timeout
        while time.time() < end:
            if self.sql("select count(*) from outbox where state = 'pending'") == "0":
                return
            time.sleep(0.1)
        raise AssertionError("the outbox still holds %s pending rows" %
                             self.sql("select count(*) from outbox where state = 'pending'"))

    def sql(self, query):
        r = subprocess.run(["sqlite3", self.db, query], capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def pace(self, text):
        """Rewrites the [telegram] section's pace: FAST for a setup, "" for Telegram's."""
        with open(self.cfg, encoding="utf-8") as f:
            cfg = f.read().replace(FAST, "")
        with open(self.cfg, "w", encoding="utf-8") as f:
            f.write(cfg + text)

    def wait_count(self, query, n, timeout=180):
        """Waits until the number the SQL query counts reaches n."""
        end = time.time() + timeout
        while int(self.sql(query)) < n:
            if time.time() > end:
                raise AssertionError("%s: %s, not %d" % (query, self.sql(query), n))
            time.sleep(0.2)

    def busy_morning(self, engineers, cashiers):
        """What a busy morning starts from, set up with the limits off and
        the daemon at FAST: the engineers (user ids) and the cashiers join
        by their invites, each cashier opens a ticket whose card reaches
        the group, and the engineers take the tickets in turn by «Взять».
        Then the daemon restarts at Telegram's pace, the limits on."""
        self.setup_chain()
        self.control("limits", {"on": False})
        self.pace(FAST)
        self.start()
        for uid in engineers:
            self.says(uid, "Инженер %d" % uid, "/start " + self.invite("engineer"))
        for uid in cashiers:
            self.says(uid, "Кассир %d" % uid, "/start " + self.invite("cashier"))
        self.wait_count("SELECT count(*) FROM people WHERE role = 'cashier'", len(cashiers))
        for uid in cashiers:
            self.says(uid, "Кассир %d" % uid, "Касса %d не печатает чеки, бумага есть" % uid)
        self.wait_count("SELECT count(*) FROM tickets", len(cashiers))
        self.wait_count("SELECT count(*) FROM tg_links WHERE role = 'card'", len(cashiers))
        self.settled(120)
        cards = [m for m in self.sent(GROUP) if any(b["text"] == "Взять" for b in m["buttons"])]
        if len(cards) != len(cashiers):
            raise AssertionError("%d cards for %d tickets" % (len(cards), len(cashiers)))
        for k, card in enumerate(cards):
            self.press(engineers[k % len(engineers)], GROUP, card["message_id"], button(card, "Взять"))
        self.wait_count("SELECT count(*) FROM tickets WHERE status = 'claimed'", len(cashiers))
        self.settled(120)
        self.stop()
        self.pace("")
        self.control("limits", {"on": True})
        self.start()

    def register(self):
        """A cashier and an engineer join through their invite links."""
        cashier, engineer = self.invite("cashier"), self.invite("engineer")
        self.cashier_says("/start " + cashier)
        self.wait_text(CASHIER, "вы подключены")
        self.says(ENGINEER, "Иван", "/start " + engineer)
        self.wait_text(ENGINEER, "инженер")

    def another_cashier_joins(self, user_id, name):
        """One more cashier of the store opens their own invite link."""
        self.says(user_id, name, "/start " + self.invite("cashier"))
        self.wait_text(user_id, "вы подключены")


class DeskTest(unittest.TestCase):
    """A test with a desk of its own: the chain, the daemon running, the
    cashier and the engineer registered through their invites."""

    def setUp(self):
        self.desk = Desk()
        # A cleanup, not tearDown: it runs when a later step of setUp fails too.
        self.addCleanup(self.desk.close)
        self.desk.setup_chain()
        self.desk.start()
        self.desk.register()
