# cmake -DPROBE=<sockclose-probe> -DRESULTS=<docs/results> -DWORK=<dir>
#       -P CheckProbeProvenance.cmake
# The README table's provenance machinery over recorded runs that do not
# exist yet: a native Windows run and a macOS run (copies of recorded
# documents under their names) must fill the Windows and macOS cells as
# measured there, for every row; a file that is not a probe document must
# make --markdown fail.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
file(COPY ${RESULTS}/linux.json ${RESULTS}/wine-x86_64.json DESTINATION ${WORK})
file(COPY_FILE ${RESULTS}/wine-x86_64.json ${WORK}/windows-msvc-x64.json)
file(COPY_FILE ${RESULTS}/linux.json ${WORK}/macos.json)
execute_process(COMMAND ${PROBE} --markdown --results ${WORK}
                OUTPUT_VARIABLE table RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "--markdown failed (${rc})")
endif()
string(REGEX MATCHALL "\n\\| [A-Z][0-9]+ \\|" rows "${table}")
list(LENGTH rows row_count)
string(REGEX MATCHALL "measured on Windows x64 \\(MSVC\\) in CI" windows "${table}")
list(LENGTH windows windows_count)
string(REGEX MATCHALL "measured on macOS in CI" macos "${table}")
list(LENGTH macos macos_count)
# A situation the Windows run could not make (A2: Windows has no
# descriptor limit to reach) stays documented, not measured.
file(READ ${RESULTS}/wine-x86_64.json windows_doc)
string(JSON situation_count LENGTH "${windows_doc}" situations)
set(windows_expected ${row_count})
math(EXPR last "${situation_count} - 1")
foreach(i RANGE ${last})
  string(JSON verdict GET "${windows_doc}" situations ${i} verdict)
  if(verdict STREQUAL "not-run")
    math(EXPR windows_expected "${windows_expected} - 1")
  endif()
endforeach()
if(row_count LESS 1 OR NOT windows_count EQUAL windows_expected OR NOT macos_count EQUAL row_count)
  message(FATAL_ERROR "${row_count} rows, ${windows_count} Windows cells and "
    "${macos_count} macOS cells measured:\n${table}")
endif()
if(table MATCHES "not run yet|Wine 8 \\(")
  message(FATAL_ERROR "a cell still names Wine or no run:\n${table}")
endif()
file(WRITE ${WORK}/wine-i686.json "{\"tool\":\"sockclose-probe\",\"situations\":[{\"id\":")
execute_process(COMMAND ${PROBE} --markdown --results ${WORK}
                OUTPUT_QUIET ERROR_VARIABLE err RESULT_VARIABLE rc)
if(rc EQUAL 0 OR NOT err MATCHES "wine-i686.json is not a sockclose-probe")
  message(FATAL_ERROR "a truncated document was accepted (${rc}): ${err}")
endif()
