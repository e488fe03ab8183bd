// circuit-reflector: a TWAMP-Light Session-Reflector (RFC 5357 appendix I) for the far end of a
// leased line. It refuses to reflect more than --max-rate per sender or for longer than
// --max-duration, so a misconfigured sender cannot turn it into a traffic source.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <thread>

#include "circuitd_version.hpp"
#include "probes/throughput/test_plan.hpp"
#include "probes/throughput/twamp_codec.hpp"
#include "probes/throughput/twamp_transport.hpp"

namespace {
circuitd::throughput::Reflector* g_reflector = nullptr;
extern "C" void onSignal(int) {
  // io_context::stop() only sets a flag and wakes the reactor, which is safe here.
  if (g_reflector) g_reflector->stop();
}
}  // namespace

int main(int argc, char** argv) {
  namespace tp = circuitd::throughput;
  CLI::App app{
      "circuit-reflector - TWAMP-Light reflector (RFC 5357 appendix I) with a rate and "
      "duration guard"};
  std::string listen = "0.0.0.0";
  std::string max_rate = "1G";
  double max_duration = 120;
  double idle = 5;
  app.add_option("-l,--listen", listen, "ADDR[:PORT] to listen on (default port 862)");
  app.add_option("--max-rate", max_rate, "Largest rate reflected per sender, e.g. 100M")
      ->capture_default_str();
  app.add_option("--max-duration", max_duration, "Seconds a sender may be reflected")
      ->capture_default_str();
  app.add_option("--idle", idle, "Seconds of silence that end a sender's session")
      ->capture_default_str();
  app.set_version_flag("-V,--version", std::string("circuit-reflector ") + CIRCUITD_VERSION);
  CLI11_PARSE(app, argc, argv);

  auto hp = tp::parseHostPort(listen, tp::kDefaultReflectorPort);
  if (!hp) {
    std::cerr << "circuit-reflector: --listen: " << hp.error().what << "\n";
    return 2;
  }
  auto rate = tp::parseRate(max_rate);
  if (!rate) {
    std::cerr << "circuit-reflector: --max-rate: " << rate.error().what << "\n";
    return 2;
  }
  if (!(max_duration > 0) || !(idle > 0)) {
    std::cerr << "circuit-reflector: --max-duration and --idle must be positive\n";
    return 2;
  }
  tp::Reflector::Options opt;
  opt.host = hp->host;
  opt.port = hp->port;
  opt.max_rate_bps = *rate;
  opt.max_session_seconds = max_duration;
  opt.idle_seconds = idle;
  auto refl = tp::Reflector::open(opt);
  if (!refl) {
    std::cerr << "circuit-reflector: " << refl.error().str() << "\n";
    return 1;
  }
  g_reflector = refl->get();
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::cout << fmt::format(
                   "circuit-reflector listening on {}:{} (max {} per sender, {:g} s)",
                   hp->host.find(':') != std::string::npos ? "[" + hp->host + "]" : hp->host,
                   (*refl)->port(), tp::formatRate(*rate), max_duration)
            << std::endl;
  (*refl)->run();
  const auto c = (*refl)->counters();
  std::cout << fmt::format(
                   "received {} reflected {} malformed {} dropped: rate {} duration {} "
                   "sessions {}; {} sessions",
                   c.received, c.reflected, c.malformed, c.dropped_rate, c.dropped_duration,
                   c.dropped_sessions, c.sessions)
            << std::endl;
  return 0;
}
