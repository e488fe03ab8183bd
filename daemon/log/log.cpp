#include "daemon/log/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <mutex>

namespace circuitd::log {
namespace {

/// "%*": the sd-daemon(3) "<N>" syslog priority prefix. systemd strips it from stderr lines and
/// files the line at that priority, so `journalctl -p err` finds circuitd's errors.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr const char* kPrefix[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
    const auto i = static_cast<std::size_t>(msg.level);
    const char* p = i < std::size(kPrefix) ? kPrefix[i] : "<6>";
    dest.append(p, p + 3);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

std::mutex g_mu;
spdlog::level::level_enum g_level = spdlog::level::info;
constexpr const char* kTtyPattern = "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v";
constexpr const char* kJournalPattern = "%*%l [%n] %v";
bool g_journal = false;
spdlog::sink_ptr g_sink;

std::unique_ptr<spdlog::formatter> makeFormatter() {
  // Under journald: no timestamp (the journal adds it) and a "<N>" priority prefix.
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<SyslogPriorityFlag>('*');
  f->set_pattern(g_journal ? kJournalPattern : kTtyPattern);
  return f;
}

spdlog::sink_ptr sink() {
  if (!g_sink) g_sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return g_sink;
}

}  // namespace

bool stderrIsJournal() {
  // systemd sets JOURNAL_STREAM=dev:ino for the stream it connected to stderr.
  const char* js = std::getenv("JOURNAL_STREAM");
  if (!js) return false;
  unsigned long dev = 0, ino = 0;
  if (std::sscanf(js, "%lu:%lu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

bool setup(const std::string& level, bool under_systemd) {
  const auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") return false;
  std::lock_guard lock(g_mu);
  g_level = lvl;
  g_journal = under_systemd;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->set_level(g_level);
    l->set_formatter(makeFormatter());
  });
  return true;
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  std::lock_guard lock(g_mu);
  if (auto l = spdlog::get(component)) return l;
  auto l = std::make_shared<spdlog::logger>(component, sink());
  l->set_level(g_level);
  l->set_formatter(makeFormatter());
  spdlog::register_logger(l);
  return l;
}

}  // namespace circuitd::log
