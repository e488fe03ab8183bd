// The scalar formats of the configuration: durations, addresses, host:port, prefixes, dates.
#include "config/values.hpp"

#include <gtest/gtest.h>

#include "config/toml/duration.hpp"
#include "config/toml/reader.hpp"

namespace {

using namespace std::chrono_literals;
using namespace circuitd::config;
using namespace circuitd::toml;

TEST(ConfigValues, DurationsNeedAWholeNumberAndAUnit) {
  EXPECT_EQ(*parseDuration("500ms"), 500ms);
  EXPECT_EQ(*parseDuration("10s"), 10s);
  EXPECT_EQ(*parseDuration("5m"), 5min);
  EXPECT_EQ(*parseDuration("1h"), 1h);
  for (const char* bad : {"", "10", "s", "10 s", "1.5s", "-1s", "10sec", "9999999999s"})
    EXPECT_FALSE(parseDuration(bad).has_value()) << bad;
}

TEST(ConfigValues, DurationsFormatInTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(1500ms), "1500ms");
  EXPECT_EQ(formatDuration(60s), "1m");
  EXPECT_EQ(formatDuration(3600s), "1h");
  EXPECT_EQ(formatDuration(100ms), "100ms");
}

TEST(ConfigValues, AddressesAreIpLiteralsOrHostNames) {
  EXPECT_TRUE(isIpLiteral("127.0.0.1"));
  EXPECT_TRUE(isIpLiteral("::1"));
  EXPECT_FALSE(isIpLiteral("256.0.0.1"));
  EXPECT_FALSE(isIpLiteral("localhost"));
  EXPECT_TRUE(isHostname("atn-01.noc.example"));
  EXPECT_TRUE(isHostname("localhost"));
  EXPECT_FALSE(isHostname("300.1.1.1")) << "a broken IPv4 address is not a name";
  EXPECT_FALSE(isHostname("-bad.example"));
  EXPECT_FALSE(isHostname("a..b"));
  EXPECT_FALSE(isHostname("under_score"));
}

TEST(ConfigValues, HostPortNeedsAnIpAndAPort) {
  auto v4 = parseHostPort("127.0.0.1:162", false);
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 162);
  auto v6 = parseHostPort("[::1]:862", false);
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_TRUE(parseHostPort("127.0.0.1:0", true).has_value());
  EXPECT_FALSE(parseHostPort("127.0.0.1:0", false).has_value());
  EXPECT_FALSE(parseHostPort("127.0.0.1", false).has_value());
  EXPECT_FALSE(parseHostPort("::1:862", false).has_value());
  EXPECT_FALSE(parseHostPort("127.0.0.1:70000", false).has_value());
  EXPECT_FALSE(parseHostPort("host:162", false).has_value());
}

TEST(ConfigValues, CidrChecksAddressAndLength) {
  EXPECT_TRUE(checkCidr("10.1.2.0/24").has_value());
  EXPECT_TRUE(checkCidr("2001:db8::/32").has_value());
  EXPECT_FALSE(checkCidr("10.1.2.0").has_value());
  EXPECT_FALSE(checkCidr("10.1.2.0/33").has_value());
  EXPECT_FALSE(checkCidr("10.1.2/24").has_value());
}

TEST(ConfigValues, IsoDatesMustBeRealCalendarDays) {
  EXPECT_TRUE(parseIsoDate("2024-02-29").has_value());
  EXPECT_FALSE(parseIsoDate("2023-02-29").has_value());
  EXPECT_FALSE(parseIsoDate("2024-13-01").has_value());
  EXPECT_FALSE(parseIsoDate("2024/01/01").has_value());
}

TEST(ConfigValues, NearestWordSuggestsOnlyCloseTypos) {
  EXPECT_EQ(nearestWord("adress", {"name", "address", "port"}), "address");
  EXPECT_EQ(nearestWord("bandwith_mbps", {"bandwidth_mbps", "site"}), "bandwidth_mbps");
  EXPECT_EQ(nearestWord("colour", {"name", "address", "port"}), "");
}

}  // namespace
