#!/usr/bin/env bash
# bench/guard.sh: the quick check before a change to the CPU data path goes in (about 2 minutes).
# hccl-perf all_reduce (float sum) against Open MPI's MPI_Allreduce with the same measurement loop
# (bench/compare/mpi_allreduce.c, glibc's mmap threshold off: the fair anchor, bench/RESULTS.md),
# run alternately on a fixed grid; prints each size's medians, the ratio and the verdict against
# the targets of bench/RESULTS.md. A benchmark, not a test: it always exits 0 unless it cannot run.
#
#   bench/guard.sh                      # 5 alternated rounds
#   ROUNDS=5 bench/guard.sh             # steadier
#   LOAD=1 bench/guard.sh               # the same with one extra busy process on the machine
#   BUILD_DIR=build-x bench/guard.sh    # another hccl build (default: build)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
ROUNDS=${ROUNDS:-5}
PERF=$BUILD_DIR/bin/hccl-perf
ANCHOR=$BUILD_DIR/compare/mpi_allreduce
[[ -x $PERF ]] || { echo "guard: $PERF is missing: build hccl first (tools/build.sh)" >&2; exit 2; }
if [[ ! -x $ANCHOR ]]; then
  command -v mpicc >/dev/null || { echo "guard: needs Open MPI (apt-get install -y libopenmpi-dev openmpi-bin)" >&2; exit 2; }
  mkdir -p "$(dirname "$ANCHOR")"
  mpicc -O2 -o "$ANCHOR" bench/compare/mpi_allreduce.c -lm
fi
MPIRUN=(mpirun --oversubscribe -x MALLOC_MMAP_MAX_=0 -x MALLOC_TRIM_THRESHOLD_=17179869184)
[[ $(id -u) == 0 ]] && MPIRUN+=(--allow-run-as-root)

# The grid: ranks, then hccl-perf's size flags. 4 ranks on this 2-core machine are oversubscribed.
GRID=(
  "4|-b 8 -e 1M -f 8 -n 50 -w 5"
  "4|-b 16M -e 16M -n 4 -w 1"
  "2|-b 8 -e 1M -f 8 -n 2000 -w 100"
  "2|-b 16M -e 256M -f 16 -n 4 -w 1"
)

busy=""
if [[ ${LOAD:-0} == 1 ]]; then
  (while :; do :; done) &
  busy=$!
  trap 'kill $busy 2>/dev/null' EXIT
fi

raw=$(mktemp -d /tmp/hccl-guard.XXXXXX)
# run LIB NP FLAGS: appends "lib np size time_us" rows (out of place) to $raw/rows
run() {
  local lib=$1 np=$2 flags=$3 out
  out=$raw/last.txt
  if [[ $lib == hccl ]]; then
    timeout 300 "$PERF" all_reduce -np "$np" -d float -o sum -c 0 $flags >"$out" 2>&1 || true
  else
    timeout 300 "${MPIRUN[@]}" -np "$np" "$ANCHOR" -c 0 $flags >"$out" 2>&1 || true
  fi
  awk -v lib="$lib" -v np="$np" '$1 ~ /^[0-9]+$/ && $3 == "float" { print lib, np, $1, $6 }' "$out" >>"$raw/rows"
}

start=$SECONDS
for ((round = 1; round <= ROUNDS; round++)); do
  for cell in "${GRID[@]}"; do
    np=${cell%%|*}
    flags=${cell#*|}
    # alternate which library goes first
    if ((round % 2)); then run hccl "$np" "$flags"; run ompi "$np" "$flags"
    else run ompi "$np" "$flags"; run hccl "$np" "$flags"; fi
  done
done

echo "hccl vs Open MPI (no-mmap), all_reduce float sum, $ROUNDS alternated rounds, medians of time per call${busy:+, with one extra busy process} ($((SECONDS - start)) s)"
python3 - "$raw/rows" <<'PY'
import collections, statistics, sys
t = collections.defaultdict(list)
for line in open(sys.argv[1]):
    lib, np, size, us = line.split()
    t[(int(np), int(size), lib)].append(float(us))
def target(np, size):
    if np == 2 and size == 8: return "time <= 1.5x", lambda r: r <= 1.5
    if np == 2 and size >= 16 << 20: return "speed >= 1.5x", lambda r: 1 / r >= 1.5
    return "speed >= 1.0x", lambda r: 1 / r >= 1.0
def human(b):
    for unit, s in (("MiB", 20), ("KiB", 10)):
        if b >= 1 << s: return f"{b >> s} {unit}"
    return f"{b} B"
print(f"{'ranks':>5} {'size':>8} {'hccl us':>10} {'OMPI us':>10} {'time ratio':>10}  target         verdict")
met = total = 0
for np, size in sorted({(k[0], k[1]) for k in t}, key=lambda k: (-k[0], k[1])):
    h, o = t.get((np, size, "hccl")), t.get((np, size, "ompi"))
    if not h or not o:
        print(f"{np:>5} {human(size):>8}  missing runs (hccl {len(h or [])}, ompi {len(o or [])})")
        continue
    hm, om = statistics.median(h), statistics.median(o)
    name, ok = target(np, size)
    good = ok(hm / om)
    met += good; total += 1
    print(f"{np:>5} {human(size):>8} {hm:>10.2f} {om:>10.2f} {hm / om:>10.2f}  {name:<14} {'met' if good else 'MISSED'}")
print(f"{met} of {total} targets met")
PY
rm -rf "$raw"
