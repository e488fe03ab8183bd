// The real circuitd binary with [http] enabled on loopback, spoken to with raw HTTP/1.1 over a
// socket, so malformed requests reach the server byte for byte.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/programs.hpp"

namespace circuitd {
namespace {

using namespace std::chrono_literals;
using testing::connectLoopback;
using testing::httpGet;
using testing::Process;
using testing::rawExchange;
using testing::readToClose;
using testing::ScratchDir;
using testing::sendAll;
using testing::SpawnOptions;
using testing::writeFile;

const std::string kDaemon = testing::circuitdBinary();

// Reads one response with a Content-Length body from a kept-alive connection; "" on failure.
std::string readResponse(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    const auto end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::smatch m;
      const std::string head = in.substr(0, end);
      static const std::regex len_re(R"(Content-Length: (\d+))", std::regex::icase);
      const std::size_t body = std::regex_search(head, m, len_re) ? std::stoul(m[1]) : 0;
      if (in.size() >= end + 4 + body) return in.substr(0, end + 4 + body);
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    in.append(buf, n);
  }
}

int statusOf(const std::string& response) {
  std::smatch m;
  static const std::regex re(R"(^HTTP/1\.1 (\d{3}) )");
  return std::regex_search(response, m, re) ? std::stoi(m[1]) : -1;
}

class HttpDaemonTest : public ::testing::Test {
 protected:
  HttpDaemonTest() : dir_("circuitd-http-") { writeConfig(""); }

  // Port 0: the daemon binds a free port and logs it, so parallel runs never collide.
  // `http_extra` are further [http] keys.
  void writeConfig(const std::string& http_extra) {
    writeFile(dir_.path() / "circuitd.toml",
              "[daemon]\nstate_dir = \"state\"\ntrap_listen = \"\"\n\n"
              "[store]\nbackend = \"sqlite\"\npath = \"state/circuitd.db\"\n\n"
              "[http]\nenabled = true\nlisten = \"127.0.0.1:0\"\n" +
                  http_extra +
                  "\n"
                  "[[circuit]]\nkey = \"LOOP-A\"\ncarrier_target = \"127.0.0.1\"\n\n"
                  "[[circuit]]\nkey = \"LOOP-B\"\ncarrier_target = \"127.0.0.2\"\n\n");
  }

  // Starts the daemon on the configuration in the scratch directory.
  void launch() {
    SpawnOptions opts;
    opts.log = dir_.path() / "circuitd.log";
    daemon_ = std::make_unique<Process>(
        std::vector<std::string>{kDaemon, "--config", (dir_.path() / "circuitd.toml").string()},
        opts);
  }

  // Starts the daemon and returns the port it logged.
  int start() {
    launch();
    const int port = testing::waitForHttpPort(*daemon_, 10s);
    if (port < 0 || !daemon_->waitForLog("ready:", 10s)) return -1;
    return port;
  }

  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      daemon_->signal(SIGTERM);
      EXPECT_EQ(daemon_->wait(5s), 0) << daemon_->log();
    }
  }

  ScratchDir dir_;
  std::unique_ptr<Process> daemon_;
};

TEST_F(HttpDaemonTest, ServesHealthMetricsAndCircuitsAndRejectsBadRequests) {
  const int port = start();
  ASSERT_GT(port, 0) << daemon_->log();

  const std::string health = httpGet(port, "/healthz");
  EXPECT_EQ(statusOf(health), 200) << health;
  EXPECT_NE(health.find("\"status\":\"ok\""), std::string::npos) << health;

  const std::string metrics = httpGet(port, "/metrics");
  EXPECT_EQ(statusOf(metrics), 200) << metrics;
  std::size_t total = 0;
  static const std::regex count_re(R"(circuitd_circuits\{state="\w+"\} (\d+))");
  for (std::sregex_iterator it(metrics.begin(), metrics.end(), count_re), end; it != end; ++it)
    total += std::stoul((*it)[1]);
  EXPECT_EQ(total, 2u) << metrics;
  EXPECT_NE(metrics.find("circuitd_store_available 1"), std::string::npos) << metrics;

  const std::string circuits = httpGet(port, "/api/v1/circuits");
  EXPECT_EQ(statusOf(circuits), 200) << circuits;
  EXPECT_NE(circuits.find("\"key\":\"LOOP-A\""), std::string::npos) << circuits;
  EXPECT_NE(circuits.find("\"key\":\"LOOP-B\""), std::string::npos) << circuits;

  EXPECT_EQ(statusOf(httpGet(port, "/api/v1/circuits/LOOP-A")), 200);
  EXPECT_EQ(statusOf(httpGet(port, "/api/v1/circuits/NOPE")), 404);
  EXPECT_EQ(statusOf(httpGet(port, "/api/v1/incidents")), 200);

  const std::string garbage = rawExchange(port, "\x01\x02 garbage\r\n\r\n");
  EXPECT_EQ(statusOf(garbage), 400) << garbage;
  EXPECT_NE(garbage.find("\"error\""), std::string::npos) << garbage;

  const std::string post =
      rawExchange(port,
                  "POST /api/v1/circuits HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                  "Connection: close\r\n\r\n{}");
  EXPECT_EQ(statusOf(post), 405) << post;
  EXPECT_NE(post.find("Allow: GET, HEAD"), std::string::npos) << post;

  // Keep-alive: two requests on one connection, both answered.
  const std::string two =
      rawExchange(port,
                  "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n");
  const auto first = two.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << two;
  EXPECT_NE(two.find("HTTP/1.1 200", first + 1), std::string::npos) << two;

  // After all that, the daemon still answers.
  EXPECT_EQ(statusOf(httpGet(port, "/healthz")), 200) << daemon_->log();
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
            "listen = \"127.0.0.1:" +
                std::to_string(port) +
                "\"\n\n"
                "[[circuit]]\nkey = \"LOOP-A\"\ncarrier_target = \"127.0.0.1\"\n\n");
  launch();
  const int rc = daemon_->wait(10s);
  ::close(blocker);
  EXPECT_NE(rc, 0) << daemon_->log();
  EXPECT_NE(rc, -1) << daemon_->log();
  EXPECT_NE(daemon_->log().find("cannot start the HTTP endpoint"), std::string::npos)
      << daemon_->log();
}

// A client that sends half a request and stalls holds its connection only for the configured
// client timeout; one that trickles a byte at a time gets no longer. Meanwhile other clients
// are served.
TEST_F(HttpDaemonTest, SlowClientsAreDisconnectedAfterTheClientTimeoutWhileOthersAreServed) {
  writeConfig("client_timeout = \"1s\"\n");
  const int port = start();
  ASSERT_GT(port, 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("client timeout 1000 ms"), std::string::npos) << daemon_->log();

  using SteadyClock = std::chrono::steady_clock;
  const int stalled = connectLoopback(port);
  ASSERT_GE(stalled, 0);
  const auto t0 = SteadyClock::now();
  ASSERT_TRUE(sendAll(stalled, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */"));
  // The trickler sends one byte every 150 ms: each read makes progress, the request never ends.
  const int trickler = connectLoopback(port);
  ASSERT_GE(trickler, 0);
  std::atomic<bool> trickler_cut{false};
  std::thread trickle([&] {
    const std::string req =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'x') + "\r\n\r\n";
    for (char c : req) {
      if (::send(trickler, &c, 1, MSG_NOSIGNAL) != 1) {
        trickler_cut = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  });

  // Other clients are answered while both connections hang.
  int served = 0;
  while (SteadyClock::now() - t0 < std::chrono::milliseconds(800)) {
    EXPECT_EQ(statusOf(httpGet(port, "/healthz")), 200);
    ++served;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(served, 4);

  // The stalled client gets no answer and sees the connection closed once the timeout passed.
  const std::string got = readToClose(stalled);
  const int read_errno = errno;
  const auto closed_after = SteadyClock::now() - t0;
  ::close(stalled);
  EXPECT_EQ(got, "");
  EXPECT_NE(read_errno, EAGAIN) << "not closed within 5 s";
  EXPECT_GE(closed_after, std::chrono::milliseconds(950));
  EXPECT_LT(closed_after, std::chrono::milliseconds(4000));

  trickle.join();
  ::close(trickler);
  EXPECT_TRUE(trickler_cut) << "a request sent over 35 s was still being read";
  EXPECT_EQ(statusOf(httpGet(port, "/healthz")), 200) << daemon_->log();
  std::printf(
      "stalled client closed after %lld ms (client_timeout 1 s), %d requests served "
      "meanwhile\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(closed_after).count()),
      served);
}

// With max_connections = 4 and four kept-alive clients, a fifth connection is answered 503 with
// Retry-After and closed; the four keep being served, and a slot freed is usable again.
TEST_F(HttpDaemonTest, ConnectionsBeyondTheCapGet503WithoutHurtingServedOnes) {
  writeConfig("max_connections = 4\n");
  const int port = start();
  ASSERT_GT(port, 0) << daemon_->log();
  const std::string keep = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    const int fd = connectLoopback(port);
    ASSERT_GE(fd, 0);
    held.push_back(fd);
    ASSERT_TRUE(sendAll(fd, keep));
    EXPECT_EQ(statusOf(readResponse(fd)), 200) << "held connection " << i;
  }
  for (int round = 0; round < 3; ++round) {
    // The server answers as soon as it accepts, whether the client has sent a request (even
    // rounds) or nothing yet (odd rounds), and then closes its side.
    const int extra = connectLoopback(port);
    ASSERT_GE(extra, 0);
    if (round % 2 == 0) EXPECT_TRUE(sendAll(extra, keep)) << "round " << round;
    errno = 0;
    const std::string refused = readToClose(extra);
    EXPECT_NE(errno, EAGAIN) << "the connection over the cap was left open";
    EXPECT_EQ(statusOf(refused), 503) << "round " << round << ": " << refused;
    EXPECT_NE(refused.find("\r\nRetry-After: 1\r\n"), std::string::npos) << refused;
    EXPECT_NE(refused.find("\r\nConnection: close\r\n"), std::string::npos) << refused;
    ::close(extra);
    for (std::size_t i = 0; i < held.size(); ++i) {
      ASSERT_TRUE(sendAll(held[i], keep)) << "held connection " << i;
      EXPECT_EQ(statusOf(readResponse(held[i])), 200) << "held connection " << i;
    }
  }
  // One held client leaves: its slot serves a new client.
  ::close(held.back());
  held.pop_back();
  std::string fresh;
  for (int i = 0; i < 50 && statusOf(fresh) != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    fresh = httpGet(port, "/healthz");
  }
  EXPECT_EQ(statusOf(fresh), 200) << fresh;
  for (int fd : held) ::close(fd);
}

// Request lines and headers over the 8 KiB limit get 431, a body over its limit 413, each with
// a JSON error, and the daemon goes on serving.
TEST_F(HttpDaemonTest, OversizedRequestsGetClientErrorsAndTheDaemonKeepsServing) {
  const int port = start();
  ASSERT_GT(port, 0) << daemon_->log();
  const std::string big(16 * 1024, 'a');
  struct Case {
    const char* what;
    std::string raw;
    int status;
  };
  std::string many_headers;
  for (int i = 0; i < 400; ++i)
    many_headers += "X-Filler-" + std::to_string(i) + ": 0123456789abcdef\r\n";
  const std::vector<Case> cases = {
      {"request line", "GET /" + big + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 431},
      {"one header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n", 431},
      {"many headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + many_headers + "\r\n", 431},
      {"body",
       "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n" +
           std::string(65536, 'b'),
       413},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string r = rawExchange(port, c.raw);
    EXPECT_EQ(statusOf(r), c.status) << r.substr(0, 300);
    EXPECT_NE(r.find("\"error\""), std::string::npos) << r.substr(0, 300);
    EXPECT_EQ(statusOf(httpGet(port, "/healthz")), 200) << daemon_->log();
  }
  // A header just under the limit is still served.
  const std::string fits =
      rawExchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fits: " + std::string(6000, 'f') +
                            "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(statusOf(fits), 200) << fits.substr(0, 300);
}

}  // namespace
}  // namespace circuitd
