// group_test.cc: ncclGroupStart/End semantics across processes: nesting, several collectives
// in one group, p2p posted in different orders on different ranks, collectives and p2p mixed in
// one group in different orders, all-to-all built from sends and receives. None may deadlock
// and every result is checked.
#include <cstdint>
#include <numeric>
#include <vector>

#include "mp_data.h"
#include "mp_harness.h"

namespace {

// A value that identifies (sender, tag, index).
int32_t tagged(int sender, int tag, size_t i) { return int32_t(sender * 1000003 + tag * 7919 + int(i % 100000)); }

std::vector<int32_t> taggedVec(int sender, int tag, size_t n) {
  std::vector<int32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = tagged(sender, tag, i);
  return v;
}

// Index of the first element of `v` that differs from tagged(sender, tag, .), or -1.
long firstMismatch(const std::vector<int32_t>& v, int sender, int tag) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] != tagged(sender, tag, i)) return long(i);
  return -1;
}

TEST(Groups, EmptyGroup) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclGroupEnd());
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclGroupEnd());
    MP_ASSERT_OK(ncclGroupEnd());
    int32_t x = R.rank + 1, y = 0;
    MP_ASSERT_OK(ncclAllReduce(&x, &y, 1, ncclInt32, ncclSum, R.comm, nullptr));
    EXPECT_EQ(y, 3);
  }));
}

// Inner ncclGroupEnd only closes a nesting level; everything runs at the outer End.
TEST(Groups, NestedGroups) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    const size_t c = 5000;
    std::vector<float> a(c), ra(c, -1), b(c), rb(c, -1);
    std::vector<int64_t> bc(c);
    for (size_t i = 0; i < c; ++i) a[i] = float(me + 1), b[i] = float(i % 7) * float(me + 1);
    for (size_t i = 0; i < c; ++i) bc[i] = me == 2 ? int64_t(i) * 3 : -1;
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclAllReduce(a.data(), ra.data(), c, ncclFloat32, ncclSum, R.comm, nullptr));
    MP_ASSERT_OK(ncclGroupEnd());
    MP_ASSERT_OK(ncclAllReduce(b.data(), rb.data(), c, ncclFloat32, ncclMax, R.comm, nullptr));
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclGroupStart());
    MP_ASSERT_OK(ncclBcast(bc.data(), c, ncclInt64, 2, R.comm, nullptr));
    MP_ASSERT_OK(ncclGroupEnd());
    MP_ASSERT_OK(ncclGroupEnd());
    MP_ASSERT_OK(ncclGroupEnd());
    for (size_t i = 0; i < c; ++i) {
      ASSERT_EQ(ra[i], float(n * (n + 1) / 2)) << "sum element " << i;
      ASSERT_EQ(rb[i], float(i % 7) * float(n)) << "max element " << i;
      ASSERT_EQ(bc[i], int64_t(i) * 3) << "bcast element " << i;
    }
  }));
}

// Several collectives of different kinds in one group, each matched with its counterpart by
// order on every rank.
TEST(Groups, ManyCollectivesInOneGroup) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    const size_t c = 3001;
    std::vector<std::vector<int32_t>> ar(3, std::vector<int32_t>(c)), arOut(3, std::vector<int32_t>(c, -1));
    for (int k = 0; k < 3; ++k)
      for (size_t i = 0; i < c; ++i) ar[k][i] = tagged(me, k, i);
    std::vector<int32_t> agIn = taggedVec(me, 9, c), agOut(c * n, -1);
    std::vector<int32_t> rsIn(c * n), rsOut(c, -1);
    for (size_t i = 0; i < c * n; ++i) rsIn[i] = int32_t(i) + me;
    std::vector<int32_t> bIn = taggedVec(me, 11, c), bOut(c, -1);

    MP_ASSERT_OK(ncclGroupStart());
    for (int k = 0; k < 3; ++k)
      MP_ASSERT_OK(ncclAllReduce(ar[k].data(), arOut[k].data(), c, ncclInt32, ncclSum, R.comm, nullptr));
    MP_ASSERT_OK(ncclAllGather(agIn.data(), agOut.data(), c, ncclInt32, R.comm, nullptr));
    MP_ASSERT_OK(ncclReduceScatter(rsIn.data(), rsOut.data(), c, ncclInt32, ncclMin, R.comm, nullptr));
    MP_ASSERT_OK(ncclBroadcast(bIn.data(), bOut.data(), c, ncclInt32, 3, R.comm, nullptr));
    MP_ASSERT_OK(ncclGroupEnd());

    for (int k = 0; k < 3; ++k)
      for (size_t i = 0; i < c; ++i) {
        int32_t e = 0;
        for (int q = 0; q < n; ++q) e = int32_t(uint32_t(e) + uint32_t(tagged(q, k, i)));
        ASSERT_EQ(arOut[k][i], e) << "allreduce " << k << " element " << i;
      }
    for (int q = 0; q < n; ++q)
      for (size_t i = 0; i < c; ++i) ASSERT_EQ(agOut[q * c + i], tagged(q, 9, i)) << "allgather";
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(rsOut[i], int32_t(me * c + i)) << "reducescatter " << i;
    EXPECT_EQ(firstMismatch(bOut, 3, 11), -1) << "broadcast";
  }));
}

// Two ranks exchange large messages (well beyond any staging buffer) with the send and the
// receive posted in every combination of orders, inside a group.
TEST(Groups, P2PDifferentOrders) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    const int me = R.rank, peer = 1 - me;
    const size_t c = (8 << 20) / 4 + 3;
    for (int variant = 0; variant < 4; ++variant) {
      // bit 0: rank 0 sends first; bit 1: rank 1 sends first.
      bool sendFirst = (variant >> me) & 1;
      std::vector<int32_t> out = taggedVec(me, variant, c), in(c, -1);
      MP_ASSERT_OK(ncclGroupStart());
      if (sendFirst) {
        MP_ASSERT_OK(ncclSend(out.data(), c, ncclInt32, peer, R.comm, nullptr));
        MP_ASSERT_OK(ncclRecv(in.data(), c, ncclInt32, peer, R.comm, nullptr));
      } else {
        MP_ASSERT_OK(ncclRecv(in.data(), c, ncclInt32, peer, R.comm, nullptr));
        MP_ASSERT_OK(ncclSend(out.data(), c, ncclInt32, peer, R.comm, nullptr));
      }
      MP_ASSERT_OK(ncclGroupEnd());
      EXPECT_EQ(firstMismatch(in, peer, variant), -1) << "variant " << variant;
    }
    // Outside a group, rank 0 sends then receives, rank 1 receives then sends (the matching
    // order a blocking call needs).
    std::vector<int32_t> out = taggedVec(me, 50, 100000), in(100000, -1);
    if (me == 0) {
      MP_ASSERT_OK(ncclSend(out.data(), out.size(), ncclInt32, peer, R.comm, nullptr));
      MP_ASSERT_OK(ncclRecv(in.data(), in.size(), ncclInt32, peer, R.comm, nullptr));
    } else {
      MP_ASSERT_OK(ncclRecv(in.data(), in.size(), ncclInt32, peer, R.comm, nullptr));
      MP_ASSERT_OK(ncclSend(out.data(), out.size(), ncclInt32, peer, R.comm, nullptr));
    }
    EXPECT_EQ(firstMismatch(in, peer, 50), -1);
  }));
}

// Several sends to the same peer in one group are matched with that peer's receives in order.
TEST(Groups, SameP2PPeerMatchesInOrder) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    const int me = R.rank, peer = 1 - me;
    const size_t sizes[4] = {1, 70000, 3, 1 << 20};
    std::vector<std::vector<int32_t>> out(4), in(4);
    for (int k = 0; k < 4; ++k) out[k] = taggedVec(me, k, sizes[k]), in[k].assign(sizes[k], -1);
    MP_ASSERT_OK(ncclGroupStart());
    if (me == 0) {
      for (int k = 0; k < 4; ++k) MP_ASSERT_OK(ncclSend(out[k].data(), sizes[k], ncclInt32, peer, R.comm, nullptr));
      for (int k = 0; k < 4; ++k) MP_ASSERT_OK(ncclRecv(in[k].data(), sizes[k], ncclInt32, peer, R.comm, nullptr));
    } else {
      for (int k = 0; k < 4; ++k) {
        MP_ASSERT_OK(ncclRecv(in[k].data(), sizes[k], ncclInt32, peer, R.comm, nullptr));
        MP_ASSERT_OK(ncclSend(out[k].data(), sizes[k], ncclInt32, peer, R.comm, nullptr));
      }
    }
    MP_ASSERT_OK(ncclGroupEnd());
    for (int k = 0; k < 4; ++k) EXPECT_EQ(firstMismatch(in[k], peer, k), -1) << "message " << k;
  }));
}

// All-to-all from sends and receives: even ranks post in rank order (send, recv per peer),
// odd ranks in reverse order with receives first. Self-exchange included.
class P2PAllToAll : public ::testing::TestWithParam<int> {};

TEST_P(P2PAllToAll, MixedPostingOrders) {
  MP_EXPECT_RUN(mp::run(GetParam(), [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    for (size_t c : {size_t(1), size_t(4097), size_t(300000)}) {
      std::vector<std::vector<int32_t>> out(n), in(n);
      for (int p = 0; p < n; ++p) out[p] = taggedVec(me, p, c), in[p].assign(c, -1);
      MP_ASSERT_OK(ncclGroupStart());
      for (int k = 0; k < n; ++k) {
        int p = (me % 2 == 0) ? k : n - 1 - k;
        if (me % 2 == 0) {
          MP_ASSERT_OK(ncclSend(out[p].data(), c, ncclInt32, p, R.comm, nullptr));
          MP_ASSERT_OK(ncclRecv(in[p].data(), c, ncclInt32, p, R.comm, nullptr));
        } else {
          MP_ASSERT_OK(ncclRecv(in[p].data(), c, ncclInt32, p, R.comm, nullptr));
          MP_ASSERT_OK(ncclSend(out[p].data(), c, ncclInt32, p, R.comm, nullptr));
        }
      }
      MP_ASSERT_OK(ncclGroupEnd());
      for (int p = 0; p < n; ++p)
        EXPECT_EQ(firstMismatch(in[p], p, me), -1) << "count " << c << ", from rank " << p;
    }
  }));
}

INSTANTIATE_TEST_SUITE_P(Ranks, P2PAllToAll, ::testing::Values(2, 3, 4, 8),
                         [](const ::testing::TestParamInfo<int>& p) { return std::to_string(p.param) + "ranks"; });

// A collective and p2p operations in one group, posted in different orders on different ranks:
// even ranks post AllReduce, send, recv; odd ranks recv, send, AllReduce.
TEST(Groups, MixCollectiveAndP2PDifferentOrders) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    const int next = (me + 1) % n, prev = (me + n - 1) % n;
    for (size_t c : {size_t(7), size_t(1 << 20)}) {
      std::vector<int32_t> arIn(c, me + 1), arOut(c, -1);
      std::vector<int32_t> out = taggedVec(me, 3, c), in(c, -1);
      std::vector<int32_t> out2 = taggedVec(me, 4, c), in2(c, -1);
      MP_ASSERT_OK(ncclGroupStart());
      if (me % 2 == 0) {
        MP_ASSERT_OK(ncclAllReduce(arIn.data(), arOut.data(), c, ncclInt32, ncclSum, R.comm, nullptr));
        MP_ASSERT_OK(ncclSend(out.data(), c, ncclInt32, next, R.comm, nullptr));
        MP_ASSERT_OK(ncclRecv(in.data(), c, ncclInt32, prev, R.comm, nullptr));
        MP_ASSERT_OK(ncclSend(out2.data(), c, ncclInt32, prev, R.comm, nullptr));
        MP_ASSERT_OK(ncclRecv(in2.data(), c, ncclInt32, next, R.comm, nullptr));
      } else {
        MP_ASSERT_OK(ncclRecv(in2.data(), c, ncclInt32, next, R.comm, nullptr));
        MP_ASSERT_OK(ncclRecv(in.data(), c, ncclInt32, prev, R.comm, nullptr));
        MP_ASSERT_OK(ncclSend(out2.data(), c, ncclInt32, prev, R.comm, nullptr));
        MP_ASSERT_OK(ncclSend(out.data(), c, ncclInt32, next, R.comm, nullptr));
        MP_ASSERT_OK(ncclAllReduce(arIn.data(), arOut.data(), c, ncclInt32, ncclSum, R.comm, nullptr));
      }
      MP_ASSERT_OK(ncclGroupEnd());
      for (size_t i = 0; i < c; ++i) ASSERT_EQ(arOut[i], n * (n + 1) / 2) << "allreduce element " << i;
      EXPECT_EQ(firstMismatch(in, prev, 3), -1) << "count " << c;
      EXPECT_EQ(firstMismatch(in2, next, 4), -1) << "count " << c;
    }
  }));
}

// Groups back to back: a group's results are complete when ncclGroupEnd returns, and the next
// group can reuse the same buffers at once.
TEST(Groups, BackToBackGroupsReuseBuffers) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    const size_t c = 100000;
    std::vector<int32_t> sbuf(c), rbuf(c);
    for (int it = 0; it < 20; ++it) {
      for (size_t i = 0; i < c; ++i) sbuf[i] = tagged(me, it, i);
      MP_ASSERT_OK(ncclGroupStart());
      MP_ASSERT_OK(ncclSend(sbuf.data(), c, ncclInt32, (me + 1) % n, R.comm, nullptr));
      MP_ASSERT_OK(ncclRecv(rbuf.data(), c, ncclInt32, (me + n - 1) % n, R.comm, nullptr));
      MP_ASSERT_OK(ncclGroupEnd());
      ASSERT_EQ(firstMismatch(rbuf, (me + n - 1) % n, it), -1) << "iteration " << it;
    }
  }));
}

} // namespace
