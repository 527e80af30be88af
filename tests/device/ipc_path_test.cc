// The device-to-device path of all-GPU communicators (src/device/ipc_path.h) on the fake
// runtime, whose IPC handles map memory across the rank processes: in-place calls spanning many
// pieces with a rank count that does not divide them, agreement to stay staged when one rank
// cannot open the handles, and a rank whose device work fails taking the others down with it
// instead of leaving their streams waiting at a barrier.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "mp_harness.h"
#include "test_device.h"

namespace {

constexpr size_t kCount = 3001;  // int32 per rank: 3 pieces of 4096 bytes, uneven chunks

mp::Options directOptions() {
  mp::Options o;
  o.env = {{"HCCL_BACKEND_PLUGIN", testdev::pluginPath()}, {"HCCL_DEVICE_PIECE_BYTES", "4096"}};
  return o;
}

int32_t value(int rank, size_t i) { return (rank + 1) * 100000 + static_cast<int32_t>(i % 9973); }

std::vector<int32_t> download(const testdev::Buffer& b, void* stream) {
  std::vector<char> bytes = b.download(stream);
  std::vector<int32_t> out(bytes.size() / 4);
  memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

void upload(testdev::Buffer& b, const std::vector<int32_t>& v, void* stream) { b.upload(v.data(), stream); }

cudaStream_t cu(void* s) { return static_cast<cudaStream_t>(s); }

TEST(IpcPath, InPlaceCallsOnThreeGpuRanks) {
  HCCL_SKIP_WITHOUT_DEVICE();
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& r) {
    const int n = r.nranks, me = r.rank;
    void* stream = nullptr;
    ASSERT_EQ(testdev::rt().streamCreate(&stream), 0);
    testdev::Buffer buf(kCount * n * 4);
    std::vector<int32_t> host(kCount * n);

    // AllReduce: every element summed over the ranks.
    for (size_t i = 0; i < kCount; ++i) host[i] = value(me, i);
    upload(buf, host, stream);
    MP_ASSERT_OK(ncclAllReduce(buf.data(), buf.data(), kCount, ncclInt32, ncclSum, r.comm, cu(stream)));
    std::vector<int32_t> out = download(buf, stream);
    for (size_t i = 0; i < kCount; ++i)
      ASSERT_EQ(out[i], value(0, i) + value(1, i) + value(2, i)) << "AllReduce element " << i;

    // AllGather: the input is this rank's block of the output.
    for (size_t i = 0; i < kCount; ++i) host[me * kCount + i] = value(me, i);
    upload(buf, host, stream);
    MP_ASSERT_OK(ncclAllGather(buf.data() + me * kCount * 4, buf.data(), kCount, ncclInt32, r.comm, cu(stream)));
    out = download(buf, stream);
    for (int j = 0; j < n; ++j)
      for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(out[j * kCount + i], value(j, i)) << "AllGather " << j << " " << i;

    // ReduceScatter: the output is this rank's block of the input.
    for (int j = 0; j < n; ++j)
      for (size_t i = 0; i < kCount; ++i) host[j * kCount + i] = value(me, j * kCount + i);
    upload(buf, host, stream);
    MP_ASSERT_OK(ncclReduceScatter(buf.data(), buf.data() + me * kCount * 4, kCount, ncclInt32, ncclMax,
                                   r.comm, cu(stream)));
    out = download(buf, stream);
    for (size_t i = 0; i < kCount; ++i)
      ASSERT_EQ(out[me * kCount + i], value(n - 1, me * kCount + i)) << "ReduceScatter element " << i;

    // AllToAll in place: block j goes to rank j.
    for (int j = 0; j < n; ++j)
      for (size_t i = 0; i < kCount; ++i) host[j * kCount + i] = value(me, j * kCount + i);
    upload(buf, host, stream);
    MP_ASSERT_OK(ncclAlltoAll(buf.data(), buf.data(), kCount, ncclInt32, r.comm, cu(stream)));
    out = download(buf, stream);
    for (int j = 0; j < n; ++j)
      for (size_t i = 0; i < kCount; ++i)
        ASSERT_EQ(out[j * kCount + i], value(j, me * kCount + i)) << "AllToAll " << j << " " << i;

    // Broadcast from rank 1, in place.
    for (size_t i = 0; i < kCount; ++i) host[i] = value(me, i);
    upload(buf, host, stream);
    MP_ASSERT_OK(ncclBroadcast(buf.data(), buf.data(), kCount, ncclInt32, 1, r.comm, cu(stream)));
    out = download(buf, stream);
    for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(out[i], value(1, i)) << "Broadcast element " << i;

    if (testdev::ipcOpens() >= 0) EXPECT_GT(testdev::ipcOpens(), 0) << "the calls did not run device to device";
    testdev::rt().streamDestroy(stream);
  }, directOptions()));
}

// One group: a collective, a ring of sends and receives, another collective. The collectives run
// device to device, the sends and receives through the rings, and no rank may wait on a send
// that another rank placed behind a collective.
TEST(IpcPath, GroupMixesCollectivesWithSendsAndReceives) {
  HCCL_SKIP_WITHOUT_DEVICE();
  mp::Options o = directOptions();
  o.env.push_back({"HCCL_EAGER_BYTES", "256"});  // sends wait for their receiver's grant
  o.timeoutSec = 60;
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& r) {
    const int n = r.nranks, me = r.rank;
    void* stream = nullptr;
    ASSERT_EQ(testdev::rt().streamCreate(&stream), 0);
    testdev::Buffer a(kCount * 4), sent(kCount * 4), got(kCount * 4), gathered(kCount * n * 4);
    std::vector<int32_t> host(kCount);
    for (size_t i = 0; i < kCount; ++i) host[i] = value(me, i);
    upload(a, host, stream);
    upload(sent, host, stream);
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclAllReduce(a.data(), a.data(), kCount, ncclInt32, ncclSum, r.comm, cu(stream)));
    MP_ASSERT_OK(ncclSend(sent.data(), kCount, ncclInt32, (me + 1) % n, r.comm, cu(stream)));
    MP_ASSERT_OK(ncclRecv(got.data(), kCount, ncclInt32, (me + n - 1) % n, r.comm, cu(stream)));
    MP_ASSERT_OK(ncclAllGather(sent.data(), gathered.data(), kCount, ncclInt32, r.comm, cu(stream)));
    MP_ASSERT_OK(ncclGroupEnd());
    std::vector<int32_t> sum = download(a, stream), in = download(got, stream), all = download(gathered, stream);
    for (size_t i = 0; i < kCount; ++i) {
      ASSERT_EQ(sum[i], value(0, i) + value(1, i) + value(2, i)) << "AllReduce " << i;
      ASSERT_EQ(in[i], value((me + n - 1) % n, i)) << "Recv " << i;
      for (int j = 0; j < n; ++j) ASSERT_EQ(all[j * kCount + i], value(j, i)) << "AllGather " << j << " " << i;
    }
    testdev::rt().streamDestroy(stream);
  }, o));
}

// Initialises r's communicator with the fake runtime's test hook `variable` set on rank
// `hooked` only; returns a new stream.
void* initWithHook(mp::Rank& r, int hooked, const char* variable) {
  if (r.rank == hooked) setenv(variable, "1", 1);
  ncclUniqueId id = r.shareUniqueId();
  EXPECT_EQ(ncclCommInitRank(&r.comm, r.nranks, id, r.rank), ncclSuccess);
  void* stream = nullptr;
  EXPECT_EQ(testdev::rt().streamCreate(&stream), 0);
  return stream;
}

// Rank 1 cannot open IPC handles: every rank must learn it and keep the staged path.
TEST(IpcPath, OneRankWithoutIpcKeepsEveryRankStaged) {
  HCCL_SKIP_WITHOUT_DEVICE();
  if (!testdev::isFake()) GTEST_SKIP() << "needs the fake runtime's HCCL_FAKEDEV_NO_IPC";
  mp::Options o = directOptions();
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& r) {
    void* stream = initWithHook(r, 1, "HCCL_FAKEDEV_NO_IPC");
    ASSERT_NE(r.comm, nullptr);
    testdev::Buffer buf(kCount * 4);
    std::vector<int32_t> host(kCount);
    for (int round = 0; round < 2; ++round) {
      for (size_t i = 0; i < kCount; ++i) host[i] = value(r.rank, i);
      upload(buf, host, stream);
      MP_ASSERT_OK(ncclAllReduce(buf.data(), buf.data(), kCount, ncclInt32, ncclSum, r.comm, cu(stream)));
      std::vector<int32_t> out = download(buf, stream);
      for (size_t i = 0; i < kCount; ++i) ASSERT_EQ(out[i], value(0, i) + value(1, i) + value(2, i)) << i;
    }
    if (r.rank == 1) EXPECT_EQ(testdev::ipcOpens(), 0);
    testdev::rt().streamDestroy(stream);
  }, o));
}

// Rank 2's reduction kernels fail to launch: its call fails at once, the others' communicators
// report the error asynchronously, and no stream stays held at a barrier.
TEST(IpcPath, FailedDeviceWorkOnOneRankReachesEveryRank) {
  HCCL_SKIP_WITHOUT_DEVICE();
  if (!testdev::isFake()) GTEST_SKIP() << "needs the fake runtime's HCCL_FAKEDEV_FAIL_KERNELS";
  mp::Options o = directOptions();
  o.initComm = false;
  o.env.push_back({"NCCL_DEBUG", "WARN"});
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& r) {
    void* stream = initWithHook(r, 2, "HCCL_FAKEDEV_FAIL_KERNELS");
    ASSERT_NE(r.comm, nullptr);
    testdev::Buffer buf(kCount * 4);
    const ncclResult_t called = ncclAllReduce(buf.data(), buf.data(), kCount, ncclInt32, ncclSum, r.comm, cu(stream));
    if (r.rank == 2) EXPECT_NE(called, ncclSuccess);
    else EXPECT_EQ(called, ncclSuccess);
    ASSERT_EQ(testdev::rt().streamSynchronize(stream), 0);  // released even though the call failed
    ncclResult_t async = ncclSuccess;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while ((async == ncclSuccess || async == ncclInProgress) && std::chrono::steady_clock::now() < deadline) {
      ASSERT_EQ(ncclCommGetAsyncError(r.comm, &async), ncclSuccess);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_NE(async, ncclSuccess) << "rank " << r.rank << " saw no error";
    EXPECT_NE(async, ncclInProgress);
    ncclCommAbort(r.comm);
    r.comm = nullptr;
    testdev::rt().streamDestroy(stream);
  }, o));
}

}  // namespace
