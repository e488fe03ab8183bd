#pragma once
// The daemon's configuration: TOML files ([daemon], [store], [http], [[notify]], [[device]],
// [[circuit]], [[maintenance]], include = [...]) validated into the domain Inventory plus runtime
// settings. Every key is documented in config/README.md.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"
#include "domain/core/result.hpp"

namespace circuitd::config {

/// [daemon]
struct DaemonSettings {
  std::string state_dir = "/var/lib/circuitd";
  std::string log_level = "info";
  std::string trap_listen = "0.0.0.0:162";    ///< "" disables the trap receiver
  std::vector<std::string> trap_communities;  ///< accepted v2c trap communities
  std::string capture_interface;              ///< mirror/SPAN interface, "" = no capture
  std::string profiles_dir;          ///< vendor profiles (<dir>/<name>.toml); "" = none checked
  std::string rules_file;            ///< demarcation rules; "" = built-in set
  std::string monitor_target;        ///< address the monitor checks for its own uplink
  int max_in_flight = 256;           ///< SNMP requests in flight, all devices
  int max_in_flight_per_device = 4;  ///< SNMP requests in flight to one device
  /// SNMP rounds due within one slot of this grid leave together (one wake-up, one batch of
  /// datagrams); 0 = each round exactly when due.
  Duration snmp_start_grid{100};
  /// ICMP send tick; 0 = automatic (8 / probe rate, clamped to 1..10 ms).
  Duration icmp_send_quantum{0};
};

/// [store]
struct StoreSettings {
  std::string backend = "sqlite";  ///< "sqlite" (PostgreSQL later)
  std::string path;                ///< the loader fills in <state_dir>/circuitd.db when not set
};

/// [http]
struct HttpSettings {
  bool enabled = false;
  std::string listen = "127.0.0.1:8479";
  /// A connection that has not sent a whole request (or read its answer) within this is closed.
  Duration client_timeout{std::chrono::seconds{10}};
  int max_connections = 64;  ///< connections open at once; further ones are closed at accept
};

/// One [[notify]] channel; the runtime turns it into a notify::ChannelConfig.
struct NotifyChannel {
  std::string name;                            ///< unique; outbox rows name it
  std::string kind;                            ///< "alertmanager", "webhook" or "exec"
  std::string url;                             ///< alertmanager base URL or webhook URL (http://)
  std::string secret;                          ///< webhook HMAC-SHA256 key; "" = unsigned
  std::vector<std::string> command;            ///< exec: absolute program path, then its arguments
  Duration timeout{std::chrono::seconds{10}};  ///< per delivery attempt
  std::string generator_url;  ///< alertmanager: link base, + fault id; "" = default
  /// Field-wise equality (reload compares channels).
  bool operator==(const NotifyChannel&) const = default;
};

/// A loaded, validated configuration.
struct Config {
  std::string path;                ///< the top-level file
  std::vector<std::string> files;  ///< every file read, top-level first, then includes
  DaemonSettings daemon;
  StoreSettings store;
  HttpSettings http;
  std::vector<NotifyChannel> notify;  ///< [[notify]] channels, in file order
  Inventory inventory;
};

/// Outcome of loading: a config when there are no errors; all errors and warnings otherwise.
struct LoadResult {
  std::optional<Config> config;
  Errors errors;                ///< every problem, each with file:line:col and key path
  std::vector<Error> warnings;  ///< e.g. secrets in a world-readable file
};

/// What load() checks beyond the files themselves.
struct LoadOptions {
  /// The store path must be usable by whoever loads (a regular file, or one that can be made,
  /// in a writable directory): the daemon, --check-config and reload. circuitctl's commands that
  /// only read the inventory turn it off, since an operator may not be the daemon's user.
  bool check_store = true;
};

/// Reads, merges (include) and validates a configuration file.
LoadResult load(const std::string& path, const LoadOptions& options = {});

/// Number of probe targets: carrier and customer ICMP targets plus TWAMP reflectors.
std::size_t probeTargetCount(const Config& cfg);

/// One-line summary "N devices, M circuits, K probe targets, W maintenance windows".
std::string summary(const Config& cfg);

}  // namespace circuitd::config
