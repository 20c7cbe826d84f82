// Helpers shared by the tests: waiting on conditions with a deadline instead of sleeping.
#pragma once

#include <chrono>
#include <functional>

namespace roc::test {

/// Polls `condition` every millisecond until it holds or `timeout` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace roc::test
