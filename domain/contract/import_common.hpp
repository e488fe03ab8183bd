#pragma once
// The part of an import shared by every input format: link-id checks, stable keys, fee and
// total checks (internal to the library).
#include <optional>
#include <string>
#include <vector>

#include "domain/contract/import.hpp"

namespace circuitd::contract {

/// One row as read from the source, before link-id and money checks.
struct RowInput {
  int seq = 0;
  int line = 0;
  std::string site;
  std::string service;
  std::string link_raw;
  std::optional<double> bandwidth_mbps;
  double monthly_fee = 0;
  double annual_fee = 0;
  std::optional<std::string> term_start;
  std::optional<std::string> term_end;
};

/// How strict a link id must look: carrier ids in contracts are letters then digits; NetBox
/// cids are free-form tokens.
enum class LinkIdRules { Contract, Netbox };

/// Fills result.circuits from rows, adds link-id, fee, total and count anomalies and sorts all
/// anomalies by kind then row. `table_total` is the table's own 合计 row when it has one.
void finishImport(ImportResult& result, std::vector<RowInput> rows, LinkIdRules rules,
                  std::optional<double> table_total, const std::string& table_total_where);

}  // namespace circuitd::contract
