#include "config/toml/reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace circuitd::toml {
namespace {

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string join(std::string location, const std::string& key_path) {
  return key_path.empty() ? location : location + " " + key_path;
}

std::string quoteList(const Keys& words) {
  std::string out;
  for (auto w : words) out += fmt::format("{}'{}'", out.empty() ? "" : ", ", w);
  return out;
}

}  // namespace

std::string nearestWord(std::string_view word, const Keys& candidates) {
  // A typo is a small share of the word: one edit for short words, up to three for long ones.
  const std::size_t limit = word.size() <= 4 ? 1 : word.size() <= 9 ? 2 : 3;
  std::string best;
  std::size_t best_d = limit + 1;
  for (auto c : candidates) {
    const auto d = editDistance(word, c);
    if (d < best_d) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

std::string didYouMean(std::string_view word, const Keys& candidates) {
  const auto near = nearestWord(word, candidates);
  return near.empty() ? std::string{} : fmt::format(" (did you mean '{}'?)", near);
}

Reader::Reader(Errors& errors, std::string file, const Value& table, std::string path)
    : errors_(&errors), file_(std::move(file)), table_(&table), path_(std::move(path)) {}

Reader::Reader(Errors& errors, const Document& doc) : Reader(errors, doc.file, doc.root) {}

std::string Reader::keyPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

std::string Reader::where(std::string_view key) const {
  const Member* m = table_->table()->find(key);
  return join(locate(file_, m ? m->at : table_->position()), keyPath(key));
}

std::string Reader::whereTable() const { return join(locate(file_, table_->position()), path_); }

std::string Reader::whereElement(std::string_view key, std::size_t index) const {
  const Value* v = value(key);
  const auto* a = v ? v->array() : nullptr;
  const Position at = a && index < a->size() ? (*a)[index].position() : table_->position();
  return join(locate(file_, at), fmt::format("{}[{}]", keyPath(key), index));
}

const Value* Reader::value(std::string_view key) const {
  const Member* m = table_->table()->find(key);
  return m ? &m->value : nullptr;
}

std::vector<std::string_view> Reader::keys() const {
  std::vector<std::string_view> out;
  for (const auto& m : table_->table()->members()) out.push_back(m.key);
  return out;
}

void Reader::checkKeys(const Keys& known, const Keys& nested, std::string_view nested_table) const {
  for (const auto& m : table_->table()->members()) {
    if (std::find(known.begin(), known.end(), m.key) != known.end()) continue;
    auto hint = didYouMean(m.key, known);
    if (hint.empty() && !nested.empty()) {
      if (auto near = nearestWord(m.key, nested); !near.empty())
        hint = fmt::format(" (did you mean '{}' inside {} = {{ ... }}?)", near, nested_table);
    }
    errorAt(where(m.key), fmt::format("unknown key '{}'{}", m.key, hint));
  }
}

void Reader::error(std::string_view key, std::string what) const {
  errorAt(where(key), std::move(what));
}

void Reader::tableError(std::string what) const { errorAt(whereTable(), std::move(what)); }

void Reader::errorAt(std::string where, std::string what) const {
  errors_->push_back({std::move(where), std::move(what)});
}

void Reader::missing(std::string_view key, std::string_view why) const {
  tableError(fmt::format("missing required key '{}'{}", key, why));
}

void Reader::typeError(std::string_view key, const Value& v, std::string_view expected) const {
  error(key, fmt::format("expected {}, got {}", expected, describe(v.kind())));
}

std::optional<std::string> Reader::str(std::string_view key, bool required) const {
  const Value* v = value(key);
  if (!v) {
    if (required) missing(key);
    return std::nullopt;
  }
  if (const auto* s = v->string()) return *s;
  typeError(key, *v, "a string");
  return std::nullopt;
}

std::optional<std::string> Reader::name(std::string_view key, bool required) const {
  auto s = str(key, required);
  if (s && s->empty()) {
    error(key, fmt::format("'{}' must not be empty", key));
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> Reader::integer(std::string_view key, std::int64_t lo,
                                            std::int64_t hi) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  const auto* i = v->integer();
  if (!i) {
    typeError(key, *v, "an integer");
    return std::nullopt;
  }
  if (*i < lo || *i > hi) {
    error(key, fmt::format("{} = {} is out of range {}..{}", key, *i, lo, hi));
    return std::nullopt;
  }
  return *i;
}

std::optional<double> Reader::number(std::string_view key) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  if (const auto* i = v->integer()) return static_cast<double>(*i);
  if (const auto* f = v->floating()) return *f;
  typeError(key, *v, "a number");
  return std::nullopt;
}

std::optional<bool> Reader::boolean(std::string_view key) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  if (const auto* b = v->boolean()) return *b;
  typeError(key, *v, "a boolean (true or false)");
  return std::nullopt;
}

std::optional<std::vector<std::string>> Reader::strings(std::string_view key) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  const auto* a = v->array();
  if (!a) {
    typeError(key, *v, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const Value& el = (*a)[i];
    if (const auto* s = el.string(); s && !s->empty()) {
      out.push_back(*s);
    } else {
      errorAt(whereElement(key, i),
              s ? std::string("empty string")
                : fmt::format("expected a string, got {}", describe(el.kind())));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::int64_t>> Reader::integers(std::string_view key) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  const auto* a = v->array();
  if (!a) {
    typeError(key, *v, "an array of integers");
    return std::nullopt;
  }
  std::vector<std::int64_t> out;
  bool ok = true;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const Value& el = (*a)[i];
    if (const auto* n = el.integer()) {
      out.push_back(*n);
    } else {
      errorAt(whereElement(key, i),
              fmt::format("expected an integer, got {}", describe(el.kind())));
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Duration> Reader::duration(std::string_view key, Duration lo, Duration hi) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  const auto* s = v->string();
  if (!s) {
    typeError(key, *v, "a duration string such as \"10s\"");
    return std::nullopt;
  }
  auto d = parseDuration(*s);
  if (!d) {
    error(key, d.error().what);
    return std::nullopt;
  }
  if (*d < lo || *d > hi) {
    error(key, fmt::format("{} = \"{}\" is out of range {}..{}", key, *s, formatDuration(lo),
                           formatDuration(hi)));
    return std::nullopt;
  }
  return *d;
}

std::optional<TimePoint> Reader::instant(std::string_view key, bool required) const {
  const Value* v = value(key);
  if (!v) {
    if (required) missing(key);
    return std::nullopt;
  }
  if (const auto* dt = v->dateTime()) {
    const auto day = std::chrono::sys_days{std::chrono::year_month_day{
        std::chrono::year{dt->date.year}, std::chrono::month{dt->date.month},
        std::chrono::day{dt->date.day}}};
    auto t = TimePoint{day} + std::chrono::hours{dt->time.hour} +
             std::chrono::minutes{dt->time.minute} + std::chrono::seconds{dt->time.second} +
             std::chrono::duration_cast<Duration>(std::chrono::nanoseconds{dt->time.nanosecond});
    if (dt->offset_minutes) t -= std::chrono::minutes{*dt->offset_minutes};
    return t;
  }
  if (const auto* s = v->string()) {
    if (auto t = parseIso(*s)) return t;
    error(key, fmt::format("'{}' is not a date-time (write 2024-07-01T08:30:00+08:00)", *s));
    return std::nullopt;
  }
  typeError(key, *v, "a date-time");
  return std::nullopt;
}

std::optional<std::string> Reader::oneOf(std::string_view key, const Keys& allowed,
                                         bool required) const {
  auto s = str(key, required);
  if (!s) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) return s;
  error(key, fmt::format("{} = '{}' is not one of {}{}", key, *s, quoteList(allowed),
                         didYouMean(*s, allowed)));
  return std::nullopt;
}

std::optional<Reader> Reader::table(std::string_view key, std::string_view expected) const {
  const Value* v = value(key);
  if (!v) return std::nullopt;
  if (!v->table()) {
    typeError(key, *v, expected);
    return std::nullopt;
  }
  return Reader(*errors_, file_, *v, keyPath(key));
}

std::vector<Reader> Reader::tables(std::string_view key) const {
  std::vector<Reader> out;
  const Value* v = value(key);
  if (!v) return out;
  const auto* a = v->array();
  if (!a) {
    typeError(key, *v, fmt::format("an array of tables ([[{}]])", key));
    return out;
  }
  for (std::size_t i = 0; i < a->size(); ++i) {
    const Value& el = (*a)[i];
    const auto path = fmt::format("{}[{}]", keyPath(key), i);
    if (el.table())
      out.emplace_back(*errors_, file_, el, path);
    else
      errorAt(join(locate(file_, el.position()), path),
              fmt::format("expected a table, got {}", describe(el.kind())));
  }
  return out;
}

}  // namespace circuitd::toml
