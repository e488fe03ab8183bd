// Contract text importer. The text comes from a signed PDF, so the circuit table in its
// attachment is damaged in the ways PDF extraction damages tables: merged cells leave blanks,
// cells wrap over rows and pages, columns merge or swap, page headers interrupt rows and CJK
// words and ids are broken by spaces. Each repair is reported as an anomaly so that a human can
// check it; nothing is dropped silently.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "domain/contract/import.hpp"
#include "domain/contract/import_common.hpp"
#include "domain/contract/text_util.hpp"

namespace circuitd::contract {

using namespace detail;

namespace {

enum class Col { Seq, Site, Service, Link, Bandwidth, Monthly, Annual, Term, Other };
enum class Sep { Tab, Pipe, Spaces };

bool contains(const std::string& s, const char* what) { return s.find(what) != std::string::npos; }

Col classifyHeader(const std::string& raw) {
  const std::string h = removeBlanks(raw);
  for (const char* k : {"链路号", "链路编号", "电路编号", "电路代号", "电路号", "专线号",
                        "业务号码", "线路编号", "链路ID"})
    if (contains(h, k)) return Col::Link;
  if (contains(h, "序号") || h == "序" || h == "No." || h == "No") return Col::Seq;
  for (const char* k : {"期限", "租期", "起止", "服务期", "协议期", "起租"})
    if (contains(h, k)) return Col::Term;
  if (contains(h, "年") && (contains(h, "费") || contains(h, "租") || contains(h, "金额")))
    return Col::Annual;
  if ((contains(h, "月") && (contains(h, "费") || contains(h, "租"))) || contains(h, "资费"))
    return Col::Monthly;
  if (contains(h, "带宽") || contains(h, "速率")) return Col::Bandwidth;
  for (const char* k : {"单位", "站点", "地址", "地点", "安装"})
    if (contains(h, k)) return Col::Site;
  for (const char* k : {"类型", "业务", "网络", "服务"})
    if (contains(h, k)) return Col::Service;
  return Col::Other;
}

std::vector<std::string> splitCells(const std::string& line, Sep sep) {
  std::vector<std::string> cells;
  if (sep == Sep::Tab) {
    std::size_t start = 0;
    while (true) {
      const std::size_t t = line.find('\t', start);
      cells.push_back(
          trim(line.substr(start, t == std::string::npos ? std::string::npos : t - start)));
      if (t == std::string::npos) break;
      start = t + 1;
    }
    return cells;
  }
  if (sep == Sep::Pipe) {
    std::string t = trim(line);
    if (!t.empty() && t.front() == '|') t.erase(0, 1);
    if (!t.empty() && t.back() == '|') t.pop_back();
    std::size_t start = 0;
    while (true) {
      const std::size_t p = t.find('|', start);
      cells.push_back(
          trim(t.substr(start, p == std::string::npos ? std::string::npos : p - start)));
      if (p == std::string::npos) break;
      start = p + 1;
    }
    return cells;
  }
  // Columns aligned with runs of spaces: two or more blanks (or an ideographic space) separate
  // cells, a single space stays inside a cell (the extractor's broken words).
  std::u32string u = decode(trim(line));
  std::u32string cur;
  int blanks = 0;
  auto flush = [&] {
    cells.push_back(trim(encode(cur)));
    cur.clear();
  };
  for (char32_t c : u) {
    if (c == 0x3000 || c == U'\t') {
      blanks += 2;
      continue;
    }
    if (c == U' ') {
      ++blanks;
      continue;
    }
    if (blanks >= 2 && !cur.empty())
      flush();
    else if (blanks == 1 && !cur.empty())
      cur.push_back(U' ');
    blanks = 0;
    cur.push_back(c);
  }
  if (!cur.empty()) flush();
  return cells;
}

bool isPipeSeparatorRow(const std::vector<std::string>& cells) {
  static const std::regex kSep(R"(^:?-{2,}:?$)");
  bool any = false;
  for (const auto& c : cells) {
    if (c.empty()) continue;
    if (!std::regex_match(c, kSep)) return false;
    any = true;
  }
  return any;
}

bool linkLike(const std::string& raw) {
  static const std::regex kLoose(R"(^[A-Za-z]{0,10}\d{6,}[A-Za-z]?$)");
  return std::regex_match(removeBlanks(raw), kLoose);
}

bool textLike(const std::string& v) {
  return !(linkLike(v) || parseMoney(v) || parseBandwidth(v) || findDates(v).size() >= 1);
}

int scoreCell(Col c, const std::string& v) {
  const bool empty = v.empty();
  switch (c) {
    case Col::Seq:
      return parseInt(v) ? 2 : -5;
    case Col::Link:
      if (empty || isPlaceholder(v)) return 0;
      if (linkLike(v)) return 2;
      if (parseBandwidth(v) || parseMoney(v)) return -3;
      return -2;
    case Col::Bandwidth:
      if (parseBandwidth(v) || isPlaceholder(v)) return 2;
      return empty ? 0 : -3;
    case Col::Monthly:
    case Col::Annual:
      if (parseMoney(v)) return 2;
      return empty ? -1 : -4;
    case Col::Term:
      if (findDates(v).size() >= 2 || isPlaceholder(v)) return 2;
      return empty ? 0 : -3;
    case Col::Site:
    case Col::Service:
      if (empty || isPlaceholder(v)) return 0;
      return textLike(v) ? 1 : -3;
    case Col::Other:
      return 0;
  }
  return 0;
}

// Suffixes of organisational units and premises: a site name ends with one of these.
bool endsWithUnitSuffix(const std::string& s) {
  static const std::vector<std::string> kSuffixes{"局", "所", "队", "室", "站", "中心", "点", "院",
                                                  "部", "处", "科", "厅", "校", "馆",   "厂", "场"};
  for (const auto& x : kSuffixes)
    if (s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0) return true;
  return false;
}

bool serviceLike(const std::string& s) {
  for (const char* k : {"电路", "专线", "宽带", "网", "调度", "报警", "VPN", "专网", "数据", "语音",
                        "互联", "基站", "MSTP", "SDH", "以太"})
    if (contains(s, k)) return true;
  return false;
}

bool startsWithCode(const std::string& s) {
  static const std::regex kCode(R"(^[A-Z]{2,}-?\d)");
  return std::regex_search(s, kCode);
}

struct RawRow {
  int seq = 0;
  int line = 0;
  std::vector<std::string> cells;
  std::vector<std::pair<Col, std::string>>
      continuations;  // (column, text, line) from overflow lines
  std::vector<int> continuation_lines;
};

struct Row {
  int seq = 0;
  int line = 0;
  std::string site;
  std::string service;
  std::string link_raw;
  std::string bw_raw;
  std::string monthly_raw;
  std::string annual_raw;
  std::string term_raw;
  bool merged = false;  // site and service in one cell
  std::string merged_text;
  bool swapped = false;
  bool site_explicit = false;
  std::string site_cell;  // the site cell as extracted, for anomaly details
  std::vector<std::pair<Col, std::string>> continuations;
  std::vector<int> continuation_lines;
};

struct Header {
  Sep sep = Sep::Tab;
  std::vector<Col> cols;
  int line = 0;
  int index(Col c) const {
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i] == c) return static_cast<int>(i);
    return -1;
  }
};

std::optional<Header> tryHeader(const std::string& line, int lineno) {
  std::vector<Sep> seps;
  if (line.find('\t') != std::string::npos) seps.push_back(Sep::Tab);
  if (!trim(line).empty() && trim(line).front() == '|') seps.push_back(Sep::Pipe);
  seps.push_back(Sep::Spaces);
  for (Sep sep : seps) {
    const auto cells = splitCells(line, sep);
    if (cells.size() < 5) continue;
    Header h{sep, {}, lineno};
    for (const auto& c : cells) h.cols.push_back(classifyHeader(c));
    if (h.index(Col::Seq) >= 0 && h.index(Col::Link) >= 0 && h.index(Col::Site) >= 0 &&
        h.index(Col::Monthly) >= 0 && h.index(Col::Annual) >= 0)
      return h;
  }
  return std::nullopt;
}

std::string where(const std::string& source, int line) {
  return source + ":" + std::to_string(line);
}

// --- header facts ----------------------------------------------------------------------------

std::string bracketless(const std::string& s) {
  std::string out;
  for (char32_t c : decode(s))
    if (c != U'[' && c != U']' && c != U'【' && c != U'】' && !isBlank(c))
      out += encode(std::u32string(1, c));
  return out;
}

bool clauseLine(const std::string& line, const std::string& clause) {
  const std::string t = trim(line);
  if (t.compare(0, clause.size(), clause) != 0) return false;
  if (t.size() == clause.size()) return true;
  const char next = t[clause.size()];
  return !(next >= '0' && next <= '9') && next != '.';
}

// A clause's text: its line plus following lines until the next clause number or heading.
std::string clauseText(const std::vector<std::string>& lines, const std::string& clause) {
  static const std::regex kNextClause(R"(^\s*(\d+\.\d+(\.\d+)*\s|#|第.+条))");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (!clauseLine(lines[i], clause)) continue;
    std::string text = lines[i];
    for (std::size_t j = i + 1; j < lines.size() && j < i + 12; ++j) {
      if (std::regex_search(lines[j], kNextClause)) break;
      text += lines[j];
    }
    return text;
  }
  return {};
}

std::optional<std::string> partyAfter(const std::vector<std::string>& lines, const char* label) {
  const std::string l(label);
  for (const auto& line : lines) {
    const std::string t = trim(line);
    for (const std::string colon : {"：", ":"}) {
      if (t.compare(0, l.size() + colon.size(), l + colon) == 0) {
        const std::string v = bracketless(t.substr(l.size() + colon.size()));
        if (!v.empty()) return v;
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> contractNumber(const std::vector<std::string>& lines) {
  static const std::regex kNum(R"(([A-Z0-9][A-Z0-9-]{5,}))");
  static const std::regex kWhole(R"(^\s*([A-Z0-9][A-Z0-9-]{5,})\s*$)");
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto pos = lines[i].find("合同编号");
    if (pos == std::string::npos) continue;
    std::smatch m;
    const std::string rest = lines[i].substr(pos);
    if (std::regex_search(rest, m, kNum) &&
        std::any_of(m[1].first, m[1].second, [](char c) { return c >= '0' && c <= '9'; }))
      return m[1].str();
    int seen = 0;
    for (std::size_t j = i + 1; j < lines.size() && seen < 4; ++j) {
      if (trim(lines[j]).empty()) continue;
      ++seen;
      if (std::regex_match(lines[j], m, kWhole)) return m[1].str();
    }
  }
  static const std::regex kEnglish(R"(Contract\s*No\.?\s*:?\s*([A-Z0-9][A-Z0-9-]{5,}))");
  for (const auto& line : lines) {
    std::smatch m;
    if (std::regex_search(line, m, kEnglish)) return m[1].str();
  }
  return std::nullopt;
}

}  // namespace

Result<ImportResult> parseContractText(std::string_view text, const std::string& source) {
  if (auto ok = checkText(text, source); !ok) return fail(ok.error());
  const auto lines = splitLines(text);

  // --- the circuit table --------------------------------------------------------------------
  std::optional<Header> header;
  for (std::size_t i = 0; i < lines.size() && !header; ++i)
    header = tryHeader(lines[i], static_cast<int>(i + 1));

  ImportResult result;
  auto& info = result.contract;
  const auto number = contractNumber(lines);
  if (!header && !number)
    return fail(source,
                "not a circuit contract: no contract number (合同编号) and no circuit table "
                "(a header row naming 序号, 单位, 链路号 and fee columns)");
  if (!number) return fail(source, "no contract number (合同编号) found");
  if (!header)
    return fail(source,
                "no circuit table found: expected a header row naming 序号, 单位, 链路号, "
                "资费 (元/月) and 年资费 columns");
  info.number = *number;
  info.customer = partyAfter(lines, "甲方").value_or("");
  info.carrier = partyAfter(lines, "乙方").value_or("");

  {
    std::vector<std::string> dates = findDates(clauseText(lines, "6.1"));
    if (dates.size() < 2) dates = findDates(clauseText(lines, "12.1"));
    if (dates.size() >= 2) {
      info.period_start = dates[0];
      info.period_end = dates[1];
    }
    static const std::regex kYuan(R"(([0-9][0-9,]*(?:\.[0-9]+)?)\s*元)");
    std::smatch m;
    const std::string c61 = clauseText(lines, "6.1");
    if (std::regex_search(c61, m, kYuan)) info.declared_total = parseMoney(m[1].str());
    static const std::regex kCount(R"((\d+)\s*条)");
    const std::string c21 = clauseText(lines, "2.1");
    if (std::regex_search(c21, m, kCount)) info.declared_count = std::stoi(m[1].str());
    static const std::regex kPhone(R"((\d[\d-]{4,}\d))");
    const std::string c741 = clauseText(lines, "7.4.1");
    if (std::regex_search(c741, m, kPhone)) info.hotline = m[1].str();
  }

  const Header& h = *header;
  const int H = static_cast<int>(h.cols.size());
  const int seq_idx = h.index(Col::Seq);
  std::vector<RawRow> raws;
  std::optional<double> table_total;
  int table_total_line = 0;
  for (std::size_t i = static_cast<std::size_t>(h.line); i < lines.size(); ++i) {
    const int lineno = static_cast<int>(i + 1);
    const std::string& line = lines[i];
    const std::string t = trim(line);
    if (t.empty()) continue;
    if (t.rfind("#", 0) == 0 || contains(t, "附件二") || contains(t, "附件2")) break;
    if (h.sep == Sep::Tab && line.find('\t') == std::string::npos) continue;  // page header/footer
    if (h.sep == Sep::Pipe && t.front() != '|') continue;
    auto cells = splitCells(line, h.sep);
    if (h.sep == Sep::Pipe && isPipeSeparatorRow(cells)) continue;
    bool is_total = false;
    for (const auto& c : cells) is_total = is_total || contains(c, "合计") || contains(c, "总计");
    if (!is_total && h.sep == Sep::Spaces && cells.size() < 3) continue;  // prose or page header
    if (tryHeader(line, lineno)) continue;  // header repeated after a page break
    if (is_total) {
      const int ai = h.index(Col::Annual);
      if (ai >= 0 && ai < static_cast<int>(cells.size()) && parseMoney(cells[ai]))
        table_total = parseMoney(cells[ai]);
      else
        for (auto it = cells.rbegin(); it != cells.rend(); ++it)
          if (auto v = parseMoney(*it)) {
            table_total = v;
            break;
          }
      table_total_line = lineno;
      break;
    }
    const std::string seq_cell =
        seq_idx < static_cast<int>(cells.size()) ? cells[seq_idx] : std::string();
    if (auto seq = parseInt(seq_cell)) {
      raws.push_back(RawRow{*seq, lineno, std::move(cells), {}, {}});
      continue;
    }
    int non_empty = 0, at = -1;
    for (std::size_t k = 0; k < cells.size(); ++k)
      if (!cells[k].empty()) ++non_empty, at = static_cast<int>(k);
    if (seq_cell.empty() && non_empty == 1 && !raws.empty()) {
      // A cell that overflowed past a page break: it continues the previous row's cell.
      const Col col = at < H ? h.cols[at] : Col::Other;
      raws.back().continuations.emplace_back(col, cells[at]);
      raws.back().continuation_lines.push_back(lineno);
      continue;
    }
    return fail(where(source, lineno),
                "table row does not start with a sequence number: '" + t + "'");
  }
  if (raws.empty()) return fail(where(source, h.line), "the circuit table has no rows");

  // --- resolve each row's layout --------------------------------------------------------------
  const int site_idx = h.index(Col::Site);
  const int svc_idx = h.index(Col::Service);
  std::vector<Row> rows;
  std::vector<Anomaly> code_repairs;
  for (const auto& raw : raws) {
    std::vector<Col> best_cols;
    std::vector<std::string> best_cells;
    int best_score = -1000000;
    bool best_merged = false;
    auto consider = [&](std::vector<Col> cols, std::vector<std::string> cells, bool merged) {
      int s = 0;
      for (std::size_t k = 0; k < cols.size(); ++k)
        s += scoreCell(cols[k], k < cells.size() ? cells[k] : std::string());
      if (s > best_score)
        best_score = s, best_cols = std::move(cols), best_cells = std::move(cells),
        best_merged = merged;
    };
    {
      std::vector<std::string> cells = raw.cells;
      bool extra = false;
      for (std::size_t k = H; k < cells.size(); ++k) extra = extra || !cells[k].empty();
      cells.resize(H);
      if (!extra) consider(h.cols, cells, false);
    }
    std::vector<std::string> stripped = raw.cells;
    while (!stripped.empty() && stripped.back().empty()) stripped.pop_back();
    if (site_idx >= 0 && svc_idx >= 0 && std::abs(site_idx - svc_idx) == 1 &&
        static_cast<int>(stripped.size()) == H - 1) {
      // Site and service merged into one cell: the row has one cell fewer than the header.
      const int k = std::min(site_idx, svc_idx);
      std::vector<Col> cols;
      for (int c = 0; c < H; ++c)
        if (c != k + 1) cols.push_back(c == k ? Col::Other : h.cols[c]);
      consider(cols, stripped, true);
    }
    if (best_cols.empty())
      return fail(where(source, raw.line), "row " + std::to_string(raw.seq) + " has " +
                                               std::to_string(raw.cells.size()) +
                                               " cells but the header has " + std::to_string(H));
    Row r;
    r.seq = raw.seq;
    r.line = raw.line;
    r.merged = best_merged;
    r.continuations = raw.continuations;
    r.continuation_lines = raw.continuation_lines;
    for (std::size_t k = 0; k < best_cols.size(); ++k) {
      const std::string& v = best_cells[k];
      switch (best_cols[k]) {
        case Col::Site:
          r.site = joinPieces(v, true);
          r.site_cell = v;
          break;
        case Col::Service:
          r.service = joinPieces(v, false);
          break;
        case Col::Link:
          r.link_raw = v;
          break;
        case Col::Bandwidth:
          r.bw_raw = v;
          break;
        case Col::Monthly:
          r.monthly_raw = v;
          break;
        case Col::Annual:
          r.annual_raw = v;
          break;
        case Col::Term:
          r.term_raw = v;
          break;
        case Col::Other:
          if (best_merged && static_cast<int>(k) == std::min(site_idx, svc_idx)) r.merged_text = v;
          break;
        case Col::Seq:
          break;
      }
    }
    for (auto& [col, extra] : r.continuations) {
      if (col == Col::Term) r.term_raw += " " + extra;
      if (col == Col::Link) r.link_raw += extra;
    }
    // Ditto marks stand for the cell above, like a blank merged cell.
    for (std::string* s : {&r.site, &r.service})
      if (*s == "同上" || *s == "〃" || *s == "\"") s->clear();
    r.site_explicit = !r.site.empty();
    if (site_idx >= 0 && site_idx < static_cast<int>(raw.cells.size()) && !best_merged) {
      static const std::regex kRepeatedWrapDigit(R"(([A-Z]+-(\d)) (\2\d))");
      std::smatch m;
      const std::string& cell = raw.cells[site_idx];
      if (std::regex_search(cell, m, kRepeatedWrapDigit))
        code_repairs.push_back({kSiteInferred,
                                {r.seq},
                                std::nullopt,
                                "site code '" + m[0].str() + "' read as '" + m[1].str() +
                                    m[3].str().substr(1) +
                                    "' (the digit at the line wrap is printed twice)"});
    }
    rows.push_back(std::move(r));
  }

  std::set<std::string> known_services, known_sites;
  for (const auto& r : rows) {
    if (r.merged) continue;
    if (!r.service.empty()) known_services.insert(r.service);
    if (!r.site.empty()) known_sites.insert(r.site);
  }

  std::vector<Anomaly>& anomalies = result.anomalies;
  anomalies = std::move(code_repairs);
  auto rowsOf = [](int from, int to, const std::vector<Row>& rs) {
    std::vector<int> v;
    for (int k = from; k <= to; ++k) v.push_back(rs[k].seq);
    return v;
  };

  // Rows under a group label: the label sits in the site column of the first row and each row
  // names its unit in the service column (e.g. a "350M 基站 电路" block listing 分局/派出所).
  {
    std::optional<std::string> group;
    int group_first = -1;
    auto closeGroup = [&](int last) {
      if (group && group_first >= 0 && last >= group_first)
        anomalies.push_back(
            {kSiteInferred, rowsOf(group_first, last, rows), std::nullopt,
             "rows sit under the group '" + *group +
                 "' with the unit in the service column: the unit is taken as the site and the "
                 "group as the service"});
      group.reset();
      group_first = -1;
    };
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
      Row& r = rows[i];
      if (r.merged) {
        closeGroup(i - 1);
        continue;
      }
      const bool svc_is_unit = !r.service.empty() && !serviceLike(r.service) &&
                               (endsWithUnitSuffix(r.service) || known_sites.count(r.service));
      if (svc_is_unit && !r.site.empty() && serviceLike(r.site) && !endsWithUnitSuffix(r.site)) {
        closeGroup(i - 1);
        group = r.site;
        group_first = i;
      }
      if (svc_is_unit && group && (r.site.empty() || r.site == *group)) {
        r.site = r.service;
        r.service = *group;
        r.swapped = true;
        r.site_explicit = true;
        continue;
      }
      if (group) closeGroup(i - 1);
    }
    if (group) closeGroup(static_cast<int>(rows.size()) - 1);
  }

  // Site and service merged into one cell: split at the longest service named elsewhere.
  {
    std::vector<std::string> services(known_services.begin(), known_services.end());
    std::sort(services.begin(), services.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    int block_first = -1;
    std::string block_service;
    auto closeBlock = [&](int last) {
      if (block_first >= 0)
        anomalies.push_back(
            {kSiteInferred, rowsOf(block_first, last, rows), std::nullopt,
             "site and service were merged into one cell; split before the service '" +
                 block_service + "'"});
      block_first = -1;
    };
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
      Row& r = rows[i];
      if (!r.merged) {
        closeBlock(i - 1);
        continue;
      }
      const std::string joined = joinPieces(r.merged_text, false);
      std::string svc;
      for (const auto& s : services)
        if (joined.size() > s.size() &&
            joined.compare(joined.size() - s.size(), s.size(), s) == 0) {
          svc = s;
          break;
        }
      if (!svc.empty()) {
        r.site = joinPieces(joined.substr(0, joined.size() - svc.size()), true);
        r.service = svc;
      } else {
        // No known service matches: the first blank-separated piece is the site.
        const auto sp = r.merged_text.find(' ');
        r.site = joinPieces(r.merged_text.substr(0, sp), true);
        r.service = sp == std::string::npos ? std::string()
                                            : joinPieces(r.merged_text.substr(sp + 1), false);
        svc = r.service.empty() ? "(none)" : r.service;
      }
      r.site_explicit = !r.site.empty();
      if (block_first >= 0 && svc != block_service) closeBlock(i - 1);
      if (block_first < 0) block_first = i, block_service = svc;
    }
    closeBlock(static_cast<int>(rows.size()) - 1);
  }

  // Cells that overflowed past a page break continue the site of the row before the break.
  for (auto& r : rows) {
    for (std::size_t k = 0; k < r.continuations.size(); ++k) {
      const auto& [col, extra] = r.continuations[k];
      if (col != Col::Site && !(r.merged && col == Col::Other)) continue;
      const std::string before = r.site;
      r.site = joinTwo(r.site, extra, true);
      const std::string at = where(source, r.continuation_lines[k]);
      if (r.site != before)
        anomalies.push_back({kSiteInferred,
                             {r.seq},
                             std::nullopt,
                             "site continued after a page break (" + at + " '" + extra +
                                 "'): joined as '" + r.site + "'"});
    }
  }

  // A site name split over consecutive rows: a piece that is not a complete name (no unit
  // suffix) followed by short pieces until one completes it.
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    Row& r = rows[i];
    if (!r.site_explicit || r.swapped || r.merged || endsWithUnitSuffix(r.site)) continue;
    std::string acc = r.site;
    int end = -1;
    for (int j = i + 1; j < static_cast<int>(rows.size()) && j <= i + 4; ++j) {
      const Row& n = rows[j];
      if (!n.site_explicit || n.swapped || n.merged || startsWithCode(n.site) ||
          decode(n.site).size() > 6)
        break;
      acc = joinTwo(acc, n.site, true);
      if (endsWithUnitSuffix(acc)) {
        end = j;
        break;
      }
    }
    if (end < 0) continue;
    std::string pieces;
    for (int k = i; k <= end; ++k) pieces += (k > i ? "' + '" : "'") + rows[k].site_cell;
    anomalies.push_back({kSiteInferred, rowsOf(i, end, rows), std::nullopt,
                         "site name split over rows " + std::to_string(rows[i].seq) + "-" +
                             std::to_string(rows[end].seq) + " (" + pieces + "') joined as '" +
                             acc + "'"});
    for (int k = i; k <= end; ++k) rows[k].site = acc;
    i = end;
  }

  // Blank site under a merged cell: carried down from the last row that named one.
  {
    int source_row = -1;
    std::vector<int> carried;
    auto flush = [&] {
      if (source_row >= 0 && !carried.empty())
        anomalies.push_back({kSiteInferred, carried, std::nullopt,
                             "blank site (merged cell) carried down from row " +
                                 std::to_string(rows[source_row].seq) + ": '" +
                                 rows[source_row].site + "'"});
      carried.clear();
    };
    for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
      if (!rows[i].site.empty() && (rows[i].site_explicit || carried.empty())) {
        if (rows[i].site_explicit) {
          flush();
          source_row = i;
        }
        continue;
      }
      if (rows[i].site.empty() && source_row >= 0) {
        rows[i].site = rows[source_row].site;
        carried.push_back(rows[i].seq);
      }
    }
    flush();
  }

  // --- typed fields -----------------------------------------------------------------------------
  std::vector<RowInput> inputs;
  for (const auto& r : rows) {
    RowInput in;
    in.seq = r.seq;
    in.line = r.line;
    in.site = r.site;
    in.service = r.service;
    in.link_raw = r.link_raw;
    const std::string at = where(source, r.line) + " row " + std::to_string(r.seq);
    if (isPlaceholder(r.bw_raw) || r.bw_raw.empty()) {
      in.bandwidth_mbps = std::nullopt;
    } else if (auto bw = parseBandwidth(r.bw_raw)) {
      in.bandwidth_mbps = bw;
    } else {
      return fail(at, "bandwidth '" + r.bw_raw + "' is neither a rate like 100M nor '/'");
    }
    auto monthly = parseMoney(r.monthly_raw);
    if (!monthly) return fail(at, "monthly fee '" + r.monthly_raw + "' is not a number");
    auto annual = parseMoney(r.annual_raw);
    if (!annual) return fail(at, "annual fee '" + r.annual_raw + "' is not a number");
    in.monthly_fee = *monthly;
    in.annual_fee = *annual;
    if (!r.term_raw.empty() && !isPlaceholder(r.term_raw)) {
      const auto dates = findDates(r.term_raw);
      if (dates.size() < 2)
        return fail(at, "term '" + r.term_raw + "' does not name a start and an end date");
      if (dates[1] < dates[0]) return fail(at, "term '" + r.term_raw + "' ends before it starts");
      in.term_start = dates[0];
      in.term_end = dates[1];
    }
    inputs.push_back(std::move(in));
  }
  finishImport(result, std::move(inputs), LinkIdRules::Contract, table_total,
               table_total_line ? where(source, table_total_line) : std::string());
  return result;
}

}  // namespace circuitd::contract
