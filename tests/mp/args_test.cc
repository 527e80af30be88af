// args_test.cc: bad arguments to every entry point are rejected with ncclInvalidArgument or
// ncclInvalidUsage and a last-error text, never a crash or a hang, and the communicator keeps
// working; functions hccl does not support say so.
//
// Each bad call runs on a fresh thread, so that ncclGetLastError(NULL) there (the calling
// thread's latest error; what PyTorch reads) shows the text set by that very call and not an
// older one. Every rank makes the same bad calls, so a collective that one rank rejects is
// rejected everywhere.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "mp_harness.h"

namespace {

struct Outcome {
  ncclResult_t result = ncclSuccess;
  std::string threadText, commText;
};

Outcome onFreshThread(ncclComm_t comm, const std::function<ncclResult_t()>& call) {
  Outcome o;
  std::thread t([&] {
    o.result = call();
    o.threadText = mp::lastError(nullptr);
    if (comm) o.commText = mp::lastError(comm);
  });
  t.join();
  return o;
}

// `comm`: the communicator the call was about (NULL when none).
#define EXPECT_REJECTED(comm, call)                                                           \
  do {                                                                                        \
    Outcome o_ = onFreshThread((comm), [&]() -> ncclResult_t { return (call); });             \
    EXPECT_TRUE(o_.result == ncclInvalidArgument || o_.result == ncclInvalidUsage)            \
        << #call << " returned " << mp::resultName(o_.result);                                \
    EXPECT_FALSE(o_.threadText.empty()) << #call << ": ncclGetLastError(NULL) is empty";      \
    if ((comm) != nullptr) {                                                                  \
      EXPECT_FALSE(o_.commText.empty()) << #call << ": ncclGetLastError(comm) is empty";      \
    }                                                                                         \
  } while (0)

bool mentionsUnsupported(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s.find("support") != std::string::npos || s.find("implemented") != std::string::npos;
}

#define EXPECT_UNSUPPORTED(comm, call)                                                         \
  do {                                                                                         \
    Outcome o_ = onFreshThread((comm), [&]() -> ncclResult_t { return (call); });              \
    EXPECT_EQ(o_.result, ncclInvalidUsage) << #call << " returned " << mp::resultName(o_.result); \
    EXPECT_TRUE(mentionsUnsupported(o_.threadText))                                           \
        << #call << ": the last error should say it is not supported, got \"" << o_.threadText << "\""; \
  } while (0)

// A correct AllReduce after the bad calls.
void expectCommWorks(mp::Rank& R) {
  const size_t c = 4099;
  std::vector<int64_t> in(c), out(c, -1);
  for (size_t i = 0; i < c; ++i) in[i] = int64_t(i) * (R.rank + 1);
  MP_ASSERT_OK(ncclAllReduce(in.data(), out.data(), c, ncclInt64, ncclSum, R.comm, nullptr));
  const int64_t f = int64_t(R.nranks) * (R.nranks + 1) / 2;
  for (size_t i = 0; i < c; ++i) ASSERT_EQ(out[i], int64_t(i) * f) << "element " << i;
  ncclResult_t st = ncclInternalError;
  MP_ASSERT_OK(ncclCommGetAsyncError(R.comm, &st));
  EXPECT_EQ(st, ncclSuccess) << "bad arguments must not put the comm in error";
}

const ncclDataType_t kBadTypes[] = {ncclDataType_t(12), ncclDataType_t(-1), ncclDataType_t(1000)};

mp::Options opts() {
  mp::Options o;
  o.env.push_back({"HCCL_TIMEOUT", "30"});
  return o;
}

TEST(BadArgs, LibraryAndInit) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclComm_t nc = nullptr;
    EXPECT_REJECTED(nullptr, ncclGetVersion(nullptr));
    EXPECT_REJECTED(nullptr, ncclGetUniqueId(nullptr));

    ncclUniqueId id;
    std::memset(&id, 0, sizeof(id));
    ncclComm_t out = nullptr;
    EXPECT_REJECTED(nullptr, ncclCommInitRank(nullptr, 2, id, 0));
    EXPECT_REJECTED(nullptr, ncclCommInitRank(&out, 0, id, 0));
    EXPECT_REJECTED(nullptr, ncclCommInitRank(&out, -3, id, 0));
    EXPECT_REJECTED(nullptr, ncclCommInitRank(&out, 2, id, 2));
    EXPECT_REJECTED(nullptr, ncclCommInitRank(&out, 2, id, -1));

    ncclConfig_t badMagic = NCCL_CONFIG_INITIALIZER;
    badMagic.magic = 0x12345678;
    EXPECT_REJECTED(nullptr, ncclCommInitRankConfig(&out, 2, id, 0, &badMagic));
    ncclConfig_t badSize = NCCL_CONFIG_INITIALIZER;
    badSize.size = 8; // smaller than the size/magic/version header itself
    EXPECT_REJECTED(nullptr, ncclCommInitRankConfig(&out, 2, id, 0, &badSize));
    ncclConfig_t badBlocking = NCCL_CONFIG_INITIALIZER;
    badBlocking.blocking = 7;
    EXPECT_REJECTED(nullptr, ncclCommInitRankConfig(&out, 2, id, 0, &badBlocking));
    EXPECT_REJECTED(nullptr, ncclCommInitRankConfig(nullptr, 2, id, 0, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitRankConfig(&out, 2, id, 5, nullptr));

    ncclUniqueId ids[2] = {id, id};
    EXPECT_REJECTED(nullptr, ncclCommInitRankScalable(&out, 2, 0, 0, ids, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitRankScalable(&out, 2, 0, 1, nullptr, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitRankScalable(nullptr, 2, 0, 1, ids, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitRankScalable(&out, 0, 0, 1, ids, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitRankScalable(&out, 2, 2, 1, ids, nullptr));

    ncclComm_t comms[4];
    EXPECT_REJECTED(nullptr, ncclCommInitAll(nullptr, 2, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitAll(comms, 0, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommInitAll(comms, -1, nullptr));

    EXPECT_REJECTED(nullptr, ncclMemAlloc(nullptr, 4096));
    EXPECT_REJECTED(nullptr, ncclGroupEnd()); // no ncclGroupStart

    // NCCL returns success for these on a NULL comm (nothing to do).
    EXPECT_EQ(ncclCommDestroy(nc), ncclSuccess);
    EXPECT_EQ(ncclCommAbort(nc), ncclSuccess);

    expectCommWorks(R);
  }, opts()));
}

TEST(BadArgs, CommFunctions) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclComm_t comm = R.comm, nc = nullptr;
    int x;
    ncclResult_t st;
    EXPECT_REJECTED(nullptr, ncclCommCount(nc, &x));
    EXPECT_REJECTED(comm, ncclCommCount(comm, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommUserRank(nc, &x));
    EXPECT_REJECTED(comm, ncclCommUserRank(comm, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommCuDevice(nc, &x));
    EXPECT_REJECTED(comm, ncclCommCuDevice(comm, nullptr));
    EXPECT_REJECTED(nullptr, ncclCommGetAsyncError(nc, &st));
    EXPECT_REJECTED(comm, ncclCommGetAsyncError(comm, nullptr));

    ncclComm_t sub = nullptr;
    EXPECT_REJECTED(nullptr, ncclCommSplit(nc, 0, 0, &sub, nullptr));
    EXPECT_REJECTED(comm, ncclCommSplit(comm, 0, 0, nullptr, nullptr));
    ncclConfig_t badMagic = NCCL_CONFIG_INITIALIZER;
    badMagic.magic = 0;
    EXPECT_REJECTED(comm, ncclCommSplit(comm, 0, 0, &sub, &badMagic));

    std::vector<char> buf(4096);
    void* h = nullptr;
    EXPECT_REJECTED(nullptr, ncclCommRegister(nc, buf.data(), buf.size(), &h));
    EXPECT_REJECTED(comm, ncclCommRegister(comm, buf.data(), buf.size(), nullptr));
    EXPECT_REJECTED(comm, ncclCommRegister(comm, nullptr, buf.size(), &h));
    MP_ASSERT_OK(ncclCommRegister(comm, buf.data(), buf.size(), &h));
    EXPECT_REJECTED(nullptr, ncclCommDeregister(nc, h));
    MP_EXPECT_OK(ncclCommDeregister(comm, h));

    // PreMulSum creation and op destruction.
    float scalar = 2.0f;
    ncclRedOp_t op;
    EXPECT_REJECTED(comm, ncclRedOpCreatePreMulSum(nullptr, &scalar, ncclFloat32, ncclScalarHostImmediate, comm));
    EXPECT_REJECTED(comm, ncclRedOpCreatePreMulSum(&op, nullptr, ncclFloat32, ncclScalarHostImmediate, comm));
    for (ncclDataType_t t : kBadTypes)
      EXPECT_REJECTED(comm, ncclRedOpCreatePreMulSum(&op, &scalar, t, ncclScalarHostImmediate, comm));
    EXPECT_REJECTED(comm, ncclRedOpCreatePreMulSum(&op, &scalar, ncclFloat32, ncclScalarResidence_t(9), comm));
    EXPECT_REJECTED(nullptr, ncclRedOpCreatePreMulSum(&op, &scalar, ncclFloat32, ncclScalarHostImmediate, nc));
    EXPECT_REJECTED(comm, ncclRedOpDestroy(ncclSum, comm));   // built-in
    EXPECT_REJECTED(comm, ncclRedOpDestroy(ncclAvg, comm));   // built-in
    EXPECT_REJECTED(comm, ncclRedOpDestroy(ncclRedOp_t(ncclNumOps + 40), comm)); // never created
    MP_ASSERT_OK(ncclRedOpCreatePreMulSum(&op, &scalar, ncclFloat32, ncclScalarHostImmediate, comm));
    EXPECT_REJECTED(nullptr, ncclRedOpDestroy(op, nc));
    MP_ASSERT_OK(ncclRedOpDestroy(op, comm));
    EXPECT_REJECTED(comm, ncclRedOpDestroy(op, comm)); // twice

    expectCommWorks(R);

    // Finalize twice: the second is an error (NCCL: ncclInvalidArgument); then destroy.
    MP_ASSERT_OK(ncclCommFinalize(comm));
    EXPECT_REJECTED(comm, ncclCommFinalize(comm));
    MP_ASSERT_OK(ncclCommDestroy(comm));
    R.comm = nullptr;
  }, opts()));
}

// Every collective and p2p call with each kind of bad argument.
TEST(BadArgs, Collectives) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    ncclComm_t comm = R.comm, nc = nullptr;
    const int n = R.nranks;
    const size_t c = 16;
    std::vector<float> sb(c * n, 1.0f), rb(c * n, 0.0f);
    float *s = sb.data(), *r = rb.data();

    // A PreMulSum op that has been destroyed, and op values never created.
    float scalar = 0.5f;
    ncclRedOp_t dead;
    MP_ASSERT_OK(ncclRedOpCreatePreMulSum(&dead, &scalar, ncclFloat32, ncclScalarHostImmediate, comm));
    MP_ASSERT_OK(ncclRedOpDestroy(dead, comm));
    const ncclRedOp_t badOps[] = {ncclNumOps, dead, ncclRedOp_t(ncclNumOps + 100), ncclRedOp_t(-1)};

    // NULL comm.
    EXPECT_REJECTED(nullptr, ncclAllReduce(s, r, c, ncclFloat32, ncclSum, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclAllGather(s, r, c, ncclFloat32, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclReduceScatter(s, r, c, ncclFloat32, ncclSum, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclBroadcast(s, r, c, ncclFloat32, 0, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclBcast(r, c, ncclFloat32, 0, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclReduce(s, r, c, ncclFloat32, ncclSum, 0, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclAlltoAll(s, r, c, ncclFloat32, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclGather(s, r, c, ncclFloat32, 0, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclScatter(s, r, c, ncclFloat32, 0, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclSend(s, c, ncclFloat32, 0, nc, nullptr));
    EXPECT_REJECTED(nullptr, ncclRecv(r, c, ncclFloat32, 0, nc, nullptr));

    // Bad datatypes.
    for (ncclDataType_t t : kBadTypes) {
      EXPECT_REJECTED(comm, ncclAllReduce(s, r, c, t, ncclSum, comm, nullptr));
      EXPECT_REJECTED(comm, ncclAllGather(s, r, c, t, comm, nullptr));
      EXPECT_REJECTED(comm, ncclReduceScatter(s, r, c, t, ncclSum, comm, nullptr));
      EXPECT_REJECTED(comm, ncclBroadcast(s, r, c, t, 0, comm, nullptr));
      EXPECT_REJECTED(comm, ncclBcast(r, c, t, 0, comm, nullptr));
      EXPECT_REJECTED(comm, ncclReduce(s, r, c, t, ncclSum, 0, comm, nullptr));
      EXPECT_REJECTED(comm, ncclAlltoAll(s, r, c, t, comm, nullptr));
      EXPECT_REJECTED(comm, ncclGather(s, r, c, t, 0, comm, nullptr));
      EXPECT_REJECTED(comm, ncclScatter(s, r, c, t, 0, comm, nullptr));
      EXPECT_REJECTED(comm, ncclSend(s, c, t, (R.rank + 1) % n, comm, nullptr));
      EXPECT_REJECTED(comm, ncclRecv(r, c, t, (R.rank + 1) % n, comm, nullptr));
    }

    // Bad reduction ops.
    for (ncclRedOp_t op : badOps) {
      EXPECT_REJECTED(comm, ncclAllReduce(s, r, c, ncclFloat32, op, comm, nullptr));
      EXPECT_REJECTED(comm, ncclReduceScatter(s, r, c, ncclFloat32, op, comm, nullptr));
      EXPECT_REJECTED(comm, ncclReduce(s, r, c, ncclFloat32, op, 0, comm, nullptr));
    }

    // Roots and peers out of range.
    for (int root : {-1, n, n + 5}) {
      EXPECT_REJECTED(comm, ncclBroadcast(s, r, c, ncclFloat32, root, comm, nullptr));
      EXPECT_REJECTED(comm, ncclBcast(r, c, ncclFloat32, root, comm, nullptr));
      EXPECT_REJECTED(comm, ncclReduce(s, r, c, ncclFloat32, ncclSum, root, comm, nullptr));
      EXPECT_REJECTED(comm, ncclGather(s, r, c, ncclFloat32, root, comm, nullptr));
      EXPECT_REJECTED(comm, ncclScatter(s, r, c, ncclFloat32, root, comm, nullptr));
      EXPECT_REJECTED(comm, ncclSend(s, c, ncclFloat32, root, comm, nullptr));
      EXPECT_REJECTED(comm, ncclRecv(r, c, ncclFloat32, root, comm, nullptr));
    }

    // NULL buffers with count > 0 (buffers every rank uses, so every rank rejects).
    EXPECT_REJECTED(comm, ncclAllReduce(nullptr, r, c, ncclFloat32, ncclSum, comm, nullptr));
    EXPECT_REJECTED(comm, ncclAllReduce(s, nullptr, c, ncclFloat32, ncclSum, comm, nullptr));
    EXPECT_REJECTED(comm, ncclAllGather(nullptr, r, c, ncclFloat32, comm, nullptr));
    EXPECT_REJECTED(comm, ncclAllGather(s, nullptr, c, ncclFloat32, comm, nullptr));
    EXPECT_REJECTED(comm, ncclReduceScatter(nullptr, r, c, ncclFloat32, ncclSum, comm, nullptr));
    EXPECT_REJECTED(comm, ncclReduceScatter(s, nullptr, c, ncclFloat32, ncclSum, comm, nullptr));
    EXPECT_REJECTED(comm, ncclBroadcast(s, nullptr, c, ncclFloat32, 0, comm, nullptr));
    EXPECT_REJECTED(comm, ncclBcast(nullptr, c, ncclFloat32, 0, comm, nullptr));
    EXPECT_REJECTED(comm, ncclReduce(nullptr, r, c, ncclFloat32, ncclSum, 0, comm, nullptr));
    EXPECT_REJECTED(comm, ncclAlltoAll(nullptr, r, c, ncclFloat32, comm, nullptr));
    EXPECT_REJECTED(comm, ncclAlltoAll(s, nullptr, c, ncclFloat32, comm, nullptr));
    EXPECT_REJECTED(comm, ncclGather(nullptr, r, c, ncclFloat32, 0, comm, nullptr));
    EXPECT_REJECTED(comm, ncclScatter(s, nullptr, c, ncclFloat32, 0, comm, nullptr));
    EXPECT_REJECTED(comm, ncclSend(nullptr, c, ncclFloat32, (R.rank + 1) % n, comm, nullptr));
    EXPECT_REJECTED(comm, ncclRecv(nullptr, c, ncclFloat32, (R.rank + 1) % n, comm, nullptr));

    expectCommWorks(R);
  }, opts()));
}

// A bad call inside a group is rejected at once; ncclGroupEnd then returns (whatever it
// reports) without hanging, and the comm keeps working.
TEST(BadArgs, BadCallInsideGroup) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    float a = 1, b = 0;
    MP_ASSERT_OK(ncclGroupStart());
    ncclResult_t r = ncclAllReduce(&a, &b, 1, ncclDataType_t(12), ncclSum, R.comm, nullptr);
    EXPECT_TRUE(r == ncclInvalidArgument || r == ncclInvalidUsage) << mp::resultName(r);
    EXPECT_FALSE(mp::lastError().empty());
    r = ncclSend(&a, 1, ncclFloat32, 9, R.comm, nullptr);
    EXPECT_TRUE(r == ncclInvalidArgument || r == ncclInvalidUsage) << mp::resultName(r);
    (void)ncclGroupEnd();
    // The group is closed: a plain collective runs now.
    expectCommWorks(R);
  }, opts()));
}

// Functions hccl does not support return ncclInvalidUsage and say so.
TEST(BadArgs, UnsupportedFunctions) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclComm_t comm = R.comm;
    std::vector<char> buf(1 << 16);
    ncclWindow_t win = nullptr;
    EXPECT_UNSUPPORTED(comm, ncclCommWindowRegister(comm, buf.data(), buf.size(), &win, NCCL_WIN_DEFAULT));
    EXPECT_UNSUPPORTED(comm, ncclCommWindowDeregister(comm, win));
    ncclDevCommRequirements_t reqs;
    std::memset(&reqs, 0, sizeof(reqs));
    ncclDevComm_t devComm;
    std::memset(&devComm, 0, sizeof(devComm));
    EXPECT_UNSUPPORTED(comm, ncclDevCommCreate(comm, &reqs, &devComm));
    EXPECT_UNSUPPORTED(comm, ncclDevCommDestroy(comm, &devComm));
    EXPECT_UNSUPPORTED(comm, ncclCommRevoke(comm, NCCL_REVOKE_DEFAULT));
    int excl[1] = {1};
    ncclComm_t shrunk = nullptr;
    EXPECT_UNSUPPORTED(comm, ncclCommShrink(comm, excl, 1, &shrunk, nullptr, NCCL_SHRINK_DEFAULT));
    EXPECT_EQ(shrunk, nullptr);

    expectCommWorks(R);
  }, opts()));
}

} // namespace
