"""Running under systemd: `serve` tells systemd it is ready once it polls,
pings the watchdog while its loops are healthy (and stops pinging when the
database refuses every write), and says it is stopping on SIGTERM. The test
plays systemd: a datagram socket in $NOTIFY_SOCKET."""
import os
import pwd
import signal
import socket
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Desk  # noqa: E402


class Systemd:
    """The notification socket systemd would listen on."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        if os.geteuid() == 0:  # the daemon writes to it as nobody
            nobody = pwd.getpwnam("nobody")
            os.chown(self.path, nobody.pw_uid, nobody.pw_gid)
        self.sock.settimeout(0.1)
        self.heard = []  # (monotonic time, state)

    def listen(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            for line in data.decode().split("\n"):
                if line:
                    self.heard.append((time.monotonic(), line))

    def states(self, since=0.0):
        return [s for t, s in self.heard if t >= since]

    def close(self):
        self.sock.close()


class Notify(unittest.TestCase):
    def setUp(self):
        self.desk = Desk()
        self.desk.setup_chain()
        self.systemd = Systemd(self.desk.dir)
        os.environ["NOTIFY_SOCKET"] = self.systemd.path
        os.environ["WATCHDOG_USEC"] = "2000000"

    def tearDown(self):
        os.environ.pop("NOTIFY_SOCKET", None)
        os.environ.pop("WATCHDOG_USEC", None)
        self.desk.close()
        self.systemd.close()

    def test_ready_once_polling_watchdog_while_healthy_stopping_on_sigterm(self):
        d, sd = self.desk, self.systemd
        d.start()
        sd.listen(3.5)
        self.assertEqual(sd.states().count("READY=1"), 1)
        self.assertEqual(sd.states()[0], "READY=1")
        # Every half of the 2 s interval.
        self.assertGreaterEqual(sd.states().count("WATCHDOG=1"), 2)

        # Another process holds the write lock: no tick commits, so no ping.
        lock = sqlite3.connect(d.db, isolation_level=None, timeout=10)
        lock.execute("BEGIN IMMEDIATE")
        try:
            locked = time.monotonic()
            sd.listen(6)
            self.assertNotIn("WATCHDOG=1", sd.states(since=locked + 3.5))
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        released = time.monotonic()
        sd.listen(3)
        self.assertIn("WATCHDOG=1", sd.states(since=released))

        d.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(d.daemon.wait(5), 0)
        d.daemon = None
        sd.listen(0.5)
        self.assertEqual(sd.states()[-1], "STOPPING=1")

    def test_without_a_watchdog_interval_no_pings(self):
        os.environ.pop("WATCHDOG_USEC")
        d, sd = self.desk, self.systemd
        d.start()
        sd.listen(2.5)
        self.assertEqual(sd.states(), ["READY=1"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
