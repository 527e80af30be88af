// Single copy between processes (HCCL_SINGLE_COPY_BYTES): large messages read straight from the
// peer's buffer where both ranks of a pair allow it, through the ring where either does not, in
// one communicator; reducing and plain receives, in place and not.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "mp_harness.h"

namespace {

int32_t value(int rank, size_t i) { return static_cast<int32_t>((i * 7 + static_cast<size_t>(rank) * 13) % 1000); }

// Rank 1 turns single copy off, the others read every granted message (above 64 KiB) themselves:
// pairs (0, 2) and (2, 3) go single copy, every pair with rank 1 through the ring.
TEST(SingleCopy, MixedPairsDeliverEveryCollective) {
  mp::Options opts;
  opts.initComm = false;
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    setenv("HCCL_SINGLE_COPY_BYTES", R.rank == 1 ? "0" : "4096", 1);
    ncclUniqueId id = R.shareUniqueId();
    ncclComm_t comm = nullptr;
    ASSERT_EQ(ncclCommInitRank(&comm, R.nranks, id, R.rank), ncclSuccess);
    const size_t count = (size_t{3} << 20) / sizeof(int32_t) + 5;  // odd: chunks end mid-page
    for (bool inPlace : {false, true}) {
      SCOPED_TRACE(inPlace ? "in place" : "out of place");
      std::vector<int32_t> send(count), recv(count, -1);
      for (size_t i = 0; i < count; ++i) send[i] = value(R.rank, i);
      int32_t* out = inPlace ? send.data() : recv.data();
      ASSERT_EQ(ncclAllReduce(send.data(), out, count, ncclInt32, ncclSum, comm, nullptr), ncclSuccess);
      size_t wrong = 0;
      for (size_t i = 0; i < count; ++i) {
        int32_t want = 0;
        for (int r = 0; r < R.nranks; ++r) want += value(r, i);
        wrong += out[i] != want;
      }
      EXPECT_EQ(wrong, 0u) << "AllReduce";
    }
    std::vector<int32_t> mine(count), all(count * R.nranks, -1);
    for (size_t i = 0; i < count; ++i) mine[i] = value(R.rank, i);
    ASSERT_EQ(ncclAllGather(mine.data(), all.data(), count, ncclInt32, comm, nullptr), ncclSuccess);
    size_t wrong = 0;
    for (int r = 0; r < R.nranks; ++r)
      for (size_t i = 0; i < count; ++i) wrong += all[r * count + i] != value(r, i);
    EXPECT_EQ(wrong, 0u) << "AllGather";
    // Every rank sends to the next and receives from the previous in one group.
    std::vector<int32_t> got(count, -1);
    ASSERT_EQ(ncclGroupStart(), ncclSuccess);
    ASSERT_EQ(ncclSend(mine.data(), count, ncclInt32, (R.rank + 1) % R.nranks, comm, nullptr), ncclSuccess);
    ASSERT_EQ(ncclRecv(got.data(), count, ncclInt32, (R.rank + R.nranks - 1) % R.nranks, comm, nullptr),
              ncclSuccess);
    ASSERT_EQ(ncclGroupEnd(), ncclSuccess);
    wrong = 0;
    for (size_t i = 0; i < count; ++i) wrong += got[i] != value((R.rank + R.nranks - 1) % R.nranks, i);
    EXPECT_EQ(wrong, 0u) << "Send/Recv";
    EXPECT_EQ(ncclCommDestroy(comm), ncclSuccess);
  }, opts));
}

}  // namespace
