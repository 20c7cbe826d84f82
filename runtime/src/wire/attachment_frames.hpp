// Attachments ↔ ZeroMQ frames (idl/PROTOCOL.md §3.3): the frames after a message's JSON body.
#pragma once

#include "wire/mdp.hpp"
#include "roc/attachment.hpp"

#include <string>
#include <vector>

namespace roc::detail {

/// The body frames of a message: `json`, then one frame per attachment. Large attachments go
/// without a copy (the frame keeps their owner alive until ZeroMQ has sent it).
mdp::Frames message_frames(std::string&& json, std::vector<OutgoingAttachment>& attachments);

/// The attachments of a received message: `frames` from index `first` on, moved out of it. Each
/// stays alive as long as a decoded value views it.
AttachmentSource attachments_of(mdp::Frames& frames, std::size_t first = 1);

/// Rewrites a request whose values travel as attachments into one plain JSON frame (references
/// replaced by arrays), for a worker that reads no attachments: a plain 7/MDP worker or an older
/// roc one. Returns an empty string on success, else why it cannot be done (a reference that does
/// not fit its attachment, a body that is not JSON, more elements than `max_bytes` / 16, or JSON
/// text longer than `max_bytes`).
std::string inline_attachments(mdp::Frames& body, std::size_t max_bytes);

}  // namespace roc::detail
