# The install a distribution or a user does: a shared build with
# -DBUILD_TESTING=OFF, installed into a prefix of its own. Checks that the
# configuration never looked for cmocka, that the installed tools start
# with the installed library through their relative run path (no
# LD_LIBRARY_PATH) from any directory, that an installed probe started by
# name from PATH runs S8 (it spawns its client from its own file), and
# that the manual pages are installed.
# Usage: cmake -DSOURCE=<source dir> -DWORK=<dir> -DGENERATOR=<generator>
#              -DCOMPILER=<cc> -P CheckInstalledTools.cmake
cmake_minimum_required(VERSION 3.16)
file(REMOVE_RECURSE ${WORK})
set(build ${WORK}/build)
set(prefix "${WORK}/prefix with space")
macro(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " shown "${ARGN}")
    message(FATAL_ERROR "${shown}: ${rc}\n${out}")
  endif()
endmacro()
step(${CMAKE_COMMAND} -S ${SOURCE} -B ${build} -G ${GENERATOR}
  -DCMAKE_C_COMPILER=${COMPILER} -DCMAKE_BUILD_TYPE=Release
  -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF)
file(STRINGS ${build}/CMakeCache.txt cmocka_entries REGEX "[Cc][Mm][Oo][Cc][Kk][Aa]")
if(cmocka_entries)
  message(FATAL_ERROR "BUILD_TESTING=OFF still looked for cmocka:\n${cmocka_entries}")
endif()
step(${CMAKE_COMMAND} --build ${build})
step(${CMAKE_COMMAND} --install ${build} --prefix "${prefix}")
foreach(page share/man/man1/sockclose-probe.1 share/man/man1/sockclose-audit.1
    share/man/man3/sockclose.3)
  if(NOT EXISTS "${prefix}/${page}")
    message(FATAL_ERROR "not installed: ${page}")
  endif()
endforeach()
# From another directory, by name through PATH, without LD_LIBRARY_PATH.
step(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH "PATH=${prefix}/bin:/usr/bin:/bin"
  sockclose-probe --only S2,S8 WORKING_DIRECTORY ${WORK})
step(${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH
  "${prefix}/bin/sockclose-audit" --state listen)
message(STATUS "installed tools in '${prefix}' run with the installed shared library")
