// NetBox circuit export: RFC 4180 quoting, BOM, CRLF, and the same link-id checks as contracts.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "domain/contract/import.hpp"

using namespace circuitd::contract;

namespace {

std::string readData(const std::string& name) {
  std::ifstream in(std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/contract/" + name,
                   std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kHeader =
    "cid,provider,type,status,tenant,install_date,termination_date,commit_rate,description\n";

}  // namespace

TEST(NetboxCsvTest, ReadsTheExportWithBomCrlfAndQuotedFields) {
  const std::string csv = readData("netbox_circuits.csv");
  ASSERT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  ASSERT_NE(csv.find("\r\n"), std::string::npos);
  auto r = parseNetboxCsv(csv, "netbox_circuits.csv", "netbox_circuits");
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->circuits.size(), 6u);
  EXPECT_EQ(r->contract.number, "netbox_circuits");
  EXPECT_EQ(r->contract.customer, "新疆乌鲁木齐垦区公安局");
  EXPECT_EQ(r->contract.carrier, "China Telecom");
  const auto& c = r->circuits;
  EXPECT_EQ(c[0].link_id, "STN09914494374");
  EXPECT_EQ(c[0].site, "乌垦局");
  EXPECT_EQ(c[0].service, "视频调度");
  EXPECT_DOUBLE_EQ(*c[0].bandwidth_mbps, 100);
  EXPECT_EQ(c[0].term_start, "2024-01-01");
  EXPECT_EQ(c[0].term_end, "2024-12-31");
  EXPECT_EQ(c[1].site, "交警大队,二楼机房");           // comma inside quotes stays in the field
  EXPECT_EQ(c[2].site, "WK-08 \"文苑路\"便民警务站");  // doubled quotes are one quote
  EXPECT_FALSE(c[3].term_end);
  EXPECT_EQ(c[4].site, "WK-09创业大厦便民警务站");  // newline inside quotes joined
  EXPECT_EQ(c[4].line, 6);
  EXPECT_EQ(c[5].line, 8);
  EXPECT_DOUBLE_EQ(*c[5].bandwidth_mbps, 0.512);   // commit_rate is in kbps
  EXPECT_EQ(c[5].site, "新疆乌鲁木齐垦区公安局");  // no description: the tenant
}

TEST(NetboxCsvTest, FlagsDuplicateMissingAndRepairedCids) {
  auto r = parseNetboxCsv(readData("netbox_circuits.csv"), "n.csv", "nb");
  ASSERT_TRUE(r);
  std::map<std::string, std::vector<int>> rows;
  for (const auto& a : r->anomalies)
    rows[a.kind].insert(rows[a.kind].end(), a.rows.begin(), a.rows.end());
  EXPECT_EQ(rows[kDuplicateLinkId], (std::vector<int>{3, 4}));
  EXPECT_EQ(rows[kMissingLinkId], (std::vector<int>{5}));
  EXPECT_EQ(rows[kRepairedLinkId], (std::vector<int>{2}));
  EXPECT_TRUE(rows[kFeeMismatch].empty());  // NetBox carries no fees
  EXPECT_EQ(r->circuits[1].link_id, "IPRANXJ1002180395");
  EXPECT_EQ(r->circuits[2].key, "nb#3");
  EXPECT_EQ(r->circuits[4].key, "nb#5");
  EXPECT_TRUE(r->circuits[4].review);
  EXPECT_EQ(r->circuits[0].key, "STN09914494374");
}

TEST(NetboxCsvTest, AcceptsTheUiExportHeaderSpelling) {
  const std::string csv =
      "Circuit ID,Provider,Type,Status,Tenant,Install date,Termination date,Commit rate "
      "(Kbps),Description\n"
      "CT-001,CT,MPLS,active,Police,2024-03-01,2025-02-28,\"1,000\",HQ\n";
  auto r = parseNetboxCsv(csv, "ui.csv", "ui");
  ASSERT_TRUE(r) << r.error().str();
  ASSERT_EQ(r->circuits.size(), 1u);
  EXPECT_EQ(r->circuits[0].link_id, "CT-001");
  EXPECT_DOUBLE_EQ(*r->circuits[0].bandwidth_mbps, 1);
  EXPECT_EQ(r->circuits[0].site, "HQ");
}

TEST(NetboxCsvTest, RejectsBadInputNamingTheLineAndColumn) {
  auto no_cid = parseNetboxCsv("name,provider\nx,y\n", "a.csv", "a");
  ASSERT_FALSE(no_cid);
  EXPECT_NE(no_cid.error().what.find("no cid column"), std::string::npos);

  auto header_only = parseNetboxCsv(kHeader, "b.csv", "b");
  ASSERT_FALSE(header_only);
  EXPECT_NE(header_only.error().what.find("no circuits"), std::string::npos);

  auto rate =
      parseNetboxCsv(std::string(kHeader) + "C1,P,T,active,X,2024-01-01,,fast,\n", "c.csv", "c");
  ASSERT_FALSE(rate);
  EXPECT_EQ(rate.error().where, "c.csv:2 commit_rate");

  auto date =
      parseNetboxCsv(std::string(kHeader) + "C1,P,T,active,X,yesterday,,100,\n", "d.csv", "d");
  ASSERT_FALSE(date);
  EXPECT_EQ(date.error().where, "d.csv:2 install_date");

  auto unclosed = parseNetboxCsv(std::string(kHeader) + "C1,P,\"T,active\n", "e.csv", "e");
  ASSERT_FALSE(unclosed);
  EXPECT_NE(unclosed.error().what.find("never closed"), std::string::npos);

  auto wide =
      parseNetboxCsv(std::string(kHeader) + "C1,P,T,active,X,,,100,d,extra\n", "f.csv", "f");
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().where, "f.csv:2");

  auto reversed = parseNetboxCsv(
      std::string(kHeader) + "C1,P,T,active,X,2024-05-01,2024-01-01,100,\n", "g.csv", "g");
  ASSERT_FALSE(reversed);
}

TEST(NetboxCsvTest, DetectsNetboxCsvByItsHeaderOnly) {
  EXPECT_TRUE(looksLikeNetboxCsv(readData("netbox_circuits.csv")));
  EXPECT_TRUE(looksLikeNetboxCsv("\"cid\",\"provider\"\r\n"));
  EXPECT_FALSE(looksLikeNetboxCsv(readData("XJWLM2405957CGN00.txt")));
  EXPECT_FALSE(looksLikeNetboxCsv("id,name\n"));
}
