// NetBox circuit export (Circuits > Export > CSV): RFC 4180 fields, quoted values with embedded
// commas, quotes and newlines, an optional UTF-8 BOM and CRLF line ends.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "domain/contract/import.hpp"
#include "domain/contract/import_common.hpp"
#include "domain/contract/text_util.hpp"

namespace circuitd::contract {

using namespace detail;

namespace {

struct Record {
  int line = 0;  // line the record starts on
  std::vector<std::string> fields;
};

Result<std::vector<Record>> splitCsv(std::string_view text, const std::string& source) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<Record> out;
  Record rec;
  std::string field;
  bool quoted = false, in_quotes = false, field_started = false;
  int line = 1;
  rec.line = 1;
  auto endField = [&] {
    rec.fields.push_back(quoted ? field : trim(field));
    field.clear();
    quoted = false;
    field_started = false;
  };
  auto endRecord = [&] {
    endField();
    const bool blank = rec.fields.size() == 1 && rec.fields[0].empty();
    if (!blank) out.push_back(std::move(rec));
    rec = Record{};
    rec.line = line;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        if (!(ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) field.push_back(ch);
      }
      continue;
    }
    if (ch == '"') {
      if (field_started && !trim(field).empty())
        return fail(source + ":" + std::to_string(line), "quote inside an unquoted field");
      field.clear();
      in_quotes = quoted = field_started = true;
    } else if (ch == ',') {
      endField();
    } else if (ch == '\r') {
      continue;
    } else if (ch == '\n') {
      ++line;
      endRecord();
    } else {
      if (quoted && ch != ' ' && ch != '\t')
        return fail(source + ":" + std::to_string(line), "text after a closing quote");
      field.push_back(ch);
      field_started = true;
    }
  }
  if (in_quotes)
    return fail(source + ":" + std::to_string(rec.line), "quoted field is never closed");
  if (field_started || !rec.fields.empty()) endRecord();
  return out;
}

std::string headerName(const std::string& raw) {
  std::string h;
  for (unsigned char c : trim(raw)) h.push_back(static_cast<char>(std::tolower(c)));
  if (const auto p = h.find('('); p != std::string::npos) h = trim(h.substr(0, p));
  std::replace(h.begin(), h.end(), ' ', '_');
  if (h == "circuit_id" || h == "circuit") return "cid";
  return h;
}

std::optional<std::string> isoOrEmpty(const std::string& v) {
  const auto d = findDates(v);
  if (d.size() != 1) return std::nullopt;
  return d[0];
}

}  // namespace

bool looksLikeNetboxCsv(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const std::string first(text.substr(0, text.find('\n')));
  std::size_t start = 0;
  while (start <= first.size()) {
    std::size_t comma = first.find(',', start);
    if (comma == std::string::npos) comma = first.size();
    std::string f = first.substr(start, comma - start);
    f.erase(std::remove(f.begin(), f.end(), '"'), f.end());
    if (headerName(f) == "cid") return true;
    start = comma + 1;
  }
  return false;
}

Result<ImportResult> parseNetboxCsv(std::string_view text, const std::string& source,
                                    const std::string& label) {
  if (auto ok = checkText(text, source); !ok) return fail(ok.error());
  auto recs = splitCsv(text, source);
  if (!recs) return fail(recs.error());
  if (recs->empty()) return fail(source, "CSV has no header row");
  const auto& head = recs->front();
  std::map<std::string, std::size_t> idx;
  for (std::size_t i = 0; i < head.fields.size(); ++i) idx.emplace(headerName(head.fields[i]), i);
  if (!idx.count("cid"))
    return fail(
        source + ":" + std::to_string(head.line),
        "not a NetBox circuit export: no cid column (expected cid, provider, type, status, tenant, "
        "install_date, termination_date, commit_rate, description)");
  if (recs->size() == 1) return fail(source, "CSV has a header but no circuits");

  auto get = [&](const Record& r, const char* name) -> std::string {
    const auto it = idx.find(name);
    if (it == idx.end() || it->second >= r.fields.size()) return {};
    return r.fields[it->second];
  };
  ImportResult result;
  result.contract.number = label;
  std::set<std::string> tenants, providers;
  std::vector<RowInput> rows;
  int seq = 0;
  for (std::size_t k = 1; k < recs->size(); ++k) {
    const Record& rec = (*recs)[k];
    const std::string at = source + ":" + std::to_string(rec.line);
    if (rec.fields.size() > head.fields.size())
      return fail(at, "row has " + std::to_string(rec.fields.size()) +
                          " fields but the header has " + std::to_string(head.fields.size()));
    RowInput in;
    in.seq = ++seq;
    in.line = rec.line;
    in.link_raw = get(rec, "cid");
    in.service = joinPieces(get(rec, "type"), false);
    const std::string tenant = trim(get(rec, "tenant"));
    const std::string description = trim(get(rec, "description"));
    in.site = joinPieces(description.empty() ? tenant : description, false);
    if (!tenant.empty()) tenants.insert(tenant);
    if (const std::string p = trim(get(rec, "provider")); !p.empty()) providers.insert(p);
    const std::string rate = trim(get(rec, "commit_rate"));
    if (!rate.empty()) {
      const auto kbps = parseMoney(rate);
      if (!kbps) return fail(at + " commit_rate", "'" + rate + "' is not a rate in kbps");
      in.bandwidth_mbps = *kbps / 1000.0;
    }
    for (auto [name, target] :
         {std::pair{"install_date", &in.term_start}, std::pair{"termination_date", &in.term_end}}) {
      const std::string v = trim(get(rec, name));
      if (v.empty()) continue;
      auto iso = isoOrEmpty(v);
      if (!iso) return fail(at + " " + name, "'" + v + "' is not a date (YYYY-MM-DD)");
      *target = *iso;
    }
    if (in.term_start && in.term_end && *in.term_end < *in.term_start)
      return fail(at + " termination_date",
                  "termination date " + *in.term_end + " is before install date " + *in.term_start);
    rows.push_back(std::move(in));
  }
  if (tenants.size() == 1) result.contract.customer = *tenants.begin();
  if (providers.size() == 1) result.contract.carrier = *providers.begin();
  finishImport(result, std::move(rows), LinkIdRules::Netbox, std::nullopt, {});
  return result;
}

}  // namespace circuitd::contract
