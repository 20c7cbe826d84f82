// The keys a secured broker admits and what each may do (docs/security.md): read from the
// public certificates of its allow directory, swapped whole when they change.
#pragma once

#include "roc/security.hpp"

#include <zmq.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace roc::detail {

/// What one admitted key may do, from its certificate's metadata. An absent list means the
/// default the docs give: serve only ids no other key serves, call and publish everything.
struct KeyRights {
  std::string name;        ///< `name` metadata, else the public key: how logs and errors say it
  std::string public_key;  ///< Z85
  std::optional<std::vector<std::string>> serve;    ///< `roc-serve`: id glob patterns
  std::optional<std::vector<std::string>> call;     ///< `roc-call`: id glob patterns (absent: "*")
  std::vector<std::string> read;                    ///< `roc-read`: id patterns for reading only
  std::optional<std::vector<std::string>> publish;  ///< `roc-publish`: topic prefixes (absent: all)

  /// Whether `roc-serve` names `id`; nullopt when the key has no `roc-serve` (then it may serve
  /// an id only while no other key serves it — the router knows that, not the key).
  std::optional<bool> may_serve(std::string_view id) const;
  /// Whether the key may make any call on `id` (`roc-call`, default every id).
  bool may_call(std::string_view id) const;
  /// Whether the key may read `id`: call the read methods (is_read_method) on it.
  bool may_read(std::string_view id) const;
  /// Whether the key may publish on `topic` (`roc-publish` prefixes, default every topic).
  bool may_publish(std::string_view topic) const;
  /// What a `roc-read` key may call: rpc.get, rpc.describe, rpc.ping, rpc.signature.
  static bool is_read_method(std::string_view method);

  /// The rights a certificate's metadata grants.
  static KeyRights from(const Certificate& certificate);
};

/// One generation of admitted keys: immutable once built, shared by the threads that check.
class Keyring {
 public:
  /// Admits any CURVE key with default rights (a broker with a certificate and no allow directory).
  static std::shared_ptr<const Keyring> open();
  /// The public certificates (`*.key`) in `directory`. Files that cannot be read are skipped with
  /// a warning naming them; a directory that cannot be read throws roc::Error naming it.
  static std::shared_ptr<const Keyring> load(const std::string& directory);

  /// The rights of `public_key` (Z85), or null when it is not admitted. An open ring returns
  /// the same default rights for every key, with `name` and `public_key` empty: callers then
  /// name the key by the public key they looked up.
  const KeyRights* find(std::string_view public_key) const;
  bool admits_any() const noexcept { return open_; }
  std::size_t size() const noexcept { return by_key_.size(); }

 private:
  bool open_ = false;
  // Looked up once per message on a secured broker: keyed by views into `rights_`, so a lookup
  // with the sender's key (a string_view) allocates nothing. A deque never moves its elements.
  std::deque<KeyRights> rights_;
  std::unordered_map<std::string_view, const KeyRights*> by_key_;
  KeyRights default_rights_;
};

/// The current generation, swapped by the authenticator (reload) and read per message by the
/// call router and the relay. Thread-safe.
class KeyringHolder {
 public:
  explicit KeyringHolder(std::shared_ptr<const Keyring> ring) : ring_(std::move(ring)) {}
  std::shared_ptr<const Keyring> get() const { return std::atomic_load(&ring_); }
  void set(std::shared_ptr<const Keyring> ring) { std::atomic_store(&ring_, std::move(ring)); }

 private:
  std::shared_ptr<const Keyring> ring_;
};

/// The public key (Z85) the broker's authenticator put as User-Id on a message's connection,
/// or empty for a message from a plaintext socket.
/// Read it from a frame the peer sent: the routing-id frame a ROUTER prepends carries none.
std::string_view sender_key(const zmq::message_t& frame);

}  // namespace roc::detail
