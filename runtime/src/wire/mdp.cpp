// 7/MDP frame layouts (rfc.zeromq.org/spec/7) and roc's READY credit frame (PROTOCOL §2.3).
#include "wire/mdp.hpp"

#include "roc/json_reader.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

namespace roc::detail::mdp {
namespace {

constexpr std::uint32_t max_credit = 1u << 20;
// READY features (PROTOCOL §2.3): reads attachments in requests; takes CANCEL and `call=`;
// may send PROGRESS.
constexpr std::string_view attachments_feature = "attachments";
constexpr std::string_view cancel_feature = "cancel";
constexpr std::string_view progress_feature = "progress";
// A DISCONNECT reason longer than this is cut: it is only ever logged.
constexpr std::size_t max_reason = 512;

std::string_view view(const zmq::message_t& m) {
  return {static_cast<const char*>(m.data()), m.size()};
}

template <class T>
Decoded<T> fail(std::string error) {
  Decoded<T> d;
  d.error = std::move(error);
  return d;
}

void send_text(zmq::socket_t& s, std::string_view text, zmq::send_flags flags = zmq::send_flags::sndmore) {
  s.send(zmq::const_buffer(text.data(), text.size()), flags);
}

// An empty `body` still ends the message (with one empty frame): the frames before it were sent
// with SNDMORE, and leaving the message open would glue it to the next one on the socket.
void send_body(zmq::socket_t& s, Frames& body) {
  if (body.empty()) {
    s.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::none);
    return;
  }
  for (std::size_t i = 0; i < body.size(); ++i)
    s.send(body[i], i + 1 < body.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
}

// Returns whether the message's first frame was accepted. With a send timeout set, a socket at
// its high-water mark refuses the first frame; once it is taken, libzmq takes the whole message.
bool send_envelope(zmq::socket_t& s, const zmq::message_t* identity) {
  if (identity != nullptr)
    return s.send(zmq::const_buffer(identity->data(), identity->size()), zmq::send_flags::sndmore) &&
           s.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
  return s.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore).has_value();
  return true;
}

void send_command_byte(zmq::socket_t& s, Command c, zmq::send_flags flags) {
  const auto byte = static_cast<std::uint8_t>(c);
  s.send(zmq::const_buffer(&byte, 1), flags);
}

// Object ids end up in JSON (mmi.objects, error messages) and in logs: a worker may only
// register one that is valid UTF-8 without control characters, at most 255 bytes long.
bool printable_utf8(std::string_view text) {
  return text.size() <= 255 && roc::json::is_utf8(text) &&
         std::none_of(text.begin(), text.end(), [](char c) { return (c >= 0 && c < 0x20) || c == 0x7f; });
}

// A call's name on the wire (PROTOCOL §2.6): decimal, 1 to 2^64-1, nothing else.
bool parse_call(std::string_view text, std::uint64_t& call) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), call);
  return !text.empty() && ec == std::errc{} && end == text.data() + text.size() && call != 0;
}

// Frames from `first` on are the body; at least one is required, except after a cancel header
// where `cancels` allows one (client → broker). A call header in front of the body (`header`
// given) is taken off into `*header`; a bad one is an error.
bool take_body(Frames& frames, std::size_t first, Frames& body, std::optional<CallHeader>* header,
               std::string& error, bool cancels = false) {
  if (header != nullptr && frames.size() > first && is_call_header(view(frames[first]))) {
    *header = parse_call_header(view(frames[first]), error);
    if (!*header) return false;
    ++first;
    if ((*header)->cancel != 0) {
      error = !cancels ? "a cancel where none may go" : frames.size() > first ? "a cancel with a body" : "";
      return error.empty();
    }
  }
  if (frames.size() <= first) {
    error = header != nullptr && *header ? "a call header without a body" : "";
    return false;
  }
  body.reserve(frames.size() - first);
  for (std::size_t i = first; i < frames.size(); ++i) body.push_back(std::move(frames[i]));
  return true;
}

// Decodes the part of a worker-protocol message that follows the protocol frame.
// `at` is the index of the command frame; `from_worker` says which commands are legal.
Decoded<WorkerMessage> decode_worker_command(Frames& frames, std::size_t at, bool from_worker) {
  if (frames.size() <= at) return fail<WorkerMessage>("MDPW01 message without a command frame");
  if (frames[at].size() != 1)
    return fail<WorkerMessage>(fmt::format("MDPW01 command frame has {} bytes, expected 1", frames[at].size()));

  WorkerMessage m;
  m.command = static_cast<Command>(*static_cast<const std::uint8_t*>(frames[at].data()));
  const std::size_t next = at + 1;
  switch (m.command) {
    case Command::ready: {
      if (!from_worker) return fail<WorkerMessage>("READY sent to a worker");
      if (frames.size() <= next || frames[next].size() == 0)
        return fail<WorkerMessage>("READY without a service name");
      if (!printable_utf8(view(frames[next])))
        return fail<WorkerMessage>("READY with a service name that is not printable UTF-8 of at most 255 bytes");
      m.service = std::string(view(frames[next]));
      if (frames.size() > next + 1) {
        auto text = view(frames[next + 1]);
        std::uint32_t credit = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), credit);
        if (ec != std::errc{} || end != text.data() + text.size() || credit == 0 || credit > max_credit)
          return fail<WorkerMessage>(fmt::format("READY credit frame '{}' is not a number from 1 to {}",
                                                 text.substr(0, 32), max_credit));
        m.credit = credit;
        m.credit_frame = true;
      }
      // Features: space-separated words; words a later version adds mean nothing to us.
      if (frames.size() > next + 2) {
        auto words = view(frames[next + 2]);
        while (!words.empty()) {
          const auto word = words.substr(0, words.find(' '));
          if (word == attachments_feature) m.attachments = true;
          if (word == cancel_feature) m.cancel = true;
          if (word == progress_feature) m.progress = true;
          words.remove_prefix(std::min(words.size(), word.size() + 1));
        }
      }
      // Worker info is for display only: a bad frame is set aside, never a reason to refuse.
      if (frames.size() > next + 3) m.info = parse_worker_info(view(frames[next + 3]), m.info_error);
      break;
    }
    case Command::request:
    case Command::reply: {
      if ((m.command == Command::request) == from_worker)
        return fail<WorkerMessage>(fmt::format("{} sent in the wrong direction", command_name(m.command)));
      if (frames.size() <= next + 1 || frames[next].size() == 0)
        return fail<WorkerMessage>(fmt::format("{} without a client address", command_name(m.command)));
      if (frames[next + 1].size() != 0)
        return fail<WorkerMessage>(fmt::format("{} lacks the empty frame after the client address",
                                               command_name(m.command)));
      m.client = std::move(frames[next]);
      std::string error;
      if (!take_body(frames, next + 2, m.body, m.command == Command::request ? &m.header : nullptr, error))
        return fail<WorkerMessage>(error.empty() ? fmt::format("{} without a body", command_name(m.command))
                                                 : fmt::format("{}: {}", command_name(m.command), error));
      break;
    }
    case Command::progress:
    case Command::cancel: {
      if ((m.command == Command::progress) != from_worker)
        return fail<WorkerMessage>(fmt::format("{} sent in the wrong direction", command_name(m.command)));
      if (frames.size() <= next + 2 || frames[next].size() == 0 || frames[next + 1].size() != 0)
        return fail<WorkerMessage>(fmt::format("{} needs a client address, an empty frame and a call",
                                               command_name(m.command)));
      if (!parse_call(view(frames[next + 2]), m.call))
        return fail<WorkerMessage>(fmt::format("{} call frame '{}' is not a number from 1 to 2^64-1",
                                               command_name(m.command), view(frames[next + 2]).substr(0, 32)));
      const std::size_t frames_expected = m.command == Command::progress ? next + 4 : next + 3;
      if (frames.size() != frames_expected)
        return fail<WorkerMessage>(fmt::format("{} has {} frames, expected {}", command_name(m.command),
                                               frames.size(), frames_expected));
      m.client = std::move(frames[next]);
      if (m.command == Command::progress) m.body.push_back(std::move(frames[next + 3]));
      break;
    }
    case Command::disconnect:
      // Frames after the command are ignored by plain 7/MDP peers; roc's broker puts a reason there.
      if (!from_worker && frames.size() > next) m.reason = std::string(view(frames[next]).substr(0, max_reason));
      break;
    case Command::heartbeat:
      break;
    default:
      return fail<WorkerMessage>(fmt::format("unknown MDPW01 command 0x{:02x}",
                                             static_cast<unsigned>(m.command)));
  }
  Decoded<WorkerMessage> d;
  d.message = std::move(m);
  return d;
}

// A call header may come first both ways: on requests and cancels (client → broker), and on
// events, which are not replies (broker → client, PROTOCOL §2.6).
Decoded<ClientMessage> decode_client_part(Frames& frames, std::size_t at, bool at_broker) {
  if (frames.size() <= at || frames[at].size() == 0)
    return fail<ClientMessage>("MDPC01 message without a service name");
  ClientMessage m;
  m.service = std::string(view(frames[at]));
  std::string error;
  if (!take_body(frames, at + 1, m.body, &m.header, error, /*cancels=*/at_broker))
    return fail<ClientMessage>(error.empty() ? "MDPC01 message without a body" : "MDPC01 message: " + error);
  Decoded<ClientMessage> d;
  d.message = std::move(m);
  return d;
}

constexpr std::string_view header_magic = "roc/1";
constexpr std::string_view timeout_key = "timeout-ms";
constexpr std::string_view attach_key = "attach";
constexpr std::string_view call_key = "call";
constexpr std::string_view progress_key = "progress";
constexpr std::string_view cancel_key = "cancel";
constexpr std::string_view event_key = "event";
constexpr std::string_view progress_event = "progress";
// Room for the longest header: every field at its longest value.
constexpr std::size_t max_header = 160;

char* write_field(char* end, std::string_view key, std::string_view value) {
  *end++ = ' ';
  end = std::copy(key.begin(), key.end(), end);
  *end++ = '=';
  return std::copy(value.begin(), value.end(), end);
}

// Decimal digits of `value` in `digits` (room for 20).
std::string_view decimal(std::uint64_t value, char (&digits)[24]) {
  const auto length = std::to_chars(digits, digits + sizeof digits, value).ptr - digits;
  return {digits, static_cast<std::size_t>(length)};
}

char* write_number_field(char* end, std::string_view key, std::uint64_t value) {
  char digits[24];
  return write_field(end, key, decimal(value, digits));
}

// Writes the header text into `out` (max_header bytes) and returns its length. A buffer on the
// stack: every call carries a header, and a heap string costs on the hot path.
std::size_t write_call_header(const CallHeader& header, char* out) {
  char* end = std::copy(header_magic.begin(), header_magic.end(), out);
  if (header.timeout) end = write_number_field(end, timeout_key, static_cast<std::uint64_t>(header.timeout->count()));
  if (header.attachments) end = write_field(end, attach_key, "1");
  if (header.call != 0) end = write_number_field(end, call_key, header.call);
  if (header.progress) end = write_field(end, progress_key, "1");
  if (header.cancel != 0) end = write_number_field(end, cancel_key, header.cancel);
  if (header.event == CallHeader::Event::progress) end = write_field(end, event_key, progress_event);
  return static_cast<std::size_t>(end - out);
}

void send_header(zmq::socket_t& s, const CallHeader* header) {
  if (header == nullptr) return;
  char text[max_header];
  send_text(s, std::string_view(text, write_call_header(*header, text)));
}

}  // namespace

std::string format_call_header(const CallHeader& header) {
  char text[max_header];
  return std::string(text, write_call_header(header, text));
}

bool is_call_header(std::string_view frame) {
  return frame.substr(0, header_magic.size()) == header_magic &&
         (frame.size() == header_magic.size() || frame[header_magic.size()] == ' ');
}

std::optional<CallHeader> parse_call_header(std::string_view frame, std::string& error) {
  CallHeader header;
  auto rest = frame.substr(header_magic.size());
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    rest = rest.substr(start);
    const auto field = rest.substr(0, rest.find(' '));
    rest = rest.substr(field.size());
    const auto equals = field.find('=');
    const auto key = field.substr(0, equals);
    const auto value = equals == std::string_view::npos ? std::string_view{} : field.substr(equals + 1);
    if (key == attach_key || key == progress_key) {
      if (value != "0" && value != "1") {
        error = fmt::format("call header field {} must be 0 or 1, got '{}'", key, value.substr(0, 32));
        return std::nullopt;
      }
      (key == attach_key ? header.attachments : header.progress) = value == "1";
      continue;
    }
    if (key == call_key || key == cancel_key) {
      if (!parse_call(value, key == call_key ? header.call : header.cancel)) {
        error = fmt::format("call header field {} must be a number from 1 to 2^64-1, got '{}'", key,
                            value.substr(0, 32));
        return std::nullopt;
      }
      continue;
    }
    if (key == event_key) {
      header.event = value == progress_event ? CallHeader::Event::progress : CallHeader::Event::unknown;
      continue;
    }
    if (key != timeout_key) continue;  // a later version's field: not ours to judge
    std::uint32_t ms = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size()) {
      error = fmt::format("call header field {} must be a number of milliseconds from 0 to {}, got '{}'",
                          timeout_key, std::numeric_limits<std::uint32_t>::max(), value.substr(0, 32));
      return std::nullopt;
    }
    header.timeout = std::chrono::milliseconds(ms);
  }
  return header;
}

zmq::message_t frame_from(std::string&& text) {
  constexpr std::size_t copy_below = 4096;
  if (text.size() < copy_below) return zmq::message_t(text.data(), text.size());
  auto* owned = new std::string(std::move(text));
  return zmq::message_t(
      owned->data(), owned->size(), [](void*, void* hint) { delete static_cast<std::string*>(hint); }, owned);
}

std::string_view command_name(Command command) {
  switch (command) {
    case Command::ready: return "READY";
    case Command::request: return "REQUEST";
    case Command::reply: return "REPLY";
    case Command::heartbeat: return "HEARTBEAT";
    case Command::disconnect: return "DISCONNECT";
    case Command::progress: return "PROGRESS";
    case Command::cancel: return "CANCEL";
  }
  return "unknown";
}

Decoded<BrokerInbound> decode_at_broker(Frames& frames) {
  if (frames.size() < 3) return fail<BrokerInbound>(fmt::format("{} frames, 7/MDP needs at least 3", frames.size()));
  if (frames[1].size() != 0) return fail<BrokerInbound>("first frame after the identity is not empty");

  BrokerInbound in;
  auto protocol = view(frames[2]);
  if (protocol == client_protocol) {
    auto c = decode_client_part(frames, 3, /*at_broker=*/true);
    if (!c) return fail<BrokerInbound>(std::move(c.error));
    in.client = std::move(c.message);
  } else if (protocol == worker_protocol) {
    auto w = decode_worker_command(frames, 3, /*from_worker=*/true);
    if (!w) return fail<BrokerInbound>(std::move(w.error));
    in.worker = std::move(w.message);
  } else {
    return fail<BrokerInbound>(fmt::format("unknown protocol '{}'", protocol.substr(0, 16)));
  }
  in.sender = std::move(frames[0]);
  Decoded<BrokerInbound> d;
  d.message = std::move(in);
  return d;
}

Decoded<WorkerMessage> decode_at_worker(Frames& frames) {
  if (frames.size() < 3 || frames[0].size() != 0 || view(frames[1]) != worker_protocol)
    return fail<WorkerMessage>("expected an empty frame and MDPW01");
  return decode_worker_command(frames, 2, /*from_worker=*/false);
}

Decoded<ClientMessage> decode_at_client(Frames& frames) {
  if (frames.size() < 3 || frames[0].size() != 0 || view(frames[1]) != client_protocol)
    return fail<ClientMessage>("expected an empty frame and MDPC01");
  return decode_client_part(frames, 2, /*at_broker=*/false);
}

bool send_request(zmq::socket_t& dealer, std::string_view service, Frames body, const CallHeader* header) {
  if (!send_envelope(dealer, nullptr)) return false;
  send_text(dealer, client_protocol);
  send_text(dealer, service);
  send_header(dealer, header);
  send_body(dealer, body);
  return true;
}

bool send_to_client(zmq::socket_t& router, const zmq::message_t& client, std::string_view service,
                    Frames& body) {
  if (!send_envelope(router, &client)) return false;
  send_text(router, client_protocol);
  send_text(router, service);
  send_body(router, body);
  return true;
}

bool send_ready(zmq::socket_t& dealer, std::string_view service, std::uint32_t credit, const WorkerInfo* info) {
  if (!send_envelope(dealer, nullptr)) return false;
  send_text(dealer, worker_protocol);
  send_command_byte(dealer, Command::ready, zmq::send_flags::sndmore);
  send_text(dealer, service);
  send_text(dealer, std::to_string(credit));
  // One frame, as PROTOCOL §2.3 spells it.
  send_text(dealer, "attachments cancel progress", info != nullptr ? zmq::send_flags::sndmore : zmq::send_flags::none);
  if (info != nullptr) send_text(dealer, format_worker_info(*info), zmq::send_flags::none);
  return true;
}

std::string format_worker_info(const WorkerInfo& info) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("host");
  w.String(info.host.data(), static_cast<rapidjson::SizeType>(info.host.size()));
  w.Key("pid");
  w.Uint(info.pid);
  w.Key("program");
  w.String(info.program.data(), static_cast<rapidjson::SizeType>(info.program.size()));
  w.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<WorkerInfo> parse_worker_info(std::string_view frame, std::string& error) {
  if (frame.size() > max_worker_info_bytes) {
    error = fmt::format("worker info of {} bytes (at most {})", frame.size(), max_worker_info_bytes);
    return std::nullopt;
  }
  rapidjson::Document d;
  if (roc::json::read(d, frame) || !d.IsObject()) {
    error = "worker info that is not a JSON object";
    return std::nullopt;
  }
  WorkerInfo info;
  for (const auto* name : {"host", "program"}) {
    const auto it = d.FindMember(name);
    if (it == d.MemberEnd() || !it->value.IsString() ||
        !printable_utf8({it->value.GetString(), it->value.GetStringLength()})) {
      error = fmt::format("worker info whose {} is not printable UTF-8 of at most 255 bytes", name);
      return std::nullopt;
    }
    (name == std::string_view("host") ? info.host : info.program).assign(it->value.GetString(),
                                                                          it->value.GetStringLength());
  }
  const auto pid = d.FindMember("pid");
  if (pid == d.MemberEnd() || !pid->value.IsUint() || pid->value.GetUint() == 0) {
    error = "worker info whose pid is not an integer from 1 to 4294967295";
    return std::nullopt;
  }
  info.pid = pid->value.GetUint();
  return info;
}

bool send_reply(zmq::socket_t& dealer, const zmq::message_t& client, Frames body) {
  if (!send_envelope(dealer, nullptr)) return false;
  send_text(dealer, worker_protocol);
  send_command_byte(dealer, Command::reply, zmq::send_flags::sndmore);
  dealer.send(zmq::const_buffer(client.data(), client.size()), zmq::send_flags::sndmore);
  dealer.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
  send_body(dealer, body);
  return true;
}

bool send_cancel_request(zmq::socket_t& dealer, std::string_view service, std::uint64_t call) {
  if (!send_envelope(dealer, nullptr)) return false;
  send_text(dealer, client_protocol);
  send_text(dealer, service);
  CallHeader header;
  header.cancel = call;
  char text[max_header];
  send_text(dealer, std::string_view(text, write_call_header(header, text)), zmq::send_flags::none);
  return true;
}

bool send_progress_to_client(zmq::socket_t& router, const zmq::message_t& client, std::string_view service,
                             std::uint64_t call, const zmq::message_t& body) {
  if (!send_envelope(router, &client)) return false;
  send_text(router, client_protocol);
  send_text(router, service);
  CallHeader header;
  header.call = call;
  header.event = CallHeader::Event::progress;
  send_header(router, &header);
  router.send(zmq::const_buffer(body.data(), body.size()), zmq::send_flags::none);
  return true;
}

bool send_progress(zmq::socket_t& dealer, const zmq::message_t& client, std::uint64_t call, std::string_view body) {
  // Progress is worth less than the call it reports on: never wait for a full queue.
  if (!dealer.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) return false;
  send_text(dealer, worker_protocol);
  send_command_byte(dealer, Command::progress, zmq::send_flags::sndmore);
  dealer.send(zmq::const_buffer(client.data(), client.size()), zmq::send_flags::sndmore);
  dealer.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
  char digits[24];
  send_text(dealer, decimal(call, digits));
  send_text(dealer, body, zmq::send_flags::none);
  return true;
}

bool send_cancel(zmq::socket_t& router, const zmq::message_t& worker, const zmq::message_t& client,
                 std::uint64_t call) {
  if (!send_envelope(router, &worker)) return false;
  send_text(router, worker_protocol);
  send_command_byte(router, Command::cancel, zmq::send_flags::sndmore);
  router.send(zmq::const_buffer(client.data(), client.size()), zmq::send_flags::sndmore);
  router.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
  char digits[24];
  send_text(router, decimal(call, digits), zmq::send_flags::none);
  return true;
}

bool send_command(zmq::socket_t& socket, Command command, const zmq::message_t* worker_identity) {
  if (!send_envelope(socket, worker_identity)) return false;
  send_text(socket, worker_protocol);
  send_command_byte(socket, command, zmq::send_flags::none);
  return true;
}

bool send_disconnect(zmq::socket_t& router, const zmq::message_t& worker, std::string_view reason) {
  if (!send_envelope(router, &worker)) return false;
  send_text(router, worker_protocol);
  send_command_byte(router, Command::disconnect, zmq::send_flags::sndmore);
  send_text(router, reason.substr(0, max_reason), zmq::send_flags::none);
  return true;
}

bool send_to_worker(zmq::socket_t& router, const zmq::message_t& worker, const zmq::message_t& client,
                    Frames& body, const CallHeader* header) {
  if (!send_envelope(router, &worker)) return false;
  send_text(router, worker_protocol);
  send_command_byte(router, Command::request, zmq::send_flags::sndmore);
  router.send(zmq::const_buffer(client.data(), client.size()), zmq::send_flags::sndmore);
  router.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::sndmore);
  send_header(router, header);
  send_body(router, body);
  return true;
}

}  // namespace roc::detail::mdp
