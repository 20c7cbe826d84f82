// Exception construction and the code → exception-type mapping, kept in one place.
#include "roc/error.hpp"

#include <fmt/format.h>

namespace roc {

RemoteError::RemoteError(int code, std::string message, std::string data_json)
    : Error(fmt::format("{} (code {})", message, code)),
      code_(code),
      message_(std::move(message)),
      data_json_(std::move(data_json)) {}

BrokerUnreachable::BrokerUnreachable(std::string endpoint, std::string reason)
    : Error(fmt::format("broker unreachable at {} ({})", endpoint, reason)),
      endpoint_(std::move(endpoint)),
      reason_(std::move(reason)) {}

void throw_remote_error(int code, std::string message, std::string data_json) {
  switch (code) {
    case error_code::object_not_found:
      throw ObjectNotFound(code, std::move(message), std::move(data_json));
    case error_code::object_busy:
      throw ObjectBusy(code, std::move(message), std::move(data_json));
    case error_code::not_allowed:
      throw NotAllowed(code, std::move(message), std::move(data_json));
    case error_code::cancelled:
      throw Cancelled(code, std::move(message), std::move(data_json));
    case error_code::signature_mismatch:
      throw SignatureMismatch(code, std::move(message), std::move(data_json));
    default:
      throw RemoteError(code, std::move(message), std::move(data_json));
  }
}

}  // namespace roc
