#include "domain/contract/text_util.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <regex>

namespace circuitd::contract::detail {

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t c = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      const auto cb = static_cast<unsigned char>(s[i + k]);
      if ((cb & 0xC0) != 0x80) ok = false;
      c = (c << 6) | (cb & 0x3F);
    }
    out.push_back(ok ? c : 0xFFFD);
    i += ok ? len : 1;
  }
  return out;
}

std::string encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size() * 3);
  for (char32_t c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (c >> 12)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (c >> 18)));
      out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

bool isCjk(char32_t c) {
  return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x2FFFF);
}

bool isBlank(char32_t c) {
  return c == U' ' || c == U'\t' || c == 0xA0 || c == 0x3000 || c == U'\r' || c == U'\n';
}

std::string trim(std::string_view s) {
  auto u = decode(s);
  std::size_t b = 0, e = u.size();
  while (b < e && isBlank(u[b])) ++b;
  while (e > b && isBlank(u[e - 1])) --e;
  return encode(std::u32string_view(u).substr(b, e - b));
}

std::string removeBlanks(std::string_view s) {
  std::u32string out;
  for (char32_t c : decode(s))
    if (!isBlank(c)) out.push_back(c);
  return encode(out);
}

namespace {

bool isAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }
bool isAsciiUpper(char32_t c) { return c >= U'A' && c <= U'Z'; }

// "WK-0", "KT-1": a site code whose digits were broken off by the extractor.
bool endsWithBrokenCode(const std::u32string& a) {
  std::size_t i = a.size();
  std::size_t digits = 0;
  while (i > 0 && isAsciiDigit(a[i - 1])) --i, ++digits;
  if (digits == 0 || i == 0 || a[i - 1] != U'-') return false;
  --i;
  std::size_t letters = 0;
  while (i > 0 && isAsciiUpper(a[i - 1])) --i, ++letters;
  return letters >= 1 && (i == 0 || isBlank(a[i - 1]) || isCjk(a[i - 1]));
}

std::u32string joinU(std::u32string a, const std::u32string& b, bool dedupe) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  const bool cjk_edge = isCjk(a.back()) || isCjk(b.front());
  if (cjk_edge) {
    if (dedupe) {
      // Longest CJK overlap (up to 3 characters) between the end of a and the start of b.
      for (std::size_t k = std::min<std::size_t>({3, a.size(), b.size()}); k >= 1; --k) {
        bool all_cjk = true;
        for (std::size_t j = 0; j < k; ++j) all_cjk = all_cjk && isCjk(b[j]);
        if (all_cjk && a.compare(a.size() - k, k, b, 0, k) == 0) return a + b.substr(k);
      }
    }
    return a + b;
  }
  // "WK-0" + "5..." -> "WK-05": a code's digits broken off by a space.
  std::size_t lead = 0;
  while (lead < b.size() && isAsciiDigit(b[lead])) ++lead;
  if (lead > 0 && endsWithBrokenCode(a)) {
    // "WK-1 10" is WK-10 with the digit at the wrap printed twice (the same repetition as
    // "民警 警务"); a single broken-off digit followed by a longer run starting with it is read so.
    const bool one_digit = a.size() >= 2 && !isAsciiDigit(a[a.size() - 2]);
    if (one_digit && lead >= 2 && b.front() == a.back()) return a + b.substr(1);
    return a + b;
  }
  return a + U" " + b;
}

std::vector<std::u32string> pieces(std::string_view s) {
  std::vector<std::u32string> out;
  std::u32string cur;
  for (char32_t c : decode(s)) {
    if (isBlank(c)) {
      if (!cur.empty()) out.push_back(std::move(cur)), cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

}  // namespace

std::string joinPieces(std::string_view s, bool dedupe) {
  std::u32string acc;
  for (auto& p : pieces(s)) acc = joinU(std::move(acc), p, dedupe);
  return encode(acc);
}

std::string joinTwo(const std::string& a, const std::string& b, bool dedupe) {
  return encode(joinU(decode(joinPieces(a, dedupe)), decode(joinPieces(b, dedupe)), dedupe));
}

std::optional<double> parseMoney(std::string_view s) {
  std::string t;
  for (char32_t c : decode(s)) {
    if (isBlank(c) || c == U',' || c == U'¥' || c == U'￥' || c == U'元' || c == 0xFF0C) continue;
    if (c > 0x7F) return std::nullopt;
    t.push_back(static_cast<char>(c));
  }
  static const std::regex kNum(R"(^\d+(\.\d+)?$)");
  if (!std::regex_match(t, kNum)) return std::nullopt;
  return std::stod(t);
}

std::optional<int> parseInt(std::string_view s) {
  const std::string t = trim(s);
  if (t.empty() || t.size() > 9) return std::nullopt;
  for (char c : t)
    if (c < '0' || c > '9') return std::nullopt;
  return std::stoi(t);
}

std::optional<double> parseBandwidth(std::string_view s) {
  static const std::regex kBw(R"(^(\d+(?:\.\d+)?)\s*([KkMmGg])(?:bps|BPS|Bps|b|B)?$)");
  const std::string t = trim(s);
  std::smatch m;
  if (!std::regex_match(t, m, kBw)) return std::nullopt;
  const double v = std::stod(m[1].str());
  const char u = m[2].str()[0];
  if (u == 'K' || u == 'k') return v / 1000.0;
  if (u == 'G' || u == 'g') return v * 1000.0;
  return v;
}

std::vector<std::string> findDates(std::string_view s) {
  static const std::regex kDate(
      R"((\d{4})\s*(?:年|\.|-|/)\s*(\d{1,2})\s*(?:月|\.|-|/)\s*(\d{1,2})(?!\d))");
  std::vector<std::string> out;
  const std::string t(s);
  for (auto it = std::sregex_iterator(t.begin(), t.end(), kDate); it != std::sregex_iterator();
       ++it) {
    const int y = std::stoi((*it)[1].str());
    const unsigned mo = static_cast<unsigned>(std::stoi((*it)[2].str()));
    const unsigned d = static_cast<unsigned>(std::stoi((*it)[3].str()));
    const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{mo},
                                          std::chrono::day{d}};
    if (!ymd.ok()) continue;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", y, mo, d);
    out.emplace_back(buf);
  }
  return out;
}

bool isPlaceholder(std::string_view s) {
  const std::string t = removeBlanks(s);
  return t == "/" || t == "-" || t == "—" || t == "－" || t == "／" || t == "无" || t == "N/A" ||
         t == "n/a" || t == "\\";
}

std::string formatNumber(double v) {
  const double r = std::round(v * 100.0) / 100.0;
  char buf[64];
  if (r == std::floor(r) && std::fabs(r) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", r);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f", r);
    std::string t(buf);
    while (!t.empty() && t.back() == '0') t.pop_back();
    return t;
  }
  return buf;
}

std::vector<std::string> splitLines(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(start, nl - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (nl == text.size()) break;
    start = nl + 1;
  }
  return lines;
}

}  // namespace circuitd::contract::detail
