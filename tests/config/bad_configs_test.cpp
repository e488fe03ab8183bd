// Every file in tests/data/config/bad/ is a configuration with known mistakes. Each ends with
// "# expect: FILE:LINE:COL KEYPATH | MESSAGE" lines (FILE relative to bad/): the loader must
// report exactly that many errors, each at that location and containing that message.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/config.hpp"

namespace {

namespace fs = std::filesystem;
const fs::path kBadDir = fs::path(CIRCUITD_SOURCE_DIR) / "tests/data/config/bad";

struct Expectation {
  std::string where;
  std::string message;
};

std::vector<std::string> badFiles() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kBadDir))
    if (e.is_regular_file() && e.path().extension() == ".toml")
      names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<Expectation> expectations(const fs::path& file) {
  std::vector<Expectation> out;
  std::ifstream in(file);
  const std::string tag = "# expect: ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(tag, 0) != 0) continue;
    const auto bar = line.find(" | ");
    if (bar == std::string::npos) continue;
    out.push_back(
        {(kBadDir / line.substr(tag.size(), bar - tag.size())).lexically_normal().string(),
         line.substr(bar + 3)});
  }
  return out;
}

class BadConfig : public ::testing::TestWithParam<std::string> {};

TEST_P(BadConfig, ReportsEachMistakeWithLocationAndMessage) {
  const auto file = kBadDir / GetParam();
  const auto expected = expectations(file);
  ASSERT_FALSE(expected.empty()) << file << " has no '# expect:' line";
  const auto r = circuitd::config::load(file.string());
  EXPECT_FALSE(r.config.has_value()) << "a bad config must not load";
  // Messages may name other files by their full path; expectations name them relative to bad/.
  auto errors = r.errors;
  const auto prefix = kBadDir.string() + "/";
  for (auto& e : errors)
    for (auto at = e.what.find(prefix); at != std::string::npos; at = e.what.find(prefix))
      e.what.erase(at, prefix.size());
  std::string all;
  for (const auto& e : errors) all += "  " + e.where + ": " + e.what + "\n";
  ASSERT_EQ(r.errors.size(), expected.size()) << "errors were:\n" << all;
  for (const auto& x : expected) {
    const bool found = std::any_of(errors.begin(), errors.end(), [&](const circuitd::Error& e) {
      // where is "file:line:col keypath", optionally followed by more context.
      return (e.where == x.where || e.where.rfind(x.where + " ", 0) == 0) &&
             e.what.find(x.message) != std::string::npos;
    });
    EXPECT_TRUE(found) << "expected at " << x.where << ": " << x.message << "\nerrors were:\n"
                       << all;
  }
}

INSTANTIATE_TEST_SUITE_P(ConfigData, BadConfig, ::testing::ValuesIn(badFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           auto n = param_info.param.substr(0, param_info.param.size() - 5);
                           std::replace_if(
                               n.begin(), n.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return n;
                         });

TEST(BadConfigSet, HasAtLeastTwentyCases) { EXPECT_GE(badFiles().size(), 20u); }

}  // namespace
