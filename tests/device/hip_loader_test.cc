// The HIP plugin where no AMD GPU is present (CI and every development machine): it loads,
// reports that no device is present, and a communicator falls back to the host backend with an
// INFO line saying why, then works. HCCL_TEST_PLUGIN_PATH names libhccl-hip.so, or is empty
// when hipcc was not found and the plugin not built.
#include <dirent.h>
#include <dlfcn.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mp_harness.h"
#include "test_device.h"

namespace {

const std::string kFallbackLine = "host backend: hip plugin has no usable driver or device";

bool pluginBuilt() { return std::string(HCCL_TEST_PLUGIN_PATH).size() > 0; }

#define HCCL_SKIP_UNLESS_HIP_PLUGIN_WITHOUT_GPU()                                         \
  do {                                                                                    \
    if (!pluginBuilt()) GTEST_SKIP() << "libhccl-hip.so not built (hipcc not found)";     \
    if (::testdev::deviceUsable())                                                        \
      GTEST_SKIP() << "an AMD GPU is present: the no-device fallback does not happen";    \
  } while (0)

// Every rank's NCCL_DEBUG=INFO log, concatenated, from a run writing them into dir.
std::string logsIn(const std::string& dir) {
  std::string all;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return all;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string path = dir + "/" + e->d_name;
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    all += s.str();
    unlink(path.c_str());
  }
  closedir(d);
  rmdir(dir.c_str());
  return all;
}

// Options for a run that logs at INFO level into a fresh directory, one file per rank.
mp::Options loggingOptions(std::string* dir) {
  char tmpl[] = "/tmp/hccl-hiplog-XXXXXX";
  EXPECT_NE(mkdtemp(tmpl), nullptr);
  *dir = tmpl;
  mp::Options o;
  o.env = {{"NCCL_DEBUG", "INFO"}, {"NCCL_DEBUG_FILE", *dir + "/log.%p"}};
  return o;
}

// A small AllReduce on host memory, which is what a host-backend rank takes.
void allReduceWorks(mp::Rank& r) {
  const size_t n = 1000;
  std::vector<int32_t> send(n), recv(n, -1);
  for (size_t i = 0; i < n; ++i) send[i] = static_cast<int32_t>(i) + r.rank;
  MP_ASSERT_OK(ncclAllReduce(send.data(), recv.data(), n, ncclInt32, ncclSum, r.comm, nullptr));
  const int32_t rankSum = r.nranks * (r.nranks - 1) / 2;
  for (size_t i = 0; i < n; ++i)
    ASSERT_EQ(recv[i], static_cast<int32_t>(i) * r.nranks + rankSum) << i;
}

TEST(HipPlugin, LoadsAndReportsNoDevice) {
  HCCL_SKIP_UNLESS_HIP_PLUGIN_WITHOUT_GPU();
  mp::Options o;
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank&) {
    void* h = dlopen(HCCL_TEST_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(h, nullptr) << dlerror();
    auto get = reinterpret_cast<hcclDeviceRuntimeGetFn>(dlsym(h, HCCL_DEVICE_RUNTIME_SYMBOL));
    ASSERT_NE(get, nullptr);
    const hcclDeviceRuntime_v3* rt = get(HCCL_DEVICE_RUNTIME_VERSION);
    ASSERT_NE(rt, nullptr);
    EXPECT_EQ(rt->kind, hcclDeviceKindHip);
    EXPECT_STREQ(rt->name, "hip");
    const int rc = rt->init();
    EXPECT_NE(rc, 0) << "init succeeded without an AMD GPU";
    EXPECT_NE(rt->errorText(rc), nullptr);
    int count = -1;
    rt->deviceCount(&count);
    EXPECT_LE(count, 0);
  }, o));
}

TEST(HipPlugin, ForcedHipFallsBackToTheHostAndWorks) {
  HCCL_SKIP_UNLESS_HIP_PLUGIN_WITHOUT_GPU();
  std::string dir;
  mp::Options o = loggingOptions(&dir);
  o.env.push_back({"HCCL_BACKEND", "hip"});
  o.env.push_back({"HCCL_BACKEND_PLUGIN", HCCL_TEST_PLUGIN_PATH});
  MP_EXPECT_RUN(mp::run(2, allReduceWorks, o));
  const std::string log = logsIn(dir);
  EXPECT_NE(log.find(kFallbackLine), std::string::npos) << log;
  EXPECT_NE(log.find("(host backend)"), std::string::npos) << log;
}

// A process that uses HIP (here: has libamdhip64 loaded, as PyTorch's ROCm build does) gets
// libhccl-hip.so from beside libnccl.so.2 without any HCCL_* setting.
TEST(HipPlugin, AutoFindsThePluginWhenTheProcessUsesHip) {
  HCCL_SKIP_UNLESS_HIP_PLUGIN_WITHOUT_GPU();
  std::string dir;
  mp::Options o = loggingOptions(&dir);
  o.initComm = false;
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& r) {
    // The unversioned name exists wherever the plugin was built (libamdhip64-dev).
    ASSERT_NE(dlopen("libamdhip64.so", RTLD_NOW | RTLD_GLOBAL), nullptr) << dlerror();
    ncclUniqueId id = r.shareUniqueId();
    MP_ASSERT_OK(ncclCommInitRank(&r.comm, r.nranks, id, r.rank));
    allReduceWorks(r);
  }, o));
  const std::string log = logsIn(dir);
  EXPECT_NE(log.find(kFallbackLine), std::string::npos) << log;
  EXPECT_NE(log.find("(host backend)"), std::string::npos) << log;
}

}  // namespace
