#!/bin/sh
# Runs the ticket-loop benchmarks (bench/bench.py) and prints the table that
# bench/RESULTS.md records. Takes about 2-3 minutes. Needs the build
# dependencies, python3, the sqlite3 shell; run as root or as a user (as root
# the daemon becomes 'nobody', like the end-to-end tests).
#
#   bench/run.sh [--only handling,delivery,memory] [--n 10000] [--json FILE]
#                [--perf FILE]      # bench 1 under `perf record -g`
#   bench/run.sh alerts [OPTIONS]   # issue 15: build/bench/alert_bench (the alerts'
#                                   # pass over 10,000 firing alerts), then
#                                   # bench/alert_net_bench.py OPTIONS (fault to card,
#                                   # a storm of 500 tills, memory); about 25 minutes
#   bench/run.sh newlist [OPTIONS]  # issue 18: 200 new tickets in a minute under the
#                                   # group's 20 a minute (bench/newlist_bench.py);
#                                   # --reaction 120: and their SLA warnings
set -eu
cd "$(dirname "$0")/.."
make >/dev/null
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- core storage bot cli || echo ' + uncommitted changes')"
echo "== $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
     "$(awk '/MemTotal/ {printf "%d MB", $2/1024}' /proc/meminfo) RAM, Linux $(uname -r)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${1:-}" = busy ]; then
	shift
	exec python3 bench/busy_bench.py "$@"
fi
if [ "${1:-}" = newlist ]; then
	shift
	exec python3 bench/newlist_bench.py "$@"
fi
if [ "${1:-}" = alerts ]; then
	shift
	make build/bench/alert_bench >/dev/null
	build/bench/alert_bench
	exec python3 bench/alert_net_bench.py "$@"
fi
if [ "${1:-}" = mailin ]; then
	python3 bench/mailin_bench.py rate 10000
	python3 bench/mailin_bench.py latency 2s 30 5
	exec python3 bench/mailin_bench.py latency 30s 30 5
fi
exec python3 bench/bench.py "$@"
