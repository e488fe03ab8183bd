// Cell-text repairs the importer relies on.
#include "domain/contract/text_util.hpp"

#include <gtest/gtest.h>

using namespace circuitd::contract::detail;

TEST(TextUtilTest, JoinsCjkWordsBrokenBySpaces) {
  EXPECT_EQ(joinPieces("社区警务室 宽带", false), "社区警务室宽带");
  EXPECT_EQ(joinPieces("平安联防一 键报警", false), "平安联防一键报警");
  EXPECT_EQ(joinPieces("接处警 3.0VPN 专线", false), "接处警3.0VPN专线");
  EXPECT_EQ(joinPieces("Hello world", false), "Hello world");
}

TEST(TextUtilTest, ClosesSiteCodesBrokenBySpaces) {
  EXPECT_EQ(joinPieces("WK-0 1通", true), "WK-01通");
  EXPECT_EQ(joinPieces("WK-0 5 四道岔便民警务站", true), "WK-05四道岔便民警务站");
  EXPECT_EQ(joinPieces("WK-1 1 农业科技大学便民警务站", true), "WK-11农业科技大学便民警务站");
  EXPECT_EQ(joinPieces("WK-1 10 紫禁城便民警务站", true), "WK-10紫禁城便民警务站");
}

TEST(TextUtilTest, DropsACjkOverlapRepeatedAtABreakOnlyWhenAsked) {
  EXPECT_EQ(joinPieces("民警 警务 站", true), "民警务站");
  EXPECT_EQ(joinPieces("民警 警务 站", false), "民警警务站");
  EXPECT_EQ(joinTwo("紫阳湖社区警务室", "务室", true), "紫阳湖社区警务室");
  EXPECT_EQ(joinTwo("九鼎市场警务", "室", true), "九鼎市场警务室");
}

TEST(TextUtilTest, ParsesMoneyRatesAndDates) {
  EXPECT_EQ(parseMoney("10800"), 10800);
  EXPECT_EQ(parseMoney("1,200.50元"), 1200.5);
  EXPECT_EQ(parseMoney("¥300"), 300);
  EXPECT_FALSE(parseMoney("九百"));
  EXPECT_FALSE(parseMoney("1.2.3"));
  EXPECT_EQ(parseBandwidth("100M"), 100);
  EXPECT_EQ(parseBandwidth("1G"), 1000);
  EXPECT_EQ(parseBandwidth("512K"), 0.512);
  EXPECT_EQ(parseBandwidth("20Mbps"), 20);
  EXPECT_FALSE(parseBandwidth("/"));
  EXPECT_EQ(findDates("2024年9月1日 -2024年12月31日"),
            (std::vector<std::string>{"2024-09-01", "2024-12-31"}));
  EXPECT_EQ(findDates("2024 年 1 月 1 日-2024 年 12 月 31 日"),
            (std::vector<std::string>{"2024-01-01", "2024-12-31"}));
  EXPECT_EQ(findDates("2025.03.01-2026.02.28"),
            (std::vector<std::string>{"2025-03-01", "2026-02-28"}));
  EXPECT_TRUE(findDates("2024年2月30日").empty());
  EXPECT_TRUE(isPlaceholder(" / "));
  EXPECT_TRUE(isPlaceholder("无"));
  EXPECT_FALSE(isPlaceholder("STN1"));
}
