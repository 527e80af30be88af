#!/usr/bin/env bash
# gpu-check.sh: on a machine with an NVIDIA GPU, build hccl with its CUDA backend and run every
# GPU check in one go, then print a short table.
#   - GoogleTest GPU suite: kernels bit for bit against the host backend; every collective x
#     datatype x op with 2 and 4 ranks on one GPU, and 2 GPU ranks + 2 CPU ranks; sends and
#     receives by DMA through the shared-memory rings
#   - the device path on the fake runtime (what CI runs), for comparison
#   - PyTorch (torch.distributed "nccl" with LD_PRELOAD=libnccl.so.2): 2 processes on one GPU
#   - kernel bandwidth per datatype vs device-to-device copy bandwidth (same run)
#   - hccl-perf on GPU buffers: every collective x datatype x op checked (all-GPU and mixed);
#     all_reduce with 2 ranks on one GPU at 256 MiB (target busbw >= 480 GB/s) and at 8 bytes;
#     sendrecv between a GPU rank and a CPU rank vs pinned copy bandwidth (target >= 80%), by
#     DMA into the shared-memory rings and through pinned staging
#   - 8-byte all_reduce latency on one rank under PyTorch: hccl vs NVIDIA NCCL
# The summary also goes to $OUT/gpu-check.md (or $build/gpu-check.md) for bench/RESULTS.md.
# usage: tools/gpu-check.sh [build-dir]   (default: build-gpu next to the sources)
# Without a GPU it says so and exits 0 after building.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-gpu}
python=${PYTHON:-python3}
declare -a rows

row() { rows+=("$(printf '%-44s %s' "$1" "$2")"); }
# Every step is bounded, so one hang costs its own row, not the whole (time-limited) run.
limit() { local seconds=$1; shift; timeout --kill-after=10 "$seconds" "$@"; }
status() { case $1 in 0) echo PASS ;; 124|137) echo "TIMEOUT" ;; *) echo FAIL ;; esac; }

generator=()
[ ! -e "$build/CMakeCache.txt" ] && command -v ninja >/dev/null && generator=(-G Ninja)
echo "== configure and build ($build)"
if ! cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 ||
   ! cmake --build "$build" -j"$(nproc)" >"$build.build.log" 2>&1; then
  echo "gpu-check: build failed; see $build.configure.log and $build.build.log"
  tail -30 "$build.build.log" 2>/dev/null
  exit 1
fi
if [ ! -e "$build/lib/libhccl-cuda.so" ]; then
  echo "gpu-check: libhccl-cuda.so was not built (nvcc not found?)"
  exit 1
fi
if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu-check: SKIPPED: no NVIDIA GPU here (nvidia-smi -L failed); the build is fine"
  exit 0
fi
nvidia-smi -L

gtest() {  # name binary [filter]
  local log="$build/gpu-check.$1.log"
  limit 300 "$build/bin/$2" ${3:+--gtest_filter=$3} >"$log" 2>&1
  local rc=$?
  local passed skipped failed
  passed=$(grep -c '^\[       OK \]' "$log")
  skipped=$(grep -c '^\[  SKIPPED \]' "$log")
  failed=$(grep -c '^\[  FAILED  \].*(' "$log")
  row "$1" "$(status $rc) ($passed ok, $skipped skipped, $failed failed; $log)"
}

echo "== GoogleTest: GPU suite"
gtest "gtest gpu kernels = host (bitwise)" hccl_gpu_kernel_tests
gtest "gtest gpu colls, mixed ranks, DMA p2p" hccl_gpu_tests
gtest "gtest device path (fake runtime)" hccl_device_tests

echo "== PyTorch"
lib=$build/lib/libnccl.so.2
torchlog=$build/gpu-check.torch.log
limit 240 env LD_PRELOAD="$lib" "$python" -m torch.distributed.run --standalone --nproc_per_node=2 \
  "$src/tests/gpu/torch_check.py" --same-gpu >"$torchlog" 2>&1
rc=$?
if grep -q "torch_check: SKIPPED" "$torchlog"; then
  row "torch 2 procs on 1 GPU (LD_PRELOAD)" "$(grep -m1 'SKIPPED' "$torchlog")"
else
  row "torch 2 procs on 1 GPU (LD_PRELOAD)" "$([ $rc -eq 0 ] && grep -q 'torch_check: PASS' "$torchlog" && echo PASS || echo "FAIL ($torchlog)")"
fi
lat() { grep -o 'latency_us=[0-9.]*' "$1" | cut -d= -f2; }
limit 60 env LD_PRELOAD="$lib" "$python" "$src/tests/gpu/torch_check.py" --latency >"$build/gpu-check.lat-hccl.log" 2>&1
limit 60 "$python" "$src/tests/gpu/torch_check.py" --latency >"$build/gpu-check.lat-nccl.log" 2>&1
row "8-byte all_reduce, 1 rank, torch: hccl" "$(lat "$build/gpu-check.lat-hccl.log") us"
row "8-byte all_reduce, 1 rank, torch: NCCL" "$(lat "$build/gpu-check.lat-nccl.log") us"

echo "== kernel bandwidth"
bwlog=$build/gpu-check.kernel-bw.log
limit 60 "$build/bin/hccl-gpu-kernel-bw" | tee "$bwlog"
while read -r type sum copy ratio; do
  row "kernel sum $type vs d2d copy" "$sum GB/s vs $copy GB/s ($ratio)"
done < <(grep -v '^#' "$bwlog" | tail -n +2)

echo "== hccl-perf on GPU buffers"
perf=$build/bin/hccl-perf
checked=0
for coll in all_reduce all_gather reduce_scatter broadcast reduce alltoall gather scatter sendrecv; do
  modes=("-np 2" "-np 3 --device-ranks 2")
  [ "$coll" = all_reduce ] && modes+=("-np 4")
  for mode in "${modes[@]}"; do
    log="$build/gpu-check.perf-$coll-${mode// /}.log"
    limit 120 "$perf" "$coll" $mode --device cuda -b 8 -e 8M -f 32 -n 2 -d all -o all -r -1 >"$log" 2>&1
    rc=$?
    checked=$((checked + 1))
    [ $rc -eq 0 ] || row "hccl-perf $coll $mode checked" "$(status $rc) ($log)"
  done
done
row "hccl-perf collectives x types x ops checked" "$checked runs (any failure is listed above)"
field() {  # log column: the last data row's column N
  grep -v '^#' "$1" | awk 'NF >= 13 { v = $'"$2"' } END { print v }'
}
log=$build/gpu-check.perf-ar-256M.log
limit 120 "$perf" all_reduce -np 2 --device cuda -b 256M -e 256M -n 20 -w 5 -c 1 >"$log" 2>&1
row "all_reduce 2 ranks/1 GPU 256 MiB busbw" "$(field "$log" 8) GB/s out of place, $(field "$log" 12) in place (target >= 480)"
log=$build/gpu-check.perf-ar-8B.log
limit 60 "$perf" all_reduce -np 2 --device cuda -b 8 -e 8 -n 2000 -w 200 -c 1 >"$log" 2>&1
row "all_reduce 2 ranks/1 GPU 8 B time" "$(field "$log" 6) us"
log=$build/gpu-check.perf-ar-8B-1rank.log
limit 60 "$perf" all_reduce -np 1 --device cuda -b 8 -e 8 -n 2000 -w 200 -c 1 >"$log" 2>&1
row "all_reduce 1 GPU rank 8 B time (hccl-perf)" "$(field "$log" 6) us"
# The GPU rank's DMA writes and reads the shared-memory rings; then the same through pinned staging.
log=$build/gpu-check.perf-sendrecv-mixed.log
limit 120 "$perf" sendrecv -np 2 --device cuda --device-ranks 1 -b 256M -e 256M -n 10 -w 2 -c 1 >"$log" 2>&1
dma=$(field "$log" 8)
pinned=$(grep -o 'h2d [0-9.]* d2h [0-9.]*' "$bwlog" | awk '{ print ($2 < $4) ? $2 : $4 }')
row "sendrecv GPU rank <-> CPU rank 256 MiB" "$dma GB/s vs pinned copy $pinned GB/s ($(awk -v a="$dma" -v b="$pinned" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b }'); target >= 80%)"
log=$build/gpu-check.perf-sendrecv-mixed-staged.log
limit 120 env HCCL_DEVICE_SHM_DMA=0 "$perf" sendrecv -np 2 --device cuda --device-ranks 1 -b 256M -e 256M -n 10 -w 2 -c 1 >"$log" 2>&1
row "  the same through pinned staging" "$(field "$log" 8) GB/s (HCCL_DEVICE_SHM_DMA=0)"

echo
echo "== gpu-check summary"
printf '%s\n' "${rows[@]}"
summary=${OUT:-$build}/gpu-check.md
{
  echo "| check | result |"
  echo "| --- | --- |"
  for r in "${rows[@]}"; do echo "| ${r:0:44} | ${r:45} |" | sed 's/  *|/ |/'; done
} >"$summary"
echo "(summary also in $summary)"
if printf '%s\n' "${rows[@]}" | grep -qE 'FAIL|TIMEOUT'; then exit 1; fi
