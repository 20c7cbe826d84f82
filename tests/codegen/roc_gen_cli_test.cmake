# roc-gen as a command: --help works; a header with an unsupported construct fails like a
# compiler (file:line:col: error, exit status 1) and leaves an existing output file untouched.
# -D ROC_GEN=<roc-gen> SOURCE_DIR=<tests/codegen> RUNTIME_INCLUDE=<runtime/include> WORK=<dir>
execute_process(COMMAND "${ROC_GEN}" --help RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Usage")
  message(FATAL_ERROR "roc-gen --help failed (${rc}): ${out}")
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
if(NOT err MATCHES "bad\\.hpp:7:37: error: parameter 'text' of 'write' has type 'const char \\*', which is a raw pointer")
  message(FATAL_ERROR "unexpected diagnostic: ${err}")
endif()
file(READ "${output}" content)
if(NOT content STREQUAL "previous content\n" OR EXISTS "${WORK}/bad.idl.json")
  message(FATAL_ERROR "roc-gen touched its outputs although it failed")
endif()
message(STATUS "ok: ${err}")
