# ctest driver: roc-gen over every function of a standard-library-heavy header, wrapped as
# annotated methods (thousands of declarations of every shape). roc-gen must finish with output or
# with `file:line:col: error:` diagnostics: never a signal, never an internal error.
# -D WRAP=<roc_gen_wrap_functions> ROC_GEN=<roc-gen> RUNTIME_INCLUDE=<dir> SOURCE=<stress dir> WORK=<dir>
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")
set(flags -std=c++17 -I${RUNTIME_INCLUDE} -I${SOURCE})

execute_process(COMMAND "${WRAP}" "${SOURCE}/std_everything.hpp" "${WORK}/everything.hpp" -- ${flags}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "wrapping the header failed (${rc}):\n${out}${err}")
endif()
string(REGEX MATCH "^[0-9]+" count "${out}")
if(count LESS 1000)
  message(FATAL_ERROR "only ${count} functions wrapped: the test would prove little")
endif()
message(STATUS "${count} functions wrapped as annotated methods")

execute_process(COMMAND "${ROC_GEN}" "${WORK}/everything.hpp" -o "${WORK}/everything.roc.hpp" -- ${flags}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(REGEX MATCHALL "everything\\.hpp:[0-9]+:[0-9]+: error: " errors "${err}")
list(LENGTH errors error_count)
message(STATUS "roc-gen exit status ${rc}, ${error_count} declarations rejected with a diagnostic")
if(NOT rc MATCHES "^[01]$")
  message(FATAL_ERROR "roc-gen did not exit normally (${rc}):\n${err}")
endif()
foreach(symptom "internal error" "Stack dump" "PLEASE submit" "does not compile")
  string(FIND "${err}" "${symptom}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "roc-gen printed '${symptom}':\n${err}")
  endif()
endforeach()
if(rc EQUAL 1 AND error_count EQUAL 0)
  message(FATAL_ERROR "roc-gen failed without a located diagnostic:\n${err}")
endif()
file(REMOVE_RECURSE "${WORK}")
