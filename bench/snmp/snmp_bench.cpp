// SNMP poller benchmark (prints figures; not a test).
//
// Agents: ONE real Debian snmpd inside a network namespace made by this program, holding
// 4 x N veth pairs (8 x N interfaces, IPv6 off), listening on the namespace's 127.0.0.1. Each
// simulated edge device is its own SNMP session (own socket) polling its own 8 interfaces of
// that agent. The benchmark process joins the namespace, so all traffic stays inside it.
//
// Phase 1: SnmpPoller polls every device every --interval s for --duration s (after one warm-up
// round that resolves names, reported separately). CPU is getrusage of this process, which
// runs only the poller in that phase. Phase 2: prometheus-snmp-exporter, started in the same
// namespace with a generated snmp.yml that GETs exactly the same instances per device (one
// module per device), is scraped over HTTP on 127.0.0.1 on the same schedule; its CPU comes
// from /proc/<pid>/stat. Both figures are per varbind received, and their ratio is printed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/runtime/system_clock.hpp"
#include "probes/snmp/poller.hpp"

using namespace circuitd;
using namespace std::chrono_literals;

namespace {

struct Options {
  int devices = 100;
  int ifs_per_device = 8;
  int interval_s = 10;
  int duration_s = 60;
  bool exporter = true;
  std::size_t max_varbinds = 48;
  int grid_ms = 100;
  std::string netns = "cdsnmpbench";
};

int sh(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setenv("MIBS", "", 1);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return pid;
}

double cpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

double procCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  const auto rp = s.rfind(')');
  std::istringstream ss(s.substr(rp + 2));
  std::string f;
  std::vector<std::string> v;
  while (ss >> f) v.push_back(f);
  // Fields after the command: state(3) ... utime(14) stime(15) -> indexes 11, 12 here.
  return (std::stod(v.at(11)) + std::stod(v.at(12))) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long procPeakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string ifName(int dev, int k) {
  // Pair p has ends cdA<p> and cdB<p>: device d owns pairs 4d..4d+3, both ends.
  const int pair = dev * 4 + k / 2;
  return std::string(k % 2 ? "cdB" : "cdA") + std::to_string(pair);
}

bool waitPort(std::uint16_t port, const std::string& community) {
  for (int i = 0; i < 100; ++i) {
    if (sh("MIBS= /usr/bin/snmpget -v2c -c " + community + " -t 0.3 -r 0 127.0.0.1:" +
           std::to_string(port) + " 1.3.6.1.2.1.1.3.0 >/dev/null 2>&1") == 0)
      return true;
  }
  return false;
}

/// Blocking HTTP GET on 127.0.0.1; returns the body size or -1.
long httpGet(std::uint16_t port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, req.data(), req.size(), 0) < 0) {
    close(fd);
    return -1;
  }
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<std::size_t>(n));
  close(fd);
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.find(" 200 ") == std::string::npos) return -1;
  return static_cast<long>(resp.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--devices")
      o.devices = std::stoi(next());
    else if (a == "--interval")
      o.interval_s = std::stoi(next());
    else if (a == "--duration")
      o.duration_s = std::stoi(next());
    else if (a == "--no-exporter")
      o.exporter = false;
    else if (a == "--varbinds-per-pdu")
      o.max_varbinds = std::stoul(next());
    else if (a == "--grid-ms")
      o.grid_ms = std::stoi(next());
    else if (a == "--netns")
      o.netns = next();
    else {
      std::cerr
          << "usage: snmp_bench [--devices N] [--interval S] [--duration S] [--varbinds-per-pdu N] "
             "[--grid-ms N] [--no-exporter] [--netns NAME]\n";
      return 2;
    }
  }
  if (geteuid() != 0) {
    std::cerr << "snmp_bench: needs root (network namespace, veth pairs)\n";
    return 1;
  }
  const int pairs = o.devices * o.ifs_per_device / 2;
  const std::string ns = o.netns;
  const std::string dir = "/tmp/" + ns;
  sh("ip netns del " + ns + " 2>/dev/null");
  sh("rm -rf " + dir + " && mkdir -p " + dir);
  std::printf("setup: netns %s, %d veth pairs (%d interfaces + lo), one snmpd on 127.0.0.1:1161\n",
              ns.c_str(), pairs, pairs * 2);
  if (sh("ip netns add " + ns) != 0) return 1;
  {
    std::ofstream b(dir + "/links.batch");
    for (int p = 0; p < pairs; ++p)
      b << "link add cdA" << p << " type veth peer name cdB" << p << "\n";
  }
  const auto t_setup = std::chrono::steady_clock::now();
  sh("ip netns exec " + ns +
     " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
  sh("ip -n " + ns + " link set lo up");
  if (sh("ip -n " + ns + " -batch " + dir + "/links.batch") != 0) {
    std::cerr << "snmp_bench: creating veth pairs failed\n";
    sh("ip netns del " + ns);
    return 1;
  }
  std::printf("setup: veth pairs created in %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t_setup).count());

  // Join the namespace before any socket exists: the agent, the exporter and this poller all
  // talk over the namespace's own loopback.
  const int nsfd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
    std::perror("setns");
    return 1;
  }
  {
    std::ofstream c(dir + "/snmpd.conf");
    c << "rocommunity public 127.0.0.1\n";
  }
  setenv("SNMP_PERSISTENT_DIR", dir.c_str(), 1);
  const pid_t snmpd = spawn({"/usr/sbin/snmpd", "-f", "-Lo", "-C", "-c", dir + "/snmpd.conf", "-M",
                             "/dev/null", "udp:127.0.0.1:1161"},
                            dir + "/snmpd.log");
  int rc = 0;
  if (!waitPort(1161, "public")) {
    std::cerr << "snmp_bench: snmpd did not answer\n";
    rc = 1;
  }

  // ---- phase 1: SnmpPoller ----
  std::uint64_t our_varbinds = 0;
  double our_cpu = 0, our_wall = 0;
  std::uint64_t our_ifaces = 0;
  if (rc == 0) {
    boost::asio::io_context io;
    SystemClock clock;
    std::uint64_t samples = 0, unreachable = 0;
    snmp::PollerLimits lim;
    lim.max_varbinds_per_pdu = o.max_varbinds;
    lim.max_in_flight_per_device = 2;
    lim.max_in_flight_total = 512;
    lim.bulk_repetitions = 50;
    lim.start_grid = std::chrono::milliseconds(o.grid_ms);
    snmp::SnmpPoller poller(
        io, clock,
        [&](Observation ob) {
          if (std::holds_alternative<InterfaceSample>(ob))
            ++samples;
          else if (auto* dp = std::get_if<DevicePoll>(&ob); dp && !dp->reachable)
            ++unreachable;
        },
        lim);
    std::vector<double> latencies_ms;
    bool measuring = false;
    poller.setRoundObserver([&](const std::string&, std::chrono::microseconds us) {
      if (measuring) latencies_ms.push_back(us.count() / 1000.0);
    });
    for (int d = 0; d < o.devices; ++d) {
      snmp::PollTarget t;
      t.device = "dev" + std::to_string(d);
      t.address = "127.0.0.1";
      t.port = 1161;
      t.credentials.community = "public";
      for (int k = 0; k < o.ifs_per_device; ++k) t.interfaces.push_back(ifName(d, k));
      t.interval = std::chrono::seconds(o.interval_s);
      t.timeout = 5s;
      t.retries = 1;
      if (auto r = poller.addDevice(t); !r) {
        std::cerr << r.error().str() << "\n";
        return 1;
      }
    }
    // Warm-up: two rounds per device. The first resolves the names (GETBULK walks of ifName)
    // and asks both the 64- and 32-bit octet columns; the second runs the plan of the steady
    // state (64-bit only), built once the counter width is known.
    const double c0 = cpuSeconds();
    const auto w0 = std::chrono::steady_clock::now();
    for (int round = 0; round < 2; ++round) {
      // In groups of 25 devices: 250 devices' GETs at once overflow the agent's socket buffer.
      for (int first = 0; first < o.devices; first += 25) {
        int pending = 0;
        for (int d = first; d < std::min(o.devices, first + 25); ++d, ++pending)
          poller.pollNow("dev" + std::to_string(d), [&](const DevicePoll&) { --pending; });
        while (pending > 0) io.run_one();
      }
    }
    std::printf(
        "warm-up (name resolution + two GET rounds): %d devices in %.2f s wall, %.3f s CPU, %llu "
        "varbinds "
        "(each device walks the agent's whole ifName column of %d rows)\n",
        o.devices, std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count(),
        cpuSeconds() - c0, static_cast<unsigned long long>(poller.stats().varbinds), pairs * 2 + 1);
    if (samples != static_cast<std::uint64_t>(2 * o.devices * o.ifs_per_device) || unreachable)
      std::printf("WARNING: warm-up produced %llu samples, %llu unreachable\n",
                  static_cast<unsigned long long>(samples),
                  static_cast<unsigned long long>(unreachable));
    const auto vb0 = poller.stats().varbinds;
    const snmp::PollerStats before = poller.stats();
    const auto unreachable0 = unreachable;
    const auto s0 = samples;
    measuring = true;
    const double cpu0 = cpuSeconds();
    const auto t0 = std::chrono::steady_clock::now();
    poller.start();
    boost::asio::steady_timer stop(io, std::chrono::seconds(o.duration_s));
    stop.async_wait([&](const boost::system::error_code&) { poller.stop(); });
    io.restart();
    io.run();
    our_wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    our_cpu = cpuSeconds() - cpu0;
    our_varbinds = poller.stats().varbinds - vb0;
    our_ifaces = samples - s0;
    const auto& st = poller.stats();
    std::printf(
        "\n[circuitd SnmpPoller] %d devices x %d interfaces, every %d s for %d s, <=%zu "
        "varbinds/PDU, "
        "start grid %d ms\n",
        o.devices, o.ifs_per_device, o.interval_s, o.duration_s, o.max_varbinds, o.grid_ms);
    std::printf("  interfaces polled/s:       %.1f (%llu samples in %.1f s)\n",
                our_ifaces / our_wall, static_cast<unsigned long long>(our_ifaces), our_wall);
    std::printf("  varbinds received:         %llu (%.0f/s)\n",
                static_cast<unsigned long long>(our_varbinds), our_varbinds / our_wall);
    std::printf(
        "  CPU:                       %.3f s = %.3f us/varbind = %.2f CPU s per million varbinds\n",
        our_cpu, our_varbinds ? our_cpu * 1e6 / our_varbinds : 0.0,
        our_varbinds ? our_cpu * 1e6 / our_varbinds : 0.0);
    std::printf("  round latency p50/p99:     %.2f / %.2f ms (%zu rounds)\n",
                percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99), latencies_ms.size());
    std::printf(
        "  timeouts %llu, retries %llu, name resolutions %llu, overruns %llu, max queued %llu\n",
        static_cast<unsigned long long>(st.timeouts - before.timeouts),
        static_cast<unsigned long long>(st.retries - before.retries),
        static_cast<unsigned long long>(st.resolutions - before.resolutions),
        static_cast<unsigned long long>(st.overruns),
        static_cast<unsigned long long>(st.queued_max));
    std::printf(
        "  v2c replies dropped %llu (unknown request-id %llu, malformed %llu), send errors %llu, "
        "unreachable rounds %llu\n",
        static_cast<unsigned long long>(st.dropped.total()),
        static_cast<unsigned long long>(st.dropped.unknown_request),
        static_cast<unsigned long long>(st.dropped.malformed),
        static_cast<unsigned long long>(st.send_errors),
        static_cast<unsigned long long>(unreachable - unreachable0));
    std::printf("  v2c replies %llu in %llu read wake-ups (%.2f per wake-up), %llu requests\n",
                static_cast<unsigned long long>(st.datagrams - before.datagrams),
                static_cast<unsigned long long>(st.read_wakeups - before.read_wakeups),
                st.read_wakeups > before.read_wakeups
                    ? double(st.datagrams - before.datagrams) /
                          double(st.read_wakeups - before.read_wakeups)
                    : 0.0,
                static_cast<unsigned long long>(st.requests - before.requests));
    std::printf("  peak RSS (whole process):  %ld kB\n", peakRssKb());
  }

  // ---- phase 2: prometheus-snmp-exporter on the same agent and instances ----
  if (rc == 0 && o.exporter) {
    // ifIndex per name, as the kernel numbered the veth ends ("7: cdA2@cdB2: <...").
    std::map<std::string, int> index_of;
    {
      sh("ip -o link show > " + dir + "/links.txt");
      std::ifstream in(dir + "/links.txt");
      std::string line;
      while (std::getline(in, line)) {
        const auto c1 = line.find(": ");
        if (c1 == std::string::npos) continue;
        auto rest = line.substr(c1 + 2);
        const auto end = rest.find_first_of("@:");
        index_of[rest.substr(0, end)] = std::stoi(line.substr(0, c1));
      }
    }
    const std::string yml = dir + "/snmp.yml";
    {
      std::ofstream y(yml);
      const char* cols[][2] = {{"ifOperStatus", "1.3.6.1.2.1.2.2.1.8"},
                               {"ifAdminStatus", "1.3.6.1.2.1.2.2.1.7"},
                               {"ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6"},
                               {"ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10"},
                               {"ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15"},
                               {"ifLastChange", "1.3.6.1.2.1.2.2.1.9"},
                               {"ifInErrors", "1.3.6.1.2.1.2.2.1.14"},
                               {"ifOutErrors", "1.3.6.1.2.1.2.2.1.20"},
                               {"ifInDiscards", "1.3.6.1.2.1.2.2.1.13"},
                               {"ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19"},
                               {"ifName", "1.3.6.1.2.1.31.1.1.1.1"}};
      for (int d = 0; d < o.devices; ++d) {
        y << "dev" << d
          << ":\n  version: 2\n  auth:\n    community: public\n  timeout: 5s\n  retries: 1\n"
          << "  max_repetitions: 50\n  get:\n    - 1.3.6.1.2.1.1.3.0\n";
        // The same exact instances the poller GETs: the ifIndex of each interface of this device.
        for (int k = 0; k < o.ifs_per_device; ++k) {
          const int idx = index_of[ifName(d, k)];
          for (auto& c : cols) y << "    - " << c[1] << "." << idx << "\n";
        }
        y << "  metrics:\n    - name: sysUpTime\n      oid: 1.3.6.1.2.1.1.3\n      type: gauge\n";
        for (auto& c : cols) {
          const bool str = std::string(c[0]) == "ifName";
          y << "    - name: " << c[0] << "\n      oid: " << c[1] << "\n      type: "
            << (str ? "DisplayString" : (std::strstr(c[0], "Octets") ? "counter" : "gauge"))
            << "\n      indexes:\n        - labelname: ifIndex\n          type: gauge\n";
        }
      }
    }
    const pid_t exp = spawn({"/usr/bin/prometheus-snmp-exporter", "--config.file=" + yml,
                             "--web.listen-address=127.0.0.1:9116", "--log.level=warn"},
                            dir + "/exporter.log");
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
      up = httpGet(9116, "/metrics") > 0;
      if (!up) std::this_thread::sleep_for(100ms);
    }
    if (!up) {
      std::cerr << "snmp_bench: prometheus-snmp-exporter did not start (see " << dir
                << "/exporter.log)\n";
      rc = 1;
    } else {
      const std::uint64_t per_scrape = 1 + 11ull * o.ifs_per_device;
      // Warm-up scrape of every module (config parse, first connections), not measured.
      for (int d = 0; d < o.devices; ++d)
        httpGet(9116, "/snmp?module=dev" + std::to_string(d) + "&target=127.0.0.1:1161");
      const double e0 = procCpuSeconds(exp);
      std::atomic<std::uint64_t> ok{0}, failed{0};
      std::vector<double> lat;
      std::mutex lat_mu;
      const auto t0 = std::chrono::steady_clock::now();
      const int rounds = o.duration_s / o.interval_s;
      for (int r = 0; r < rounds; ++r) {
        const auto due = t0 + std::chrono::seconds(r * o.interval_s);
        std::this_thread::sleep_until(due);
        // Scrapes in parallel, like a Prometheus server with many targets.
        std::atomic<int> next{0};
        std::vector<std::thread> pool;
        for (int w = 0; w < 16; ++w)
          pool.emplace_back([&] {
            for (int d; (d = next++) < o.devices;) {
              const auto s = std::chrono::steady_clock::now();
              if (httpGet(9116, "/snmp?module=dev" + std::to_string(d) + "&target=127.0.0.1:1161") >
                  0)
                ++ok;
              else
                ++failed;
              const double ms =
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s)
                      .count();
              std::lock_guard<std::mutex> g(lat_mu);
              lat.push_back(ms);
            }
          });
        for (auto& t : pool) t.join();
      }
      std::this_thread::sleep_until(t0 + std::chrono::seconds(o.duration_s));
      const double e_cpu = procCpuSeconds(exp) - e0;
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const std::uint64_t vbs = ok * per_scrape;
      std::printf(
          "\n[prometheus-snmp-exporter 0.21] same agent, same %llu instances per device, %d "
          "rounds\n",
          static_cast<unsigned long long>(per_scrape), rounds);
      std::printf("  interfaces polled/s:       %.1f (%llu scrapes ok, %llu failed)\n",
                  ok * o.ifs_per_device / wall, static_cast<unsigned long long>(ok.load()),
                  static_cast<unsigned long long>(failed.load()));
      std::printf(
          "  CPU (exporter process):    %.3f s = %.3f us/varbind = %.2f CPU s per million "
          "varbinds\n",
          e_cpu, vbs ? e_cpu * 1e6 / vbs : 0.0, vbs ? e_cpu * 1e6 / vbs : 0.0);
      std::printf("  scrape latency p50/p99:    %.2f / %.2f ms\n", percentile(lat, 0.5),
                  percentile(lat, 0.99));
      std::printf("  peak RSS (exporter):       %ld kB\n", procPeakRssKb(exp));
      if (our_varbinds && vbs) {
        const double ours = our_cpu / our_varbinds, theirs = e_cpu / vbs;
        std::printf(
            "\nratio: snmp_exporter CPU per varbind / SnmpPoller CPU per varbind = %.1fx "
            "(target >= 5x; poller target <= 1.5 us/varbind: %s)\n",
            theirs / ours, ours * 1e6 <= 1.5 ? "met" : "NOT met");
      }
    }
    kill(exp, SIGTERM);
    waitpid(exp, nullptr, 0);
  }
  kill(snmpd, SIGTERM);
  waitpid(snmpd, nullptr, 0);
  close(nsfd);
  sh("ip netns del " + ns);
  sh("rm -rf " + dir);
  return rc;
}
