# sockclose.pc, for users who build with pkg-config instead of CMake.
#
# The prefix is filled in at install time, so that the file names the
# directory actually installed to (`cmake --install build --prefix DIR`
# included). A static build adds -DSKC_STATIC to Cflags, as the CMake target
# does; on Windows, Libs.private names ws2_32 and iphlpapi for
# `pkg-config --static`.
function(sockclose_install_pkgconfig target)
  get_target_property(type ${target} TYPE)
  set(SOCKCLOSE_PC_CFLAGS "")
  if(type STREQUAL "STATIC_LIBRARY")
    set(SOCKCLOSE_PC_CFLAGS " -DSKC_STATIC")
  endif()
  set(SOCKCLOSE_PC_LIBS_PRIVATE "")
  if(WIN32)
    set(SOCKCLOSE_PC_LIBS_PRIVATE " -lws2_32 -liphlpapi")
  elseif(CMAKE_THREAD_LIBS_INIT)
    set(SOCKCLOSE_PC_LIBS_PRIVATE " ${CMAKE_THREAD_LIBS_INIT}")
  endif()
  foreach(dir LIBDIR INCLUDEDIR)
    if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
      set(SOCKCLOSE_PC_${dir} "${CMAKE_INSTALL_${dir}}")
    else()
      set(SOCKCLOSE_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
    endif()
  endforeach()

  set(stage ${PROJECT_BINARY_DIR}/pkgconfig/sockclose.pc.in)
  set(pc ${PROJECT_BINARY_DIR}/pkgconfig/sockclose.pc)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/sockclose.pc.in ${stage} @ONLY)
  install(CODE "
    file(READ \"${stage}\" sockclose_pc)
    string(REPLACE \"%PREFIX%\" \"\${CMAKE_INSTALL_PREFIX}\" sockclose_pc \"\${sockclose_pc}\")
    file(WRITE \"${pc}\" \"\${sockclose_pc}\")")
  install(FILES ${pc} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
