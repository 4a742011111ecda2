#!/bin/sh
# Runs the knowledge-base search benchmark (bench/kb_bench.c): the shipped
# articles and 10,000 generated ones; import time, search latency p50/p99.
set -eu
cd "$(dirname "$0")/.."
make build/bench/kb_bench >/dev/null
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) CPUs, Linux $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec build/bench/kb_bench "$@"
