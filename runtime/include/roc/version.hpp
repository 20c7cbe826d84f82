// roc's version, for feature checks and for the version guard in generated code.
#pragma once

#define ROC_VERSION_MAJOR 0
#define ROC_VERSION_MINOR 1
#define ROC_VERSION_PATCH 0
/// Bumped whenever generated code and the runtime stop fitting together; generated files
/// `#error` out when theirs differs.
#define ROC_CODEGEN_ABI 2
