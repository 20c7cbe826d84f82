// Sanitizer defaults linked into every fuzzer, so a crash replays the same way whether the
// fuzzer runs under ctest, by hand, or on a single input: stop at the first report, with a stack.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" ROC_FUZZ_UBSAN_SUPPRESSIONS;
}
