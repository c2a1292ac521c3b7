# Renders each manual page with groff, all warnings on, and fails on any
# warning; for a tool's page, every long option its --help prints must be
# documented in the page.
# Usage: cmake -DGROFF=<groff> -DPAGES=<page,...> [-DTOOLS=<exe,...>]
#              -P CheckManPages.cmake
# TOOLS[i], when given, is the program documented by PAGES[i]. Exits with
# 77 (a skip) when groff is not installed.
cmake_minimum_required(VERSION 3.16)
if(NOT GROFF OR NOT EXISTS "${GROFF}")
  message("groff not found: install groff-base (scripts/install-deps)")
  cmake_language(EXIT 77)
endif()
string(REPLACE "," ";" PAGES "${PAGES}")
string(REPLACE "," ";" TOOLS "${TOOLS}")
set(problems "")
list(LENGTH PAGES n)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET PAGES ${i} page)
  execute_process(COMMAND ${GROFF} -man -Tutf8 -ww -z ${page}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
    string(APPEND problems "  ${page}: groff exit ${rc}: ${err}\n")
  endif()
  list(LENGTH TOOLS n_tools)
  if(i LESS n_tools)
    list(GET TOOLS ${i} tool)
    execute_process(COMMAND ${tool} --help RESULT_VARIABLE rc OUTPUT_VARIABLE help)
    if(NOT rc EQUAL 0)
      string(APPEND problems "  ${tool} --help: exit ${rc}\n")
    endif()
    file(READ ${page} text)
    string(REPLACE "\\-" "-" text "${text}") # roff's \- is a plain hyphen-minus
    string(REGEX MATCHALL "--[a-z][a-z-]*[a-z]" options "${help}")
    list(REMOVE_DUPLICATES options)
    foreach(option IN LISTS options)
      string(FIND "${text}" "${option}" at)
      if(at EQUAL -1)
        string(APPEND problems "  ${page}: ${option} (from --help) is not documented\n")
      endif()
    endforeach()
  endif()
endforeach()
if(problems)
  message(FATAL_ERROR "manual pages:\n${problems}")
endif()
message(STATUS "${n} manual pages render without warnings")
