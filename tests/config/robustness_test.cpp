// Untrusted input must never crash the loader: deterministic mutations of a valid configuration
// (bytes deleted, duplicated, replaced; lines dropped or repeated) either load or fail with
// errors that each name file:line:col.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "config/config.hpp"

namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string mutate(std::string s, std::mt19937& rng) {
  static const std::string kAlphabet = "=[]{}\",.#\n 0123456789abcdefxyz_-:/\\'\t\xe4\xb8\xad";
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits && !s.empty(); ++i) {
    const auto pos = rng() % s.size();
    switch (rng() % 5) {
      case 0:
        s.erase(pos, 1 + rng() % 8);
        break;
      case 1:
        s.insert(pos, 1, kAlphabet[rng() % kAlphabet.size()]);
        break;
      case 2:
        s[pos] = kAlphabet[rng() % kAlphabet.size()];
        break;
      case 3: {  // drop the line containing pos
        const auto a = s.rfind('\n', pos), b = s.find('\n', pos);
        s.erase(a == std::string::npos ? 0 : a, b == std::string::npos ? std::string::npos : b - a);
        break;
      }
      default: {  // repeat the line containing pos
        const auto a = s.rfind('\n', pos), b = s.find('\n', pos);
        const auto start = a == std::string::npos ? 0 : a + 1;
        const auto line = s.substr(start, (b == std::string::npos ? s.size() : b) - start);
        s.insert(start, line + "\n");
      }
    }
  }
  return s;
}

TEST(ConfigRobustness, MutatedConfigsNeverCrashAndEveryErrorNamesFileLineAndColumn) {
  const fs::path src = fs::path(CIRCUITD_SOURCE_DIR) / "config/circuitd.toml";
  const auto original = readFile(src);
  ASSERT_FALSE(original.empty());
  char tmpl[] = "/tmp/circuitd-config-fuzz-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);
  const auto file = (dir / "c.toml").string();
  std::mt19937 rng(20240615);  // fixed seed: the same inputs on every run
  int failed = 0, loaded = 0;
  for (int i = 0; i < 400; ++i) {
    const auto text = mutate(original, rng);
    std::ofstream(file, std::ios::trunc) << text;
    const auto r = circuitd::config::load(file);
    if (r.config) {
      ++loaded;
      EXPECT_TRUE(r.errors.empty());
      continue;
    }
    ++failed;
    ASSERT_FALSE(r.errors.empty()) << "no config and no error for:\n" << text;
    for (const auto& e : r.errors)
      ASSERT_TRUE(std::regex_search(e.where, std::regex("^" + file + ":[0-9]+:[0-9]+")))
          << "every error names file:line:col: " << e.str() << "\nfor:\n"
          << text;
  }
  fs::remove_all(dir);
  // Both outcomes occur, so the mutations exercise the validator and not just the parser.
  EXPECT_GT(failed, 100);
  EXPECT_GT(loaded, 5);
}

}  // namespace
