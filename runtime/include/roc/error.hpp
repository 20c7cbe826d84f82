// roc's exception hierarchy and the JSON-RPC error codes it maps to.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace roc {

/// JSON-RPC 2.0 error codes used on the wire: the standard ones and roc's own (-32000..-32099).
namespace error_code {
inline constexpr int parse_error = -32700;       ///< the body is not valid JSON
inline constexpr int invalid_request = -32600;   ///< valid JSON, but not a JSON-RPC 2.0 request
inline constexpr int method_not_found = -32601;  ///< the object has no such method
inline constexpr int invalid_params = -32602;    ///< wrong parameter count, name or type
inline constexpr int internal_error = -32603;    ///< a fault inside roc itself
inline constexpr int method_threw = -32000;      ///< the user's method threw; data: {type, what}
inline constexpr int object_not_found = -32001;  ///< no worker serves the object id (from the broker)
inline constexpr int object_gone = -32002;       ///< the worker went away while holding the call
inline constexpr int read_only = -32003;         ///< rpc.set on a read-only property
inline constexpr int signature_mismatch = -32004;///< proxy and object were built from different headers
inline constexpr int object_busy = -32005;       ///< the object's queue at the broker is full; retry later
inline constexpr int deadline_expired = -32006;  ///< the caller's deadline passed before the call could run
inline constexpr int not_allowed = -32007;       ///< the caller's key may not make this call (docs/security.md)
inline constexpr int cancelled = -32008;         ///< the caller cancelled the call (idl/PROTOCOL.md §2.6)
}  // namespace error_code

/// Base of every exception roc throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The remote side answered with a JSON-RPC error object.
class RemoteError : public Error {
 public:
  /// `data_json` is the error's `data` member serialized as JSON, or empty when absent.
  RemoteError(int code, std::string message, std::string data_json = {});
  int code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& data_json() const noexcept { return data_json_; }

 private:
  int code_;
  std::string message_;
  std::string data_json_;
};

/// -32001: nobody serves the object id the call named.
class ObjectNotFound : public RemoteError {
 public:
  using RemoteError::RemoteError;
};

/// -32004: the proxy was generated from a different version of the object's interface.
class SignatureMismatch : public RemoteError {
 public:
  using RemoteError::RemoteError;
};

/// -32005: the broker holds as many calls for the object as it allows; nothing was run.
class ObjectBusy : public RemoteError {
 public:
  using RemoteError::RemoteError;
};

/// -32007: the broker refused the call: the caller's key has no right to it (docs/security.md).
class NotAllowed : public RemoteError {
 public:
  using RemoteError::RemoteError;
};

/// -32008: the call was cancelled — by its caller (PendingCall::cancel, Ctrl-C on `roc call`, a
/// sync call's timeout), before it ran or while it ran. A method may throw it too (see
/// CallContext::throw_if_cancelled) to say it stopped because it was asked to.
class Cancelled : public RemoteError {
 public:
  using RemoteError::RemoteError;
  explicit Cancelled(std::string message = "cancelled: the caller cancelled the call")
      : RemoteError(error_code::cancelled, std::move(message)) {}
};

/// No reply arrived within the call's timeout.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

/// The broker cannot be reached: nothing listens at its address ("connection refused"), its host
/// name does not resolve ("unknown host 'x'"), or the connection to it dropped while a call was
/// in flight ("lost the connection ...; the call may have run"). Unlike TimeoutError, it says
/// nothing about the object: no broker ever saw the call, or the call's fate is unknown.
class BrokerUnreachable : public Error {
 public:
  /// `endpoint` as ZeroMQ uses it (`tcp://127.0.0.1:5555`); `reason` a short phrase.
  BrokerUnreachable(std::string endpoint, std::string reason);
  const std::string& endpoint() const noexcept { return endpoint_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string endpoint_;
  std::string reason_;
};

/// A peer sent something that does not follow the protocol (bad frames, bad JSON in a reply).
class ProtocolError : public Error {
 public:
  using Error::Error;
};

/// The broker does not offer a service roc asked it for: it answered an 8/MMI query with 501 (not
/// implemented), as a plain Majordomo broker does for roc's `mmi.objects`.
class NotSupported : public ProtocolError {
 public:
  using ProtocolError::ProtocolError;
};

/// Throws the RemoteError subclass that matches `code`.
[[noreturn]] void throw_remote_error(int code, std::string message, std::string data_json = {});

}  // namespace roc
