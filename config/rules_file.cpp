#include "config/rules_file.hpp"

#include <cstdio>
#include <cstdlib>

#include "config/toml/reader.hpp"

namespace circuitd::config {
namespace {

using engine::FactSet;
using engine::Rule;

constexpr std::string_view kBuiltinText =
#include "default_rules.inc"
    ;

const toml::Keys kRuleKeys = {"id", "when", "location", "party", "clause", "summary", "next_step"};

/// Reads one [[rule]]; problems go to the reader's error list.
Rule readRule(const toml::Reader& r) {
  Rule rule;
  r.checkKeys(kRuleKeys);
  rule.id = r.str("id", true).value_or("");
  const auto location = r.str("location", true);
  const auto party = r.str("party", true);
  rule.clause = r.str("clause").value_or("");
  rule.summary = r.str("summary").value_or("");
  rule.next_step = r.str("next_step").value_or("");
  if (location) {
    if (auto l = parseFaultLocation(*location))
      rule.location = *l;
    else
      r.error("location", "unknown location '" + *location + "'");
  }
  if (party) {
    if (auto p = parseParty(*party)) {
      rule.party = *p;
      if (rule.party == Party::Undetermined && rule.next_step.empty())
        r.error("next_step", "an undetermined rule must say which evidence would settle it");
      if ((rule.party == Party::Carrier || rule.party == Party::Customer) && rule.clause.empty())
        r.error("clause", "a rule naming a party must cite a clause");
    } else {
      r.error("party", "unknown party '" + *party + "'");
    }
  }
  if (!r.has("when")) r.missing("when");
  const auto when = r.strings("when").value_or(std::vector<std::string>{});
  for (std::size_t i = 0; i < when.size(); ++i) {
    const std::string& cond = when[i];
    std::string name = cond;
    char op = 0;
    if (name[0] == '!' || name[0] == '?') {
      op = name[0];
      name.erase(0, 1);
    }
    const auto fact = engine::parseFact(name);
    if (!fact) {
      r.errorAt(r.whereElement("when", i), "unknown fact '" + name + "'");
      continue;
    }
    const auto bit = FactSet::bit(*fact);
    if ((rule.need_true | rule.need_false | rule.need_unknown) & bit) {
      r.errorAt(r.whereElement("when", i), "fact '" + name + "' tested twice");
      continue;
    }
    if (op == '!')
      rule.need_false |= bit;
    else if (op == '?')
      rule.need_unknown |= bit;
    else
      rule.need_true |= bit;
    rule.when.push_back(cond);
  }
  return rule;
}

}  // namespace

Result<engine::Rules> parseRules(std::string_view text, const std::string& origin) {
  auto doc = toml::parse(text, origin);
  if (!doc) return fail(doc.error());
  Errors errors;
  const toml::Reader top(errors, *doc);
  top.checkKeys({"rule"});
  if (!top.has("rule") && errors.empty()) return fail(origin, "no [[rule]] tables");
  const auto tables = top.tables("rule");
  if (!errors.empty()) return fail(errors.front());
  engine::Rules out;
  out.origin = origin;
  for (const auto& r : tables) {
    Rule rule = readRule(r);
    if (!errors.empty()) return fail(errors.front());
    for (const auto& prev : out.rules)
      if (prev.id == rule.id) return fail(r.where("id"), "duplicate rule id '" + rule.id + "'");
    out.rules.push_back(std::move(rule));
  }
  if (out.rules.empty()) return fail(origin, "no rules");
  const auto& last = out.rules.back();
  if (last.need_true | last.need_false | last.need_unknown)
    return fail(
        tables.back().whereTable(),
        "the last rule must have no conditions (when = []) so every outage gets a decision");
  return out;
}

const engine::Rules& defaultRules() {
  // The embedded text is part of the build; a parse failure is a broken invariant.
  static const engine::Rules kRules = [] {
    auto r = parseRules(kBuiltinText, "built-in");
    if (!r) {
      std::fprintf(stderr, "built-in rules: %s\n", r.error().str().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return kRules;
}

}  // namespace circuitd::config
