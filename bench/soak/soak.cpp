// circuitd-soak: the whole runtime (engine, SQLite store, ICMP prober, SNMP poller, trap
// receiver) over the demo inventory, with time compressed so that a day of probe rounds runs in
// minutes. Prints RSS and open file descriptors once per simulated hour; the last lines compare
// the end of the run with its second hour (after warm-up) as ratios. Starts Debian's snmpd as the
// demo edge device when it is installed, as tools/demo.sh does.
//
//   circuitd-soak [--config config/demo.toml] [--hours 24] [--seconds 240]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "daemon/log/log.hpp"
#include "daemon/runtime/runtime.hpp"

namespace {

namespace fs = std::filesystem;

long rssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

long openFds() {
  long n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own descriptor
}

struct Row {
  double hour;
  long rss_kb;
  long fds;
  circuitd::runtime::RuntimeStats stats;
};

// snmpd on the demo device's port, killed at exit.
pid_t startSnmpd(const fs::path& dir) {
  if (std::system("command -v snmpd >/dev/null") != 0) return -1;
  const std::string conf = (dir / "snmpd.conf").string();
  const std::string gen = std::string(CIRCUITD_SOURCE_DIR) + "/tools/demo/snmpd-conf.sh";
  if (std::system((gen + " 127.0.0.1:11161 demo-ro 127.0.0.1:11162 demo-trap > " + conf).c_str()) !=
      0)
    return -1;
  fs::create_directories(dir / "snmp");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("SNMP_PERSISTENT_DIR", (dir / "snmp").c_str(), 1);
    ::setenv("MIBS", "", 1);
    const std::string log = (dir / "snmpd.log").string();
    ::execlp("snmpd", "snmpd", "-f", "-C", "-c", conf.c_str(), "-Lf", log.c_str(), nullptr);
    ::_exit(127);
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"circuitd-soak: a compressed-time day of the runtime over the demo inventory"};
  std::string config_path = std::string(CIRCUITD_SOURCE_DIR) + "/config/demo.toml";
  double hours = 24;
  double seconds = 240;
  app.add_option("--config", config_path, "Configuration (its inventory is used)")
      ->capture_default_str();
  app.add_option("--hours", hours, "Simulated hours")->capture_default_str();
  app.add_option("--seconds", seconds, "Real seconds to run them in")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  circuitd::log::setup("warn", false);
  auto loaded = circuitd::config::load(config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "error: %s\n", e.str().c_str());
    return 1;
  }
  char tmpl[] = "/tmp/circuitd-soak-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  auto cfg = std::move(*loaded.config);
  cfg.daemon.state_dir = (dir / "state").string();
  cfg.store.path = (dir / "state/circuitd.db").string();
  cfg.daemon.trap_listen = "127.0.0.1:0";

  const pid_t snmpd = startSnmpd(dir);
  if (snmpd > 0) ::usleep(500'000);  // let it bind before the first poll round

  const double scale = hours * 3600.0 / seconds;
  std::vector<Row> rows;
  const auto started = std::chrono::steady_clock::now();
  circuitd::runtime::RuntimeOptions opt;
  opt.time_scale = scale;
  opt.seed = 1;
  opt.run_for = std::chrono::milliseconds{static_cast<long>(seconds * 1000)};
  opt.sample_every = std::chrono::milliseconds{static_cast<long>(3600.0 / scale * 1000)};
  circuitd::runtime::Runtime* rt_ptr = nullptr;
  opt.sampler = [&] {
    const std::chrono::duration<double> real = std::chrono::steady_clock::now() - started;
    Row r{real.count() * scale / 3600.0, rssKb(), openFds(), rt_ptr->stats()};
    rows.push_back(r);
    std::printf(
        "hour %5.1f  rss %7ld kB  fds %3ld  observations %9llu  icmp %9llu  snmp rounds %7llu  "
        "state changes %5llu  transitions %5llu\n",
        r.hour, r.rss_kb, r.fds, (unsigned long long)r.stats.observations,
        (unsigned long long)r.stats.icmp_sent, (unsigned long long)r.stats.snmp_rounds,
        (unsigned long long)r.stats.state_changes, (unsigned long long)r.stats.transitions);
    std::fflush(stdout);
  };
  std::printf("soak: %s, %.0f simulated hours in %.0f s (x%.0f), snmpd %s, state in %s\n",
              config_path.c_str(), hours, seconds, scale, snmpd > 0 ? "running" : "absent",
              dir.c_str());
  // Churn: every 3 simulated hours the edge device goes silent for 40 simulated minutes
  // (snmpd stopped with SIGSTOP), so decisions, faults and store writes happen during the run.
  std::atomic<bool> done{false};
  std::thread churn([&] {
    if (snmpd <= 0) return;
    const auto period = std::chrono::duration<double>(3 * 3600.0 / scale);
    const auto outage = std::chrono::duration<double>(40 * 60.0 / scale);
    auto next = std::chrono::steady_clock::now() + period;
    while (!done) {
      std::this_thread::sleep_until(next);
      if (done) break;
      ::kill(snmpd, SIGSTOP);
      std::this_thread::sleep_for(outage);
      ::kill(snmpd, SIGCONT);
      next += period;
    }
  });
  int rc = 0;
  {
    circuitd::runtime::Runtime rt(std::move(cfg), opt);
    rt_ptr = &rt;
    rc = rt.run();
    done = true;
  }
  churn.join();
  if (snmpd > 0) {
    ::kill(snmpd, SIGTERM);
    ::waitpid(snmpd, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (rows.size() >= 3) {
    const Row& base = rows[1];  // hour 2: caches, tables and the store are warm
    const Row& last = rows.back();
    std::printf("rss  hour %.0f -> hour %.0f: %ld -> %ld kB, ratio %.3f\n", base.hour, last.hour,
                base.rss_kb, last.rss_kb, double(last.rss_kb) / double(base.rss_kb));
    std::printf("fds  hour %.0f -> hour %.0f: %ld -> %ld, ratio %.3f\n", base.hour, last.hour,
                base.fds, last.fds, double(last.fds) / double(base.fds));
  }
  return rc;
}
