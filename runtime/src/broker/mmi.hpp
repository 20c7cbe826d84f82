// 8/MMI, the broker's own services under the reserved `mmi.` prefix.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace roc::detail {

/// The reply body for an `mmi.*` request:
/// - `mmi.service` (body: an object id) → `200` when a worker serves it, else `404`;
/// - `mmi.objects` → a JSON array `[{"id":"vnir","workers":2}, ...]`, sorted by id;
/// - any other `mmi.*` → `501`.
/// `workers` maps each served id to its number of workers (ids with none are absent).
std::string mmi_reply(std::string_view service, std::string_view body,
                      const std::map<std::string, std::size_t>& workers);

}  // namespace roc::detail
