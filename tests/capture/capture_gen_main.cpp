// capture-gen DIR: writes the generated capture files and their baseline tables into DIR
// (tests/data/capture). Run it after changing the generator or the table format, then review
// the diff of the .expected.txt files.
#include <fstream>
#include <iostream>

#include "probes/capture/pcap_source.hpp"
#include "probes/capture/traffic_counter.hpp"
#include "tests/capture/capture_gen.hpp"

namespace gen = circuitd::capture::gen;
namespace cap = circuitd::capture;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: capture-gen DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  for (const auto& [name, capture] :
       {std::pair{"traffic", gen::trafficCapture()}, std::pair{"cfm", gen::cfmCapture()}}) {
    const std::string pcap = dir + "/" + name + ".pcap";
    std::ofstream(pcap, std::ios::binary)
        .write(reinterpret_cast<const char*>(capture.pcap.data()),
               static_cast<std::streamsize>(capture.pcap.size()));
    auto counter = cap::TrafficCounter::create(gen::inventory());
    if (!counter) {
      std::cerr << counter.error().str() << "\n";
      return 1;
    }
    if (auto r = cap::readFile(pcap, *counter); !r) {
      std::cerr << r.error().str() << "\n";
      return 1;
    }
    std::ofstream(dir + "/" + name + ".expected.txt") << cap::formatTable(*counter);
    std::cout << "wrote " << pcap << " (" << capture.frames << " frames)\n";
  }
  return 0;
}
