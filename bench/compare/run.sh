#!/usr/bin/env bash
# hccl against Open MPI and Gloo: float sum AllReduce on this machine, runs alternated, medians.
#
#   bench/compare/run.sh                 # full run: 2 and 4 ranks, 5 rounds (~12 min when quiet)
#   ROUNDS=3 NPS=2 bench/compare/run.sh  # fewer rounds, 2 ranks only
#   QUICK=1 bench/compare/run.sh         # a smoke test: 1 round, small sizes, few iterations
#   UPDATE_RESULTS=1 bench/compare/run.sh  # also rewrite the generated part of bench/RESULTS.md
#
# What it does:
#   1. installs what is missing (apt-get: libopenmpi-dev openmpi-bin libgloo-dev time);
#   2. builds bench/compare/mpi_allreduce.c (mpicc -O2) and gloo_allreduce.cc (g++ -O2 -lgloo; Gloo
#      is skipped, with the reason, when it does not build) into $BUILD_DIR/compare/, and hccl-perf
#      when $BUILD_DIR/bin/hccl-perf is missing;
#   3. for each rank count, for each round, for each size segment: runs hccl-perf (its built-in
#      launcher, -np N), hccl-perf under mpirun (ranks placed and bound by mpirun exactly as Open
#      MPI's: with ranks <= cores, mpirun binds each rank to a core, while forked ranks start on one
#      core until the scheduler spreads them), Open MPI with default malloc, Open MPI with
#      MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=17179869184 (the fair anchor: otherwise Open MPI's
#      per-call temporary buffer is mmapped and first-touched on every call at >= 32 MiB), and Gloo,
#      one after the other, the starting library rotating by round; every program uses the same
#      sizes, iterations, warm-up and measurement loop;
#   4. peak RSS per rank of hccl-perf (and of Open MPI) at 16 MiB and at 256 MiB (/usr/bin/time -v);
#   5. the host reduction kernels against memcpy (hccl_reduce_bench), when it is built;
#   6. medians over rounds: results/*.csv, results/tables.md (printed), and the plot
#      bench/results_allreduce.svg (bench/plot_results.py).
#
# Settings (environment):
#   BUILD_DIR  hccl build folder (build)          ROUNDS  rounds of alternated runs (5)
#   NPS        rank counts ("2 4")
#   LIBS       "hccl hccl-mpirun ompi ompi-nommap gloo"
#   SMALL      flags of the small-size segment ("-b 8 -e 1M -f 2 -n 100 -w 10 -c 1")
#   LARGE      flags of the large-size segment ("-b 4M -e 256M -f 4 -n 6 -w 1 -c 0": hccl-perf's
#              check costs ~20 s per 256 MiB row at 4 ranks; the RSS runs check 16 and 256 MiB)
#   OUT        results folder (bench/compare/results); its raw/ is cleared at the start
#   PLOT       the plot (bench/results_allreduce.svg; with QUICK=1, $OUT/results_allreduce.svg)
#   RSS=0, MICRO=0 skip steps 4 and 5; RUN_TIMEOUT seconds per program run (600); JOBS (2)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
ROUNDS=${ROUNDS:-5}
NPS=${NPS:-"2 4"}
LIBS=${LIBS:-"hccl hccl-mpirun ompi ompi-nommap gloo"}
SMALL=${SMALL:-"-b 8 -e 1M -f 2 -n 100 -w 10 -c 1"}
LARGE=${LARGE:-"-b 4M -e 256M -f 4 -n 6 -w 1 -c 0"}
if [[ ${QUICK:-0} == 1 ]]; then
  ROUNDS=${QUICK_ROUNDS:-1}
  SMALL="-b 8 -e 64K -f 8 -n 20 -w 2 -c 1"
  LARGE="-b 1M -e 16M -f 4 -n 3 -w 1 -c 1"
  RSS=${RSS:-0}
  MICRO=${MICRO:-0}
fi
RSS=${RSS:-1}
MICRO=${MICRO:-1}
OUT=${OUT:-bench/compare/results}
PLOT=${PLOT:-bench/results_allreduce.svg}
[[ ${QUICK:-0} == 1 ]] && PLOT=${PLOT_QUICK:-$OUT/results_allreduce.svg}
RUN_TIMEOUT=${RUN_TIMEOUT:-600}
JOBS=${JOBS:-2}
BIN="$BUILD_DIR/compare"

log() { echo "[compare $(date +%H:%M:%S)] $*" >&2; }
sudo_() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

# --- 1. packages -------------------------------------------------------------------------------
missing=()
for p in libopenmpi-dev openmpi-bin libgloo-dev time; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2 ||
    { sudo_ apt-get update >&2 && sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2; } ||
    log "apt-get install failed; going on with what is there"
fi

# --- 2. builds ---------------------------------------------------------------------------------
mkdir -p "$BIN"
mpicc -O2 -Wall -Wextra -o "$BIN/mpi_allreduce" bench/compare/mpi_allreduce.c -lm
GLOO_SKIP=""
if ! g++ -std=c++17 -O2 -Wall -Wextra -o "$BIN/gloo_allreduce" bench/compare/gloo_allreduce.cc \
     -lgloo -lpthread 2>"$BIN/gloo_build.log"; then
  GLOO_SKIP="gloo_allreduce.cc did not build against libgloo-dev: $(head -c 400 "$BIN/gloo_build.log")"
fi
if [[ -z $GLOO_SKIP ]] && ! "$BIN/gloo_allreduce" -np 2 -b 8 -e 64 -f 2 -n 2 -w 1 >"$BIN/gloo_smoke.log" 2>&1; then
  GLOO_SKIP="gloo_allreduce failed its smoke test: $(tail -c 400 "$BIN/gloo_smoke.log")"
fi
if [[ -n $GLOO_SKIP ]]; then
  log "skipping Gloo: $GLOO_SKIP"
  LIBS=$(echo "$LIBS" | tr ' ' '\n' | grep -vx gloo | tr '\n' ' ')
fi
PERF="$BUILD_DIR/bin/hccl-perf"
if [[ ! -x $PERF ]]; then
  log "building hccl in $BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" >&2
  cmake --build "$BUILD_DIR" -j"$JOBS" --target hccl-perf >&2
fi
MICROBIN="$BUILD_DIR/bin/hccl_reduce_bench"
if [[ $MICRO == 1 && ! -x $MICROBIN ]]; then
  cmake --build "$BUILD_DIR" -j"$JOBS" --target hccl_reduce_bench >&2 || log "no hccl_reduce_bench"
fi

MPIRUN=(mpirun --oversubscribe)
[[ $(id -u) == 0 ]] && MPIRUN+=(--allow-run-as-root)

# --- machine ----------------------------------------------------------------------------------
mkdir -p "$OUT"
rm -rf "$OUT/raw" "$OUT/rss" "$OUT"/reduce_bench.*
mkdir -p "$OUT/raw" "$OUT/rss"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "git: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "kernel: $(uname -srm)"
  lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket|Socket\(s\)|L2 cache|L3 cache|Hypervisor vendor)' | sed 's/  */ /g'
  echo "memory: $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "gcc: $(gcc --version | head -1)"
  echo "mpi: $(mpirun --version 2>&1 | head -1)"
  echo "gloo: $(dpkg-query -W -f '${Package} ${Version}' libgloo-dev 2>/dev/null || echo none)${GLOO_SKIP:+ (skipped: $GLOO_SKIP)}"
  echo "hccl build: $BUILD_DIR ($(grep -m1 '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | cut -d= -f2 || echo '?'))"
  echo "settings: ROUNDS=$ROUNDS NPS=\"$NPS\" LIBS=\"$LIBS\" SMALL=\"$SMALL\" LARGE=\"$LARGE\""
} >"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2
: >"$OUT/load.txt"

# --- 3. alternated runs -----------------------------------------------------------------------
# run_one LIB NP SEGMENT ROUND FLAGS...: one program run, its table in raw/LIB.npNP.SEG.rROUND.txt
run_one() {
  local lib=$1 np=$2 seg=$3 round=$4
  shift 4
  local out="$OUT/raw/$lib.np$np.$seg.r$round.txt" cmd
  case $lib in
    hccl) cmd=("$PERF" all_reduce -np "$np" -d float -o sum "$@") ;;
    # the same hccl-perf started by mpirun, so its ranks are placed (bound) exactly as Open MPI's
    hccl-mpirun)
      cmd=("${MPIRUN[@]}" -np "$np" -x HCCL_ID_FILE="$(mktemp -u /tmp/hccl-compare-id.XXXXXX)"
           "$PERF" all_reduce -d float -o sum "$@") ;;
    ompi) cmd=("${MPIRUN[@]}" -np "$np" "$BIN/mpi_allreduce" "$@") ;;
    ompi-nommap)
      cmd=("${MPIRUN[@]}" -np "$np" -x MALLOC_MMAP_MAX_=0 -x MALLOC_TRIM_THRESHOLD_=17179869184
           "$BIN/mpi_allreduce" "$@") ;;
    gloo) cmd=("$BIN/gloo_allreduce" -np "$np" "$@") ;;
    *) log "unknown library $lib"; return 1 ;;
  esac
  echo "$(date +%s) $lib np$np $seg r$round $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/load.txt"
  local t0=$SECONDS rc=0
  echo "# command: ${cmd[*]}" >"$out"
  timeout "$RUN_TIMEOUT" "${cmd[@]}" >>"$out" 2>"$out.err" || rc=$?
  # mpirun as root without --allow-run-as-root, or a failed launch, can exit 0 with no table:
  # a run counts only when its rows and its "Out of bounds values : 0 OK" footer are there.
  local rows
  rows=$(grep -cE '^ *[0-9]+ +[0-9]+ +float' "$out" || true)
  if ((rc != 0)) || ! grep -q 'Out of bounds values : 0 OK' "$out" || ((rows == 0)); then
    log "FAILED: $lib np$np $seg round $round (exit $rc, $rows rows): see $out{,.err}"
    tail -3 "$out.err" >&2 || true
    mv "$out" "$out.failed"
    return 0
  fi
  [[ -s $out.err ]] || rm -f "$out.err"
  log "$lib np$np $seg r$round: $rows sizes in $((SECONDS - t0)) s (load $(cut -d' ' -f1 /proc/loadavg))"
}

T_START=$SECONDS
read -r -a libs <<<"$LIBS"
for np in $NPS; do
  for ((round = 1; round <= ROUNDS; round++)); do
    for seg in small large; do
      flags=$SMALL
      [[ $seg == large ]] && flags=$LARGE
      [[ -z $flags ]] && continue
      # rotate the order every round, so that no library always runs right after another
      k=${#libs[@]}
      for ((i = 0; i < k; i++)); do
        lib=${libs[$(((i + round - 1) % k))]}
        # shellcheck disable=SC2086
        run_one "$lib" "$np" "$seg" "$round" $flags
      done
    done
  done
done
log "alternated runs took $((SECONDS - T_START)) s"

# --- 4. peak RSS ------------------------------------------------------------------------------
# hccl-perf with its HCCL_ID_FILE launcher, one /usr/bin/time per rank; Open MPI likewise under
# mpirun. hccl-perf and mpi_allreduce both allocate one send and one receive buffer of -e bytes.
if [[ $RSS == 1 && -x /usr/bin/time ]]; then
  for size in 16M 256M; do
    for np in $NPS; do
      idfile=$(mktemp -u /tmp/hccl-compare-id.XXXXXX)
      pids=()
      for ((r = 0; r < np; r++)); do
        HCCL_RANK=$r HCCL_NRANKS=$np HCCL_ID_FILE=$idfile /usr/bin/time -v -o "$OUT/rss/hccl.np$np.$size.rank$r.txt" \
          "$PERF" all_reduce -b "$size" -e "$size" -n 5 -w 1 >"$OUT/rss/hccl.np$np.$size.rank$r.out" 2>&1 &
        pids+=($!)
      done
      for p in "${pids[@]}"; do wait "$p" || log "RSS run hccl np$np $size: a rank failed"; done
      rm -f "$idfile"
    done
    for lib in ompi ompi-nommap; do
      env=()
      [[ $lib == ompi-nommap ]] && env=(-x MALLOC_MMAP_MAX_=0 -x MALLOC_TRIM_THRESHOLD_=17179869184)
      "${MPIRUN[@]}" -np 2 "${env[@]}" sh -c "exec /usr/bin/time -v -o $OUT/rss/$lib.np2.$size.rank\$OMPI_COMM_WORLD_RANK.txt \
        $BIN/mpi_allreduce -b $size -e $size -n 5 -w 1" >"$OUT/rss/$lib.np2.$size.out" 2>&1 ||
        log "RSS run $lib $size failed"
    done
  done
fi

# --- 5. host kernels --------------------------------------------------------------------------
if [[ $MICRO == 1 && -x $MICROBIN ]]; then
  log "hccl_reduce_bench (memcpy and avx2 sum kernels)"
  "$MICROBIN" --benchmark_filter='memcpy|sum/.*/avx2' --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_out="$OUT/reduce_bench.json" \
    --benchmark_out_format=json >"$OUT/reduce_bench.txt" 2>&1 || log "hccl_reduce_bench failed"
fi

# --- 6. summary -------------------------------------------------------------------------------
upd=()
[[ ${UPDATE_RESULTS:-0} == 1 ]] && upd=(--update bench/RESULTS.md)
python3 bench/compare/summarize.py "$OUT" "${upd[@]}"
python3 bench/plot_results.py "$OUT/allreduce_median.csv" "$PLOT"
log "done in $((SECONDS - T_START)) s: $OUT/tables.md, $PLOT"
