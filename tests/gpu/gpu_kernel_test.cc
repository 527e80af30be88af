// The shared kernels as nvcc compiled them into libhccl-cuda.so, run on the GPU through the
// plugin's table and compared bit for bit with the host backend: every datatype x Sum/Prod/
// Max/Min, scale and divide, on random bit patterns, aligned and misaligned. Skips without a GPU.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "backends/host/host_kernels.h"
#include "test_device.h"

namespace {

using hccl::DataType;

class GpuKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testdev::rt().init() != 0) GTEST_SKIP() << "no usable GPU for " << testdev::pluginPath();
    ASSERT_EQ(testdev::rt().streamCreate(&stream_), 0);
  }
  void TearDown() override {
    if (stream_ != nullptr) testdev::rt().streamDestroy(stream_);
  }
  void* stream_ = nullptr;
};

std::vector<char> randomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<char> v(n);
  for (auto& b : v) b = static_cast<char>(gen());
  return v;
}

constexpr size_t kCounts[] = {1, 4099, 1 << 20};
constexpr size_t kMisalign[] = {0, 1, 8};

TEST_F(GpuKernels, ReduceScaleDivideMatchTheHostBackendBitForBit) {
  const auto& host = hccl::host::genericKernelSet();
  const auto& rt = testdev::rt();
  for (int t = 0; t < hccl::kNumDataTypes; ++t) {
    const size_t elem = hccl::dataTypeSize(static_cast<DataType>(t));
    for (size_t count : kCounts) {
      for (size_t mis : kMisalign) {
        const size_t bytes = count * elem + 64;
        auto a = randomBytes(bytes, 3 * t + 1), b = randomBytes(bytes, 5 * t + 2);
        testdev::Buffer da(bytes), db(bytes), dd(bytes);
        da.upload(a.data(), stream_);
        db.upload(b.data(), stream_);
        for (int op = 0; op < hccl::kNumReduceOps; ++op) {
          std::vector<char> want(bytes);
          host.reduce[t][op](want.data() + mis, a.data() + mis, b.data() + mis, count);
          ASSERT_EQ(rt.reduce(dd.data() + mis, nullptr, da.data() + mis, db.data() + mis, count, t, op, stream_), 0);
          std::vector<char> got = dd.download(stream_);
          ASSERT_EQ(0, memcmp(want.data() + mis, got.data() + mis, count * elem))
              << hccl::dataTypeName(static_cast<DataType>(t)) << " op " << op << " count " << count << " misalign " << mis;
        }
        std::vector<char> want(bytes);
        host.scale[t](want.data() + mis, a.data() + mis, count, b.data());
        ASSERT_EQ(rt.scale(dd.data() + mis, da.data() + mis, count, t, b.data(), stream_), 0);
        std::vector<char> got = dd.download(stream_);
        ASSERT_EQ(0, memcmp(want.data() + mis, got.data() + mis, count * elem)) << "scale type " << t;
        want = a;
        host.divide[t](want.data() + mis, count, 7);
        ASSERT_EQ(rt.divide(da.data() + mis, count, t, 7, stream_), 0);
        got = da.download(stream_);
        ASSERT_EQ(0, memcmp(want.data() + mis, got.data() + mis, count * elem)) << "divide type " << t;
      }
    }
  }
}

}  // namespace
