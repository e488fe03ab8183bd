#include "domain/core/result.hpp"

#include <gtest/gtest.h>

using namespace circuitd;

namespace {
Result<int> parsePositive(int v) {
  if (v <= 0) return fail("row 3", "value must be positive");
  return v;
}
}  // namespace

TEST(ResultTest, CarriesValueOrLocatedError) {
  auto ok = parsePositive(4);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, 4);
  auto bad = parsePositive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().str(), "row 3: value must be positive");
  EXPECT_EQ(bad.value_or(7), 7);
}

TEST(ResultTest, StringValuesAreNotMistakenForErrors) {
  Result<std::string> s = std::string("fine");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, "fine");
  Result<void> v;
  EXPECT_TRUE(v);
  Result<void> e = fail("", "broken");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().str(), "broken");
}
