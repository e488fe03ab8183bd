#pragma once
// A TOML document as plain values that remember where they were written. Only document.cpp sees
// toml++; every reader of a circuitd file includes this light header instead of the parser's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/core/result.hpp"

namespace circuitd::toml {

/// Where a key or value starts: 1-based line and column; line 0 means no position is known.
struct Position {
  std::uint32_t line = 0;    ///< 1-based; 0 = unknown
  std::uint32_t column = 0;  ///< 1-based, in characters
};

/// "file:line:col", or just "file" when the position is unknown (never "file:0:0").
std::string locate(std::string_view file, Position at);

/// What a value is; the order is that of Value::Data.
enum class Kind : std::uint8_t {
  Table,
  Array,
  String,
  Integer,
  Float,
  Boolean,
  Date,
  Time,
  DateTime
};

/// The kind with its article ("a string", "an integer"), for "expected X, got Y" messages.
std::string_view describe(Kind kind);

/// A TOML local date.
struct Date {
  int year = 0;        ///< e.g. 2024
  unsigned month = 0;  ///< 1..12
  unsigned day = 0;    ///< 1..31
};

/// A TOML local time.
struct Time {
  unsigned hour = 0;             ///< 0..23
  unsigned minute = 0;           ///< 0..59
  unsigned second = 0;           ///< 0..59 (60 for a leap second)
  std::uint32_t nanosecond = 0;  ///< fraction of the second
};

/// A TOML date-time; without an offset it is a local date-time.
struct DateTime {
  Date date;                          ///< the calendar day
  Time time;                          ///< the time of day
  std::optional<int> offset_minutes;  ///< east of UTC
};

struct Member;

/// The keys of one table, in file order.
class Table {
 public:
  /// The member named key, or nullptr.
  const Member* find(std::string_view key) const;
  /// Every member, in file order.
  const std::vector<Member>& members() const { return members_; }
  /// Appends a member (the parser builds tables; keys are unique in valid TOML).
  void add(Member m);

 private:
  std::vector<Member> members_;
};

/// One TOML value and where it was written.
class Value {
 public:
  using Array = std::vector<Value>;
  /// The alternatives in the order of Kind.
  using Data =
      std::variant<Table, Array, std::string, std::int64_t, double, bool, Date, Time, DateTime>;

  /// An empty table without a position.
  Value() = default;
  /// A value written at `at`.
  Value(Data data, Position at) : data_(std::move(data)), at_(at) {}

  /// What the value is.
  Kind kind() const { return static_cast<Kind>(data_.index()); }
  /// Where the value starts (for a [table] or [[table]], its header).
  Position position() const { return at_; }

  /// The table, or nullptr when the value is something else; likewise for the accessors below.
  const Table* table() const { return std::get_if<Table>(&data_); }
  /// The array elements.
  const Array* array() const { return std::get_if<Array>(&data_); }
  /// The string.
  const std::string* string() const { return std::get_if<std::string>(&data_); }
  /// The integer.
  const std::int64_t* integer() const { return std::get_if<std::int64_t>(&data_); }
  /// The floating-point number.
  const double* floating() const { return std::get_if<double>(&data_); }
  /// The boolean.
  const bool* boolean() const { return std::get_if<bool>(&data_); }
  /// The local date.
  const Date* date() const { return std::get_if<Date>(&data_); }
  /// The local time.
  const Time* time() const { return std::get_if<Time>(&data_); }
  /// The date-time.
  const DateTime* dateTime() const { return std::get_if<DateTime>(&data_); }

 private:
  Data data_;
  Position at_;
};

/// One key of a table: the name, where the key is written, and its value.
struct Member {
  std::string key;  ///< the key as written (unquoted)
  Position at;      ///< where the key is written
  Value value;      ///< what it is set to
};

/// A parsed file: its name as messages print it and its root table.
struct Document {
  std::string file;  ///< a path, or a name such as "built-in" for embedded text
  Value root;        ///< always a table; it has no position of its own
};

/// Parses TOML text. A syntax error reads "file:line:col: TOML syntax error: ...".
Result<Document> parse(std::string_view text, std::string file);
/// Reads and parses a file; a file that cannot be read is an error naming it.
Result<Document> parseFile(const std::string& path);

}  // namespace circuitd::toml
