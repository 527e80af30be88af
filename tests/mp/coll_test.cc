// coll_test.cc: every collective x every datatype x every reduction, on 2, 3, 4 and 8 rank
// processes, checked element by element against a float64/integer reference.
//
// One test per (collective, nranks) runs all its datatypes, ops, counts (0, 1, 7, 1000, 65537),
// placements (out-of-place, in-place, and both with buffers misaligned by one element) and
// roots over one communicator. Besides the values it checks that the send buffer is not
// modified (out-of-place), that nothing is written outside the output buffer (guard bytes),
// that collectives whose output is the same everywhere give bitwise the same bytes on every
// rank, and that PreMulSum ops can be created and destroyed again and again.
#include <algorithm>
#include <iterator>
#include <utility>
#include <ostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mp_data.h"
#include "mp_harness.h"

namespace {

using mp::Op;

enum class Coll { AllReduce, AllGather, ReduceScatter, Broadcast, Bcast, Reduce, AlltoAll, Gather, Scatter, SendRecv };

const char* collName(Coll c) {
  switch (c) {
    case Coll::AllReduce: return "AllReduce";
    case Coll::AllGather: return "AllGather";
    case Coll::ReduceScatter: return "ReduceScatter";
    case Coll::Broadcast: return "Broadcast";
    case Coll::Bcast: return "Bcast";
    case Coll::Reduce: return "Reduce";
    case Coll::AlltoAll: return "AlltoAll";
    case Coll::Gather: return "Gather";
    case Coll::Scatter: return "Scatter";
    case Coll::SendRecv: return "SendRecv";
  }
  return "?";
}

bool reduces(Coll c) { return c == Coll::AllReduce || c == Coll::ReduceScatter || c == Coll::Reduce; }
bool rooted(Coll c) {
  return c == Coll::Broadcast || c == Coll::Bcast || c == Coll::Reduce || c == Coll::Gather ||
         c == Coll::Scatter;
}
// Output identical on every rank: checked in slices, plus a cross-rank hash comparison.
bool sameEverywhere(Coll c) {
  return c == Coll::AllReduce || c == Coll::AllGather || c == Coll::Broadcast || c == Coll::Bcast;
}

enum Layout { kOutOfPlace = 0, kInPlace = 1, kUnaligned = 2 }; // kUnaligned combines with both

struct Config {
  Coll coll;
  ncclDataType_t type;
  Op op;
  size_t count;
  int layout;
  int root;   // rooted collectives
  int shift;  // SendRecv: send to rank+shift, receive from rank-shift
  uint64_t seed;

  std::string name() const {
    std::ostringstream s;
    s << collName(coll) << " " << mp::typeInfo(type).name;
    if (reduces(coll)) s << " " << mp::opName(op);
    s << " count=" << count << ((layout & kInPlace) ? " in-place" : " out-of-place")
      << ((layout & kUnaligned) ? " unaligned" : "");
    if (rooted(coll)) s << " root=" << root;
    if (coll == Coll::SendRecv) s << " shift=" << shift;
    return s.str();
  }
};

// Element counts of the send and receive buffers.
void sizes(Coll c, size_t count, int n, size_t* sendElems, size_t* recvElems) {
  size_t nc = count * size_t(n);
  switch (c) {
    case Coll::AllGather: case Coll::Gather: *sendElems = count, *recvElems = nc; break;
    case Coll::ReduceScatter: case Coll::Scatter: *sendElems = nc, *recvElems = count; break;
    case Coll::AlltoAll: *sendElems = nc, *recvElems = nc; break;
    default: *sendElems = count, *recvElems = count; break;
  }
}

// Runs the configurations of one (collective, nranks) test on one rank.
class Runner {
 public:
  Runner(mp::Rank& R, Coll coll) : R_(R), coll_(coll) {}

  // Returns false when a call failed (the communicator may be unusable; stop).
  bool runOne(const Config& cfg, ncclRedOp_t op);
  void compareHashes();

 private:
  bool check(const Config& cfg, const char* send, const char* recv, size_t sendElems, size_t recvElems);
  void fail(const Config& cfg, const std::string& what) {
    if (++failures_ <= 8) ADD_FAILURE() << cfg.name() << ": " << what;
  }

  mp::Rank& R_;
  Coll coll_;
  int failures_ = 0;
  std::vector<uint64_t> hashes_;   // sameEverywhere outputs, in config order
  std::vector<std::string> hashNames_;
};

bool Runner::runOne(const Config& cfg, ncclRedOp_t op) {
  const int n = R_.nranks, me = R_.rank;
  const size_t es = mp::typeInfo(cfg.type).size;
  const bool inPlace = cfg.layout & kInPlace;
  const size_t offset = (cfg.layout & kUnaligned) ? es : 0;
  size_t sendElems, recvElems;
  sizes(coll_, cfg.count, n, &sendElems, &recvElems);
  const Op genOp = reduces(coll_) ? cfg.op : Op::Copy;

  R_.note(cfg.name());
  std::unique_ptr<mp::GuardedBuffer> a, b;
  char *send = nullptr, *recv = nullptr;
  if (!inPlace) {
    a = std::make_unique<mp::GuardedBuffer>(sendElems * es, offset);
    b = std::make_unique<mp::GuardedBuffer>(recvElems * es, offset);
    send = a->data();
    recv = b->data();
  } else {
    a = std::make_unique<mp::GuardedBuffer>(std::max(sendElems, recvElems) * es, offset);
    char* buf = a->data();
    send = recv = buf;
    switch (coll_) {
      case Coll::AllGather: send = buf + size_t(me) * cfg.count * es; break;
      case Coll::ReduceScatter: recv = buf + size_t(me) * cfg.count * es; break;
      case Coll::Gather:
        send = buf + size_t(me == cfg.root ? cfg.root : me) * cfg.count * es;
        break;
      case Coll::Scatter:
        recv = buf + size_t(me == cfg.root ? cfg.root : me) * cfg.count * es;
        break;
      default: break;
    }
  }

  // Inputs. Bcast: only the root's buffer carries data.
  if (coll_ == Coll::Bcast) {
    if (me == cfg.root) mp::fill(send, cfg.type, genOp, cfg.seed, me, sendElems);
  } else {
    mp::fill(send, cfg.type, genOp, cfg.seed, me, sendElems);
  }
  uint64_t sendHash = mp::hashBytes(send, sendElems * es);

  ncclResult_t r = ncclSuccess;
  ncclComm_t comm = R_.comm;
  switch (coll_) {
    case Coll::AllReduce: r = ncclAllReduce(send, recv, cfg.count, cfg.type, op, comm, nullptr); break;
    case Coll::AllGather: r = ncclAllGather(send, recv, cfg.count, cfg.type, comm, nullptr); break;
    case Coll::ReduceScatter: r = ncclReduceScatter(send, recv, cfg.count, cfg.type, op, comm, nullptr); break;
    case Coll::Broadcast: r = ncclBroadcast(send, recv, cfg.count, cfg.type, cfg.root, comm, nullptr); break;
    case Coll::Bcast: r = ncclBcast(recv, cfg.count, cfg.type, cfg.root, comm, nullptr); break;
    case Coll::Reduce: r = ncclReduce(send, recv, cfg.count, cfg.type, op, cfg.root, comm, nullptr); break;
    case Coll::AlltoAll: r = ncclAlltoAll(send, recv, cfg.count, cfg.type, comm, nullptr); break;
    case Coll::Gather: r = ncclGather(send, recv, cfg.count, cfg.type, cfg.root, comm, nullptr); break;
    case Coll::Scatter: r = ncclScatter(send, recv, cfg.count, cfg.type, cfg.root, comm, nullptr); break;
    case Coll::SendRecv: {
      int to = (me + cfg.shift) % n, from = (me - cfg.shift + n) % n;
      r = ncclGroupStart();
      if (r == ncclSuccess) r = ncclSend(send, cfg.count, cfg.type, to, comm, nullptr);
      if (r == ncclSuccess) r = ncclRecv(recv, cfg.count, cfg.type, from, comm, nullptr);
      ncclResult_t e = ncclGroupEnd();
      if (r == ncclSuccess) r = e;
      break;
    }
  }
  if (r != ncclSuccess) {
    ADD_FAILURE() << cfg.name() << ": returned " << mp::resultName(r) << ": " << mp::lastError(comm)
                  << " (stopping: the communicator may be unusable)";
    return false;
  }

  std::string why;
  if (!a->guardsIntact(&why)) fail(cfg, "buffer A: " + why);
  if (b && !b->guardsIntact(&why)) fail(cfg, "buffer B: " + why);
  // Out-of-place collectives must not modify their input (Bcast has no separate input).
  if (!inPlace && coll_ != Coll::Bcast && mp::hashBytes(send, sendElems * es) != sendHash)
    fail(cfg, "the send buffer was modified");
  return check(cfg, send, recv, sendElems, recvElems);
}

bool Runner::check(const Config& cfg, const char* send, const char* recv, size_t sendElems,
                   size_t recvElems) {
  (void)send;
  (void)sendElems;
  const int n = R_.nranks, me = R_.rank;
  const ncclDataType_t t = cfg.type;
  const size_t es = mp::typeInfo(t).size, c = cfg.count;
  const Op genOp = reduces(coll_) ? cfg.op : Op::Copy;
  uint64_t in[64];

  // expected(i) for output element i; `checkIt(i)` limits the work where other ranks check the rest.
  auto reduceAt = [&](size_t srcIndex) {
    for (int q = 0; q < n; ++q) in[q] = mp::genBits(t, genOp, cfg.seed, q, srcIndex);
    return mp::reduceExpected(t, cfg.op, n, in);
  };
  auto copyOf = [&](int q, size_t srcIndex) { return mp::copyExpected(mp::genBits(t, genOp, cfg.seed, q, srcIndex)); };

  size_t outElems = recvElems;
  bool checkHere = true;
  if ((coll_ == Coll::Reduce || coll_ == Coll::Gather) && me != cfg.root) checkHere = false;
  const bool strided = sameEverywhere(coll_);

  if (checkHere) {
    for (size_t i = 0; i < outElems; ++i) {
      if (strided && i % size_t(n) != size_t(me)) continue;
      mp::Expected e;
      switch (coll_) {
        case Coll::AllReduce: case Coll::Reduce: e = reduceAt(i); break;
        case Coll::ReduceScatter: e = reduceAt(size_t(me) * c + i); break;
        case Coll::AllGather: case Coll::Gather: e = copyOf(int(i / c), i % c); break;
        case Coll::Broadcast: case Coll::Bcast: e = copyOf(cfg.root, i); break;
        case Coll::AlltoAll: e = copyOf(int(i / c), size_t(me) * c + i % c); break;
        case Coll::Scatter: e = copyOf(cfg.root, size_t(me) * c + i); break;
        case Coll::SendRecv: e = copyOf((me - cfg.shift + n) % n, i); break;
      }
      uint64_t got = mp::loadElem(recv, es, i);
      if (!mp::matches(t, e, got)) {
        std::ostringstream s;
        s << "element " << i << " of " << outElems << ": got " << mp::describe(t, got)
          << ", expected " << mp::describe(t, e);
        fail(cfg, s.str());
        break;
      }
    }
  }
  if (strided) {
    hashes_.push_back(mp::hashBytes(recv, outElems * es));
    hashNames_.push_back(cfg.name());
  }
  return true;
}

void Runner::compareHashes() {
  if (hashes_.empty()) return;
  const int n = R_.nranks;
  std::vector<uint64_t> all(hashes_.size() * size_t(n));
  R_.allgather(hashes_.data(), hashes_.size() * sizeof(uint64_t), all.data());
  int reported = 0;
  for (size_t k = 0; k < hashes_.size() && reported < 8; ++k)
    for (int q = 0; q < n; ++q)
      if (all[size_t(q) * hashes_.size() + k] != hashes_[k]) {
        ADD_FAILURE() << hashNames_[k] << ": the output bytes differ between rank " << R_.rank
                      << " and rank " << q << " (every rank must end with bitwise the same result)";
        ++reported;
        break;
      }
}

struct CollParam {
  Coll coll;
  int nranks;
};

void PrintTo(const CollParam& p, std::ostream* os) { *os << collName(p.coll) << " on " << p.nranks << " ranks"; }

std::string paramName(const ::testing::TestParamInfo<CollParam>& p) {
  return std::string(collName(p.param.coll)) + "_" + std::to_string(p.param.nranks) + "ranks";
}

class CollTest : public ::testing::TestWithParam<CollParam> {};

const size_t kCounts[] = {0, 1, 7, 1000, 65537};

// What one matrix run covers; empty vectors mean "all".
struct Matrix {
  std::vector<ncclDataType_t> types;
  std::vector<Op> ops;      // reducing collectives only
  std::vector<size_t> counts;
  bool allLayouts = true;   // false: out-of-place aligned and in-place unaligned only
};

// Runs every configuration of `m` for `coll` on this rank, then compares the cross-rank hashes.
void runMatrix(mp::Rank& R, Coll coll, const Matrix& m) {
  Runner runner(R, coll);
  const int n = R.nranks;
  uint64_t cfgIndex = 0;
  std::vector<ncclDataType_t> types = m.types;
  if (types.empty()) types.assign(mp::kAllTypes.begin(), mp::kAllTypes.end());
  std::vector<Op> ops;
  if (!reduces(coll)) ops.push_back(Op::Copy);
  else if (m.ops.empty()) ops.assign(mp::kReduceOps.begin(), mp::kReduceOps.end());
  else ops = m.ops;
  std::vector<int> layouts;
  if (coll == Coll::Bcast) layouts = {kInPlace, kInPlace | kUnaligned};
  else if (coll == Coll::AlltoAll || coll == Coll::SendRecv) layouts = {kOutOfPlace, kUnaligned};
  else if (m.allLayouts) layouts = {kOutOfPlace, kInPlace, kUnaligned, kInPlace | kUnaligned};
  else layouts = {kOutOfPlace, kInPlace | kUnaligned};
  const size_t bigCount = *std::max_element(m.counts.begin(), m.counts.end());

  for (ncclDataType_t type : types) {
    for (Op op : ops) {
      ncclRedOp_t redop = ncclSum;
      if (op == Op::PreMulSum) {
        uint64_t scalar = mp::preMulScalarBits(type);
        ncclResult_t r = ncclRedOpCreatePreMulSum(&redop, &scalar, type, ncclScalarHostImmediate, R.comm);
        ASSERT_EQ(r, ncclSuccess) << "ncclRedOpCreatePreMulSum(" << mp::typeInfo(type).name
                                  << ") -> " << mp::resultName(r) << ": " << mp::lastError(R.comm);
        ASSERT_GE(int(redop), int(ncclNumOps)) << "a PreMulSum op must not alias a built-in op";
      } else if (op != Op::Copy) {
        redop = mp::builtinOp(op);
      }
      for (size_t count : m.counts) {
        for (int layout : layouts) {
          // The largest count in two placements only, one with 8 oversubscribed ranks (speed).
          if (count == bigCount && layout != layouts.front() && (n >= 8 || layout != layouts.back())) continue;
          Config cfg{coll, type, op, count, layout, 0, 0, 0};
          cfg.root = int(cfgIndex % uint64_t(n));
          cfg.shift = int(cfgIndex % uint64_t(n));
          cfg.seed = mp::mix64(cfgIndex * 7919 + uint64_t(coll) * 131 + 17);
          ++cfgIndex;
          if (!runner.runOne(cfg, redop)) return;
        }
      }
      if (op == Op::PreMulSum) {
        ncclResult_t r = ncclRedOpDestroy(redop, R.comm);
        ASSERT_EQ(r, ncclSuccess) << "ncclRedOpDestroy -> " << mp::resultName(r) << ": "
                                  << mp::lastError(R.comm);
      }
    }
  }
  runner.compareHashes();
}

const Coll kAllColls[] = {Coll::AllReduce, Coll::AllGather, Coll::ReduceScatter, Coll::Broadcast, Coll::Bcast,
                          Coll::Reduce,    Coll::AlltoAll,  Coll::Gather,        Coll::Scatter,   Coll::SendRecv};

TEST_P(CollTest, AllTypesOpsCountsLayouts) {
  const Coll coll = GetParam().coll;
  const int nranks = GetParam().nranks;
  MP_EXPECT_RUN(mp::run(nranks, [&](mp::Rank& R) {
    Matrix m;
    m.counts.assign(std::begin(kCounts), std::end(kCounts));
    runMatrix(R, coll, m);
  }));
}

std::vector<CollParam> allParams() {
  std::vector<CollParam> v;
  for (Coll c : kAllColls)
    for (int n : {1, 2, 3, 4, 8}) v.push_back({c, n});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Colls, CollTest, ::testing::ValuesIn(allParams()), paramName);

// ---- The same checks under other settings: TCP instead of shared memory, each AllReduce
// schedule forced, tiny staging buffers and slices (many pipeline steps, no eager sends). -----

struct Tuning {
  const char* name;
  std::vector<std::pair<std::string, std::string>> env;
  int nranks = 0;  // 0: 3 and 5 ranks; else what the tuning's topology file holds
};

// Multi-node topology files (tests/mp/topologies) make every rank plan as if the ranks sat on
// nodes of unequal network bandwidth, so the topology-aware schedules run for real here.
const std::string kTwoByTwo = std::string(HCCL_TEST_TOPOLOGY_DIR) + "/two-by-two.json";
const std::string kThreeAndTwo = std::string(HCCL_TEST_TOPOLOGY_DIR) + "/three-and-two.json";
// The test NCCL net plugin (tests/plugins), in its oldest and newest ABI version.
const std::string kNetPluginV8 = std::string(HCCL_TEST_NET_PLUGIN_DIR) + "/libnccl-net-hccltest8.so";
const std::string kNetPluginV10 = std::string(HCCL_TEST_NET_PLUGIN_DIR) + "/libnccl-net-hccltest10.so";

const Tuning kTunings[] = {
    {"Tcp", {{"NCCL_SHM_DISABLE", "1"}}},
    {"Ring", {{"HCCL_ALGO", "ring"}}},
    {"RecursiveDoubling", {{"HCCL_ALGO", "rd"}}},
    {"TinyBuffers", {{"NCCL_BUFFSIZE", "65536"}, {"HCCL_SLICE_BYTES", "4096"}, {"HCCL_EAGER_BYTES", "0"}}},
    {"TcpTinyBuffers", {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_BUFFSIZE", "65536"}, {"HCCL_SLICE_BYTES", "4096"}}},
    {"TopologyChoice", {{"HCCL_TOPO_FILE", kTwoByTwo}}, 4},
    {"TopologyChoiceUnequalNodes", {{"HCCL_TOPO_FILE", kThreeAndTwo}}, 5},
    {"NodeAwareRing", {{"HCCL_TOPO_FILE", kThreeAndTwo}, {"HCCL_ALGO", "ring"}}, 5},
    {"Tree", {{"HCCL_TOPO_FILE", kTwoByTwo}, {"HCCL_ALGO", "tree"}}, 4},
    {"HalvingDoubling", {{"HCCL_TOPO_FILE", kThreeAndTwo}, {"HCCL_ALGO", "rhd"}}, 5},
    {"Hierarchical", {{"HCCL_TOPO_FILE", kTwoByTwo}, {"HCCL_ALGO", "hierarchical"}}, 4},
    {"Weighted", {{"HCCL_TOPO_FILE", kTwoByTwo}, {"HCCL_ALGO", "weighted"}}, 4},
    {"WeightedUnequalNodes", {{"HCCL_TOPO_FILE", kThreeAndTwo}, {"HCCL_ALGO", "weighted"}}, 5},
    {"NetPluginV8", {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET_PLUGIN", kNetPluginV8}}},
    {"NetPluginV10", {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET_PLUGIN", kNetPluginV10}, {"NCCL_NET", "hccltest10"}}},
#if HCCL_TEST_HAVE_UCX
    {"UcxTcp", {{"NCCL_SHM_DISABLE", "1"}, {"NCCL_NET", "UCX"}, {"UCX_TLS", "tcp"}}},
#endif
};

struct TuningParam {
  int tuning;
  int nranks;
};

void PrintTo(const TuningParam& p, std::ostream* os) { *os << kTunings[p.tuning].name << " on " << p.nranks << " ranks"; }

class CollTuningTest : public ::testing::TestWithParam<TuningParam> {};

TEST_P(CollTuningTest, AllCollectives) {
  const Tuning& t = kTunings[GetParam().tuning];
  mp::Options o;
  o.env = t.env;
  MP_EXPECT_RUN(mp::run(GetParam().nranks, [&](mp::Rank& R) {
    Matrix m;
    m.types = {ncclInt8, ncclInt64, ncclFloat16, ncclFloat32, ncclBfloat16, ncclFloat8e5m2};
    m.ops = {Op::Sum, Op::Min, Op::PreMulSum};
    m.counts = {1, 7, 1000, 70001};
    m.allLayouts = false;
    for (Coll c : kAllColls) runMatrix(R, c, m);
    // Teardown right after the last operation has its own test (DestroyAfterLastOp); wait here
    // so that this one is only about the results.
    R.barrier();
  }, o));
}

std::vector<TuningParam> tuningParams() {
  std::vector<TuningParam> v;
  for (int t = 0; t < int(std::size(kTunings)); ++t) {
    if (kTunings[t].nranks > 0) v.push_back({t, kTunings[t].nranks});
    else for (int n : {3, 5}) v.push_back({t, n});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Tunings, CollTuningTest, ::testing::ValuesIn(tuningParams()),
                         [](const ::testing::TestParamInfo<TuningParam>& p) {
                           return std::string(kTunings[p.param.tuning].name) + "_" + std::to_string(p.param.nranks) + "ranks";
                         });

// ---- Rounding: random real inputs, so the order of reduction changes the result's rounding.
// Values are checked with a tolerance for the type, and AllReduce must still give bitwise the
// same bytes on every rank. -----------------------------------------------------------------

class RoundingTest : public ::testing::TestWithParam<int> {};

TEST_P(RoundingTest, FloatSumsAgreeAcrossRanks) {
  MP_EXPECT_RUN(mp::run(GetParam(), [](mp::Rank& R) {
    Matrix m;
    m.types = {ncclFloat16, ncclFloat32, ncclFloat64, ncclBfloat16, ncclFloat8e4m3, ncclFloat8e5m2};
    m.ops = {Op::SumRounding};
    m.counts = {1, 7, 1000, 65537};
    m.allLayouts = false;
    for (Coll c : {Coll::AllReduce, Coll::ReduceScatter, Coll::Reduce}) runMatrix(R, c, m);
  }));
}

INSTANTIATE_TEST_SUITE_P(Ranks, RoundingTest, ::testing::Values(3, 5, 8),
                         [](const ::testing::TestParamInfo<int>& p) { return std::to_string(p.param) + "ranks"; });

// ---- PreMulSum scalar residence: a host-immediate scalar is read once, at creation; a
// "device" scalar (host memory on a CPU rank) is read when each collective runs. -------------

TEST(PreMulSum, ScalarResidence) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const size_t c = 1001;
    std::vector<float> in(c), out(c);
    for (size_t i = 0; i < c; ++i) in[i] = float(i % 10) + R.rank; // sum over ranks: 3*(i%10) + 3
    float immediate = 2.0f;
    ncclRedOp_t opImm, opDev;
    MP_ASSERT_OK(ncclRedOpCreatePreMulSum(&opImm, &immediate, ncclFloat32, ncclScalarHostImmediate, R.comm));
    immediate = 100.0f; // must not matter any more
    static float deviceScalar; // must outlive the op
    deviceScalar = 2.0f;
    MP_ASSERT_OK(ncclRedOpCreatePreMulSum(&opDev, &deviceScalar, ncclFloat32, ncclScalarDevice, R.comm));
    ASSERT_NE(int(opImm), int(opDev));

    MP_ASSERT_OK(ncclAllReduce(in.data(), out.data(), c, ncclFloat32, opImm, R.comm, nullptr));
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(out[i], 2.0f * float(3 * (i % 10) + 3)) << "host-immediate, element " << i;
    MP_ASSERT_OK(ncclAllReduce(in.data(), out.data(), c, ncclFloat32, opDev, R.comm, nullptr));
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(out[i], 2.0f * float(3 * (i % 10) + 3)) << "device scalar 2, element " << i;
    deviceScalar = 0.5f;
    MP_ASSERT_OK(ncclAllReduce(in.data(), out.data(), c, ncclFloat32, opDev, R.comm, nullptr));
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(out[i], 0.5f * float(3 * (i % 10) + 3)) << "device scalar 0.5, element " << i;
    // Integer PreMulSum in a ReduceScatter and a Reduce, with a different scalar per rank
    // (NCCL allows it: each rank scales its own input).
    int64_t k = R.rank + 1;
    ncclRedOp_t opInt;
    MP_ASSERT_OK(ncclRedOpCreatePreMulSum(&opInt, &k, ncclInt64, ncclScalarHostImmediate, R.comm));
    std::vector<int64_t> iin(3 * c), iout(c);
    for (size_t i = 0; i < 3 * c; ++i) iin[i] = int64_t(i);
    MP_ASSERT_OK(ncclReduceScatter(iin.data(), iout.data(), c, ncclInt64, opInt, R.comm, nullptr));
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(iout[i], 6 * int64_t(R.rank * c + i)) << "reducescatter element " << i;
    MP_ASSERT_OK(ncclReduce(iin.data(), iout.data(), c, ncclInt64, opInt, 1, R.comm, nullptr));
    if (R.rank == 1) {
      for (size_t i = 0; i < c; ++i) ASSERT_EQ(iout[i], 6 * int64_t(i)) << "reduce element " << i;
    }
    MP_EXPECT_OK(ncclRedOpDestroy(opImm, R.comm));
    MP_EXPECT_OK(ncclRedOpDestroy(opDev, R.comm));
    MP_EXPECT_OK(ncclRedOpDestroy(opInt, R.comm));
  }));
}

// ---- Larger messages: a few collectives well beyond any staging buffer. -------------------

TEST(CollLarge, FourRanks) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    Runner ar(R, Coll::AllReduce), ag(R, Coll::AllGather), rs(R, Coll::ReduceScatter),
        bc(R, Coll::Broadcast), a2a(R, Coll::AlltoAll), sr(R, Coll::SendRecv), rd(R, Coll::Reduce);
    const size_t M = 1 << 20;
    ASSERT_TRUE(ar.runOne({Coll::AllReduce, ncclFloat32, Op::Sum, 4 * M, kOutOfPlace, 0, 0, 11}, ncclSum));
    ASSERT_TRUE(ar.runOne({Coll::AllReduce, ncclBfloat16, Op::Max, 3 * M + 3, kInPlace | kUnaligned, 0, 0, 12}, ncclMax));
    ASSERT_TRUE(ag.runOne({Coll::AllGather, ncclInt8, Op::Copy, 2 * M + 1, kInPlace, 0, 0, 13}, ncclSum));
    ASSERT_TRUE(rs.runOne({Coll::ReduceScatter, ncclFloat64, Op::Sum, M, kOutOfPlace, 0, 0, 14}, ncclSum));
    ASSERT_TRUE(bc.runOne({Coll::Broadcast, ncclUint8, Op::Copy, 8 * M + 5, kOutOfPlace, 2, 0, 15}, ncclSum));
    ASSERT_TRUE(a2a.runOne({Coll::AlltoAll, ncclInt32, Op::Copy, 256 * 1024, kOutOfPlace, 0, 0, 16}, ncclSum));
    ASSERT_TRUE(sr.runOne({Coll::SendRecv, ncclFloat16, Op::Copy, 4 * M, kOutOfPlace, 0, 1, 17}, ncclSum));
    ASSERT_TRUE(rd.runOne({Coll::Reduce, ncclInt64, Op::Prod, M, kOutOfPlace, 3, 0, 18}, ncclProd));
    ar.compareHashes();
    ag.compareHashes();
    bc.compareHashes();
  }));
}

// ---- Count 0 with NULL buffers, and buffers NCCL ignores. ---------------------------------

// NCCL accepts count 0 with NULL buffers (frameworks pass empty tensors whose data pointer is
// NULL); it must succeed and do nothing.
TEST(CollEdge, CountZeroNullBuffers) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    ncclComm_t c = R.comm;
    MP_EXPECT_OK(ncclAllReduce(nullptr, nullptr, 0, ncclFloat32, ncclSum, c, nullptr));
    MP_EXPECT_OK(ncclAllGather(nullptr, nullptr, 0, ncclFloat32, c, nullptr));
    MP_EXPECT_OK(ncclReduceScatter(nullptr, nullptr, 0, ncclFloat32, ncclSum, c, nullptr));
    MP_EXPECT_OK(ncclBroadcast(nullptr, nullptr, 0, ncclFloat32, 1, c, nullptr));
    MP_EXPECT_OK(ncclBcast(nullptr, 0, ncclFloat32, 2, c, nullptr));
    MP_EXPECT_OK(ncclReduce(nullptr, nullptr, 0, ncclFloat32, ncclMax, 1, c, nullptr));
    MP_EXPECT_OK(ncclAlltoAll(nullptr, nullptr, 0, ncclFloat32, c, nullptr));
    MP_EXPECT_OK(ncclGather(nullptr, nullptr, 0, ncclFloat32, 0, c, nullptr));
    MP_EXPECT_OK(ncclScatter(nullptr, nullptr, 0, ncclFloat32, 2, c, nullptr));
    MP_EXPECT_OK(ncclGroupStart());
    MP_EXPECT_OK(ncclSend(nullptr, 0, ncclFloat32, (R.rank + 1) % R.nranks, c, nullptr));
    MP_EXPECT_OK(ncclRecv(nullptr, 0, ncclFloat32, (R.rank + 2) % R.nranks, c, nullptr));
    MP_EXPECT_OK(ncclGroupEnd());
    // And the communicator still works.
    float x = float(R.rank + 1), y = 0;
    MP_ASSERT_OK(ncclAllReduce(&x, &y, 1, ncclFloat32, ncclSum, c, nullptr));
    EXPECT_EQ(y, 6.0f);
  }));
}

// The root-only buffers of Reduce/Gather (recvbuff) and Scatter/Broadcast (sendbuff) are
// ignored on the other ranks, which may pass NULL.
TEST(CollEdge, NonRootBuffersMayBeNull) {
  MP_EXPECT_RUN(mp::run(3, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank, root = 1;
    const size_t c = 1001;
    ncclComm_t comm = R.comm;
    std::vector<int32_t> send(c * n), recv(c * n, -1);
    for (size_t i = 0; i < send.size(); ++i) send[i] = int32_t(me * 100000 + i);
    bool isRoot = me == root;

    MP_ASSERT_OK(ncclReduce(send.data(), isRoot ? recv.data() : nullptr, c, ncclInt32, ncclSum, root, comm, nullptr));
    if (isRoot) {
      for (size_t i = 0; i < c; ++i) ASSERT_EQ(recv[i], int32_t(300000 + 3 * i)) << "Reduce element " << i;
    }

    MP_ASSERT_OK(ncclGather(send.data(), isRoot ? recv.data() : nullptr, c, ncclInt32, root, comm, nullptr));
    if (isRoot) {
      for (size_t i = 0; i < c * n; ++i)
        ASSERT_EQ(recv[i], int32_t((i / c) * 100000 + i % c)) << "Gather element " << i;
    }

    std::fill(recv.begin(), recv.end(), -1);
    MP_ASSERT_OK(ncclScatter(isRoot ? send.data() : nullptr, recv.data(), c, ncclInt32, root, comm, nullptr));
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(recv[i], int32_t(root * 100000 + me * c + i)) << "Scatter element " << i;

    std::fill(recv.begin(), recv.end(), -1);
    MP_ASSERT_OK(ncclBroadcast(isRoot ? send.data() : nullptr, recv.data(), c, ncclInt32, root, comm, nullptr));
    for (size_t i = 0; i < c; ++i) ASSERT_EQ(recv[i], int32_t(root * 100000 + i)) << "Broadcast element " << i;
  }));
}

// Non-root Reduce leaves recvbuff alone; several back-to-back collectives with different roots
// and types on one comm keep their order.
TEST(CollEdge, BackToBackMixedCollectives) {
  MP_EXPECT_RUN(mp::run(4, [](mp::Rank& R) {
    const int n = R.nranks, me = R.rank;
    ncclComm_t comm = R.comm;
    for (int it = 0; it < 50; ++it) {
      int root = it % n;
      double d = me + it, dsum = 0;
      MP_ASSERT_OK(ncclAllReduce(&d, &dsum, 1, ncclFloat64, ncclSum, comm, nullptr));
      ASSERT_EQ(dsum, double(n * (n - 1) / 2 + n * it)) << "iteration " << it;
      int64_t v = me == root ? 1000 + it : -1;
      MP_ASSERT_OK(ncclBcast(&v, 1, ncclInt64, root, comm, nullptr));
      ASSERT_EQ(v, 1000 + it) << "iteration " << it;
      uint8_t mine = uint8_t(me * 3 + it), mx = 0;
      MP_ASSERT_OK(ncclReduce(&mine, &mx, 1, ncclUint8, ncclMax, root, comm, nullptr));
      if (me == root) {
        ASSERT_EQ(mx, uint8_t((n - 1) * 3 + it)) << "iteration " << it;
      }
    }
  }));
}

} // namespace
