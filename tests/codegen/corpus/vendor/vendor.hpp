// A vendor SDK's umbrella header: its sub-headers refuse to be included on their own, so roc-gen
// parses this file and exports what vendor/camera.hpp declares.
#pragma once

#define VENDOR_SDK_UMBRELLA 1
#include "vendor/types.hpp"
#include "vendor/camera.hpp"
#undef VENDOR_SDK_UMBRELLA
