// The process the crash test kills: it pushes the storm of engine events through FaultService
// (lifecycle + SQLite store + outbox, one transaction per event) while an OutboxSender delivers
// each transition to a webhook. On start it resumes after the last event the store recorded.
//   storm_driver DB URL EVENTS CIRCUITS
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <iostream>

#include "daemon/notify/outbox_sender.hpp"
#include "daemon/runtime/system_clock.hpp"
#include "daemon/service/fault_service.hpp"
#include "daemon/store/sqlite_store.hpp"
#include "tests/support/engine_events.hpp"

using namespace circuitd;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: storm_driver DB URL EVENTS CIRCUITS\n";
    return 64;
  }
  const std::string db = argv[1];
  const std::string url = argv[2];
  const int events = std::atoi(argv[3]);
  const int circuits = std::atoi(argv[4]);

  service::FaultServiceSettings fss;
  fss.lifecycle.hold_off = Duration{0};
  fss.lifecycle.reopen_window = Duration{0};
  fss.channels = {"hook"};
  service::FaultService svc(fss, [&]() -> Result<std::unique_ptr<store::Store>> {
    auto s = store::SqliteStore::open(db);
    if (!s) return fail(s.error());
    return std::unique_ptr<store::Store>(std::move(*s));
  });
  Inventory inv;
  if (auto r = svc.start(inv, *parseIso("2024-07-01T00:00:00Z")); !r) {
    std::cerr << r.error().str() << "\n";
    return 1;
  }
  auto next = svc.store()->meta("storm_next");
  if (!next) {
    std::cerr << next.error().str() << "\n";
    return 1;
  }
  int first = next->has_value() ? std::atoi((*next)->c_str()) : 0;

  boost::asio::io_context io;
  SystemClock clock;
  notify::RetryPolicy rp;
  rp.poll = std::chrono::milliseconds(20);
  notify::OutboxSender sender(
      io, [&] { return svc.store(); },
      {notify::ChannelConfig{"hook", notify::ChannelKind::Webhook, url, "storm-secret", {}}}, clock,
      rp);
  svc.onCommitted([&] { sender.kick(); });
  sender.start();
  for (int i = first; i < events; ++i) {
    // The resume point is written in the same transaction as the event's transitions.
    svc.setMeta("storm_next", std::to_string(i + 1));
    svc.onEvent(circuitd::testing::stormEvent(i, circuits));
    if (svc.alarm().unavailable) {
      std::cerr << svc.alarm().error.str() << "\n";
      return 1;
    }
    io.poll();
  }
  bool drained = false;
  sender.onIdle([&] {
    auto p = svc.store()->pendingOutbox();
    if (p && *p == 0) {
      drained = true;
      io.stop();
    }
  });
  io.restart();
  io.run();
  return drained ? 0 : 1;
}
