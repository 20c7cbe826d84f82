# ctest driver: configures, builds and runs a consumer of roc (tests/codegen/consumer, corpus) as a
# separate project.
# -D MODE=find_package|add_subdirectory  SOURCE=<consumer dir>  BINARY=<build dir>
#    PREFIX=<install prefix, find_package>  ROC_SOURCE=<roc source dir, add_subdirectory>
#    GENERATOR=<cmake generator>  CXX=<compiler>  [PROGRAM=<executable to run, default consumer>]
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY}")
run(${CMAKE_COMMAND} -S "${SOURCE}" -B "${BINARY}" -G "${GENERATOR}" -DCMAKE_CXX_COMPILER=${CXX}
    -DCMAKE_BUILD_TYPE=Release -DROC_CONSUME=${MODE} "-DCMAKE_PREFIX_PATH=${PREFIX}" "-DROC_SOURCE_DIR=${ROC_SOURCE}")
run(${CMAKE_COMMAND} --build "${BINARY}" --parallel 2)
if(NOT PROGRAM)
  set(PROGRAM consumer)
endif()
run("${BINARY}/${PROGRAM}")
