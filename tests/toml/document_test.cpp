// Documents: values keep their kinds and positions, syntax errors name file:line:col, and a value
// without a position is located by file name alone.
#include "config/toml/document.hpp"

#include <gtest/gtest.h>

#include <string>

namespace circuitd::toml {
namespace {

const std::string kData = std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/toml/";

TEST(TomlDocument, KeepsKindsOrderAndPositions) {
  auto doc = parse("b = 1\na = \"x\"\n[t]\nk = [true, 2.5]\n", "d.toml");
  ASSERT_TRUE(doc) << doc.error().str();
  const auto& members = doc->root.table()->members();
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].key, "b") << "file order, not sorted";
  EXPECT_EQ(members[0].value.kind(), Kind::Integer);
  EXPECT_EQ(*members[1].value.string(), "x");
  EXPECT_EQ(members[1].at.line, 2u);
  EXPECT_EQ(members[1].at.column, 1u);
  EXPECT_EQ(members[1].value.position().column, 5u) << "the value starts after 'a = '";
  const auto& t = members[2].value;
  EXPECT_EQ(t.kind(), Kind::Table);
  EXPECT_EQ(t.position().line, 3u) << "a [table] is where its header is";
  const auto* k = t.table()->find("k");
  ASSERT_NE(k, nullptr);
  ASSERT_EQ(k->value.array()->size(), 2u);
  EXPECT_TRUE(*(*k->value.array())[0].boolean());
  EXPECT_DOUBLE_EQ(*(*k->value.array())[1].floating(), 2.5);
  EXPECT_EQ((*k->value.array())[1].position().column, 12u);
  EXPECT_EQ(t.table()->find("absent"), nullptr);
  EXPECT_EQ(doc->root.position().line, 0u) << "the root has no header";
}

TEST(TomlDocument, DatesTimesAndOffsetsAreKept) {
  auto doc = parse(
      "d = 2024-02-29\nt = 08:30:00\nz = 2024-07-01T08:30:00+08:00\nl = 2024-07-01T08:30:00\n",
      "d.toml");
  ASSERT_TRUE(doc) << doc.error().str();
  const auto& root = *doc->root.table();
  EXPECT_EQ(root.find("d")->value.date()->day, 29u);
  EXPECT_EQ(root.find("t")->value.time()->minute, 30u);
  EXPECT_EQ(*root.find("z")->value.dateTime()->offset_minutes, 480);
  EXPECT_FALSE(root.find("l")->value.dateTime()->offset_minutes.has_value());
}

TEST(TomlDocument, SyntaxErrorNamesFileLineAndColumn) {
  auto doc = parse("a = 1\nb = \n", "s.toml");
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().where.rfind("s.toml:2:", 0), 0u) << doc.error().str();
  EXPECT_EQ(doc.error().what.rfind("TOML syntax error: ", 0), 0u) << doc.error().str();
}

TEST(TomlDocument, RealFilesWithSyntaxErrors) {
  struct Case {
    const char* file;
    unsigned line;
  };
  for (const auto& c : {Case{"unclosed_header.toml", 4}, Case{"unterminated_string.toml", 2},
                        Case{"duplicate_key.toml", 3}}) {
    const auto path = kData + c.file;
    auto doc = parseFile(path);
    ASSERT_FALSE(doc) << c.file;
    const auto prefix = path + ":" + std::to_string(c.line) + ":";
    EXPECT_EQ(doc.error().where.rfind(prefix, 0), 0u) << doc.error().str();
    EXPECT_NE(doc.error().what.find("TOML syntax error"), std::string::npos) << doc.error().str();
  }
}

TEST(TomlDocument, UnreadableFileIsAnErrorNamingIt) {
  const auto path = kData + "no-such-file.toml";
  auto doc = parseFile(path);
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().where, path);
  EXPECT_NE(doc.error().what.find("cannot read"), std::string::npos);
}

TEST(TomlDocument, GoodFileParses) {
  auto doc = parseFile(kData + "device.toml");
  ASSERT_TRUE(doc) << doc.error().str();
  EXPECT_EQ(doc->file, kData + "device.toml");
  EXPECT_EQ(*doc->root.table()->find("name")->value.string(), "atn-01");
}

TEST(TomlDocument, LocationWithoutPositionHasNoLineAndColumn) {
  EXPECT_EQ(locate("a.toml", Position{3, 7}), "a.toml:3:7");
  EXPECT_EQ(locate("built-in", Position{}), "built-in") << "never built-in:0:0";
}

TEST(TomlDocument, KindsDescribeThemselvesForMessages) {
  EXPECT_EQ(describe(Kind::Integer), "an integer");
  EXPECT_EQ(describe(Kind::Array), "an array");
  EXPECT_EQ(describe(Kind::DateTime), "a date-time");
}

}  // namespace
}  // namespace circuitd::toml
