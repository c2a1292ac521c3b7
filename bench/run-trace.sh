#!/usr/bin/env bash
# sockclose-trace's overhead with one command: builds the release preset's
# bench_trace and sockclose-trace, runs the worker without and under the
# tracer in one run (rounds alternating) and writes
# bench/results/trace.txt, the machine first. Linux only.
#
# Usage: bench/run-trace.sh [-r ROUNDS] [-n CONNECTIONS] [-H HOLD]
#        (defaults: 7 rounds of 20,000 connections; 8,000 held)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -r|-n|-H) args+=("$1" "$2"); shift 2 ;;
    *) echo "usage: bench/run-trace.sh [-r ROUNDS] [-n CONNECTIONS] [-H HOLD]" >&2; exit 2 ;;
  esac
done

build=build/release
results=bench/results
mkdir -p "${results}"
cmake --preset release >/dev/null
cmake --build --preset release --target bench_trace sockclose-trace

# HOLD connections take 2 x HOLD descriptors in one worker, which raises
# its soft limit to the hard one.
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu: $(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p), $(nproc) cores"
  echo "memory: $(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr); $(. /etc/os-release && echo "${PRETTY_NAME}"); $(ldd --version | sed -n 1p)"
  echo "build: release preset (CMAKE_BUILD_TYPE=Release); libdw $(pkg-config --modversion libdw 2>/dev/null || echo absent)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  "${build}/bench/bench_trace" "${args[@]}" "${build}/tools/trace/sockclose-trace"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "${results}/trace.txt"
