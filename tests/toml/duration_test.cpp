// The one duration grammar: whole numbers with units ms, s, m, h, d, written together; a sign only
// where the caller reads a signed offset; every number at most 1,000,000,000.
#include "config/toml/duration.hpp"

#include <gtest/gtest.h>

#include <string>

namespace circuitd::toml {
namespace {

using namespace std::chrono_literals;

Duration ok(std::string_view text, Sign sign = Sign::Unsigned) {
  auto d = parseDuration(text, sign);
  EXPECT_TRUE(d) << text << ": " << d.error().what;
  return d ? *d : Duration{-1};
}

std::string whyNot(std::string_view text, Sign sign = Sign::Unsigned) {
  auto d = parseDuration(text, sign);
  EXPECT_FALSE(d) << text;
  return d ? std::string("parsed") : d.error().what;
}

TEST(TomlDuration, EveryUnit) {
  EXPECT_EQ(ok("500ms"), 500ms);
  EXPECT_EQ(ok("10s"), 10s);
  EXPECT_EQ(ok("5m"), 5min);
  EXPECT_EQ(ok("1h"), 1h);
  EXPECT_EQ(ok("2d"), 48h);
  EXPECT_EQ(ok("0s"), 0s);
}

TEST(TomlDuration, CompoundsAddUp) {
  EXPECT_EQ(ok("1m30s"), 90s);
  EXPECT_EQ(ok("1h30m"), 90min);
  EXPECT_EQ(ok("2d12h"), 60h);
  EXPECT_EQ(ok("1s500ms"), 1500ms);
  EXPECT_EQ(ok("1d1h1m1s1ms"), 86400000ms + 3600000ms + 60000ms + 1000ms + 1ms);
}

TEST(TomlDuration, SignOnlyWhereTheCallerAsksForIt) {
  EXPECT_EQ(ok("+90s", Sign::Signed), 90s);
  EXPECT_EQ(ok("-2d", Sign::Signed), -48h);
  EXPECT_EQ(ok("+1h30m", Sign::Signed), 90min);
  EXPECT_EQ(ok("250ms", Sign::Signed), 250ms) << "the sign is optional";
  EXPECT_NE(whyNot("+90s").find("no sign here"), std::string::npos);
  EXPECT_NE(whyNot("-1s").find("no sign here"), std::string::npos);
  whyNot("+", Sign::Signed);
  whyNot("--1s", Sign::Signed);
  whyNot("1s-1s", Sign::Signed);
}

TEST(TomlDuration, GarbageIsAnErrorThatShowsTheGrammar) {
  for (const char* bad : {"", "10", "s", "10 s", " 10s", "10s ", "1.5s", "10sec", "5mx", "m5",
                          "1m30", "10S", "1e3s", "0x10s", "ten minutes"}) {
    const auto why = whyNot(bad);
    EXPECT_NE(why.find("is not a duration"), std::string::npos) << bad << ": " << why;
    EXPECT_NE(why.find("\"1m30s\""), std::string::npos) << bad << ": " << why;
  }
  EXPECT_EQ(whyNot("10 sec"),
            "'10 sec' is not a duration (write whole numbers with units ms, s, m, h, d: \"500ms\", "
            "\"10s\", \"1m30s\", \"2d\")");
}

TEST(TomlDuration, OverflowIsAnError) {
  EXPECT_EQ(ok("1000000000s"), std::chrono::seconds{kMaxDurationNumber});
  EXPECT_NE(whyNot("1000000001s").find("too large"), std::string::npos);
  EXPECT_NE(whyNot("99999999999s").find("too large"), std::string::npos);
  EXPECT_NE(whyNot("99999999999999999999999s").find("too large"), std::string::npos);
  // Each part is in range but the sum is not: 110 x 10^9 days exceeds 64-bit milliseconds.
  std::string many;
  for (int i = 0; i < 110; ++i) many += "1000000000d";
  EXPECT_NE(whyNot(many).find("too large"), std::string::npos);
}

TEST(TomlDuration, ErrorsCarryNoLocation) {
  auto d = parseDuration("soon");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().where, "") << "the caller adds file:line:col and the key";
}

TEST(TomlDuration, FormatsInTheLargestExactUnitAndReadsBack) {
  EXPECT_EQ(formatDuration(1500ms), "1500ms");
  EXPECT_EQ(formatDuration(60s), "1m");
  EXPECT_EQ(formatDuration(90s), "90s");
  EXPECT_EQ(formatDuration(3600s), "1h");
  EXPECT_EQ(formatDuration(48h), "2d");
  EXPECT_EQ(formatDuration(0ms), "0ms");
  EXPECT_EQ(formatDuration(-90s), "-90s");
  for (Duration d : {Duration{1}, Duration{999}, Duration{61000}, Duration{86400000 * 3}}) {
    EXPECT_EQ(ok(formatDuration(d)), d) << formatDuration(d);
  }
  EXPECT_EQ(ok(formatDuration(-90s), Sign::Signed), -90s);
}

}  // namespace
}  // namespace circuitd::toml
