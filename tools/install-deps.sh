#!/usr/bin/env bash
# Installs what building and testing hccl needs on Debian/Ubuntu (run as root, or with sudo
# available). Packages already present are left as they are.
set -euo pipefail
# hipcc, libamdhip64-dev and rocm-device-libs build libhccl-hip.so (no AMD GPU needed to build).
# libucx-dev builds the UCX transport (NCCL_NET=UCX; ucx-utils has ucx_info to see what UCX finds).
packages=(cmake g++ make pkg-config libgtest-dev libbenchmark-dev libhwloc-dev iproute2
          hipcc libamdhip64-dev rocm-device-libs libucx-dev ucx-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y "${missing[@]}"
fi
