// Stream semantics of GPU ranks on the fake device runtime: a collective is ordered on the
// caller's stream and asynchronous to the host; a capturing stream is refused with a clear
// error; the loader falls back to the host backend with an INFO line saying why.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mp_harness.h"
#include "test_device.h"

namespace {

mp::Options fakeOptions() {
  mp::Options o;
  o.env = {{"HCCL_BACKEND_PLUGIN", testdev::pluginPath()}};
  return o;
}

// The fake device, staged through host memory ("0") or device to device ("1"), with time for a
// peer that comes late.
mp::Options waitingOptions(const char* direct) {
  mp::Options o = fakeOptions();
  o.timeoutSec = 60;
  o.env.push_back({"HCCL_DEVICE_DIRECT", direct});
  return o;
}

TEST(DeviceStream, CollectiveIsAsynchronousAndOrderedOnTheStream) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
    const hcclDeviceRuntime_v3& rt = testdev::rt();
    void* stream = nullptr;
    ASSERT_EQ(rt.streamCreate(&stream), 0);
    const size_t n = 100000;
    std::vector<float> ones(n, 1.0f), zeros(n, 0.0f);
    testdev::Buffer send(n * 4), recv(n * 4);
    send.upload(ones.data(), stream);
    recv.upload(zeros.data(), stream);
    // Hold the stream: the collective must return at once and not touch recv yet.
    testdev::StreamHold hold(stream);
    MP_ASSERT_OK(ncclAllReduce(send.data(), recv.data(), n, ncclFloat32, ncclSum, r.comm,
                               static_cast<cudaStream_t>(stream)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    float first = -1;
    memcpy(&first, recv.data(), 4);  // fake device memory is host memory
    EXPECT_EQ(first, 0.0f) << "the collective ran before the stream reached it";
    // Work queued after the call sees its result: the stream waits for the collective.
    std::vector<float> after(n, -1.0f);
    ASSERT_EQ(rt.copyAsync(after.data(), recv.data(), n * 4, stream), 0);
    hold.release();
    ASSERT_EQ(rt.streamSynchronize(stream), 0);
    for (size_t i = 0; i < n; i += 997) ASSERT_EQ(after[i], 2.0f) << i;
    // ncclMemAlloc gives device memory on a GPU rank.
    void* mem = nullptr;
    MP_ASSERT_OK(ncclMemAlloc(&mem, 4096));
    int device = -1;
    rt.pointerDevice(&device, mem);
    EXPECT_EQ(device, 0);
    MP_EXPECT_OK(ncclMemFree(mem));
    rt.streamDestroy(stream);
  }, fakeOptions()));
}

TEST(DeviceStream, ManyQueuedCallsCompleteInOrder) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
    const hcclDeviceRuntime_v3& rt = testdev::rt();
    void* stream = nullptr;
    ASSERT_EQ(rt.streamCreate(&stream), 0);
    const size_t n = 4096;
    std::vector<int32_t> one(n, 1);
    testdev::Buffer buf(n * 4);
    buf.upload(one.data(), stream);
    // In place, 10 times: each call doubles what the previous one left.
    for (int i = 0; i < 10; ++i)
      MP_ASSERT_OK(ncclAllReduce(buf.data(), buf.data(), n, ncclInt32, ncclSum, r.comm,
                                 static_cast<cudaStream_t>(stream)));
    std::vector<char> out = buf.download(stream);
    int32_t v = 0;
    memcpy(&v, out.data() + 4 * (n - 1), 4);
    EXPECT_EQ(v, 1024);
    rt.streamDestroy(stream);
  }, fakeOptions()));
}

// ncclScalarDevice: PreMulSum reads its factor when the stream reaches the call, so a factor the
// stream writes just before the call counts.
TEST(DeviceStream, DeviceScalarIsReadWhenTheCallRuns) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
    const hcclDeviceRuntime_v3& rt = testdev::rt();
    void* stream = nullptr;
    ASSERT_EQ(rt.streamCreate(&stream), 0);
    const size_t n = 1000;
    std::vector<float> ones(n, 1.0f);
    testdev::Buffer buf(n * 4), factor(4);
    buf.upload(ones.data(), stream);
    const float two = 2.0f, three = 3.0f;
    factor.upload(&two, stream);
    ncclRedOp_t op;
    MP_ASSERT_OK(ncclRedOpCreatePreMulSum(&op, factor.data(), ncclFloat32, ncclScalarDevice, r.comm));
    testdev::StreamHold hold(stream);
    ASSERT_EQ(rt.copyAsync(factor.data(), &three, 4, stream), 0);
    MP_ASSERT_OK(ncclAllReduce(buf.data(), buf.data(), n, ncclFloat32, op, r.comm, static_cast<cudaStream_t>(stream)));
    hold.release();
    std::vector<char> out = buf.download(stream);
    float v = 0;
    for (size_t i = 0; i < n; i += 111) {
      memcpy(&v, out.data() + 4 * i, 4);
      ASSERT_EQ(v, 6.0f) << "element " << i << ": the factor was read before the stream wrote it";
    }
    MP_EXPECT_OK(ncclRedOpDestroy(op, r.comm));
    rt.streamDestroy(stream);
  }, fakeOptions()));
}

TEST(DeviceStream, GraphCaptureIsRefusedClearly) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
    const hcclDeviceRuntime_v3& rt = testdev::rt();
    void* stream = nullptr;
    ASSERT_EQ(rt.streamCreate(&stream), 0);
    testdev::Buffer buf(64);
    testdev::setCapturing(stream, 1);
    EXPECT_EQ(ncclAllReduce(buf.data(), buf.data(), 16, ncclFloat32, ncclSum, r.comm,
                            static_cast<cudaStream_t>(stream)),
              ncclInvalidUsage);
    EXPECT_NE(mp::lastError(r.comm).find("captured"), std::string::npos) << mp::lastError(r.comm);
    testdev::setCapturing(stream, 0);
    // The communicator is still usable afterwards.
    MP_EXPECT_OK(ncclAllReduce(buf.data(), buf.data(), 16, ncclFloat32, ncclSum, r.comm,
                               static_cast<cudaStream_t>(stream)));
    rt.streamSynchronize(stream);
    rt.streamDestroy(stream);
  }, fakeOptions()));
}

// A one-rank communicator's calls are copies on the stream itself: allowed under capture, and
// still ordered and asynchronous.
TEST(DeviceStream, OneRankCallsRunOnTheStreamEvenUnderCapture) {
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank& r) {
    const hcclDeviceRuntime_v3& rt = testdev::rt();
    void* stream = nullptr;
    ASSERT_EQ(rt.streamCreate(&stream), 0);
    const size_t n = 4096;
    std::vector<int32_t> in(n), zeros(n, 0);
    for (size_t i = 0; i < n; ++i) in[i] = static_cast<int32_t>(i * 7);
    testdev::Buffer send(n * 4), recv(n * 4);
    send.upload(in.data(), stream);
    recv.upload(zeros.data(), stream);
    testdev::StreamHold hold(stream);
    testdev::setCapturing(stream, 1);
    MP_ASSERT_OK(ncclAllReduce(send.data(), recv.data(), n, ncclInt32, ncclSum, r.comm, static_cast<cudaStream_t>(stream)));
    testdev::setCapturing(stream, 0);
    int32_t last = -1;
    memcpy(&last, recv.data() + 4 * (n - 1), 4);
    EXPECT_EQ(last, 0) << "the copy ran before the stream reached it";
    hold.release();
    std::vector<char> out = recv.download(stream);
    EXPECT_EQ(memcmp(out.data(), in.data(), n * 4), 0);
    rt.streamDestroy(stream);
  }, fakeOptions()));
}

// A free on another thread while a collective's stream waits for a peer that comes 300 ms later:
// the free waits for the device to go idle (holding the driver's lock, in the fake's
// HCCL_FAKEDEV_FREE_LOCK mode, as cudaFree may), so nothing that releases the stream may need
// that lock. Staged (the host runs the round) and device to device (flag barriers).
TEST(DeviceStream, FreeOnAnotherThreadWhileACollectiveWaits) {
  for (const char* direct : {"0", "1"}) {
    SCOPED_TRACE(std::string("HCCL_DEVICE_DIRECT=") + direct);
    MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
      const hcclDeviceRuntime_v3& rt = testdev::rt();
      void* stream = nullptr;
      ASSERT_EQ(rt.streamCreate(&stream), 0);
      const size_t n = 50000;
      std::vector<float> ones(n, 1.0f);
      testdev::Buffer buf(n * 4);
      buf.upload(ones.data(), stream);
      void* spare = nullptr;
      ASSERT_EQ(rt.deviceAlloc(&spare, 4096), 0);
      if (r.rank == 1) usleep(300 * 1000);
      MP_ASSERT_OK(ncclAllReduce(buf.data(), buf.data(), n, ncclFloat32, ncclSum, r.comm,
                                 static_cast<cudaStream_t>(stream)));
      std::thread freer([&] { EXPECT_EQ(rt.deviceFree(spare), 0); });
      freer.join();
      std::vector<char> out = buf.download(stream);
      float v = 0;
      for (size_t i = 0; i < n; i += 997) {
        memcpy(&v, out.data() + 4 * i, 4);
        ASSERT_EQ(v, 2.0f) << i;
      }
      rt.streamDestroy(stream);
    }, waitingOptions(direct)));
  }
}

// Rank 0 calls a collective that rank 1 never joins, then aborts: its stream, held at the
// collective's first wait (a gate or a barrier), goes on. Staged and device to device.
TEST(DeviceStream, AbortReleasesAStreamWaitingForAPeer) {
  for (const char* direct : {"0", "1"}) {
    SCOPED_TRACE(std::string("HCCL_DEVICE_DIRECT=") + direct);
    MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
      const hcclDeviceRuntime_v3& rt = testdev::rt();
      void* stream = nullptr;
      ASSERT_EQ(rt.streamCreate(&stream), 0);
      testdev::Buffer buf(4096);
      if (r.rank == 0) {
        MP_ASSERT_OK(ncclAllReduce(buf.data(), buf.data(), 1024, ncclFloat32, ncclSum, r.comm,
                                   static_cast<cudaStream_t>(stream)));
        usleep(200 * 1000);
        EXPECT_EQ(ncclCommAbort(r.comm), ncclSuccess);
        r.comm = nullptr;
        EXPECT_EQ(rt.streamSynchronize(stream), 0);
      } else {
        usleep(500 * 1000);  // past rank 0's abort; then leave without the collective
      }
      rt.streamDestroy(stream);
    }, waitingOptions(direct)));
  }
}

// ncclCommInitAll puts rank r on devlist[r], as NCCL does, and refuses a device that does not
// exist; the ranks of one process then run a grouped AllReduce, each on its own device and stream,
// device to device through each other's pointers (no IPC handle, peer access instead), or staged
// (one thread then emits both ranks' steps, interleaved).
void initAllOnTwoDevices(const char* direct) {
  mp::Options o = fakeOptions();
  o.initComm = false;
  o.env.push_back({"HCCL_FAKEDEV_COUNT", "2"});
  o.env.push_back({"HCCL_DEVICE_DIRECT", direct});
  MP_EXPECT_RUN(mp::run(1, [direct](mp::Rank&) {
    const hcclDeviceRuntime_v3& rt = testdev::rt();
    ncclComm_t comms[2] = {};
    const int wrong[2] = {0, 5};
    EXPECT_EQ(ncclCommInitAll(comms, 2, wrong), ncclInvalidArgument);
    EXPECT_NE(std::string(ncclGetLastError(nullptr)).find("does not exist"), std::string::npos)
        << ncclGetLastError(nullptr);
    const int devices[2] = {1, 0};
    MP_ASSERT_OK(ncclCommInitAll(comms, 2, devices));
    const size_t n = 5000;
    void* streams[2] = {};
    std::vector<std::unique_ptr<testdev::Buffer>> bufs;
    for (int r = 0; r < 2; ++r) {
      int device = -1;
      MP_EXPECT_OK(ncclCommCuDevice(comms[r], &device));
      EXPECT_EQ(device, devices[r]);
      ASSERT_EQ(rt.setDevice(devices[r]), 0);
      ASSERT_EQ(rt.streamCreate(&streams[r]), 0);
      bufs.push_back(std::make_unique<testdev::Buffer>(n * 4));
      std::vector<int32_t> in(n, r + 1);
      bufs[r]->upload(in.data(), streams[r]);
    }
    MP_ASSERT_OK(ncclGroupStart());
    for (int r = 0; r < 2; ++r)
      MP_ASSERT_OK(ncclAllReduce(bufs[r]->data(), bufs[r]->data(), n, ncclInt32, ncclSum, comms[r],
                                 static_cast<cudaStream_t>(streams[r])));
    MP_ASSERT_OK(ncclGroupEnd());
    for (int r = 0; r < 2; ++r) {
      std::vector<char> out = bufs[r]->download(streams[r]);
      int32_t v = 0;
      for (size_t i = 0; i < n; i += 499) {
        memcpy(&v, out.data() + 4 * i, 4);
        ASSERT_EQ(v, 3) << "rank " << r << " element " << i;
      }
    }
    EXPECT_EQ(testdev::ipcOpens(), 0);
    EXPECT_EQ(testdev::peerAccesses() > 0, direct[0] == '1');
    for (int r = 0; r < 2; ++r) {
      MP_EXPECT_OK(ncclCommDestroy(comms[r]));
      rt.streamDestroy(streams[r]);
    }
  }, o));
}

TEST(DeviceComm, InitAllPlacesRanksOnTheirDevices) { initAllOnTwoDevices("1"); }
TEST(DeviceComm, InitAllRanksStagedFromOneThread) { initAllOnTwoDevices("0"); }

std::string readAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// One rank with the given environment; returns its NCCL_DEBUG=INFO log.
std::string logOfOneRank(std::vector<std::pair<std::string, std::string>> env) {
  char dir[] = "/tmp/hccl-devlog-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/log";
  mp::Options o;
  o.env = std::move(env);
  o.env.push_back({"NCCL_DEBUG", "INFO"});
  o.env.push_back({"NCCL_DEBUG_FILE", file});
  EXPECT_TRUE(mp::run(1, [](mp::Rank&) {}, o));
  std::string text = readAll(file);
  unlink(file.c_str());
  rmdir(dir);
  return text;
}

TEST(DeviceLoader, FallsBackToTheHostWithAReason) {
  std::string log = logOfOneRank({{"HCCL_BACKEND", "cuda"}, {"HCCL_BACKEND_PLUGIN", "/nonexistent/libhccl-cuda.so"}});
  EXPECT_NE(log.find("host backend: no device plugin"), std::string::npos) << log;
  log = logOfOneRank({{"HCCL_BACKEND_PLUGIN", testdev::pluginPath()}, {"HCCL_FAKEDEV_FAIL_INIT", "1"}});
  EXPECT_NE(log.find("host backend: fakedev plugin has no usable driver or device"), std::string::npos) << log;
  log = logOfOneRank({});
  EXPECT_NE(log.find("host backend: the process uses no GPU runtime"), std::string::npos) << log;
  log = logOfOneRank({{"HCCL_BACKEND_PLUGIN", testdev::pluginPath()}});
  EXPECT_NE(log.find("fakedev backend: device 0"), std::string::npos) << log;
  EXPECT_NE(log.find("(fakedev backend)"), std::string::npos) << log;
}

}  // namespace
