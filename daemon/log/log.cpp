#include "daemon/log/log.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace circuitd::log {
namespace {

std::mutex g_mu;
spdlog::level::level_enum g_level = spdlog::level::info;
std::string g_pattern = "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v";
spdlog::sink_ptr g_sink;

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
  // Under journald: no timestamp (the journal adds it); "<N>" prefixes map to syslog priority.
  g_pattern = under_systemd ? "%l [%n] %v" : "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v";
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) {
    l->set_level(g_level);
    l->set_pattern(g_pattern);
  });
  return true;
}

std::shared_ptr<spdlog::logger> get(const std::string& component) {
  std::lock_guard lock(g_mu);
  if (auto l = spdlog::get(component)) return l;
  auto l = std::make_shared<spdlog::logger>(component, sink());
  l->set_level(g_level);
  l->set_pattern(g_pattern);
  spdlog::register_logger(l);
  return l;
}

}  // namespace circuitd::log
