// NumPy .npy files (format version 1.0), the way `roc call --save` hands an array to numpy,
// ImageJ, napari and most image tools: a short text header, then the raw elements.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace roc::cli {

/// The numpy dtype string of an IDL numeric scalar in byte order `order` ("little" or "big"):
/// `uint16`, `little` -> `<u2`; one-byte types have no order (`|u1`). Empty when `type` or
/// `order` is not one roc sends (idl/PROTOCOL.md §3.3).
std::string npy_descr(std::string_view type, std::string_view order);

/// The size in bytes of an element of IDL numeric scalar `type`; 0 for any other name.
std::size_t element_size(std::string_view type);

/// The bytes before the data of a version 1.0 .npy file of C-ordered `shape` elements of
/// `descr`: magic, version, header length, the header dict, padded with spaces and a newline so
/// that the data starts at a multiple of 64 bytes. Throws std::invalid_argument when the header
/// would not fit version 1.0's 16-bit length.
std::string npy_header(std::string_view descr, const std::vector<std::size_t>& shape);

/// Writes header and `data` to `path`, replacing the file. Throws std::runtime_error naming the
/// path and the reason; leaves no partial file behind.
void write_npy(const std::string& path, std::string_view descr, const std::vector<std::size_t>& shape,
               std::string_view data);

}  // namespace roc::cli
