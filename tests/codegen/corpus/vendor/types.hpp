// Part of the vendor SDK: only through vendor/vendor.hpp.
#pragma once
#ifndef VENDOR_SDK_UMBRELLA
#error "include <vendor/vendor.hpp>, not this file"
#endif

#include <cstdint>

namespace vendor {
typedef std::uint32_t u32;
typedef double exposure_us_t;
}  // namespace vendor
