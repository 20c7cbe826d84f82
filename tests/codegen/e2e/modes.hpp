// An enum annotated in a header of its own, used by mode_user.hpp's object (enum_guard tests).
#pragma once

#include <roc/annotate.hpp>

namespace e2e {

enum class ROC_ENUM Mode { idle, running };

}  // namespace e2e
