# roc.pc: pkg-config's view of roc::runtime, for builds without CMake. Its compile definitions are
# read from the targets themselves (roc::runtime's and those of the libraries it links publicly),
# so a plain `g++ $(pkg-config --cflags --libs roc)` build compiles exactly as a CMake consumer does.

# Appends to `out_var` the INTERFACE_COMPILE_DEFINITIONS of `target` and of every target in its
# public link interface, depth first.
function(_roc_collect_interface_definitions target out_var)
  set(collected ${${out_var}})
  get_target_property(definitions ${target} INTERFACE_COMPILE_DEFINITIONS)
  if(definitions)
    foreach(definition IN LISTS definitions)
      if(definition MATCHES "^\\$<")
        message(FATAL_ERROR "roc.pc: ${target} has a generator-expression definition (${definition}) "
                            "that pkg-config cannot express")
      endif()
      list(APPEND collected "${definition}")
    endforeach()
  endif()
  get_target_property(linked ${target} INTERFACE_LINK_LIBRARIES)
  if(linked)
    foreach(dependency IN LISTS linked)
      # $<LINK_ONLY:x> is a private dependency: it adds libraries, never definitions.
      if(TARGET "${dependency}")
        _roc_collect_interface_definitions("${dependency}" collected)
      endif()
    endforeach()
  endif()
  list(REMOVE_DUPLICATES collected)
  set(${out_var} "${collected}" PARENT_SCOPE)
endfunction()

# Writes roc.pc for roc_runtime and installs it in <libdir>/pkgconfig.
function(roc_install_pkg_config)
  set(definitions "")
  _roc_collect_interface_definitions(roc_runtime definitions)
  set(cflags "")
  foreach(definition IN LISTS definitions)
    string(APPEND cflags " -D${definition}")
  endforeach()
  string(STRIP "${cflags}" ROC_PC_CFLAGS)

  # The .pc names its prefix relative to itself, so an installed tree can be moved (and
  # `cmake --install --prefix` anywhere works).
  set(pc_dir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
  file(RELATIVE_PATH ROC_PC_PREFIX_FROM_PCDIR "/prefix/${pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" ROC_PC_PREFIX_FROM_PCDIR "${ROC_PC_PREFIX_FROM_PCDIR}")

  # spdlog and fmt are in roc's public headers; RapidJSON too. A static libroc also needs what it
  # links privately (libzmq, roc_idl) at the program's link.
  set(ROC_PC_REQUIRES "spdlog fmt RapidJSON")
  get_target_property(runtime_type roc_runtime TYPE)
  get_target_property(runtime_name roc_runtime OUTPUT_NAME)
  get_target_property(idl_name roc_idl OUTPUT_NAME)
  if(NOT idl_name)
    set(idl_name roc_idl)
  endif()
  if(runtime_type STREQUAL "STATIC_LIBRARY")
    string(APPEND ROC_PC_REQUIRES " libzmq")
    set(ROC_PC_REQUIRES_PRIVATE "")
    set(ROC_PC_LIBS "-l${runtime_name} -l${idl_name}")
  else()
    set(ROC_PC_REQUIRES_PRIVATE "libzmq")
    set(ROC_PC_LIBS "-l${runtime_name}")
  endif()

  configure_file("${PROJECT_SOURCE_DIR}/cmake/roc.pc.in" "${PROJECT_BINARY_DIR}/roc.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/roc.pc" DESTINATION "${pc_dir}")
endfunction()
