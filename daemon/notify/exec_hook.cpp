#include "daemon/notify/exec_hook.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

namespace circuitd::notify {

std::vector<std::string> expandArgv(const std::vector<std::string>& argv,
                                    const std::map<std::string, std::string>& vars) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (const auto& a : argv) {
    std::string s;
    for (std::size_t i = 0; i < a.size();) {
      if (a[i] == '{') {
        const auto close = a.find('}', i);
        if (close != std::string::npos) {
          auto it = vars.find(a.substr(i + 1, close - i - 1));
          if (it != vars.end()) {
            s += it->second;
            i = close + 1;
            continue;
          }
        }
      }
      s += a[i++];
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

struct Child : std::enable_shared_from_this<Child> {
  Child(boost::asio::io_context& io) : timer(io) {}
  boost::asio::steady_timer timer;
  pid_t pid = -1;
  std::chrono::steady_clock::time_point deadline;
  bool killed = false;
  std::function<void(ExecResult)> done;

  void poll() {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      ExecResult res;
      if (WIFEXITED(status)) {
        res.exit_code = WEXITSTATUS(status);
        if (killed) res.error = "timed out";
      } else if (WIFSIGNALED(status)) {
        res.error = killed ? "timed out" : "killed by signal " + std::to_string(WTERMSIG(status));
      }
      done(res);
      return;
    }
    if (r < 0 && errno != EINTR) {
      done(ExecResult{-1, std::string("waitpid: ") + std::strerror(errno)});
      return;
    }
    if (!killed && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    // Polling keeps the io_context free of SIGCHLD handling, which the daemon may own.
    timer.expires_after(std::chrono::milliseconds(5));
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->poll();
    });
  }
};

}  // namespace

void asyncExec(boost::asio::io_context& io, ExecRequest req, std::function<void(ExecResult)> done) {
  auto post = [&io](std::function<void(ExecResult)> d, ExecResult r) {
    boost::asio::post(io, [d = std::move(d), r = std::move(r)] { d(r); });
  };
  if (req.argv.empty() || req.argv[0].empty() || req.argv[0][0] != '/')
    return post(std::move(done), ExecResult{-1, "exec hook needs an absolute program path"});

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0)
    return post(std::move(done), ExecResult{-1, std::string("pipe: ") + std::strerror(errno)});

  std::vector<char*> argv;
  for (auto& a : req.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> envs = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
  for (const auto& [k, v] : req.env) envs.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pipefd[0], STDIN_FILENO);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(pipefd[0]);
  if (rc != 0) {
    ::close(pipefd[1]);
    return post(std::move(done),
                ExecResult{-1, "cannot run " + req.argv[0] + ": " + std::strerror(rc)});
  }
  // The event is small (a few kB, below the pipe buffer); a hook that does not read its stdin
  // must not block the daemon, hence the non-blocking write and ignored EPIPE.
  ::fcntl(pipefd[1], F_SETFL, O_NONBLOCK);
  ::signal(SIGPIPE, SIG_IGN);
  std::size_t off = 0;
  while (off < req.stdin_data.size()) {
    const ssize_t n = ::write(pipefd[1], req.stdin_data.data() + off, req.stdin_data.size() - off);
    if (n <= 0) break;
    off += static_cast<std::size_t>(n);
  }
  ::close(pipefd[1]);

  auto c = std::make_shared<Child>(io);
  c->pid = pid;
  c->deadline = std::chrono::steady_clock::now() + req.timeout;
  c->done = std::move(done);
  boost::asio::post(io, [c] { c->poll(); });
}

}  // namespace circuitd::notify
