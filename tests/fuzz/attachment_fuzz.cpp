// Fuzzes binary attachments (idl/PROTOCOL.md §3.3) as a worker and the broker meet them: a body
// with references and the frames after it, dispatched onto a device whose methods take and return
// every kind of attachment value; and the broker's rewrite of such a request into plain JSON for
// a worker that reads no attachments. Nothing may throw or crash, every reply must be JSON, and
// every attachment a reply carries must be named by one of its references.
#include "server/dispatcher.hpp"
#include "support/imager.hpp"
#include "wire/attachment_frames.hpp"

#include "fuzz_input.hpp"

#include <roc/json_reader.hpp>

#include <cstdlib>
#include <memory>

namespace {

// frame(n) allocates as many pixels as asked, by design: a fuzzer would only find that slow.
bool names_frame(std::string_view body) { return body.find("frame") != std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static imaging::Imager imager;
  static roc::detail::Dispatcher dispatcher("cam", imaging::imager_binding().table(), &imager);
  roc::fuzz::Input input(data, size);
  const auto flags = input.byte();
  const auto body = input.piece();
  if (names_frame(body)) return 0;
  std::vector<std::string> frames;
  for (int i = 0; i < 8 && !input.empty(); ++i) frames.emplace_back(input.piece());

  // The worker's side.
  std::vector<roc::detail::IncomingAttachment> items;
  for (auto& f : frames) items.push_back({f.data(), f.size(), nullptr});
  roc::detail::AttachmentSource source(std::move(items));
  roc::detail::AttachmentSink sink((flags & 2) != 0 ? 0 : 1024);
  const std::string reply = dispatcher.handle(body, &source, (flags & 1) != 0 ? &sink : nullptr);
  if (!reply.empty()) {
    rapidjson::Document doc;
    if (roc::json::read(doc, reply)) std::abort();  // a reply a client would choke on
    if (sink.size() > 0 && roc::json::detail::first_unreferenced(doc, sink.size())) std::abort();
  } else if (sink.size() > 0) {
    std::abort();  // attachments with no reply to name them
  }

  // The broker's side: a request for a worker that reads no attachments.
  roc::detail::mdp::Frames message;
  message.emplace_back(body.data(), body.size());
  for (auto& f : frames) message.emplace_back(f.data(), f.size());
  if (roc::detail::inline_attachments(message, 1u << 20).empty()) {
    rapidjson::Document doc;
    const auto& json = message.front();
    if (message.size() != 1 || roc::json::read(doc, std::string_view(static_cast<const char*>(json.data()), json.size())))
      std::abort();
  }
  return 0;
}
