// circuitctl replay: runs a scenario file (docs/scenarios.md) through the engine and prints the
// timeline of states, incidents, locations, parties and clauses, or JSON; --db hands the result
// to the store writer. Exit codes: 0 all expectations met, 1 bad input, 3 an expectation failed.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/rules_file.hpp"
#include "config/scenario_file.hpp"
#include "domain/engine/scenario.hpp"
#include "tools/circuitctl/commands.hpp"
#include "tools/circuitctl/replay_output.hpp"

namespace circuitctl {
namespace {

using circuitd::Decision;
using circuitd::EngineEvent;
using circuitd::formatIso;
using nlohmann::json;

struct ReplayOptions {
  std::string scenario;
  std::string rules;
  std::string db;
  bool json = false;
  bool verbose = false;
};

[[noreturn]] void die(const std::string& msg) {
  std::cerr << "circuitctl replay: " << msg << "\n";
  throw CLI::RuntimeError(1);
}

std::string readFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    die("cannot read " + path + ": not a regular file");
  if (std::filesystem::file_size(path, ec) > (16u << 20)) die(path + ": larger than 16 MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

json decisionJson(const Decision& d) {
  json ev = json::array();
  for (const auto& e : d.evidence)
    ev.push_back({{"name", e.name}, {"value", e.value}, {"time", formatIso(e.time)}});
  return {{"state", toString(d.state)}, {"location", toString(d.location)},
          {"party", toString(d.party)}, {"clause", d.clause},
          {"rule", d.rule_id},          {"summary", d.summary},
          {"next_step", d.next_step},   {"evidence", ev}};
}

json eventJson(const EngineEvent& e) {
  json j = {{"time", formatIso(e.time)},
            {"kind", toString(e.kind)},
            {"decision", decisionJson(e.decision)}};
  if (!e.circuit.empty()) j["circuit"] = e.circuit;
  if (e.from) j["from"] = toString(*e.from);
  if (!e.incident.empty()) j["incident"] = e.incident;
  if (!e.root_cause.empty()) j["root_cause"] = e.root_cause;
  if (e.kind != circuitd::EngineEventKind::CircuitStateChanged) j["circuits"] = e.circuits;
  if (!e.removed.empty()) j["removed"] = e.removed;
  if (!e.split_from.empty()) j["split_from"] = e.split_from;
  j["flapping"] = e.flapping;
  if (e.kind == circuitd::EngineEventKind::CircuitStateChanged) j["suppressed"] = e.suppressed;
  return j;
}

int run(const ReplayOptions& o) {
  const std::string text = readFile(o.scenario);
  const std::string origin = std::filesystem::path(o.scenario).filename().string();
  auto sc = circuitd::config::parseScenario(text, origin);
  if (!sc) die(sc.error().str());
  if (sc->name.empty()) sc->name = std::filesystem::path(o.scenario).stem().string();
  std::string rules_path = o.rules;
  if (rules_path.empty() && !sc->rules_file.empty())
    rules_path = (std::filesystem::path(o.scenario).parent_path() / sc->rules_file).string();
  circuitd::engine::Rules rules = circuitd::config::defaultRules();
  if (!rules_path.empty()) {
    auto r = circuitd::config::parseRules(readFile(rules_path), rules_path);
    if (!r) die(r.error().str());
    rules = std::move(*r);
  }
  const auto res = circuitd::engine::runScenario(*sc, rules);
  if (o.json) {
    json j;
    j["scenario"] = sc->name;
    j["description"] = sc->description;
    j["rules"] = rules.origin;
    j["start"] = formatIso(res.start);
    j["end"] = formatIso(res.end);
    j["events"] = json::array();
    for (const auto& e : res.events) j["events"].push_back(eventJson(e));
    j["circuits"] = json::array();
    for (const auto& c : res.circuits_at_end)
      j["circuits"].push_back({{"circuit", c.key},
                               {"state", toString(c.state)},
                               {"flapping", c.flapping},
                               {"incident", c.incident},
                               {"decision", decisionJson(c.decision)}});
    j["open_incidents"] = json::array();
    for (const auto& i : res.open_at_end)
      j["open_incidents"].push_back({{"incident", i.id},
                                     {"root_cause", i.root_cause},
                                     {"circuits", i.circuits},
                                     {"opened", formatIso(i.opened)},
                                     {"flapping", i.flapping},
                                     {"decision", decisionJson(i.decision)}});
    j["expectations"] = json::array();
    for (const auto& c : res.checks)
      j["expectations"].push_back({{"line", c.expectation.line},
                                   {"at", formatIso(c.expectation.at)},
                                   {"ok", c.ok},
                                   {"message", c.message}});
    j["ok"] = res.ok();
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << circuitd::engine::renderTimeline(*sc, res, o.verbose);
  }
  int code = res.ok() ? 0 : 3;
  if (!o.db.empty()) {
    ReplayOutput out;
    out.scenario = sc->name;
    out.inventory = sc->inventory;
    out.events = res.events;
    out.start = res.start;
    out.end = res.end;
    const int rc = persistReplay(o.db, out);
    if (rc != 0) code = rc;
  }
  return code;
}

}  // namespace

void addEngineCommands(CLI::App& app, GlobalOptions& g) {
  auto opts = std::make_shared<ReplayOptions>();
  auto* sub = app.add_subcommand(
      "replay", "Run a scenario file through the engine and print what it decided");
  sub->add_option("SCENARIO", opts->scenario, "Scenario file (TOML, docs/scenarios.md)")
      ->required();
  sub->add_flag("--json", opts->json, "Print JSON instead of the readable timeline");
  sub->add_flag("-v,--verbose", opts->verbose, "Show the evidence of every decision");
  sub->add_option("--rules", opts->rules, "Demarcation rules file replacing the built-in set");
  sub->add_option("--db", opts->db, "Also write the replay into this store file");
  sub->callback([opts, &g] {
    if (opts->db.empty()) opts->db = g.db;
    const int code = run(*opts);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace circuitctl
