// How the samples publish the camera: through the skeleton (and typed proxy) that roc-gen
// generates from vnir_camera.hpp, or — when roc is built without roc-gen's Clang front end — the
// hand-written binding, which is also the example of publishing without code generation.
#pragma once

#if defined(VNIR_GENERATED)
#include "vnir_camera.roc.hpp"
#else
#include "vnir_binding.hpp"
#endif
