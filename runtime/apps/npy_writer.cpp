// NumPy .npy writer (see npy_writer.hpp; the format: numpy.lib.format, version 1.0).
#include "npy_writer.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace roc::cli {

namespace {

// The IDL numeric scalars (idl/PROTOCOL.md §3.3) and numpy's kind-and-size codes for them.
struct Kind {
  std::string_view type;
  const char* code;
};
constexpr Kind kinds[] = {{"int8", "i1"},  {"uint8", "u1"},  {"int16", "i2"}, {"uint16", "u2"}, {"int32", "i4"},
                          {"uint32", "u4"}, {"int64", "i8"}, {"uint64", "u8"}, {"float", "f4"}, {"double", "f8"}};

}  // namespace

std::size_t element_size(std::string_view type) {
  for (const auto& kind : kinds)
    if (kind.type == type) return static_cast<std::size_t>(kind.code[1] - '0');
  return 0;
}

std::string npy_descr(std::string_view type, std::string_view order) {
  char prefix;
  if (order == "little")
    prefix = '<';
  else if (order == "big")
    prefix = '>';
  else
    return {};
  for (const auto& kind : kinds)
    if (kind.type == type) {
      if (kind.code[1] == '1') prefix = '|';  // numpy's spelling for "byte order does not apply"
      return fmt::format("{}{}", prefix, kind.code);
    }
  return {};
}

std::string npy_header(std::string_view descr, const std::vector<std::size_t>& shape) {
  // Python's tuple syntax: (5,) for one dimension, () for none.
  std::string dims;
  for (std::size_t i = 0; i < shape.size(); ++i) dims += fmt::format("{}{}", i ? ", " : "", shape[i]);
  if (shape.size() == 1) dims += ',';
  std::string dict = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
  constexpr std::size_t preamble = 10;  // magic (6), version (2), header length (2)
  constexpr std::size_t alignment = 64;
  const std::size_t unpadded = preamble + dict.size() + 1;  // + the closing newline
  const std::size_t total = (unpadded + alignment - 1) / alignment * alignment;
  const std::size_t header_len = total - preamble;
  if (header_len > 0xffff) throw std::invalid_argument("the .npy header is too long for format version 1.0");
  dict.append(total - unpadded, ' ');
  dict += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header_len & 0xff);  // little-endian, whatever the host
  out += static_cast<char>(header_len >> 8);
  out += dict;
  return out;
}

void write_npy(const std::string& path, std::string_view descr, const std::vector<std::size_t>& shape,
               std::string_view data) {
  const std::string header = npy_header(descr, shape);
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  bool ok = std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
            std::fwrite(data.data(), 1, data.size(), file) == data.size();
  int error = ok ? 0 : errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    error = errno;
  }
  if (!ok) {
    std::remove(path.c_str());  // a truncated array would read back as wrong numbers, not as an error
    throw std::runtime_error(fmt::format("cannot write '{}': {}", path, std::strerror(error)));
  }
}

}  // namespace roc::cli
