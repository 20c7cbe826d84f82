// Fuzzes the 7/MDP codec: one multipart message (each frame a length-prefixed piece, see
// fuzz_input.hpp) decoded as the broker's ROUTER, a worker's DEALER and a client's DEALER read it.
// Any frames must decode or give an error; a decoded message must keep what it was given.
#include "fuzz_input.hpp"
#include "wire/mdp.hpp"

#include <cstdlib>

namespace mdp = roc::detail::mdp;

namespace {

mdp::Frames frames_of(const std::vector<std::string_view>& pieces) {
  mdp::Frames frames;
  for (auto piece : pieces) frames.emplace_back(piece.data(), piece.size());
  return frames;
}

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roc::fuzz::Input input(data, size);
  std::vector<std::string_view> pieces;
  while (!input.empty() && pieces.size() < 64) pieces.push_back(input.piece());

  {
    auto frames = frames_of(pieces);
    auto decoded = mdp::decode_at_broker(frames);
    check(decoded || !decoded.error.empty());
    if (decoded) check(decoded.message->client.has_value() != decoded.message->worker.has_value());
    // Only a cancel has no body (PROTOCOL §2.6).
    if (decoded && decoded.message->client)
      check(!decoded.message->client->body.empty() ||
            (decoded.message->client->header && decoded.message->client->header->cancel != 0));
  }
  {
    auto frames = frames_of(pieces);
    auto decoded = mdp::decode_at_worker(frames);
    check(decoded || !decoded.error.empty());
    if (decoded) (void)mdp::command_name(decoded.message->command);
  }
  {
    auto frames = frames_of(pieces);
    auto decoded = mdp::decode_at_client(frames);
    check(decoded || !decoded.error.empty());
    if (decoded) check(!decoded.message->body.empty());
  }
  return 0;
}
