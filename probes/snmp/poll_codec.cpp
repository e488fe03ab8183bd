#include "probes/snmp/poll_codec.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace circuitd::snmp {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string textOf(const VarValue& v) {
  std::string s = v.text;
  // Some agents NUL-terminate DisplayStrings.
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

std::optional<std::int32_t> singleIndex(const Oid& index) {
  if (index.size() != 1 || index[0] == 0 || index[0] > 0x7fffffffu) return std::nullopt;
  return static_cast<std::int32_t>(index[0]);
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
}

}  // namespace

const Oid& nameColumn(IfNameSource source) {
  switch (source) {
    case IfNameSource::IfDescr:
      return oids::kIfDescr;
    case IfNameSource::IfAlias:
      return oids::kIfAlias;
    case IfNameSource::IfName:
      break;
  }
  return oids::kIfName;
}

Resolution resolveInterfaces(const std::vector<std::string>& names, const ResolutionTables& t,
                             const VendorProfile* profile) {
  Resolution res;
  std::multimap<std::string, std::int32_t> exact, folded;
  for (const auto& row : t.names) {
    auto idx = singleIndex(row.index);
    if (!idx || row.value.type != VarValue::Type::OctetString) continue;
    const auto n = textOf(row.value);
    exact.emplace(n, *idx);
    folded.emplace(lower(n), *idx);
  }
  // ifIndex -> entPhysicalIndex from entAliasMappingIdentifier (INDEX entPhysicalIndex,
  // entAliasLogicalIndexOrZero; value = ifIndex instance OID 1.3.6.1.2.1.2.2.1.1.N).
  std::map<std::int32_t, std::uint32_t> if_to_ent;
  for (const auto& row : t.ent_alias) {
    if (row.index.empty() || row.value.type != VarValue::Type::ObjectId) continue;
    if (row.value.oid.size() == oids::kIfIndex.size() + 1 &&
        oidInSubtree(row.value.oid, oids::kIfIndex))
      if_to_ent.emplace(static_cast<std::int32_t>(row.value.oid.back()), row.index[0]);
  }
  std::map<std::string, std::uint32_t> ent_by_name;
  for (const auto& row : t.ent_names)
    if (row.index.size() == 1 && row.value.type == VarValue::Type::OctetString)
      ent_by_name.emplace(textOf(row.value), row.index[0]);

  for (const auto& name : names) {
    std::vector<std::int32_t> hits;
    for (auto [a, b] = exact.equal_range(name); a != b; ++a) hits.push_back(a->second);
    if (hits.empty())
      for (auto [a, b] = folded.equal_range(lower(name)); a != b; ++a) hits.push_back(a->second);
    if (hits.empty()) {
      res.missing.push_back(name);
      continue;
    }
    if (hits.size() > 1) {
      res.ambiguous.push_back(name);
      continue;
    }
    ResolvedInterface ri;
    ri.name = name;
    ri.if_index = hits.front();
    if (profile) {
      for (const auto& m : profile->metrics) {
        std::optional<Oid> row;
        switch (m.index) {
          case MetricIndex::IfIndex:
            row = Oid{static_cast<std::uint32_t>(ri.if_index)};
            break;
          case MetricIndex::EntAliasMapping:
            if (auto it = if_to_ent.find(ri.if_index); it != if_to_ent.end()) row = Oid{it->second};
            break;
          case MetricIndex::EntPhysicalName: {
            std::string want = m.entity_name;
            replaceAll(want, "{if}", name);
            if (auto it = ent_by_name.find(want); it != ent_by_name.end()) row = Oid{it->second};
            break;
          }
        }
        ri.metric_rows.push_back(std::move(row));
      }
    }
    res.found.push_back(std::move(ri));
  }
  return res;
}

std::vector<PduPlan> buildPollPlan(const std::vector<ResolvedInterface>& ifs,
                                   const VendorProfile* profile, const PlanOptions& opt) {
  std::vector<PduPlan> pdus;
  const bool want_hc = opt.hc_supported.value_or(true);
  const bool want_32 = !opt.hc_supported.value_or(false);
  const Oid& name_col = nameColumn(opt.name_source);
  for (std::size_t i = 0; i < ifs.size(); ++i) {
    const auto& ri = ifs[i];
    const auto idx = static_cast<std::uint32_t>(ri.if_index);
    const auto iface = static_cast<std::uint16_t>(i);
    std::vector<std::pair<Oid, Slot>> cols;
    auto add = [&](const Oid& col, Field f, std::uint16_t metric = 0) {
      cols.emplace_back(oidCat(col, {idx}), Slot{f, iface, metric});
    };
    add(oids::kIfOperStatus, Field::Oper);
    add(oids::kIfAdminStatus, Field::Admin);
    if (want_hc) {
      add(oids::kIfHcInOctets, Field::HcIn);
      add(oids::kIfHcOutOctets, Field::HcOut);
    }
    if (want_32) {
      add(oids::kIfInOctets, Field::In32);
      add(oids::kIfOutOctets, Field::Out32);
    }
    add(oids::kIfHighSpeed, Field::HighSpeed);
    add(oids::kIfLastChange, Field::LastChange);
    add(oids::kIfInErrors, Field::InErrors);
    add(oids::kIfOutErrors, Field::OutErrors);
    add(oids::kIfInDiscards, Field::InDiscards);
    add(oids::kIfCounterDiscontinuityTime, Field::DiscontinuityTime);
    add(name_col, Field::NameCheck);
    if (profile) {
      for (std::size_t m = 0; m < profile->metrics.size() && m < ri.metric_rows.size(); ++m) {
        if (!ri.metric_rows[m]) continue;
        const auto& pm = profile->metrics[m];
        auto push = [&](const Oid& col, Field f) {
          Oid o = col;
          o.insert(o.end(), ri.metric_rows[m]->begin(), ri.metric_rows[m]->end());
          cols.emplace_back(std::move(o), Slot{f, iface, static_cast<std::uint16_t>(m)});
        };
        push(pm.column, Field::Metric);
        if (pm.unit == ValueUnit::SensorWatts) {
          push(oids::kEntPhySensorScale, Field::SensorScale);
          push(oids::kEntPhySensorPrecision, Field::SensorPrecision);
        }
      }
    }
    const std::size_t cap = std::max<std::size_t>(opt.max_varbinds, cols.size() + 1);
    if (pdus.empty() || pdus.back().oids.size() + cols.size() > cap) {
      pdus.emplace_back();
      pdus.back().oids.push_back(oids::kSysUpTime);
      pdus.back().slots.push_back(Slot{Field::SysUpTime, 0, 0});
    }
    for (auto& [o, s] : cols) {
      pdus.back().oids.push_back(std::move(o));
      pdus.back().slots.push_back(s);
    }
  }
  if (pdus.empty()) {
    pdus.emplace_back();
    pdus.back().oids.push_back(oids::kSysUpTime);
    pdus.back().slots.push_back(Slot{Field::SysUpTime, 0, 0});
  }
  return pdus;
}

void resetDecode(PollDecode& d, std::size_t n_ifaces, std::size_t n_metrics) {
  d.sys_uptime.reset();
  d.hc_missing = false;
  d.problems.clear();
  d.ifaces.resize(n_ifaces);
  for (auto& r : d.ifaces) {
    // Field by field, so that the vectors keep their capacity from round to round.
    r.sys_uptime.reset();
    r.admin.reset();
    r.oper.reset();
    r.hc_in.reset();
    r.hc_out.reset();
    r.in32.reset();
    r.out32.reset();
    r.high_speed.reset();
    r.last_change.reset();
    r.in_errors.reset();
    r.out_errors.reset();
    r.in_discards.reset();
    r.discontinuity_time.reset();
    r.name_seen.reset();
    r.name_absent = false;
    r.metric_values.assign(n_metrics, VarValue{});
    r.sensor_scale.assign(n_metrics, std::nullopt);
    r.sensor_precision.assign(n_metrics, std::nullopt);
  }
}

PollDecode startDecode(std::size_t n_ifaces, std::size_t n_metrics) {
  PollDecode d;
  resetDecode(d, n_ifaces, n_metrics);
  return d;
}

namespace {

std::optional<IfStatus> statusOf(const ValueView& v) {
  auto i = v.asInt();
  if (!i || *i < 1 || *i > 7) return std::nullopt;
  return static_cast<IfStatus>(*i);
}

std::string_view trimmedText(const ValueView& v) {
  auto s = v.text();
  // Some agents NUL-terminate DisplayStrings.
  while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
  return s;
}

/// Stores one varbind value of slot `s`; `uptime` is the sysUpTime of the same PDU.
void applyValue(const Slot& s, const ValueView& v, std::optional<std::uint32_t>& uptime,
                PollDecode& out) {
  if (s.field == Field::SysUpTime) {
    if (v.type == VarValue::Type::TimeTicks) uptime = static_cast<std::uint32_t>(v.integer);
    if (!out.sys_uptime) out.sys_uptime = uptime;
    return;
  }
  if (s.iface >= out.ifaces.size()) return;
  auto& r = out.ifaces[s.iface];
  r.sys_uptime = uptime;
  switch (s.field) {
    case Field::Oper:
      r.oper = statusOf(v);
      if (v.type == VarValue::Type::NoSuchInstance) r.name_absent = true;
      break;
    case Field::Admin:
      r.admin = statusOf(v);
      break;
    case Field::HcIn:
      if (v.type == VarValue::Type::Counter64)
        r.hc_in = v.counter64;
      else if (v.isException())
        out.hc_missing = true;
      break;
    case Field::HcOut:
      if (v.type == VarValue::Type::Counter64) r.hc_out = v.counter64;
      break;
    case Field::In32:
      if (v.type == VarValue::Type::Counter32) r.in32 = v.asU32();
      break;
    case Field::Out32:
      if (v.type == VarValue::Type::Counter32) r.out32 = v.asU32();
      break;
    case Field::HighSpeed:
      r.high_speed = v.asU32();
      break;
    case Field::LastChange:
      r.last_change = v.asU32();
      break;
    case Field::InErrors:
      r.in_errors = v.asU32();
      break;
    case Field::OutErrors:
      r.out_errors = v.asU32();
      break;
    case Field::InDiscards:
      r.in_discards = v.asU32();
      break;
    case Field::DiscontinuityTime:
      r.discontinuity_time = v.asU32();
      break;
    case Field::NameCheck:
      if (v.type == VarValue::Type::OctetString)
        r.name_seen.emplace(trimmedText(v));
      else if (v.type == VarValue::Type::NoSuchInstance)
        r.name_absent = true;
      break;
    case Field::Metric:
      if (s.metric < r.metric_values.size()) r.metric_values[s.metric] = v.toVarValue();
      break;
    case Field::SensorScale:
      if (s.metric < r.sensor_scale.size()) r.sensor_scale[s.metric] = v.asInt();
      break;
    case Field::SensorPrecision:
      if (s.metric < r.sensor_precision.size()) r.sensor_precision[s.metric] = v.asInt();
      break;
    case Field::SysUpTime:
      break;
  }
}

void countMismatch(std::size_t got, std::size_t asked, PollDecode& out) {
  if (got != asked)
    out.problems.push_back("reply has " + std::to_string(got) + " varbinds, asked " +
                           std::to_string(asked));
}

}  // namespace

void decodePdu(const PduPlan& plan, const std::vector<VarBind>& reply, PollDecode& out) {
  countMismatch(reply.size(), plan.oids.size(), out);
  std::optional<std::uint32_t> uptime;
  const std::size_t n = std::min(reply.size(), plan.oids.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto& vb = reply[i];
    if (vb.oid != plan.oids[i]) {
      out.problems.push_back("varbind " + std::to_string(i + 1) + ": agent answered " +
                             formatOid(vb.oid) + " for " + formatOid(plan.oids[i]));
      continue;
    }
    const auto& v = vb.value;
    ValueView view;
    view.type = v.type;
    view.integer = v.integer;
    view.counter64 = v.counter64;
    view.data = reinterpret_cast<const std::uint8_t*>(v.text.data());
    view.size = v.text.size();
    view.source = &v;
    applyValue(plan.slots[i], view, uptime, out);
  }
}

void decodeResponse(const PduPlan& plan, const ResponseView& reply, PollDecode& out,
                    const EncodedRequest* sent) {
  countMismatch(reply.varbind_count, plan.oids.size(), out);
  std::optional<std::uint32_t> uptime;
  VarbindReader rd(reply);
  const std::uint8_t* oid = nullptr;
  std::size_t oid_size = 0;
  ValueView v;
  for (std::size_t i = 0; i < plan.oids.size() && rd.next(oid, oid_size, v); ++i) {
    if (sent ? !sent->sameOid(i, oid, oid_size) : !oidEquals(oid, oid_size, plan.oids[i])) {
      out.problems.push_back("varbind " + std::to_string(i + 1) + ": agent answered " +
                             formatOid(decodeOid(oid, oid_size)) + " for " +
                             formatOid(plan.oids[i]));
      continue;
    }
    applyValue(plan.slots[i], v, uptime, out);
  }
}

SampleBuild buildSample(const std::string& device, const ResolvedInterface& ri,
                        const RawInterface& raw, TimePoint now, const CounterSnapshot* prev,
                        const VendorProfile* profile, std::optional<double> contracted_mbps) {
  SampleBuild b;
  auto& s = b.sample;
  s.device = device;
  s.if_name = ri.name;
  s.if_index = ri.if_index;
  s.time = now;
  s.admin = raw.admin.value_or(IfStatus::Unknown);
  s.oper = raw.oper.value_or(IfStatus::Unknown);
  s.last_change = raw.last_change;
  s.high_speed_mbps = raw.high_speed;
  s.in_errors = raw.in_errors;
  s.out_errors = raw.out_errors;
  s.in_discards = raw.in_discards;

  auto& snap = b.snapshot;
  snap.time = now;
  snap.sys_uptime = raw.sys_uptime;
  snap.discontinuity_time = raw.discontinuity_time;
  if (raw.hc_in || raw.hc_out) {
    snap.width = CounterWidth::Bits64;
    snap.in_octets = raw.hc_in;
    snap.out_octets = raw.hc_out;
  } else {
    snap.width = CounterWidth::Bits32;
    snap.in_octets = raw.in32;
    snap.out_octets = raw.out32;
  }
  snap.in_errors = raw.in_errors;
  snap.out_errors = raw.out_errors;
  snap.in_discards = raw.in_discards;
  s.in_octets = snap.in_octets;
  s.out_octets = snap.out_octets;

  if (prev) {
    const auto r = computeRates(*prev, snap, raw.high_speed);
    s.counter_discontinuity = r.discontinuity;
    s.in_bps = r.in_bps;
    s.out_bps = r.out_bps;
    s.in_errors_per_s = r.in_errors_per_s;
    s.out_errors_per_s = r.out_errors_per_s;
    s.in_discards_per_s = r.in_discards_per_s;
    s.in_utilisation = utilisation(s.in_bps, contracted_mbps);
    s.out_utilisation = utilisation(s.out_bps, contracted_mbps);
  }
  if (profile) {
    for (std::size_t m = 0; m < profile->metrics.size() && m < raw.metric_values.size(); ++m) {
      const auto& pm = profile->metrics[m];
      const auto v =
          convertMetric(pm, raw.metric_values[m], raw.sensor_scale[m], raw.sensor_precision[m]);
      if (!v) continue;
      if (pm.name == "rx_power_dbm")
        s.rx_power_dbm = v;
      else if (pm.name == "tx_power_dbm")
        s.tx_power_dbm = v;
      else
        s.extra.emplace_back(pm.name, *v);
    }
  }
  // The index moved when the name column at this ifIndex no longer carries the configured
  // name (entPhysical renumbering after a line-card swap, or a reboot that re-enumerated).
  if (raw.name_absent)
    b.index_moved = true;
  else if (raw.name_seen && lower(*raw.name_seen) != lower(ri.name))
    b.index_moved = true;
  return b;
}

}  // namespace circuitd::snmp
