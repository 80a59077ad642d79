#!/usr/bin/env bash
# uring bench beside the C liburing anchors (../shared/anchors), the same workloads in the same
# minute, in alternating order, so that the ratios Go/C survive a noisy machine.
#
# usage: cmd/uring/testdata/anchors.sh [-n ROUNDS] [-t SECONDS] [CASE...]
#
#   -n ROUNDS   rounds (default 3); each runs every case once in C and once in Go, order alternating
#   -t SECONDS  measured seconds per run (default 2)
#   CASE        any of: randread randread-direct pread pread-direct nop1 nop32 (default: all)
#
#   randread         4 KiB random reads, 32 in flight on one ring, cached: C randread plain 32
#                    against uring bench --ioengine=uring-batch --iodepth=32
#   randread-direct  the same with O_DIRECT
#   pread            one thread of pread(2), cached: C pread against uring bench --ioengine=psync
#   pread-direct     the same with O_DIRECT
#   nop1, nop32      NOPs, 1 or 32 per io_uring_submit_and_wait: C nop default N against
#                    uring bench --rw=nop --iodepth=N --iodepth_batch_submit=N
#
# The anchors are ../shared/anchors from the repository root ($ANCHORS overrides).
# The file is the anchors' ($ANCHOR_FILE, default $TMPDIR/uring-anchor-1g, 1 GiB, made once).
# Prints per case the median IOPS of each side and the median, min and max of the per-round ratio
# Go/C (1.00: as fast as liburing from C).
set -euo pipefail
rounds=3 secs=2
while getopts n:t: opt; do
  case $opt in
    n) rounds=$OPTARG ;;
    t) secs=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
cases=("$@")
((${#cases[@]})) || cases=(randread randread-direct pread pread-direct nop1 nop32)
root=$(cd "$(dirname "$0")/../../.." && pwd)
anchors=${ANCHORS:-$root/../shared/anchors}
[[ -x $anchors/run || -n ${ANCHORS:-} ]] || anchors=$root/../../shared/anchors # a git worktree one level deeper
file=${ANCHOR_FILE:-${TMPDIR:-/tmp}/uring-anchor-1g}
cbin=${XDG_CACHE_HOME:-$HOME/.cache}/uring-anchors
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/uring" ./cmd/uring)
ANCHOR_FILE=$file ANCHOR_SECS=0.2 "$anchors/run" pread >/dev/null # builds the C programs, makes the file

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
gobench() { "$tmp/uring" bench --output-format=json --time_based --runtime="$secs" --ramp_time=0.5 "$@" |
  python3 -c 'import json,sys; print("%.0f" % json.load(sys.stdin)["iops"])'; }

run_c() {
  case $1 in
    randread) "$cbin/randread" "$file" plain 32 "$secs" | field iops ;;
    randread-direct) "$cbin/randread" "$file" plain 32 "$secs" direct | field iops ;;
    pread) "$cbin/pread" "$file" "$secs" | field iops ;;
    pread-direct) "$cbin/pread" "$file" "$secs" direct | field iops ;;
    nop1) "$cbin/nop" default 1 3000000 | field ops_per_sec ;;
    nop32) "$cbin/nop" default 32 20000000 | field ops_per_sec ;;
  esac
}

run_go() {
  local f=(--filename="$file" --rw=randread --bs=4k)
  case $1 in
    randread) gobench "${f[@]}" --ioengine=uring-batch --iodepth=32 ;;
    randread-direct) gobench "${f[@]}" --ioengine=uring-batch --iodepth=32 --direct ;;
    pread) gobench "${f[@]}" --ioengine=psync ;;
    pread-direct) gobench "${f[@]}" --ioengine=psync --direct ;;
    nop1) gobench --rw=nop --ioengine=uring-batch --iodepth=1 ;;
    nop32) gobench --rw=nop --ioengine=uring-batch --iodepth=32 --iodepth_batch_submit=32 ;;
  esac
}

cat "$file" >/dev/null
for c in "${cases[@]}"; do
  for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then
      cv=$(run_c "$c"); gv=$(run_go "$c")
    else
      gv=$(run_go "$c"); cv=$(run_c "$c")
    fi
    echo "$cv $gv"
  done | python3 -c '
import statistics, sys
rows = [tuple(map(float, l.split())) for l in sys.stdin]
r = sorted(g / c for c, g in rows)
print("%-15s C %9.0f  Go %9.0f  ratio Go/C: median %.2f (min %.2f, max %.2f, %d rounds)" % (
    sys.argv[1], statistics.median(c for c, _ in rows), statistics.median(g for _, g in rows),
    statistics.median(r), r[0], r[-1], len(rows)))
' "$c"
done
