// roc's version, for feature checks and for the version guard in generated code. The one place
// it is written: CMake's project() version, the package version files and roc.pc read it from here.
#pragma once

#define ROC_VERSION_MAJOR 0
#define ROC_VERSION_MINOR 2
#define ROC_VERSION_PATCH 0
#define ROC_DETAIL_STRINGIFY(x) #x
#define ROC_DETAIL_VERSION_STRING(major, minor, patch) \
  ROC_DETAIL_STRINGIFY(major) "." ROC_DETAIL_STRINGIFY(minor) "." ROC_DETAIL_STRINGIFY(patch)
/// "0.2.0": what every roc tool's --version prints.
#define ROC_VERSION_STRING ROC_DETAIL_VERSION_STRING(ROC_VERSION_MAJOR, ROC_VERSION_MINOR, ROC_VERSION_PATCH)
/// Bumped whenever generated code and the runtime stop fitting together; generated files
/// `#error` out when theirs differs.
#define ROC_CODEGEN_ABI 2
