#!/usr/bin/env bash
# Fails when a file of a layer includes a header of a layer above its own (src/LAYERS: lowest
# first). Usage: check_includes.sh SRC_DIR, or check_includes.sh --self-test (shows that an
# upward include is caught and a downward one is not, on a tree made for the purpose).
set -euo pipefail

check() {
  local src=$1
  local -A rank=()
  local i=0 layer
  while read -r layer; do
    [[ -z $layer || $layer == \#* ]] && continue
    rank[$layer]=$i
    i=$((i + 1))
  done <"$src/LAYERS"
  local bad=0 file own target line
  while IFS= read -r file; do
    own=${file#"$src"/}
    own=${own%%/*}
    [[ -n ${rank[$own]+x} ]] || { echo "$file: not in a layer listed in $src/LAYERS"; bad=1; continue; }
    while IFS= read -r line; do
      target=${line#*#include \"}
      target=${target%%/*}
      [[ -n ${rank[$target]+x} ]] || continue  # a public header (nccl.h) or a file of its own folder
      if ((rank[$target] > rank[$own])); then
        echo "$file: $own includes $target, a layer above it: $line"
        bad=1
      fi
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$file" | sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+/#include /')
  done < <(find "$src" -mindepth 2 -type f \( -name '*.h' -o -name '*.cc' -o -name '*.c' -o -name '*.cu' \) | sort)
  return $bad
}

self_test() {
  local tree
  tree=$(mktemp -d)
  trap 'rm -rf "$tree"' RETURN
  mkdir -p "$tree/base" "$tree/core"
  printf 'base\ncore\n' >"$tree/LAYERS"
  printf '#include "base/a.h"\n' >"$tree/core/b.cc"
  printf '#pragma once\n' >"$tree/base/a.h"
  check "$tree" >/dev/null || { echo "self-test: a downward include was refused"; return 1; }
  printf '#include "core/b.h"\n' >>"$tree/base/a.h"
  local out
  if out=$(check "$tree"); then
    echo "self-test: an upward include (base -> core) passed"
    return 1
  fi
  [[ $out == *"base/a.h: base includes core"* ]] || { echo "self-test: unexpected report: $out"; return 1; }
  echo "self-test: the upward include was reported: $out"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
else
  check "${1:?usage: check_includes.sh SRC_DIR | --self-test}" && echo "every include points down the layers of $1/LAYERS"
fi
