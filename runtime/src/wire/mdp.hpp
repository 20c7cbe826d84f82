// 7/MDP (Majordomo Protocol 0.1) codec: frames ↔ typed messages, plus roc's extensions (the
// credit frame on READY, the call header frame on requests). No sockets are read or written here
// beyond the send helpers; no state is kept.
#pragma once

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roc::detail::mdp {

inline constexpr std::string_view client_protocol = "MDPC01";
inline constexpr std::string_view worker_protocol = "MDPW01";

enum class Command : std::uint8_t {
  ready = 0x01,
  request = 0x02,
  reply = 0x03,
  heartbeat = 0x04,
  disconnect = 0x05,
  progress = 0x06,  ///< roc: worker → broker, how far a call has got (PROTOCOL §2.6)
  cancel = 0x07,    ///< roc: broker → worker, the caller cancelled a call (PROTOCOL §2.6)
};

/// Name of a command for logs ("READY", ...); "unknown" for anything else.
std::string_view command_name(Command command);

using Frames = std::vector<zmq::message_t>;

/// roc's call header (PROTOCOL §2.5): an optional first body frame of a request, the text
/// `roc/1` followed by space-separated `key=value` fields. It never reaches a peer that did not
/// ask for it: the broker strips it for third-party workers. Unknown keys are ignored, so later
/// versions can add fields.
struct CallHeader {
  /// How long the caller still waits for the reply, counted from when the frame was received.
  std::optional<std::chrono::milliseconds> timeout;
  /// The caller reads attachments (`attach=1`): the reply may carry its bulk values as frames.
  bool attachments = false;
  /// The caller's name for the call (`call=N`, 1 … 2^64-1; 0: none): what a cancel and progress
  /// events name (PROTOCOL §2.6). roc clients use the JSON-RPC id.
  std::uint64_t call = 0;
  /// The caller wants progress events for this call (`progress=1`; needs `call`).
  bool progress = false;
  /// A cancel (`cancel=N`, client → broker): the message has no body and cancels call N.
  std::uint64_t cancel = 0;
  /// Broker → client: what the header-led message is (`event=progress`); none on requests.
  enum class Event { none, progress, unknown } event = Event::none;
};

/// The header as frame text ("roc/1 timeout-ms=1500").
std::string format_call_header(const CallHeader& header);
/// Whether `frame` is a call header rather than a JSON body (no JSON text starts with 'r').
bool is_call_header(std::string_view frame);
/// Reads a call header frame; nullopt (and `error` set) when a known field has a bad value.
std::optional<CallHeader> parse_call_header(std::string_view frame, std::string& error);

/// Who a roc worker says it is (PROTOCOL §2.3, the frame after the features): for operators'
/// eyes only. Nothing in it is trusted beyond display.
struct WorkerInfo {
  std::string host;
  std::uint32_t pid = 0;
  std::string program;
};

/// Worker info frames longer than this are ignored unread.
inline constexpr std::size_t max_worker_info_bytes = 1024;

/// The frame text: `{"host":"lab-pc","pid":4242,"program":"vnir-server"}`.
std::string format_worker_info(const WorkerInfo& info);
/// Reads a worker info frame; nullopt (and `error` set) when it breaks PROTOCOL §2.3's rules:
/// not a JSON object of at most max_worker_info_bytes, `host` or `program` not printable UTF-8
/// of at most 255 bytes, `pid` not an integer from 1 to 2^32-1. Unknown members are ignored.
std::optional<WorkerInfo> parse_worker_info(std::string_view frame, std::string& error);

/// What a worker says to the broker, or the broker to a worker (after the peer's envelope).
struct WorkerMessage {
  Command command{};
  std::string service;         ///< READY: the object id
  std::uint32_t credit = 1;    ///< READY: requests the broker may keep in flight (roc extension)
  bool credit_frame = false;   ///< READY: the credit frame was there: a roc worker, which takes call headers
  bool attachments = false;    ///< READY: the features frame names `attachments`: it reads them in requests
  zmq::message_t client;       ///< REQUEST/REPLY/PROGRESS/CANCEL: the client's routing address
  std::uint64_t call = 0;      ///< PROGRESS/CANCEL: the caller's name for the call (PROTOCOL §2.6)
  bool cancel = false;         ///< READY: the features name `cancel`: it takes CANCEL and `call=`
  bool progress = false;       ///< READY: the features name `progress`: it may send PROGRESS
  std::optional<WorkerInfo> info;  ///< READY: who the worker says it is; none when absent or unreadable
  std::string info_error;      ///< READY: why a worker info frame that was there was set aside
  std::optional<CallHeader> header;  ///< REQUEST: roc's call header, when the broker sent one
  Frames body;                 ///< REQUEST/REPLY: body frames (JSON first, attachments after); PROGRESS: one
  std::string reason;          ///< DISCONNECT: why, when the broker said (roc extension, §2.2)
};

/// What a client sends to the broker, or the broker to a client.
struct ClientMessage {
  std::string service;               ///< the object id
  /// Requests: roc's call header, when the client sent one. From the broker: set on events
  /// (progress), which are not replies.
  std::optional<CallHeader> header;
  /// Body frames (JSON first); empty only for a cancel (a header with `cancel=N` and nothing else).
  Frames body;
};

/// A message taken apart by the broker's ROUTER: who sent it and what it is.
struct BrokerInbound {
  zmq::message_t sender;                ///< routing identity of the peer
  std::optional<ClientMessage> client;  ///< set when the peer spoke MDPC01
  std::optional<WorkerMessage> worker;  ///< set when the peer spoke MDPW01
};

/// Result of decoding: the message, or why the frames are not valid 7/MDP.
template <class T>
struct Decoded {
  std::optional<T> message;
  std::string error;
  explicit operator bool() const noexcept { return message.has_value(); }
};

/// Decodes frames read from the broker's ROUTER: [identity, "", protocol, ...].
Decoded<BrokerInbound> decode_at_broker(Frames& frames);
/// Decodes frames read by a worker's DEALER: ["", "MDPW01", command, ...].
Decoded<WorkerMessage> decode_at_worker(Frames& frames);
/// Decodes frames read by a client's DEALER: ["", "MDPC01", service, body...].
Decoded<ClientMessage> decode_at_client(Frames& frames);

/// A frame holding `text`. Large texts are handed over without a copy (the frame owns them
/// until ZeroMQ has sent them); small ones are copied, which is cheaper than the bookkeeping.
zmq::message_t frame_from(std::string&& text);
/// A body of one frame.
inline Frames one_frame(zmq::message_t frame) {
  Frames frames;
  frames.push_back(std::move(frame));
  return frames;
}

// Senders. Each writes one whole multipart message; bodies are moved, not copied. Each returns
// false when the socket refused the message (its send timeout expired at the high-water mark).
// The DEALER-side senders write the empty envelope frame a REQ socket would.

/// Client → broker; `header`, when given, goes first. `body`: the JSON frame, then attachments.
bool send_request(zmq::socket_t& dealer, std::string_view service, Frames body,
                  const CallHeader* header = nullptr);
/// Broker → client.
bool send_to_client(zmq::socket_t& router, const zmq::message_t& client, std::string_view service,
                    Frames& body);
/// Client → broker: cancel call `call` to `service` (PROTOCOL §2.6).
bool send_cancel_request(zmq::socket_t& dealer, std::string_view service, std::uint64_t call);
/// Broker → client: a progress event of call `call`, `body` as the worker sent it.
bool send_progress_to_client(zmq::socket_t& router, const zmq::message_t& client, std::string_view service,
                             std::uint64_t call, const zmq::message_t& body);
/// Worker → broker: READY with roc's credit frame and features frame (`attachments cancel progress`),
/// then the worker info frame when `info` is given.
bool send_ready(zmq::socket_t& dealer, std::string_view service, std::uint32_t credit,
                const WorkerInfo* info = nullptr);
/// Worker → broker: REPLY to `client`: the JSON frame, then attachments.
bool send_reply(zmq::socket_t& dealer, const zmq::message_t& client, Frames body);
/// Worker → broker or broker → worker (pass the worker's identity to address it via ROUTER).
bool send_command(zmq::socket_t& socket, Command command,
                  const zmq::message_t* worker_identity = nullptr);
/// Broker → worker: DISCONNECT with roc's reason frame (why a READY was refused).
bool send_disconnect(zmq::socket_t& router, const zmq::message_t& worker, std::string_view reason);
/// Worker → broker: PROGRESS of call `call` from `client`; `body` is the JSON event.
bool send_progress(zmq::socket_t& dealer, const zmq::message_t& client, std::uint64_t call, std::string_view body);
/// Broker → worker: CANCEL call `call` from `client`.
bool send_cancel(zmq::socket_t& router, const zmq::message_t& worker, const zmq::message_t& client,
                 std::uint64_t call);
/// Broker → worker: REQUEST from `client`; `header`, when given, goes before the body.
bool send_to_worker(zmq::socket_t& router, const zmq::message_t& worker,
                    const zmq::message_t& client, Frames& body, const CallHeader* header = nullptr);

}  // namespace roc::detail::mdp
