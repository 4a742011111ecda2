#!/bin/sh
# Runs the knowledge-base search benchmark (bench/kb_bench.c, issue 4) and
# prints the machine it ran on, for bench/RESULTS.md. Takes about half a
# minute.
# The temporary articles and databases go to $TMPDIR (or /tmp).
#
#   bench/kb_run.sh [--only shipped|generated] [--articles 10000] [--queries 1000]
#                   [--seed N] [--json FILE] [--keep]
set -eu
cd "$(dirname "$0")/.."
make build/bench/kb_bench >/dev/null
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- kb storage core || echo ' + uncommitted changes')"
echo "== $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')," \
     "$(awk '/MemTotal/ {printf "%d MB", $2/1024}' /proc/meminfo) RAM, Linux $(uname -r)"
echo "== $(${CC:-cc} --version | head -1); SQLite $(pkg-config --modversion sqlite3)," \
     "PCRE2 $(pkg-config --modversion libpcre2-8)"
echo "== temporary files on $(df -T "${TMPDIR:-/tmp}" | awk 'NR == 2 {print $2 " (" $1 ")"}')"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/kb_bench "$@"
