// Rule parsing: toml++ stays in this file so the public header remains light.
#include "domain/engine/rules.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <toml++/toml.h>

namespace circuitd::engine {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Fact::kCount)> kFactNames = {
    "monitor_blind",
    "maintenance_window",
    "maintenance_notice_ok",
    "force_majeure",
    "device_silent",
    "sysuptime_reset",
    "dying_gasp",
    "uplink_down",
    "optical_low",
    "optical_los",
    "uni_down",
    "uni_admin_down",
    "carrier_icmp_fail",
    "customer_icmp_fail",
    "cfm_loc",
    "loss_high",
    "latency_high",
    "utilisation_high",
    "device_neighbours_failing",
    "uplink_neighbours_failing",
    "aggregation_neighbours_failing",
    "site_neighbours_failing",
    "circuit_down",
    "circuit_degraded",
};

constexpr std::string_view kBuiltinText =
#include "default_rules.inc"
    ;

std::string where(const std::string& origin, const toml::source_region& r, const std::string& key) {
  std::ostringstream os;
  os << origin;
  if (r.begin.line > 0) os << ':' << r.begin.line << ':' << r.begin.column;
  if (!key.empty()) os << ' ' << key;
  return os.str();
}

}  // namespace

std::string_view toString(Fact f) { return kFactNames[static_cast<std::size_t>(f)]; }

std::optional<Fact> parseFact(std::string_view s) {
  for (std::size_t i = 0; i < kFactNames.size(); ++i)
    if (kFactNames[i] == s) return static_cast<Fact>(i);
  return std::nullopt;
}

const Rule* Rules::match(const FactSet& f) const {
  for (const auto& r : rules)
    if (r.matches(f)) return &r;
  return nullptr;
}

Result<Rules> parseRules(std::string_view text, const std::string& origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return fail(where(origin, e.source(), ""), std::string(e.description()));
  }
  Rules out;
  out.origin = origin;
  for (auto&& [k, v] : doc) {
    if (k.str() != "rule")
      return fail(where(origin, v.source(), std::string(k.str())), "unknown key (expected [[rule]] tables)");
  }
  const toml::array* arr = doc["rule"].as_array();
  if (!arr) return fail(origin, "no [[rule]] tables");
  std::size_t idx = 0;
  for (auto&& node : *arr) {
    const std::string key = "rule[" + std::to_string(idx++) + "]";
    const toml::table* t = node.as_table();
    if (!t) return fail(where(origin, node.source(), key), "must be a table");
    Rule r;
    auto str = [&](std::string_view name, std::string& dst, bool required) -> Result<void> {
      const toml::node* n = t->get(name);
      if (!n) {
        if (required) return fail(where(origin, t->source(), key), "missing key '" + std::string(name) + "'");
        return {};
      }
      if (!n->is_string())
        return fail(where(origin, n->source(), key + "." + std::string(name)), "must be a string");
      dst = n->as_string()->get();
      return {};
    };
    for (auto&& [k, v] : *t) {
      static const std::array<std::string_view, 7> kKeys = {"id", "when", "location", "party",
                                                             "clause", "summary", "next_step"};
      bool known = false;
      for (auto kk : kKeys) known = known || kk == k.str();
      if (!known)
        return fail(where(origin, v.source(), key + "." + std::string(k.str())), "unknown key");
    }
    std::string loc, party;
    for (auto res : {str("id", r.id, true), str("location", loc, true), str("party", party, true),
                     str("clause", r.clause, false), str("summary", r.summary, false),
                     str("next_step", r.next_step, false)})
      if (!res) return fail(res.error());
    auto l = parseFaultLocation(loc);
    if (!l) return fail(where(origin, t->get("location")->source(), key + ".location"), "unknown location '" + loc + "'");
    r.location = *l;
    auto p = parseParty(party);
    if (!p) return fail(where(origin, t->get("party")->source(), key + ".party"), "unknown party '" + party + "'");
    r.party = *p;
    if (r.party == Party::Undetermined && r.next_step.empty())
      return fail(where(origin, t->source(), key + ".next_step"),
                  "an undetermined rule must say which evidence would settle it");
    if ((r.party == Party::Carrier || r.party == Party::Customer) && r.clause.empty())
      return fail(where(origin, t->source(), key + ".clause"), "a rule naming a party must cite a clause");
    const toml::node* w = t->get("when");
    if (!w) return fail(where(origin, t->source(), key), "missing key 'when'");
    const toml::array* wa = w->as_array();
    if (!wa) return fail(where(origin, w->source(), key + ".when"), "must be an array of strings");
    std::size_t ci = 0;
    for (auto&& c : *wa) {
      const std::string ckey = key + ".when[" + std::to_string(ci++) + "]";
      if (!c.is_string()) return fail(where(origin, c.source(), ckey), "must be a string");
      std::string cond = c.as_string()->get();
      std::string name = cond;
      char op = 0;
      if (!name.empty() && (name[0] == '!' || name[0] == '?')) {
        op = name[0];
        name.erase(0, 1);
      }
      auto f = parseFact(name);
      if (!f) return fail(where(origin, c.source(), ckey), "unknown fact '" + name + "'");
      const auto b = FactSet::bit(*f);
      if ((r.need_true | r.need_false | r.need_unknown) & b)
        return fail(where(origin, c.source(), ckey), "fact '" + name + "' tested twice");
      if (op == '!') r.need_false |= b;
      else if (op == '?') r.need_unknown |= b;
      else r.need_true |= b;
      r.when.push_back(cond);
    }
    for (const auto& prev : out.rules)
      if (prev.id == r.id) return fail(where(origin, t->source(), key + ".id"), "duplicate rule id '" + r.id + "'");
    out.rules.push_back(std::move(r));
  }
  if (out.rules.empty()) return fail(origin, "no rules");
  if (out.rules.back().need_true | out.rules.back().need_false | out.rules.back().need_unknown)
    return fail(origin + " rule[" + std::to_string(out.rules.size() - 1) + "]",
                "the last rule must have no conditions (when = []) so every outage gets a decision");
  return out;
}

std::string_view defaultRulesText() { return kBuiltinText; }

const Rules& defaultRules() {
  // The embedded text is part of the build; a parse failure is a broken invariant.
  static const Rules kRules = [] {
    auto r = parseRules(kBuiltinText, "built-in");
    if (!r) {
      std::fprintf(stderr, "built-in rules: %s\n", r.error().str().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return kRules;
}

}  // namespace circuitd::engine
