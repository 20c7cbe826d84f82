# ctest driver: compiles one source against generated code and checks the outcome. Guards in
# generated code (the codegen ABI, enums that must travel by name) are tested by what they refuse.
# -D CXX=<compiler> SOURCE=<file.cpp> INCLUDES=<dir;dir;...> [DEFINES=<NAME;NAME=1;...>]
#    [EXPECT_ERROR=<regex the compiler's errors must match>; without it the source must compile]
set(flags -std=c++17 -fsyntax-only -Wall -Wextra -Werror -DRAPIDJSON_HAS_STDSTRING=1)
foreach(dir IN LISTS INCLUDES)
  list(APPEND flags "-I${dir}")
endforeach()
foreach(define IN LISTS DEFINES)
  list(APPEND flags "-D${define}")
endforeach()
execute_process(COMMAND "${CXX}" ${flags} "${SOURCE}" RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT EXPECT_ERROR)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SOURCE} does not compile:\n${err}")
  endif()
elseif(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must fail with: ${EXPECT_ERROR}")
elseif(NOT err MATCHES "${EXPECT_ERROR}")
  message(FATAL_ERROR "${SOURCE} failed, but not with '${EXPECT_ERROR}':\n${err}")
endif()
