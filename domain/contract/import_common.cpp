#include "domain/contract/import_common.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <regex>

#include "domain/contract/money.hpp"
#include "domain/contract/text_util.hpp"

namespace circuitd::contract {

using namespace detail;

namespace {

std::optional<std::chrono::year_month_day> isoDate(const std::string& s) {
  const auto d = findDates(s);
  if (d.empty()) return std::nullopt;
  const int y = std::stoi(d[0].substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(d[0].substr(5, 2)));
  const unsigned dd = static_cast<unsigned>(std::stoi(d[0].substr(8, 2)));
  return std::chrono::year_month_day{std::chrono::year{y}, std::chrono::month{m},
                                     std::chrono::day{dd}};
}

// "4 months" when the term is whole calendar months, otherwise "N days".
std::string termLength(std::chrono::year_month_day a, std::chrono::year_month_day b) {
  using namespace std::chrono;
  const bool whole = a.day() == day{1} &&
                     year_month_day{year_month_day_last{b.year(), month_day_last{b.month()}}} == b;
  if (whole) {
    const int months = (int(b.year()) - int(a.year())) * 12 + int(unsigned(b.month())) -
                       int(unsigned(a.month())) + 1;
    return std::to_string(months) + (months == 1 ? " month" : " months");
  }
  return std::to_string((sys_days{b} - sys_days{a}).count() + 1) + " days (by actual days, 6.5.1)";
}

int kindOrder(const std::string& k) {
  static const std::vector<std::string> order{kDuplicateLinkId, kMissingLinkId, kRepairedLinkId,
                                              kMalformedLinkId, kFeeMismatch,   kTotalMismatch,
                                              kCountMismatch,   kSiteInferred};
  const auto it = std::find(order.begin(), order.end(), k);
  return static_cast<int>(it - order.begin());
}

}  // namespace

void finishImport(ImportResult& result, std::vector<RowInput> rows, LinkIdRules rules,
                  std::optional<double> table_total, const std::string& table_total_where) {
  static const std::regex kContractId(R"(^[A-Z]{0,10}[0-9]{6,}$)");
  static const std::regex kNetboxId(R"(^[A-Za-z0-9][A-Za-z0-9._:/#-]*$)");
  auto& info = result.contract;
  auto& anomalies = result.anomalies;

  std::map<int, int> seq_seen;
  for (auto& in : rows) {
    ContractCircuit c;
    c.seq = in.seq;
    c.line = in.line;
    c.site = in.site;
    c.service = in.service;
    c.raw_link_id = in.link_raw;
    c.bandwidth_mbps = in.bandwidth_mbps;
    c.monthly_fee = in.monthly_fee;
    c.annual_fee = in.annual_fee;
    c.term_start = in.term_start;
    c.term_end = in.term_end;
    const std::string raw = trim(in.link_raw);
    if (raw.empty() || isPlaceholder(raw)) {
      anomalies.push_back(
          {kMissingLinkId,
           {c.seq},
           std::nullopt,
           raw.empty() ? "link id cell is blank" : "link id cell is '" + raw + "' (none given)"});
      c.review = true;
    } else {
      const std::string cand = removeBlanks(raw);
      const bool valid =
          std::regex_match(cand, rules == LinkIdRules::Contract ? kContractId : kNetboxId);
      if (valid) {
        c.link_id = cand;
        if (cand != raw)
          anomalies.push_back(
              {kRepairedLinkId, {c.seq}, cand, "spaces taken out of '" + raw + "'"});
      } else {
        anomalies.push_back({kMalformedLinkId,
                             {c.seq},
                             raw,
                             rules == LinkIdRules::Contract
                                 ? "'" + raw +
                                       "' is not a link id (optional letters, then at least six "
                                       "digits); ask the carrier for the right one"
                                 : "'" + raw + "' is not a usable circuit id"});
        c.review = true;
      }
    }
    // Fees: the annual fee should be the monthly fee over the row's term (6.5.1 by actual days
    // for part months), or over the contract period when the row names no term.
    std::optional<std::chrono::year_month_day> from, to;
    std::string basis;
    if (c.term_start && c.term_end) {
      from = isoDate(*c.term_start), to = isoDate(*c.term_end);
      basis = "its term";
    } else if (info.period_start && info.period_end) {
      from = isoDate(*info.period_start), to = isoDate(*info.period_end);
      basis = "the contract period (the row names no term)";
    }
    if (c.monthly_fee != 0 || c.annual_fee != 0) {
      double expected;
      std::string how;
      if (from && to) {
        expected = feeForDays(c.monthly_fee, *from, *to);
        how = termLength(*from, *to) + " of " + basis;
      } else {
        expected = roundToCents(c.monthly_fee * 12);
        how = "12 months (no term and no contract period)";
      }
      if (std::fabs(expected - c.annual_fee) > 0.005) {
        anomalies.push_back({kFeeMismatch,
                             {c.seq},
                             c.link_id,
                             "annual fee " + formatNumber(c.annual_fee) +
                                 " differs from monthly fee " + formatNumber(c.monthly_fee) +
                                 " x " + how + " = " + formatNumber(expected)});
        c.review = true;
      }
    }
    ++seq_seen[c.seq];
    result.circuits.push_back(std::move(c));
  }

  std::map<std::string, std::vector<std::size_t>> by_link;
  for (std::size_t i = 0; i < result.circuits.size(); ++i)
    if (result.circuits[i].link_id) by_link[*result.circuits[i].link_id].push_back(i);
  for (const auto& [id, idx] : by_link) {
    if (idx.size() < 2) continue;
    std::vector<int> seqs;
    for (auto i : idx) {
      seqs.push_back(result.circuits[i].seq);
      result.circuits[i].review = true;
    }
    anomalies.push_back({kDuplicateLinkId, seqs, id,
                         "link id " + id + " appears on " + std::to_string(idx.size()) +
                             " rows; each row keeps a key of contract number and row until the "
                             "carrier confirms the right ids"});
  }

  std::map<int, int> seq_count;
  double total = 0;
  for (auto& c : result.circuits) {
    total += c.annual_fee;
    const int n = ++seq_count[c.seq];
    const bool unique = c.link_id && by_link[*c.link_id].size() == 1;
    c.key =
        unique ? *c.link_id
               : info.number + "#" + std::to_string(c.seq) + (n > 1 ? "." + std::to_string(n) : "");
  }
  info.computed_total = roundToCents(total);

  if (info.declared_total && std::fabs(*info.declared_total - info.computed_total) > 0.005)
    anomalies.push_back({kTotalMismatch,
                         {},
                         std::nullopt,
                         "annual fees add up to " + formatNumber(info.computed_total) +
                             " but clause 6.1 declares " + formatNumber(*info.declared_total) +
                             " (difference " +
                             formatNumber(info.computed_total - *info.declared_total) + ")"});
  if (table_total && std::fabs(*table_total - info.computed_total) > 0.005)
    anomalies.push_back({kTotalMismatch,
                         {},
                         std::nullopt,
                         "annual fees add up to " + formatNumber(info.computed_total) +
                             " but the table's total row (" + table_total_where + ") says " +
                             formatNumber(*table_total)});
  if (info.declared_count && *info.declared_count != static_cast<int>(result.circuits.size()))
    anomalies.push_back({kCountMismatch,
                         {},
                         std::nullopt,
                         "the table lists " + std::to_string(result.circuits.size()) +
                             " circuits but clause 2.1 declares " +
                             std::to_string(*info.declared_count)});
  if (!seq_count.empty()) {
    std::vector<int> missing, repeated;
    const int max_seq = seq_count.rbegin()->first;
    for (int s = 1; s <= max_seq; ++s)
      if (!seq_count.count(s)) missing.push_back(s);
    for (const auto& [s, n] : seq_count)
      if (n > 1) repeated.push_back(s);
    auto list = [](const std::vector<int>& v) {
      std::string out;
      for (int s : v) out += (out.empty() ? "" : ", ") + std::to_string(s);
      return out;
    };
    if (!missing.empty() && rules == LinkIdRules::Contract)
      anomalies.push_back({kCountMismatch, missing, std::nullopt,
                           "row numbers missing from the table: " + list(missing)});
    if (!repeated.empty())
      anomalies.push_back({kCountMismatch, repeated, std::nullopt,
                           "row numbers used more than once: " + list(repeated)});
  }

  std::stable_sort(anomalies.begin(), anomalies.end(), [](const Anomaly& a, const Anomaly& b) {
    const int ka = kindOrder(a.kind), kb = kindOrder(b.kind);
    if (ka != kb) return ka < kb;
    const int ra = a.rows.empty() ? 0 : a.rows.front(), rb = b.rows.empty() ? 0 : b.rows.front();
    return ra < rb;
  });
}

Result<void> checkText(std::string_view bytes, const std::string& source) {
  if (bytes.empty()) return fail(source, "input is empty");
  std::size_t i = 0;
  int line = 1;
  bool any = false;
  while (i < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (b == 0)
      return fail(source + ":" + std::to_string(line),
                  "binary data (NUL byte at offset " + std::to_string(i) + "), not a text file");
    if (b == '\n') ++line;
    int len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= bytes.size();
    for (int k = 1; ok && k < len; ++k)
      ok = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    if (!ok)
      return fail(source + ":" + std::to_string(line),
                  "not UTF-8 text (invalid byte at offset " + std::to_string(i) +
                      "); convert it first, e.g. iconv -f GBK -t UTF-8");
    if (b > ' ') any = true;
    i += len;
  }
  if (!any) return fail(source, "input has no text (only blanks)");
  return {};
}

}  // namespace circuitd::contract
