// Attachments ↔ frames: zero-copy out when the bytes have an owner, views in when received.
#include "wire/attachment_frames.hpp"

#include "roc/json.hpp"
#include "roc/json_reader.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

namespace roc::detail {
namespace {
// Below this, copying the bytes costs less than the owner's bookkeeping.
constexpr std::size_t copy_below = 4096;
}  // namespace

mdp::Frames message_frames(std::string&& json, std::vector<OutgoingAttachment>& attachments) {
  mdp::Frames frames;
  frames.reserve(1 + attachments.size());
  frames.push_back(mdp::frame_from(std::move(json)));
  for (auto& a : attachments) {
    if (a.size < copy_below) {
      frames.emplace_back(a.data, a.size);
      continue;
    }
    auto* keep = new std::shared_ptr<const void>(std::move(a.owner));
    frames.emplace_back(
        const_cast<void*>(a.data), a.size,
        [](void*, void* hint) { delete static_cast<std::shared_ptr<const void>*>(hint); }, keep);
  }
  return frames;
}

AttachmentSource attachments_of(mdp::Frames& frames, std::size_t first) {
  std::vector<IncomingAttachment> items;
  if (frames.size() > first) items.reserve(frames.size() - first);
  for (std::size_t i = first; i < frames.size(); ++i) {
    auto frame = std::make_shared<zmq::message_t>(std::move(frames[i]));
    items.push_back(IncomingAttachment{frame->data(), frame->size(), frame});
  }
  return AttachmentSource(std::move(items));
}

std::string inline_attachments(mdp::Frames& body, std::size_t max_bytes) {
  json::Document doc;
  const auto& first = body.front();
  if (auto error = json::read(doc, std::string_view(static_cast<const char*>(first.data()), first.size())))
    return "the request body cannot be read: " + error.message;
  auto source = attachments_of(body);
  try {
    // Every element becomes a 16-byte JSON value before it becomes text: bound the memory that
    // takes by the request size limit, whatever element type and shape a peer chose.
    json::inline_attachments(doc, doc.GetAllocator(), source, max_bytes / sizeof(json::Value));
  } catch (const json::DecodeError& error) {
    return fmt::format("an attachment of the request cannot be read: {}", error.what());
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  doc.Accept(w);
  if (buffer.GetSize() > max_bytes)
    return fmt::format("its attachments make {} bytes of JSON for a worker that reads no attachments (limit {})",
                       buffer.GetSize(), max_bytes);
  body.clear();
  body.push_back(mdp::frame_from(std::string(buffer.GetString(), buffer.GetSize())));
  return {};
}

}  // namespace roc::detail
