#!/usr/bin/env python3
"""E-mail in (issue 17): letters taken per second, and a letter's way from
the mailbox to the engineers' card.

    python3 bench/mailin_bench.py rate [LETTERS]              (10000 letters)
    python3 bench/mailin_bench.py latency POLL [LETTERS] [GAP] (30 letters, 5 s apart on average)

Both run the real `tilldesk serve` of tests/e2e/harness.py (the Bot API
emulator, its own database) reading Debian's Dovecot of
tests/e2e/imap_harness.py (STARTTLS on a test CA made at run time,
passwd-file, Maildir), all on this machine.

rate: LETTERS letters (1 KB of Russian text each, from the store's own
address, imap.per_sender_hour raised to let them all in) are written into
the Maildir's new/ before the daemon starts; the time runs from the
daemon's start until the database holds every letter taken (mail_in) and
is also given from the first letter taken to the last (the daemon's own
log). Every letter becomes a ticket; the cards go out afterwards at
Telegram's pace, not counted here.

latency: the emulator answers every call after 150 ms (--delay, as the
other network benches); imap.poll = POLL. LETTERS letters are delivered
one at a time, GAP seconds apart on average (uniform 0..2 GAP, so they
fall anywhere in the poll's cycle); each one's time runs from its file's
rename into new/ until its card (found by the letter's marker) is in the
engineers' chat of the emulator. Each letter opens a ticket, whose card
goes to the one engineers' group: Telegram lets a bot send 20 messages a
minute to a group (the emulator's limits are on), so the letters come at
12 a minute on average, and more at once wait for the group's limit, not
for the mailbox.
"""
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import GROUP, Desk  # noqa: E402
from imap_harness import PASSWORD, Imapd  # noqa: E402
from mail_harness import make_certs, sql_as_owner  # noqa: E402

SHOP = "shop@romashka.example"
TEXT = ("Касса номер %d не печатает чек после обновления, на экране ошибка принтера. " * 14)[:1024]


def letter(i, marker):
    return ("From: Магазин на Ленина <%s>\nTo: desk@tilldesk.example\nSubject: =?utf-8?b?%s?=\n"
            "Message-ID: <bench-%d@romashka.example>\nDate: Thu, 26 Nov 2026 09:00:00 +0300\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            "%s\n%s\n" % (SHOP, __import__("base64").b64encode(("Не печатает чек %d" % i).encode()).decode(),
                          i, marker, TEXT.replace("%d", str(i))))


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


class Bed:
    def __init__(self, poll, delay_ms=0, per_sender=10000):
        self.certs = make_certs(tempfile.mkdtemp(prefix="tilldesk-mailin-bench-"))
        os.chmod(self.certs, 0o755)
        for n in os.listdir(self.certs):
            os.chmod(os.path.join(self.certs, n), 0o644)
        self.box = Imapd(certs=self.certs)
        self.box.start()
        os.environ["TILLDESK_IMAP_PASSWORD"] = PASSWORD
        self.desk = Desk(delay_ms=delay_ms, extra_config=self.box.config(
            poll=poll, extra="per_sender_hour = %d\n" % per_sender) + "[smtp]\nca_file = %s\n"
            % os.path.join(self.certs, "ca.pem"))
        # The daemon's info log, not the tests' debug one.
        with open(self.desk.cfg) as f:
            cfg = f.read().replace("log_level = debug", "log_level = info")
        with open(self.desk.cfg, "w") as f:
            f.write(cfg)
        self.desk.setup_chain()
        sql_as_owner(self.desk.db, "UPDATE stores SET email = '%s';" % SHOP)

    def close(self):
        self.desk.close()
        self.box.close()
        import shutil
        shutil.rmtree(self.certs, ignore_errors=True)


def rate(n):
    bed = Bed("30s")
    try:
        t = time.monotonic()
        for i in range(n):
            bed.box.deliver(letter(i, "bench-%d" % i))
        print("delivered %d letters in %.1f s" % (n, time.monotonic() - t))
        t0 = time.monotonic()
        bed.desk.start()
        first = None
        while True:
            got = int(bed.desk.sql("SELECT count(*) FROM mail_in"))
            if got and first is None:
                first = time.monotonic()
            if got >= n:
                break
            if time.monotonic() - t0 > 600:
                raise AssertionError("%d of %d taken in 600 s" % (got, n))
            time.sleep(0.05)
        took = time.monotonic() - t0
        tickets = bed.desk.sql("SELECT count(*) FROM tickets")
        outcomes = bed.desk.sql("SELECT group_concat(outcome || ' ' || c, ', ') FROM"
                                " (SELECT outcome, count(*) c FROM mail_in GROUP BY outcome)")
        last = time.monotonic()
        while len(bed.box.seen()) < n and time.monotonic() - last < 60:
            time.sleep(0.2)
        print("rate: %d letters taken in %.2f s from the daemon's start = %.0f letters/s; from the first"
              " taken to the last %.2f s = %.0f letters/s; tickets %s (%s); \\Seen %d; load %s"
              % (n, took, n / took, last - first, n / (last - first), tickets, outcomes,
                 len(bed.box.seen()), load()))
    finally:
        bed.close()


def latency(poll, n, gap):
    bed = Bed(poll, delay_ms=150)
    arrived, carded = {}, {}
    try:
        bed.desk.start()
        time.sleep(2)
        done = threading.Event()

        def watch():
            while not done.is_set():
                try:
                    sent = bed.desk.sent(GROUP)
                except OSError:
                    sent = []  # the emulator busy for a moment: look again
                for m in sent:
                    for k in re.findall(r"lat-(\d+)-x", m["text"]):
                        carded.setdefault(int(k), time.monotonic())
                time.sleep(0.05)

        w = threading.Thread(target=watch)
        w.start()
        rnd = random.Random(17)
        for i in range(n):
            time.sleep(rnd.uniform(0, 2 * gap))
            bed.box.deliver(letter(i, "lat-%d-x" % i))
            arrived[i] = time.monotonic()
        end = time.monotonic() + float(poll.rstrip("s")) + 30
        while len(carded) < n and time.monotonic() < end:
            time.sleep(0.1)
        done.set()
        w.join()
        waits = sorted(carded[i] - arrived[i] for i in arrived if i in carded)
        if len(waits) < n:
            print("only %d of %d cards came" % (len(waits), n))
        q = statistics.quantiles(waits, n=100, method="inclusive") if len(waits) > 1 else waits * 99
        print("latency, poll %s, 150 ms per Bot API call: %d letters, p50 %.2f s, p99 %.2f s, min %.2f s,"
              " max %.2f s; load %s" % (poll, len(waits), q[49], q[98], waits[0], waits[-1], load()))
    finally:
        bed.close()


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "rate"
    print("load average before: %s" % load())
    if what == "rate":
        rate(int(sys.argv[2]) if len(sys.argv) > 2 else 10000)
    elif what == "latency":
        latency(sys.argv[2] if len(sys.argv) > 2 else "30s", int(sys.argv[3]) if len(sys.argv) > 3 else 30,
                float(sys.argv[4]) if len(sys.argv) > 4 else 5.0)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
