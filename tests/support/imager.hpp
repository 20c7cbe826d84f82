// A device whose methods take and return every kind of value that may travel as an attachment
// (idl/PROTOCOL.md §3.3): vectors and arrays of numbers, roc::Bytes, roc::NdArray, and structs and
// vectors of structs holding them. Bound by hand, as roc-gen would.
#pragma once

#include <roc/roc.hpp>

#include <array>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

namespace imaging {

struct Tile {
  std::string name;
  std::vector<float> samples;
  roc::NdArray<std::int32_t> image;
  bool operator==(const Tile& o) const { return name == o.name && samples == o.samples && image == o.image; }
};

// What roc-gen writes for a ROC_STRUCT, by hand.
inline void to_json(roc::json::Value& out, const Tile& t, roc::json::Allocator& a) {
  out.SetObject();
  roc::json::write_member(out, "name", t.name, a);
  roc::json::write_member(out, "samples", t.samples, a);
  roc::json::write_member(out, "image", t.image, a);
}
inline void from_json(const roc::json::Value& in, Tile& t) {
  roc::json::require_object(in, "imaging::Tile");
  roc::json::read_member(in, "name", t.name);
  roc::json::read_member(in, "samples", t.samples);
  roc::json::read_member(in, "image", t.image);
}

struct Imager {
  std::vector<double> waveform;

  std::vector<std::uint16_t> frame(std::uint32_t pixels) const {
    std::vector<std::uint16_t> f(pixels);
    std::iota(f.begin(), f.end(), std::uint16_t{7});
    return f;
  }
  std::vector<std::uint16_t> echo_u16(std::vector<std::uint16_t> v) const { return v; }
  std::vector<std::int64_t> echo_i64(std::vector<std::int64_t> v) const { return v; }
  std::array<double, 5> echo_array(std::array<double, 5> v) const { return v; }
  roc::Bytes echo_bytes(roc::Bytes b) const { return b; }
  roc::NdArray<std::uint16_t> echo_image(roc::NdArray<std::uint16_t> image) const { return image; }
  Tile echo_tile(Tile t) const { return t; }
  std::vector<Tile> echo_tiles(std::vector<Tile> t) const { return t; }
  std::uint64_t sum(const std::vector<std::uint8_t>& v) const {
    return std::accumulate(v.begin(), v.end(), std::uint64_t{0});
  }
};

}  // namespace imaging

template <>
struct roc::json::TypeName<imaging::Tile> {
  static std::string get() { return "imaging::Tile"; }
};

namespace imaging {

inline const roc::Binding<Imager>& imager_binding() {
  static const auto binding = roc::Binding<Imager>("imaging::Imager")
                                  .method("frame", &Imager::frame, {"pixels"})
                                  .method("echo_u16", &Imager::echo_u16, {"v"})
                                  .method("echo_i64", &Imager::echo_i64, {"v"})
                                  .method("echo_array", &Imager::echo_array, {"v"})
                                  .method("echo_bytes", &Imager::echo_bytes, {"b"})
                                  .method("echo_image", &Imager::echo_image, {"image"})
                                  .method("echo_tile", &Imager::echo_tile, {"t"})
                                  .method("echo_tiles", &Imager::echo_tiles, {"t"})
                                  .method("sum", &Imager::sum, {"v"})
                                  .property("waveform", &Imager::waveform);
  return binding;
}

}  // namespace imaging
