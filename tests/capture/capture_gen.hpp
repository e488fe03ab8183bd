#pragma once
// Deterministic generator of the capture files under tests/data/capture: fixed timestamps,
// fixed addresses, no randomness, so that regenerating gives identical bytes. It also returns
// what it wrote per circuit ("truth"), counted independently of the decoder under test.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "domain/core/inventory.hpp"

namespace circuitd::capture::gen {

/// What the generator put in a file for one circuit.
struct CircuitTruth {
  std::uint64_t packets = 0, bytes = 0, in_bytes = 0, out_bytes = 0;
};

/// A generated capture file and its truth.
struct Capture {
  std::vector<std::uint8_t> pcap;                ///< the file's bytes
  std::map<std::string, CircuitTruth> circuits;  ///< frames that belong to a circuit
  std::uint64_t frames = 0;
  std::uint64_t truncated_filtered = 0;  ///< truncated frames that still pass the BPF filter
  std::uint64_t truncated_all = 0;       ///< all truncated frames
  std::uint64_t malformed = 0;
  std::uint64_t unmatched_filtered = 0;  ///< readable frames of no circuit that pass the filter
  std::uint64_t unmatched_all = 0;
};

/// The circuits the capture files are built for (same as tests/data/capture/circuits.toml).
Inventory inventory();
/// VLAN-tagged, QinQ, untagged, IPv4 and IPv6 traffic plus truncated and malformed frames.
Capture trafficCapture();
/// CCM streams: MEP 5/100/11 at 1 s with a 5 s gap (LOC) and RDI for 5 s, MEP 6/0/21 at 100 ms
/// that stops (LOC until the end), and one CCM with an invalid interval code (malformed).
Capture cfmCapture();

/// One IPv4/UDP frame of `length` octets (no FCS) tagged with `vlan`, 192.0.2.1 -> 192.0.2.2.
std::vector<std::uint8_t> taggedFrame(std::uint16_t vlan, std::size_t length);
/// One untagged IPv4/UDP frame of `length` octets (no FCS) from `src` to `dst`.
std::vector<std::uint8_t> untaggedFrame(const char* src, const char* dst, std::size_t length);
/// One CCM of MEP `mep_id` at MD level 5 tagged with `vlan` (MD "bureau", MA "ma-<vlan>");
/// interval codes as 802.1ag: 3 = 100 ms, 4 = 1 s.
std::vector<std::uint8_t> taggedCcm(std::uint16_t vlan, std::uint16_t mep_id,
                                    std::uint32_t sequence, std::uint8_t interval_code);

}  // namespace circuitd::capture::gen
