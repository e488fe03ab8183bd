// Netns, VethPair and VethLink: made as asked, usable, and gone afterwards. Needs root and ip:
// without them these fail, they do not skip.
#include "tests/support/netns.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace circuitd::testing {
namespace {

sockaddr_in address(const char* a, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, a, &sa.sin_addr);
  return sa;
}

// A UDP socket bound to a:port whose reads give up after 5 s; -1 on failure.
int boundUdp(const char* a, int port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const sockaddr_in sa = address(a, port);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

class SupportNetns : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root to create network namespaces";
    ASSERT_TRUE(haveTool("ip")) << "`ip` (iproute2) is required";
  }
};

TEST_F(SupportNetns, RaiiCreatesTheNamespaceAndRemovesIt) {
  std::string name;
  {
    Netns ns("cdsup");
    ASSERT_TRUE(ns.ok()) << ns.error();
    name = ns.name();
    EXPECT_EQ(name.rfind("cdsup-" + std::to_string(::getpid()) + "-", 0), 0u) << name;
    EXPECT_TRUE(netnsExists(name));
    // Loopback up: 127.0.0.1 answers inside.
    const auto r = ns.exec({"ip", "-o", "link", "show", "lo"});
    EXPECT_NE(r.out.find("LOWER_UP"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(netnsExists(name)) << "namespace left behind";
}

TEST_F(SupportNetns, EachUseGetsAFreshName) {
  Netns a("cdsup"), b("cdsup");
  ASSERT_TRUE(a.ok() && b.ok()) << a.error() << b.error();
  EXPECT_NE(a.name(), b.name());
}

TEST_F(SupportNetns, LeftoverOfAKilledRunWithTheSamePidIsReplaced) {
  std::string name;
  {
    Netns probe("cdsup-left");
    name = probe.name();
  }
  // What the next Netns of this prefix will be called: the counter has moved on by one.
  const auto dash = name.rfind('-');
  const std::string next =
      name.substr(0, dash + 1) + std::to_string(std::stoi(name.substr(dash + 1)) + 1);
  ASSERT_EQ(ip({"netns", "add", next}).exit_code, 0);
  ASSERT_EQ(ip({"-n", next, "addr", "add", "10.254.0.1/32", "dev", "lo"}).exit_code, 0);
  Netns ns("cdsup-left");
  ASSERT_TRUE(ns.ok()) << ns.error();
  EXPECT_EQ(ns.name(), next);
  EXPECT_EQ(ns.ip({"addr", "show", "dev", "lo"}).out.find("10.254.0.1"), std::string::npos)
      << "the leftover was not removed";
}

TEST_F(SupportNetns, AddressesBatchSysctlAndInside) {
  NetnsOptions opts;
  opts.ipv6 = false;
  Netns ns("cdsup", opts);
  ASSERT_TRUE(ns.ok()) << ns.error();
  EXPECT_TRUE(ns.addr("add", "10.254.1.1"));
  EXPECT_TRUE(ns.batch("addr add 10.254.1.2/32 dev lo\naddr add 10.254.1.3/32 dev lo\n"));
  const std::string addrs = ns.ip({"-4", "addr", "show", "dev", "lo"}).out;
  for (const char* a : {"10.254.1.1/32", "10.254.1.2/32", "10.254.1.3/32"})
    EXPECT_NE(addrs.find(a), std::string::npos) << a << " in " << addrs;
  EXPECT_TRUE(ns.addr("del", "10.254.1.1"));
  EXPECT_EQ(ns.ip({"-4", "addr", "show", "dev", "lo"}).out.find("10.254.1.1/"), std::string::npos);
  EXPECT_EQ(ns.exec({"cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"}).out, "1\n");
  EXPECT_TRUE(ns.sysctl("net.ipv4.icmp_echo_ignore_all=1"));
  EXPECT_EQ(ns.exec({"cat", "/proc/sys/net/ipv4/icmp_echo_ignore_all"}).out, "1\n");
  // A thread inside sees the namespace's own loopback addresses.
  std::string seen;
  EXPECT_TRUE(ns.inside([&] { seen = run({"ip", "-4", "addr", "show", "dev", "lo"}).out; }));
  EXPECT_NE(seen.find("10.254.1.2/32"), std::string::npos) << seen;
}

TEST_F(SupportNetns, LoopbackStaysDownWhenAsked) {
  NetnsOptions opts;
  opts.loopback_up = false;
  Netns ns("cdsup", opts);
  ASSERT_TRUE(ns.ok()) << ns.error();
  EXPECT_EQ(ns.ip({"-o", "link", "show", "lo"}).out.find("LOWER_UP"), std::string::npos);
}

TEST_F(SupportNetns, VethLinkJoinsTwoNamespacesThatReachEachOther) {
  std::string near_name, far_name;
  {
    VethLink link("cdsup");
    ASSERT_EQ(link.error(), "");
    ASSERT_TRUE(link.pair().waitReady()) << link.pair().error();
    near_name = link.near().name();
    far_name = link.far().name();
    ASSERT_EQ(link.near().ip({"addr", "add", "10.254.2.1/30", "dev", link.nearDev()}).exit_code, 0);
    ASSERT_EQ(link.far().ip({"addr", "add", "10.254.2.2/30", "dev", link.farDev()}).exit_code, 0);
    // A datagram from the near namespace reaches a socket in the far one.
    int rx = -1;
    ASSERT_TRUE(link.far().inside([&] { rx = boundUdp("10.254.2.2", 9999); }));
    ASSERT_GE(rx, 0);
    ASSERT_TRUE(link.near().inside([&] {
      const int tx = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      const sockaddr_in to = address("10.254.2.2", 9999);
      ::sendto(tx, "hello", 5, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
      ::close(tx);
    }));
    char buf[16] = {};
    EXPECT_EQ(::recv(rx, buf, sizeof buf, 0), 5);
    EXPECT_EQ(std::string(buf), "hello");
    ::close(rx);
    EXPECT_GT(VethPair::counter(link.pair().b(), "rx_packets"), 0);
    EXPECT_NE(link.pair().linkStats().find(link.farDev()), std::string::npos);
  }
  EXPECT_FALSE(netnsExists(near_name));
  EXPECT_FALSE(netnsExists(far_name));
}

TEST_F(SupportNetns, VethPairWithAnEndInTheTestsOwnNamespaceIsRemovedWithIt) {
  const std::string dev = "cds" + std::to_string(::getpid()) + "r";
  {
    Netns ns("cdsup");
    ASSERT_TRUE(ns.ok()) << ns.error();
    VethPair pair({nullptr, dev}, {&ns, "inner"});
    ASSERT_TRUE(pair.ok()) << pair.error();
    EXPECT_EQ(ip({"link", "show", dev}).exit_code, 0);
    EXPECT_TRUE(VethPair::setLink(pair.a(), false));
    EXPECT_EQ(ip({"-o", "link", "show", dev}).out.find(",UP"), std::string::npos);
  }
  EXPECT_NE(ip({"link", "show", dev}).exit_code, 0) << dev << " left behind";
}

}  // namespace
}  // namespace circuitd::testing
