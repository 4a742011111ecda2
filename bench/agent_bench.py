#!/usr/bin/env python3
"""The till agent's footprint (issue 14): RSS and CPU per pass of the built-in checks.

Runs `tilldesk-agent run` with `interval = 1s` against the e2e's fake ingest
(tests/e2e/agent_harness.py: a Python HTTP server on the same machine) for
PASSES passes, with a fiscal drive state file and the clock check, then reads
the agent's /proc/PID/stat (utime + stime, clock ticks) and /proc/PID/status
(VmRSS, VmHWM). CPU per pass = the CPU the process used between the end of
the first pass and the end of the last, divided by the passes between them,
so start-up (loading libraries, opening the spool) is not counted; each pass
includes storing its events in the spool and sending them (one HTTP POST).
VmRSS counts the pages of shared libraries the process touched (libcrypto,
libc, SQLite, libcurl and its GnuTLS, shared with every other process using
them); RssAnon is the agent's own memory; Pss shares each library page among
the processes mapping it. Also times `tilldesk-agent check` (one pass, a
fresh process) with getrusage: its wall and CPU time.

Then the drain after an outage: the agent's spool is filled with 50,000
heartbeats (written straight into its SQLite file, as a long outage would
leave them), the agent started against the fake ingest, and the time from its
start until the ingest holds all 50,000 is taken (batches of 500; the
Python ingest parses and stores each batch, so it bounds the rate).

    python3 bench/agent_bench.py [PASSES]
"""
import os
import resource
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from agent_harness import AGENT, FakeIngest, Till  # noqa: E402

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


def main():
    passes = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    ingest = FakeIngest()
    till = Till(ingest)
    try:
        till.pos_writes(expires_in_days=10, unsent_days=4)
        till.start()
        pid = till.agent.pid
        ingest.wait_for(code="fn.expiring", kind="change")
        first_count = len(ingest.ids())
        cpu0, t0 = cpu_seconds(pid), time.time()
        while len(ingest.ids()) < first_count + passes * 7:
            time.sleep(0.05)
        cpu1, t1 = cpu_seconds(pid), time.time()
        rss, hwm = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
        anon, file_ = status_kb(pid, "RssAnon"), status_kb(pid, "RssFile")
        pss = pss_kb(pid)
        till.kill()
        print("run: %d passes in %.1f s wall; CPU %.3f s = %.2f ms per pass" %
              (passes, t1 - t0, cpu1 - cpu0, (cpu1 - cpu0) * 1000 / passes))
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
        ingest.close()
    drain()


def drain(total=50000):
    ingest = FakeIngest()
    till = Till(ingest)
    try:
        # The agent creates its spool; the outage's backlog goes straight into it.
        subprocess.run([AGENT, "-c", till.cfg, "spool"], capture_output=True)
        till.start()
        ingest.wait_for(code="fn.expiring", kind="change")
        till.kill()
        db = sqlite3.connect(till.spool)
        event = '{"kind":"heartbeat","check":"fn","code":"fn.unsent","status":"ok",' \
                '"message":"неотправленных в ОФД документов нет","observed_at":1764115260,' \
                '"data":{"unsent_count":"0"},"perf":[{"label":"unsent","value":0}]}'
        db.executemany("INSERT INTO events(kind, observed_at, json) VALUES (1, 1764115260, ?)",
                       [(event,)] * total)
        db.commit()
        db.close()
        before = len(ingest.ids())
        t0 = time.time()
        till.start()
        while len(ingest.ids()) < before + total:
            time.sleep(0.02)
        took = time.time() - t0
        hwm, anon = status_kb(till.agent.pid, "VmHWM"), status_kb(till.agent.pid, "RssAnon")
        till.kill()
        print("drain: %d events in %.2f s = %.0f events/s (agent start-up included);"
              " VmHWM %d kB, RssAnon after %d kB" % (total, took, total / took, hwm, anon))
    finally:
        till.close()
        ingest.close()


if __name__ == "__main__":
    main()
