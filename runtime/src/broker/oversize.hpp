// The error reply for a request body over the broker's size limit, built without a DOM so a
// huge body costs one streaming pass and no allocation proportional to its size.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace roc::detail {

/// An -32600 error reply for each request in `body` that has an id (the ids are read with a SAX
/// pass that stops as soon as a single request's id is found), naming `size` and `limit`.
/// Empty when the body holds only notifications; a null-id error when it is not JSON.
std::string oversize_reply(std::string_view body, std::size_t size, std::size_t limit);

}  // namespace roc::detail
