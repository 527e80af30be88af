#!/usr/bin/env bash
# bench/net_compare.sh: hccl's network transports against Open MPI over UCX, on this machine's TCP.
# Local ranks with shared memory off (NCCL_SHM_DISABLE=1), so every byte crosses the network
# transport: hccl over UCX (UCX_TLS=tcp) with direct messages (the default) and without
# (HCCL_NET_DIRECT_BYTES=0: every byte through the 512 KiB staging slots), hccl's own sockets, and
# Open MPI with --mca pml ucx on UCX_TLS=tcp (bench/compare/mpi_allreduce.c, mpi_sendrecv.c: the
# same measurement loop), run one after the other, the order fixed, ROUNDS times; prints each
# size's median time per call (µs) and the ratios to Open MPI. A benchmark: exits 0 unless it
# cannot run.
#
#   bench/net_compare.sh                          # all_reduce and sendrecv, 2 and 4 ranks, 3 rounds
#   ROUNDS=5 NPS=2 OPS=all_reduce bench/net_compare.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD_DIR=${BUILD_DIR:-build}
ROUNDS=${ROUNDS:-3}
NPS=${NPS:-"2 4"}
OPS=${OPS:-"all_reduce sendrecv"}
SIZES=${SIZES:-"-b 1M -e 64M -f 4 -n 10 -w 2 -c 0"}
PERF=$BUILD_DIR/bin/hccl-perf
[[ -x $PERF ]] || { echo "net_compare: $PERF is missing: build hccl first (tools/build.sh)" >&2; exit 2; }
command -v mpicc >/dev/null || { echo "net_compare: needs Open MPI (libopenmpi-dev openmpi-bin)" >&2; exit 2; }
mkdir -p "$BUILD_DIR/compare"
for anchor in mpi_allreduce mpi_sendrecv; do
  [[ -x $BUILD_DIR/compare/$anchor ]] || mpicc -O2 -o "$BUILD_DIR/compare/$anchor" "bench/compare/$anchor.c" -lm
done
MPIRUN=(mpirun --oversubscribe --bind-to none --mca pml ucx --mca pml_ucx_tls any --mca pml_ucx_devices any
        -x UCX_TLS=tcp -x MALLOC_MMAP_MAX_=0 -x MALLOC_TRIM_THRESHOLD_=17179869184)
[[ $(id -u) == 0 ]] && MPIRUN+=(--allow-run-as-root)

rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
# One run: its label, then the command; keeps "label np op size time" rows (out-of-place time).
run() {
  local label=$1 np=$2 op=$3
  shift 3
  "$@" 2>&1 | awk -v l="$label" -v np="$np" -v op="$op" '$1 ~ /^[0-9]+$/ && $6 ~ /^[0-9.]+$/ {print l, np, op, $1, $6}' >>"$rows" ||
    echo "net_compare: $label $op -np $np failed" >&2
}
for ((round = 0; round < ROUNDS; ++round)); do
  for np in $NPS; do
    for op in $OPS; do
      # shellcheck disable=SC2086
      run ucx "$np" "$op" env NCCL_SHM_DISABLE=1 NCCL_NET=UCX UCX_TLS=tcp "$PERF" "$op" -np "$np" --bind-to none $SIZES
      # shellcheck disable=SC2086
      run ucx-staged "$np" "$op" env NCCL_SHM_DISABLE=1 NCCL_NET=UCX UCX_TLS=tcp HCCL_NET_DIRECT_BYTES=0 \
        "$PERF" "$op" -np "$np" --bind-to none $SIZES
      # shellcheck disable=SC2086
      run sockets "$np" "$op" env NCCL_SHM_DISABLE=1 NCCL_NET=Socket "$PERF" "$op" -np "$np" --bind-to none $SIZES
      anchor=mpi_allreduce
      [[ $op == sendrecv ]] && anchor=mpi_sendrecv
      # shellcheck disable=SC2086
      run ompi-ucx "$np" "$op" "${MPIRUN[@]}" -np "$np" "$BUILD_DIR/compare/$anchor" $SIZES
    done
  done
done
python3 - "$rows" <<'PY'
import collections, statistics, sys
times = collections.defaultdict(list)
for line in open(sys.argv[1]):
    label, np, op, size, t = line.split()
    times[(op, int(np), int(size), label)].append(float(t))
labels = ["ucx", "ucx-staged", "sockets", "ompi-ucx"]
keys = sorted({k[:3] for k in times})
print("| op | ranks | size | " + " | ".join(labels) + " | ucx/ompi | staged/ompi | sockets/ompi |")
print("| --- | ---: | ---: |" + " ---: |" * (len(labels) + 3))
for op, np, size in keys:
    med = {l: statistics.median(times[(op, np, size, l)]) if times[(op, np, size, l)] else float("nan") for l in labels}
    ratio = lambda l: med[l] / med["ompi-ucx"]
    size_text = f"{size >> 20} MiB" if size >= 1 << 20 else f"{size >> 10} KiB"
    print(f"| {op} | {np} | {size_text} | " + " | ".join(f"{med[l]:,.0f}" for l in labels) +
          f" | {ratio('ucx'):.2f} | {ratio('ucx-staged'):.2f} | {ratio('sockets'):.2f} |")
PY
