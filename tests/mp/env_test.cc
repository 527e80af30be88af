// NCCL's environment habits: NCCL_DEBUG levels and NCCL_DEBUG_FILE (with %h and %p), HCCL_*
// winning over NCCL_*, NCCL_SOCKET_IFNAME choosing (or failing to find) an interface.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "mp_harness.h"

namespace {

// A fresh folder for this test's log files.
std::string tempDir() {
  char pattern[] = "/tmp/hccl-env-test-XXXXXX";
  const char* dir = mkdtemp(pattern);
  return dir ? dir : "/tmp";
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One AllReduce, so the library has something to log.
void allReduceOnce(mp::Rank& R) {
  std::vector<float> data(16, 1.0f);
  MP_ASSERT_OK(ncclAllReduce(data.data(), data.data(), data.size(), ncclFloat, ncclSum, R.comm, nullptr));
  EXPECT_EQ(data[0], static_cast<float>(R.nranks));
}

// The log of this rank's process, written to <dir>/log.<host>.<pid> by NCCL_DEBUG_FILE.
std::string ownLog(const std::string& dir) {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  std::string name = host;
  if (size_t dot = name.find('.'); dot != std::string::npos) name.resize(dot);
  return readFile(dir + "/log." + name + "." + std::to_string(getpid()));
}

TEST(Environment, DebugInfoGoesToTheDebugFile) {
  std::string dir = tempDir();
  mp::Options opts;
  opts.env = {{"NCCL_DEBUG", "INFO"}, {"NCCL_DEBUG_FILE", dir + "/log.%h.%p"}};
  MP_EXPECT_RUN(mp::run(2, [&](mp::Rank& R) {
    allReduceOnce(R);
    std::string log = ownLog(dir);
    EXPECT_NE(log.find("HCCL INFO"), std::string::npos) << "no INFO line in the debug file:\n" << log;
    EXPECT_NE(log.find("HCCL VERSION hccl"), std::string::npos) << "no version line:\n" << log;
  }, opts));
}

TEST(Environment, HcclDebugWinsOverNcclDebug) {
  std::string dir = tempDir();
  mp::Options opts;
  opts.env = {{"NCCL_DEBUG", "INFO"}, {"HCCL_DEBUG", "WARN"}, {"NCCL_DEBUG_FILE", dir + "/log.%h.%p"}};
  MP_EXPECT_RUN(mp::run(2, [&](mp::Rank& R) {
    allReduceOnce(R);
    std::string log = ownLog(dir);
    EXPECT_EQ(log.find("HCCL INFO"), std::string::npos) << "HCCL_DEBUG=WARN must silence INFO:\n" << log;
  }, opts));
}

TEST(Environment, DebugSubsysFiltersInfoLines) {
  std::string dir = tempDir();
  mp::Options opts;
  // ^INIT,BOOTSTRAP leaves no subsystem that logs at init: only the version line may appear.
  opts.env = {{"NCCL_DEBUG", "INFO"}, {"NCCL_DEBUG_SUBSYS", "^INIT,BOOTSTRAP,ENV"},
              {"NCCL_DEBUG_FILE", dir + "/log.%h.%p"}};
  MP_EXPECT_RUN(mp::run(2, [&](mp::Rank& R) {
    allReduceOnce(R);
    std::string log = ownLog(dir);
    EXPECT_EQ(log.find("connected to all peers"), std::string::npos) << log;
    EXPECT_EQ(log.find(" ready ("), std::string::npos) << log;
  }, opts));
}

TEST(Environment, SocketIfnameLoopbackWorks) {
  mp::Options opts;
  opts.env = {{"NCCL_SOCKET_IFNAME", "lo"}, {"NCCL_SHM_DISABLE", "1"}};
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) { allReduceOnce(R); }, opts));
}

TEST(Environment, MissingInterfaceFailsCleanly) {
  mp::Options opts;
  opts.initComm = false;
  opts.env = {{"NCCL_SOCKET_IFNAME", "=no-such-interface0"}};
  MP_EXPECT_RUN(mp::run(1, [](mp::Rank&) {
    ncclUniqueId id;
    ncclResult_t r = ncclGetUniqueId(&id);
    EXPECT_EQ(r, ncclSystemError) << mp::resultName(r);
    EXPECT_NE(mp::lastError().find("no-such-interface0"), std::string::npos) << mp::lastError();
  }, opts));
}

}  // namespace
