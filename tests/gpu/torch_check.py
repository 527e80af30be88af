"""torch_check.py: torch.distributed's nccl backend on hccl, several ranks sharing one GPU.

    LD_PRELOAD=build/lib/libnccl.so.2 python3 -m torch.distributed.run --standalone \
        --nproc_per_node=2 tests/gpu/torch_check.py [--same-gpu]
    LD_PRELOAD=build/lib/libnccl.so.2 python3 tests/gpu/torch_check.py --latency

Checks all_reduce, broadcast, all_gather_into_tensor, reduce_scatter_tensor, all_to_all_single,
send/recv, barrier and a small DDP loop against a single-process reference; prints
"torch_check: PASS" or exits nonzero. --same-gpu puts every rank on cuda:0 (NCCL refuses that;
hccl does not). --latency (one rank) prints the mean time of an 8-byte all_reduce, to compare
runs with and without LD_PRELOAD. Prints SKIPPED and exits 0 without PyTorch or a GPU.
"""
import os
import sys
import time


def skip(reason):
    print(f"torch_check: SKIPPED: {reason}", flush=True)
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


def check(cond, what):
    if not cond:
        print(f"torch_check: FAIL: rank {dist.get_rank()}: {what}", flush=True)
        sys.exit(1)


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))


def batches(step, world):
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(8 * world, 16, generator=g)
    y = torch.randn(8 * world, 4, generator=g)
    return x, y


def collectives(device, rank, world):
    t = torch.full((1000,), float(rank + 1), device=device)
    dist.all_reduce(t)
    check(torch.all(t == world * (world + 1) / 2).item(), "all_reduce sum")

    t = torch.full((777,), float(rank), device=device)
    dist.broadcast(t, src=world - 1)
    check(torch.all(t == world - 1).item(), "broadcast")

    mine = torch.arange(5, device=device, dtype=torch.float32) + 10 * rank
    out = torch.empty(5 * world, device=device)
    dist.all_gather_into_tensor(out, mine)
    want = torch.cat([torch.arange(5, dtype=torch.float32) + 10 * r for r in range(world)]).to(device)
    check(torch.equal(out, want), "all_gather_into_tensor")

    inp = torch.arange(4 * world, device=device, dtype=torch.float32) * (rank + 1)
    out = torch.empty(4, device=device)
    dist.reduce_scatter_tensor(out, inp)
    total = sum(r + 1 for r in range(world))
    want = torch.arange(4 * rank, 4 * rank + 4, device=device, dtype=torch.float32) * total
    check(torch.equal(out, want), "reduce_scatter_tensor")

    inp = torch.arange(3 * world, device=device, dtype=torch.int64) + 100 * rank
    out = torch.empty_like(inp)
    dist.all_to_all_single(out, inp)
    want = torch.cat([torch.arange(3 * rank, 3 * rank + 3, dtype=torch.int64) + 100 * r for r in range(world)]).to(device)
    check(torch.equal(out, want), "all_to_all_single")

    if world > 1:
        if rank == 0:
            dist.send(torch.full((64,), 42.0, device=device), dst=1)
        elif rank == 1:
            t = torch.zeros(64, device=device)
            dist.recv(t, src=0)
            check(torch.all(t == 42).item(), "send/recv")
    dist.barrier()

    # bfloat16 and large: bitwise the same on every rank.
    t = torch.randn(3_000_000, device=device, generator=torch.Generator(device=device).manual_seed(rank)).bfloat16()
    dist.all_reduce(t)
    digest = torch.tensor([float(t.float().sum().item())], device=device)
    all_digests = torch.empty(world, device=device)
    dist.all_gather_into_tensor(all_digests, digest)
    check(torch.all(all_digests == all_digests[0]).item(), "bfloat16 all_reduce differs between ranks")


def ddp(device, rank, world):
    net = DDP(model().to(device), device_ids=[device.index])
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    ref = model()
    ref_opt = torch.optim.SGD(ref.parameters(), lr=0.05)
    for step in range(5):
        x, y = batches(step, world)
        opt.zero_grad()
        nn.functional.mse_loss(net(x[8 * rank:8 * rank + 8].to(device)), y[8 * rank:8 * rank + 8].to(device)).backward()
        opt.step()
        ref_opt.zero_grad()
        nn.functional.mse_loss(ref(x), y).backward()
        ref_opt.step()
    for p, q in zip(net.module.parameters(), ref.parameters()):
        check(torch.allclose(p.detach().cpu(), q.detach(), atol=1e-5), "DDP parameters differ from the reference")


def latency(device):
    t = torch.zeros(2, device=device)  # 8 bytes
    for _ in range(100):
        dist.all_reduce(t)
    torch.cuda.synchronize()
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        dist.all_reduce(t)
    torch.cuda.synchronize()
    print(f"torch_check: latency_us={(time.perf_counter() - start) / n * 1e6:.1f}", flush=True)


def main():
    for name, default in (("RANK", "0"), ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1"),
                          ("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", "29531")):
        os.environ.setdefault(name, default)
    same_gpu = "--same-gpu" in sys.argv
    local_rank = int(os.environ["LOCAL_RANK"])
    device = torch.device("cuda", 0 if same_gpu else local_rank % torch.cuda.device_count())
    torch.cuda.set_device(device)
    dist.init_process_group(backend="nccl", device_id=device)
    rank, world = dist.get_rank(), dist.get_world_size()
    if "--latency" in sys.argv:
        latency(device)
    else:
        collectives(device, rank, world)
        ddp(device, rank, world)
        dist.barrier()
        if rank == 0:
            print(f"torch_check: PASS ({world} ranks{', one GPU' if same_gpu else ''})", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
