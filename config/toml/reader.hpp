#pragma once
// Typed reading of one TOML table. Every getter reports a wrong type, a missing required key or a
// bad value into a shared error list as "file:line:col key.path: what" and returns nullopt, so a
// caller either collects every problem (the daemon config) or stops at the first (rules,
// scenarios, profiles). Unknown keys are errors with a "did you mean" hint.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/toml/document.hpp"
#include "config/toml/duration.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace circuitd::toml {

/// A list of key names or words, usually string literals.
using Keys = std::vector<std::string_view>;

/// The candidate closest to word by edit distance when it is close enough to be a typo, else "".
std::string nearestWord(std::string_view word, const Keys& candidates);
/// " (did you mean 'x'?)" for the nearest candidate, or "" when none is close.
std::string didYouMean(std::string_view word, const Keys& candidates);

/// Reads the keys of one table of one file; cheap to copy.
class Reader {
 public:
  /// Reads `table` (a Value of kind Table) of `file`; `path` names it in messages ("" = root).
  Reader(Errors& errors, std::string file, const Value& table, std::string path = {});
  /// Reads the root table of a document.
  Reader(Errors& errors, const Document& doc);

  /// The file messages name.
  const std::string& file() const { return file_; }
  /// The key path of this table, e.g. "device[2].snmp"; "" for the root.
  const std::string& path() const { return path_; }
  /// Where the table starts (its [header]); line 0 for the root.
  Position position() const { return table_->position(); }
  /// "path.key", or "key" at the root.
  std::string keyPath(std::string_view key) const;
  /// "file:line:col path.key" of a key that is present, else the table's location and the path.
  std::string where(std::string_view key) const;
  /// "file:line:col path" of the table itself.
  std::string whereTable() const;
  /// "file:line:col path.key[i]" of element i of the array under key.
  std::string whereElement(std::string_view key, std::size_t index) const;

  /// True when the key is present.
  bool has(std::string_view key) const { return value(key) != nullptr; }
  /// The value under key, or nullptr.
  const Value* value(std::string_view key) const;
  /// The keys of the table, in file order.
  std::vector<std::string_view> keys() const;

  /// Rejects keys not in known, suggesting the nearest known key. A typo of a key that belongs
  /// in a sub-table (nested, e.g. the keys of "snmp") suggests "<key> inside snmp = { ... }".
  void checkKeys(const Keys& known, const Keys& nested = {},
                 std::string_view nested_table = {}) const;
  /// Reports a problem with the value of key (at the key, or at the table when it is absent).
  void error(std::string_view key, std::string what) const;
  /// Reports a problem with the table as a whole.
  void tableError(std::string what) const;
  /// Reports a problem at a location the caller formatted (e.g. whereElement).
  void errorAt(std::string where, std::string what) const;
  /// Reports that a required key is absent; why is appended to the message.
  void missing(std::string_view key, std::string_view why = {}) const;
  /// Reports "expected <expected>, got <what v is>" for key.
  void typeError(std::string_view key, const Value& v, std::string_view expected) const;

  /// A string.
  std::optional<std::string> str(std::string_view key, bool required = false) const;
  /// A string that must not be empty when given.
  std::optional<std::string> name(std::string_view key, bool required = false) const;
  /// An integer within lo..hi.
  std::optional<std::int64_t> integer(
      std::string_view key, std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
      std::int64_t hi = std::numeric_limits<std::int64_t>::max()) const;
  /// An integer or floating-point number.
  std::optional<double> number(std::string_view key) const;
  /// true or false.
  std::optional<bool> boolean(std::string_view key) const;
  /// An array of non-empty strings; each bad element is reported with its own position.
  std::optional<std::vector<std::string>> strings(std::string_view key) const;
  /// An array of integers; each bad element is reported with its own position.
  std::optional<std::vector<std::int64_t>> integers(std::string_view key) const;
  /// A duration string in the project's one grammar (duration.hpp), within lo..hi.
  std::optional<Duration> duration(std::string_view key, Duration lo = Duration::zero(),
                                   Duration hi = Duration::max()) const;
  /// An instant: a TOML date-time (no offset = UTC) or an ISO 8601 string.
  std::optional<TimePoint> instant(std::string_view key, bool required = false) const;
  /// One of a fixed set of words.
  std::optional<std::string> oneOf(std::string_view key, const Keys& allowed,
                                   bool required = false) const;

  /// The sub-table under key; `expected` describes it in the type error ("a table [daemon]").
  std::optional<Reader> table(std::string_view key, std::string_view expected = "a table") const;
  /// The tables of an array of tables ([[key]]), each named "key[i]"; other elements are errors.
  std::vector<Reader> tables(std::string_view key) const;

 private:
  Errors* errors_;
  std::string file_;
  const Value* table_;
  std::string path_;
};

}  // namespace circuitd::toml
