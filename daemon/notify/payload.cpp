#include "daemon/notify/payload.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "domain/faults/json.hpp"

namespace circuitd::notify {

using nlohmann::json;

std::string eventPayload(const faults::Fault& f, const faults::Transition& t,
                         const Circuit* circuit) {
  json j;
  j["key"] = t.key();
  j["fault"] = json::parse(faults::faultToJson(f));
  j["transition"] = json::parse(faults::transitionToJson(t));
  j["circuit"] = circuit ? json::parse(faults::circuitToJson(*circuit)) : json(nullptr);
  return j.dump();
}

namespace {
std::string severity(int criticality) {
  switch (criticality) {
    case 0:
      return "critical";
    case 1:
      return "high";
    case 3:
      return "low";
    default:
      return "normal";
  }
}
std::string str(const json& o, const char* k) {
  auto it = o.find(k);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

Result<std::string> alertmanagerBody(const std::string& event, TimePoint now,
                                     const AlertmanagerOptions& opt) {
  json e = json::parse(event, nullptr, false);
  if (e.is_discarded() || !e.is_object() || !e.contains("fault") || !e["fault"].is_object() ||
      !e.contains("transition") || !e["transition"].is_object())
    return fail("outbox event", "not a fault event");
  const json& f = e["fault"];
  const json& t = e["transition"];
  const json c = e.contains("circuit") && e["circuit"].is_object() ? e["circuit"] : json::object();
  const std::string state = str(t, "to");
  const bool ended = state == "resolved" || state == "closed";

  // Labels are the alert's identity in Alertmanager (deduplication, silences, inhibition):
  // only values fixed for the life of the fault go here.
  json labels = {{"alertname", "CircuitFault"},
                 {"fault_id", str(f, "id")},
                 {"circuit", str(f, "circuit")},
                 {"cause", str(f, "cause")},
                 {"severity", severity(c.value("criticality", 2))}};
  for (const char* k : {"link_id", "site", "contract"})
    if (!str(c, k).empty()) labels[k] = str(c, k);
  const json& d = f.contains("decision") ? f["decision"] : json::object();
  json ann = {{"summary", str(d, "summary")},    {"state", state},
              {"party", str(d, "party")},        {"location", str(d, "location")},
              {"clause", str(d, "clause")},      {"rule_id", str(d, "rule_id")},
              {"ticket", str(f, "ticket")},      {"hotline", "8008281000"},
              {"idempotency_key", str(e, "key")}};
  for (auto it = ann.begin(); it != ann.end();)
    it = it.value().get<std::string>().empty() ? ann.erase(it) : std::next(it);

  json alert = {{"labels", labels},
                {"annotations", ann},
                {"generatorURL", opt.generator_url_base + str(f, "id")}};
  std::string starts = str(f, "down_since");
  if (starts.empty()) starts = str(f, "first_seen");
  alert["startsAt"] = starts;
  if (ended) {
    std::string ends = str(f, "recovered_at");
    if (ends.empty()) ends = str(t, "time");
    alert["endsAt"] = ends;
  } else {
    alert["endsAt"] = formatIso(now + opt.active_for);
  }
  return json::array({alert}).dump();
}

std::string hmacSha256Hex(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 15]);
  }
  return out;
}

std::string webhookSignature(const std::string& secret, const std::string& body) {
  return "sha256=" + hmacSha256Hex(secret, body);
}

}  // namespace circuitd::notify
