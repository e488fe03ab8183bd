#pragma once
// Result<T>: the return type for anything that parses untrusted input (config, contract text,
// PDUs, packets, API requests). GCC 12 has no std::expected under C++20; this keeps its API
// (has_value, value, error, operator*, operator->) so a later switch is mechanical.
#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace circuitd {

/// One problem in untrusted input: where it is (file:line:col, key path, row) and what is wrong.
struct Error {
  std::string where;  ///< e.g. "config/demo.toml:12:3 circuit[2].device" or "row 23"
  std::string what;   ///< human sentence, no trailing period needed
  /// "where: what", or just "what" when no location is known.
  std::string str() const { return where.empty() ? what : where + ": " + what; }
};

/// Tag wrapper so that Result<std::string> can tell a value from an error.
struct Unexpected {
  Error error;
};
/// Builds the error side of a Result.
inline Unexpected fail(std::string where, std::string what) {
  return Unexpected{Error{std::move(where), std::move(what)}};
}
inline Unexpected fail(Error e) { return Unexpected{std::move(e)}; }

/// A value or an Error, after std::expected<T, Error>.
template <typename T>
class Result {
 public:
  Result(T v) : v_(std::move(v)) {}                 // NOLINT(implicit)
  Result(Unexpected u) : v_(std::move(u.error)) {}  // NOLINT(implicit)
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  template <typename U>
  T value_or(U&& d) const {
    return has_value() ? value() : T(std::forward<U>(d));
  }

 private:
  std::variant<T, Error> v_;
};

/// Result of an operation with no value.
template <>
class Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : err_(std::move(u.error)), ok_(false) {}  // NOLINT(implicit)
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return err_;
  }

 private:
  Error err_;
  bool ok_ = true;
};

/// A list of errors, for validators that report every problem rather than the first.
using Errors = std::vector<Error>;

}  // namespace circuitd
