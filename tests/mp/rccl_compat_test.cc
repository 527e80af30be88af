// The functions RCCL adds to NCCL's ABI that PyTorch's ROCm build calls: ncclAllToAll,
// ncclAllToAllv and the C++ ncclCommDump.
#include <gtest/gtest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "mp_harness.h"

extern "C" {
ncclResult_t ncclAllToAll(const void* sendbuff, void* recvbuff, size_t count, ncclDataType_t datatype,
                          ncclComm_t comm, cudaStream_t stream);
ncclResult_t ncclAllToAllv(const void* sendbuff, const size_t sendcounts[], const size_t sdispls[], void* recvbuff,
                           const size_t recvcounts[], const size_t rdispls[], ncclDataType_t datatype,
                           ncclComm_t comm, cudaStream_t stream);
}
ncclResult_t ncclCommDump(ncclComm_t comm, std::unordered_map<std::string, std::string>& dump);

namespace {

// Rank r sends (r + 1) * (p + 1) elements to rank p, each the value 1000 r + p + k / 1000.
size_t countFrom(int r, int p) { return static_cast<size_t>((r + 1) * (p + 1)); }
double value(int r, int p, size_t k) { return 1000.0 * r + p + static_cast<double>(k) / 1000; }

TEST(RcclCompat, AllToAllvWithUnequalCounts) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    std::vector<size_t> sendCounts(n), sendDispls(n), recvCounts(n), recvDispls(n);
    size_t sendTotal = 0, recvTotal = 0;
    for (int p = 0; p < n; ++p) {
      sendCounts[p] = countFrom(me, p), sendDispls[p] = sendTotal, sendTotal += sendCounts[p];
      recvCounts[p] = countFrom(p, me), recvDispls[p] = recvTotal, recvTotal += recvCounts[p];
    }
    std::vector<double> send(sendTotal), recv(recvTotal, -1);
    for (int p = 0; p < n; ++p)
      for (size_t k = 0; k < sendCounts[p]; ++k) send[sendDispls[p] + k] = value(me, p, k);
    MP_ASSERT_OK(ncclAllToAllv(send.data(), sendCounts.data(), sendDispls.data(), recv.data(), recvCounts.data(),
                               recvDispls.data(), ncclFloat64, R.comm, nullptr));
    for (int p = 0; p < n; ++p)
      for (size_t k = 0; k < recvCounts[p]; ++k)
        ASSERT_EQ(recv[recvDispls[p] + k], value(p, me, k)) << "from rank " << p << " element " << k;
    EXPECT_EQ(ncclAllToAllv(send.data(), nullptr, sendDispls.data(), recv.data(), recvCounts.data(),
                            recvDispls.data(), ncclFloat64, R.comm, nullptr),
              ncclInvalidArgument);
  }));
}

TEST(RcclCompat, AllToAllSpellingAndCommDump) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    std::vector<int> send = {R.rank * 10, R.rank * 10 + 1}, recv(2, -1);
    MP_ASSERT_OK(ncclAllToAll(send.data(), recv.data(), 1, ncclInt32, R.comm, nullptr));
    EXPECT_EQ(recv, (std::vector<int>{R.rank, 10 + R.rank}));
    std::unordered_map<std::string, std::string> dump;
    MP_ASSERT_OK(ncclCommDump(R.comm, dump));
    EXPECT_EQ(dump["rank"], std::to_string(R.rank));
    EXPECT_EQ(dump["nranks"], "2");
  }));
}

}  // namespace
