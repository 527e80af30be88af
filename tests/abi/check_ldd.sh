#!/bin/sh
# Usage: check_ldd.sh PROGRAM LIBDIR
# Passes if the dynamic loader resolves PROGRAM's libnccl.so.2 to LIBDIR/libnccl.so.2 (hccl's
# build), not to NVIDIA's copy that ldconfig may also know about.
prog="$1"
libdir="$2"
want=$(readlink -f "$libdir/libnccl.so.2")
lines=$(ldd "$prog" | grep 'libnccl\.so')
count=$(printf '%s\n' "$lines" | grep -c 'libnccl')
got=$(printf '%s\n' "$lines" | awk '{print $3}' | head -n 1)
got_real=$(readlink -f "$got" 2>/dev/null)
if [ "$count" -ne 1 ] || [ -z "$got_real" ] || [ "$got_real" != "$want" ]; then
  echo "FAIL: $prog loads libnccl from '$got' ($got_real); expected hccl's $want"
  echo "ldd says:"
  ldd "$prog"
  exit 1
fi
echo "ok: $prog loads libnccl.so.2 from $got"
