// An object whose enum comes from another annotated header (modes.hpp): its generated file
// must not compile unless modes.roc.hpp is included too (enum_guard tests).
#pragma once

#include "modes.hpp"

#include <roc/annotate.hpp>

namespace e2e {

class ROC_OBJECT ModeUser {
 public:
  ROC_METHOD Mode mode() const { return Mode::running; }
};

}  // namespace e2e
