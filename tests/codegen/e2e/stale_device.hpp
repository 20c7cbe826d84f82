// The same device as an older header saw it: `greet` took an int. A proxy generated from this
// header must get a clear signature mismatch from a server built from device.hpp.
#pragma once

#include <roc/annotate.hpp>

#include <string>

namespace stale {

class ROC_OBJECT Device {
 public:
  ROC_METHOD std::string greet(int who) { return std::to_string(who); }
};

}  // namespace stale
