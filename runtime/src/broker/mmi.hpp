// 8/MMI, the broker's own services under the reserved `mmi.` prefix, and the JSON of the
// broker's presence reports (mmi.workers and presence events share the worker's shape).
#pragma once

#include "wire/mdp.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace roc::detail {

/// The reply body for an `mmi.*` request other than `mmi.workers` (see mmi_workers_reply):
/// - `mmi.service` (body: an object id) → `200` when a worker serves it, else `404`;
/// - `mmi.objects` → a JSON array `[{"id":"vnir","workers":2}, ...]`, sorted by id;
/// - any other `mmi.*` → `501`.
/// `workers` maps each served id to its number of workers (ids with none are absent).
std::string mmi_reply(std::string_view service, std::string_view body,
                      const std::map<std::string, std::size_t>& workers);

/// One worker as the broker reports it (PROTOCOL §4, mmi.workers).
struct WorkerReport {
  const mdp::WorkerInfo* info = nullptr;  ///< null: the worker sent none (written as nulls)
  double uptime_s = 0;
  std::uint64_t calls = 0;
  std::size_t in_flight = 0;
};

/// The `mmi.workers` reply: `[{"id":..., "workers":[{worker}, ...]}, ...]` in the order given.
std::string mmi_workers_reply(const std::vector<std::pair<std::string, std::vector<WorkerReport>>>& objects);

/// A presence event body (PROTOCOL §5.6); `reason` empty: none (arrivals).
std::string presence_event(std::string_view event, std::string_view id, const WorkerReport& worker,
                           std::size_t workers, std::string_view reason);

}  // namespace roc::detail
