#!/usr/bin/env bash
# Quick start 2: installs what is missing, builds everything, runs the whole test suite, then
# runs each libFuzzer target briefly (ROC_FUZZ_SECONDS each, default 30; 0 skips fuzzing).
# With --sanitize (or when CI is set) it then builds and runs the suite once more under
# AddressSanitizer + UndefinedBehaviorSanitizer, and once under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0
[[ ${CI:-} == true || ${1:-} == --sanitize ]] && sanitize=1
jobs=$(nproc 2>/dev/null || echo 2)
fuzz_seconds=${ROC_FUZZ_SECONDS:-30}

# seconds since start, for the log: CI must stay well under its time limit.
started=$SECONDS
stamp() { echo "== [$(((SECONDS - started) / 60))m$(((SECONDS - started) % 60))s] $*"; }

scripts/setup.sh
stamp "build"
scripts/build.sh build
stamp "test suite"
(cd build && ctest --output-on-failure -j "$jobs")
# Debian's python3 (setup.sh installed its zmq, numpy and pytest), not whatever python3 is first on PATH.
stamp "Python tests"
# The session makes its own TMPDIR (tmp_path inside it), fails if a test leaves anything there and
# removes it (python/tests/conftest.py); ctest does the same with build/test-tmp.
(cd python && ROC_BUILD_DIR=$PWD/../build /usr/bin/python3 -m pytest -q -p no:cacheprovider tests)

if ((fuzz_seconds > 0)); then
  # libFuzzer needs clang; the whole fuzz build is instrumented (see docs/testing.md). Only the
  # fuzz targets are built. Two fuzzers at a time on two cores, each from a copy of its corpus.
  stamp "fuzz build"
  scripts/build.sh build-fuzz -DROC_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 \
    -DROC_BUILD_TESTS=OFF -DROC_BUILD_SAMPLES=OFF -DROC_BUILD_BENCH=OFF -DROC_BUILD_CODEGEN=OFF \
    -DROC_INSTALL=OFF -- roc_fuzzers
  stamp "fuzzing, ${fuzz_seconds}s per target"
  (cd build-fuzz && ROC_FUZZ_SECONDS=$fuzz_seconds ctest -L fuzz --output-on-failure -j "$jobs")
fi

if ((sanitize)); then
  # The generator is a build-time tool; its tests already ran above.
  stamp "again under AddressSanitizer + UndefinedBehaviorSanitizer"
  scripts/build.sh build-asan -DROC_SANITIZE=ON -DROC_BUILD_CODEGEN=OFF -DROC_BUILD_BENCH=OFF
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j "$jobs")

  # Debian builds libzmq, libsodium and libstdc++ without TSan: tests/tsan.supp silences what it
  # cannot see inside them (docs/testing.md), never a race between two of roc's own accesses.
  stamp "again under ThreadSanitizer"
  scripts/build.sh build-tsan -DROC_SANITIZE=thread -DROC_BUILD_CODEGEN=OFF -DROC_BUILD_BENCH=OFF
  (cd build-tsan && TSAN_OPTIONS="suppressions=$PWD/../tests/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
     ctest --output-on-failure -j "$jobs")
fi
stamp "all passed"
