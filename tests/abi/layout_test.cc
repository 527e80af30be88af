// Header layout: hccl's nccl.h against NVIDIA's NCCL 2.28.9 nccl.h (+ nccl_device.h), fact by
// fact: enum values, macros, sizes and offsets, initializer contents, function types.
// The two tables come from different translation units (table_real.cc, table_ours.cc,
// table_ours_c.c), each compiled against one header only.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "abi_table.h"

#ifndef HCCL_ABI_HAVE_REFERENCE
#define HCCL_ABI_HAVE_REFERENCE 0
#endif

namespace {

std::string describe(const AbiEntry& e) {
  std::string s = std::to_string(e.value);
  if (e.text != nullptr) s += " \"" + std::string(e.text) + "\"";
  return s;
}

bool same(const AbiEntry& a, const AbiEntry& b) {
  if (a.value != b.value) return false;
  if ((a.text == nullptr) != (b.text == nullptr)) return false;
  return a.text == nullptr || std::strcmp(a.text, b.text) == 0;
}

std::unique_ptr<AbiTable> fill(void (*filler)(AbiTable*)) {
  auto table = std::make_unique<AbiTable>();
  filler(table.get());
  return table;
}

std::map<std::string, AbiEntry> byName(const AbiTable& t) {
  std::map<std::string, AbiEntry> m;
  for (int i = 0; i < t.count; ++i) m[t.entries[i].name] = t.entries[i];
  return m;
}

// Every entry of `ours` must exist in `ref` with the same value; every entry of `ref` that
// `ours` can express (function types only in C++) must exist in `ours`.
void compareTables(const AbiTable& ours, const AbiTable& ref, bool oursHasFunctionTypes,
                   const char* what) {
  ASSERT_FALSE(ours.overflow) << what << ": raise ABI_TABLE_CAPACITY";
  ASSERT_FALSE(ref.overflow) << "reference: raise ABI_TABLE_CAPACITY";
  auto oursMap = byName(ours);
  auto refMap = byName(ref);
  int compared = 0;
  for (const auto& [name, r] : refMap) {
    bool isFunctionType = name.rfind("type of ", 0) == 0;
    auto it = oursMap.find(name);
    if (it == oursMap.end()) {
      if (isFunctionType && !oursHasFunctionTypes) continue;
      ADD_FAILURE() << what << ": `" << name << "` is missing (NCCL 2.28.9: " << describe(r)
                    << ")";
      continue;
    }
    ++compared;
    if (!same(it->second, r))
      ADD_FAILURE() << what << ": `" << name << "` is " << describe(it->second)
                    << ", NCCL 2.28.9 has " << describe(r);
  }
  for (const auto& [name, o] : oursMap)
    if (refMap.count(name) == 0)
      ADD_FAILURE() << what << ": `" << name << "` (" << describe(o)
                    << ") is not in the reference table";
  EXPECT_GT(compared, 200) << what << ": suspiciously few entries compared";
  std::printf("%s: %d entries compared\n", what, compared);
}

}  // namespace

#if HCCL_ABI_HAVE_REFERENCE
extern "C" void abiFillReference(AbiTable* table);
#endif

TEST(AbiLayout, CxxHeaderMatchesNccl2289) {
#if HCCL_ABI_HAVE_REFERENCE
  auto ours = fill(abiFillOursCxx);
  auto ref = fill(abiFillReference);
  compareTables(*ours, *ref, true, "hccl nccl.h (C++)");
#else
  GTEST_SKIP() << "NVIDIA's NCCL 2.28.9 nccl.h was not found at configure time "
                  "(HCCL_NCCL_REFERENCE_INCLUDE_DIR); nothing to compare against";
#endif
}

TEST(AbiLayout, CHeaderMatchesNccl2289) {
#if HCCL_ABI_HAVE_REFERENCE
  auto ours = fill(abiFillOursC);
  auto ref = fill(abiFillReference);
  compareTables(*ours, *ref, false, "hccl nccl.h (C11)");
#else
  GTEST_SKIP() << "NVIDIA's NCCL 2.28.9 nccl.h was not found at configure time "
                  "(HCCL_NCCL_REFERENCE_INCLUDE_DIR); nothing to compare against";
#endif
}

// Runs everywhere: C and C++ see one layout, and a few x86-64 facts pinned from 2.28.9 so that
// machines without NVIDIA's header still catch gross breakage.
TEST(AbiLayout, CAndCxxAgree) {
  auto cxx = fill(abiFillOursCxx);
  auto c = fill(abiFillOursC);
  compareTables(*c, *cxx, false, "hccl nccl.h, C vs C++");
}

TEST(AbiLayout, PinnedFactsLp64) {
  if (sizeof(void*) != 8) GTEST_SKIP() << "pinned values are for LP64";
  auto m = byName(*fill(abiFillOursCxx));
  const std::pair<const char*, long long> pinned[] = {
      {"NCCL_VERSION_CODE", 22809},
      {"sizeof(ncclUniqueId)", 128},
      {"sizeof(ncclConfig_t)", 80},
      {"offsetof(ncclConfig_t, commName)", 48},
      {"cfg.magic", 0xcafebeef},
      {"sizeof(ncclSimInfo_t)", 24},
      {"sim.magic", 0x74685283},
      {"sizeof(ncclRedOp_t)", 4},
      {"ncclMaxRedOp", 0x7fffffff},
      {"ncclNumTypes", 12},
      {"sizeof(ncclTeam_t)", 12},
      {"sizeof(ncclDevResourceRequirements_t)", 56},
      {"sizeof(ncclTeamRequirements_t)", 32},
      {"sizeof(ncclDevCommRequirements_t)", 56},
      {"sizeof(ncclDevComm_t)", 200},
  };
  for (const auto& [name, value] : pinned) {
    auto it = m.find(name);
    if (it == m.end()) {
      ADD_FAILURE() << "`" << name << "` is missing from the table";
      continue;
    }
    EXPECT_EQ(it->second.value, value) << "`" << name << "`";
  }
}
