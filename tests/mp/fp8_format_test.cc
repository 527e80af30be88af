// A communicator whose ranks disagree on the fp8 encoding (HCCL_FP8_FORMAT=fnuz on one rank, OCP
// on the other) computes one answer: the answer of an all-OCP communicator, which the FNUZ rank
// receives in its own encoding.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "mp_harness.h"

namespace {

// The value of an fp8 code; bias 7/15 (OCP) or 8/16 (FNUZ). Only codes of finite values are used.
double fp8Value(uint8_t code, int mantissaBits, int bias) {
  int exponent = (code & 0x7F) >> mantissaBits;
  int mantissa = code & ((1 << mantissaBits) - 1);
  double fraction = mantissa / double(1 << mantissaBits);
  double v = exponent == 0 ? std::ldexp(fraction, 1 - bias) : std::ldexp(1 + fraction, exponent - bias);
  return (code & 0x80) ? -v : v;
}

struct Fp8Type {
  ncclDataType_t type;
  int mantissaBits, ocpBias;
};

// OCP codes of values in [2^-4, 8] and their negatives: both encodings hold them and their
// pairwise sums exactly, so only the reduction's own rounding is left to compare.
std::vector<uint8_t> inputs(const Fp8Type& t, int rank) {
  std::vector<uint8_t> codes;
  for (int c = 0; c < 256; ++c) {
    double v = std::fabs(fp8Value(static_cast<uint8_t>(c), t.mantissaBits, t.ocpBias));
    if (v >= 0.0625 && v <= 8) codes.push_back(static_cast<uint8_t>(c));
  }
  if (rank == 1) std::reverse(codes.begin(), codes.end());
  return codes;
}

// The FNUZ code of an OCP code of the same value: exponent field one higher.
uint8_t toFnuz(uint8_t ocp, int mantissaBits) { return static_cast<uint8_t>(ocp + (1 << mantissaBits)); }

std::vector<uint8_t> allReduce(mp::Rank& R, const char* format, std::vector<uint8_t> data, ncclDataType_t type) {
  setenv("HCCL_FP8_FORMAT", format, 1);
  ncclUniqueId id = R.shareUniqueId();
  ncclComm_t comm = nullptr;
  EXPECT_EQ(ncclCommInitRank(&comm, R.nranks, id, R.rank), ncclSuccess);
  EXPECT_EQ(ncclAllReduce(data.data(), data.data(), data.size(), type, ncclSum, comm, nullptr), ncclSuccess);
  EXPECT_EQ(ncclCommDestroy(comm), ncclSuccess);
  return data;
}

TEST(Fp8Format, FnuzAndOcpRanksComputeOneAnswer) {
  mp::Options opts;
  opts.initComm = false;
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    for (Fp8Type t : {Fp8Type{ncclFloat8e4m3, 3, 7}, Fp8Type{ncclFloat8e5m2, 2, 15}}) {
      std::vector<uint8_t> ocp = inputs(t, R.rank);
      std::vector<uint8_t> reference = allReduce(R, "ocp", ocp, t.type);
      std::vector<uint8_t> mine = ocp;
      if (R.rank == 0)
        for (uint8_t& c : mine) c = toFnuz(c, t.mantissaBits);
      std::vector<uint8_t> mixed = allReduce(R, R.rank == 0 ? "fnuz" : "ocp", mine, t.type);
      for (size_t i = 0; i < ocp.size(); ++i) {
        double expected = fp8Value(reference[i], t.mantissaBits, t.ocpBias);
        int bias = R.rank == 0 ? t.ocpBias + 1 : t.ocpBias;
        ASSERT_EQ(fp8Value(mixed[i], t.mantissaBits, bias), expected)
            << "type " << t.type << " element " << i << " code 0x" << std::hex << int(mixed[i]);
      }
    }
  }, opts));
}

}  // namespace

namespace {

extern "C" ncclResult_t ncclAllToAllv(const void* sendbuff, const size_t sendcounts[], const size_t sdispls[],
                                      void* recvbuff, const size_t recvcounts[], const size_t rdispls[],
                                      ncclDataType_t datatype, ncclComm_t comm, cudaStream_t stream);

// Point-to-point on a FNUZ rank: several sends in one group (each converts its own copy) and the
// pair to itself (its bytes stay as they are) all deliver the values that were sent.
TEST(Fp8Format, FnuzRankExchangesWithEveryoneAndItself) {
  mp::Options opts;
  opts.initComm = false;
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const Fp8Type t{ncclFloat8e4m3, 3, 7};
    const bool fnuz = R.rank == 0;
    setenv("HCCL_FP8_FORMAT", fnuz ? "fnuz" : "ocp", 1);
    ncclUniqueId id = R.shareUniqueId();
    ncclComm_t comm = nullptr;
    ASSERT_EQ(ncclCommInitRank(&comm, R.nranks, id, R.rank), ncclSuccess);
    // Block p of the input holds the values meant for rank p: OCP codes chosen per (sender, p).
    std::vector<uint8_t> ocp = inputs(t, 0);
    const size_t block = 16;
    std::vector<size_t> counts(R.nranks, block), displs(R.nranks);
    std::vector<uint8_t> send(block * R.nranks), recv(block * R.nranks, 0);
    auto valueCode = [&](int from, int to, size_t k) { return ocp[(from * 37 + to * 11 + k) % ocp.size()]; };
    for (int p = 0; p < R.nranks; ++p) {
      displs[p] = p * block;
      for (size_t k = 0; k < block; ++k) {
        uint8_t code = valueCode(R.rank, p, k);
        send[p * block + k] = fnuz ? toFnuz(code, t.mantissaBits) : code;
      }
    }
    ASSERT_EQ(ncclAllToAllv(send.data(), counts.data(), displs.data(), recv.data(), counts.data(), displs.data(),
                            t.type, comm, nullptr),
              ncclSuccess);
    const int bias = fnuz ? t.ocpBias + 1 : t.ocpBias;
    for (int p = 0; p < R.nranks; ++p)
      for (size_t k = 0; k < block; ++k)
        ASSERT_EQ(fp8Value(recv[p * block + k], t.mantissaBits, bias),
                  fp8Value(valueCode(p, R.rank, k), t.mantissaBits, t.ocpBias))
            << "from rank " << p << " element " << k;
    EXPECT_EQ(ncclCommDestroy(comm), ncclSuccess);
  }, opts));
}

}  // namespace
