#include "domain/core/time.hpp"

#include <cstdio>
#include <ctime>

namespace circuitd {

std::string formatIso(TimePoint t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[40];
  const long long ms = hms.subseconds().count();
  if (ms != 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), (long long)hms.hours().count(),
                  (long long)hms.minutes().count(), (long long)hms.seconds().count(), ms);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), (long long)hms.hours().count(),
                  (long long)hms.minutes().count(), (long long)hms.seconds().count());
  }
  return buf;
}

std::optional<TimePoint> parseIso(const std::string& s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
  char sep = 0;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) != 6 ||
      (sep != 'T' && sep != ' '))
    return std::nullopt;
  std::size_t pos = static_cast<std::size_t>(n);
  if (pos < s.size() && s[pos] == ':') {
    int m = 0;
    if (std::sscanf(s.c_str() + pos, ":%2d%n", &sec, &m) != 1) return std::nullopt;
    pos += static_cast<std::size_t>(m);
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 3) {
          ms = ms * 10 + (s[pos] - '0');
          ++digits;
        }
        ++pos;
      }
      while (digits++ < 3) ms *= 10;
    }
  }
  int offset_min = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z' && pos + 1 == s.size()) {
    } else if ((s[pos] == '+' || s[pos] == '-') && s.size() - pos == 6 && s[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
      offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  const year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  return TimePoint{sys_days{ymd}.time_since_epoch()} + hours{h} + minutes{mi} + seconds{sec} +
         milliseconds{ms} - minutes{offset_min};
}

}  // namespace circuitd
