#include "daemon/notify/outbox_sender.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>

#include "daemon/log/log.hpp"
#include "daemon/notify/exec_hook.hpp"
#include "daemon/notify/http_client.hpp"

namespace circuitd::notify {

std::string_view toString(ChannelKind k) {
  switch (k) {
    case ChannelKind::Alertmanager:
      return "alertmanager";
    case ChannelKind::Webhook:
      return "webhook";
    case ChannelKind::Exec:
      return "exec";
  }
  return "webhook";
}

std::optional<ChannelKind> parseChannelKind(std::string_view s) {
  for (auto k : {ChannelKind::Alertmanager, ChannelKind::Webhook, ChannelKind::Exec})
    if (toString(k) == s) return k;
  return std::nullopt;
}

Duration backoff(const RetryPolicy& p, int attempts) {
  Duration d = p.base;
  for (int i = 1; i < attempts && d < p.max; ++i) d *= 2;
  return std::min(d, p.max);
}

namespace {
std::string amUrl(const std::string& base) {
  const std::string suffix = "/api/v2/alerts";
  if (base.size() >= suffix.size() &&
      base.compare(base.size() - suffix.size(), suffix.size(), suffix) == 0)
    return base;
  return (base.empty() || base.back() != '/' ? base : base.substr(0, base.size() - 1)) + suffix;
}
}  // namespace

struct OutboxSender::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::io_context& i, StoreGetter s, std::vector<ChannelConfig> ch, const Clock& c,
       RetryPolicy r)
      : io(i), store(std::move(s)), clock(c), retry(r), timer(i) {
    for (auto& x : ch) channels[x.name] = std::move(x);
  }

  boost::asio::io_context& io;
  StoreGetter store;
  std::map<std::string, ChannelConfig> channels;
  const Clock& clock;
  RetryPolicy retry;
  boost::asio::steady_timer timer;
  std::deque<store::OutboxRow> queue;
  bool running = false;
  bool busy = false;  // a delivery is in flight
  bool kicked = false;
  std::function<void()> idle;
  SenderStats stats;
  std::shared_ptr<spdlog::logger> log = log::get("notify");

  void schedule(Duration d) {
    timer.expires_after(d);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->pass();
    });
  }

  void pass() {
    if (!running || busy) return;
    kicked = false;
    store::Store* st = store();
    if (!st) return schedule(retry.poll);
    if (queue.empty()) {
      auto rows = st->dueOutbox(clock.now(), retry.batch);
      if (!rows) {
        ++stats.store_errors;
        log->warn("outbox: {}", rows.error().str());
        return schedule(retry.poll);
      }
      queue.assign(rows->begin(), rows->end());
    }
    if (queue.empty()) {
      if (idle) idle();
      if (running && !kicked) schedule(retry.poll);
      return;
    }
    store::OutboxRow row = std::move(queue.front());
    queue.pop_front();
    busy = true;
    deliver(row.channel, row.payload, row.key,
            [self = shared_from_this(), row](bool ok, std::string err) {
              self->busy = false;
              self->finished(row, ok, err);
              if (self->running) boost::asio::post(self->io, [self] { self->pass(); });
            });
  }

  void finished(const store::OutboxRow& row, bool ok, const std::string& err) {
    store::Store* st = store();
    if (ok) {
      ++stats.sent;
      if (st) {
        if (auto r = st->markSent(row.id, clock.now()); !r) {
          ++stats.store_errors;
          log->warn("outbox: delivered {} on {} but cannot mark it: {}", row.key, row.channel,
                    r.error().str());
        }
      }
      return;
    }
    ++stats.failed_attempts;
    const int attempts = row.attempts + 1;
    const Duration wait = backoff(retry, attempts);
    if (attempts == 1 || attempts % 10 == 0)
      log->warn("notification {} on {} failed (attempt {}): {}; retrying in {} s", row.key,
                row.channel, attempts, err, wait.count() / 1000);
    if (st) {
      if (auto r = st->markRetry(row.id, attempts, clock.now() + wait, err); !r) {
        ++stats.store_errors;
        log->warn("outbox: {}", r.error().str());
      }
    }
  }

  void deliver(const std::string& channel, const std::string& event, const std::string& key,
               std::function<void(bool, std::string)> done) {
    auto it = channels.find(channel);
    if (it == channels.end()) {
      boost::asio::post(io, [done, channel] { done(false, "no channel named " + channel); });
      return;
    }
    const ChannelConfig& ch = it->second;
    switch (ch.kind) {
      case ChannelKind::Alertmanager: {
        auto body = alertmanagerBody(event, clock.now(), ch.alertmanager);
        if (!body) {
          boost::asio::post(io, [done, e = body.error().str()] { done(false, e); });
          return;
        }
        HttpRequest req;
        req.url = amUrl(ch.url);
        req.body = std::move(*body);
        req.timeout = ch.timeout;
        req.headers = {{"Idempotency-Key", key}};
        asyncPost(io, std::move(req), [done](HttpResponse r) {
          done(r.ok(),
               r.ok() ? "" : (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error));
        });
        return;
      }
      case ChannelKind::Webhook: {
        HttpRequest req;
        req.url = ch.url;
        req.body = event;
        req.timeout = ch.timeout;
        req.headers = {{"Idempotency-Key", key}, {"X-Circuitd-Event", "fault-transition"}};
        if (!ch.secret.empty())
          req.headers.emplace_back("X-Circuitd-Signature", webhookSignature(ch.secret, event));
        asyncPost(io, std::move(req), [done](HttpResponse r) {
          done(r.ok(),
               r.ok() ? "" : (r.error.empty() ? "HTTP " + std::to_string(r.status) : r.error));
        });
        return;
      }
      case ChannelKind::Exec: {
        std::map<std::string, std::string> vars = {{"key", key}};
        auto j = nlohmann::json::parse(event, nullptr, false);
        if (j.is_object() && j.contains("fault") && j["fault"].is_object()) {
          const auto& f = j["fault"];
          vars["fault_id"] = f.value("id", "");
          vars["circuit"] = f.value("circuit", "");
          if (f.contains("decision") && f["decision"].is_object())
            vars["party"] = f["decision"].value("party", "");
        }
        if (j.is_object() && j.contains("transition") && j["transition"].is_object())
          vars["state"] = j["transition"].value("to", "");
        ExecRequest req;
        req.argv = expandArgv(ch.argv, vars);
        req.env = {{"CIRCUITD_IDEMPOTENCY_KEY", key},
                   {"CIRCUITD_FAULT_ID", vars["fault_id"]},
                   {"CIRCUITD_CIRCUIT", vars["circuit"]},
                   {"CIRCUITD_STATE", vars["state"]}};
        req.stdin_data = event;
        req.timeout = ch.timeout;
        asyncExec(io, std::move(req), [done](ExecResult r) {
          done(r.ok(),
               r.ok() ? ""
                      : (r.error.empty() ? "exit status " + std::to_string(r.exit_code) : r.error));
        });
        return;
      }
    }
  }
};

OutboxSender::OutboxSender(boost::asio::io_context& io, StoreGetter store,
                           std::vector<ChannelConfig> channels, const Clock& clock,
                           RetryPolicy retry)
    : impl_(std::make_shared<Impl>(io, std::move(store), std::move(channels), clock, retry)) {}

OutboxSender::~OutboxSender() { stop(); }

void OutboxSender::start() {
  if (impl_->running) return;
  impl_->running = true;
  kick();
}

void OutboxSender::stop() {
  impl_->running = false;
  impl_->timer.cancel();
}

void OutboxSender::kick() {
  if (!impl_->running || impl_->busy) return;
  impl_->kicked = true;
  impl_->timer.cancel();
  boost::asio::post(impl_->io, [self = impl_] { self->pass(); });
}

void OutboxSender::onIdle(std::function<void()> fn) { impl_->idle = std::move(fn); }

SenderStats OutboxSender::stats() const { return impl_->stats; }

void OutboxSender::sendDirect(const std::string& channel, const std::string& event) {
  impl_->deliver(channel, event, "refresh", [log = impl_->log, channel](bool ok, std::string e) {
    if (!ok) log->debug("refresh on {} failed: {}", channel, e);
  });
}

}  // namespace circuitd::notify

namespace circuitd::notify {

void OutboxSender::refreshAlertmanager(const std::vector<std::string>& events) {
  for (const auto& [name, ch] : impl_->channels)
    if (ch.kind == ChannelKind::Alertmanager)
      for (const auto& e : events) sendDirect(name, e);
}

}  // namespace circuitd::notify
