#!/usr/bin/env python3
"""Runs the suite of one or more builds (`make check`, `make test`).

    python3 tests/run.py [--jobs N] [--timeout S] [--only TEXT] BUILD_DIR...

The jobs of every build dir given (build, build-san) go into one pool and
run N at a time: the unit tests, the fuzz corpora replays, the end-to-end
shell tests, the emulator's own test and each end-to-end Python test
(test_x.py Class.test_y). The end-to-end tests spend their time waiting on
the emulator's Telegram limits, not on the CPU, and share nothing: each has
its own emulator on a free port, its own directory and database. The two
that run scripts/run.sh (the demo on port 18080 in the clone's demo/) take
turns.

Each job's output (stdout and stderr together) is printed whole when it
ends, under a line naming it; a failed one is named again at the end, after
the last lines of its output, and the exit status is 1. The longest jobs are started first: their times of
the last run are kept in BUILD_DIR/test-times.json.

`make test` gives build-san as build-san=COMMAND: the sanitizer build runs
(niced) as the first job while the plain build's tests run, and its tests
start once it has passed.
"""
import argparse
import glob
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
E2E = os.path.join(ROOT, "tests", "e2e")
# The demo tests share scripts/run.sh's port and the clone's demo/ directory.
# Lines of a failed job's output printed again at the very end.
TAIL = 40
LOCKS = {"tests/e2e/test_demo.sh": "demo", "tests/e2e/test_demo_anywhere.sh": "demo"}


class Job:
    def __init__(self, build, name, argv, lock=None, after=None):
        self.build, self.name, self.argv, self.lock = build, name, argv, lock
        self.after = after          # a job that must have passed first (the build)
        self.key = "%s %s" % (build, name)
        self.output, self.rc, self.took = b"", None, 0.0


def python_tests(path):
    """The test ids of one end-to-end Python file: each test method, or each
    class when it sets up once for all its methods (setUpClass). None when
    the file cannot be loaded: then it runs whole and shows why."""
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        module = importlib.import_module(name)
        suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    except Exception:
        return None
    ids = []

    def walk(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                walk(t)
                continue
            cls = type(t)
            shared = cls.setUpClass.__func__ is not unittest.TestCase.setUpClass.__func__
            tid = cls.__name__ if shared else "%s.%s" % (cls.__name__, t._testMethodName)
            if tid not in ids:
                ids.append(tid)

    walk(suite)
    return ids or None


def jobs_of(build):
    jobs = []
    for src in sorted(glob.glob(os.path.join(ROOT, "tests", "unit", "test_*.c"))):
        exe = os.path.join(build, "tests", os.path.splitext(os.path.basename(src))[0])
        jobs.append(Job(build, exe, [exe]))
    for src in sorted(glob.glob(os.path.join(ROOT, "tests", "fuzz", "fuzz_*.c"))):
        n = os.path.basename(src)[len("fuzz_"):-len(".c")]
        if n != "util":
            jobs.append(Job(build, "replay tests/fuzz/corpus/" + n,
                            [os.path.join(build, "fuzz", "replay_" + n), "tests/fuzz/corpus/" + n]))
    for path in sorted(glob.glob(os.path.join(E2E, "test_*.sh"))):
        rel = os.path.relpath(path, ROOT)
        jobs.append(Job(build, rel, ["bash", rel], LOCKS.get(rel)))
    jobs.append(Job(build, "tests/tgemu/test_tgemu.py", [sys.executable, "tests/tgemu/test_tgemu.py"]))
    for path in sorted(glob.glob(os.path.join(E2E, "test_*.py"))):
        rel = os.path.relpath(path, ROOT)
        ids = python_tests(path)
        if ids is None:
            jobs.append(Job(build, rel, [sys.executable, rel]))
        else:
            jobs += [Job(build, "%s %s" % (rel, t), [sys.executable, rel, t]) for t in ids]
    return jobs


def times_file(build):
    return os.path.join(ROOT, build, "test-times.json")


def load_times(builds):
    known = {}
    for build in builds:
        try:
            with open(times_file(build)) as f:
                known.update(json.load(f))
        except (OSError, ValueError):
            pass
    return known


def save_times(builds, jobs):
    for build in builds:
        done = load_times([build])      # a run of a few (--only) keeps the others' times
        done.update({j.key: round(j.took, 1) for j in jobs if j.build == build and j.rc is not None})
        try:
            with open(times_file(build), "w") as f:
                json.dump(done, f, indent=0, sort_keys=True)
        except OSError:
            pass


def order(jobs, known):
    """Longest first, by the last run's times. Without them (a fresh clone):
    the jobs that take turns first (the demo's, the longest chain), then the
    end-to-end Python tests (the long waits), the shell ones, the rest."""
    def rank(j):
        if j.key in known:
            return (0, -known[j.key])
        e2e_py = j.argv[0] == sys.executable and "/e2e/" in j.argv[1]
        return (1 if j.lock else 2 if e2e_py else 3 if j.argv[0] == "bash" else 4, 0)
    return sorted(jobs, key=rank)


ACTIVE = set()  # the jobs' processes, ended with the runner


def run(job, timeout):
    env = dict(os.environ, TILLDESK_BIN=os.path.join(job.build, "tilldesk"), PYTHONUNBUFFERED="1")
    start = time.monotonic()
    # A session of its own: a job that times out is ended with its daemons and emulators.
    p = subprocess.Popen(job.argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    ACTIVE.add(p)
    try:
        job.output, _ = p.communicate(timeout=timeout)
        job.rc = p.returncode
    except subprocess.TimeoutExpired:
        # TERM first, for the test's own clean-up (its scratch directory), then KILL.
        os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        job.output, _ = p.communicate()
        job.output += b"\n(killed after %d s)\n" % timeout
        job.rc = -1
    ACTIVE.discard(p)
    job.took = time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description="Runs the tests of the given build dirs, N at a time.")
    ap.add_argument("--jobs", "-j", type=int, default=int(os.environ.get("TEST_JOBS") or 8))
    ap.add_argument("--timeout", type=int, default=600, help="seconds one job may take")
    ap.add_argument("--only", metavar="TEXT", help="only the jobs whose name holds TEXT")
    ap.add_argument("builds", nargs="+", metavar="DIR[=COMMAND]",
                    help="build dirs (build, build-san); with =COMMAND, the command builds "
                         "DIR first while the other dirs' tests run")
    a = ap.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, E2E)
    builds, jobs, first = [], [], []
    for arg in a.builds:
        b, _, command = arg.partition("=")
        b = os.path.relpath(os.path.abspath(b), ROOT)
        builds.append(b)
        mine = [j for j in jobs_of(b) if not a.only or a.only in j.name]
        if command:
            build = Job(b, "build: " + command, ["sh", "-c", command])
            first.append(build)
            for j in mine:
                j.after = build
        jobs += mine
    queue = first + order(jobs, load_times(builds))
    jobs = first + jobs
    total = len(queue)

    lock = threading.Condition()
    held, running, failed, unbuilt = set(), [0], [], []
    out = sys.stdout.buffer
    started = time.monotonic()

    def worker():
        while True:
            with lock:
                while True:
                    if not queue:
                        return
                    job = next((j for j in queue if (j.lock is None or j.lock not in held)
                                and (j.after is None or j.after.rc == 0)), None)
                    if job:
                        break
                    lock.wait()
                queue.remove(job)
                if job.lock:
                    held.add(job.lock)
            run(job, a.timeout)
            with lock:
                if job.lock:
                    held.discard(job.lock)
                running[0] += 1
                verdict = "ok" if job.rc == 0 else "FAILED (exit %s)" % job.rc
                if job.rc != 0:
                    failed.append(job)
                    # A failed build: its tests cannot run.
                    unbuilt.extend(j for j in queue if j.after is job)
                    queue[:] = [j for j in queue if j.after is not job]
                out.write(b"== [%s] %s\n" % (job.build.encode(), job.name.encode()))
                out.write(job.output)
                if job.output and not job.output.endswith(b"\n"):
                    out.write(b"\n")
                out.write(b"-- [%s] %s: %s in %.1f s (%d/%d)\n"
                          % (job.build.encode(), job.name.encode(), verdict.encode(), job.took,
                             running[0], total))
                out.flush()
                lock.notify_all()

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, a.jobs))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        for p in list(ACTIVE):
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        print("interrupted", file=sys.stderr)
        os._exit(130)
    save_times(builds, jobs)
    took = time.monotonic() - started
    slowest = sorted(jobs, key=lambda j: -j.took)[:5]
    print("slowest: " + ", ".join("[%s] %s %.0f s" % (j.build, j.name, j.took) for j in slowest))
    if failed:
        # Their ends again, last: a log cut to its tail still shows why.
        for j in failed:
            tail = j.output.decode("utf-8", "replace").splitlines()[-TAIL:]
            print("== the end of [%s] %s:" % (j.build, j.name))
            print("\n".join(tail))
        print("FAILED (%d of %d, %s):" % (len(failed), total, " ".join(builds)))
        for j in failed:
            print("  [%s] %s" % (j.build, j.name))
        if unbuilt:
            print("not run, their build failed: %d tests of %s"
                  % (len(unbuilt), " ".join(sorted({j.build for j in unbuilt}))))
        sys.exit(1)
    print("all %d tests passed (%s) in %.0f s, %d at a time" % (total, " ".join(builds), took, a.jobs))


if __name__ == "__main__":
    main()
