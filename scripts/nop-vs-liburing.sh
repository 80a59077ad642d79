#!/usr/bin/env bash
# BenchmarkNop against liburing's NOP loop (../shared/anchors/run nop), in alternating rounds:
# prints each round's ns/op for both and the median ratio per batch size.
#   scripts/nop-vs-liburing.sh [ROUNDS]   (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
anchors=$(cd .. && pwd)/shared/anchors
"$anchors/run" nop >/dev/null # builds the C programs (and installs liburing-dev if needed)
bin=${XDG_CACHE_HOME:-$HOME/.cache}/uring-anchors/nop
go test -c -o /tmp/uring-nop.test . >/dev/null
for b in 1 8 32 128; do
  for ((i = 0; i < rounds; i++)); do
    g=$(GOMAXPROCS=1 /tmp/uring-nop.test -test.run '^$' -test.bench "^BenchmarkNop\$/^batch=$b\$" -test.benchtime 2000000x | awk '/^BenchmarkNop\// {print $3}')
    c=$("$bin" default "$b" 2000000 | sed -n 's/.*ns_per_op=\([0-9.]*\).*/\1/p')
    echo "$b $g $c"
  done
done | python3 -c '
import statistics, sys
rows = {}
for line in sys.stdin:
    b, g, c = line.split()
    rows.setdefault(int(b), []).append((float(g), float(c)))
print("batch  Go ns/op  C ns/op  Go time / C time (median, min-max)  Go rate / C rate")
for b, rs in sorted(rows.items()):
    r = sorted(g / c for g, c in rs)
    m = statistics.median(r)
    print("%5d  %8.1f  %7.1f  %.3f (%.3f-%.3f)                    %.3f" % (b, statistics.median(g for g, _ in rs), statistics.median(c for _, c in rs), m, r[0], r[-1], 1 / m))
'
