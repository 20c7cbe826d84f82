#!/usr/bin/env bash
# Quick start 2: installs what is missing, builds everything and runs the whole test suite.
# With --sanitize (or when CI is set) it then builds and runs the suite once more under
# AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
[[ ${CI:-} == true || ${1:-} == --sanitize ]] && sanitize=1
jobs=$(nproc 2>/dev/null || echo 2)

scripts/setup.sh
scripts/build.sh build
(cd build && ctest --output-on-failure -j "$jobs")

if ((sanitize)); then
  echo "== again under AddressSanitizer + UndefinedBehaviorSanitizer"
  # The generator is a build-time tool; its tests already ran above.
  scripts/build.sh build-asan -DROC_SANITIZE=ON -DROC_BUILD_CODEGEN=OFF -DROC_BUILD_BENCH=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$jobs")
fi
