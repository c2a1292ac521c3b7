# Writes the amalgamation (scripts/amalgamate), builds tests/amalgamation/
# app.c against it with one compiler command, and runs the program.
# Usage: cmake -DSOURCE=<source dir> -DWORK=<dir> -DCOMPILER=<cc>
#              [-DLIBS=<libraries, space-separated>] [-DEMULATOR=<runner>]
#              [-DSUFFIX=.exe] -P CheckAmalgamation.cmake
cmake_minimum_required(VERSION 3.16)
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${SOURCE}/scripts/amalgamate ${WORK}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "scripts/amalgamate failed: ${rc}")
endif()
set(program ${WORK}/app${SUFFIX})
separate_arguments(LIBS UNIX_COMMAND "${LIBS}")
set(command ${COMPILER} -std=c11 -Wall -Wextra -Wpedantic -Werror -I ${WORK}
  ${SOURCE}/tests/amalgamation/app.c ${WORK}/sockclose.c -o ${program} ${LIBS})
string(REPLACE ";" " " shown "${command}")
message(STATUS "${shown}")
execute_process(COMMAND ${command} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the one-command build failed: ${rc}")
endif()
execute_process(COMMAND ${EMULATOR} ${program} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the program built from the amalgamation failed: ${rc}")
endif()
