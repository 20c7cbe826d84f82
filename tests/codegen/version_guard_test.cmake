# Generated code must refuse to compile against a runtime with another codegen ABI.
# -D CXX=<compiler> SOURCE=<version_guard.cpp> INCLUDES=<dir;dir;...>
set(flags -std=c++17 -fsyntax-only -DRAPIDJSON_HAS_STDSTRING=1)
foreach(dir IN LISTS INCLUDES)
  list(APPEND flags "-I${dir}")
endforeach()
execute_process(COMMAND "${CXX}" ${flags} "${SOURCE}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "generated code compiled against a runtime with another ROC_CODEGEN_ABI")
endif()
if(NOT err MATCHES "#error \"roc-gen made this file from device.hpp for roc codegen ABI")
  message(FATAL_ERROR "failed, but not with the version guard's message:\n${err}")
endif()
