// The reader's typed getters: values of the right type, "expected X, got Y" for the wrong one,
// ranges, unknown keys with "did you mean", and every error as "file:line:col key.path: what"
// (just "file key.path: what" for a value that has no position).
#include "config/toml/reader.hpp"

#include <gtest/gtest.h>

#include <string>

namespace circuitd::toml {
namespace {

using namespace std::chrono_literals;

const std::string kData = std::string(CIRCUITD_SOURCE_DIR) + "/tests/data/toml/";

Document doc(const std::string& text) {
  auto d = parse(text, "r.toml");
  EXPECT_TRUE(d) << d.error().str();
  return d ? std::move(*d) : Document{};
}

std::string errorsOf(const Errors& errors) {
  std::string out;
  for (const auto& e : errors) out += e.str() + "\n";
  return out;
}

TEST(TomlReader, TypedGettersReadARealFile) {
  auto d = parseFile(kData + "device.toml");
  ASSERT_TRUE(d) << d.error().str();
  Errors errors;
  const Reader r(errors, *d);
  EXPECT_EQ(r.str("name"), "atn-01");
  EXPECT_EQ(r.name("name", true), "atn-01");
  EXPECT_EQ(r.integer("port", 1, 65535), 161);
  EXPECT_EQ(r.number("port"), 161.0) << "an integer is a number";
  EXPECT_EQ(r.number("ratio"), 0.5);
  EXPECT_EQ(r.boolean("enabled"), true);
  EXPECT_EQ(r.strings("interfaces"), (std::vector<std::string>{"GE0/1/0", "GE0/2/1"}));
  EXPECT_EQ(r.integers("invalid"), (std::vector<std::int64_t>{2147483647, -2147483648LL}));
  EXPECT_EQ(r.duration("poll_interval", 1s, 1h), Duration{90s});
  EXPECT_EQ(r.instant("window_start"), parseIso("2024-07-01T00:30:00Z"));
  const auto snmp = r.table("snmp");
  ASSERT_TRUE(snmp);
  EXPECT_EQ(snmp->path(), "snmp");
  EXPECT_EQ(snmp->oneOf("version", {"2c", "3"}, true), "2c");
  const auto circuits = r.tables("circuit");
  ASSERT_EQ(circuits.size(), 2u);
  EXPECT_EQ(circuits[1].path(), "circuit[1]");
  EXPECT_EQ(circuits[1].str("link_id"), "STN09914494374");
  EXPECT_EQ(circuits[1].position().line, 19u);
  EXPECT_FALSE(r.str("absent").has_value());
  EXPECT_FALSE(r.table("absent").has_value());
  EXPECT_TRUE(r.tables("absent").empty());
  EXPECT_TRUE(errors.empty()) << errorsOf(errors);
  EXPECT_EQ(r.keys().front(), "name");
}

TEST(TomlReader, WrongTypesNameWhatWasExpectedAndWhatWasFound) {
  const auto d =
      doc("name = 5\nport = \"161\"\nratio = \"half\"\nenabled = \"yes\"\nlist = \"a\"\n"
          "when = \"10s\"\nsnmp = 1\ncircuit = 2\nat = 3\n");
  Errors errors;
  const Reader r(errors, d);
  EXPECT_FALSE(r.str("name"));
  EXPECT_FALSE(r.integer("port"));
  EXPECT_FALSE(r.number("ratio"));
  EXPECT_FALSE(r.boolean("enabled"));
  EXPECT_FALSE(r.strings("list"));
  EXPECT_FALSE(r.integers("list"));
  EXPECT_FALSE(r.duration("port"));
  EXPECT_FALSE(r.table("snmp"));
  EXPECT_TRUE(r.tables("circuit").empty());
  EXPECT_FALSE(r.instant("at"));
  ASSERT_EQ(errors.size(), 10u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "r.toml:1:1 name: expected a string, got an integer");
  EXPECT_EQ(errors[1].str(), "r.toml:2:1 port: expected an integer, got a string");
  EXPECT_EQ(errors[2].str(), "r.toml:3:1 ratio: expected a number, got a string");
  EXPECT_EQ(errors[3].str(),
            "r.toml:4:1 enabled: expected a boolean (true or false), got a string");
  EXPECT_EQ(errors[4].str(), "r.toml:5:1 list: expected an array of strings, got a string");
  EXPECT_EQ(errors[5].str(), "r.toml:5:1 list: expected an array of integers, got a string");
  EXPECT_EQ(errors[6].str(),
            "r.toml:2:1 port: '161' is not a duration (write whole numbers with "
            "units ms, s, m, h, d: \"500ms\", \"10s\", \"1m30s\", \"2d\")");
  EXPECT_EQ(errors[7].str(), "r.toml:7:1 snmp: expected a table, got an integer");
  EXPECT_EQ(errors[8].str(),
            "r.toml:8:1 circuit: expected an array of tables ([[circuit]]), got an integer");
  EXPECT_EQ(errors[9].str(), "r.toml:9:1 at: expected a date-time, got an integer");
}

TEST(TomlReader, ArrayElementsAreReportedAtTheirOwnPositions) {
  const auto d = doc("names = [\"a\", 2, \"\"]\nnums = [1, \"x\"]\n[[t]]\nk = 1\n[t2]\n");
  Errors errors;
  const Reader r(errors, d);
  EXPECT_FALSE(r.strings("names"));
  EXPECT_FALSE(r.integers("nums"));
  ASSERT_EQ(errors.size(), 3u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "r.toml:1:15 names[1]: expected a string, got an integer");
  EXPECT_EQ(errors[1].str(), "r.toml:1:18 names[2]: empty string");
  EXPECT_EQ(errors[2].str(), "r.toml:2:12 nums[1]: expected an integer, got a string");
  EXPECT_EQ(r.whereElement("names", 0), "r.toml:1:10 names[0]");
}

TEST(TomlReader, RangesAndEmptyNames) {
  const auto d = doc("vlan = 5000\nname = \"\"\ntimeout = \"50ms\"\n");
  Errors errors;
  const Reader r(errors, d);
  EXPECT_FALSE(r.integer("vlan", 1, 4094));
  EXPECT_FALSE(r.name("name"));
  EXPECT_FALSE(r.duration("timeout", 100ms, 1h));
  ASSERT_EQ(errors.size(), 3u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "r.toml:1:1 vlan: vlan = 5000 is out of range 1..4094");
  EXPECT_EQ(errors[1].str(), "r.toml:2:1 name: 'name' must not be empty");
  EXPECT_EQ(errors[2].str(), "r.toml:3:1 timeout: timeout = \"50ms\" is out of range 100ms..1h");
}

TEST(TomlReader, InstantsFromTomlDateTimesAndIsoStrings) {
  const auto d =
      doc("a = 2024-07-01T08:30:00+08:00\nb = 2024-07-01T08:30:00\n"
          "c = \"2024-07-01T08:30:00Z\"\nd = \"yesterday\"\n");
  Errors errors;
  const Reader r(errors, d);
  EXPECT_EQ(r.instant("a"), parseIso("2024-07-01T00:30:00Z"));
  EXPECT_EQ(r.instant("b"), parseIso("2024-07-01T08:30:00Z")) << "no offset means UTC";
  EXPECT_EQ(r.instant("c"), parseIso("2024-07-01T08:30:00Z"));
  EXPECT_FALSE(r.instant("d"));
  EXPECT_FALSE(r.instant("e", true));
  ASSERT_EQ(errors.size(), 2u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(),
            "r.toml:4:1 d: 'yesterday' is not a date-time (write 2024-07-01T08:30:00+08:00)");
  EXPECT_EQ(errors[1].str(), "r.toml: missing required key 'e'") << "the root has no position";
}

TEST(TomlReader, UnknownKeysSuggestTheNearestKnownKey) {
  const auto d = doc("adress = \"x\"\ncolour = 1\ncomunity = \"c\"\n[[device]]\nnme = \"y\"\n");
  Errors errors;
  const Reader r(errors, d);
  r.checkKeys({"address", "device"}, {"community", "version"}, "snmp");
  r.tables("device")[0].checkKeys({"name", "address"});
  ASSERT_EQ(errors.size(), 4u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "r.toml:1:1 adress: unknown key 'adress' (did you mean 'address'?)");
  EXPECT_EQ(errors[1].str(), "r.toml:2:1 colour: unknown key 'colour'");
  EXPECT_EQ(errors[2].str(),
            "r.toml:3:1 comunity: unknown key 'comunity' (did you mean 'community' inside snmp = { "
            "... }?)");
  EXPECT_EQ(errors[3].str(), "r.toml:5:1 device[0].nme: unknown key 'nme' (did you mean 'name'?)");
}

TEST(TomlReader, OneOfListsTheWordsAndSuggestsOne) {
  const auto d = doc("level = \"verbos\"\n");
  Errors errors;
  const Reader r(errors, d);
  EXPECT_FALSE(r.oneOf("level", {"debug", "info", "verbose"}));
  EXPECT_FALSE(r.oneOf("mode", {"a"}, true));
  ASSERT_EQ(errors.size(), 2u) << errorsOf(errors);
  EXPECT_EQ(errors[0].what,
            "level = 'verbos' is not one of 'debug', 'info', 'verbose' (did you mean 'verbose'?)");
  EXPECT_EQ(errors[1].what, "missing required key 'mode'");
}

TEST(TomlReader, MissingKeysAreReportedAtTheTable) {
  const auto d = doc("[[device]]\naddress = \"192.0.2.1\"\n");
  Errors errors;
  const Reader r(errors, d);
  const auto dev = r.tables("device").at(0);
  EXPECT_FALSE(dev.str("name", true));
  dev.missing("snmp", " (snmp = { ... })");
  dev.error("port", "needs a port");
  ASSERT_EQ(errors.size(), 3u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "r.toml:1:1 device[0]: missing required key 'name'");
  EXPECT_EQ(errors[1].str(), "r.toml:1:1 device[0]: missing required key 'snmp' (snmp = { ... })");
  EXPECT_EQ(errors[2].str(), "r.toml:1:1 device[0].port: needs a port")
      << "absent key: at the table";
}

TEST(TomlReader, NonTableElementsOfAnArrayOfTablesAreErrors) {
  const auto d = doc("device = [{ name = \"a\" }, 3]\n");
  Errors errors;
  const Reader r(errors, d);
  const auto devices = r.tables("device");
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].str("name"), "a");
  EXPECT_EQ(devices[0].where("name"), "r.toml:1:13 device[0].name");
  ASSERT_EQ(errors.size(), 1u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "r.toml:1:27 device[1]: expected a table, got an integer");
}

TEST(TomlReader, ValuesWithoutAPositionAreLocatedByFileAndKeyOnly) {
  // Values a program builds (or embedded text it re-reads) may carry no position.
  Table t;
  t.add(Member{"port", Position{}, Value(std::int64_t{70000}, Position{})});
  const Value table(std::move(t), Position{});
  Errors errors;
  const Reader r(errors, "built-in", table, "device[0]");
  EXPECT_FALSE(r.integer("port", 1, 65535));
  EXPECT_FALSE(r.str("name", true));
  r.checkKeys({"name"});
  ASSERT_EQ(errors.size(), 3u) << errorsOf(errors);
  EXPECT_EQ(errors[0].str(), "built-in device[0].port: port = 70000 is out of range 1..65535");
  EXPECT_EQ(errors[1].str(), "built-in device[0]: missing required key 'name'");
  EXPECT_EQ(errors[2].str(), "built-in device[0].port: unknown key 'port'");
  for (const auto& e : errors) EXPECT_EQ(e.where.find(":0"), std::string::npos) << e.where;
}

TEST(TomlReader, NearestWordSuggestsOnlyCloseTypos) {
  EXPECT_EQ(nearestWord("adress", {"name", "address", "port"}), "address");
  EXPECT_EQ(nearestWord("Adress", {"address"}), "address") << "case does not count as a typo";
  EXPECT_EQ(nearestWord("colour", {"name", "address", "port"}), "");
  EXPECT_EQ(didYouMean("nme", {"name"}), " (did you mean 'name'?)");
  EXPECT_EQ(didYouMean("zzz", {"name"}), "");
}

}  // namespace
}  // namespace circuitd::toml
