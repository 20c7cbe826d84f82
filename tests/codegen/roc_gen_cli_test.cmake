# roc-gen as a command: --help and --version work, a bad option exits 2; a header with an unsupported construct fails
# like a compiler (file:line:col: error, exit status 1) and leaves an existing output file untouched.
# -D ROC_GEN=<roc-gen> SOURCE_DIR=<tests/codegen> RUNTIME_INCLUDE=<runtime/include> WORK=<dir>
execute_process(COMMAND "${ROC_GEN}" --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Usage")
  message(FATAL_ERROR "roc-gen --help failed (${rc}): ${out}")
endif()
execute_process(COMMAND "${ROC_GEN}" --version RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^roc-gen [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "roc-gen --version failed (${rc}): ${out}")
endif()
# A bad command line: exit 2 and one line naming roc-gen, as every roc tool does (roc/cli.hpp).
execute_process(COMMAND "${ROC_GEN}" --no-such-option RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "^roc-gen: [^\n]*--no-such-option[^\n]*\n$")
  message(FATAL_ERROR "roc-gen --no-such-option: expected exit 2 and one line, got ${rc}: ${err}")
endif()

file(MAKE_DIRECTORY "${WORK}")
set(output "${WORK}/bad.roc.hpp")
file(WRITE "${output}" "previous content\n")
execute_process(COMMAND "${ROC_GEN}" "${SOURCE_DIR}/cli/bad.hpp" -o "${output}" --idl "${WORK}/bad.idl.json"
                        -- -std=c++17 "-I${RUNTIME_INCLUDE}"
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "expected exit status 1, got ${rc}: ${err}")
endif()
if(NOT err MATCHES "bad\\.hpp:7:31: error: parameter 'text' of 'write' has type 'char \\*', which is a raw pointer: roc sends values; for text take 'const char\\*' or std::string")
  message(FATAL_ERROR "unexpected diagnostic: ${err}")
endif()
file(READ "${output}" content)
if(NOT content STREQUAL "previous content\n" OR EXISTS "${WORK}/bad.idl.json")
  message(FATAL_ERROR "roc-gen touched its outputs although it failed")
endif()

# A `.h` sub-header that compiles only through its umbrella: parsed through --umbrella, the
# generated file includes the umbrella, and a default roc cannot send is a warning (exit 0).
execute_process(COMMAND "${ROC_GEN}" "${SOURCE_DIR}/cli/umbrella/sub.h" --umbrella "${SOURCE_DIR}/cli/umbrella/lib.h"
                        -o "${WORK}/sub.roc.hpp" --idl "${WORK}/sub.idl.json" --depfile "${WORK}/sub.roc.d"
                        -- -std=c++17 "-I${RUNTIME_INCLUDE}"
                RESULT_VARIABLE rc ERROR_VARIABLE warn)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "roc-gen --umbrella failed (${rc}): ${warn}")
endif()
if(NOT warn MATCHES "sub\\.h:8:40: warning: the default argument of parameter 'channel' of 'read' is not a constant roc can send")
  message(FATAL_ERROR "expected a warning for the default argument: ${warn}")
endif()
file(READ "${WORK}/sub.roc.hpp" generated)
if(NOT generated MATCHES "#include \"[^\"]*cli/umbrella/lib\\.h\"")
  message(FATAL_ERROR "the generated file does not include the umbrella")
endif()
file(READ "${WORK}/sub.idl.json" idl)
if(NOT idl MATCHES "\"default\": *\"?true")
  message(FATAL_ERROR "the IDL lacks the default of 'calibrated': ${idl}")
endif()
file(READ "${WORK}/sub.roc.d" deps)
if(NOT deps MATCHES "sub\\.h" OR NOT deps MATCHES "lib\\.h")
  message(FATAL_ERROR "the depfile misses the headers: ${deps}")
endif()
message(STATUS "ok: ${err}${warn}")
