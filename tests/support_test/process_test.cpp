// run(), runShell() and Process: what a command leaves behind is seen exactly as it was made.
#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "tests/support/files.hpp"

namespace circuitd::testing {
namespace {

using namespace std::chrono_literals;

TEST(SupportRun, CapturesExitCodeStdoutAndStderrSeparately) {
  const auto r = run({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_EQ(r.err, "to-err\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(SupportRun, MergedStderrArrivesInOutInOrder) {
  RunOptions opts;
  opts.merge_stderr = true;
  const auto r = run({"/bin/sh", "-c", "echo one; echo two >&2; echo three"}, opts);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "one\ntwo\nthree\n");
  EXPECT_EQ(r.err, "");
}

TEST(SupportRun, ArgumentsWithSpacesQuotesAndShellCharactersArriveUnchanged) {
  const std::vector<std::string> args = {"two words", "it's", "\"quoted\"",  "$HOME",    "a;b|c",
                                         "*",         "",     "back\\slash", "new\nline"};
  std::vector<std::string> argv = {"/usr/bin/printf", "[%s]\\n"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string expected;
  for (const auto& a : args) expected += "[" + a + "]\n";
  EXPECT_EQ(r.out, expected);
}

TEST(SupportRun, LooksTheProgramUpOnPath) {
  const auto r = run({"printf", "found"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "found");
  EXPECT_NE(findTool("sh"), "");
  EXPECT_TRUE(haveTool("sh"));
  EXPECT_FALSE(haveTool("circuitd-no-such-tool"));
}

TEST(SupportRun, AProgramThatDoesNotExistExits127SayingWhy) {
  const auto r = run({"/nonexistent/program", "x"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("/nonexistent/program"), std::string::npos) << r.err;
}

TEST(SupportRun, TimeoutKillsTheCommandAndWhatItStarted) {
  RunOptions opts;
  opts.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  // The shell's child keeps stdout open: the kill must reach it too, or the read never ends.
  const auto r = run({"/bin/sh", "-c", "sleep 30 & sleep 30; echo never"}, opts);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_EQ(r.out, "");
  EXPECT_LT(took, 5s);
}

TEST(SupportRun, ACommandWithinItsTimeoutIsNotKilled) {
  RunOptions opts;
  opts.timeout = 10s;
  const auto r = run({"/bin/sh", "-c", "echo quick"}, opts);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "quick\n");
}

TEST(SupportRun, StdinEnvironmentAndWorkingDirectory) {
  ScratchDir dir("circuitd-support-");
  RunOptions opts;
  opts.stdin_text = std::string(200000, 'x') + "\nend\n";  // more than a pipe holds
  opts.env = {"CIRCUITD_SUPPORT_TEST=set here", "HOME=/elsewhere"};
  opts.cwd = dir.path();
  const auto r = run({"/bin/sh", "-c", "wc -c; echo \"$CIRCUITD_SUPPORT_TEST|$HOME\"; pwd"}, opts);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200005\nset here|/elsewhere\n" + dir.path().string() + "\n");
}

TEST(SupportRun, AReaderThatLeavesEarlyDoesNotEndTheTest) {
  RunOptions opts;
  opts.stdin_text = std::string(1 << 20, 'x');
  const auto r = run({"/bin/true"}, opts);
  EXPECT_EQ(r.exit_code, 0);
}

TEST(SupportRun, StderrIsJournalNamesTheStreamStderrIs) {
  RunOptions opts;
  opts.stderr_is_journal = true;
  const auto r =
      run({"/bin/sh", "-c", "echo \"$JOURNAL_STREAM\"; stat -L -c '%d:%i' /proc/self/fd/2"}, opts);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto nl = r.out.find('\n');
  ASSERT_NE(nl, std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(0, nl + 1), r.out.substr(nl + 1)) << r.out;
  EXPECT_EQ(run({"/bin/sh", "-c", "echo \"[$JOURNAL_STREAM]\""}).out, "[]\n");
}

TEST(SupportRunShell, RunsTheLineThroughTheShell) {
  const auto r = runShell("printf 'a b' | tr ' ' '-'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "a-b");
}

TEST(SupportRunInChild, ReturnsWhatTheChildReturned) {
  EXPECT_EQ(runInChild([] { return std::to_string(::getpid()); }).empty(), false);
  EXPECT_NE(runInChild([] { return std::to_string(::getpid()); }), std::to_string(::getpid()));
}

TEST(SupportProcess, LogsWaitsAndReportsTheExitStatus) {
  ScratchDir dir("circuitd-support-");
  SpawnOptions opts;
  opts.log = dir.path() / "p.log";
  opts.env = {"GREETING=hello"};
  Process p({"/bin/sh", "-c", "echo \"$GREETING\"; echo oops >&2; sleep 0.2; exit 4"}, opts);
  EXPECT_TRUE(p.running());
  EXPECT_TRUE(p.waitForLog("oops", 5s)) << p.log();
  EXPECT_EQ(p.wait(5s), 4);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.log(), "hello\noops\n");
}

TEST(SupportProcess, SignalEndsItAndWaitReportsTheSignal) {
  Process p({"/bin/sleep", "30"});
  EXPECT_EQ(p.wait(100ms), -1) << "still running";
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(5s), 128 + SIGTERM);
}

TEST(SupportProcess, DestructorStopsWhatStillRuns) {
  pid_t pid = -1;
  {
    SpawnOptions opts;
    opts.own_group = true;
    Process p({"/bin/sleep", "30"}, opts);
    pid = p.pid();
    ASSERT_GT(pid, 0);
  }
  EXPECT_NE(::kill(pid, 0), 0) << "the process outlived its handle";
}

TEST(SupportProcess, AProgramThatDoesNotExistIsNotRunning) {
  Process p({"/nonexistent/daemon"});
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.wait(1s), 127);
}

}  // namespace
}  // namespace circuitd::testing
