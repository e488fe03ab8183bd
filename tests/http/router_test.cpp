// The HTTP router without sockets: every endpoint, the error statuses and the JSON shape.
#include "daemon/http/router.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace circuitd::http {
namespace {

using nlohmann::json;

Snapshot sample() {
  Snapshot s;
  CircuitRow a;
  a.view.key = "CT-1001";
  a.view.state = CircuitState::Down;
  a.view.decision.state = CircuitState::Down;
  a.view.decision.party = Party::Carrier;
  a.view.decision.location = FaultLocation::CarrierLine;
  a.view.decision.clause = "3.2.6";
  a.view.decision.rule_id = "R9";
  a.view.decision.summary = "uplink down";
  a.view.since = TimePoint{std::chrono::seconds{1700000000}};
  a.link_id = "CT-1001";
  a.site = "Depot";
  a.service = "STN";
  CircuitRow b;
  b.view.key = "contract#2";
  b.view.state = CircuitState::Up;
  s.circuits = {a, b};
  engine::IncidentView i;
  i.id = "INC-1";
  i.root_cause = "CT-1001";
  i.circuits = {"CT-1001"};
  s.incidents = {i};
  s.loop_lag_ms = 1.5;
  s.version = "9.9.9";
  return s;
}

json body(const Response& r) { return json::parse(r.body); }

TEST(HttpRouter, HealthzIsOkWithLoopLagWhileTheStoreIsAvailable) {
  const auto r = route("GET", "/healthz", sample());
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  const auto j = body(r);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["store_available"], true);
  EXPECT_DOUBLE_EQ(j["loop_lag_ms"].get<double>(), 1.5);
}

TEST(HttpRouter, HealthzIs503WhenTheStoreIsUnavailable) {
  auto s = sample();
  s.store_available = false;
  const auto r = route("GET", "/healthz", s);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(body(r)["store_available"], false);
}

TEST(HttpRouter, MetricsUseTheExpositionFormat) {
  auto s = sample();
  s.monitor_blind = true;
  const auto r = route("GET", "/metrics", s);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.content_type.find("text/plain; version=0.0.4"), std::string::npos);
  for (const char* line :
       {"circuitd_circuits{state=\"up\"} 1\n", "circuitd_circuits{state=\"down\"} 1\n",
        "circuitd_circuits{state=\"degraded\"} 0\n", "circuitd_open_incidents 1\n",
        "circuitd_monitor_blind 1\n", "circuitd_store_available 1\n",
        "circuitd_build_info{version=\"9.9.9\"} 1\n", "# TYPE circuitd_circuits gauge\n"})
    EXPECT_NE(r.body.find(line), std::string::npos) << line << "\n" << r.body;
}

TEST(HttpRouter, CircuitsListEveryCircuitWithItsDecision) {
  const auto r = route("GET", "/api/v1/circuits", sample());
  ASSERT_EQ(r.status, 200u);
  const auto j = body(r);
  ASSERT_EQ(j["circuits"].size(), 2u);
  const auto& c = j["circuits"][0];
  for (const char* k : {"key", "link_id", "site", "service", "state", "location", "party", "clause",
                        "rule", "summary", "next_step", "since"})
    EXPECT_TRUE(c.contains(k)) << k;
  EXPECT_EQ(c["state"], "down");
  EXPECT_EQ(c["party"], "carrier");
  EXPECT_EQ(c["clause"], "3.2.6");
  EXPECT_EQ(c["rule"], "R9");
  EXPECT_EQ(c["site"], "Depot");
  EXPECT_EQ(c["since"], "2023-11-14T22:13:20Z");
}

TEST(HttpRouter, OneCircuitByKeyIncludingPercentEncodedKeys) {
  auto r = route("GET", "/api/v1/circuits/CT-1001", sample());
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(body(r)["key"], "CT-1001");
  r = route("GET", "/api/v1/circuits/contract%232", sample());
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(body(r)["state"], "up");
}

TEST(HttpRouter, UnknownCircuitIs404WithAJsonError) {
  const auto r = route("GET", "/api/v1/circuits/NOPE", sample());
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(body(r)["error"], "unknown circuit: NOPE");
}

TEST(HttpRouter, IncidentsListOpenIncidents) {
  const auto r = route("GET", "/api/v1/incidents", sample());
  ASSERT_EQ(r.status, 200u);
  const auto j = body(r);
  ASSERT_EQ(j["incidents"].size(), 1u);
  EXPECT_EQ(j["incidents"][0]["id"], "INC-1");
  EXPECT_EQ(j["incidents"][0]["circuits"], json::array({"CT-1001"}));
}

TEST(HttpRouter, UnknownPathsAre404) {
  for (const char* t : {"/", "/api", "/api/v1/circuits/", "/healthz/x", "/metricsx"}) {
    const auto r = route("GET", t, sample());
    EXPECT_EQ(r.status, 404u) << t;
    EXPECT_TRUE(body(r).contains("error")) << t;
  }
}

TEST(HttpRouter, NonGetIs405WithAllow) {
  for (const char* m : {"POST", "PUT", "DELETE", "BREW"}) {
    const auto r = route(m, "/api/v1/circuits", sample());
    EXPECT_EQ(r.status, 405u) << m;
    EXPECT_EQ(r.allow, "GET, HEAD");
  }
}

TEST(HttpRouter, MalformedTargetsAre400) {
  for (const char* t :
       {"", "*", "http://x/healthz", "/api/v1/circuits/%zz", "/api/v1/circuits/%2"}) {
    const auto r = route("GET", t, sample());
    EXPECT_EQ(r.status, 400u) << t;
    EXPECT_TRUE(body(r).contains("error")) << t;
  }
}

TEST(HttpRouter, QueryStringIsIgnored) {
  EXPECT_EQ(route("GET", "/healthz?verbose=1", sample()).status, 200u);
}

TEST(HttpRouter, InvalidUtf8InLabelsDoesNotThrow) {
  auto s = sample();
  s.circuits[0].site = std::string("bad \xff byte");
  const auto r = route("GET", "/api/v1/circuits", s);
  EXPECT_EQ(r.status, 200u);
  EXPECT_NO_THROW(json::parse(r.body));
}

}  // namespace
}  // namespace circuitd::http
