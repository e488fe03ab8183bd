#include "daemon/runtime/capture_probe.hpp"

#include <boost/asio/post.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"

namespace circuitd::runtime {

namespace {

class CaptureProbe final : public Probe {
 public:
  explicit CaptureProbe(const ProbeContext& ctx)
      : ctx_(ctx), iface_(ctx.cfg.daemon.capture_interface) {}

  ~CaptureProbe() override {
    if (!thread_.joinable()) return;
    // The request wakes the capture's poll(); the thread returns without a partial window.
    const auto t0 = std::chrono::steady_clock::now();
    shared_.stop.request();
    thread_.join();
    ctx_.log->debug(
        "stop: capture thread joined after {} ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }

  std::string_view kind() const override { return "capture"; }

  void start() override {
    ctx_.log->info("passive capture on {} ({} s windows)", iface_, kCaptureWindowSeconds);
  }

  void apply(const Inventory& inventory) override {
    {
      std::lock_guard<std::mutex> lock(shared_.mu);
      shared_.inventory = inventory;  // the next capture window keys circuits by it
      shared_.inventory_changed = thread_.joinable();
    }
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }

  void stop() override { shared_.stop.request(); }

  void snapshot(http::Snapshot& s) const override { s.capture = counts_; }

 private:
  // What the capture thread shares with the loop: a stop request and the inventory.
  struct Shared {
    capture::CaptureStop stop;
    std::mutex mu;
    Inventory inventory;             // guarded by mu
    bool inventory_changed = false;  // guarded by mu: an apply() after the first set `inventory`
  };

  // The capture thread. It is joined before this object and the loop go, so it may post
  // handlers that use `this`; io_context::post is safe from any thread.
  void run() {
    auto send = [this](std::function<void()> fn) { boost::asio::post(ctx_.io, std::move(fn)); };
    Inventory inv;
    {
      std::lock_guard<std::mutex> lock(shared_.mu);
      inv = shared_.inventory;
      shared_.inventory_changed = false;
    }
    // One counter for the daemon's life: windows split its counts, CCM continuity carries on.
    auto counter = capture::TrafficCounter::create(inv);
    if (!counter) {
      send([this, e = counter.error()] {
        ctx_.log->error("capture: {}; passive capture stopped", e.str());
      });
      return;
    }
    bool failing = false;
    capture::CaptureOptions opt;
    opt.stop = &shared_.stop;
    opt.sample_seconds = kCaptureWindowSeconds;
    opt.buffer_bytes = ctx_.options.capture_buffer_bytes;
    opt.on_ready = [&] {
      if (failing) send([this] { ctx_.log->info("capture on {} working again", iface_); });
      failing = false;
    };
    opt.on_window = [&](const capture::CaptureWindow& w) {
      send([this, w] { onWindow(w); });
      // An applied inventory keys circuits from the next window on.
      std::optional<Inventory> next;
      {
        std::lock_guard<std::mutex> lock(shared_.mu);
        if (shared_.inventory_changed) next = shared_.inventory;
        shared_.inventory_changed = false;
      }
      if (!next) return;
      if (auto r = counter->setInventory(*next); !r)
        send([this, e = r.error()] {
          ctx_.log->error("capture: {}; keeping the previous circuits", e.str());
        });
    };
    // The handle stays open across windows; it is reopened only after a failure.
    while (!shared_.stop.requested()) {
      auto r = capture::captureLive(
          iface_, *counter,
          [send, this](const CfmSample& s) { send([this, s] { ctx_.observe(s); }); }, opt);
      if (r) break;  // stopped
      // Environment failure (interface gone, no CAP_NET_RAW): log once per change, retry.
      if (!failing) send([this, e = r.error()] { ctx_.log->error("capture: {}", e.str()); });
      failing = true;
      shared_.stop.waitFor(std::chrono::seconds{5});
    }
  }

  // Loop thread: one window's samples to the engine, its counts to /metrics, its drops to the
  // warning (at most once a minute).
  void onWindow(const capture::CaptureWindow& w) {
    // ThroughputSample has no lower-bound flag: a window with drops is told by the warning below
    // and by circuitd_capture_dropped_total, its samples go to the engine as they are.
    for (const auto& s : w.samples) ctx_.observe(s);
    ctx_.log->debug(
        "capture on {}: {} frames, {} matched to circuits, {} unmatched, {} dropped in the last {} "
        "s",
        iface_, w.frames, w.matched, w.unmatched, w.dropped + w.interface_dropped,
        kCaptureWindowSeconds);
    counts_.frames += w.frames;
    counts_.dropped += w.dropped;
    counts_.interface_dropped += w.interface_dropped;
    if (auto d = drop_warnings_.add(w, std::chrono::steady_clock::now()))
      ctx_.log->warn(
          "capture on {}: the kernel dropped {} frames before they were read ({} with the "
          "capture buffer full, {} by the interface) in {} window(s) of {} s; the throughput of "
          "those windows is a lower bound",
          iface_, d->dropped + d->interface_dropped, d->dropped, d->interface_dropped, d->windows,
          kCaptureWindowSeconds);
  }

  ProbeContext ctx_;
  const std::string iface_;
  Shared shared_;
  std::thread thread_;
  http::CaptureCounters counts_;  // loop thread: what the windows reported since start
  capture::DropWarnings drop_warnings_;
};

}  // namespace

std::unique_ptr<Probe> makeCaptureProbe(const ProbeContext& ctx) {
  return std::make_unique<CaptureProbe>(ctx);
}

}  // namespace circuitd::runtime
