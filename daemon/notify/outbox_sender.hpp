#pragma once
// Delivers the outbox: reads due rows from the store, sends each on its channel (Alertmanager,
// signed JSON webhook, exec hook), marks it sent, or reschedules it with exponential backoff.
// Rows are only ever written together with their transition, so a restart resumes where the
// last run stopped; each carries an idempotency key so receivers can drop the rare resend of
// a row whose delivery succeeded just before a crash.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "daemon/notify/payload.hpp"
#include "daemon/store/store.hpp"
#include "domain/core/result.hpp"
#include "domain/core/time.hpp"

namespace boost::asio {
class io_context;
}

namespace circuitd::notify {

/// Kinds of channel.
enum class ChannelKind { Alertmanager, Webhook, Exec };
/// "alertmanager", "webhook", "exec".
std::string_view toString(ChannelKind k);
/// Inverse of toString.
std::optional<ChannelKind> parseChannelKind(std::string_view s);

/// One configured notification channel.
struct ChannelConfig {
  std::string name;  ///< unique; outbox rows name it
  ChannelKind kind = ChannelKind::Webhook;
  std::string url;                ///< alertmanager: base URL (…/api/v2/alerts is appended
                                  ///< unless the URL already ends in it); webhook: full URL
  std::string secret;             ///< webhook: HMAC-SHA256 key (empty: unsigned)
  std::vector<std::string> argv;  ///< exec: program and arguments, {key} {fault_id} {circuit}
                                  ///< {state} {party} are replaced per argument
  Duration timeout{std::chrono::seconds{10}};
  AlertmanagerOptions alertmanager;
};

/// Backoff between attempts of one row: base * 2^(attempts-1), at most max. Never gives up.
struct RetryPolicy {
  Duration base{std::chrono::seconds{5}};
  Duration max{std::chrono::minutes{10}};
  Duration poll{std::chrono::seconds{1}};  ///< how often the outbox is looked at when idle
  int batch = 64;                          ///< rows read per pass
};

/// The delay before attempt number attempts + 1.
Duration backoff(const RetryPolicy& p, int attempts);

/// Counters for metrics and tests.
struct SenderStats {
  std::uint64_t sent = 0;
  std::uint64_t failed_attempts = 0;
  std::uint64_t store_errors = 0;
};

/// The outbox delivery loop on one io_context.
class OutboxSender {
 public:
  /// Returns the current store, or nullptr while none is open.
  using StoreGetter = std::function<store::Store*()>;

  /// A sender for these channels; nothing happens until start().
  OutboxSender(boost::asio::io_context& io, StoreGetter store, std::vector<ChannelConfig> channels,
               const Clock& clock, RetryPolicy retry = {});
  ~OutboxSender();
  OutboxSender(const OutboxSender&) = delete;
  OutboxSender& operator=(const OutboxSender&) = delete;

  /// Starts polling the outbox.
  void start();
  /// Stops after the delivery in flight (if any).
  void stop();
  /// Looks at the outbox now (after a commit) instead of at the next poll.
  void kick();
  /// Runs fn whenever a pass found nothing due (tests and drain loops wait on it).
  void onIdle(std::function<void()> fn);
  /// Counters so far.
  SenderStats stats() const;
  /// Sends a one-off body on a channel right away, outside the outbox (Alertmanager refresh of
  /// alerts that are still firing, which Alertmanager expects to see again periodically).
  void sendDirect(const std::string& channel, const std::string& event);
  /// sendDirect of every event to every Alertmanager channel (call every few minutes with
  /// FaultService::activeEvents(); the alerts' endsAt is pushed forward each time).
  void refreshAlertmanager(const std::vector<std::string>& events);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace circuitd::notify
