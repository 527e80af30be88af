#!/usr/bin/env bash
# Installs, builds, and runs every test (ctest prints the summary).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
