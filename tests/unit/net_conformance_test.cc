// What every network transport (transport/net/net_transport.h) must do, run over each one the
// registry below names, between two processes: a forked child connects and sends, the test
// process accepts and receives. Messages of 0 B to 64 MiB arrive whole and in order, into
// registered buffers; many receives may be outstanding; a receive posted after its message was
// sent still gets it; a send too large for its receive is an error; a peer killed in the middle
// of a transfer becomes an error on the survivor within seconds, not a hang.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "transport/net/net_plugin.h"
#include "transport/net/ucx_transport.h"

namespace hccl::net {
namespace {

constexpr double kWaitSeconds = 20;  // no step of a test may take longer

// The transports under test: a name and how to open one. A new transport adds a line here.
struct TransportEntry {
  std::string name;
  std::function<Status(std::unique_ptr<NetTransport>*)> open;
};

std::vector<TransportEntry> registry() {
  std::vector<TransportEntry> all;
  if (ucxBuilt()) {
    // Both ways UCX can treat a peer's failure (HCCL_UCX_ERR_MODE), read when the transport opens.
    for (const char* mode : {"none", "peer"}) {
      all.push_back({std::string("ucx_tcp_") + mode, [mode](std::unique_ptr<NetTransport>* out) {
                       setenv("UCX_TLS", "tcp", 1);  // read by UCX when the context is made
                       setenv("HCCL_UCX_ERR_MODE", mode, 1);
                       return openUcxTransport(out);
                     }});
    }
  }
  for (const char* version : {"8", "9", "10"}) {
    const std::string library = std::string(HCCL_TEST_NET_PLUGIN_DIR) + "/libnccl-net-hccltest" + version + ".so";
    all.push_back({std::string("plugin_v") + version,
                   [library](std::unique_ptr<NetTransport>* out) { return openNetPlugin(library, out); }});
  }
  return all;
}

std::string entryName(const testing::TestParamInfo<TransportEntry>& info) { return info.param.name; }

std::vector<char> pattern(size_t bytes, uint64_t seed) {
  std::vector<char> out(bytes);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < bytes; i += 8) {
    const uint64_t v = rng();
    memcpy(out.data() + i, &v, std::min<size_t>(8, bytes - i));
  }
  return out;
}

// Calls `step` until it reports done, an error, or the time runs out.
Status until(const std::function<Status(bool*)>& step, double seconds = kWaitSeconds) {
  const Deadline deadline = deadlineIn(seconds);
  for (;;) {
    bool done = false;
    HCCL_TRY(step(&done));
    if (done) return Status::Success;
    if (Clock::now() > deadline) return Status::InProgress;
  }
}

Status waitFor(NetTransport& t, void* request, size_t* bytes = nullptr) {
  return until([&](bool* done) { return t.test(request, done, bytes); });
}

// One message of the sender's script.
struct Message {
  size_t bytes;
  uint32_t tag;
};

class NetConformance : public testing::TestWithParam<TransportEntry> {
 protected:
  void TearDown() override {
    if (recvComm_ != nullptr) transport_->closeRecv(recvComm_);
    if (listenComm_ != nullptr) transport_->closeListen(listenComm_);
    if (child_ > 0) {
      kill(child_, SIGKILL);
      waitpid(child_, nullptr, 0);
    }
  }

  // Forks the sender, which connects and runs `script` (its exit code: 0 when all went well);
  // this process then opens its transport, listens, hands the child the handle through a pipe
  // and accepts. The child is forked before any transport exists: it inherits none of UCX's
  // state (a worker's sockets, its threads), which is not the child's to use.
  void startSender(const std::function<int(NetTransport&, void* sendComm)>& script) {
    int pipeFds[2];
    ASSERT_EQ(0, pipe(pipeFds));
    child_ = fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      close(pipeFds[1]);
      std::unique_ptr<NetTransport> own;
      if (GetParam().open(&own) != Status::Success) _exit(11);
      uint32_t size = 0;
      ConnectHandle handle;
      if (read(pipeFds[0], &size, sizeof(size)) != sizeof(size) || size > kMaxHandleBytes) _exit(12);
      handle.bytes.resize(size);
      for (size_t got = 0; got < size;) {
        const ssize_t n = read(pipeFds[0], handle.bytes.data() + got, size - got);
        if (n <= 0) _exit(12);
        got += static_cast<size_t>(n);
      }
      void* sendComm = nullptr;
      const Status connected = until([&](bool* done) {
        HCCL_TRY(own->connect(0, &handle, &sendComm));
        *done = sendComm != nullptr;
        return Status::Success;
      });
      if (connected != Status::Success) _exit(10);
      const int code = script(*own, sendComm);
      own->closeSend(sendComm);
      _exit(code);
    }
    close(pipeFds[0]);
    ASSERT_EQ(Status::Success, GetParam().open(&transport_));
    ASSERT_GT(transport_->deviceCount(), 0);
    ConnectHandle handle;
    ASSERT_EQ(Status::Success, transport_->listen(0, &handle, &listenComm_));
    const uint32_t size = static_cast<uint32_t>(handle.bytes.size());
    ASSERT_EQ(static_cast<ssize_t>(sizeof(size)), write(pipeFds[1], &size, sizeof(size)));
    ASSERT_EQ(static_cast<ssize_t>(size), write(pipeFds[1], handle.bytes.data(), size));  // at most 4 KiB: one write
    close(pipeFds[1]);
    ASSERT_EQ(Status::Success, until([&](bool* done) {
                HCCL_TRY(transport_->accept(listenComm_, &recvComm_));
                *done = recvComm_ != nullptr;
                return Status::Success;
              }));
  }

  int senderExitCode() {
    int status = 0;
    waitpid(child_, &status, 0);
    child_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // The sender's side: each message in turn, from a registered buffer, completed before the next.
  static int sendAll(NetTransport& t, void* comm, const std::vector<Message>& script) {
    for (size_t i = 0; i < script.size(); ++i) {
      std::vector<char> data = pattern(script[i].bytes, i);
      void* region = nullptr;
      if (t.registerMemory(comm, data.data(), data.size(), kHostMemory, &region) != Status::Success) return 2;
      void* request = nullptr;
      const Status posted = until([&](bool* done) {
        HCCL_TRY(t.send(comm, data.data(), data.size(), script[i].tag, region, &request));
        *done = request != nullptr;
        return Status::Success;
      });
      if (posted != Status::Success || waitFor(t, request) != Status::Success) return 3;
      if (t.deregisterMemory(comm, region) != Status::Success) return 4;
    }
    return 0;
  }

  std::unique_ptr<NetTransport> transport_;
  void* listenComm_ = nullptr;
  void* recvComm_ = nullptr;
  pid_t child_ = -1;
};

INSTANTIATE_TEST_SUITE_P(, NetConformance, testing::ValuesIn(registry()), entryName);

TEST_P(NetConformance, DescribesItsDevices) {
  ASSERT_EQ(Status::Success, GetParam().open(&transport_));
  ASSERT_GT(transport_->deviceCount(), 0);
  NetDevice d;
  ASSERT_EQ(Status::Success, transport_->device(0, &d));
  EXPECT_FALSE(d.name.empty());
  EXPECT_GE(d.gbps, 0);  // 0: the transport cannot tell
  EXPECT_TRUE(d.memoryKinds & kHostMemory);
  EXPECT_EQ(Status::InvalidArgument, transport_->device(transport_->deviceCount(), &d));
}

// Sizes from 0 B to 64 MiB, in order, each received into a registered buffer of its own size.
TEST_P(NetConformance, EverySizeArrivesWholeAndInOrder) {
  std::vector<Message> script;
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}, size_t{65537}, size_t{1} << 20,
                       (size_t{8} << 20) + 3, size_t{64} << 20})
    script.push_back({bytes, static_cast<uint32_t>(script.size() + 1)});
  ASSERT_NO_FATAL_FAILURE(startSender([&](NetTransport& t, void* comm) { return sendAll(t, comm, script); }));
  for (size_t i = 0; i < script.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i) + ", " + std::to_string(script[i].bytes) + " bytes");
    std::vector<char> got(script[i].bytes + 16, 0x5a);
    void* region = nullptr;
    ASSERT_EQ(Status::Success, transport_->registerMemory(recvComm_, got.data(), got.size(), kHostMemory, &region));
    void* request = nullptr;
    ASSERT_EQ(Status::Success, transport_->recv(recvComm_, got.data(), got.size(), script[i].tag, region, &request));
    ASSERT_NE(request, nullptr);
    size_t bytes = 0;
    ASSERT_EQ(Status::Success, waitFor(*transport_, request, &bytes));
    ASSERT_EQ(bytes, script[i].bytes);
    const std::vector<char> want = pattern(script[i].bytes, i);
    EXPECT_TRUE(std::equal(want.begin(), want.end(), got.begin()));
    EXPECT_EQ(got[script[i].bytes], 0x5a) << "wrote past the message";
    void* flush = nullptr;
    ASSERT_EQ(Status::Success, transport_->flush(recvComm_, got.data(), bytes, region, &flush));
    if (flush != nullptr) ASSERT_EQ(Status::Success, waitFor(*transport_, flush));
    ASSERT_EQ(Status::Success, transport_->deregisterMemory(recvComm_, region));
  }
  EXPECT_EQ(senderExitCode(), 0);
}

// Thirty-two receives posted at once, then all completed: each holds its own message.
TEST_P(NetConformance, ManyOutstandingReceives) {
  std::vector<Message> script;
  for (uint32_t i = 0; i < 32; ++i) script.push_back({1000 + 4093 * size_t{i}, 100 + i});
  ASSERT_NO_FATAL_FAILURE(startSender([&](NetTransport& t, void* comm) { return sendAll(t, comm, script); }));
  std::vector<std::vector<char>> got(script.size());
  std::vector<void*> requests(script.size());
  for (size_t i = 0; i < script.size(); ++i) {
    got[i].resize(script[i].bytes);
    ASSERT_EQ(Status::Success, transport_->recv(recvComm_, got[i].data(), got[i].size(), script[i].tag, nullptr,
                                                &requests[i]));
    ASSERT_NE(requests[i], nullptr);
  }
  for (size_t i = script.size(); i-- > 0;) {  // tested newest first: completion must not depend on it
    size_t bytes = 0;
    ASSERT_EQ(Status::Success, waitFor(*transport_, requests[i], &bytes)) << "receive " << i;
    ASSERT_EQ(bytes, script[i].bytes);
    EXPECT_EQ(got[i], pattern(script[i].bytes, i)) << "receive " << i;
  }
  EXPECT_EQ(senderExitCode(), 0);
}

// The message is sent (and the sender has gone on) well before the receive is posted.
TEST_P(NetConformance, ReceivePostedLateStillGetsItsMessage) {
  const std::vector<Message> script = {{777, 5}, {3000, 6}};
  ASSERT_NO_FATAL_FAILURE(startSender([&](NetTransport& t, void* comm) { return sendAll(t, comm, script); }));
  usleep(200 * 1000);
  for (size_t i = 0; i < script.size(); ++i) {
    std::vector<char> got(script[i].bytes);
    void* request = nullptr;
    ASSERT_EQ(Status::Success, transport_->recv(recvComm_, got.data(), got.size(), script[i].tag, nullptr, &request));
    size_t bytes = 0;
    ASSERT_EQ(Status::Success, waitFor(*transport_, request, &bytes));
    EXPECT_EQ(bytes, script[i].bytes);
    EXPECT_EQ(got, pattern(script[i].bytes, i));
  }
  EXPECT_EQ(senderExitCode(), 0);
}

// A message larger than the buffer posted for it is an error, never a write past the buffer.
TEST_P(NetConformance, MessageLargerThanItsReceiveIsAnError) {
  const std::vector<Message> script = {{4096, 9}};
  ASSERT_NO_FATAL_FAILURE(startSender([&](NetTransport& t, void* comm) { return sendAll(t, comm, script); }));
  std::vector<char> got(1024 + 64, 0x5a);
  void* request = nullptr;
  ASSERT_EQ(Status::Success, transport_->recv(recvComm_, got.data(), 1024, 9, nullptr, &request));
  const Status s = waitFor(*transport_, request);
  EXPECT_TRUE(failed(s)) << statusName(s);
  for (size_t i = 1024; i < got.size(); ++i) ASSERT_EQ(got[i], 0x5a) << "wrote past the buffer at " << i;
}

// The sender dies partway through sending a 64 MiB message: the receive fails within seconds.
TEST_P(NetConformance, PeerKilledMidTransferIsAnErrorNotAHang) {
  ASSERT_NO_FATAL_FAILURE(startSender([&](NetTransport& t, void* comm) {
    std::vector<char> data(size_t{64} << 20, 1);
    void* request = nullptr;
    if (t.send(comm, data.data(), data.size(), 1, nullptr, &request) != Status::Success || request == nullptr)
      return 2;
    bool done = false;
    for (int i = 0; i < 50 && !done; ++i)
      if (t.test(request, &done, nullptr) != Status::Success) return 3;
    if (done) return 5;  // the receiver is not reading yet: the message cannot have gone whole
    raise(SIGKILL);      // partway: the receiver gets at most what the transport buffered
    return 4;
  }));
  // The sender is dead before the receive is even posted, so its death falls mid-message.
  EXPECT_EQ(senderExitCode(), 128 + SIGKILL);
  std::vector<char> got(size_t{64} << 20);
  void* request = nullptr;
  ASSERT_EQ(Status::Success, transport_->recv(recvComm_, got.data(), got.size(), 1, nullptr, &request));
  const auto start = std::chrono::steady_clock::now();
  const Status s = waitFor(*transport_, request);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(failed(s)) << statusName(s) << (s == Status::InProgress ? " (still waiting: a hang)" : "");
  EXPECT_LT(seconds, 5.0);
}

// The loader: NCCL's library names, and a plugin that is not there is an error that says why.
TEST(NetPlugin, CandidatesFollowNcclNaming) {
  EXPECT_EQ(netPluginCandidates(""), std::vector<std::string>{"libnccl-net.so"});
  EXPECT_TRUE(netPluginCandidates("none").empty());
  EXPECT_EQ(netPluginCandidates("aws-ofi"), (std::vector<std::string>{"libnccl-net-aws-ofi.so", "aws-ofi"}));
}

TEST(NetPlugin, MissingOrForeignLibraryIsRefused) {
  std::unique_ptr<NetTransport> t;
  EXPECT_EQ(Status::SystemError, openNetPlugin("/nonexistent/libnccl-net-x.so", &t));
  EXPECT_EQ(Status::SystemError, openNetPlugin("none", &t));
  EXPECT_EQ(Status::SystemError, openNetPlugin("libc.so.6", &t)) << "a library without a plugin table";
  EXPECT_EQ(t, nullptr);
}

}  // namespace
}  // namespace hccl::net
