# cmake -DPROBE=<sockclose-probe> -DREADME=<README.md> -DRESULTS=<docs/results>
#       -P CheckReadmeTable.cmake
# Fails when README.md's situation table differs from the one the scenario
# definitions and the recorded runs in docs/results generate
# (sockclose-probe --markdown --results docs/results), so the table, the
# definitions and the recorded results cannot drift apart. Regenerate the
# README part with that command.
execute_process(COMMAND ${PROBE} --markdown --results ${RESULTS}
                OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sockclose-probe --markdown failed: ${rc}")
endif()
file(READ ${README} readme)
string(FIND "${readme}" "<!-- situations:begin -->\n" begin)
string(FIND "${readme}" "<!-- situations:end -->" end)
if(begin EQUAL -1 OR end EQUAL -1)
  message(FATAL_ERROR "README.md has no situations:begin/end markers")
endif()
math(EXPR begin "${begin} + 26")
math(EXPR length "${end} - ${begin}")
string(SUBSTRING "${readme}" ${begin} ${length} table)
if(NOT table STREQUAL generated)
  message(FATAL_ERROR "README.md's situation table is out of date; replace "
    "it with the output of 'sockclose-probe --markdown --results docs/results':\n${generated}")
endif()
