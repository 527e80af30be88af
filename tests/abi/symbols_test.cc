// Exported symbols of hccl's libnccl.so.2, against NCCL 2.28.9's: every ncclX and pncclX that
// NCCL exports is exported (defined, dynamic, a function, unversioned), the SONAME is
// libnccl.so.2, and nothing but nccl*/pnccl*/hccl* leaks out.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

namespace {

struct Symbol {
  std::string name;
  char type;  // nm's letter: T/W/i function, D/B/R/V data...
};

bool exists(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0;
}

// Runs a command and returns its stdout; `ok` is false if it did not exit 0.
std::string run(const std::string& cmd, bool* ok) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *ok = false;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *ok = pclose(p) == 0;
  return out;
}

// Dynamic symbols the library defines, as `nm -D --defined-only` lists them.
std::vector<Symbol> definedSymbols(const std::string& lib) {
  bool ok = false;
  std::string out = run(std::string(HCCL_ABI_NM) + " -D --defined-only '" + lib + "' 2>&1", &ok);
  EXPECT_TRUE(ok) << "nm failed on " << lib << ":\n" << out;
  std::vector<Symbol> syms;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string a, b, c;
    fields >> a >> b >> c;
    if (c.empty()) {  // "TYPE NAME" (absolute symbols may lack an address)
      c = b;
      b = a;
    }
    if (b.size() == 1 && !c.empty()) syms.push_back({c, b[0]});
  }
  return syms;
}

bool isFunctionType(char t) { return t == 'T' || t == 'W' || t == 'i'; }

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// The NCCL 2.28.9 export list kept in the tree (see nccl_2_28_9_exports.txt).
std::set<std::string> expectedExports() {
  std::set<std::string> names;
  std::ifstream in(HCCL_ABI_EXPORT_LIST);
  EXPECT_TRUE(in.good()) << "cannot read " << HCCL_ABI_EXPORT_LIST;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') names.insert(line);
  return names;
}

std::string join(const std::set<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += "\n  " + n;
  return s;
}

const std::string kOurs = HCCL_ABI_LIBRARY;
const std::string kReference = HCCL_ABI_REFERENCE_LIBRARY;

}  // namespace

TEST(AbiSymbols, ExportListMatchesReferenceLibrary) {
  if (!exists(kReference))
    GTEST_SKIP() << "NCCL 2.28.9's libnccl.so.2 not found (HCCL_NCCL_REFERENCE_LIBRARY='"
                 << kReference << "'); the in-tree list is used as is";
  std::set<std::string> real;
  for (const auto& s : definedSymbols(kReference)) real.insert(s.name);
  EXPECT_EQ(real, expectedExports())
      << "nccl_2_28_9_exports.txt is out of date with " << kReference;
}

TEST(AbiSymbols, ExportsEveryNcclSymbol) {
  ASSERT_TRUE(exists(kOurs)) << kOurs << " does not exist; build target hccl";
  std::set<std::string> ours, wrongKind;
  for (const auto& s : definedSymbols(kOurs)) {
    ours.insert(s.name);
    if (startsWith(s.name, "nccl") || startsWith(s.name, "pnccl"))
      if (!isFunctionType(s.type)) wrongKind.insert(s.name + " (" + s.type + ")");
  }
  std::set<std::string> missing;
  for (const auto& name : expectedExports())
    if (ours.count(name) == 0) missing.insert(name);
  if (!missing.empty())
    ADD_FAILURE() << kOurs << " lacks " << missing.size() << " of NCCL 2.28.9's "
                  << expectedExports().size() << " exports:" << join(missing);
  if (!wrongKind.empty()) ADD_FAILURE() << "exported, but not as functions:" << join(wrongKind);
}

TEST(AbiSymbols, ExportsNothingElse) {
  ASSERT_TRUE(exists(kOurs)) << kOurs << " does not exist; build target hccl";
  const std::set<std::string> linkerSymbols = {"_init", "_fini", "__bss_start", "_edata", "_end"};
  std::set<std::string> extra, versioned;
  for (const auto& s : definedSymbols(kOurs)) {
    if (s.name.find('@') != std::string::npos) versioned.insert(s.name);
    std::string base = s.name.substr(0, s.name.find('@'));
    if (linkerSymbols.count(base) != 0) continue;
    if (startsWith(base, "nccl") || startsWith(base, "pnccl") || startsWith(base, "hccl")) continue;
    if (startsWith(base, "_Z12ncclCommDump")) continue;  // RCCL's C++ flight-recorder hook
    extra.insert(s.name + " (" + s.type + ")");
  }
  if (!extra.empty())
    ADD_FAILURE() << kOurs << " exports " << extra.size()
                  << " symbols outside nccl*/pnccl*/hccl*:" << join(extra);
  if (!versioned.empty())
    ADD_FAILURE() << "NCCL's symbols carry no version; these do:" << join(versioned);
}

TEST(AbiSymbols, SonameIsLibnccl2) {
  ASSERT_TRUE(exists(kOurs)) << kOurs << " does not exist; build target hccl";
  bool ok = false;
  std::string out = run(std::string(HCCL_ABI_READELF) + " -d '" + kOurs + "' 2>&1", &ok);
  ASSERT_TRUE(ok) << "readelf failed:\n" << out;
  std::string soname;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("(SONAME)") == std::string::npos) continue;
    auto open = line.find('['), close = line.find(']');
    if (open != std::string::npos && close != std::string::npos && close > open)
      soname = line.substr(open + 1, close - open - 1);
  }
  EXPECT_EQ(soname, "libnccl.so.2") << "SONAME of " << kOurs;
}
