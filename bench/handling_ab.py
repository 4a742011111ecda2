#!/usr/bin/env python3
"""The handling benchmark (bench.py's 1 and 1b) for several builds side by side.

  python3 bench/handling_ab.py [--rounds 3] [--n 10000] NAME=BINARY...

Runs each binary in turn, round after round (a, b, c, a, b, c, ...), so that
a machine shared with other work loads them alike, and prints one row per
run: updates handled per second, the load average before it, and the CPU
seconds the daemon spent per 1,000 updates, in all and in its busiest
thread (the poller's intake: the sender and the scheduler are the others).
CPU time depends far less on what else the machine runs than the rate does.
The binaries run under this tree's bench.py and emulator.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402
import harness  # noqa: E402  (bench.py put tests/e2e on the path)


def thread_cpu(pid):
    """CPU seconds (user + system) of each thread of pid."""
    out = []
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return out


def measured_stop(stop):
    """Bench.stop, recording the daemon's CPU just before it ends."""
    def wrapped(self, *a, **k):
        if self.daemon and self.daemon.poll() is None:
            try:
                per = thread_cpu(self.pid())
                self.cpu = (sum(per), max(per))
            except OSError:
                self.cpu = (0.0, 0.0)
        return stop(self, *a, **k)
    return wrapped


def run(binary, n, cashiers):
    bench.BIN = harness.BIN = binary
    seen = []
    orig = bench.timed_handling

    def timed(d, msgs, **k):
        r = orig(d, msgs, **k)
        seen.append(d.cpu)
        return r
    bench.timed_handling = timed
    try:
        load = open("/proc/loadavg").read().split()[0]
        r = bench.bench_handling(n, cashiers)
    finally:
        bench.timed_handling = orig
    total, busiest = seen[-1]
    assert r["handled"] == r["expected"], r
    return r["rate"], load, 1000 * total / n, 1000 * busiest / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("builds", nargs="+", help="NAME=BINARY")
    args = ap.parse_args()
    builds = [b.split("=", 1) for b in args.builds]
    bench.Bench.stop = measured_stop(bench.Bench.stop)
    print("| round | build | bench | updates/s | load before | CPU s / 1,000 (all) | busiest thread |")
    print("|---|---|---|---|---|---|---|")
    for rnd in range(1, args.rounds + 1):
        for name, binary in builds:
            for label, n, cashiers in (("1", args.n, 100), ("1b", args.n // 2, 1)):
                rate, load, cpu, busiest = run(os.path.abspath(binary), n, cashiers)
                print("| %d | %s | %s | %.0f | %s | %.3f | %.3f |"
                      % (rnd, name, label, rate, load, cpu, busiest), flush=True)


if __name__ == "__main__":
    main()
