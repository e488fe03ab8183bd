// The contract importer against the seed contract (facts pinned by the issue, then the whole
// golden document) and three more contract texts with other layouts and other mistakes.
#include "domain/contract/import.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>

#include "domain/contract/text_util.hpp"

using namespace circuitd::contract;

namespace {

const std::string kDataDir = std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/contract/";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses a file from tests/data/contract with its bare name as the source, as the goldens were
// written (so locations in details do not depend on the checkout path).
ImportResult importData(const std::string& name) {
  auto r = parseContractText(readFile(kDataDir + name), name);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().str());
  return r ? *r : ImportResult{};
}

std::vector<int> rowsOfKind(const ImportResult& r, const std::string& kind) {
  std::vector<int> rows;
  for (const auto& a : r.anomalies)
    if (a.kind == kind) rows.insert(rows.end(), a.rows.begin(), a.rows.end());
  std::sort(rows.begin(), rows.end());
  return rows;
}

const ContractCircuit& row(const ImportResult& r, int seq) {
  for (const auto& c : r.circuits)
    if (c.seq == seq) return c;
  ADD_FAILURE() << "no row " << seq;
  static ContractCircuit none;
  return none;
}

// The first line where two documents differ, for a readable failure message.
std::string firstDifference(const std::string& actual, const std::string& expected) {
  std::istringstream a(actual), e(expected);
  std::string la, le;
  for (int n = 1;; ++n) {
    const bool ga = static_cast<bool>(std::getline(a, la)),
               ge = static_cast<bool>(std::getline(e, le));
    if (!ga && !ge) return "documents are equal";
    if (ga != ge || la != le)
      return "line " + std::to_string(n) + ":\n  actual:   " + (ga ? la : "<end>") +
             "\n  expected: " + (ge ? le : "<end>");
  }
}

const Anomaly* duplicateOf(const ImportResult& r, const std::string& id) {
  for (const auto& a : r.anomalies)
    if (a.kind == kDuplicateLinkId && a.link_id == id) return &a;
  return nullptr;
}

}  // namespace

// --- the seed contract: every fact the issue pins, asserted on its own --------------------------

class SeedContractTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { seed_ = new ImportResult(importData("XJWLM2405957CGN00.txt")); }
  static void TearDownTestSuite() { delete seed_; }
  static ImportResult* seed_;
};
ImportResult* SeedContractTest::seed_ = nullptr;

TEST_F(SeedContractTest, ReadsHeaderFactsFromTheContractBody) {
  const auto& c = seed_->contract;
  EXPECT_EQ(c.number, "XJWLM2405957CGN00");
  EXPECT_EQ(c.customer, "新疆乌鲁木齐垦区公安局");
  EXPECT_EQ(c.carrier, "中国电信股份有限公司乌鲁木齐分公司");
  EXPECT_EQ(c.period_start, "2024-01-01");
  EXPECT_EQ(c.period_end, "2024-12-31");
  EXPECT_EQ(c.declared_count, 121);
  EXPECT_EQ(c.hotline, "8008281000");
  ASSERT_TRUE(c.declared_total);
  EXPECT_DOUBLE_EQ(*c.declared_total, 560000);
}

TEST_F(SeedContractTest, Lists121CircuitsWhoseAnnualFeesAddUpToTheDeclaredTotal) {
  ASSERT_EQ(seed_->circuits.size(), 121u);
  for (int i = 0; i < 121; ++i) EXPECT_EQ(seed_->circuits[i].seq, i + 1);
  EXPECT_DOUBLE_EQ(seed_->contract.computed_total, 560000);
  EXPECT_TRUE(rowsOfKind(*seed_, kTotalMismatch).empty());
  for (const auto& a : seed_->anomalies) EXPECT_NE(a.kind, kCountMismatch) << a.detail;
}

TEST_F(SeedContractTest, FindsTheThreeDuplicatedLinkIdsWithTheirRows) {
  const Anomaly* stn = duplicateOf(*seed_, "STN09914490812");
  ASSERT_NE(stn, nullptr);
  EXPECT_EQ(stn->rows, (std::vector<int>{52, 53, 54, 57, 58, 61, 62, 64, 65}));
  const Anomaly* broadband = duplicateOf(*seed_, "099187410098");
  ASSERT_NE(broadband, nullptr);
  EXPECT_EQ(broadband->rows, (std::vector<int>{67, 87}));
  const Anomaly* vpn = duplicateOf(*seed_, "0991910379794");
  ASSERT_NE(vpn, nullptr);
  EXPECT_EQ(vpn->rows, (std::vector<int>{50, 108}));
  EXPECT_EQ(rowsOfKind(*seed_, kDuplicateLinkId).size(), 13u);
}

TEST_F(SeedContractTest, FindsMissingRepairedAndMalformedLinkIdsOnExactRows) {
  EXPECT_EQ(rowsOfKind(*seed_, kMissingLinkId), (std::vector<int>{55, 56, 59, 63, 66}));
  EXPECT_EQ(rowsOfKind(*seed_, kRepairedLinkId), (std::vector<int>{2, 9, 10, 11, 23, 26}));
  EXPECT_EQ(rowsOfKind(*seed_, kMalformedLinkId), (std::vector<int>{79}));
  EXPECT_EQ(row(*seed_, 2).link_id, "IPRANXJ1002180395");
  EXPECT_EQ(row(*seed_, 2).raw_link_id, "IPRANXJ10021803 95");
  EXPECT_EQ(row(*seed_, 9).link_id, "XJIPRAN099134013051");
  EXPECT_FALSE(row(*seed_, 79).link_id);
  EXPECT_EQ(row(*seed_, 79).raw_link_id, "09918085161T");
  EXPECT_FALSE(row(*seed_, 63).link_id);
  EXPECT_EQ(row(*seed_, 63).raw_link_id, "/");
}

TEST_F(SeedContractTest, MissingOrDuplicatedLinkIdsGetContractRowKeysAndReview) {
  for (int seq : {55, 56, 59, 63, 66, 79, 52, 53, 67, 87, 50, 108}) {
    EXPECT_EQ(row(*seed_, seq).key, "XJWLM2405957CGN00#" + std::to_string(seq));
    EXPECT_TRUE(row(*seed_, seq).review) << seq;
  }
  EXPECT_EQ(row(*seed_, 1).key, "STN09913418236");
  EXPECT_FALSE(row(*seed_, 1).review);
  EXPECT_EQ(row(*seed_, 2).key, "IPRANXJ1002180395");
  std::set<std::string> keys;
  for (const auto& c : seed_->circuits)
    EXPECT_TRUE(keys.insert(c.key).second) << "duplicate key " << c.key;
}

TEST_F(SeedContractTest, PartYearRow23AndFreeRow11AreNotFeeMismatches) {
  EXPECT_TRUE(rowsOfKind(*seed_, kFeeMismatch).empty());
  const auto& r23 = row(*seed_, 23);
  EXPECT_EQ(r23.term_start, "2024-09-01");
  EXPECT_EQ(r23.term_end, "2024-12-31");
  EXPECT_DOUBLE_EQ(r23.monthly_fee, 200);
  EXPECT_DOUBLE_EQ(r23.annual_fee, 800);
  const auto& r11 = row(*seed_, 11);
  EXPECT_FALSE(r11.term_start);
  EXPECT_FALSE(r11.term_end);
  EXPECT_DOUBLE_EQ(r11.annual_fee, 0);
}

TEST_F(SeedContractTest, JoinsTheSiteSplitOverRows28To30) {
  for (int seq : {28, 29, 30}) EXPECT_EQ(row(*seed_, seq).site, "WK-01通嘉世纪城便民警务站") << seq;
  EXPECT_EQ(row(*seed_, 30).service, "平安联防一键报警");
  EXPECT_FALSE(row(*seed_, 30).bandwidth_mbps);
  for (int seq : {37, 38, 39, 40})
    EXPECT_EQ(row(*seed_, seq).site, "WK-04西城印象西区便民警务站") << seq;
  const auto inferred = rowsOfKind(*seed_, kSiteInferred);
  for (int seq : {28, 29, 30})
    EXPECT_TRUE(std::count(inferred.begin(), inferred.end(), seq)) << seq;
}

TEST_F(SeedContractTest, Rows23To27TakeTheUnitsAsSitesUnderThe350MGroup) {
  const std::vector<std::pair<int, std::string>> expected{{23, "一分局"},
                                                          {24, "老君庙派出所"},
                                                          {25, "兴坪派出所"},
                                                          {26, "交河西派出所"},
                                                          {27, "桃园派出所"}};
  for (const auto& [seq, site] : expected) {
    EXPECT_EQ(row(*seed_, seq).site, site) << seq;
    EXPECT_EQ(row(*seed_, seq).service, "350M基站电路") << seq;
  }
  EXPECT_EQ(row(*seed_, 22).site, "桃园派出所");
  EXPECT_EQ(row(*seed_, 28).service, "视频调度");
}

TEST_F(SeedContractTest, SplitsRows85To94WhereSiteAndServiceShareACell) {
  const std::vector<std::string> sites{
      "融南社区警务室",     "融北社区警务室", "桃园社区警务室",     "通嘉社区警务室",
      "常州街南社区警务室", "新天润站警务室", "常州街北社区警务室", "南渡路西社区警务室",
      "悦府山水社区警务室", "山南警务室"};
  for (int i = 0; i < 10; ++i) {
    const auto& c = row(*seed_, 85 + i);
    EXPECT_EQ(c.site, sites[i]) << 85 + i;
    EXPECT_EQ(c.service, "社区警务室宽带") << 85 + i;
    ASSERT_TRUE(c.bandwidth_mbps);
    EXPECT_DOUBLE_EQ(*c.bandwidth_mbps, 100);
    EXPECT_DOUBLE_EQ(c.monthly_fee, 50);
    EXPECT_DOUBLE_EQ(c.annual_fee, 600);
    EXPECT_EQ(c.term_start, "2024-01-01");
  }
  EXPECT_EQ(row(*seed_, 86).link_id, "09914001846");
}

TEST_F(SeedContractTest, CarriesMergedSitesDownAndJoinsCellsBrokenByPageHeaders) {
  EXPECT_EQ(row(*seed_, 2).site, "交警大队");
  EXPECT_EQ(row(*seed_, 5).site, "乌垦局");
  EXPECT_EQ(row(*seed_, 44).site, "WK-05四道岔便民警务站");
  EXPECT_EQ(row(*seed_, 60).site, "WK-10紫禁城便民警务站");  // across the page header before row 60
  EXPECT_EQ(row(*seed_, 73).site, "九鼎市场警务室");  // "室" overflowed past the page header
  EXPECT_EQ(row(*seed_, 84).site,
            "紫阳湖社区警务室");  // the repeated "务室" fragment is not doubled
  EXPECT_EQ(row(*seed_, 74).site, "西城北社区警务室");
  EXPECT_EQ(row(*seed_, 74).service, "社区警务室宽带");
  EXPECT_EQ(row(*seed_, 5).service, "接处警3.0VPN专线");
  EXPECT_EQ(row(*seed_, 22).service, "接处警3.0VPN专线");
  EXPECT_EQ(row(*seed_, 95).site, "瀚海门警务室");
  const auto inferred = rowsOfKind(*seed_, kSiteInferred);
  for (int seq : {2, 4, 5, 42, 43, 44, 73})
    EXPECT_TRUE(std::count(inferred.begin(), inferred.end(), seq)) << seq;
  for (int seq : {1, 3, 41, 67, 74, 95, 121})
    EXPECT_FALSE(std::count(inferred.begin(), inferred.end(), seq)) << seq;
}

// --- golden documents: the whole --json output, verified by hand against each text ------------

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, JsonMatchesTheHandCheckedGolden) {
  const std::string name = GetParam();
  const ImportResult r = importData(name + ".txt");
  const std::string expected = readFile(kDataDir + name + ".expected.json");
  const std::string actual = toJson(r);
  EXPECT_TRUE(actual == expected)
      << firstDifference(actual, expected)
      << "\nregenerate only after checking every row by hand: circuitctl import-contract " << name
      << ".txt --json (run inside tests/data/contract)";
}

INSTANTIATE_TEST_SUITE_P(Contracts, GoldenTest,
                         ::testing::Values("XJWLM2405957CGN00", "SLA-MSTP-2025-0417",
                                           "NX-ZX-2024-118", "XJ-KS-2025-0009"),
                         [](const auto& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// --- the other three texts: their distinctive mistakes asserted explicitly ---------------------

TEST(OtherContractsTest, PipeTableWithRepeatedHeaderDittoMarksAndPartMonthTerm) {
  const auto r = importData("SLA-MSTP-2025-0417.txt");
  ASSERT_EQ(r.circuits.size(), 8u);
  EXPECT_EQ(r.contract.hotline, "400-888-0991");
  EXPECT_EQ(row(r, 2).site, "应急指挥中心");  // "同上"
  EXPECT_DOUBLE_EQ(*row(r, 2).bandwidth_mbps, 1000);
  EXPECT_DOUBLE_EQ(*row(r, 5).bandwidth_mbps, 0.512);
  EXPECT_EQ(rowsOfKind(r, kMissingLinkId), (std::vector<int>{4}));
  EXPECT_EQ(rowsOfKind(r, kMalformedLinkId), (std::vector<int>{7}));
  EXPECT_EQ(rowsOfKind(r, kDuplicateLinkId), (std::vector<int>{5, 6}));
  // Row 7 runs 15 July to 28 February: 17/31 of July plus seven months matches 11700.
  EXPECT_EQ(rowsOfKind(r, kFeeMismatch), (std::vector<int>{6}));
  EXPECT_DOUBLE_EQ(r.contract.computed_total, 105900);
}

TEST(OtherContractsTest, SpaceAlignedTableWhoseTotalDoesNotAddUp) {
  const auto r = importData("NX-ZX-2024-118.txt");
  ASSERT_EQ(r.circuits.size(), 7u);
  EXPECT_EQ(r.contract.period_start, "2024-07-01");  // from 12.1: clause 6.1 names no period
  EXPECT_DOUBLE_EQ(r.contract.computed_total, 52800);
  EXPECT_DOUBLE_EQ(*r.contract.declared_total, 48000);
  int totals = 0, counts = 0;
  for (const auto& a : r.anomalies) {
    totals += a.kind == kTotalMismatch;
    counts += a.kind == kCountMismatch;
  }
  EXPECT_EQ(totals, 2);  // clause 6.1 and the table's own total row both disagree
  EXPECT_EQ(counts, 2);  // 7 rows against 8 declared, and row 7 missing
  EXPECT_EQ(rowsOfKind(r, kFeeMismatch), (std::vector<int>{8}));
  EXPECT_EQ(row(r, 5).site, "东关派出所");
  EXPECT_EQ(row(r, 6).site, "东关派出所");
}

TEST(OtherContractsTest, TabTableWithGroupMergedCellsPageBreakAndReusedRowNumber) {
  const auto r = importData("XJ-KS-2025-0009.txt");
  ASSERT_EQ(r.circuits.size(), 12u);
  EXPECT_EQ(row(r, 6).site, "交警大队");
  EXPECT_EQ(row(r, 6).service, "应急通信电路");
  EXPECT_EQ(r.circuits[7].site, "河滨社区警务室");
  EXPECT_EQ(r.circuits[7].service, "社区警务室宽带");
  EXPECT_EQ(r.circuits[9].key, "XJ-KS-2025-0009#10");
  EXPECT_EQ(r.circuits[10].key, "XJ-KS-2025-0009#10.2");
  EXPECT_EQ(rowsOfKind(r, kCountMismatch), (std::vector<int>{10}));
  EXPECT_EQ(rowsOfKind(r, kMalformedLinkId), (std::vector<int>{9}));
  EXPECT_EQ(rowsOfKind(r, kFeeMismatch), (std::vector<int>{11}));
}

// --- robustness ---------------------------------------------------------------------------------

TEST(ContractInputTest, RejectsEmptyBinaryAndNonUtf8Input) {
  EXPECT_FALSE(parseContractText("", "x.txt"));
  EXPECT_FALSE(parseContractText("   \n\n", "x.txt"));
  const std::string binary(
      "\x7f"
      "ELF\x02\x01\x01\x00\x00",
      9);
  auto r = parseContractText(binary, "x.bin");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("binary"), std::string::npos);
  auto gbk = parseContractText("\xba\xcf\xcd\xac\xb1\xe0\xba\xc5", "gbk.txt");  // 合同编号 in GBK
  ASSERT_FALSE(gbk);
  EXPECT_NE(gbk.error().what.find("UTF-8"), std::string::npos);
}

TEST(ContractInputTest, RejectsTextThatIsNotAContract) {
  auto r = parseContractText("Dear team,\nthe meeting moves to Friday.\n", "mail.txt");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what.find("not a circuit contract"), std::string::npos);
  auto no_table = parseContractText("合同编号：AB123456\n甲方：某局\n", "c.txt");
  ASSERT_FALSE(no_table);
  EXPECT_NE(no_table.error().what.find("no circuit table"), std::string::npos);
}

TEST(ContractInputTest, NamesTheLineOfABadFee) {
  const std::string text =
      "合同编号：AB123456\n序号\t单位\t网络类型\t链路号\t带宽\t资费 (元/月)\t年资费 "
      "(元)\t计划租赁期限\n"
      "1\t甲站\t公安网\tSTN09910000001\t100M\t九百\t10800\t/\n";
  auto r = parseContractText(text, "c.txt");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().where, "c.txt:3 row 1");
  EXPECT_NE(r.error().what.find("monthly fee"), std::string::npos);
}

TEST(ContractInputTest, TruncatedTextsNeverCrash) {
  // Every prefix of the seed contract either imports or fails with an error naming the input.
  const std::string text = readFile(kDataDir + "XJWLM2405957CGN00.txt");
  for (std::size_t n = 0; n < text.size(); n += 997) {
    auto r = parseContractText(std::string_view(text).substr(0, n), "cut.txt");
    if (!r) {
      EXPECT_EQ(r.error().where.rfind("cut.txt", 0), 0u);
    }
  }
}

TEST(ContractInputTest, MutatedTextsNeverCrash) {
  // Deterministic mutations of the seed: cells gain or lose tabs, ids and fees lose digits.
  // Mutated by code point so that the text stays UTF-8 and reaches the table parser.
  const std::u32string text = detail::decode(readFile(kDataDir + "XJWLM2405957CGN00.txt"));
  const std::u32string alphabet = U"\t\t  /0123456789M.|-合计序号室\n";
  std::uint32_t state = 12345;
  auto next = [&state] { return state = state * 1664525u + 1013904223u; };
  int imported = 0;
  for (int round = 0; round < 200; ++round) {
    std::u32string t = text;
    for (int k = 0; k < 20; ++k) {
      const std::size_t pos = next() % t.size();
      switch (next() % 3) {
        case 0:
          t.erase(pos, 1 + next() % 3);
          break;
        case 1:
          t.insert(pos, 1, alphabet[next() % alphabet.size()]);
          break;
        default:
          t[pos] = alphabet[next() % alphabet.size()];
          break;
      }
    }
    auto r = parseContractText(detail::encode(t), "mutated.txt");
    if (r) {
      ++imported;
      EXPECT_FALSE(r->circuits.empty());
      EXPECT_FALSE(toJson(*r).empty());
    } else {
      EXPECT_EQ(r.error().where.rfind("mutated.txt", 0), 0u) << r.error().str();
    }
  }
  EXPECT_GT(imported, 0);    // some mutations only damage the prose
  EXPECT_LT(imported, 200);  // and some break a row badly enough to be refused
}

// --- outputs
// --------------------------------------------------------------------------------------

TEST(InventoryTomlTest, WritesOneCircuitTablePerRowWithHeaderComment) {
  const auto r = importData("XJWLM2405957CGN00.txt");
  const std::string toml =
      toInventoryToml(r, {"circuitctl import-contract test", "/x/seed.txt", "2024-11-20"});
  EXPECT_EQ(toml.rfind("# Generated by circuitctl import-contract test on 2024-11-20\n", 0), 0u);
  EXPECT_NE(toml.find("# Source: /x/seed.txt"), std::string::npos);
  EXPECT_NE(toml.find("XJWLM2405957CGN00"), std::string::npos);
  EXPECT_NE(toml.find("[[topology]]"), std::string::npos);
  std::size_t tables = 0;
  for (std::size_t p = toml.find("[[circuit]]"); p != std::string::npos;
       p = toml.find("[[circuit]]", p + 1))
    ++tables;
  EXPECT_EQ(tables, 121u);
  // Row 55: no link id line, contract-row key, review; row 30: no bandwidth line.
  const auto at55 = toml.find("key = \"XJWLM2405957CGN00#55\"");
  ASSERT_NE(at55, std::string::npos);
  const std::string block55 = toml.substr(at55, toml.find("[[circuit]]", at55) - at55);
  EXPECT_EQ(block55.find("link_id"), std::string::npos);
  EXPECT_NE(block55.find("row = 55\n"), std::string::npos);
  EXPECT_NE(block55.find("review = true\n"), std::string::npos);
  const auto at30 = toml.find("key = \"18146951939\"");
  ASSERT_NE(at30, std::string::npos);
  const std::string block30 = toml.substr(at30, toml.find("[[circuit]]", at30) - at30);
  EXPECT_EQ(block30.find("bandwidth_mbps"), std::string::npos);
  EXPECT_NE(block30.find("monthly_fee = 30.0\n"), std::string::npos);
  const auto at11 = toml.find("key = \"IPRANXJ1001750472\"");
  const std::string block11 = toml.substr(at11, toml.find("[[circuit]]", at11) - at11);
  EXPECT_EQ(block11.find("term_start"), std::string::npos);
  EXPECT_NE(block11.find("annual_fee = 0.0\n"), std::string::npos);
}

TEST(InventoryTomlTest, EscapesQuotesAndBackslashesInStrings) {
  ImportResult r;
  r.contract.number = "N1";
  ContractCircuit c;
  c.seq = 1;
  c.key = "N1#1";
  c.site = "A \"quoted\" \\ site";
  r.circuits.push_back(c);
  const std::string toml = toInventoryToml(r, {"g", "s", "d"});
  EXPECT_NE(toml.find("site = \"A \\\"quoted\\\" \\\\ site\"\n"), std::string::npos);
}

TEST(SummaryTest, GroupsAnomaliesByKindWithRowNumbers) {
  const auto r = importData("XJWLM2405957CGN00.txt");
  const std::string s = summaryText(r);
  EXPECT_NE(s.find("missing_link_id (5): rows 55, 56, 59, 63, 66\n"), std::string::npos) << s;
  EXPECT_NE(s.find("repaired_link_id (6): rows 2, 9-11, 23, 26\n"), std::string::npos) << s;
  EXPECT_NE(s.find("malformed_link_id (1): row 79\n"), std::string::npos) << s;
  EXPECT_NE(s.find("STN09914490812 appears on 9 rows"), std::string::npos) << s;
  EXPECT_EQ(s.find("fee_mismatch"), std::string::npos) << s;
}

TEST(ToCircuitsTest, CarriesKeysRowsAndMoneyIntoTheDomainInventory) {
  const auto r = importData("XJWLM2405957CGN00.txt");
  const auto circuits = toCircuits(r);
  ASSERT_EQ(circuits.size(), 121u);
  EXPECT_EQ(circuits[54].key, "XJWLM2405957CGN00#55");
  EXPECT_EQ(circuits[54].link_id, "");
  EXPECT_EQ(circuits[54].contract_row, 55);
  EXPECT_EQ(circuits[22].site, "一分局");
  EXPECT_DOUBLE_EQ(circuits[22].monthly_fee, 200);
  EXPECT_EQ(circuits[22].term_start, "2024-09-01");
}
