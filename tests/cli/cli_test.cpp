// Runs the real circuitd and circuitctl binaries and checks what an operator sees first.
#include <gtest/gtest.h>

#include "circuitd_version.hpp"
#include "tests/support/process.hpp"

namespace {

using circuitd::testing::run;

const std::string kCircuitd = CIRCUITD_BINARY_DIR "/daemon/circuitd";
const std::string kCircuitctl = CIRCUITD_BINARY_DIR "/tools/circuitctl/circuitctl";

TEST(CircuitdCli, VersionPrintsNameAndProjectVersionAndExitsZero) {
  const auto r = run({kCircuitd, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("circuitd ") + CIRCUITD_VERSION + "\n");
}

TEST(CircuitdCli, HelpListsEveryOptionAndExitsZero) {
  const auto r = run({kCircuitd, "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* opt : {"--config", "--check-config", "--log-level", "--version", "--help"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << " missing from:\n" << r.out;
}

TEST(CircuitdCli, UnknownOptionIsRejectedWithNonZeroExit) {
  const auto r = run({kCircuitd, "--no-such-option"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--no-such-option"), std::string::npos) << r.err;
}

TEST(CircuitdCli, UnknownLogLevelExitsTwoNamingIt) {
  const auto r = run({kCircuitd, "--log-level", "loud", "--config",
                      CIRCUITD_SOURCE_DIR "/config/demo.toml", "--check-config"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown --log-level 'loud'"), std::string::npos) << r.err;
}

TEST(CircuitdCli, MissingConfigFileExitsOneNamingTheFile) {
  const auto r = run({kCircuitd, "--config", "/nonexistent/circuitd.toml", "--check-config"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/circuitd.toml"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
}

TEST(CircuitctlCli, VersionPrintsNameAndProjectVersionAndExitsZero) {
  const auto r = run({kCircuitctl, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::string("circuitctl ") + CIRCUITD_VERSION + "\n");
}

TEST(CircuitctlCli, HelpListsSubcommandsAndExitsZero) {
  const auto r = run({kCircuitctl, "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* cmd : {"status", "import-contract", "--version", "--config"})
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd << " missing from:\n" << r.out;
}

TEST(CircuitctlCli, StatusSaysNotAvailableYetAndExitsTwo) {
  const auto r = run({kCircuitctl, "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("circuitctl status: not available yet"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "a subcommand that is not available must print nothing on stdout";
}

TEST(CircuitctlCli, NoSubcommandIsAnErrorNotSilentSuccess) {
  const auto r = run({kCircuitctl});
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
