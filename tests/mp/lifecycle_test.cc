// lifecycle_test.cc: communicators created and destroyed again and again, destroyed right after
// their last operation (as a framework does at exit), and used concurrently from several
// threads.
#include <dirent.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "mp_harness.h"

namespace {

int countEntries(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

int32_t tagged(int sender, int it, size_t i) { return int32_t(sender * 1000003 + it * 7919 + int(i % 100000)); }

enum class LastOp { SendRecv, AllReduce, AllGather };

struct DestroyParam {
  bool tcp;
  LastOp op;
};

void PrintTo(const DestroyParam& p, std::ostream* os) {
  static const char* ops[] = {"SendRecv", "AllReduce", "AllGather"};
  *os << (p.tcp ? "tcp, " : "shm, ") << ops[int(p.op)];
}

class DestroyAfterLastOp : public ::testing::TestWithParam<DestroyParam> {};

// Each iteration: a new comm, one operation larger than the eager size, then ncclCommDestroy at
// once. A rank's operation is complete when its call returns, so destroying may not break the
// peers' side of the same operation (NCCL's ncclCommDestroy finalizes first when the user has
// not called ncclCommFinalize).
TEST_P(DestroyAfterLastOp, PeersUnaffected) {
  const DestroyParam p = GetParam();
  mp::Options o;
  o.initComm = false;
  o.env.push_back({"HCCL_TIMEOUT", "30"});
  if (p.tcp) o.env.push_back({"NCCL_SHM_DISABLE", "1"});
  MP_EXPECT_RUN(mp::run(3, [p](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    const size_t c = 70001;
    std::vector<int32_t> out(c * n), in(c * n);
    for (int it = 0; it < 8; ++it) {
      R.note("iteration " + std::to_string(it));
      ncclUniqueId id = R.shareUniqueId();
      ncclComm_t comm = nullptr;
      MP_ASSERT_OK(ncclCommInitRank(&comm, n, id, me));
      for (size_t i = 0; i < c; ++i) out[i] = tagged(me, it, i);
      std::fill(in.begin(), in.end(), -1);
      ncclResult_t r = ncclSuccess;
      switch (p.op) {
        case LastOp::SendRecv:
          r = ncclGroupStart();
          if (r == ncclSuccess) r = ncclSend(out.data(), c, ncclInt32, (me + 1) % n, comm, nullptr);
          if (r == ncclSuccess) r = ncclRecv(in.data(), c, ncclInt32, (me + n - 1) % n, comm, nullptr);
          if (ncclResult_t e = ncclGroupEnd(); r == ncclSuccess) r = e;
          break;
        case LastOp::AllReduce: r = ncclAllReduce(out.data(), in.data(), c, ncclInt32, ncclMax, comm, nullptr); break;
        case LastOp::AllGather: r = ncclAllGather(out.data(), in.data(), c, ncclInt32, comm, nullptr); break;
      }
      ASSERT_EQ(r, ncclSuccess) << "iteration " << it << ": " << mp::resultName(r) << ": " << mp::lastError(comm);
      for (size_t i = 0; i < c; i += 997) {
        if (p.op == LastOp::SendRecv) {
          ASSERT_EQ(in[i], tagged((me + n - 1) % n, it, i)) << "iteration " << it << " element " << i;
        } else if (p.op == LastOp::AllReduce) {
          ASSERT_EQ(in[i], tagged(n - 1, it, i)) << "iteration " << it << " element " << i;
        } else {
          for (int q = 0; q < n; ++q) ASSERT_EQ(in[q * c + i], tagged(q, it, i)) << "iteration " << it;
        }
      }
      MP_ASSERT_OK(ncclCommDestroy(comm));
    }
  }, o));
}

std::vector<DestroyParam> destroyParams() {
  std::vector<DestroyParam> v;
  for (bool tcp : {false, true})
    for (LastOp op : {LastOp::SendRecv, LastOp::AllReduce, LastOp::AllGather}) v.push_back({tcp, op});
  return v;
}

std::string destroyName(const ::testing::TestParamInfo<DestroyParam>& i) {
  static const char* ops[] = {"SendRecv", "AllReduce", "AllGather"};
  return std::string(i.param.tcp ? "Tcp_" : "Shm_") + ops[int(i.param.op)];
}

INSTANTIATE_TEST_SUITE_P(Transports, DestroyAfterLastOp, ::testing::ValuesIn(destroyParams()), destroyName);

// Thirty comms made, used, finalized and destroyed: no file descriptors, threads or /dev/shm
// entries left behind.
TEST(Lifecycle, NoLeaksOverManyComms) {
  mp::Options o;
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    int fds0 = 0, threads0 = 0, shm0 = 0;
    for (int it = 0; it < 30; ++it) {
      if (it == 3) { // after any one-time setup
        fds0 = countEntries("/proc/self/fd");
        threads0 = countEntries("/proc/self/task");
        shm0 = countEntries("/dev/shm");
      }
      R.note("iteration " + std::to_string(it));
      ncclUniqueId id = R.shareUniqueId();
      ncclComm_t comm = nullptr;
      MP_ASSERT_OK(ncclCommInitRank(&comm, R.nranks, id, R.rank));
      std::vector<float> v(100000, 1.0f);
      MP_ASSERT_OK(ncclAllReduce(v.data(), v.data(), v.size(), ncclFloat32, ncclSum, comm, nullptr));
      ASSERT_EQ(v[777], 3.0f);
      MP_ASSERT_OK(ncclCommFinalize(comm));
      MP_ASSERT_OK(ncclCommDestroy(comm));
      R.barrier();
    }
    EXPECT_LE(countEntries("/proc/self/fd"), fds0 + 2) << "file descriptors leak";
    EXPECT_LE(countEntries("/proc/self/task"), threads0 + 1) << "threads leak";
    EXPECT_LE(countEntries("/dev/shm"), shm0 + 1) << "shared-memory segments leak";
  }, o));
}

// Four comms of one process (ncclCommInitAll), each driven by its own thread at the same time.
TEST(Lifecycle, ThreadPerCommInOneProcess) {
  mp::Options o;
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank&) {
    const int n = 4;
    std::vector<ncclComm_t> comms(n);
    MP_ASSERT_OK(ncclCommInitAll(comms.data(), n, nullptr));
    std::vector<std::string> errors(n);
    std::vector<std::thread> threads;
    for (int k = 0; k < n; ++k)
      threads.emplace_back([&, k] {
        for (int it = 0; it < 40; ++it) {
          size_t c = 1 + size_t(it) * 5003;
          std::vector<int32_t> in(c, k + it), out(c, -1);
          ncclResult_t r = ncclAllReduce(in.data(), out.data(), c, ncclInt32, ncclSum, comms[k], nullptr);
          if (r != ncclSuccess) {
            errors[k] = "iteration " + std::to_string(it) + ": " + mp::resultName(r);
            return;
          }
          for (size_t i = 0; i < c; i += 101)
            if (out[i] != 6 + 4 * it) {
              errors[k] = "iteration " + std::to_string(it) + ": wrong result " + std::to_string(out[i]);
              return;
            }
        }
      });
    for (auto& t : threads) t.join();
    for (int k = 0; k < n; ++k) EXPECT_TRUE(errors[k].empty()) << "comm " << k << ": " << errors[k];
    for (auto c : comms) MP_EXPECT_OK(ncclCommDestroy(c));
  }, o));
}

// Two comms over the same processes (the world and a split of it), each used by its own thread
// concurrently.
TEST(Lifecycle, TwoCommsTwoThreadsPerProcess) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    ncclComm_t dup = nullptr;
    MP_ASSERT_OK(ncclCommSplit(R.comm, 0, R.rank, &dup, nullptr));
    ASSERT_NE(dup, nullptr);
    ncclComm_t comms[2] = {R.comm, dup};
    std::string errors[2];
    std::thread threads[2];
    for (int k = 0; k < 2; ++k)
      threads[k] = std::thread([&, k] {
        for (int it = 0; it < 40; ++it) {
          size_t c = 1 + size_t(it) * 7001;
          std::vector<float> in(c, float(R.rank + k)), out(c, -1);
          ncclResult_t r = ncclAllReduce(in.data(), out.data(), c, ncclFloat32, ncclSum, comms[k], nullptr);
          if (r != ncclSuccess) {
            errors[k] = "iteration " + std::to_string(it) + ": " + mp::resultName(r) + " " + mp::lastError(comms[k]);
            return;
          }
          for (size_t i = 0; i < c; i += 101)
            if (out[i] != float(3 + 3 * k)) {
              errors[k] = "iteration " + std::to_string(it) + ": wrong result " + std::to_string(out[i]);
              return;
            }
        }
      });
    for (auto& t : threads) t.join();
    EXPECT_TRUE(errors[0].empty()) << "world comm: " << errors[0];
    EXPECT_TRUE(errors[1].empty()) << "split comm: " << errors[1];
    MP_EXPECT_OK(ncclCommDestroy(dup));
  }));
}

} // namespace
