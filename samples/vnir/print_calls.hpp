// Shared by the sample programs: runs a call, printing what was asked and what came back.
#pragma once

#include <roc/error.hpp>

#include <fmt/format.h>

#include <string_view>

namespace sample {

/// Prints `what`, runs `call` and prints its result (a string) or the error it threw.
/// Returns whether it succeeded.
template <class F>
bool show(std::string_view what, F&& call) {
  fmt::print("  {:<44} ", what);
  try {
    fmt::print("-> {}\n", call());
    return true;
  } catch (const roc::RemoteError& error) {
    fmt::print("-> error {}: {}\n", error.code(), error.message());
  } catch (const std::exception& error) {
    fmt::print("-> {}\n", error.what());
  }
  return false;
}

}  // namespace sample
