// Probes N loopback targets (127.x.y.z) at one interval for S seconds with circuitd's
// IcmpProber, then does the same with fping in the same run, and prints probes per second, CPU
// seconds per million probes, the RTT distribution of both (RTT accuracy: both measure the same
// loopback path, so the difference is what each adds), the largest send burst per tick against
// the prober's bound and per 1 ms, wake-ups per probe, and the ratio.
// Needs root (raw ICMP sockets). Prints figures only; it asserts nothing.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "daemon/runtime/system_clock.hpp"
#include "probes/icmp/icmp_prober.hpp"

namespace {

struct Cpu {
  double user = 0;
  double sys = 0;
  double total() const { return user + sys; }
};

Cpu selfCpu() {
  rusage r{};
  ::getrusage(RUSAGE_SELF, &r);
  return {static_cast<double>(r.ru_utime.tv_sec) + r.ru_utime.tv_usec / 1e6,
          static_cast<double>(r.ru_stime.tv_sec) + r.ru_stime.tv_usec / 1e6};
}

// utime and stime of a running process from /proc/PID/stat (fields 14 and 15, in clock ticks).
bool procCpu(pid_t pid, Cpu& out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  out = {static_cast<double>(utime) / hz, static_cast<double>(stime) / hz};
  return true;
}

std::string target(std::size_t i) {
  // 127.1.0.1 .. : 250 hosts per /24, all answered by the loopback interface.
  return "127." + std::to_string(1 + i / 62500) + "." + std::to_string((i / 250) % 250) + "." +
         std::to_string(i % 250 + 1);
}

struct Percentiles {
  double p50 = NAN, p90 = NAN, p99 = NAN, max = NAN, mean = NAN;
};

Percentiles percentiles(std::vector<float>& v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    return static_cast<double>(v[static_cast<std::size_t>(q * (v.size() - 1))]);
  };
  p.p50 = at(0.5);
  p.p90 = at(0.9);
  p.p99 = at(0.99);
  p.max = v.back();
  double s = 0;
  for (float x : v) s += x;
  p.mean = s / static_cast<double>(v.size());
  return p;
}

struct Result {
  std::string name;
  double seconds = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  Cpu cpu;
  Percentiles rtt_ms;
  std::size_t burst_1ms = 0;            // most probes sent within any 1 ms (sliding window)
  std::vector<std::uint32_t> per_ms;    // probes sent in each 1 ms bucket of the run
  std::vector<std::uint32_t> per_tick;  // probes sent by each tick that sent
  std::size_t over_bound = 0;           // ticks above the bound
  circuitd::icmp::ProberStats stats;    // the prober's counters at the end
  circuitd::icmp::ProberStats steady;   // quantum and bound with every target scheduled
  std::string note;
};

Result runCircuitd(std::size_t n, int seconds, int interval_ms, int quantum_us,
                   circuitd::icmp::ReplyReading reading) {
  Result r;
  r.name = "circuitd";
  boost::asio::io_context io;
  circuitd::SystemClock clock;
  std::vector<float> rtts;
  rtts.reserve(n * static_cast<std::size_t>(seconds * 1000 / interval_ms + 2));
  std::uint64_t samples = 0;
  circuitd::icmp::ProberOptions opts;
  opts.max_targets_hint = n;
  opts.send_quantum = std::chrono::microseconds(quantum_us);
  opts.reply_reading = reading;
  opts.mode = circuitd::icmp::SocketMode::Raw;
  circuitd::icmp::IcmpProber prober(
      io, clock,
      [&](const circuitd::ReachSample& s) {
        ++samples;
        if (s.replied && rtts.size() < rtts.capacity())
          rtts.push_back(static_cast<float>(*s.rtt_ms));
      },
      opts);
  std::vector<std::pair<std::int64_t, std::uint32_t>> batches;
  // At most one tick per quantum, and the quantum is at least 1 ms unless set lower.
  const auto tick_us = static_cast<std::size_t>(quantum_us > 0 ? std::min(quantum_us, 1000) : 1000);
  batches.reserve(static_cast<std::size_t>(seconds) * 1'000'000 / tick_us + n + 1024);
  prober.setSendObserver([&](std::int64_t ns, std::size_t c) {
    if (batches.size() < batches.capacity())
      batches.emplace_back(ns, static_cast<std::uint32_t>(c));
  });
  if (auto s = prober.start(); !s) {
    r.note = s.error().str();
    return r;
  }
  for (std::size_t i = 0; i < n; ++i) {
    circuitd::icmp::TargetOptions t;
    t.interval = circuitd::Duration{interval_ms};
    t.timeout = circuitd::Duration{interval_ms};
    t.max_probes = static_cast<std::uint64_t>(seconds * 1000 / interval_ms);
    if (auto a = prober.addTarget(target(i), t); !a) {
      r.note = a.error().str();
      return r;
    }
  }
  r.steady = prober.stats();
  const Cpu c0 = selfCpu();
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t expected = n * static_cast<std::uint64_t>(seconds * 1000 / interval_ms);
  const auto limit =
      t0 + std::chrono::seconds(seconds) + std::chrono::milliseconds(2 * interval_ms + 2000);
  while (samples < expected && std::chrono::steady_clock::now() < limit) {
    io.run_for(std::chrono::milliseconds(100));
  }
  const auto t1 = std::chrono::steady_clock::now();
  const Cpu c1 = selfCpu();
  prober.stop();
  const auto st = prober.stats();
  r.stats = st;
  r.sent = st.sent;
  r.received = st.replies;
  r.cpu = {c1.user - c0.user, c1.sys - c0.sys};
  // The send window is the time the probes took to leave, not the tail of the last timeouts.
  r.seconds =
      batches.empty() ? 0 : static_cast<double>(batches.back().first - batches.front().first) / 1e9;
  if (r.seconds <= 0) r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.rtt_ms = percentiles(rtts);
  std::size_t j = 0, in_window = 0;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    in_window += batches[i].second;
    while (batches[i].first - batches[j].first >= 1'000'000) in_window -= batches[j++].second;
    r.burst_1ms = std::max(r.burst_1ms, in_window);
    r.per_tick.push_back(batches[i].second);
    r.over_bound += batches[i].second > r.steady.burst_bound;
  }
  if (!batches.empty()) {
    const std::int64_t first = batches.front().first;
    r.per_ms.assign(static_cast<std::size_t>((batches.back().first - first) / 1'000'000 + 1), 0);
    for (const auto& [ns, c] : batches)
      r.per_ms[static_cast<std::size_t>((ns - first) / 1'000'000)] += c;
  }
  std::ostringstream note;
  note << st.send_calls << " sendmmsg, " << st.recv_calls << " recvmmsg calls; " << st.timeouts
       << " timeouts, " << st.ignored << " ignored packets (other ICMP traffic on the host)";
  r.note = note.str();
  return r;
}

// Quantile of a sorted vector.
std::uint32_t quantile(const std::vector<std::uint32_t>& v, double x) {
  return v.empty() ? 0 : v[static_cast<std::size_t>(x * static_cast<double>(v.size() - 1))];
}

Result runFping(const std::string& fping, std::size_t n, int seconds, int interval_ms) {
  Result r;
  r.name = "fping";
  const std::string list = "/tmp/icmp_bench_targets_" + std::to_string(::getpid()) + ".txt";
  const std::string out = "/tmp/icmp_bench_fping_" + std::to_string(::getpid()) + ".txt";
  {
    std::ofstream f(list);
    for (std::size_t i = 0; i < n; ++i) f << target(i) << "\n";
  }
  const int count = seconds * 1000 / interval_ms;
  // fping 5.1 at the same rate: -p is the per-target period, -i the gap between any two
  // probes (interval / N, fractional ms allowed for root), -C keeps every RTT for the report.
  char gap[32];
  std::snprintf(gap, sizeof gap, "%.4f", static_cast<double>(interval_ms) / static_cast<double>(n));
  std::vector<std::string> args{
      fping, "-q", "-C", std::to_string(count),       "-p", std::to_string(interval_ms),
      "-i",  gap,  "-t", std::to_string(interval_ms), "-f", list};
  std::string cmdline;
  for (const auto& a : args) cmdline += a + " ";
  std::fflush(stdout);  // the child must not inherit unflushed output
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    FILE* o = std::freopen(out.c_str(), "w", stderr);
    (void)o;
    std::freopen("/dev/null", "w", stdout);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  Cpu last;
  rusage ru{};
  int status = 0;
  for (;;) {
    Cpu now;
    if (procCpu(pid, now)) last = now;
    const pid_t w = ::wait4(pid, &status, WNOHANG, &ru);
    if (w == pid) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto t1 = std::chrono::steady_clock::now();
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.cpu = {static_cast<double>(ru.ru_utime.tv_sec) + ru.ru_utime.tv_usec / 1e6,
           static_cast<double>(ru.ru_stime.tv_sec) + ru.ru_stime.tv_usec / 1e6};
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) {
    r.note = "fping did not run (" + cmdline + ")";
    return r;
  }
  std::vector<float> rtts;
  rtts.reserve(n * static_cast<std::size_t>(count));
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(" : ");
    if (colon == std::string::npos) continue;
    std::istringstream vals(line.substr(colon + 3));
    std::string v;
    while (vals >> v) {
      ++r.sent;
      if (v != "-") {
        ++r.received;
        rtts.push_back(std::stof(v));
      }
    }
  }
  r.rtt_ms = percentiles(rtts);
  std::ostringstream note;
  note << "cmd: " << cmdline << "| CPU from /proc while running: " << last.total() << " s (user "
       << last.user << ", sys " << last.sys
       << "); wait4 total incl. final report: " << r.cpu.total() << " s";
  r.note = note.str();
  std::remove(list.c_str());
  std::remove(out.c_str());
  // The steady-state figure: /proc's last sample, before fping prints its 10,000-line report.
  if (last.total() > 0) r.cpu = last;
  return r;
}

void print(const Result& r, int interval_ms, std::size_t n) {
  const double pps = r.seconds > 0 ? static_cast<double>(r.sent) / r.seconds : 0;
  const double per_m = r.sent ? r.cpu.total() / (static_cast<double>(r.sent) / 1e6) : NAN;
  std::printf("%-9s probes %9llu  replies %9llu  over %6.2f s = %8.0f probes/s\n", r.name.c_str(),
              static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.received),
              r.seconds, pps);
  std::printf(
      "%-9s CPU %.2f s (user %.2f, sys %.2f) = %.2f CPU s per million probes = %.1f us/probe\n", "",
      r.cpu.total(), r.cpu.user, r.cpu.sys, per_m, per_m);
  std::printf("%-9s RTT ms p50 %.4f  p90 %.4f  p99 %.4f  max %.3f  mean %.4f\n", "", r.rtt_ms.p50,
              r.rtt_ms.p90, r.rtt_ms.p99, r.rtt_ms.max, r.rtt_ms.mean);
  if (r.name == "circuitd") {
    const auto& st = r.stats;
    std::vector<std::uint32_t> ticks = r.per_tick;
    std::sort(ticks.begin(), ticks.end());
    std::printf(
        "%-9s send quantum %.2f ms, bound %zu probes per tick; probes per sending tick: "
        "p50 %u  p99 %u  max %u; ticks above the bound: %zu\n",
        "", static_cast<double>(r.steady.send_quantum_ns) / 1e6, r.steady.burst_bound,
        quantile(ticks, 0.5), quantile(ticks, 0.99), ticks.empty() ? 0 : ticks.back(),
        r.over_bound);
    std::vector<std::uint32_t> v = r.per_ms;
    std::sort(v.begin(), v.end());
    std::printf(
        "%-9s largest send burst within any 1 ms: %zu probes (even spread %.1f per ms); "
        "per 1 ms bucket: p50 %u  p99 %u  p99.9 %u  max %u\n",
        "", r.burst_1ms, static_cast<double>(n) / interval_ms, quantile(v, 0.5), quantile(v, 0.99),
        quantile(v, 0.999), v.empty() ? 0 : v.back());
    std::printf(
        "%-9s late probes (sent > 1 quantum after due): %llu, max lateness %.2f ms; "
        "skipped rounds %llu\n",
        "", static_cast<unsigned long long>(st.late), static_cast<double>(st.max_lateness_ns) / 1e6,
        static_cast<unsigned long long>(st.skipped));
    std::printf(
        "%-9s wake-ups: %llu ticks + %llu on reply readiness = %.3f per probe\n", "",
        static_cast<unsigned long long>(st.ticks), static_cast<unsigned long long>(st.read_wakeups),
        r.sent ? static_cast<double>(st.ticks + st.read_wakeups) / static_cast<double>(r.sent)
               : NAN);
  }
  if (!r.note.empty()) std::printf("%-9s %s\n", "", r.note.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ICMP prober benchmark: circuitd's IcmpProber vs fping on loopback targets"};
  std::size_t targets = 10000;
  int seconds = 60;
  int interval_ms = 1000;
  int quantum_us = 0;
  std::string reading = "lazy";
  std::string fping = "fping";
  bool no_fping = false;
  bool equal_rate = true;
  app.add_option("-n,--targets", targets, "Loopback targets (127.x.y.z)")->capture_default_str();
  app.add_option("-s,--seconds", seconds, "Duration of each run")->capture_default_str();
  app.add_option("--interval", interval_ms, "Per-target interval, ms")->capture_default_str();
  app.add_option("--quantum-us", quantum_us, "Prober send tick, us (0: automatic)")
      ->capture_default_str();
  app.add_option("--reply-reading", reading,
                 "lazy (read at send ticks) or readiness (wake per reply)")
      ->check(CLI::IsMember({"lazy", "readiness"}))
      ->capture_default_str();
  app.add_option("--fping", fping, "fping binary")->capture_default_str();
  app.add_flag("--no-fping", no_fping, "Only run circuitd's prober");
  app.add_flag("!--no-equal-rate", equal_rate,
               "Skip the second circuitd run at the rate fping actually reached");
  CLI11_PARSE(app, argc, argv);
  if (::geteuid() != 0) {
    std::fprintf(stderr, "icmp_bench: needs root (raw ICMP sockets)\n");
    return 2;
  }
  if (targets < 1 || targets > 500000 || seconds < 1 || interval_ms < 1) {
    std::fprintf(stderr, "icmp_bench: bad arguments\n");
    return 2;
  }
  std::printf("%zu loopback targets, interval %d ms, %d s each (target rate %.0f probes/s)\n",
              targets, interval_ms, seconds, static_cast<double>(targets) * 1000.0 / interval_ms);
  const auto mode = reading == "lazy" ? circuitd::icmp::ReplyReading::Lazy
                                      : circuitd::icmp::ReplyReading::OnReadiness;
  std::printf("prober: send quantum %s, reply reading %s\n",
              quantum_us > 0 ? (std::to_string(quantum_us) + " us").c_str() : "automatic",
              reading.c_str());
  const Result ours = runCircuitd(targets, seconds, interval_ms, quantum_us, mode);
  print(ours, interval_ms, targets);
  if (no_fping) return 0;
  const Result theirs = runFping(fping, targets, seconds, interval_ms);
  print(theirs, interval_ms, targets);
  auto ratio = [](const Result& a, const Result& b) {
    if (!a.sent || !b.sent) return;
    const double pa = a.cpu.total() / static_cast<double>(a.sent);
    const double pb = b.cpu.total() / static_cast<double>(b.sent);
    std::printf(
        "ratio     fping CPU per probe / circuitd CPU per probe = %.2fx  "
        "(rates: circuitd %.0f/s, fping %.0f/s)\n",
        pb / pa, static_cast<double>(a.sent) / a.seconds, static_cast<double>(b.sent) / b.seconds);
  };
  ratio(ours, theirs);
  // fping may not reach the requested rate; then compare again at the rate it did reach.
  const double target_rate = static_cast<double>(targets) * 1000.0 / interval_ms;
  const double fping_rate =
      theirs.seconds > 0 ? static_cast<double>(theirs.sent) / theirs.seconds : 0;
  if (equal_rate && fping_rate > 0 && fping_rate < 0.95 * target_rate) {
    const int slower =
        static_cast<int>(std::lround(static_cast<double>(targets) * 1000.0 / fping_rate));
    std::printf("fping reached only %.0f probes/s: circuitd again at that rate (interval %d ms)\n",
                fping_rate, slower);
    const Result same =
        runCircuitd(targets, std::max(seconds, 2 * slower / 1000), slower, quantum_us, mode);
    print(same, slower, targets);
    ratio(same, theirs);
  }
  return 0;
}
