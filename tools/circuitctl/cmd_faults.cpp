// circuitctl faults, report, ack, report-to-carrier (ticket), close, note, sla, and the store
// writer behind `circuitctl replay SCENARIO --db FILE`. All of them work on a store file
// (--db FILE) without a running daemon.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "daemon/runtime/system_clock.hpp"
#include "daemon/service/fault_service.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "domain/faults/json.hpp"
#include "domain/faults/report.hpp"
#include "domain/faults/sla.hpp"
#include "tools/circuitctl/commands.hpp"
#include "tools/circuitctl/replay_output.hpp"

namespace circuitctl {

using namespace circuitd;
using nlohmann::json;

namespace {

[[noreturn]] void die(const std::string& msg, int code = 1) {
  std::cerr << "circuitctl: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

std::unique_ptr<store::SqliteStore> openStore(const GlobalOptions& g) {
  if (g.db.empty())
    die("--db FILE is required (reading from the running daemon comes with its HTTP API)");
  auto s = store::SqliteStore::open(g.db, store::SqliteOptions{false, 5000});
  if (!s) die(s.error().str());
  return std::move(*s);
}

template <typename T>
T need(Result<T> r) {
  if (!r) die(r.error().str());
  return std::move(*r);
}

TimePoint when(const std::string& at) {
  if (at.empty()) return SystemClock{}.now();
  auto t = parseIso(at);
  if (!t) die("--at \"" + at + "\": expected an ISO 8601 time, e.g. 2024-07-03T10:15:00+08:00");
  return *t;
}

// "Now" for a store file: --at if given; for a replay file its end (the scenario's now);
// otherwise the wall clock.
TimePoint storeNow(store::Store& st, const std::string& at) {
  if (!at.empty()) return when(at);
  if (auto e = need(st.meta("replay_end")); e)
    if (auto t = parseIso(*e)) return *t;
  return SystemClock{}.now();
}

std::string localShort(TimePoint t) {
  // Operators read Beijing time; the stored values stay UTC.
  const auto local = std::chrono::floor<std::chrono::minutes>(t + std::chrono::hours(8));
  const auto dp = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{dp};
  const std::chrono::hh_mm_ss hms{local - dp};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()));
  return buf;
}

// A FaultService on the file for one manual action; notifications go to the channels the daemon
// registered in the file, so its outbox sender announces the action.
struct Session {
  std::unique_ptr<service::FaultService> svc;
};

Session openService(const GlobalOptions& g, TimePoint now) {
  auto probe = openStore(g);
  auto channels = need(probe->meta("channels"));
  service::FaultServiceSettings fss;
  fss.snapshot_inventory = false;
  if (channels && !channels->empty()) {
    std::string cur;
    for (char ch : *channels + ",") {
      if (ch == ',') {
        if (!cur.empty()) fss.channels.push_back(cur);
        cur.clear();
      } else {
        cur += ch;
      }
    }
  }
  Inventory inv;
  inv.circuits = need(probe->circuits());
  probe.reset();
  Session s;
  const std::string db = g.db;
  s.svc =
      std::make_unique<service::FaultService>(fss, [db]() -> Result<std::unique_ptr<store::Store>> {
        auto st = store::SqliteStore::open(db, store::SqliteOptions{false, 5000});
        if (!st) return fail(st.error());
        return std::unique_ptr<store::Store>(std::move(*st));
      });
  if (auto r = s.svc->start(inv, now); !r) die(r.error().str());
  return s;
}

void finishAction(Session& s) {
  if (s.svc->alarm().unavailable) die("not written: " + s.svc->alarm().error.str());
}

void printFault(const faults::Fault& f) {
  std::cout << f.id << " " << faults::toString(f.state);
  if (!f.ticket.empty()) std::cout << " ticket " << f.ticket;
  std::cout << "\n";
}

}  // namespace

void addFaultCommands(CLI::App& app, GlobalOptions& g) {
  // faults
  {
    auto* sub = app.add_subcommand("faults", "List faults from the store (--db FILE)");
    auto json_out = std::make_shared<bool>(false);
    auto all = std::make_shared<bool>(false);
    auto state = std::make_shared<std::string>();
    auto circuit = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    sub->add_flag("--json", *json_out, "JSON array instead of a table");
    sub->add_flag("--all", *all, "Include closed faults");
    sub->add_option("--state", *state,
                    "Only faults in this state (open, acknowledged, reported, resolved, closed)");
    sub->add_option("--circuit", *circuit, "Only faults of this circuit");
    sub->add_option("--at", *at,
                    "Time for durations of faults still down (default: replay end, else now)");
    sub->callback([&g, json_out, all, state, circuit, at] {
      auto st = openStore(g);
      std::optional<faults::FaultState> only;
      if (!state->empty()) {
        only = faults::parseFaultState(*state);
        if (!only) die("--state \"" + *state + "\": unknown state");
      }
      auto list =
          need(st->faults(*all || only ? store::FaultFilter::All : store::FaultFilter::NotClosed));
      std::erase_if(list, [&](const faults::Fault& f) {
        return (only && f.state != *only) || (!circuit->empty() && f.circuit != *circuit);
      });
      if (*json_out) {
        json arr = json::array();
        for (const auto& f : list) arr.push_back(json::parse(faults::faultToJson(f)));
        std::cout << arr.dump(2) << "\n";
        return;
      }
      const TimePoint now = storeNow(*st, *at);
      std::printf("%-9s %-12s %-24s %-14s %-12s %-16s %9s  %s\n", "ID", "STATE", "CIRCUIT", "CAUSE",
                  "PARTY", "FIRST SEEN (+8)", "DOWN MIN", "TICKET");
      for (const auto& f : list) {
        std::int64_t down = f.down_ms;
        if (f.down_since && (faults::isActive(f.state)))
          down += (f.recovered_at.value_or(now) - *f.down_since).count();
        std::printf("%-9s %-12s %-24s %-14s %-12s %-16s %9.1f  %s\n", f.id.c_str(),
                    std::string(faults::toString(f.state)).c_str(), f.circuit.c_str(),
                    f.cause.c_str(), std::string(toString(f.decision.party)).c_str(),
                    localShort(f.first_seen).c_str(), static_cast<double>(down) / 60000.0,
                    f.ticket.c_str());
      }
      if (list.empty()) std::cout << "(no faults)\n";
    });
  }
  // report
  {
    auto* sub = app.add_subcommand(
        "report", "Render the hotline report of a fault (Chinese and English, plain text)");
    auto id = std::make_shared<std::string>();
    auto customer = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    sub->add_option("FAULT_ID", *id, "Fault id, e.g. F-000001")->required();
    sub->add_option("--customer", *customer, "Customer name (default: as recorded in the store)");
    sub->add_option("--at", *at,
                    "Time for the duration of a fault still down (default: replay end, else now)");
    sub->callback([&g, id, customer, at] {
      auto st = openStore(g);
      auto f = need(st->fault(*id));
      if (!f) die("no fault " + *id + " in " + g.db);
      faults::ReportInput in;
      in.fault = *f;
      for (auto& c : need(st->circuits()))
        if (c.key == f->circuit) in.circuit = c;
      in.customer = *customer;
      if (in.customer.empty())
        if (auto m = need(st->meta("customer")); m) in.customer = *m;
      in.notes = need(st->notes(*id));
      in.now = storeNow(*st, *at);
      std::cout << faults::renderHotlineReport(in);
    });
  }
  // ack
  {
    auto* sub = app.add_subcommand("ack", "Acknowledge a fault");
    auto id = std::make_shared<std::string>();
    auto by = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    sub->add_option("FAULT_ID", *id, "Fault id")->required();
    sub->add_option("--by", *by, "Who acknowledges")->required();
    sub->add_option("--at", *at, "When (default now)");
    sub->callback([&g, id, by, at] {
      const TimePoint now = when(*at);
      Session s = openService(g, now);
      auto f = s.svc->acknowledge(*id, *by, now);
      if (!f) die(f.error().str());
      finishAction(s);
      printFault(*f);
    });
  }
  // report-to-carrier / ticket
  for (const char* name : {"report-to-carrier", "ticket"}) {
    auto* sub = app.add_subcommand(name, "Record the carrier hotline's ticket number for a fault");
    auto id = std::make_shared<std::string>();
    auto ticket = std::make_shared<std::string>();
    auto by = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    sub->add_option("FAULT_ID", *id, "Fault id")->required();
    sub->add_option("--ticket", *ticket, "Ticket number the hotline gave")->required();
    sub->add_option("--by", *by, "Who called the hotline")->required();
    sub->add_option("--at", *at, "When (default now)");
    sub->callback([&g, id, ticket, by, at] {
      const TimePoint now = when(*at);
      Session s = openService(g, now);
      auto f = s.svc->reportToCarrier(*id, *ticket, *by, now);
      if (!f) die(f.error().str());
      finishAction(s);
      printFault(*f);
    });
  }
  // close
  {
    auto* sub = app.add_subcommand("close", "Close a resolved fault");
    auto id = std::make_shared<std::string>();
    auto by = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    auto at = std::make_shared<std::string>();
    sub->add_option("FAULT_ID", *id, "Fault id")->required();
    sub->add_option("--by", *by, "Who closes it")->required();
    sub->add_option("--reason", *reason, "Why (e.g. what the carrier repaired)");
    sub->add_option("--at", *at, "When (default now)");
    sub->callback([&g, id, by, reason, at] {
      const TimePoint now = when(*at);
      Session s = openService(g, now);
      auto f = s.svc->close(*id, *by, now, *reason);
      if (!f) die(f.error().str());
      finishAction(s);
      printFault(*f);
    });
  }
  // note
  {
    auto* sub = app.add_subcommand("note", "Add a note to a fault");
    auto id = std::make_shared<std::string>();
    auto by = std::make_shared<std::string>();
    auto text = std::make_shared<std::string>();
    auto checked = std::make_shared<bool>(false);
    auto at = std::make_shared<std::string>();
    sub->add_option("FAULT_ID", *id, "Fault id")->required();
    sub->add_option("TEXT", *text, "The note")->required();
    sub->add_option("--by", *by, "Author")->required();
    sub->add_flag("--checked", *checked,
                  "Something the customer side has verified (shown in the hotline report)");
    sub->add_option("--at", *at, "When (default now)");
    sub->callback([&g, id, by, text, checked, at] {
      const TimePoint now = when(*at);
      Session s = openService(g, now);
      if (auto r = s.svc->note(*id, *by, now, *text, *checked); !r) die(r.error().str());
      finishAction(s);
      std::cout << *id << " note added\n";
    });
  }
  // sla
  {
    auto* sub = app.add_subcommand("sla", "Availability record per circuit for a month");
    auto month = std::make_shared<std::string>();
    auto csv = std::make_shared<bool>(false);
    auto json_out = std::make_shared<bool>(false);
    auto at = std::make_shared<std::string>();
    sub->add_option("--month", *month, "Month, YYYY-MM (China Standard Time)")->required();
    sub->add_flag("--csv", *csv, "CSV with a header line");
    sub->add_flag("--json", *json_out, "JSON array");
    sub->add_option("--at", *at, "End for outages still open (default: replay end, else now)");
    sub->callback([&g, month, csv, json_out, at] {
      auto m = faults::parseMonth(*month);
      if (!m) die(m.error().str());
      auto st = openStore(g);
      const TimePoint until = storeNow(*st, *at);
      const faults::SlaOptions opt;
      auto [from, to] = faults::monthBounds(*m, opt.utc_offset);
      auto ivs = need(st->intervals(from, to));
      std::vector<Circuit> circuits = need(st->circuits());
      std::set<std::string> known;
      for (const auto& c : circuits) known.insert(c.key);
      for (const auto& iv : ivs)
        if (known.insert(iv.circuit).second) {
          Circuit c;
          c.key = iv.circuit;
          circuits.push_back(c);
        }
      std::vector<faults::SlaRecord> rows;
      for (const auto& c : circuits) rows.push_back(faults::computeSla(c, ivs, *m, until, opt));
      if (*json_out) {
        json arr = json::array();
        for (const auto& r : rows)
          arr.push_back({{"circuit", r.circuit},
                         {"link_id", r.link_id},
                         {"contract", r.contract},
                         {"site", r.site},
                         {"month", r.month},
                         {"days_in_service", r.days_in_service},
                         {"period_minutes", r.period_minutes},
                         {"carrier_minutes", r.carrier_minutes},
                         {"customer_minutes", r.customer_minutes},
                         {"undetermined_minutes", r.undetermined_minutes},
                         {"maintenance_minutes", r.maintenance_minutes},
                         {"force_majeure_minutes", r.force_majeure_minutes},
                         {"outages", r.outages},
                         {"availability_pct", r.availability_pct},
                         {"carrier_availability_pct", r.carrier_availability_pct},
                         {"monthly_fee", r.monthly_fee},
                         {"fee_due", r.fee_due},
                         {"prorated", r.prorated},
                         {"liability_cap", r.liability_cap}});
        std::cout << arr.dump(2) << "\n";
        return;
      }
      if (*csv) {
        std::cout
            << "circuit,link_id,contract,month,days_in_service,period_minutes,carrier_minutes,"
               "customer_minutes,undetermined_minutes,maintenance_minutes,"
               "force_majeure_minutes,outages,availability_pct,carrier_availability_pct,"
               "monthly_fee,fee_due,liability_cap\n";
        for (const auto& r : rows)
          std::printf("%s,%s,%s,%s,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%.4f,%.4f,%.2f,%.2f,%.2f\n",
                      r.circuit.c_str(), r.link_id.c_str(), r.contract.c_str(), r.month.c_str(),
                      r.days_in_service, r.period_minutes, r.carrier_minutes, r.customer_minutes,
                      r.undetermined_minutes, r.maintenance_minutes, r.force_majeure_minutes,
                      r.outages, r.availability_pct, r.carrier_availability_pct, r.monthly_fee,
                      r.fee_due, r.liability_cap);
        return;
      }
      std::printf("SLA record %s (minutes; month cut at midnight UTC+8)\n", m->str().c_str());
      std::printf("%-24s %4s %8s %8s %8s %8s %8s %8s %9s %9s %10s %8s\n", "CIRCUIT", "DAYS",
                  "CARRIER", "CUSTOMER", "UNDETER", "MAINT", "F.MAJ", "OUTAGES", "AVAIL%",
                  "CARR.AV%", "FEE DUE", "CAP 9.6");
      for (const auto& r : rows)
        std::printf("%-24s %4d %8.1f %8.1f %8.1f %8.1f %8.1f %8d %9.4f %9.4f %10.2f %8.2f\n",
                    r.circuit.c_str(), r.days_in_service, r.carrier_minutes, r.customer_minutes,
                    r.undetermined_minutes, r.maintenance_minutes, r.force_majeure_minutes,
                    r.outages, r.availability_pct, r.carrier_availability_pct, r.fee_due,
                    r.liability_cap);
    });
  }
}

int persistReplay(const std::string& db, const ReplayOutput& out) {
  {
    auto probe = store::SqliteStore::open(db);
    if (!probe) {
      std::cerr << "circuitctl replay: " << probe.error().str() << "\n";
      return 1;
    }
    auto existing = (*probe)->faults(store::FaultFilter::All);
    if (!existing) {
      std::cerr << "circuitctl replay: " << existing.error().str() << "\n";
      return 1;
    }
    if (!existing->empty()) {
      std::cerr << "circuitctl replay: " << db << " already holds faults; replay into a new file\n";
      return 1;
    }
  }
  service::FaultServiceSettings fss;  // no channels: a replay announces nothing
  service::FaultService svc(fss, [db]() -> Result<std::unique_ptr<store::Store>> {
    auto st = store::SqliteStore::open(db);
    if (!st) return fail(st.error());
    return std::unique_ptr<store::Store>(std::move(*st));
  });
  if (auto r = svc.start(out.inventory, out.start); !r) {
    std::cerr << "circuitctl replay: " << r.error().str() << "\n";
    return 1;
  }
  svc.setMeta("scenario", out.scenario);
  svc.setMeta("replay_start", formatIso(out.start));
  svc.setMeta("replay_end", formatIso(out.end));
  for (const auto& e : out.events) svc.onEvent(e);
  svc.onTick(out.end);
  if (svc.alarm().unavailable) {
    std::cerr << "circuitctl replay: not written: " << svc.alarm().error.str() << "\n";
    return 1;
  }
  std::cerr << "circuitctl replay: " << svc.lifecycle().faults().size() << " faults, "
            << svc.transitionsWritten() << " transitions written to " << db << "\n";
  return 0;
}

}  // namespace circuitctl
