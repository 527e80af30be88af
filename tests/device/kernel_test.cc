// The shared device kernels (src/backends/common/device_kernels.h), compiled for the host with
// host_shim.h, against the host backend's kernels, bit for bit: every datatype x Sum/Prod/Max/
// Min, scale (PreMulSum) and divide (Avg), on random bit patterns (NaNs, infinities, subnormals
// included), aligned and misaligned, out of place and in place, and the two-output form.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "backends/host/host_kernels.h"
#include "host_shim.h"

namespace {

using hccl::DataType;
using hccl::ReduceOp;
constexpr int kSm = 3;  // an odd grid: blocks that get no vector, tails split across threads

std::vector<unsigned char> randomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(gen());
  return v;
}

struct Case {
  size_t count;
  size_t misalign;  // bytes added to every pointer
};
const Case kCases[] = {{0, 0}, {1, 0}, {37, 0}, {4099, 0}, {4099, 1}, {1000, 16}, {777, 8}};

const hccl::host::KernelSet& reference() { return hccl::host::genericKernelSet(); }

TEST(DeviceKernels, ReduceMatchesTheHostBackendBitForBit) {
  for (int t = 0; t < hccl::kNumDataTypes; ++t) {
    const size_t elem = hccl::dataTypeSize(static_cast<DataType>(t));
    for (int op = 0; op < hccl::kNumReduceOps; ++op) {
      for (const Case& c : kCases) {
        const size_t bytes = c.count * elem;
        auto a = randomBytes(bytes + 64, 11 * t + op), b = randomBytes(bytes + 64, 7 * t + op + 1000);
        std::vector<unsigned char> want(bytes + 64), got(bytes + 64), got2(bytes + 64);
        reference().reduce[t][op](want.data() + c.misalign, a.data() + c.misalign, b.data() + c.misalign, c.count);
        ASSERT_TRUE(hccl::dev::launchReduce(hccl::dev::HostLauncher{kSm}, got.data() + c.misalign,
                                            got2.data() + c.misalign, a.data() + c.misalign,
                                            b.data() + c.misalign, c.count, t, op));
        ASSERT_EQ(0, memcmp(want.data() + c.misalign, got.data() + c.misalign, bytes))
            << hccl::dataTypeName(static_cast<DataType>(t)) << " " << hccl::reduceOpName(static_cast<ReduceOp>(op))
            << " count " << c.count << " misalign " << c.misalign;
        ASSERT_EQ(0, memcmp(want.data() + c.misalign, got2.data() + c.misalign, bytes));
        // In place (dst == a), as reduce-on-receive uses it.
        std::vector<unsigned char> inPlace = a;
        ASSERT_TRUE(hccl::dev::launchReduce(hccl::dev::HostLauncher{kSm}, inPlace.data() + c.misalign, nullptr,
                                            inPlace.data() + c.misalign, b.data() + c.misalign, c.count, t, op));
        ASSERT_EQ(0, memcmp(want.data() + c.misalign, inPlace.data() + c.misalign, bytes));
      }
    }
  }
}

TEST(DeviceKernels, ScaleAndDivideMatchTheHostBackendBitForBit) {
  for (int t = 0; t < hccl::kNumDataTypes; ++t) {
    const size_t elem = hccl::dataTypeSize(static_cast<DataType>(t));
    for (const Case& c : kCases) {
      const size_t bytes = c.count * elem;
      auto src = randomBytes(bytes + 64, 31 * t + 5);
      for (uint32_t s = 0; s < 4; ++s) {
        auto scalar = randomBytes(8, 97 * t + s);
        std::vector<unsigned char> want(bytes + 64), got(bytes + 64);
        reference().scale[t](want.data() + c.misalign, src.data() + c.misalign, c.count, scalar.data());
        ASSERT_TRUE(hccl::dev::launchScale(hccl::dev::HostLauncher{kSm}, got.data() + c.misalign,
                                           src.data() + c.misalign, c.count, t, scalar.data()));
        ASSERT_EQ(0, memcmp(want.data() + c.misalign, got.data() + c.misalign, bytes))
            << "scale " << hccl::dataTypeName(static_cast<DataType>(t)) << " count " << c.count;
      }
      for (int divisor : {2, 3, 7, 64, 128, 200, 256, 1000}) {  // Avg over up to 1000 ranks
        std::vector<unsigned char> want = src, got = src;
        reference().divide[t](want.data() + c.misalign, c.count, divisor);
        ASSERT_TRUE(hccl::dev::launchDivide(hccl::dev::HostLauncher{kSm}, got.data() + c.misalign, c.count, t, divisor));
        ASSERT_EQ(0, memcmp(want.data() + c.misalign, got.data() + c.misalign, bytes))
            << "divide " << hccl::dataTypeName(static_cast<DataType>(t)) << " by " << divisor << " count " << c.count;
      }
    }
  }
}

TEST(DeviceKernels, InvalidTypeOrOpIsRefused) {
  unsigned char buf[16] = {};
  EXPECT_FALSE(hccl::dev::launchReduce(hccl::dev::HostLauncher{kSm}, buf, nullptr, buf, buf, 1, 12, 0));
  EXPECT_FALSE(hccl::dev::launchReduce(hccl::dev::HostLauncher{kSm}, buf, nullptr, buf, buf, 1, 0, 4));
}

}  // namespace
