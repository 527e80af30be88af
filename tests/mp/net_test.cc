// Network transport choice (NCCL_NET, NCCL_NET_PLUGIN) through the public API: a plugin carries
// the peers shared memory does not (NCCL_SHM_DISABLE=1 here) and the INFO log says so, NCCL_NET
// picks hccl's sockets or names a network that must exist, and a rank killed under a plugin is
// an error on the others within seconds.
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mp_harness.h"

namespace {

const std::string kPlugin = std::string(HCCL_TEST_NET_PLUGIN_DIR) + "/libnccl-net-hccltest10.so";

// This rank's NCCL_DEBUG_FILE (written as <prefix>.<pid>), removed once read.
std::string logOf(const std::string& prefix) {
  const std::string path = prefix + "." + std::to_string(getpid());
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(path.c_str());
  return text.str();
}

mp::Options loggedOptions(const std::string& prefix, std::vector<std::pair<std::string, std::string>> env) {
  mp::Options o;
  o.env = std::move(env);
  o.env.push_back({"NCCL_DEBUG", "INFO"});
  o.env.push_back({"NCCL_DEBUG_SUBSYS", "INIT,NET"});
  o.env.push_back({"NCCL_DEBUG_FILE", prefix + ".%p"});
  return o;
}

void allReduceChecked(mp::Rank& R, size_t count) {
  std::vector<float> data(count, static_cast<float>(R.rank + 1));
  MP_ASSERT_OK(ncclAllReduce(data.data(), data.data(), count, ncclFloat, ncclSum, R.comm, nullptr));
  const float want = static_cast<float>(R.nranks * (R.nranks + 1) / 2);
  size_t wrong = 0;
  for (float v : data) wrong += v != want;
  EXPECT_EQ(wrong, 0u);
}

TEST(NetChoice, PluginCarriesThePeersAndTheLogSaysSo) {
  const std::string prefix = "/tmp/hccl-net-test-plugin-" + std::to_string(getpid());
  MP_EXPECT_RUN(mp::run(3, [&](mp::Rank& R) {
    allReduceChecked(R, (size_t{3} << 20) + 7);
    const std::string log = logOf(prefix);
    EXPECT_NE(log.find("NET/Plugin: Using hccltest10"), std::string::npos) << log;
    for (int peer = 0; peer < R.nranks; ++peer)
      if (peer != R.rank)
        EXPECT_NE(log.find("rank " + std::to_string(R.rank) + " -> " + std::to_string(peer) + " via net/hccltest10"),
                  std::string::npos)
            << log;
  }, loggedOptions(prefix, {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET_PLUGIN", kPlugin}})));
}

// The plugin's device, at the speed it reports (hccltest-lo, 10 Gb/s), is the node's NIC in the
// topology the cost model plans with (HCCL_TOPO_DUMP_FILE shows it).
TEST(NetChoice, ThePluginsDeviceIsTheNodesNic) {
  const std::string dump = "/tmp/hccl-net-test-topology-" + std::to_string(getpid()) + ".json";
  mp::Options opts;
  opts.env = {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET_PLUGIN", kPlugin}, {"HCCL_TOPO_DUMP_FILE", dump}};
  MP_EXPECT_RUN(mp::run(2, [&](mp::Rank& R) {
    allReduceChecked(R, 100);
    R.barrier();  // rank 0 wrote the dump during init
    std::ifstream in(dump);
    std::stringstream text;
    text << in.rdbuf();
    const std::string json = text.str();
    EXPECT_NE(json.find("\"name\": \"hccltest-lo\""), std::string::npos) << json;
    EXPECT_NE(json.find("\"gbps\": 10"), std::string::npos) << json;
    R.barrier();
    if (R.rank == 0) std::remove(dump.c_str());
  }, opts));
}

TEST(NetChoice, SocketNamedWinsOverAPlugin) {
  const std::string prefix = "/tmp/hccl-net-test-socket-" + std::to_string(getpid());
  MP_EXPECT_RUN(mp::run(2, [&](mp::Rank& R) {
    allReduceChecked(R, 1000);
    const std::string log = logOf(prefix);
    EXPECT_NE(log.find("via tcp"), std::string::npos) << log;
    EXPECT_EQ(log.find("via net/"), std::string::npos) << log;
  }, loggedOptions(prefix, {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET_PLUGIN", kPlugin}, {"NCCL_NET", "Socket"}})));
}

// No plugin where NCCL_NET_PLUGIN points is no error: sockets carry the calls, and nothing is
// left in ncclGetLastError.
TEST(NetChoice, AMissingPluginFallsBackToSocketsQuietly) {
  mp::Options opts;
  opts.env = {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET_PLUGIN", "/nonexistent/libnccl-net-x.so"}};
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    EXPECT_STREQ(ncclGetLastError(R.comm), "");
    allReduceChecked(R, 1000);
  }, opts));
}

TEST(NetChoice, UnknownNetworkIsInvalidUsage) {
  mp::Options opts;
  opts.initComm = false;
  opts.env = {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET", "NoSuchNet"}, {"NCCL_NET_PLUGIN", "none"}};
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclUniqueId id = R.shareUniqueId();
    ncclComm_t comm = nullptr;
    EXPECT_EQ(ncclCommInitRank(&comm, R.nranks, id, R.rank), ncclInvalidUsage);
    const std::string text = ncclGetLastError(comm);
    EXPECT_NE(text.find("NCCL_NET=NoSuchNet"), std::string::npos) << text;
    EXPECT_NE(text.find("available: Socket"), std::string::npos) << text;
    if (comm != nullptr) ncclCommAbort(comm);
  }, opts));
}

// Rank 2 of 3 dies between AllReduces: the survivors' next one fails within seconds (the
// network sees the connection close), well before HCCL_TIMEOUT.
void killedRankIsAnErrorWithinSeconds(std::vector<std::pair<std::string, std::string>> env) {
  mp::Options opts;
  opts.env = std::move(env);
  opts.env.push_back({"NCCL_SHM_DISABLE", "1"});
  opts.env.push_back({"HCCL_TIMEOUT", "60"});
  opts.mayDie = {2};
  opts.failGraceSec = 60;
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    allReduceChecked(R, 1 << 20);
    R.barrier();
    if (R.rank == 2) raise(SIGKILL);
    std::vector<float> data(size_t{4} << 20, 1.0f);
    const auto start = std::chrono::steady_clock::now();
    ncclResult_t r = ncclSuccess;
    for (int i = 0; i < 20 && r == ncclSuccess; ++i)
      r = ncclAllReduce(data.data(), data.data(), data.size(), ncclFloat, ncclSum, R.comm, nullptr);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r, ncclRemoteError) << mp::resultName(r);
    EXPECT_LT(seconds, 5.0);
    ncclCommAbort(R.comm);
    R.comm = nullptr;
  }, opts));
}

// One 16 MiB message from rank 0 to rank 1 through the test plugin, which keeps where the bytes
// it moved came from and went. Direct (the default): the whole message leaves the sender's buffer
// and lands in the receiver's, each under a region, and only a few control bytes cross besides:
// hccl copied nothing. Staged (HCCL_NET_DIRECT_BYTES=0): none of it does, which shows the count
// can tell the two apart.
void countCopiesOfOneMessage(bool direct) {
  mp::Options opts;
  opts.env = {{"NCCL_NET_PLUGIN", kPlugin}, {"NCCL_SHM_DISABLE", "1"}};
  if (!direct) opts.env.push_back({"HCCL_NET_DIRECT_BYTES", "0"});
  MP_EXPECT_RUN(mp::run(2, [direct](mp::Rank& R) {
    constexpr size_t kCount = size_t{4} << 20;
    constexpr uint64_t kBytes = kCount * sizeof(float);
    std::vector<float> data(kCount, -1.0f);
    if (R.rank == 0)
      for (size_t i = 0; i < kCount; ++i) data[i] = static_cast<float>(i % 1000);
    void* plugin = dlopen(kPlugin.c_str(), RTLD_NOW | RTLD_NOLOAD);  // the one the communicator loaded
    ASSERT_NE(plugin, nullptr) << dlerror();
    using MovedFn = void (*)(const void*, size_t, uint64_t*, uint64_t*, uint64_t*);
    auto moved = reinterpret_cast<MovedFn>(dlsym(plugin, "hcclTestNetMoved"));
    auto forget = reinterpret_cast<void (*)()>(dlsym(plugin, "hcclTestNetForget"));
    ASSERT_TRUE(moved != nullptr && forget != nullptr);
    forget();
    if (R.rank == 0) MP_ASSERT_OK(ncclSend(data.data(), kCount, ncclFloat, 1, R.comm, nullptr));
    else MP_ASSERT_OK(ncclRecv(data.data(), kCount, ncclFloat, 0, R.comm, nullptr));
    uint64_t sentFrom = 0, receivedInto = 0, all = 0;
    moved(data.data(), kBytes, &sentFrom, &receivedInto, &all);
    dlclose(plugin);
    if (direct) {
      EXPECT_EQ(R.rank == 0 ? sentFrom : receivedInto, kBytes);
      EXPECT_LT(all - kBytes, 4096u) << "bytes moved besides the message";
    } else {
      EXPECT_EQ(sentFrom + receivedInto, 0u);
      EXPECT_GE(all, kBytes);
    }
    if (R.rank == 1) {
      size_t wrong = 0;
      for (size_t i = 0; i < kCount; ++i) wrong += data[i] != static_cast<float>(i % 1000);
      EXPECT_EQ(wrong, 0u);
    }
  }, opts));
}

TEST(NetDirect, LargeMessageMovesWithoutACopy) { countCopiesOfOneMessage(true); }
TEST(NetDirect, StagedMessageIsCountedAsCopied) { countCopiesOfOneMessage(false); }

TEST(NetPluginFaults, KilledRankIsAnErrorWithinSeconds) {
  killedRankIsAnErrorWithinSeconds({{"NCCL_NET_PLUGIN", kPlugin}});
}

#if HCCL_TEST_HAVE_UCX
// The same over UCX (its TCP transport).
TEST(UcxFaults, KilledRankIsAnErrorWithinSeconds) {
  killedRankIsAnErrorWithinSeconds({{"NCCL_NET", "UCX"}, {"UCX_TLS", "tcp"}});
}

TEST(UcxFaults, KilledRankIsAnErrorWithinSecondsInPeerFailureMode) {
  killedRankIsAnErrorWithinSeconds({{"NCCL_NET", "UCX"}, {"UCX_TLS", "tcp"}, {"HCCL_UCX_ERR_MODE", "peer"}});
}

// A rank waiting on a UCX peer sleeps on the worker's wake-up descriptor: over 1.5 s of waiting
// it blocks about once per millisecond (poll's bound), not at every 50 µs nap of a rank that has
// to poll its links, and it still gets its message.
TEST(UcxWait, IdleRankSleepsOnTheWorkersDescriptor) {
  mp::Options opts;
  opts.env = {{"NCCL_NET", "UCX"}, {"UCX_TLS", "tcp"}, {"NCCL_SHM_DISABLE", "1"}};
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    std::vector<float> data(1024, static_cast<float>(R.rank + 1));
    if (R.rank == 0) {
      usleep(1500000);
      MP_ASSERT_OK(ncclSend(data.data(), data.size(), ncclFloat, 1, R.comm, nullptr));
      return;
    }
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    MP_ASSERT_OK(ncclRecv(data.data(), data.size(), ncclFloat, 0, R.comm, nullptr));
    getrusage(RUSAGE_SELF, &after);
    const long sleeps = after.ru_nvcsw - before.ru_nvcsw;
    printf("rank 1 slept %ld times while it waited\n", sleeps);
    EXPECT_LT(sleeps, 4500);  // 1,360 measured; napping 50 µs at a time instead: 10,065
    EXPECT_EQ(data[0], 1.0f);
  }, opts));
}

TEST(NetChoice, UcxCarriesThePeersAndTheLogSaysSo) {
  const std::string prefix = "/tmp/hccl-net-test-ucx-" + std::to_string(getpid());
  MP_EXPECT_RUN(mp::run(3, [&](mp::Rank& R) {
    allReduceChecked(R, (size_t{3} << 20) + 7);
    const std::string log = logOf(prefix);
    EXPECT_NE(log.find("NET/UCX: Using UCX"), std::string::npos) << log;
    EXPECT_NE(log.find("via net/UCX"), std::string::npos) << log;
  }, loggedOptions(prefix, {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET", "UCX"}, {"UCX_TLS", "tcp"}})));
}
#endif

}  // namespace
