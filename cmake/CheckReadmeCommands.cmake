# Checks the README's command lines against the scripts and presets they
# name:
#   - every scripts/NAME it mentions exists;
#   - every `scripts/test-all LANE` names a lane of scripts/test-all;
#   - the lane table of "How it is checked" lists exactly test-all's
#     default lanes, each with a case branch in the script;
#   - every `--preset NAME` and every build/NAME/ path is a configure
#     preset whose binary directory is build/NAME;
#   - the tools' directory scripts/probe builds and prints is the one the
#     README gives.
# Usage: cmake -DSOURCE=<source dir> -P CheckReadmeCommands.cmake
cmake_minimum_required(VERSION 3.16)
file(READ ${SOURCE}/README.md readme)
file(READ ${SOURCE}/scripts/test-all test_all)
file(READ ${SOURCE}/scripts/probe probe)
file(READ ${SOURCE}/CMakePresets.json presets)

set(problems "")
macro(problem text)
  string(APPEND problems "  ${text}\n")
endmacro()

string(REGEX MATCHALL "scripts/[a-z0-9-]+" scripts "${readme}")
list(REMOVE_DUPLICATES scripts)
foreach(script IN LISTS scripts)
  if(NOT EXISTS ${SOURCE}/${script})
    problem("README names ${script}, which does not exist")
  endif()
endforeach()

# test-all's lanes: the labels of run_lane's case branches.
string(REGEX MATCH "run_lane\\(\\) {.*\n}" run_lane "${test_all}")
string(REGEX MATCHALL "\n    [a-z0-9| -]+\\)" labels "${run_lane}")
set(branches "")
foreach(label IN LISTS labels)
  string(REGEX REPLACE "[\n )]" "" label "${label}")
  string(REPLACE "|" ";" label "${label}")
  list(APPEND branches ${label})
endforeach()
if(NOT branches)
  problem("no lanes found in scripts/test-all's run_lane")
endif()

string(REGEX MATCHALL "scripts/test-all [a-z0-9-]+" lane_uses "${readme}")
foreach(use IN LISTS lane_uses)
  string(REPLACE "scripts/test-all " "" lane "${use}")
  if(NOT lane IN_LIST branches)
    problem("README runs `${use}`, but scripts/test-all has no lane ${lane}")
  endif()
endforeach()

string(REGEX MATCH "\nall_lanes=\\(([^)]*)\\)" all_lanes "${test_all}")
string(REGEX REPLACE "[ \n]+" ";" default_lanes "${CMAKE_MATCH_1}")
list(REMOVE_ITEM default_lanes "")
string(REGEX MATCH "## How it is checked.*" checked "${readme}")
string(REGEX MATCH "\\| lane \\|[^\n]*\n\\|[-|]+\n(\\|[^\n]*\n)+" table "${checked}")
string(REGEX MATCHALL "\n\\| `[a-z0-9-]+` \\|" rows "${table}")
set(table_lanes "")
foreach(row IN LISTS rows)
  string(REGEX REPLACE "[\n| `]" "" lane "${row}")
  list(APPEND table_lanes ${lane})
  if(NOT lane IN_LIST branches)
    problem("README's lane table lists ${lane}, which scripts/test-all lacks")
  endif()
endforeach()
foreach(lane IN LISTS default_lanes)
  if(NOT lane IN_LIST table_lanes)
    problem("scripts/test-all runs lane ${lane}, missing from README's lane table")
  endif()
  if(NOT lane IN_LIST branches)
    problem("scripts/test-all lists lane ${lane} without a case branch")
  endif()
endforeach()

string(REGEX MATCHALL "--preset [a-z0-9-]+" preset_uses "${readme}")
# Relative paths only (a path such as /srv/x/build/... in sample output is
# someone's machine).
string(REGEX MATCHALL "[\n `(]build/[a-z0-9-]+/" dir_uses "${readme}")
set(preset_names "")
foreach(use IN LISTS preset_uses dir_uses)
  string(REGEX REPLACE "^[\n `(]?(--preset |build/)([a-z0-9-]+)/?$" "\\2" name "${use}")
  list(APPEND preset_names ${name})
endforeach()
list(REMOVE_DUPLICATES preset_names)
foreach(name IN LISTS preset_names)
  if(name STREQUAL "docs" OR name STREQUAL "deps")
    # scripts/check-docs' output and scripts/build-cmocka-mingw's, not presets
    continue()
  endif()
  string(FIND "${presets}" "\"name\": \"${name}\"" at)
  string(FIND "${presets}" "\"binaryDir\": \"\${sourceDir}/build/${name}\"" dir_at)
  if(at EQUAL -1 OR dir_at EQUAL -1)
    problem("README uses preset or directory ${name}, not a preset building in build/${name}")
  endif()
endforeach()

string(REGEX MATCH "exec (build/[a-z0-9-]+/tools/)sockclose-probe" exec_line "${probe}")
set(probe_dir "${CMAKE_MATCH_1}")
string(REGEX MATCH "--preset ([a-z0-9-]+)" probe_preset "${probe}")
if(NOT probe_dir STREQUAL "build/${CMAKE_MATCH_1}/tools/")
  problem("scripts/probe runs ${probe_dir}sockclose-probe but builds preset ${CMAKE_MATCH_1}")
endif()
string(FIND "${readme}" "${probe_dir}sockclose-probe" at)
if(probe_dir STREQUAL "" OR at EQUAL -1)
  problem("README does not show the probe where scripts/probe builds it (${probe_dir})")
endif()

if(problems)
  message(FATAL_ERROR "README.md and the scripts disagree:\n${problems}")
endif()
list(LENGTH scripts n_scripts)
list(LENGTH table_lanes n_lanes)
list(LENGTH preset_names n_presets)
message(STATUS "README commands checked: ${n_scripts} scripts, ${n_lanes} lanes, "
  "${n_presets} presets and build directories, the probe's path ${probe_dir}")
