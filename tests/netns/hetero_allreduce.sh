#!/usr/bin/env bash
# A heterogeneous cluster on one machine: 4 ranks, each in its own network namespace, whose links
# are shaped to 400, 400, 200 and 200 Mb/s (topologies/netns-4.json describes the same). Runs
# AllReduce over TCP with hccl's own choice of schedule and with the heterogeneity-blind ring,
# and checks the measured bus bandwidth against the bound from the link rates and against
# hccl-sim's prediction for the same topology file; then the same schedule over UCX (its TCP
# transport, where hccl was built with UCX), which must deliver the right values at the same
# rates.
#
#   hetero_allreduce.sh BUILD_DIR
# Exit 77 (skipped) without root or iproute2; needs nothing else.
set -euo pipefail

build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
topo="$here/../../topologies/netns-4.json"
size=${HCCL_NETNS_BYTES:-4M}
rates=(400 400 200 200)

if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
  echo "SKIPPED: needs root and iproute2 (ip, tc) to build network namespaces"
  exit 77
fi
if ! ip netns add "hccl-probe-$$" 2>/dev/null; then
  echo "SKIPPED: this kernel or container does not allow network namespaces"
  exit 77
fi
ip netns del "hccl-probe-$$"

prefix="hn$$-"
work=$(mktemp -d)
cleanup() {
  "$here/netns_cluster.sh" down "$prefix" "${#rates[@]}"
  rm -rf "$work"
}
trap cleanup EXIT
"$here/netns_cluster.sh" up "$prefix" "${rates[@]}"

# Runs one AllReduce measurement; prints the out-of-place busbw (GB/s) of the single size,
# computed from the time column (the busbw column has too few digits at these rates).
measure() {  # label, then extra environment assignments
  local label=$1
  shift
  local id="$work/$label.id" pids=()
  for ((i = 0; i < ${#rates[@]}; i++)); do
    ip netns exec "$prefix$i" env "$@" HCCL_RANK=$i HCCL_NRANKS=${#rates[@]} HCCL_ID_FILE="$id" \
      NCCL_SOCKET_IFNAME=eth0 HCCL_TOPO_FILE="$topo" HCCL_TIMEOUT=120 \
      "$build/bin/hccl-perf" all_reduce -b "$size" -e "$size" -n 4 -w 1 -c 1 \
      >"$work/$label.$i.out" 2>&1 &
    pids+=($!)
  done
  local failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  if [ $failed -ne 0 ] || ! grep -q "Out of bounds values : 0 OK" "$work/$label.0.out"; then
    echo "FAILED: $label run" >&2
    cat "$work/$label".*.out >&2
    exit 1
  fi
  awk -v n=${#rates[@]} '!/^#/ && NF >= 13 { printf "%.6f\n", $1 / ($6 * 1e3) * 2 * (n - 1) / n }' "$work/$label.0.out"
}

auto=$(measure auto)
ring=$(measure ring NCCL_ALGO=ring)
ucx=""
if [ -f "$build/CMakeCache.txt" ] && grep -q "^UCX_INCLUDE_DIR:PATH=/" "$build/CMakeCache.txt"; then
  ucx=$(measure ucx NCCL_NET=UCX UCX_TLS=tcp UCX_NET_DEVICES=eth0)
fi
# hccl-sim's prediction and the bound for the same topology and size (busbw, GB/s).
sim=$("$build/bin/hccl-sim" --topo "$topo" --coll all_reduce -b "$size" -e "$size" --machine-readable)
predicted=$(awk '$1 == "plan" { print $2 }' <<<"$sim")
bound=$(awk '$1 == "bound" { print $2 }' <<<"$sim")

echo "AllReduce $size over 4 namespaces at ${rates[*]} Mb/s (busbw GB/s):"
printf '  hccl (auto)     %s\n  blind ring      %s\n  hccl-sim        %s\n  bound           %s\n' \
  "$auto" "$ring" "$predicted" "$bound"
awk -v auto="$auto" -v ring="$ring" -v sim="$predicted" -v bound="$bound" 'BEGIN {
  ok = 1
  printf "  auto/bound %.3f (>= 0.90), auto/sim %.3f (within 0.85..1.15), auto/ring %.3f (> 1)\n",
         auto / bound, auto / sim, auto / ring
  if (auto < 0.90 * bound) { print "FAILED: below 90% of the bound"; ok = 0 }
  if (auto < 0.85 * sim || auto > 1.15 * sim) { print "FAILED: more than 15% from hccl-sim"; ok = 0 }
  if (auto <= ring) { print "FAILED: not faster than the blind ring"; ok = 0 }
  exit ok ? 0 : 1
}'
if [ -n "$ucx" ]; then
  echo "  over UCX        $ucx"
  awk -v ucx="$ucx" -v auto="$auto" 'BEGIN {
    printf "  ucx/auto %.3f (>= 0.80)\n", ucx / auto
    if (ucx < 0.80 * auto) { print "FAILED: UCX well below hccl sockets at link-bound rates"; exit 1 }
  }'
fi
echo "PASSED"
