// The real circuitd binary with [http] enabled on loopback, spoken to with raw HTTP/1.1 over a
// socket, so malformed requests reach the server byte for byte.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/runtime/process_util.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::ScratchDir;
using testing::writeFile;

const std::string kDaemon = std::string(CIRCUITD_BINARY_DIR) + "/daemon/circuitd";

// Sends `raw` to 127.0.0.1:port and reads until the server closes; "" when it cannot connect.
std::string rawExchange(int port, const std::string& raw) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{5, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0 &&
      ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(raw.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, n);
  }
  ::close(fd);
  return out;
}

std::string get(int port, const std::string& target) {
  return rawExchange(port, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

int statusOf(const std::string& response) {
  std::smatch m;
  static const std::regex re(R"(^HTTP/1\.1 (\d{3}) )");
  return std::regex_search(response, m, re) ? std::stoi(m[1]) : -1;
}

class HttpDaemonTest : public ::testing::Test {
 protected:
  HttpDaemonTest() : dir_("circuitd-http-") {
    // Port 0: the daemon binds a free port and logs it, so parallel runs never collide.
    writeFile(dir_.path() / "circuitd.toml",
              "[daemon]\nstate_dir = \"state\"\ntrap_listen = \"\"\n\n"
              "[store]\nbackend = \"sqlite\"\npath = \"state/circuitd.db\"\n\n"
              "[http]\nenabled = true\nlisten = \"127.0.0.1:0\"\n\n"
              "[[circuit]]\nkey = \"LOOP-A\"\ncarrier_target = \"127.0.0.1\"\n\n"
              "[[circuit]]\nkey = \"LOOP-B\"\ncarrier_target = \"127.0.0.2\"\n\n");
  }

  // Starts the daemon and returns the port it logged.
  int start() {
    daemon_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{kDaemon, "--config", (dir_.path() / "circuitd.toml").string()},
        std::vector<std::string>{}, dir_.path() / "circuitd.log");
    if (!daemon_->waitForLog("HTTP endpoint listening on 127.0.0.1:", 10s)) return -1;
    if (!daemon_->waitForLog("ready:", 10s)) return -1;
    std::smatch m;
    const std::string log = daemon_->log();
    static const std::regex re(R"(HTTP endpoint listening on 127\.0\.0\.1:(\d+))");
    return std::regex_search(log, m, re) ? std::stoi(m[1]) : -1;
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      daemon_->signal(SIGTERM);
      EXPECT_EQ(daemon_->wait(5s), 0) << daemon_->log();
    }
  }

  ScratchDir dir_;
  std::unique_ptr<ChildProcess> daemon_;
};

TEST_F(HttpDaemonTest, ServesHealthMetricsAndCircuitsAndRejectsBadRequests) {
  const int port = start();
  ASSERT_GT(port, 0) << daemon_->log();

  const std::string health = get(port, "/healthz");
  EXPECT_EQ(statusOf(health), 200) << health;
  EXPECT_NE(health.find("\"status\":\"ok\""), std::string::npos) << health;

  const std::string metrics = get(port, "/metrics");
  EXPECT_EQ(statusOf(metrics), 200) << metrics;
  std::size_t total = 0;
  static const std::regex count_re(R"(circuitd_circuits\{state="\w+"\} (\d+))");
  for (std::sregex_iterator it(metrics.begin(), metrics.end(), count_re), end; it != end; ++it)
    total += std::stoul((*it)[1]);
  EXPECT_EQ(total, 2u) << metrics;
  EXPECT_NE(metrics.find("circuitd_store_available 1"), std::string::npos) << metrics;

  const std::string circuits = get(port, "/api/v1/circuits");
  EXPECT_EQ(statusOf(circuits), 200) << circuits;
  EXPECT_NE(circuits.find("\"key\":\"LOOP-A\""), std::string::npos) << circuits;
  EXPECT_NE(circuits.find("\"key\":\"LOOP-B\""), std::string::npos) << circuits;

  EXPECT_EQ(statusOf(get(port, "/api/v1/circuits/LOOP-A")), 200);
  EXPECT_EQ(statusOf(get(port, "/api/v1/circuits/NOPE")), 404);
  EXPECT_EQ(statusOf(get(port, "/api/v1/incidents")), 200);

  const std::string garbage = rawExchange(port, "\x01\x02 garbage\r\n\r\n");
  EXPECT_EQ(statusOf(garbage), 400) << garbage;
  EXPECT_NE(garbage.find("\"error\""), std::string::npos) << garbage;

  const std::string post = rawExchange(
      port, "POST /api/v1/circuits HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
            "Connection: close\r\n\r\n{}");
  EXPECT_EQ(statusOf(post), 405) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;

  // Keep-alive: two requests on one connection, both answered.
  const std::string two = rawExchange(
      port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
            "Connection: close\r\n\r\n");
  const auto first = two.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << two;
  EXPECT_NE(two.find("HTTP/1.1 200", first + 1), std::string::npos) << two;

  // After all that, the daemon still answers.
  EXPECT_EQ(statusOf(get(port, "/healthz")), 200) << daemon_->log();
}

TEST_F(HttpDaemonTest, PortInUseFailsTheStartWithAClearError) {
  const int blocker = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(blocker, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(blocker, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(blocker, 1), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(blocker, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const int port = ntohs(sa.sin_port);
  writeFile(dir_.path() / "circuitd.toml",
            "[daemon]\nstate_dir = \"state\"\ntrap_listen = \"\"\n\n[http]\nenabled = true\n"
            "listen = \"127.0.0.1:" + std::to_string(port) + "\"\n\n"
            "[[circuit]]\nkey = \"LOOP-A\"\ncarrier_target = \"127.0.0.1\"\n\n");
  daemon_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kDaemon, "--config", (dir_.path() / "circuitd.toml").string()},
      std::vector<std::string>{}, dir_.path() / "circuitd.log");
  const int rc = daemon_->wait(10s);
  ::close(blocker);
  EXPECT_NE(rc, 0) << daemon_->log();
  EXPECT_NE(rc, -1) << daemon_->log();
  EXPECT_NE(daemon_->log().find("cannot start the HTTP endpoint"), std::string::npos)
      << daemon_->log();
}

}  // namespace
}  // namespace circuitd
