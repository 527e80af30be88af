// DmaCopier (src/device/dma_copier.h) on the fake runtime: more copies under way than it has
// events (it must wait for the oldest before reusing its event), both directions at once, and
// registration of a link's windows rolled back when one region is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "backends/device_backend.h"
#include "device/dma_copier.h"
#include "test_device.h"

namespace hccl {
namespace {

// A link whose windows are the given regions.
class RegionsLink final : public Link {
 public:
  explicit RegionsLink(std::vector<Region> regions) : regions_(std::move(regions)) {}
  const char* name() const override { return "regions"; }
  Status write(const void*, size_t, size_t* done) override { return *done = 0, Status::Success; }
  Status read(void*, size_t, size_t* done) override { return *done = 0, Status::Success; }
  Status peek(size_t, size_t, const void**, size_t* avail) override { return *avail = 0, Status::Success; }
  void consume(size_t) override {}
  Status checkAlive() override { return Status::Success; }
  void shutdown() override {}
  int waitFd() const override { return -1; }
  std::vector<Region> windowRegions() const override { return regions_; }

 private:
  std::vector<Region> regions_;
};

class DmaCopierTest : public testing::Test {
 protected:
  void SetUp() override {
    rt_ = &testdev::rt();
    ASSERT_EQ(rt_->init(), 0) << HCCL_TEST_PLUGIN_PATH " finds no device";
    device_ = std::make_unique<DeviceBackend>(rt_, 0);
    ASSERT_EQ(rt_->streamCreate(&toHost_), 0);
    ASSERT_EQ(rt_->streamCreate(&toDevice_), 0);
  }
  void TearDown() override {
    device_.reset();
    if (toHost_ != nullptr) rt_->streamDestroy(toHost_);
    if (toDevice_ != nullptr) rt_->streamDestroy(toDevice_);
  }
  const hcclDeviceRuntime_v2* rt_ = nullptr;
  std::unique_ptr<DeviceBackend> device_;
  void* toHost_ = nullptr;
  void* toDevice_ = nullptr;
};

TEST_F(DmaCopierTest, MoreCopiesUnderWayThanEvents) {
  constexpr size_t kChunk = 4096, kChunks = 300;  // several times the event pool
  const size_t bytes = kChunk * kChunks;
  void* source = nullptr;
  void* target = nullptr;
  ASSERT_EQ(rt_->deviceAlloc(&source, bytes), 0);
  ASSERT_EQ(rt_->deviceAlloc(&target, bytes), 0);
  std::vector<char> pattern(bytes), host(bytes, 0);
  for (size_t i = 0; i < bytes; ++i) pattern[i] = static_cast<char>(i * 131 + i / 4096);
  ASSERT_EQ(rt_->copyAsync(source, pattern.data(), bytes, toHost_), 0);
  ASSERT_EQ(rt_->streamSynchronize(toHost_), 0);
  {
    DmaCopier copier(*device_, toHost_, toDevice_);
    ASSERT_EQ(copier.init(), Status::Success);
    uint64_t last[2] = {0, 0};
    for (size_t c = 0; c < kChunks; ++c) {  // device -> host and host -> device, interleaved
      uint64_t t = 0;
      ASSERT_EQ(copier.start(host.data() + c * kChunk, static_cast<char*>(source) + c * kChunk, kChunk,
                             AsyncCopier::Direction::ToHost, &t), Status::Success);
      ASSERT_EQ(t, last[0] + 1);
      last[0] = t;
      ASSERT_EQ(copier.start(static_cast<char*>(target) + c * kChunk, pattern.data() + c * kChunk, kChunk,
                             AsyncCopier::Direction::ToDevice, &t), Status::Success);
      ASSERT_EQ(t, last[1] + 1);
      last[1] = t;
    }
    ASSERT_EQ(copier.wait(last[0], AsyncCopier::Direction::ToHost), Status::Success);
    ASSERT_EQ(copier.wait(last[1], AsyncCopier::Direction::ToDevice), Status::Success);
    bool complete = false;
    ASSERT_EQ(copier.done(1, AsyncCopier::Direction::ToHost, &complete), Status::Success);
    EXPECT_TRUE(complete);
  }
  EXPECT_EQ(memcmp(host.data(), pattern.data(), bytes), 0) << "device -> host copies";
  std::vector<char> back(bytes);
  ASSERT_EQ(rt_->copyAsync(back.data(), target, bytes, toHost_), 0);
  ASSERT_EQ(rt_->streamSynchronize(toHost_), 0);
  EXPECT_EQ(memcmp(back.data(), pattern.data(), bytes), 0) << "host -> device copies";
  rt_->deviceFree(source);
  rt_->deviceFree(target);
}

TEST_F(DmaCopierTest, RefusedRegionRollsBackTheLinksRegistration) {
  std::vector<char> memory(3 * 4096);
  const Link::Region first{memory.data(), 2 * 4096};
  const Link::Region overlapping{memory.data() + 4096, 2 * 4096};  // the fake refuses overlaps
  {
    DmaCopier copier(*device_, toHost_, toDevice_);
    ASSERT_EQ(copier.init(), Status::Success);
    EXPECT_FALSE(copier.attach(RegionsLink({first, overlapping})));
    EXPECT_FALSE(copier.attach(RegionsLink({})));
    // Nothing of the failed attach is left registered, so the first region registers again.
    EXPECT_TRUE(copier.attach(RegionsLink({first})));
  }
  // And the copier unregistered it when it went.
  ASSERT_EQ(rt_->hostRegister(first.base, first.bytes), 0);
  EXPECT_EQ(rt_->hostUnregister(first.base), 0);
}

}  // namespace
}  // namespace hccl
