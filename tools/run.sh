#!/usr/bin/env bash
# Quick start: install, build, and run hccl's main job — an all_reduce sweep over 4 local CPU
# ranks with hccl-perf, checking every result.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
build/bin/hccl-perf all_reduce -np 4 -b 8 -e 64M -f 4 -c 1 "$@"
