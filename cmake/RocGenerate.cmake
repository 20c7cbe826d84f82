# roc_generate(): runs roc-gen on annotated headers at build time (modelled on protobuf_generate
# and qt6_add_repc_*). Works the same in roc's own tree, after add_subdirectory(roc), and after
# find_package(roc).
#
#   roc_generate(<target>
#                HEADERS <header>...            # annotated headers (relative to the current source dir)
#                [UMBRELLA <header>]            # parse this header, which includes the HEADERS, instead
#                [SCANNER_ARGS <flag>...]       # extra flags for roc-gen's parse (e.g. -DVENDOR_SDK)
#                [OUTPUT_DIR <dir>]             # default: ${CMAKE_CURRENT_BINARY_DIR}/roc_generated/<target>
#                [OUT_VAR <var>])               # receives the list of generated files
#
# For each `name.hpp` it writes `name.roc.hpp` (skeleton, proxy, struct/enum codecs) and
# `name.idl.json` (the interface, as rpc.describe serves it) into the output directory, adds them
# to <target>'s sources (marked GENERATED) and the directory to its include path (PUBLIC, so users
# of a library target can include the proxy too). roc-gen parses the header with <target>'s own
# include directories, compile definitions and C++ standard, read through generator expressions
# at build time. Generation re-runs when the header, a header it includes (Ninja: through a
# depfile) or roc-gen changes; an unchanged output keeps its timestamp, so nothing recompiles.
# With UMBRELLA (libraries whose sub-headers compile only through one umbrella header), roc-gen
# parses the umbrella, exports only the annotated declarations of each header, and the generated
# file includes the umbrella. Headers named `*.h` are parsed as C++ too.
include_guard(GLOBAL)

function(roc_generate target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIR;OUT_VAR;UMBRELLA" "HEADERS;SCANNER_ARGS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "roc_generate: unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "roc_generate: '${target}' is not a target")
  endif()
  if(NOT ARG_HEADERS)
    message(FATAL_ERROR "roc_generate(${target}): HEADERS is empty")
  endif()
  if(NOT TARGET roc::gen)
    message(FATAL_ERROR "roc_generate: roc-gen is not available (roc was built with ROC_BUILD_CODEGEN=OFF?)")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/roc_generated/${target}")
  endif()

  # A build dependency on the generator: the real target in-tree (aliases cannot be DEPENDS),
  # the executable file when roc-gen is imported from an installed package.
  get_target_property(_roc_gen_real roc::gen ALIASED_TARGET)
  if(_roc_gen_real)
    set(_roc_gen_dep ${_roc_gen_real})
  else()
    set(_roc_gen_dep "$<TARGET_FILE:roc::gen>")
  endif()

  # The target's flags, evaluated at build time (transitively, from everything it links).
  set(_incs "$<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>")
  set(_defs "$<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>")
  set(_std "$<TARGET_PROPERTY:${target},CXX_STANDARD>")
  set(_flags
    "-std=c++$<IF:$<BOOL:${_std}>,${_std},17>"
    "$<$<BOOL:${_incs}>:-I$<JOIN:${_incs},$<SEMICOLON>-I>>"
    "$<$<BOOL:${_defs}>:-D$<JOIN:${_defs},$<SEMICOLON>-D>>")

  set(_umbrella_flag)
  set(_umbrella_dep)
  if(ARG_UMBRELLA)
    get_filename_component(_umbrella "${ARG_UMBRELLA}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    set(_umbrella_flag --umbrella "${_umbrella}")
    set(_umbrella_dep "${_umbrella}")
  endif()

  # Depfile paths are absolute; CMP0116 NEW (3.20+) keeps CMake from warning about the old behaviour.
  cmake_policy(PUSH)
  if(POLICY CMP0116)
    cmake_policy(SET CMP0116 NEW)
  endif()
  set(_outputs)
  foreach(_header IN LISTS ARG_HEADERS)
    get_filename_component(_abs "${_header}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(_name "${_abs}" NAME_WLE)
    get_filename_component(_file "${_abs}" NAME)
    set(_out "${ARG_OUTPUT_DIR}/${_name}.roc.hpp")
    set(_idl "${ARG_OUTPUT_DIR}/${_name}.idl.json")
    # roc-gen leaves an unchanged file untouched. Listing the IDL as a BYPRODUCT makes the Ninja
    # generator mark the rule `restat`, so an unchanged result recompiles nothing.
    # With Ninja, a depfile also re-runs roc-gen when a header included by the annotated one
    # changes (the Makefile generators support DEPFILE only from CMake 3.20).
    set(_depfile_args)
    if(CMAKE_GENERATOR MATCHES "Ninja")
      set(_depfile_args DEPFILE "${ARG_OUTPUT_DIR}/${_name}.roc.d")
      set(_depfile_flag --depfile "${ARG_OUTPUT_DIR}/${_name}.roc.d")
    else()
      set(_depfile_flag)
    endif()
    add_custom_command(
      OUTPUT "${_out}"
      BYPRODUCTS "${_idl}"
      COMMAND "$<TARGET_FILE:roc::gen>" "${_abs}" -o "${_out}" --idl "${_idl}" ${_umbrella_flag} ${_depfile_flag}
              -- ${_flags} ${ARG_SCANNER_ARGS}
      DEPENDS "${_abs}" ${_umbrella_dep} ${_roc_gen_dep}
      ${_depfile_args}
      COMMENT "roc-gen ${_file}"
      COMMAND_EXPAND_LISTS
      VERBATIM)
    set(_byproducts "${_out}" "${_idl}")
    list(APPEND _outputs ${_byproducts})
  endforeach()
  cmake_policy(POP)

  set_source_files_properties(${_outputs} PROPERTIES GENERATED TRUE)
  target_sources(${target} PRIVATE ${_outputs})
  get_target_property(_type ${target} TYPE)
  if(_type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE "$<BUILD_INTERFACE:${ARG_OUTPUT_DIR}>")
  else()
    target_include_directories(${target} PUBLIC "$<BUILD_INTERFACE:${ARG_OUTPUT_DIR}>")
  endif()
  if(ARG_OUT_VAR)
    set(${ARG_OUT_VAR} ${_outputs} PARENT_SCOPE)
  endif()
endfunction()
