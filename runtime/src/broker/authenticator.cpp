// The broker's ZAP handler and allow-directory watch (see authenticator.hpp).
#include "broker/authenticator.hpp"

#include "transport/sockets.hpp"
#include "transport/wakeup.hpp"
#include "roc/error.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq_addon.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <tuple>
#include <vector>

#include <dirent.h>
#include <sys/stat.h>

namespace roc::detail {
namespace {

using Clock = std::chrono::steady_clock;

// libzmq asks the handler bound here, in the same context, for every handshake of a socket with
// a ZAP domain (RFC 27).
constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr std::string_view zap_version = "1.0";
constexpr std::size_t curve_key_bytes = 32;

// The allow directory is polled, not watched with inotify: polling is portable, sees a directory
// that is replaced, remounted or made unreadable as well as one whose files change, and costs a
// stat per file per second — an allow directory holds tens of small files. A change is in force
// about a second later; SIGHUP (Broker::reload_keys) makes it immediate.
constexpr std::chrono::milliseconds watch_interval{1000};
// Requests answered per wake-up before the watch is looked at again.
constexpr int answer_batch = 64;
// One line per key and outcome per window; the repeats in between are counted into the next.
constexpr std::chrono::seconds log_repeat_window{60};
// Keys remembered for that; beyond this (a flood of fresh keys) the oldest half is forgotten.
constexpr std::size_t max_remembered_keys = 4096;

// What changes when the directory's admissions may have: each entry's name, inode, size and
// modification time (nanoseconds), sorted. An unreadable directory has a fingerprint of its own,
// so that becoming unreadable is a change (logged once), and so is becoming readable again.
std::string fingerprint(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return fmt::format("unreadable: {}", std::strerror(errno));
  std::vector<std::tuple<std::string, ino_t, off_t, long long>> entries;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat info {};
    if (::stat((directory + "/" + name).c_str(), &info) != 0) {
      entries.emplace_back(name, 0, -1, 0);
      continue;
    }
    const long long mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1'000'000'000LL + info.st_mtim.tv_nsec;
    entries.emplace_back(name, info.st_ino, info.st_size, mtime_ns);
  }
  ::closedir(dir);
  std::sort(entries.begin(), entries.end());
  std::string out;
  for (const auto& [name, inode, size, mtime] : entries) out += fmt::format("{}\n{} {} {}\n", name, inode, size, mtime);
  return out;
}

zmq::message_t text(std::string_view s) { return zmq::message_t(s.data(), s.size()); }

}  // namespace

Authenticator::Authenticator(KeyringHolder& keyring, std::string allow_directory)
    : keyring_(keyring), directory_(std::move(allow_directory)) {
  if (directory_.empty()) {
    keyring_.set(Keyring::open());
    return;
  }
  // Fingerprint first: a change made while the keys load is then seen by the next look.
  fingerprint_ = fingerprint(directory_);
  keyring_.set(Keyring::load(directory_));  // throws roc::Error naming the directory
}

Authenticator::~Authenticator() { stop(); }

void Authenticator::start(zmq::context_t& context) {
  if (thread_.joinable()) return;
  context_ = &context;
  handler_ = inproc_socket(context, zmq::socket_type::router);
  handler_.bind(zap_endpoint);
  wake_ = inproc_socket(context, zmq::socket_type::pull);
  wake_endpoint_ = bind_wakeup(wake_, "zap");
  stop_requested_ = false;
  thread_ = std::thread([this] { serve(); });
}

void Authenticator::stop() {
  if (!thread_.joinable()) return;
  stop_requested_ = true;
  send_wakeup(*context_, wake_endpoint_);
  thread_.join();
  handler_.close();
  wake_.close();
}

void Authenticator::reload() {
  if (directory_.empty()) return;
  std::lock_guard lock(reload_mutex_);
  reload_locked(true);
}

void Authenticator::reload_if_changed() {
  std::lock_guard lock(reload_mutex_);
  reload_locked(false);
}

void Authenticator::reload_locked(bool force) {
  auto now = fingerprint(directory_);
  if (!force && now == fingerprint_) return;
  fingerprint_ = std::move(now);
  try {
    auto ring = Keyring::load(directory_);
    const auto count = ring->size();
    keyring_.set(std::move(ring));
    spdlog::info("broker: keys reloaded: admitting {} keys from {}", count, directory_);
  } catch (const Error& e) {
    // Keeping the old keys is the safe side of both mistakes: a directory half-way through being
    // replaced must not lock everyone out, and one made unreadable must not let everyone in.
    spdlog::error("broker: {}; the {} keys admitted before stay in force", e.what(), keyring_.get()->size());
  }
}

void Authenticator::serve() {
  zmq::pollitem_t items[] = {{handler_.handle(), 0, ZMQ_POLLIN, 0}, {wake_.handle(), 0, ZMQ_POLLIN, 0}};
  std::vector<zmq::message_t> request;
  auto next_look = Clock::now() + watch_interval;
  while (!stop_requested_) {
    try {
      // Without a directory there is nothing to look at: sleep until a request or stop() comes.
      const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(next_look - Clock::now());
      zmq::poll(items, 2,
                directory_.empty() ? std::chrono::milliseconds(-1)
                                   : std::clamp(until, std::chrono::milliseconds(0), watch_interval));
      if (items[1].revents & ZMQ_POLLIN) break;
      if (items[0].revents & ZMQ_POLLIN) {
        for (int i = 0; i < answer_batch; ++i) {
          request.clear();
          if (!zmq::recv_multipart(handler_, std::back_inserter(request), zmq::recv_flags::dontwait)) break;
          answer(request);
        }
      }
      if (!directory_.empty() && Clock::now() >= next_look) {
        reload_if_changed();
        next_look = Clock::now() + watch_interval;
      }
    } catch (const std::exception& e) {
      spdlog::error("broker: authenticator: {}", e.what());
    }
  }
}

// A request as libzmq sends it, behind the ROUTER's routing id: [id] [""] ["1.0"] [request id]
// [domain] [address] [routing id of the peer] [mechanism] [credentials...]; for CURVE one
// credential, the client's 32-byte public key. The reply: [id] [""] ["1.0"] [request id]
// [status code] [status text] [user id] [metadata].
void Authenticator::answer(std::vector<zmq::message_t>& request) {
  if (request.size() < 8 || request[1].size() != 0 || request[2].to_string_view() != zap_version) {
    // Not a request this handler can even answer in kind: only libzmq writes here, so this is
    // a bug somewhere, not an attack. The handshake then times out.
    refused_.fetch_add(1, std::memory_order_relaxed);
    log_.warn("broker: dropped a malformed ZAP request ({} frames)", request.size());
    return;
  }
  const std::string address = request[5].to_string();
  const auto reply = [&](std::string_view code, std::string_view status, std::string_view user_id) {
    std::vector<zmq::message_t> out;
    out.push_back(std::move(request[0]));
    out.emplace_back();
    out.push_back(text(zap_version));
    out.push_back(std::move(request[3]));
    out.push_back(text(code));
    out.push_back(text(status));
    out.push_back(text(user_id));
    out.emplace_back();  // no metadata
    zmq::send_multipart(handler_, out, zmq::send_flags::dontwait);
  };
  const auto domain = request[4].to_string_view();
  const auto mechanism = request[7].to_string_view();
  if (domain != zap_domain || mechanism != "CURVE" || request.size() != 9 || request[8].size() != curve_key_bytes) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    log_.warn("broker: refused a handshake from {}: not one CURVE key for domain '{}' (domain '{}', mechanism '{}', {} frames)",
              address, zap_domain, domain, mechanism, request.size());
    reply("400", "roc admits CURVE keys only", "");
    return;
  }
  char z85[41] = {};
  zmq_z85_encode(z85, static_cast<const std::uint8_t*>(request[8].data()), curve_key_bytes);
  const std::string key(z85);
  const auto ring = keyring_.get();
  const KeyRights* rights = ring->find(key);
  if (rights == nullptr) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    log_outcome(false, key, key, address);
    reply("400", "key not admitted", "");
    return;
  }
  admitted_.fetch_add(1, std::memory_order_relaxed);
  log_outcome(true, key, rights->name.empty() ? key : rights->name, address);
  reply("200", "OK", key);
}

void Authenticator::log_outcome(bool admitted, const std::string& key, const std::string& name,
                                const std::string& address) {
  const auto now = Clock::now();
  if (repeats_.size() >= max_remembered_keys) {
    // Forget what is older than the window; a flood of fresh keys may leave nothing older, so
    // then forget everything: the global burst limit still holds.
    for (auto it = repeats_.begin(); it != repeats_.end();)
      it = now - it->second.logged >= log_repeat_window ? repeats_.erase(it) : std::next(it);
    if (repeats_.size() >= max_remembered_keys) repeats_.clear();
  }
  auto [it, fresh] = repeats_.try_emplace((admitted ? "+" : "-") + key);
  auto& seen = it->second;
  if (!fresh && now - seen.logged < log_repeat_window) {
    ++seen.held_back;
    return;
  }
  const auto repeats = seen.held_back == 0 ? std::string()
                                           : fmt::format(" ({} more times since the last line)", seen.held_back);
  seen.logged = now;
  seen.held_back = 0;
  if (admitted)
    log_.info("broker: admitted key '{}' from {}{}", name, address, repeats);
  else
    log_.warn("broker: refused key {} from {}: not in the allow directory{}", name, address, repeats);
}

}  // namespace roc::detail
