"""pytorch_ddp.py: PyTorch on hccl, swapped in under the "nccl" backend with LD_PRELOAD.

    LD_PRELOAD=build/lib/libnccl.so.2 torchrun --nproc_per_node=2 examples/pytorch_ddp.py

Nothing in the script names hccl: torch.distributed's "nccl" backend calls ncclX functions,
and LD_PRELOAD makes hccl's libnccl.so.2 answer them. Without LD_PRELOAD the same script runs
on NVIDIA's NCCL, which is a handy comparison. It needs PyTorch with CUDA and one GPU per
process; elsewhere it prints SKIPPED and exits 0.
"""
import ctypes
import os
import sys


def skip(reason):
    print(f"pytorch_ddp: SKIPPED: {reason}", flush=True)
    sys.exit(0)


try:
    import torch
    import torch.distributed as dist
    import torch.nn as nn
    from torch.nn.parallel import DistributedDataParallel as DDP
except ImportError:
    skip("PyTorch is not installed")
if not torch.cuda.is_available():
    skip("PyTorch sees no CUDA GPU")


def nccl_library():
    """Which library answers ncclX calls: hccl exports hcclGetVersionString, NCCL does not."""
    process = ctypes.CDLL(None)
    if hasattr(process, "hcclGetVersionString"):
        process.hcclGetVersionString.restype = ctypes.c_char_p
        return "hccl " + process.hcclGetVersionString().decode()
    return "NVIDIA NCCL"


def main():
    # torchrun sets these; the defaults let `python3 pytorch_ddp.py` run as a one-rank job.
    for name, default in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1"),
                          ("LOCAL_WORLD_SIZE", "1"), ("MASTER_ADDR", "127.0.0.1"),
                          ("MASTER_PORT", "29500")):
        os.environ.setdefault(name, default)
    # Every rank decides alike, so that none is left waiting for a rank that skipped.
    if int(os.environ["LOCAL_WORLD_SIZE"]) > torch.cuda.device_count():
        skip(f"{os.environ['LOCAL_WORLD_SIZE']} processes per node but only "
             f"{torch.cuda.device_count()} GPU(s)")
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", local_rank)
    torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl", device_id=device)
    rank, world = dist.get_rank(), dist.get_world_size()

    if rank == 0:
        version = ".".join(str(v) for v in torch.cuda.nccl.version())
        print(f"NCCL API {version}, library: {nccl_library()}, {world} ranks", flush=True)

    # all_reduce: sum of 1..world on every rank.
    x = torch.full((1 << 20,), float(rank + 1), device=device)
    dist.all_reduce(x)
    assert torch.all(x == world * (world + 1) / 2), "all_reduce gave a wrong sum"

    # broadcast: rank 0's tensor everywhere.
    expected = torch.arange(1000, dtype=torch.float32, device=device)
    y = expected.clone() if rank == 0 else torch.zeros_like(expected)
    dist.broadcast(y, src=0)
    assert torch.equal(y, expected), "broadcast gave wrong values"

    # all_gather: slot r holds rank r's tensor.
    parts = [torch.empty(4, device=device) for _ in range(world)]
    dist.all_gather(parts, torch.full((4,), float(rank), device=device))
    for r, part in enumerate(parts):
        assert torch.all(part == r), f"all_gather slot {r} is wrong"

    # A tiny DDP training loop: DDP all-reduces the gradients, so the replicas stay identical.
    torch.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1)).to(device),
                device_ids=[local_rank])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    generator = torch.Generator(device=device).manual_seed(rank)  # different data per rank
    for step in range(20):
        inputs = torch.randn(64, 32, device=device, generator=generator)
        target = inputs.sum(dim=1, keepdim=True)
        loss = nn.functional.mse_loss(model(inputs), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])
    copies = [torch.empty_like(weights) for _ in range(world)]
    dist.all_gather(copies, weights)
    assert all(torch.equal(c, weights) for c in copies), "DDP replicas diverged"

    if rank == 0:
        print(f"pytorch_ddp: PASSED on {world} ranks (last loss {loss.item():.4f})", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
