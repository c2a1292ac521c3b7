#!/usr/bin/env bash
# The overhead benchmarks, with one command: builds the release preset's
# bench_churn and bench_calls, runs the connection churn (raw / sockclose /
# libuv) and the callgrind instruction counts, writes every result and the
# plot to bench/results/, and refreshes the generated part of the
# "Overhead" section of BENCHMARKS.md.
#
# Usage: bench/run-overhead.sh [bench_churn options]
#   e.g. bench/run-overhead.sh -n 5000 -r 3   (a quick run)
# On Debian or Ubuntu it installs what it needs first (CMake, Ninja, gcc,
# pkg-config, cmocka (the release preset configures the tests too), libuv1-dev,
# valgrind, gnuplot).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
for pkg in cmake ninja-build gcc pkg-config libcmocka-dev libuv1-dev valgrind; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need+=("$pkg")
done
command -v gnuplot >/dev/null 2>&1 || need+=(gnuplot-nox)
if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "run-overhead.sh: please install ${need[*]}" >&2
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
cmake --build --preset release --target bench_churn bench_calls

# The machine, for the record.
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "${build}/CMakeCache.txt")
cc_id=$(sed -n 's/^set(CMAKE_C_COMPILER_ID "\(.*\)")$/\1/p' "${build}"/CMakeFiles/*/CMakeCCompiler.cmake | sed -n 1p)
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'cpu\t%s\n' "$(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p)"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'kernel\t%s\n' "$(uname -sr)"
  printf 'os\t%s\n' "$(. /etc/os-release && echo "${PRETTY_NAME}")"
  printf 'compiler\t%s: %s\n' "${cc_id:-?}" "$("${cc:-cc}" --version | sed -n 1p)"
  printf 'build\t%s\n' "release preset (CMAKE_BUILD_TYPE=Release, $(sed -n 's/^CMAKE_C_FLAGS_RELEASE:STRING=//p' "${build}/CMakeCache.txt"))"
  printf 'libuv\t%s\n' "$(pkg-config --modversion libuv 2>/dev/null || echo 'not found')"
  printf 'valgrind\t%s\n' "$(valgrind --version)"
  printf 'gnuplot\t%s\n' "$(gnuplot --version)"
  printf 'port range\t%s\n' "$(tr '\t' ' ' </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo '?')"
  printf 'tcp_max_tw_buckets\t%s\n' "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets 2>/dev/null || echo '?')"
  printf 'load before\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
} >"${results}/machine.tsv"

echo "=== connection churn ==="
"${build}/bench/bench_churn" "$@" --tsv "${results}/churn-rounds.tsv" \
  --summary "${results}/churn.tsv" | tee "${results}/churn.txt"

echo
echo "=== instructions per call (callgrind) ==="
bench/callgrind.sh "${build}" "${results}" >/dev/null
cat "${results}/calls.md"

printf 'load after\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')" >>"${results}/machine.tsv"

machine_line=$(awk -F'\t' '$1 == "cpu" {cpu = $2} $1 == "cores" {n = $2} $1 == "kernel" {k = $2} $1 == "date" {d = $2}
  END {printf "%s, %s cores, %s, %s", cpu, n, k, d}' "${results}/machine.tsv")
gnuplot -e "results='${results}'" -e "subtitle='${machine_line}'" bench/overhead.gp

# The generated part of BENCHMARKS.md's "Overhead" section.
{
  echo "Measured $(awk -F'\t' '$1 == "date" {print $2}' "${results}/machine.tsv") with \`bench/run-overhead.sh$( [ $# -gt 0 ] && printf ' %s' "$@")\`."
  echo
  echo "| machine | |"
  echo "|---|---|"
  awk -F'\t' '{printf "| %s | %s |\n", $1, $2}' "${results}/machine.tsv"
  echo
  sed -n '1,3p' "${results}/churn.txt" | sed 's/^/    /'
  echo
  echo "| method | median connections/s (rounds) | min | max | ratio to raw (median of blocks) | middle half of the block ratios |"
  echo "|---|---:|---:|---:|---:|---|"
  tail -n +2 "${results}/churn.tsv" | awk -F'\t' '{printf "| %s | %.0f | %.0f | %.0f | %.4f | %.4f..%.4f |\n", $1, $2, $3, $4, $5, $6, $7}'
  echo
  grep -E '^(sockclose|raw-again)/raw' "${results}/churn.txt" | sed 's/$/  /' || true
  echo
  echo "Every round (connections/s):"
  echo
  awk -F'\t' 'NR > 1 {r[$1] = 1; m[$2] = 1; v[$1, $2] = $5; if (!($2 in seen)) {seen[$2] = 1; order[++n] = $2}}
    END {printf "| round |"; for (i = 1; i <= n; ++i) printf " %s |", order[i]; printf "\n|---|"
         for (i = 1; i <= n; ++i) printf "---:|"; printf "\n"
         for (k = 1; (k in r); ++k) {printf "| %d |", k; for (i = 1; i <= n; ++i) printf " %.0f |", v[k, order[i]]; printf "\n"}}' \
    "${results}/churn-rounds.tsv"
  echo
  cat "${results}/calls.md"
  echo
  echo "![overhead](bench/results/overhead.png)"
} >"${results}/overhead.md"

if [ -f BENCHMARKS.md ] && grep -q '^<!-- overhead:begin -->$' BENCHMARKS.md &&
   grep -q '^<!-- overhead:end -->$' BENCHMARKS.md; then
  awk -v gen="${results}/overhead.md" '
    /^<!-- overhead:begin -->$/ {print; while ((getline line < gen) > 0) print line; skip = 1; next}
    /^<!-- overhead:end -->$/ {skip = 0}
    !skip' BENCHMARKS.md >BENCHMARKS.md.tmp
  mv BENCHMARKS.md.tmp BENCHMARKS.md
  echo
  echo "BENCHMARKS.md: Overhead section updated; plot: ${results}/overhead.png"
else
  echo
  echo "results: ${results}/overhead.md, plot: ${results}/overhead.png"
fi
