#include "domain/core/reach_window.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace circuitd {

ReachWindow::ReachWindow(Duration span, std::size_t max_samples)
    : span_(span), max_samples_(max_samples) {}

void ReachWindow::add(const ReachSample& s) {
  double rtt = -1.0;  // unanswered
  if (s.replied) {
    const double coarse = s.rtt ? static_cast<double>(s.rtt->count()) : 0.0;
    rtt = std::max(0.0, s.rtt_ms.value_or(coarse));
  }
  // Usually the newest sample goes at the back; a late timeout is inserted in send order.
  auto pos = entries_.end();
  while (pos != entries_.begin() && std::prev(pos)->time > s.time) --pos;
  entries_.insert(pos, Entry{s.time, rtt});
  end_ = std::max(end_, s.time);
  expire();
}

void ReachWindow::advance(TimePoint now) {
  end_ = std::max(end_, now);
  expire();
}

void ReachWindow::expire() {
  // A sample sent exactly `span` before the end has left the window: (end - span, end].
  while (!entries_.empty() && entries_.front().time <= end_ - span_) entries_.pop_front();
  if (max_samples_ != 0) {
    while (entries_.size() > max_samples_) entries_.pop_front();
  }
}

std::optional<double> rfc3550Jitter(const double* rtts_ms, std::size_t n) {
  if (n < 2) return std::nullopt;
  double j = std::fabs(rtts_ms[1] - rtts_ms[0]);
  for (std::size_t i = 2; i < n; ++i) {
    const double d = std::fabs(rtts_ms[i] - rtts_ms[i - 1]);
    j += (d - j) / 16.0;
  }
  return j;
}

ReachStats ReachWindow::stats() const {
  ReachStats st;
  st.sent = entries_.size();
  double sum = 0;
  std::vector<double> rtts;
  rtts.reserve(entries_.size());
  for (const auto& e : entries_) {
    if (e.rtt_ms < 0) {
      ++st.consecutive_lost;
      continue;
    }
    st.consecutive_lost = 0;
    ++st.received;
    sum += e.rtt_ms;
    st.min_ms = st.min_ms ? std::min(*st.min_ms, e.rtt_ms) : e.rtt_ms;
    st.max_ms = st.max_ms ? std::max(*st.max_ms, e.rtt_ms) : e.rtt_ms;
    st.last_reply = e.time;
    rtts.push_back(e.rtt_ms);
  }
  if (st.sent > 0) {
    st.loss_ratio = static_cast<double>(st.sent - st.received) / static_cast<double>(st.sent);
  }
  if (st.received > 0) st.avg_ms = sum / static_cast<double>(st.received);
  st.jitter_ms = rfc3550Jitter(rtts.data(), rtts.size());
  return st;
}

}  // namespace circuitd
