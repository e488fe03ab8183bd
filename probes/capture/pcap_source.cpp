#include "probes/capture/pcap_source.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

namespace circuitd::capture {
namespace {

struct PcapCloser {
  void operator()(pcap_t* p) const { pcap_close(p); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

std::int64_t wallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<void> setFilter(pcap_t* p, const std::string& expr, const std::string& where) {
  if (expr.empty()) return {};
  bpf_program prog{};
  if (pcap_compile(p, &prog, expr.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    return fail(where, fmt::format("filter \"{}\": {}", expr, pcap_geterr(p)));
  const int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) return fail(where, fmt::format("setting filter: {}", pcap_geterr(p)));
  return {};
}

// Longest single wait of an idle live capture: idle time still advances CCM continuity and
// periodic samples at this granularity.
constexpr int kIdleWaitMs = 200;

// Waits until the capture descriptor is readable, the stop is requested or `limit_ms` passes.
// Returns the socket error when the capture descriptor reports one (the interface went down or
// away), else 0.
int waitLive(int pcap_fd, const CaptureStop* stop, int limit_ms) {
  pollfd fds[2] = {{pcap_fd, POLLIN, 0}, {stop ? stop->fd() : -1, POLLIN, 0}};
  const int rc = ::poll(fds, 2, std::max(limit_ms, 0));
  if (rc < 0) return errno == EINTR ? 0 : errno;
  if (rc == 0 || !(fds[0].revents & (POLLERR | POLLHUP | POLLNVAL))) return 0;
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(pcap_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0) err = EIO;
  return err;
}

void emit(const std::vector<CfmSample>& samples, const CfmSink& sink) {
  if (sink)
    for (const auto& s : samples) sink(s);
}

// The one loop both sources share. `live` adds idle handling: with no frames, packet time is
// taken from the wall clock so that a silent MEP still times out. A live handle is
// non-blocking: with nothing to read the loop waits in poll() on `live_fd` and the stop.
Result<void> pump(pcap_t* p, const std::string& where, TrafficCounter& counter, const CfmSink& sink,
                  bool live, int live_fd, const CaptureOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  const auto step_us = static_cast<std::int64_t>(opt.sample_seconds * 1e6);
  std::int64_t next_sample_us = -1;
  std::string filter = opt.apply_filter ? counter.bpfFilter() : std::string{};
  Result<void> filter_ok;  // an error once a changed filter could not be set: the capture ends
  // libpcap's statistics run from the handle's activation (on Linux it sums what each
  // PACKET_STATISTICS read returns, the kernel resetting its counters on every read); the
  // counter gets the difference to the previous read. The fields are u_int: unsigned
  // subtraction stays right across a wrap between two reads.
  pcap_stat seen{};
  auto collectDrops = [&] {
    pcap_stat now{};
    if (!live || pcap_stats(p, &now) != 0) return;
    counter.addDropped(static_cast<u_int>(now.ps_drop - seen.ps_drop),
                       static_cast<u_int>(now.ps_ifdrop - seen.ps_ifdrop));
    seen = now;
  };
  auto deliver = [&](const CaptureWindow& w) {
    if (opt.on_window) opt.on_window(w);
    if (opt.on_throughput)
      for (const auto& s : w.samples) opt.on_throughput(s);
    // on_window may have re-keyed the counter: the kernel filter follows on the same handle.
    if (opt.apply_filter && filter_ok && counter.bpfFilter() != filter) {
      filter = counter.bpfFilter();
      filter_ok = setFilter(p, filter, where);
    }
  };
  auto periodic = [&](std::int64_t now_us) {
    if (step_us <= 0 || !(opt.on_throughput || opt.on_window)) return;
    if (next_sample_us < 0) {
      counter.takeWindow(now_us);  // the first window starts here
      next_sample_us = now_us + step_us;
    }
    if (now_us < next_sample_us) return;
    collectDrops();  // drops so far belong to the first window this call closes
    for (; now_us >= next_sample_us; next_sample_us += step_us)
      deliver(counter.takeWindow(next_sample_us));
  };
  // A failing live capture reports the window it was in, so nothing counted goes unreported.
  auto failLive = [&](std::string what) -> Result<void> {
    collectDrops();
    if (next_sample_us >= 0)
      deliver(counter.takeWindow(std::max(wallMicros(), counter.totals().last_us)));
    return fail(where, std::move(what));
  };
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(opt.seconds));
  int fd_error = 0;  // poll() flagged the descriptor and no read has succeeded since
  for (;;) {
    if (live) {
      // Ending as asked: the partial window is not sent, its drops still reach the totals.
      if ((opt.stop && opt.stop->requested()) ||
          (opt.seconds > 0 && std::chrono::steady_clock::now() >= deadline) ||
          (opt.max_frames && counter.totals().frames >= opt.max_frames)) {
        collectDrops();
        return {};
      }
    }
    if (!filter_ok) return filter_ok;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    const int rc = pcap_next_ex(p, &h, &data);
    if (rc == 1) {
      fd_error = 0;
      const std::int64_t us = std::int64_t{h->ts.tv_sec} * 1'000'000 + h->ts.tv_usec;
      const std::size_t cap = std::min<std::size_t>(h->caplen, h->len);
      // Interval boundaries before this frame close first, so the frame counts in its own.
      periodic(us);
      emit(counter.onFrame(us, std::span<const std::uint8_t>(data, cap), h->len), sink);
    } else if (rc == 0) {  // live: nothing to read
      const std::int64_t now = wallMicros();
      periodic(now);
      emit(counter.advance(now), sink);
      if (live_fd < 0) continue;  // blocking handle: libpcap waited its own timeout
      if (fd_error)
        return failLive(fmt::format("after frame {}: capture socket error: {}",
                                    counter.totals().frames, std::strerror(fd_error)));
      int wait_ms = kIdleWaitMs;
      if (opt.seconds > 0)
        wait_ms = static_cast<int>(std::min<std::int64_t>(
            wait_ms, std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                                  std::chrono::steady_clock::now())
                         .count()));
      fd_error = waitLive(live_fd, opt.stop, wait_ms);
    } else if (rc == PCAP_ERROR_BREAK) {  // end of file
      return {};
    } else if (live) {
      return failLive(fmt::format("after frame {}: {}", counter.totals().frames, pcap_geterr(p)));
    } else {
      return fail(where,
                  fmt::format("after frame {}: {}", counter.totals().frames, pcap_geterr(p)));
    }
  }
}

}  // namespace

Result<void> readFile(const std::string& path, TrafficCounter& counter, const CfmSink& sink,
                      const CaptureOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {};
  PcapPtr p(pcap_open_offline(path.c_str(), err));
  if (!p) return fail(path, err);
  if (pcap_datalink(p.get()) != DLT_EN10MB)
    return fail(path, fmt::format("link type {} is not Ethernet",
                                  pcap_datalink_val_to_name(pcap_datalink(p.get()))
                                      ? pcap_datalink_val_to_name(pcap_datalink(p.get()))
                                      : "unknown"));
  if (options.apply_filter)
    if (auto ok = setFilter(p.get(), counter.bpfFilter(), path); !ok) return ok;
  auto r = pump(p.get(), path, counter, sink, false, -1, options);
  // The end of the file is the last instant the capture vouches for.
  if (counter.totals().frames) emit(counter.advance(counter.totals().last_us), sink);
  return r;
}

Result<void> captureLive(const std::string& interface, TrafficCounter& counter, const CfmSink& sink,
                         const CaptureOptions& options) {
  char err[PCAP_ERRBUF_SIZE] = {};
  PcapPtr p(pcap_create(interface.c_str(), err));
  if (!p) return fail(interface, err);
  pcap_set_snaplen(p.get(), options.snaplen);
  pcap_set_promisc(p.get(), 1);
  pcap_set_timeout(p.get(), 200);
  pcap_set_immediate_mode(p.get(), 1);
  if (options.buffer_bytes > 0)
    pcap_set_buffer_size(
        p.get(), std::max<int>(options.buffer_bytes, static_cast<int>(::sysconf(_SC_PAGESIZE))));
  const int rc = pcap_activate(p.get());
  if (rc < 0) return fail(interface, fmt::format("cannot capture: {}", pcap_geterr(p.get())));
  if (pcap_datalink(p.get()) != DLT_EN10MB) return fail(interface, "not an Ethernet interface");
  if (options.apply_filter)
    if (auto ok = setFilter(p.get(), counter.bpfFilter(), interface); !ok) return ok;
  // Non-blocking reads waited on with poll(): libpcap's own wait ignores the timeout in
  // immediate mode and would hold the thread until the next frame on an idle link.
  int fd = pcap_get_selectable_fd(p.get());
  if (fd >= 0 && pcap_setnonblock(p.get(), 1, err) != 0) fd = -1;
  if (options.on_ready) options.on_ready();
  return pump(p.get(), interface, counter, sink, true, fd, options);
}

CaptureStop::CaptureStop() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

CaptureStop::~CaptureStop() {
  if (fd_ >= 0) ::close(fd_);
}

void CaptureStop::request() {
  requested_ = true;
  if (fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = ::write(fd_, &one, sizeof one);  // never read: stays readable
  }
}

bool CaptureStop::waitFor(std::chrono::milliseconds limit) const {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!requested()) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    if (fd_ < 0) {
      std::this_thread::sleep_for(
          std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds{kIdleWaitMs}));
      continue;
    }
    pollfd f{fd_, POLLIN, 0};
    ::poll(&f, 1, static_cast<int>(left.count()));
  }
  return true;
}

Result<void> checkFilter(const std::string& expression) {
  PcapPtr p(pcap_open_dead(DLT_EN10MB, 65535));
  bpf_program prog{};
  if (pcap_compile(p.get(), &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    return fail("filter", fmt::format("\"{}\": {}", expression, pcap_geterr(p.get())));
  pcap_freecode(&prog);
  return {};
}

}  // namespace circuitd::capture
