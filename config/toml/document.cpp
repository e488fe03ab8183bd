// The only translation unit of the project that includes toml++: it turns the parser's tree
// into Value, so the rest of the code never pays for (or depends on) the parser's headers.
#include "config/toml/document.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

namespace tomlpp = ::toml;

namespace circuitd::toml {
namespace {

Position positionOf(const tomlpp::source_region& r) { return {r.begin.line, r.begin.column}; }

Value convert(const tomlpp::node& n);

Table convertTable(const tomlpp::table& t) {
  // toml++ keeps keys sorted by name; messages and "first error" should follow the file.
  std::vector<Member> members;
  for (auto&& [k, v] : t)
    members.push_back({std::string(k.str()), positionOf(k.source()), convert(v)});
  std::stable_sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
    return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
  });
  Table out;
  for (auto& m : members) out.add(std::move(m));
  return out;
}

Value convert(const tomlpp::node& n) {
  const Position at = positionOf(n.source());
  switch (n.type()) {
    case tomlpp::node_type::table:
      return {convertTable(*n.as_table()), at};
    case tomlpp::node_type::array: {
      Value::Array a;
      for (const auto& el : *n.as_array()) a.push_back(convert(el));
      return {std::move(a), at};
    }
    case tomlpp::node_type::string:
      return {n.as_string()->get(), at};
    case tomlpp::node_type::integer:
      return {n.as_integer()->get(), at};
    case tomlpp::node_type::floating_point:
      return {n.as_floating_point()->get(), at};
    case tomlpp::node_type::boolean:
      return {n.as_boolean()->get(), at};
    case tomlpp::node_type::date: {
      const auto& d = n.as_date()->get();
      return {Date{d.year, d.month, d.day}, at};
    }
    case tomlpp::node_type::time: {
      const auto& t = n.as_time()->get();
      return {Time{t.hour, t.minute, t.second, t.nanosecond}, at};
    }
    case tomlpp::node_type::date_time: {
      const auto& v = n.as_date_time()->get();
      DateTime dt{Date{v.date.year, v.date.month, v.date.day},
                  Time{v.time.hour, v.time.minute, v.time.second, v.time.nanosecond}, std::nullopt};
      if (v.offset) dt.offset_minutes = v.offset->minutes;
      return {dt, at};
    }
    default:
      return {Table{}, at};  // toml++ has no other node types
  }
}

}  // namespace

std::string locate(std::string_view file, Position at) {
  if (at.line == 0) return std::string(file);
  return fmt::format("{}:{}:{}", file, at.line, at.column);
}

std::string_view describe(Kind kind) {
  switch (kind) {
    case Kind::Table:
      return "a table";
    case Kind::Array:
      return "an array";
    case Kind::String:
      return "a string";
    case Kind::Integer:
      return "an integer";
    case Kind::Float:
      return "a floating-point number";
    case Kind::Boolean:
      return "a boolean";
    case Kind::Date:
      return "a date";
    case Kind::Time:
      return "a time";
    case Kind::DateTime:
      return "a date-time";
  }
  return "nothing";
}

const Member* Table::find(std::string_view key) const {
  for (const auto& m : members_)
    if (m.key == key) return &m;
  return nullptr;
}

void Table::add(Member m) { members_.push_back(std::move(m)); }

Result<Document> parse(std::string_view text, std::string file) {
  tomlpp::table root;
  try {
    root = tomlpp::parse(text, file);
  } catch (const tomlpp::parse_error& e) {
    return fail(locate(file, positionOf(e.source())),
                fmt::format("TOML syntax error: {}", e.description()));
  }
  // The root has no header; a position would point at whatever the file starts with.
  Value converted(convertTable(root), Position{});
  return Document{std::move(file), std::move(converted)};
}

Result<Document> parseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(path, fmt::format("cannot read the file: {}", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

}  // namespace circuitd::toml
