#!/usr/bin/env python3
"""E-mail out (issue 16): letters delivered per second, and the daemon's RSS.

    python3 bench/mail_bench.py [LETTERS] [ROUNDS]      (1000 letters, 3 rounds)

Each round runs the real `tilldesk serve` of tests/e2e/harness.py (the Bot
API emulator it needs, its own database) with [smtp] pointing at the
tests' aiosmtpd (tests/fakes/smtpd.py: STARTTLS on a certificate of a test
CA made at run time, AUTH PLAIN/LOGIN, each message written to a file and
renamed) on the loopback, all on the same machine. LETTERS letters of two
recipients each (a digest's size: a Russian subject, 2 KB of text, 4 KB of
HTML) are inserted in one transaction while the daemon runs, as
mail_queue() writes them; the time is taken from that commit until the
database holds every letter done, and the server's files are counted.
The sender takes 50 letters per SMTP session (one connection, one TLS
handshake, one AUTH) and commits each letter's outcome when the server
answered its data.

RSS: /proc/PID/status of the daemon (VmRSS, VmHWM, RssAnon, RssFile,
RssShmem) idle 2 s after its start with the mail module loaded, and once
more 2 s after the round.
"""
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from harness import Desk  # noqa: E402
from mail_harness import PASSWORD, Mailbox, mail_config, make_certs, queue_sql, sql_as_owner  # noqa: E402

TEXT = ("Итоги дня по сети «Ромашка»: открыто 12 заявок, решено 10, просрочено 2.\n" * 24)[:2048]
HTML = ("<tr><td>Ромашка на Ленина</td><td style='width:40px'>12</td></tr>\n" * 64)[:4096]


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, v = line.split(":", 1)
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    return out


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def one_round(n):
    certs = make_certs(tempfile.mkdtemp(prefix="tilldesk-mailbench-"))
    os.chmod(certs, 0o755)
    box = Mailbox(certs)
    box.start("server")
    os.environ["TILLDESK_SMTP_PASSWORD"] = PASSWORD
    desk = Desk(extra_config=mail_config(box))
    # The daemon's info log, not the tests' debug one (every server line).
    with open(desk.cfg) as f:
        cfg = f.read().replace("log_level = debug", "log_level = info")
    with open(desk.cfg, "w") as f:
        f.write(cfg)
    try:
        desk.setup_chain()
        # No digest: after 08:00 in Moscow the owner's would be built before the idle figure.
        desk.cli("org", "owner", "set", "Ромашка", "owner@romashka.example", "--digest", "off")
        desk.start()
        time.sleep(2)
        idle = status(desk.daemon.pid)
        sql = "".join(queue_sql("bench:%d" % i, "Итоги за 25 ноября: %d заявок" % i, TEXT, HTML,
                                [("Ольга Петрова", "olga@romashka.example"), (None, "ivan@romashka.example")])
                      for i in range(n))
        sql_as_owner(desk.db, "BEGIN;" + sql + "COMMIT;")
        t0 = time.monotonic()
        while desk.sql("SELECT count(*) FROM letters WHERE state = 'done'") != str(n):
            time.sleep(0.05)
            if time.monotonic() - t0 > 300:
                raise AssertionError("not done in 300 s")
        took = time.monotonic() - t0
        time.sleep(2)  # the sender's last pass ends and trims its heap
        after = status(desk.daemon.pid)
        got = len([f for f in os.listdir(box.dir) if f.endswith(".eml")])
        return took, got, idle, after
    finally:
        desk.close()
        box.stop()
        os.environ.pop("TILLDESK_SMTP_PASSWORD", None)
        import shutil
        shutil.rmtree(certs, ignore_errors=True)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print("load average before: %s" % load())
    for r in range(rounds):
        took, got, idle, after = one_round(n)
        print("round %d: %d letters in %.2f s = %.0f letters/s (server files: %d); RSS idle %d kB"
              " (anon %d), after %d kB (anon %d, file %d, shmem %d), peak %d kB; load %s"
              % (r + 1, n, took, n / took, got, idle["VmRSS"], idle["RssAnon"], after["VmRSS"],
                 after["RssAnon"], after["RssFile"], after["RssShmem"], after["VmHWM"], load()))


if __name__ == "__main__":
    main()
