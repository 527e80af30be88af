// Sends and receives of GPU ranks over shared memory (src/device/staged_on_stream.h): the stream
// stages the pieces through pinned memory, the progress thread moves them through the rings. GPU
// and CPU ranks alternate, so a GPU rank talks to CPU ranks and, where the ranks wrap around, to
// another GPU rank. The rings are small (HCCL_BUFFSIZE) so that a message wraps around them many
// times. Checked: every byte, in-place exchanges, exchanges both ways, and a receive posted
// after its message arrived (and after its sender has gone).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "mp_harness.h"
#include "test_device.h"

namespace {

bool isGpuRank(int rank) { return rank % 2 == 0; }

uint8_t pattern(int rank, uint64_t seed, size_t i) {
  uint64_t x = (seed * 1000003 + static_cast<uint64_t>(rank)) * 0x9e3779b97f4a7c15ull + i;
  x ^= x >> 29;
  x *= 0xbf58476d1ce4e5b9ull;
  return static_cast<uint8_t>(x >> 32);
}

// A buffer in device memory on a GPU rank, in host memory on a CPU rank.
class RankBuffer {
 public:
  RankBuffer(bool gpu, size_t bytes, void* stream) : stream_(stream), host_(bytes) {
    if (gpu) device_ = std::make_unique<testdev::Buffer>(bytes);
  }
  char* data() { return device_ ? device_->data() : host_.data(); }
  void fill(int rank, uint64_t seed) {
    for (size_t i = 0; i < host_.size(); ++i) host_[i] = static_cast<char>(pattern(rank, seed, i));
    if (device_) device_->upload(host_.data(), stream_);
  }
  std::vector<char> contents() { return device_ ? device_->download(stream_) : host_; }

 private:
  void* stream_;
  std::vector<char> host_;
  std::unique_ptr<testdev::Buffer> device_;
};

// The bytes of `got` must be `from`'s pattern for `seed`.
void expectPattern(const std::vector<char>& got, int from, uint64_t seed, const std::string& what) {
  for (size_t i = 0; i < got.size(); ++i)
    if (static_cast<uint8_t>(got[i]) != pattern(from, seed, i)) {
      ADD_FAILURE() << what << ": byte " << i << " of " << got.size() << " is wrong";
      return;
    }
}

void initRank(mp::Rank& r) {
  if (!isGpuRank(r.rank)) setenv("HCCL_BACKEND", "host", 1);
  ncclUniqueId id = r.shareUniqueId();
  ASSERT_EQ(ncclCommInitRank(&r.comm, r.nranks, id, r.rank), ncclSuccess);
}

void sendsAndReceives(int nranks) {
  mp::Options o;
  o.initComm = false;
  o.timeoutSec = 120;
  o.env = {{"HCCL_BACKEND_PLUGIN", testdev::pluginPath()}, {"HCCL_BUFFSIZE", "65536"},
           {"HCCL_DEVICE_PIECE_BYTES", "262144"}};
  MP_EXPECT_RUN(mp::run(nranks, [](mp::Rank& r) {
    initRank(r);
    if (r.comm == nullptr) return;
    const int n = r.nranks, me = r.rank, next = (me + 1) % n, prev = (me + n - 1) % n;
    const bool gpu = isGpuRank(me);
    void* stream = nullptr;
    if (gpu) ASSERT_EQ(testdev::rt().streamCreate(&stream), 0);
    auto finish = [&] {
      if (gpu) ASSERT_EQ(testdev::rt().streamSynchronize(stream), 0);
    };
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    uint64_t seed = 0;

    // A ring shift at sizes from nothing to many pieces, each wrapping the ring many times.
    for (size_t bytes : {size_t{0}, size_t{1}, size_t{4099}, size_t{300001}, size_t{3} << 20}) {
      ++seed;
      RankBuffer out(gpu, bytes, stream), in(gpu, bytes, stream);
      out.fill(me, seed);
      MP_ASSERT_OK(ncclGroupStart());
      MP_ASSERT_OK(ncclSend(out.data(), bytes, ncclUint8, next, r.comm, s));
      MP_ASSERT_OK(ncclRecv(in.data(), bytes, ncclUint8, prev, r.comm, s));
      MP_ASSERT_OK(ncclGroupEnd());
      finish();
      expectPattern(in.contents(), prev, seed, "ring shift of " + std::to_string(bytes) + " bytes");
      expectPattern(out.contents(), me, seed, "send buffer after the shift");
    }

    // In place: what is sent is what the buffer held before the call.
    {
      ++seed;
      const size_t bytes = 700001;
      RankBuffer buf(gpu, bytes, stream);
      buf.fill(me, seed);
      MP_ASSERT_OK(ncclGroupStart());
      MP_ASSERT_OK(ncclSend(buf.data(), bytes, ncclUint8, next, r.comm, s));
      MP_ASSERT_OK(ncclRecv(buf.data(), bytes, ncclUint8, prev, r.comm, s));
      MP_ASSERT_OK(ncclGroupEnd());
      finish();
      expectPattern(buf.contents(), prev, seed, "in-place ring shift");
    }

    // Pairs exchange both ways at once, as float32 (elements, not bytes).
    if (n % 2 == 0) {
      ++seed;
      const int partner = me ^ 1;
      const size_t count = 500003;
      RankBuffer out(gpu, count * 4, stream), in(gpu, count * 4, stream);
      out.fill(me, seed);
      MP_ASSERT_OK(ncclGroupStart());
      MP_ASSERT_OK(ncclRecv(in.data(), count, ncclFloat32, partner, r.comm, s));
      MP_ASSERT_OK(ncclSend(out.data(), count, ncclFloat32, partner, r.comm, s));
      MP_ASSERT_OK(ncclGroupEnd());
      finish();
      expectPattern(in.contents(), partner, seed, "pair exchange");
    }

    // A receive posted long after its message reached the ring.
    {
      ++seed;
      const size_t bytes = 1000;
      RankBuffer out(gpu, bytes, stream), in(gpu, bytes, stream);
      out.fill(me, seed);
      MP_ASSERT_OK(ncclSend(out.data(), bytes, ncclUint8, next, r.comm, s));
      if (me == 0) usleep(200 * 1000);
      MP_ASSERT_OK(ncclRecv(in.data(), bytes, ncclUint8, prev, r.comm, s));
      finish();
      expectPattern(in.contents(), prev, seed, "late receive");
    }

    if (gpu) testdev::rt().streamDestroy(stream);
  }, o));
}

TEST(DeviceP2p, GpuAndCpuRanksAlternate) {
  HCCL_SKIP_WITHOUT_DEVICE();
  sendsAndReceives(4);
}
// Three ranks: GPU ranks 0 and 2 are neighbours.
TEST(DeviceP2p, TwoGpuRanksNextToEachOther) {
  HCCL_SKIP_WITHOUT_DEVICE();
  sendsAndReceives(3);
}

}  // namespace
