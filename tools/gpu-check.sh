#!/usr/bin/env bash
# gpu-check.sh: hccl on a real NVIDIA GPU, in stages that each fit a short device session.
#
#   tools/gpu-check.sh kit [DIR]                 on the build machine: build what the checks run and
#                                                put it, stripped, in DIR (default gpu-kit); carry it
#   tools/gpu-check.sh [--kit DIR] [--fake] STAGE...   run stages in order (all = every stage)
#
# Stages, each bounded as a whole (a step that would outrun its stage is listed NOT RUN):
#   smoke  (< 3 min)  what most likely hangs: hccl-perf all_reduce with 2 ranks on one GPU, then
#                     PyTorch with LD_PRELOAD, 2 processes on one GPU, under default settings,
#                     CUDA_MODULE_LOADING=EAGER and CUDA_DEVICE_MAX_CONNECTIONS=1 (60 s each)
#   gtest  (< 8 min)  the GPU suites: kernels bit for bit against the host backend (hardware fp8/
#                     half/bf16 conversions included), every collective x type x op on 1, 2 and 4
#                     ranks of one GPU, mixed GPU and CPU ranks, the IPC path; then the IPC and
#                     staged tests again with CUDA_DEVICE_MAX_CONNECTIONS=1
#   perf   (< 8 min)  kernel bandwidth vs device copy, hccl-perf checked on every collective,
#                     all_reduce busbw and latency, GPU <-> CPU sendrecv vs pinned copies, and
#                     8-byte all_reduce latency under PyTorch, hccl vs NCCL
#
# Each result is appended to gpu-check.md in $OUT (else the kit) the moment it is known, so a stage
# cut off still leaves the rows before it; the end of every failing step's log goes to
# gpu-check-failures.log beside it. Without a kit it builds first (bounded too). --fake runs the
# same stages on the fake device runtime (no GPU, no PyTorch rows): how the stages are timed where
# there is no GPU. Exit status: 1 if any row failed or timed out.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

make_kit() {
  local kit=${1:-$src/gpu-kit} build=$src/build-gpu
  local targets=(hccl hccl-cuda hccl-fakedev hccl_gpu_tests hccl_gpu_kernel_tests hccl_device_tests hccl-perf
                 hccl-gpu-kernel-bw)
  mkdir -p "$build"
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >"$build/kit-configure.log" 2>&1 &&
    cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$build/kit-build.log" 2>&1 ||
    { echo "gpu-check: build failed; see $build/kit-configure.log and $build/kit-build.log"; tail -20 "$build/kit-build.log"; return 1; }
  rm -rf "$kit" && mkdir -p "$kit/lib" "$kit/bin"
  cp -a "$build"/lib/libnccl.so* "$build/lib/libhccl-cuda.so" "$build/lib/libhccl-fakedev.so" "$kit/lib/"
  for b in hccl_gpu_tests hccl_gpu_kernel_tests hccl_device_tests hccl-perf hccl-gpu-kernel-bw; do
    cp "$build/bin/$b" "$kit/bin/"
  done
  strip --strip-unneeded "$kit"/bin/* "$kit"/lib/*.so "$kit"/lib/libnccl.so.2.*
  echo "gpu-check: kit in $kit ($(du -sh "$kit" | cut -f1)); carry it and run: tools/gpu-check.sh --kit ${kit#"$src"/} smoke"
}

if [ "${1:-}" = kit ]; then
  make_kit "${2:-}"
  exit $?
fi

kit=$src/gpu-kit
fake=0
stages=()
while [ $# -gt 0 ]; do
  case $1 in
    --kit) kit=$(cd "$2" && pwd); shift 2 ;;
    --fake) fake=1; shift ;;
    all) stages+=(smoke gtest perf); shift ;;
    smoke|gtest|perf) stages+=("$1"); shift ;;
    *) echo "usage: $0 kit [DIR] | $0 [--kit DIR] [--fake] smoke|gtest|perf|all ..." >&2; exit 2 ;;
  esac
done
[ ${#stages[@]} -gt 0 ] || stages=(smoke gtest perf)

out=${OUT:-$kit}
mkdir -p "$out"
summary=$out/gpu-check.md
failures=$out/gpu-check-failures.log
logs=$(mktemp -d /tmp/gpu-check.XXXXXX)
[ -s "$summary" ] || printf '| check | result |\n| --- | --- |\n' >"$summary"
failed=0

row() {  # check result: printed and appended at once
  printf '%-46s %s\n' "$1" "$2"
  printf '| %s | %s |\n' "$1" "$2" >>"$summary"
  case $2 in FAIL*|TIMEOUT*) failed=1 ;; esac
}
verdict() { case $1 in 0) echo PASS ;; 124|137) echo TIMEOUT ;; *) echo FAIL ;; esac; }
keep_tail() {  # name log: a failing step's log end, for the record
  { echo "==== $1"; tail -40 "$2"; } >>"$failures"
}
# step NAME SECONDS COMMAND...: runs the command bounded by SECONDS and by the stage's end;
# leaves its log in $log and its exit status in $rc (or rc=-1 when it did not run).
stage_end=0
step() {
  local name=$1 seconds=$2
  shift 2
  log=$logs/$(echo "$name" | tr -c 'A-Za-z0-9' _).log
  rc=-1
  if [ $(( $(date +%s) + seconds )) -gt $stage_end ]; then
    row "$name" "NOT RUN (would outrun the stage's time)"
    return
  fi
  timeout --kill-after=5 "$seconds" "$@" >"$log" 2>&1
  rc=$?
  [ $rc -eq 0 ] || keep_tail "$name" "$log"
}

# ---- what runs where -----------------------------------------------------------------------

# A kit from another machine whose libraries this one lacks is rebuilt here.
if [ ! -x "$kit/bin/hccl-perf" ] || ldd "$kit"/bin/* "$kit"/lib/*.so 2>/dev/null | grep -q 'not found'; then
  echo "== no usable kit in $kit: building it here"
  timeout 900 bash "$0" kit "$kit" || { row "build" "FAIL (no kit and the build failed)"; exit 1; }
fi
export LD_LIBRARY_PATH=$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ $fake -eq 1 ]; then
  export HCCL_TEST_PLUGIN=$kit/lib/libhccl-fakedev.so
  perf=(env HCCL_BACKEND_PLUGIN="$HCCL_TEST_PLUGIN" "$kit/bin/hccl-perf")
  largest=1M  # the fake computes on the CPU
  suite=$kit/bin/hccl_device_tests
  label=" (fake)"
else
  perf=("$kit/bin/hccl-perf")
  largest=8M
  export HCCL_TEST_PLUGIN=$kit/lib/libhccl-cuda.so
  suite=$kit/bin/hccl_gpu_tests
  label=""
  gpu=$(nvidia-smi -L 2>/dev/null | head -1)
  if [ -z "$gpu" ]; then
    row "GPU" "NOT RUN: no NVIDIA GPU here (nvidia-smi -L); use --fake to time the stages"
    exit 0
  fi
  row "GPU" "$gpu"
fi

gtest_row() {  # name seconds command...
  local name=$1 seconds=$2
  shift 2
  step "$name" "$seconds" "$@"
  [ $rc -ge 0 ] || return
  local ok skipped bad
  ok=$(grep -c '^\[       OK \]' "$log")
  skipped=$(grep -c '^\[  SKIPPED \]' "$log")
  bad=$(grep -c '^\[  FAILED  \].*(' "$log")
  row "$name" "$(verdict $rc) ($ok ok, $skipped skipped, $bad failed)"
}
# The last data row's column N of an hccl-perf log.
field() { grep -v '^#' "$1" | awk 'NF >= 13 { v = $'"$2"' } END { print v }'; }
torch_row() {  # name [VAR=value...]: torch_check with 2 processes on one GPU
  local name=$1
  shift
  if ! "$python" -c 'import torch' >/dev/null 2>&1; then
    row "$name" "SKIPPED: no PyTorch for $python"
    return
  fi
  step "$name" 60 env "$@" LD_PRELOAD="$kit/lib/libnccl.so.2" PYTHONUNBUFFERED=1 \
    "$python" -m torch.distributed.run --standalone --nproc_per_node=2 "$src/tests/gpu/torch_check.py" --same-gpu
  [ $rc -ge 0 ] || return
  if grep -q 'torch_check: SKIPPED' "$log"; then row "$name" "$(grep -m1 -o 'SKIPPED.*' "$log")"
  elif [ $rc -eq 0 ] && grep -q 'torch_check: PASS' "$log"; then row "$name" PASS
  else row "$name" "$(verdict $rc)"; fi
}

# ---- stages --------------------------------------------------------------------------------

smoke() {
  step "hccl-perf all_reduce 2 ranks, 1 GPU$label" 20 "${perf[@]}" all_reduce -np 2 --device cuda -b 8 -e 64M -f 8 -n 5 -c 1
  [ $rc -lt 0 ] || row "hccl-perf all_reduce 2 ranks, 1 GPU$label" "$(verdict $rc) ($(field "$log" 8) GB/s busbw at 64 MiB)"
  torch_row "torch 2 procs/1 GPU, defaults"
  torch_row "torch 2 procs/1 GPU, CUDA_DEVICE_MAX_CONNECTIONS=1" CUDA_DEVICE_MAX_CONNECTIONS=1
  torch_row "torch 2 procs/1 GPU, CUDA_MODULE_LOADING=EAGER" CUDA_MODULE_LOADING=EAGER
}

gtest() {
  [ $fake -eq 1 ] || gtest_row "gtest kernels = host, bitwise" 90 "$kit/bin/hccl_gpu_kernel_tests"
  gtest_row "gtest collectives, IPC, mixed ranks$label" 270 "$suite"
  gtest_row "  IPC and staged again, MAX_CONNECTIONS=1$label" 90 env CUDA_DEVICE_MAX_CONNECTIONS=1 \
    HCCL_FAKEDEV_ONE_QUEUE=$fake "$suite" --gtest_filter='DeviceColl.TwoGpuRanks*:IpcPath.*:DeviceColl.Split*'
}

perf_stage() {
  local bw=""
  if [ $fake -eq 0 ]; then
    step "kernel bandwidth" 60 "$kit/bin/hccl-gpu-kernel-bw"
    if [ $rc -ge 0 ]; then
      bw=$log
      while read -r type sum copy ratio; do
        row "kernel sum $type vs d2d copy" "$sum GB/s vs $copy GB/s ($ratio)"
      done < <(grep -v '^#' "$log" | tail -n +2)
    fi
  fi
  local runs=0 bad=0
  for coll in all_reduce all_gather reduce_scatter broadcast reduce alltoall gather scatter sendrecv; do
    for mode in "-np 2" "-np 3 --device-ranks 2"; do
      step "hccl-perf $coll $mode$label" 40 "${perf[@]}" "$coll" $mode --device cuda -b 8 -e "$largest" -f 32 -n 2 -d all -o all
      [ $rc -lt 0 ] && continue
      runs=$((runs + 1))
      [ $rc -eq 0 ] || { bad=$((bad + 1)); row "hccl-perf $coll $mode$label" "$(verdict $rc)"; }
    done
  done
  row "hccl-perf checked, every type and op$label" "$runs runs, $bad failed (listed above)"
  step "all_reduce 2 ranks/1 GPU 256 MiB$label" 60 "${perf[@]}" all_reduce -np 2 --device cuda -b 256M -e 256M -n 20 -w 5 -c 1
  [ $rc -lt 0 ] || row "all_reduce 2 ranks/1 GPU 256 MiB$label" "$(verdict $rc): busbw $(field "$log" 8) GB/s out of place, $(field "$log" 12) in place"
  step "all_reduce 2 ranks/1 GPU 8 B$label" 30 "${perf[@]}" all_reduce -np 2 --device cuda -b 8 -e 8 -n 2000 -w 200 -c 1
  [ $rc -lt 0 ] || row "all_reduce 2 ranks/1 GPU 8 B$label" "$(verdict $rc): $(field "$log" 6) us"
  step "all_reduce 1 GPU rank 8 B$label" 30 "${perf[@]}" all_reduce -np 1 --device cuda -b 8 -e 8 -n 2000 -w 200 -c 1
  [ $rc -lt 0 ] || row "all_reduce 1 GPU rank 8 B$label" "$(verdict $rc): $(field "$log" 6) us"
  step "sendrecv GPU rank <-> CPU rank 256 MiB$label" 60 "${perf[@]}" sendrecv -np 2 --device cuda --device-ranks 1 -b 256M -e 256M -n 10 -w 2 -c 1
  if [ $rc -ge 0 ]; then
    local pinned=""
    [ -n "$bw" ] && pinned=$(grep -o 'h2d [0-9.]* d2h [0-9.]*' "$bw" | awk '{ print ($2 < $4) ? $2 : $4 }')
    row "sendrecv GPU rank <-> CPU rank 256 MiB$label" "$(verdict $rc): $(field "$log" 8) GB/s${pinned:+ (pinned copy $pinned GB/s)}"
  fi
  if [ $fake -eq 0 ]; then
    local lat
    step "8 B all_reduce 1 rank, torch: hccl" 60 env LD_PRELOAD="$kit/lib/libnccl.so.2" "$python" "$src/tests/gpu/torch_check.py" --latency
    lat=$(grep -o 'latency_us=[0-9.]*' "$log" | cut -d= -f2)
    [ $rc -lt 0 ] || row "8 B all_reduce 1 rank, torch: hccl" "${lat:-$(verdict $rc)} us"
    step "8 B all_reduce 1 rank, torch: NCCL" 60 "$python" "$src/tests/gpu/torch_check.py" --latency
    lat=$(grep -o 'latency_us=[0-9.]*' "$log" | cut -d= -f2)
    [ $rc -lt 0 ] || row "8 B all_reduce 1 rank, torch: NCCL" "${lat:-$(verdict $rc)} us"
  fi
}

declare -A budget=([smoke]=179 [gtest]=470 [perf]=470)
for stage in "${stages[@]}"; do
  started=$(date +%s)
  stage_end=$((started + budget[$stage]))
  echo "== $stage (at most ${budget[$stage]} s)"
  case $stage in
    smoke) smoke ;;
    gtest) gtest ;;
    perf) perf_stage ;;
  esac
  row "stage $stage$label" "$(( $(date +%s) - started )) s"
done
rm -rf "$logs"
exit $failed
