#!/usr/bin/env python3
"""The till agent against the real daemon (issue 14): its footprint, and a
spool of 50,000 events drained after an outage.

    python3 bench/agent_bench.py [PASSES]          footprint, then one drain
    python3 bench/agent_bench.py drain [ROUNDS] [--rate N]

Both run `tilldesk-agent run` (`interval = 1s`, the e2e's till: `[check.fn]`
reading a state file, `[check.utm]` against the fake УТМ, `clock`) against
the real `tilldesk serve` of tests/e2e/agent_harness.py (its ingest on a
loopback port, its own database, the Bot API emulator it needs), all on the
same machine.

Footprint: PASSES passes after the first, then the agent's /proc/PID/stat
(utime + stime, clock ticks) and /proc/PID/status (VmRSS, VmHWM). CPU per
pass = the CPU the process used between the end of the first pass and the
end of the last, divided by the passes between them, so start-up (loading
libraries, opening the spool) is not counted; each pass includes storing its
events in the spool and sending them (one HTTP POST). VmRSS counts the pages
of shared libraries the process touched (libcrypto, libc, SQLite, libcurl
and its GnuTLS, shared with every other process using them); RssAnon is the
agent's own memory; Pss shares each library page among the processes mapping
it. Also times `tilldesk-agent check` (one pass, a fresh process) with
getrusage: its wall and CPU time.

Drain: the agent runs one pass and stops; its spool is then filled with
50,000 heartbeats (written straight into its SQLite file, as a long outage
would leave them); the agent is started again and the time from its start
until the daemon's database holds all 50,000 for the till is taken (batches
of 500, each one transaction in the daemon). The daemon keeps its defaults
([ingest] rate = 20 requests a second per till, burst 40: a 429 makes the
agent wait its Retry-After) unless --rate N raises the till's rate. Each
round prints the load average before it.
"""
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from agent_harness import AGENT, Server, Till  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pss_kb(pid):
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def count(server, till):
    return server.sql("select count(*) from agent_events e join tills t on t.id = e.till_id"
                      " where t.name = ?", till.name)[0][0]


def footprint(passes):
    server = Server()
    till = Till(server)
    try:
        till.pos_writes(expires_in_days=10, unsent_days=4)
        till.start()
        pid = till.agent.pid
        server.wait_event(till.name, code="clock.skew", kind="change", status="ok")
        per_pass = len({e["code"] for e in server.events(till.name)})
        first = count(server, till)
        cpu0 = cpu_seconds(pid)
        t0 = time.time()
        while count(server, till) < first + passes * per_pass:
            time.sleep(0.05)
        cpu1, t1 = cpu_seconds(pid), time.time()
        rss, hwm = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
        anon, file_ = status_kb(pid, "RssAnon"), status_kb(pid, "RssFile")
        pss = pss_kb(pid)
        till.kill()
        print("run: %d passes of %d codes in %.1f s wall; CPU %.3f s = %.2f ms per pass (load %s)" %
              (passes, per_pass, t1 - t0, cpu1 - cpu0, (cpu1 - cpu0) * 1000 / passes, loadavg()))
        print("run: VmRSS %d kB (peak %d) = RssAnon %d kB (its own heap and stacks)"
              " + RssFile %d kB (shared libraries' pages); Pss %d kB" % (rss, hwm, anon, file_, pss))

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        runs = 20
        for _ in range(runs):
            subprocess.run([AGENT, "-c", till.cfg, "check"], capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / runs
        print("check: %.1f ms wall, %.1f ms CPU per process (start-up included)"
              % ((time.time() - t0) * 1000 / runs, cpu * 1000))
    finally:
        till.close()
        server.close()


def drain(total=50000, rate=None):
    server = Server("rate = %d\nburst = %d\n" % (rate, 2 * rate) if rate else "")
    till = Till(server)
    try:
        till.start()
        server.wait_event(till.name, code="clock.skew", kind="change", status="ok")
        till.kill()
        till.backlog(total)
        before = count(server, till)
        load = loadavg()
        t0 = time.time()
        till.start()
        while count(server, till) < before + total:
            time.sleep(0.02)
        took = time.time() - t0
        hwm, anon = status_kb(till.agent.pid, "VmHWM"), status_kb(till.agent.pid, "RssAnon")
        till.kill()
        with open(os.path.join(server.desk.dir, "serve.log"), "rb") as f:
            log = f.read()
        print("drain: %d events in %.2f s = %.0f events/s (agent start-up included; load %s;"
              " rate %s; %d answers 429); agent VmHWM %d kB, RssAnon after %d kB"
              % (total, took, total / took, load, rate or "20 (default)",
                 log.count(b"over its rate"), hwm, anon))
        return total / took
    finally:
        till.close()
        server.close()


def main():
    args = sys.argv[1:]
    if args and args[0] == "drain":
        rate = None
        if "--rate" in args:
            i = args.index("--rate")
            rate = int(args[i + 1])
            del args[i:i + 2]
        rounds = int(args[1]) if len(args) > 1 else 3
        rates = sorted(drain(rate=rate) for _ in range(rounds))
        print("drain: median %.0f events/s over %d rounds" % (rates[len(rates) // 2], rounds))
        return
    footprint(int(args[0]) if args else 60)
    drain()


if __name__ == "__main__":
    main()
