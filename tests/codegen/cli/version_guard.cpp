// Must NOT compile: generated code checks ROC_CODEGEN_ABI against the runtime it is built with.
// Used by version_guard_test.cmake, which pretends the runtime moved to another codegen ABI.
#include <roc/version.hpp>
#undef ROC_CODEGEN_ABI
#define ROC_CODEGEN_ABI 999
#include "device.roc.hpp"
