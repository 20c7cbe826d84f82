// Process and subscription helpers for the logging, status and CLI tests.
#include "log_test_support.hpp"

#include <csignal>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace roc::test {

Child::Child(const std::vector<std::string>& argv, const std::string& output_file) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!output_file.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

Child::~Child() {
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    int st = 0;
    const int r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return status_;
}

void Child::terminate() {
  if (!status_) ::kill(pid_, SIGTERM);
}

static std::string slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  static int counter = 0;
  const std::string base = "/tmp/roc-test-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int pid = -1;
  RunResult result;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int st = 0;
  while (::waitpid(pid, &st, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      result.code = -1;
      result.out = slurp(base + ".out");
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  result.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  result.out = slurp(base + ".out");
  result.err = slurp(base + ".err");
  ::unlink((base + ".out").c_str());
  ::unlink((base + ".err").c_str());
  return result;
}

std::string executable_dir() {
  char buf[4096];
  const auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  std::string path(buf, static_cast<std::size_t>(n));
  return path.substr(0, path.rfind('/'));
}

std::vector<zmq::message_t> receive(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  std::vector<zmq::message_t> frames;
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  zmq::poll(&item, 1, timeout);
  if (!(item.revents & ZMQ_POLLIN)) return frames;
  do {
    frames.emplace_back();
    if (!socket.recv(frames.back(), zmq::recv_flags::dontwait)) {
      frames.pop_back();
      break;
    }
  } while (frames.back().more());
  return frames;
}

bool wait_subscribed(zmq::context_t& context, zmq::socket_t& sub, const roc::Endpoints& endpoints,
                     const std::string& prefix, std::chrono::milliseconds timeout) {
  zmq::socket_t pub(context, zmq::socket_type::pub);
  pub.set(zmq::sockopt::linger, 0);
  pub.connect(endpoints.publish());
  const std::string topic = prefix + "probe";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    pub.send(zmq::buffer(topic), zmq::send_flags::sndmore);
    pub.send(zmq::str_buffer("{}"), zmq::send_flags::none);
    auto frames = receive(sub, std::chrono::milliseconds(10));
    if (!frames.empty() && frames[0].to_string_view() == topic) seen = true;
  }
  // Probes still on their way would confuse the caller's checks.
  while (seen) {
    auto frames = receive(sub, std::chrono::milliseconds(50));
    if (frames.empty()) break;
    if (frames[0].to_string_view() != topic) break;  // callers start publishers only after this returns
  }
  return seen;
}

}  // namespace roc::test
