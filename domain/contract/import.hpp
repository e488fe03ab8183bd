#pragma once
// The contract importer: turns the text of a leased-line contract (or a NetBox circuit export)
// into a normalised circuit list plus every anomaly a human must look at. Pure: text in, data
// out; the caller reads files and writes outputs.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"

namespace circuitd::contract {

/// Facts read from the contract body (clauses 2.1, 6.1, 7.4.1, 12.1) plus the computed total.
struct ContractInfo {
  std::string number;                       ///< 合同编号, e.g. "XJWLM2405957CGN00"
  std::string customer;                     ///< 甲方
  std::string carrier;                      ///< 乙方
  std::optional<std::string> period_start;  ///< ISO date (6.1, else 12.1)
  std::optional<std::string> period_end;    ///< ISO date
  std::optional<double> declared_total;     ///< 6.1 total in yuan
  double computed_total = 0;                ///< sum of the rows' annual fees
  std::optional<int> declared_count;        ///< 2.1 number of circuits
  std::string hotline;                      ///< 7.4.1 fault hotline
};

/// One row of the circuit list, normalised.
struct ContractCircuit {
  int seq = 0;  ///< 序号 as printed (CSV: data row number)
  std::optional<std::string>
      link_id;              ///< usable link id (spaces repaired); empty when missing/malformed
  std::string raw_link_id;  ///< the cell as extracted
  std::string site;
  std::string service;
  std::optional<double> bandwidth_mbps;  ///< empty for "/"
  double monthly_fee = 0;
  double annual_fee = 0;
  std::optional<std::string> term_start;  ///< ISO date, empty for "/"
  std::optional<std::string> term_end;    ///< ISO date
  bool review = false;                    ///< a human must check this row (link id or fee problem)
  std::string key;  ///< link id when valid and unique, else "<contract>#<seq>"
  int line = 0;     ///< 1-based line in the source text
};

/// Anomaly kinds, as written in JSON.
inline constexpr const char* kDuplicateLinkId = "duplicate_link_id";
inline constexpr const char* kMissingLinkId = "missing_link_id";
inline constexpr const char* kRepairedLinkId = "repaired_link_id";
inline constexpr const char* kMalformedLinkId = "malformed_link_id";
inline constexpr const char* kFeeMismatch = "fee_mismatch";
inline constexpr const char* kTotalMismatch = "total_mismatch";
inline constexpr const char* kCountMismatch = "count_mismatch";
inline constexpr const char* kSiteInferred = "site_inferred";

/// Something in the source that a human must look at.
struct Anomaly {
  std::string kind;                    ///< one of the k* kinds above
  std::vector<int> rows;               ///< seq numbers concerned (may be empty for totals)
  std::optional<std::string> link_id;  ///< the link id concerned, if any
  std::string detail;                  ///< English sentence for the NOC
};

/// Everything an import produced.
struct ImportResult {
  ContractInfo contract;
  std::vector<ContractCircuit> circuits;
  std::vector<Anomaly> anomalies;
};

/// Parses a contract text (UTF-8): header facts and the circuit table of its attachment.
/// `source` names the input in errors ("file.txt:LINE: ...").
Result<ImportResult> parseContractText(std::string_view text, const std::string& source);

/// Parses a NetBox circuit export (cid, provider, type, status, tenant, install_date,
/// termination_date, commit_rate in kbps, description); `label` stands in for the contract number.
Result<ImportResult> parseNetboxCsv(std::string_view text, const std::string& source,
                                    const std::string& label);

/// True when the text looks like CSV with a NetBox circuit header (cid column).
bool looksLikeNetboxCsv(std::string_view text);

/// Checks that the bytes are non-empty UTF-8 text; the error says why not.
Result<void> checkText(std::string_view bytes, const std::string& source);

/// The --json document (2-space indented, keys in the documented order, trailing newline).
std::string toJson(const ImportResult& r);

/// Metadata for the generated inventory file's header comment.
struct TomlHeader {
  std::string generated_by;  ///< e.g. "circuitctl import-contract 0.1.0"
  std::string source;        ///< input file path
  std::string date;          ///< ISO date of the import
};

/// The inventory file circuitd's config includes: a header comment and one [[circuit]] per row.
std::string toInventoryToml(const ImportResult& r, const TomlHeader& h);

/// Readable summary for stderr, grouped by anomaly kind with row numbers.
std::string summaryText(const ImportResult& r);

/// The rows as domain circuits (key, link id, contract, row, site, service, bandwidth, fee, term).
std::vector<Circuit> toCircuits(const ImportResult& r);

}  // namespace circuitd::contract
