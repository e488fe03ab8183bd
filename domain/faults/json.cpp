#include "domain/faults/json.hpp"

#include <nlohmann/json.hpp>

namespace circuitd::faults {

using nlohmann::json;

namespace {

json opt(const std::optional<TimePoint>& t) { return t ? json(formatIso(*t)) : json(nullptr); }

json decisionJson(const Decision& d) {
  json ev = json::array();
  for (const auto& e : d.evidence)
    ev.push_back({{"name", e.name}, {"value", e.value}, {"time", formatIso(e.time)}});
  return {{"state", toString(d.state)}, {"location", toString(d.location)},
          {"party", toString(d.party)}, {"clause", d.clause},
          {"rule_id", d.rule_id},       {"summary", d.summary},
          {"next_step", d.next_step},   {"evidence", ev}};
}

}  // namespace

std::string decisionToJson(const Decision& d) { return decisionJson(d).dump(); }

Result<Decision> decisionFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("decision", "not a JSON object");
  Decision d;
  auto str = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (auto s = parseCircuitState(str("state")))
    d.state = *s;
  else
    return fail("decision.state", "unknown state \"" + str("state") + "\"");
  if (auto l = parseFaultLocation(str("location")))
    d.location = *l;
  else
    return fail("decision.location", "unknown location \"" + str("location") + "\"");
  if (auto p = parseParty(str("party")))
    d.party = *p;
  else
    return fail("decision.party", "unknown party \"" + str("party") + "\"");
  d.clause = str("clause");
  d.rule_id = str("rule_id");
  d.summary = str("summary");
  d.next_step = str("next_step");
  if (auto it = j.find("evidence"); it != j.end() && it->is_array()) {
    int i = 0;
    for (const auto& e : *it) {
      if (!e.is_object())
        return fail("decision.evidence[" + std::to_string(i) + "]", "not an object");
      Evidence ev;
      ev.name = e.value("name", "");
      ev.value = e.value("value", "");
      auto t = parseIso(e.value("time", ""));
      if (!t) return fail("decision.evidence[" + std::to_string(i) + "].time", "not an ISO time");
      ev.time = *t;
      d.evidence.push_back(std::move(ev));
      ++i;
    }
  }
  return d;
}

std::string faultToJson(const Fault& f) {
  json j = {{"id", f.id},
            {"circuit", f.circuit},
            {"cause", f.cause},
            {"incident", f.incident},
            {"root_cause", f.root_cause},
            {"state", toString(f.state)},
            {"circuit_state", toString(f.circuit_state)},
            {"first_seen", formatIso(f.first_seen)},
            {"last_change", formatIso(f.last_change)},
            {"down_since", opt(f.down_since)},
            {"recovered_at", opt(f.recovered_at)},
            {"resolved_at", opt(f.resolved_at)},
            {"closed_at", opt(f.closed_at)},
            {"acked_by", f.acked_by},
            {"acked_at", opt(f.acked_at)},
            {"ticket", f.ticket},
            {"reported_by", f.reported_by},
            {"reported_at", opt(f.reported_at)},
            {"closed_by", f.closed_by},
            {"occurrences", f.occurrences},
            {"down_minutes", static_cast<double>(f.down_ms) / 60000.0},
            {"decision", decisionJson(f.decision)}};
  return j.dump();
}

std::string transitionToJson(const Transition& t) {
  json j = {{"fault_id", t.fault_id}, {"seq", t.seq},
            {"key", t.key()},         {"time", formatIso(t.time)},
            {"actor", t.actor},       {"from", t.from ? json(toString(*t.from)) : json(nullptr)},
            {"to", toString(t.to)},   {"detail", t.detail}};
  return j.dump();
}

std::string circuitToJson(const Circuit& c) {
  json j = {{"key", c.key},
            {"link_id", c.link_id},
            {"contract", c.contract},
            {"contract_row", c.contract_row},
            {"site", c.site},
            {"service", c.service},
            {"device", c.device},
            {"monthly_fee", c.monthly_fee},
            {"criticality", static_cast<int>(c.criticality)}};
  j["bandwidth_mbps"] = c.bandwidth_mbps ? json(*c.bandwidth_mbps) : json(nullptr);
  j["term_start"] = c.term_start ? json(*c.term_start) : json(nullptr);
  j["term_end"] = c.term_end ? json(*c.term_end) : json(nullptr);
  return j.dump();
}

Result<Circuit> circuitFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail("circuit", "not a JSON object");
  Circuit c;
  try {
    c.key = j.value("key", "");
    c.link_id = j.value("link_id", "");
    c.contract = j.value("contract", "");
    c.contract_row = j.value("contract_row", 0);
    c.site = j.value("site", "");
    c.service = j.value("service", "");
    c.device = j.value("device", "");
    c.monthly_fee = j.value("monthly_fee", 0.0);
    c.criticality = static_cast<Criticality>(std::clamp(j.value("criticality", 2), 0, 3));
    if (j.contains("bandwidth_mbps") && j["bandwidth_mbps"].is_number())
      c.bandwidth_mbps = j["bandwidth_mbps"].get<double>();
    if (j.contains("term_start") && j["term_start"].is_string())
      c.term_start = j["term_start"].get<std::string>();
    if (j.contains("term_end") && j["term_end"].is_string())
      c.term_end = j["term_end"].get<std::string>();
  } catch (const json::exception& e) {
    return fail("circuit " + c.key, e.what());
  }
  return c;
}

std::string stringsToJson(const std::vector<std::string>& v) { return json(v).dump(); }

Result<std::vector<std::string>> stringsFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return fail("list", "not a JSON array");
  std::vector<std::string> v;
  for (const auto& e : j)
    if (e.is_string()) v.push_back(e.get<std::string>());
  return v;
}

}  // namespace circuitd::faults
