// Wire details of status updates shared by publishers, the broker's cache and subscribers:
// topics, the sequence and stamp frames, stale notices, the snapshot request carried by a
// subscription and its sources frame, and mask cutting (PROTOCOL §5.2-5.5).
#pragma once

#include <roc/json_reader.hpp>
#include <roc/status.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roc::detail::status {

/// Live update: [ "status.<path>", <subtree JSON>, <seq decimal>, <stamp JSON> ]. Publishers send
/// [ topic, subtree, stamp ]; the broker puts the seq in third place and passes on the stamp
/// (its own, for a publisher that sent none or one it cannot read).
inline constexpr std::string_view topic_prefix = "status.";
/// Stale notice, made by the broker only: [ "roc.stale.<path>", <stamp JSON with "reason">, <seq> ].
inline constexpr std::string_view stale_prefix = "roc.stale.";
/// A stamp frame longer than this is not read: the broker stamps the update itself.
inline constexpr std::size_t max_stamp_bytes = 1024;
/// The broker cache's upstream subscription: every status topic, and distinct from any
/// subscriber's prefix so publishers can tell a broker (re)connecting from a new subscriber.
inline constexpr std::string_view cache_subscription = "status";

/// A snapshot request is a subscription to `roc.snapshot.<token> <masks JSON array>`. The broker
/// sees it on its XPUB in order after the same subscriber's mask subscriptions and answers at once
/// with [ <that same topic>, <merged tree under the masks>, <seq> ] — the one message only that
/// subscriber receives, placed in the stream exactly between the updates it reflects and the
/// ones it does not.
inline constexpr std::string_view snapshot_prefix = "roc.snapshot.";

using Path = std::vector<std::string>;

/// "a.b" → {"a","b"}; "" → {}. Throws std::invalid_argument on empty segments.
Path split(std::string_view path);
std::string join(const Path& path);
/// Whether `a` is a whole-segment prefix of `b` (equal counts).
bool is_prefix(const Path& a, const Path& b);
/// Whether one of the two is a whole-segment prefix of the other.
inline bool related(const Path& a, const Path& b) { return is_prefix(a, b) || is_prefix(b, a); }

/// Masks without the ones already covered by a shorter mask; {} or a "" mask → {{}} (everything).
std::vector<Path> normalize_masks(const std::vector<std::string>& masks);

/// The ZeroMQ prefixes that receive everything the masks need: "status." + each first segment,
/// or "status." for the root. Updates emitted above a mask's first segment (at the root) do not
/// exist: emit() needs a non-empty path.
/// `prefix` is the topic family: topic_prefix for updates, stale_prefix for stale notices.
std::vector<std::string> zmq_prefixes(const std::vector<Path>& masks, std::string_view prefix = topic_prefix);

/// The part of `value` (the subtree at `at`) under the masks, with the masks' ancestors below
/// `at`, written into `out`. False when nothing of it is under any mask.
bool cut(const Path& at, const rapidjson::Value& value, const std::vector<Path>& masks,
         rapidjson::Value& out, rapidjson::Document::AllocatorType& a);

/// JSON Merge Patch (RFC 7386) of `patch` into `target`.
void merge_patch(rapidjson::Value& target, const rapidjson::Value& patch,
                 rapidjson::Document::AllocatorType& a);
/// Merges `value` rooted at `path` into the object `root`.
void merge_at(rapidjson::Value& root, const Path& path, const rapidjson::Value& value,
              rapidjson::Document::AllocatorType& a);

/// Reads the body of a status message rooted `path_depth` segments below the tree's root. The
/// path's segments and the body's nesting together stay within json::max_depth, so a tree merged
/// from updates stays shallow enough to copy and write (both recurse in RapidJSON). On error
/// the message says why; the update is to be dropped and counted.
json::ReadError read_body(rapidjson::Document& doc, std::size_t path_depth, std::string_view text);

/// Seconds since the UNIX epoch, fractional, as stamps carry them; and back.
double to_unix_seconds(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_unix_seconds(double seconds);

/// A stamp: {"emitted":<UNIX seconds>,"publisher":{"program":..,"host":..,"pid":..} or null}.
std::string write_stamp(const StatusSource& source);
/// A stamp's source (path empty, not stale); nullopt when `text` is not a stamp (too long, not
/// JSON, "emitted" not a finite number, a publisher member of the wrong type). Unknown members
/// are ignored, so stamps can grow.
std::optional<StatusSource> read_stamp(std::string_view text);
/// A stale notice's body: the stamp of the source and why it went stale.
std::string write_stale_notice(const StatusSource& source, std::string_view reason);
/// A snapshot's sources frame: [{"path":..,"emitted":..,"publisher":..,"stale":..}, ...].
std::string write_sources(const std::vector<StatusSource>& sources);
/// Nullopt when `text` is not a sources frame; entries with a malformed path are skipped.
std::optional<std::vector<StatusSource>> read_sources(std::string_view text);

/// The sequence frame's text, or nullopt when absent or not a number.
std::optional<std::uint64_t> parse_seq(std::string_view text);

/// The snapshot request topic for a token and masks, and its parts taken back apart.
std::string snapshot_request(std::string_view token, const std::vector<std::string>& masks);
/// The masks of a snapshot request subscription (without the leading 0x01), or nullopt when
/// `topic` is not one.
std::optional<std::vector<std::string>> parse_snapshot_request(std::string_view topic);

}  // namespace roc::detail::status
