// Device ranks through the public API, on the fake device runtime (libhccl-fakedev.so) in CI and
// on the CUDA plugin in tests/gpu (same source, the plugin differs): every
// collective x datatype x reduction with 2 and 4 GPU ranks, and 2 GPU ranks + 2 CPU ranks, with
// results checked against the float64/integer references of tests/mp and bitwise equal on every
// rank. Pieces are made small (HCCL_DEVICE_PIECE_BYTES=4096) so that calls span many pieces and
// the staging pipeline wraps around its slots.
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "mp_data.h"
#include "mp_harness.h"
#include "test_device.h"

namespace {

using mp::Op;

enum class Coll { AllReduce, AllGather, ReduceScatter, Broadcast, Reduce, AlltoAll, Gather, Scatter, SendRecv };
const char* collName(Coll c) {
  static const char* names[] = {"AllReduce", "AllGather", "ReduceScatter", "Broadcast", "Reduce",
                                "AlltoAll", "Gather", "Scatter", "SendRecv"};
  return names[static_cast<int>(c)];
}

// Input and output elements per rank for a call with `count`.
size_t inElems(Coll c, size_t count, int n, int rank, int root) {
  switch (c) {
    case Coll::ReduceScatter: case Coll::AlltoAll: return count * n;
    case Coll::Scatter: return rank == root ? count * n : 0;
    default: return count;
  }
}
size_t outElems(Coll c, size_t count, int n, int rank, int root) {
  switch (c) {
    case Coll::AllGather: case Coll::AlltoAll: return count * n;
    case Coll::Gather: return rank == root ? count * n : 0;
    case Coll::Reduce: return rank == root ? count : 0;
    default: return count;
  }
}

// The expected output element i of `rank`; false when this rank has no output there.
mp::Expected expected(Coll c, ncclDataType_t t, Op op, uint64_t seed, int n, int rank, int root,
                      size_t count, size_t i) {
  auto input = [&](int r, size_t index) { return mp::genBits(t, op, seed, r, index); };
  auto reduced = [&](size_t index) {
    std::vector<uint64_t> in(n);
    for (int r = 0; r < n; ++r) in[r] = input(r, index);
    return mp::reduceExpected(t, op, n, in.data());
  };
  switch (c) {
    case Coll::AllReduce: case Coll::Reduce: return reduced(i);
    case Coll::ReduceScatter: return reduced(rank * count + i);
    case Coll::Broadcast: return mp::copyExpected(input(root, i));
    case Coll::AllGather: case Coll::Gather: return mp::copyExpected(input(static_cast<int>(i / count), i % count));
    case Coll::AlltoAll: return mp::copyExpected(input(static_cast<int>(i / count), rank * count + i % count));
    case Coll::Scatter: return mp::copyExpected(input(root, rank * count + i));
    case Coll::SendRecv: return mp::copyExpected(input((rank + n - 1) % n, i));
  }
  return {};
}

ncclResult_t call(Coll c, const void* in, void* out, size_t count, ncclDataType_t t, ncclRedOp_t op,
                  int root, mp::Rank& r, cudaStream_t s) {
  switch (c) {
    case Coll::AllReduce: return ncclAllReduce(in, out, count, t, op, r.comm, s);
    case Coll::AllGather: return ncclAllGather(in, out, count, t, r.comm, s);
    case Coll::ReduceScatter: return ncclReduceScatter(in, out, count, t, op, r.comm, s);
    case Coll::Broadcast: return ncclBroadcast(in, out, count, t, root, r.comm, s);
    case Coll::Reduce: return ncclReduce(in, out, count, t, op, root, r.comm, s);
    case Coll::AlltoAll: return ncclAlltoAll(in, out, count, t, r.comm, s);
    case Coll::Gather: return ncclGather(in, out, count, t, root, r.comm, s);
    case Coll::Scatter: return ncclScatter(in, out, count, t, root, r.comm, s);
    case Coll::SendRecv: {
      ncclGroupStart();
      ncclSend(in, count, t, (r.rank + 1) % r.nranks, r.comm, s);
      ncclRecv(out, count, t, (r.rank + r.nranks - 1) % r.nranks, r.comm, s);
      return ncclGroupEnd();
    }
  }
  return ncclInvalidArgument;
}

bool isDeviceRank(int rank, int gpuRanks) { return rank < gpuRanks; }

// Where a GPU rank keeps the call's buffers: device memory, or host memory (which no IPC handle
// can share, so all-GPU communicators stage through their device scratch).
enum class Buffers { Device, Host };

// Runs one call on this rank (on a GPU rank, buffers as `buffers` says, on its stream; host
// buffers on a CPU rank) and checks every output element; returns the output bytes for the
// cross-rank comparison.
std::vector<char> runAndCheck(mp::Rank& r, bool device, Buffers buffers, Coll c, ncclDataType_t t, Op op,
                              size_t count, int root, uint64_t seed, void* stream) {
  const mp::TypeInfo& info = mp::typeInfo(t);
  const int n = r.nranks;
  const size_t inN = inElems(c, count, n, r.rank, root), outN = outElems(c, count, n, r.rank, root);
  std::vector<char> in(inN * info.size), out(outN * info.size, 0x5A);
  mp::fill(in.data(), t, op, seed, r.rank, inN);
  ncclRedOp_t redop = ncclSum;
  if (op == Op::PreMulSum) {
    uint64_t scalar = mp::preMulScalarBits(t);
    EXPECT_EQ(ncclRedOpCreatePreMulSum(&redop, &scalar, t, ncclScalarHostImmediate, r.comm), ncclSuccess);
  } else if (op != Op::Copy) {
    redop = mp::builtinOp(op);
  }
  if (device && buffers == Buffers::Host) {
    EXPECT_EQ(call(c, in.data(), out.data(), count, t, redop, root, r, static_cast<cudaStream_t>(stream)),
              ncclSuccess) << mp::lastError(r.comm);
    EXPECT_EQ(testdev::rt().streamSynchronize(stream), 0);
  } else if (device) {
    testdev::Buffer din(in.size()), dout(out.size());
    din.upload(in.data(), stream);
    dout.upload(out.data(), stream);
    EXPECT_EQ(call(c, din.data(), dout.data(), count, t, redop, root, r, static_cast<cudaStream_t>(stream)),
              ncclSuccess) << mp::lastError(r.comm);
    out = dout.download(stream);  // ordered after the call on the same stream
  } else {
    EXPECT_EQ(call(c, in.data(), out.data(), count, t, redop, root, r, nullptr), ncclSuccess)
        << mp::lastError(r.comm);
  }
  if (op == Op::PreMulSum) ncclRedOpDestroy(redop, r.comm);
  int bad = 0;
  for (size_t i = 0; i < outN && bad < 3; ++i) {
    const mp::Expected e = expected(c, t, op, seed, n, r.rank, root, count, i);
    const uint64_t got = mp::loadElem(out.data(), info.size, i);
    if (!mp::matches(t, e, got)) {
      ++bad;
      ADD_FAILURE() << collName(c) << " " << info.name << " " << mp::opName(op) << " count " << count
                    << " rank " << r.rank << (device ? " (GPU)" : " (CPU)") << " element " << i << ": got "
                    << mp::describe(t, got) << ", expected " << mp::describe(t, e);
    }
  }
  return out;
}

// Every collective, datatype and reduction on a communicator whose first gpuRanks ranks are GPUs.
void everything(mp::Rank& r, int gpuRanks, Buffers buffers) {
  const bool device = isDeviceRank(r.rank, gpuRanks);
  void* stream = nullptr;
  if (device) ASSERT_EQ(testdev::rt().streamCreate(&stream), 0);
  const int root = r.nranks - 1;
  uint64_t seed = 1;
  for (Coll c : {Coll::AllReduce, Coll::ReduceScatter, Coll::Reduce}) {
    for (ncclDataType_t t : mp::kAllTypes) {
      for (Op op : mp::kReduceOps) {
        for (size_t count : {size_t{0}, size_t{1}, size_t{7}, size_t{3001}}) {
          std::vector<char> out = runAndCheck(r, device, buffers, c, t, op, count, root, ++seed, stream);
          if (c != Coll::AllReduce) continue;
          // Bitwise the same on every rank, GPU or CPU.
          uint64_t h = mp::hashBytes(out.data(), out.size());
          for (uint64_t other : r.allgatherValue(h))
            EXPECT_EQ(other, h) << "AllReduce " << mp::typeInfo(t).name << " " << mp::opName(op)
                                << " differs between ranks";
        }
      }
    }
  }
  // Random real inputs: the order of reduction matters, yet all ranks must agree bitwise.
  for (ncclDataType_t t : {ncclFloat16, ncclBfloat16, ncclFloat32, ncclFloat64, ncclFloat8e4m3}) {
    std::vector<char> out = runAndCheck(r, device, buffers, Coll::AllReduce, t, Op::SumRounding, 5000, root, ++seed, stream);
    uint64_t h = mp::hashBytes(out.data(), out.size());
    for (uint64_t other : r.allgatherValue(h)) EXPECT_EQ(other, h) << mp::typeInfo(t).name;
  }
  for (Coll c : {Coll::AllGather, Coll::Broadcast, Coll::AlltoAll, Coll::Gather, Coll::Scatter, Coll::SendRecv})
    for (ncclDataType_t t : mp::kAllTypes)
      for (size_t count : {size_t{0}, size_t{1}, size_t{5}, size_t{2500}})
        runAndCheck(r, device, buffers, c, t, Op::Copy, count, c == Coll::SendRecv ? 0 : root, ++seed, stream);
  if (device) testdev::rt().streamDestroy(stream);
}

mp::Options deviceOptions(int gpuRanks) {
  mp::Options o;
  o.timeoutSec = 300;
  o.initComm = false;
  o.env = {{"HCCL_BACKEND_PLUGIN", testdev::pluginPath()}, {"HCCL_DEVICE_PIECE_BYTES", "4096"}};
  (void)gpuRanks;
  return o;
}

// Initialises the communicator after choosing this rank's backend.
void initRank(mp::Rank& r, int gpuRanks) {
  if (!isDeviceRank(r.rank, gpuRanks)) setenv("HCCL_BACKEND", "host", 1);
  ncclUniqueId id = r.shareUniqueId();
  ASSERT_EQ(ncclCommInitRank(&r.comm, r.nranks, id, r.rank), ncclSuccess);
}

// How GPU ranks of an all-GPU communicator exchange data: device to device through IPC-mapped
// scratch, or staged through host memory (checked where the fake runtime counts IPC opens).
// A one-rank communicator copies on the caller's stream (OnStream): no IPC either.
enum class Path { Direct, Staged, OnStream };

void everythingOn(int nranks, int gpuRanks, Path path,
                  std::vector<std::pair<std::string, std::string>> extraEnv = {},
                  Buffers buffers = Buffers::Device) {
  mp::Options o = deviceOptions(gpuRanks);
  for (auto& e : extraEnv) o.env.push_back(e);
  MP_EXPECT_RUN(mp::run(nranks, [gpuRanks, path, buffers](mp::Rank& r) {
    initRank(r, gpuRanks);
    if (r.comm == nullptr) return;
    everything(r, gpuRanks, buffers);
    const int opens = isDeviceRank(r.rank, gpuRanks) ? testdev::ipcOpens() : -1;
    if (opens >= 0) EXPECT_EQ(opens > 0, path == Path::Direct) << "rank " << r.rank;
  }, o));
}

TEST(DeviceColl, OneGpuRank) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(1, 1, Path::OnStream);
}
// Several ranks share device 0, as NCCL does not allow.
TEST(DeviceColl, TwoGpuRanks) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(2, 2, Path::Direct);
}
TEST(DeviceColl, FourGpuRanks) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(4, 4, Path::Direct);
}
TEST(DeviceColl, FourGpuRanksWithHostBuffersUseDeviceScratch) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(4, 4, Path::Direct, {}, Buffers::Host);
}
TEST(DeviceColl, TwoGpuRanksStagedThroughHostMemory) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(2, 2, Path::Staged, {{"HCCL_DEVICE_DIRECT", "0"}});
}
TEST(DeviceColl, TwoGpuAndTwoCpuRanks) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(4, 2, Path::Staged);
}
// The fake runtime then offers no stream memory operations: the plugin's one-thread kernels wait
// and write instead.
TEST(DeviceColl, WaitKernelsWithoutStreamMemoryOperations) {
  HCCL_SKIP_WITHOUT_DEVICE();
  everythingOn(2, 2, Path::Direct, {{"HCCL_FAKEDEV_NO_MEMOPS", "1"}});
}

// ncclCommSplit on GPU ranks: the split's own exchange must finish before the ranks read it
// (a GPU rank's queue would run it only later), and the children carry collectives.
TEST(DeviceColl, SplitOnGpuRanks) {
  HCCL_SKIP_WITHOUT_DEVICE();
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& r) {
    initRank(r, 4);
    if (r.comm == nullptr) return;
    ncclComm_t child = nullptr;
    ASSERT_EQ(ncclCommSplit(r.comm, r.rank % 2, -r.rank, &child, nullptr), ncclSuccess) << mp::lastError(r.comm);
    int childRank = -1, childCount = 0;
    ASSERT_EQ(ncclCommUserRank(child, &childRank), ncclSuccess);
    ASSERT_EQ(ncclCommCount(child, &childCount), ncclSuccess);
    EXPECT_EQ(childCount, 2);
    EXPECT_EQ(childRank, r.rank < 2 ? 1 : 0);  // keys -rank: the higher parent rank comes first
    void* stream = nullptr;
    ASSERT_EQ(testdev::rt().streamCreate(&stream), 0);
    const float mine = static_cast<float>(r.rank + 1);
    testdev::Buffer in(sizeof(float)), out(sizeof(float));
    in.upload(&mine, stream);
    ASSERT_EQ(ncclAllReduce(in.data(), out.data(), 1, ncclFloat32, ncclSum, child, static_cast<cudaStream_t>(stream)),
              ncclSuccess) << mp::lastError(child);
    std::vector<char> sum = out.download(stream);
    float got = 0;
    memcpy(&got, sum.data(), sizeof(got));
    EXPECT_EQ(got, r.rank % 2 == 0 ? 1.0f + 3.0f : 2.0f + 4.0f) << "rank " << r.rank;
    testdev::rt().streamDestroy(stream);
    EXPECT_EQ(ncclCommDestroy(child), ncclSuccess);
  }, deviceOptions(4)));
}

// A split right after a staged collective that is still queued behind a busy stream on rank 0,
// while rank 1 already runs it: rank 0's split must let its collective run first, not hold the
// communicator while rank 1 waits in that collective for rank 0 (they would wait for each other
// until HCCL_TIMEOUT).
TEST(DeviceColl, SplitAfterAQueuedCollective) {
  HCCL_SKIP_WITHOUT_DEVICE();
  mp::Options o = deviceOptions(2);
  o.env.push_back({"HCCL_TIMEOUT", "20"});
  o.env.push_back({"HCCL_DEVICE_DIRECT", "0"});
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
    initRank(r, 2);
    if (r.comm == nullptr) return;
    void* stream = nullptr;
    ASSERT_EQ(testdev::rt().streamCreate(&stream), 0);
    const float mine = static_cast<float>(r.rank + 1);
    testdev::Buffer in(sizeof(float)), out(sizeof(float));
    in.upload(&mine, stream);
    ASSERT_EQ(testdev::rt().streamSynchronize(stream), 0);
    // Rank 0's stream reaches the AllReduce only after the split has begun.
    testdev::StreamHold hold(stream);
    if (r.rank == 1) hold.release();
    std::thread releaser([&hold] {
      usleep(300 * 1000);
      hold.release();
    });
    ASSERT_EQ(ncclAllReduce(in.data(), out.data(), 1, ncclFloat32, ncclSum, r.comm, static_cast<cudaStream_t>(stream)),
              ncclSuccess);
    if (r.rank == 1) usleep(100 * 1000);  // rank 1's progress thread is in the AllReduce by then
    ncclComm_t child = nullptr;
    ASSERT_EQ(ncclCommSplit(r.comm, 0, r.rank, &child, nullptr), ncclSuccess) << mp::lastError(r.comm);
    std::vector<char> sum = out.download(stream);
    float got = 0;
    memcpy(&got, sum.data(), sizeof(got));
    EXPECT_EQ(got, 3.0f);
    int count = 0;
    ASSERT_EQ(ncclCommCount(child, &count), ncclSuccess);
    EXPECT_EQ(count, 2);
    releaser.join();
    testdev::rt().streamDestroy(stream);
    EXPECT_EQ(ncclCommDestroy(child), ncclSuccess);
  }, o));
}

}  // namespace
