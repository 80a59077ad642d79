#!/usr/bin/env bash
# uring cp against GNU cp on one large file, side by side, cached and uncached.
#
# usage: cmd/uring/testdata/cpbench.sh [-n REPS] [-s SIZE] [-d DIR] [-m cached|uncached|both] [-- UCP_OPTIONS...]
#
#   -n REPS   rounds (default 9); each round copies with GNU cp and with uring cp, in alternating
#             order, and takes the ratio of the two times
#   -s SIZE   size of the source file, as head -c takes it (default 1G)
#   -d DIR    where the files go (default: $TMPDIR or /tmp); source and copy are on the same
#             file system, as in the usual cp
#   -m MODE   cached: the source is in the page cache (read once before each copy);
#             uncached: `sync; echo 3 > /proc/sys/vm/drop_caches` before each copy (needs root);
#             both (default)
#   UCP_OPTIONS  more options for uring cp, e.g. --chunk=1m --inflight=8 (tuning)
#
# Each copy is timed from start to exit; the copy is then removed and `sync` run outside the
# timing, so that the writeback of one copy does not land on the next. Prints, per mode, the
# median time of each and the median, min and max of the per-round ratios GNU cp time / uring cp
# time (above 1: uring cp is faster). The machine is shared and noisy: compare ratios, and run
# it more than once.
set -euo pipefail
reps=9 size=1G dir=${TMPDIR:-/tmp} mode=both
while getopts n:s:d:m: opt; do
  case $opt in
    n) reps=$OPTARG ;;
    s) size=$OPTARG ;;
    d) dir=$OPTARG ;;
    m) mode=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
root=$(cd "$(dirname "$0")/../../.." && pwd)
bin=$(mktemp -d)/uring
(cd "$root" && go build -o "$bin" ./cmd/uring)
src=$dir/cpbench-src.$$ dst=$dir/cpbench-dst.$$
trap 'rm -f "$src" "$dst" "$bin"; rmdir "$(dirname "$bin")"' EXIT
head -c "$size" /dev/urandom >"$src"
sync

ms() { local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N); echo $(((e - s) / 1000000)); }

prepare() { # $1: cached|uncached
  rm -f "$dst"
  sync
  if [[ $1 == uncached ]]; then
    echo 3 >/proc/sys/vm/drop_caches
  else
    cat "$src" >/dev/null
  fi
}

check() { cmp -s "$src" "$dst" || { echo "uring cp: the copy differs from the source" >&2; exit 1; }; }

run_mode() { # $1: cached|uncached
  local m=$1 i g u
  shift
  for ((i = 0; i < reps; i++)); do
    if ((i % 2 == 0)); then
      prepare "$m"; g=$(ms cp "$src" "$dst")
      prepare "$m"; u=$(ms "$bin" cp "$@" "$src" "$dst"); check
    else
      prepare "$m"; u=$(ms "$bin" cp "$@" "$src" "$dst"); check
      prepare "$m"; g=$(ms cp "$src" "$dst")
    fi
    echo "$g $u"
  done | python3 -c '
import statistics, sys
rows = [tuple(map(int, l.split())) for l in sys.stdin]
g = [r[0] for r in rows]; u = [r[1] for r in rows]
ratio = sorted(a / b for a, b in rows)
print("%-8s size=%s rounds=%d  GNU cp median %d ms, uring cp median %d ms;  ratio cp/uring: median %.2f (min %.2f, max %.2f)  uring cp options: %s" % (
    sys.argv[1], sys.argv[2], len(rows), statistics.median(g), statistics.median(u),
    statistics.median(ratio), ratio[0], ratio[-1], sys.argv[3] or "(defaults)"))
' "$m" "$size" "$*"
}

case $mode in
  cached) run_mode cached "$@" ;;
  uncached) run_mode uncached "$@" ;;
  both) run_mode cached "$@"; run_mode uncached "$@" ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
