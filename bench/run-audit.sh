#!/usr/bin/env bash
# The connection-audit benchmark, with one command: builds the release
# preset's bench_audit and sockclose-audit, runs bench_audit with 10,000
# and with 50,000 loopback connections (a tenth of them left in CLOSE_WAIT)
# against ss(8) in the same run, writes the results to bench/results/ and
# refreshes the generated part of the "Connection audit" section of
# BENCHMARKS.md. Linux only.
#
# Usage: bench/run-audit.sh [-r ROUNDS]     (default 7 rounds per size)
# On Debian or Ubuntu it installs what it needs first (CMake, Ninja, gcc,
# cmocka (the release preset configures the tests too), iproute2 for ss).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=7
while [ $# -gt 0 ]; do
  case "$1" in
    -r) rounds="$2"; shift 2 ;;
    *) echo "usage: bench/run-audit.sh [-r ROUNDS]" >&2; exit 2 ;;
  esac
done

need=()
for pkg in cmake ninja-build gcc libcmocka-dev iproute2; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "run-audit.sh: please install ${need[*]}" >&2
    exit 1
  fi
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

build=build/release
results=bench/results
mkdir -p "${results}"
cmake --preset release >/dev/null
cmake --build --preset release --target bench_audit sockclose-audit

# 50,000 connections take 100,000 descriptors, 2 x 8,000 per worker: each
# worker raises its soft limit to the hard one, which must allow that.
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt 16100 ]; then
  echo "run-audit.sh: the hard descriptor limit ($(ulimit -Hn)) is below 16,100" >&2
  exit 1
fi

{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'cpu\t%s\n' "$(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p)"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'memory\t%s\n' "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'os\t%s\n' "$(. /etc/os-release && echo "${PRETTY_NAME}")"
  printf 'ss\t%s\n' "$(ss -V 2>&1 | sed -n 1p)"
  printf 'build\t%s\n' "release preset (CMAKE_BUILD_TYPE=Release)"
  printf 'other connections at start\t%s\n' "$(sed -n 's/^TCP: //p' /proc/net/sockstat)"
  printf 'load before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >"${results}/audit-machine.tsv"

: >"${results}/audit.tsv"
: >"${results}/audit.txt"
for n in 10000 50000; do
  echo "=== ${n} connections ===" | tee -a "${results}/audit.txt"
  "${build}/bench/bench_audit" -n "${n}" -r "${rounds}" \
    --tool "${build}/tools/sockclose-audit" --tsv "${results}/audit.tsv" |
    tee -a "${results}/audit.txt"
  echo | tee -a "${results}/audit.txt"
done
printf 'load after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"${results}/audit-machine.tsv"

# The generated part of BENCHMARKS.md's "Connection audit" section.
{
  echo "Measured $(awk -F'\t' '$1 == "date" {print $2}' "${results}/audit-machine.tsv") with \`bench/run-audit.sh -r ${rounds}\`."
  echo
  echo "| machine | |"
  echo "|---|---|"
  awk -F'\t' '{printf "| %s | %s |\n", $1, $2}' "${results}/audit-machine.tsv"
  echo
  echo "| connections | CLOSE_WAIT | method | counted (ours) | median ms | fastest ms |"
  echo "|---:|---:|---|---:|---:|---:|"
  awk -F'\t' '{printf "| %d | %d | %s | %d | %.1f | %.1f |\n", $1, $2, $3, $4, $6, $7}' "${results}/audit.tsv"
  echo
  awk '/^=== / {n = $2} /^(ratios|counts)/ {printf "%s connections, %s  \n", n, $0}' "${results}/audit.txt"
} >"${results}/audit.md"

if grep -q '^<!-- audit:begin -->$' BENCHMARKS.md && grep -q '^<!-- audit:end -->$' BENCHMARKS.md; then
  awk -v gen="${results}/audit.md" '
    /^<!-- audit:begin -->$/ {print; while ((getline line < gen) > 0) print line; skip = 1; next}
    /^<!-- audit:end -->$/ {skip = 0}
    !skip' BENCHMARKS.md >BENCHMARKS.md.tmp
  mv BENCHMARKS.md.tmp BENCHMARKS.md
  echo "BENCHMARKS.md: Connection audit section updated"
else
  echo "results: ${results}/audit.md"
fi
