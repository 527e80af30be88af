// ncclGroupSimulateEnd: the group's calls are estimated by the cost model, not run.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mp_harness.h"

namespace {

// The estimate for one AllReduce of `count` floats, which must leave `data` untouched.
float simulateAllReduce(mp::Rank& R, std::vector<float>& data, size_t count) {
  EXPECT_EQ(ncclGroupStart(), ncclSuccess);
  EXPECT_EQ(ncclAllReduce(data.data(), data.data(), count, ncclFloat, ncclSum, R.comm, nullptr), ncclSuccess);
  ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
  EXPECT_EQ(ncclGroupSimulateEnd(&sim), ncclSuccess) << mp::lastError();
  for (size_t i = 0; i < count; ++i)
    if (data[i] != 1.0f) {
      ADD_FAILURE() << "a simulated AllReduce changed element " << i;
      break;
    }
  return sim.estimatedTime;
}

TEST(GroupSimulateEnd, EstimatesWithoutRunning) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    std::vector<float> data(size_t{4} << 20, 1.0f);
    float small = simulateAllReduce(R, data, 256);
    float large = simulateAllReduce(R, data, data.size());
    EXPECT_TRUE(std::isfinite(small) && small > 0) << small;
    EXPECT_GT(large, small * 10) << "16 MiB should take much longer than 1 KiB";
    // The communicator is in step on every rank afterwards.
    MP_ASSERT_OK(ncclAllReduce(data.data(), data.data(), 16, ncclFloat, ncclSum, R.comm, nullptr));
    EXPECT_EQ(data[0], 2.0f);
  }));
}

TEST(GroupSimulateEnd, RejectsMisuse) {
  MP_EXPECT_RUN(mp::run(2, [](mp::Rank& R) {
    ncclSimInfo_t sim = NCCL_SIM_INFO_INITIALIZER;
    EXPECT_EQ(ncclGroupSimulateEnd(&sim), ncclInvalidUsage) << "no group is open";
    MP_ASSERT_OK(ncclGroupStart());
    EXPECT_EQ(ncclGroupSimulateEnd(nullptr), ncclInvalidArgument);
    ncclSimInfo_t unset = {};
    EXPECT_EQ(ncclGroupSimulateEnd(&unset), ncclInvalidArgument) << "not from NCCL_SIM_INFO_INITIALIZER";
    MP_ASSERT_OK(ncclGroupStart());
    EXPECT_EQ(ncclGroupSimulateEnd(&sim), ncclInvalidUsage) << "a nested group";
    MP_ASSERT_OK(ncclGroupEnd());
    MP_ASSERT_OK(ncclGroupSimulateEnd(&sim));
    std::vector<float> data(16, 1.0f);
    MP_ASSERT_OK(ncclAllReduce(data.data(), data.data(), 16, ncclFloat, ncclSum, R.comm, nullptr));
    EXPECT_EQ(data[0], 2.0f);
  }));
}

}  // namespace
