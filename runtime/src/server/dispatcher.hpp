// JSON-RPC 2.0 dispatch onto one bound object: batches, notifications, system methods, and the
// total error boundary (nothing a method or a body does escapes as an exception).
#pragma once

#include "roc/binding.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace roc::detail {

class Dispatcher {
 public:
  /// `object` must outlive the dispatcher; `object_id` names it in error messages.
  Dispatcher(std::string object_id, std::shared_ptr<const InterfaceTable> table, void* object);

  /// Handles one request body (a request or a batch) and returns the reply body: the response,
  /// an array of responses, or an empty string when the body held only notifications.
  /// `attachments` are the request's (null: none came); with `reply_attachments`, bulk values of
  /// results go there instead of into the JSON (the caller asked for attachments).
  /// Never throws for anything the body contains or the method does.
  std::string handle(std::string_view body, AttachmentSource* attachments = nullptr,
                     AttachmentSink* reply_attachments = nullptr);

  const std::string& object_id() const noexcept { return object_id_; }
  const InterfaceTable& table() const noexcept { return *table_; }

 private:
  class Call;
  std::string object_id_;
  std::shared_ptr<const InterfaceTable> table_;
  void* object_;
};

}  // namespace roc::detail
