#include "domain/faults/report.hpp"

#include <cstdio>
#include <sstream>

namespace circuitd::faults {

std::pair<std::string, std::string> formatDuration(Duration d) {
  long long total_min = d.count() / 60000;
  if (total_min < 0) total_min = 0;
  const long long days = total_min / (24 * 60);
  const long long hours = (total_min / 60) % 24;
  const long long mins = total_min % 60;
  std::string zh, en;
  if (days > 0) {
    zh += std::to_string(days) + "天";
    en += std::to_string(days) + " d ";
  }
  if (days > 0 || hours > 0) {
    zh += std::to_string(hours) + "小时";
    en += std::to_string(hours) + " h ";
  }
  zh += std::to_string(mins) + "分钟";
  en += std::to_string(mins) + " min";
  return {zh, en};
}

std::pair<std::string, std::string> describeLocation(FaultLocation l) {
  switch (l) {
    case FaultLocation::CarrierNetwork:
      return {"运营商网络（设备以外线路侧）", "carrier network beyond the edge device"};
    case FaultLocation::CarrierLine:
      return {"运营商线路/上联（设备线路侧）",
              "carrier line or uplink (line side of the edge device)"};
    case FaultLocation::CarrierEdgeDevice:
      return {"运营商接入设备本身", "the carrier's edge device itself"};
    case FaultLocation::CustomerPower:
      return {"客户侧UPS供电", "customer's UPS power for the carrier device"};
    case FaultLocation::CustomerEquipment:
      return {"客户侧设备（设备侧）", "customer equipment on the device side"};
    case FaultLocation::CustomerLan:
      return {"客户局域网", "customer LAN beyond the customer router"};
    case FaultLocation::PlannedMaintenance:
      return {"运营商计划割接/施工", "carrier planned work (cutover)"};
    case FaultLocation::ForceMajeure:
      return {"不可抗力", "force majeure"};
    case FaultLocation::MonitorBlind:
      return {"监测系统自身无法观测", "the monitor itself cannot see"};
    case FaultLocation::Unknown:
      break;
  }
  return {"尚未确定", "not yet determined"};
}

std::pair<std::string, std::string> describeParty(Party p) {
  switch (p) {
    case Party::Carrier:
      return {"乙方（中国电信）", "carrier (China Telecom)"};
    case Party::Customer:
      return {"甲方（客户）", "customer"};
    case Party::None:
      return {"双方均无责任", "neither party"};
    case Party::Undetermined:
      break;
  }
  return {"尚未确定", "undetermined"};
}

std::pair<std::string, std::string> describeClause(const std::string& clause) {
  if (clause == "3.2.6")
    return {"以甲方机房的设备为界，设备以外线路侧由乙方维护，设备侧由甲方维护",
            "the device in the customer's room is the boundary: line side carrier, device side "
            "customer"};
  if (clause == "3.1.7(6)")
    return {"甲方提供有UPS保障的220V稳定电源供乙方设备使用",
            "the customer provides UPS-backed 220 V power for the carrier's device"};
  if (clause == "7.4" || clause == "7.4.1")
    return {"乙方负责故障处理，大客户故障受理热线8008281000",
            "the carrier handles faults; hotline 8008281000"};
  if (clause == "7.5")
    return {"甲方自备设备故障或操作不当造成的故障由甲方承担",
            "faults of the customer's own equipment or operation are the customer's"};
  if (clause == "7.6")
    return {"乙方施工、割接影响电路应提前通知甲方并尽快恢复",
            "carrier work or cutover affecting the circuit must be notified in advance"};
  if (clause == "11.1")
    return {"不可抗力（自然灾害、停电、线路被人为破坏等）",
            "force majeure (natural disaster, power cut, deliberate line damage, ...)"};
  return {"", ""};
}

namespace {

std::string localTime(TimePoint t, std::chrono::minutes off) {
  const auto local = std::chrono::floor<std::chrono::seconds>(t + off);
  const auto dp = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day ymd{dp};
  const std::chrono::hh_mm_ss hms{local - dp};
  char buf[64];
  const int oh = static_cast<int>(off.count() / 60),
            om = static_cast<int>(std::abs(off.count()) % 60);
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld:%02lld (UTC%+03d:%02d)",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()), oh, om);
  return buf;
}

std::string stateZh(CircuitState s) {
  switch (s) {
    case CircuitState::Down:
      return "电路中断";
    case CircuitState::Degraded:
      return "电路质量劣化";
    case CircuitState::Maintenance:
      return "计划维护中";
    case CircuitState::Unknown:
      return "状态未知";
    case CircuitState::Up:
      return "正常";
  }
  return "";
}

std::string faultStateZh(FaultState s) {
  switch (s) {
    case FaultState::Open:
      return "未处理";
    case FaultState::Acknowledged:
      return "已确认";
    case FaultState::Reported:
      return "已向运营商申告";
    case FaultState::Resolved:
      return "已恢复";
    case FaultState::Closed:
      return "已关闭";
  }
  return "";
}

// Evidence the customer side gathered about its own half (UPS, CE, LAN): shown under
// "already checked" so the hotline does not ask for it again.
bool isCustomerSideCheck(const std::string& name) {
  for (const char* p : {"customer_", "ce_", "ups_", "site_power", "lan_"})
    if (name.rfind(p, 0) == 0) return true;
  return false;
}

void field(std::ostringstream& o, const std::string& zh, const std::string& en,
           const std::string& value) {
  o << zh << " / " << en << ": " << value << "\n";
}

std::string bandwidth(const std::optional<double>& mbps) {
  if (!mbps) return "合同未列明 / not stated in the contract";
  char buf[32];
  if (*mbps == static_cast<long long>(*mbps))
    std::snprintf(buf, sizeof buf, "%lld Mbit/s", static_cast<long long>(*mbps));
  else
    std::snprintf(buf, sizeof buf, "%.1f Mbit/s", *mbps);
  return buf;
}

}  // namespace

std::string renderHotlineReport(const ReportInput& in) {
  const Fault& f = in.fault;
  const Decision& d = f.decision;
  std::ostringstream o;
  const std::string title =
      "故障申告单 / Fault report for the carrier hotline " + std::string(kCarrierHotline);
  o << title << "\n" << std::string(72, '=') << "\n";
  const auto none = std::string("未记录 / not recorded");
  field(o, "故障编号", "Fault ID", f.id);
  field(o, "合同编号", "Contract number",
        in.circuit && !in.circuit->contract.empty() ? in.circuit->contract : none);
  field(o, "客户名称", "Customer", in.customer.empty() ? none : in.customer);
  field(o, "电路编号", "Link ID",
        in.circuit && !in.circuit->link_id.empty() ? in.circuit->link_id : f.circuit);
  field(o, "安装地点", "Site", in.circuit && !in.circuit->site.empty() ? in.circuit->site : none);
  field(o, "业务类型", "Service",
        in.circuit && !in.circuit->service.empty() ? in.circuit->service : none);
  field(o, "带宽", "Bandwidth", in.circuit ? bandwidth(in.circuit->bandwidth_mbps) : none);
  field(o, "首次发现", "First seen",
        localTime(f.first_seen, in.utc_offset) + " = " + formatIso(f.first_seen));
  const TimePoint since = f.down_since.value_or(f.first_seen);
  const TimePoint until = f.recovered_at.value_or(in.now);
  auto [dzh, den] = formatDuration(until - since);
  if (f.recovered_at)
    field(o, "中断时长", "Duration",
          dzh + "，已于" + localTime(*f.recovered_at, in.utc_offset) + "恢复 / " + den +
              ", recovered at " + formatIso(*f.recovered_at));
  else
    field(o, "中断时长", "Duration", dzh + "，仍未恢复 / " + den + ", still not restored");
  if (f.occurrences > 1)
    field(o, "重复发生", "Recurrences",
          std::to_string(f.occurrences) + "次 / " + std::to_string(f.occurrences) + " times");
  field(o, "处理状态", "Status",
        faultStateZh(f.state) + " / " + std::string(toString(f.state)) +
            (f.ticket.empty() ? "" : "，工单号 / ticket " + f.ticket));

  o << "\n故障现象 / Symptoms:\n";
  o << "  " << stateZh(f.circuit_state) << " / circuit " << toString(f.circuit_state);
  if (!d.summary.empty()) o << ": " << d.summary;
  o << "\n";
  o << "\n证据 / Evidence:\n";
  if (d.evidence.empty()) o << "  (无 / none recorded)\n";
  for (const auto& e : d.evidence)
    o << "  - " << e.name << " = " << e.value << "  (" << formatIso(e.time) << ")\n";

  o << "\n故障定位 / Fault location and responsibility:\n";
  auto [lzh, len] = describeLocation(d.location);
  auto [pzh, pen] = describeParty(d.party);
  o << "  位置 / Location: " << lzh << " / " << len << "\n";
  o << "  责任方 / Responsible party: " << pzh << " / " << pen << "\n";
  if (!d.clause.empty()) {
    auto [czh, cen] = describeClause(d.clause);
    o << "  合同条款 / Contract clause: " << d.clause;
    if (!czh.empty()) o << "（" << czh << "）\n    / " << cen;
    o << "\n";
  }
  if (!d.rule_id.empty()) o << "  判定规则 / Rule: " << d.rule_id << "\n";
  if (d.party == Party::Undetermined && !d.next_step.empty())
    o << "  待确认 / To settle it: " << d.next_step << "\n";

  o << "\n客户侧已检查 / Already checked on the customer side:\n";
  int checked = 0;
  for (const auto& e : d.evidence)
    if (isCustomerSideCheck(e.name)) {
      o << "  - " << e.name << " = " << e.value << "\n";
      ++checked;
    }
  for (const auto& n : in.notes)
    if (n.checked) {
      o << "  - " << n.text << "  (" << n.author << ", " << formatIso(n.time) << ")\n";
      ++checked;
    }
  if (checked == 0) o << "  (尚无记录 / nothing recorded yet)\n";

  o << "\n请求 / Request:\n";
  if (d.party == Party::Customer)
    o << "  故障位于甲方侧，现告知备案，甲方正在处理。\n"
         "  The fault is on the customer side; this is for the record, the customer is on it.\n";
  else
    o << "  请依据合同第7.4条受理本故障申告并尽快修复，请提供工单号。\n"
         "  Please accept this fault report under clause 7.4, restore the circuit as soon as\n"
         "  possible and give us the ticket number.\n";
  return o.str();
}

}  // namespace circuitd::faults
