#!/usr/bin/env bash
# Runs examples/pytorch_ddp.py under torchrun with hccl preloaded, as a user would.
# usage: run_pytorch_ddp.sh PYTHON SCRIPT LIBNCCL
# Prints "SKIPPED" (ctest then reports the test as skipped) where it cannot run: no PyTorch,
# no CUDA GPU, or an hccl built without its CUDA backend.
set -u
python=$1 script=$2 libnccl=$3

gpus=$("$python" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)' 2>/dev/null)
if [ -z "$gpus" ] || [ "$gpus" -eq 0 ]; then
  exec "$python" "$script"  # the script says why it cannot run, and exits 0
fi
if [ ! -e "$(dirname "$libnccl")/libhccl-cuda.so" ]; then
  echo "pytorch_ddp: SKIPPED: hccl was built without its CUDA backend (no libhccl-cuda.so)"
  exit 0
fi
nproc=$(( gpus < 2 ? gpus : 2 ))
LD_PRELOAD=$libnccl exec "$python" -m torch.distributed.run --standalone \
  --nproc_per_node="$nproc" "$script"
