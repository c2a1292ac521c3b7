#!/usr/bin/env bash
# Instructions per call, counted by callgrind: runs bench_calls under
# valgrind --tool=callgrind, reads one dump per case and prints, per call,
# the instructions executed between the two CALLGRIND_TOGGLE_COLLECT
# brackets minus what the empty brackets cost (see bench/bench_calls.c).
#
# Usage: bench/callgrind.sh [BUILD_DIR [RESULTS_DIR]]
#   BUILD_DIR    a build with SOCKCLOSE_BUILD_BENCH=ON (default build/release)
#   RESULTS_DIR  where calls.tsv (every case), wrappers.tsv, ended.tsv, lookups.tsv,
#                sweeps.tsv, sweep-points.tsv and calls.md (the report) are
#                written (default: none, the report is printed only)
# Instruction counts do not depend on the machine's load: two runs of the
# same binary give the same numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${1:-build/release}
results=${2:-}
driver=${build}/bench/bench_calls
if [ ! -x "${driver}" ]; then
  echo "callgrind.sh: ${driver} not found: build the bench_calls target" >&2
  exit 1
fi
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT
[ -n "${results}" ] || results=${work}/results
mkdir -p "${results}"

# LD_BIND_NOW: resolve every symbol at start-up, so that the first call of
# send() or shutdown() does not count the dynamic linker's lazy binding.
LD_BIND_NOW=1 valgrind --tool=callgrind --collect-atstart=no \
  --callgrind-out-file="${work}/callgrind.out" "${driver}" \
  >"${work}/driver.log" 2>&1 || { cat "${work}/driver.log" >&2; exit 1; }

# One line per dump, in the order the cases ran: group|case|calls|Ir.
n=1
while [ -f "${work}/callgrind.out.${n}" ]; do
  f=${work}/callgrind.out.${n}
  n=$((n + 1))
  awk '/^desc: Trigger: Client Request: /{sub(/^desc: Trigger: Client Request: /, ""); d = $0}
       /^totals:/{print d "|" $2}' "$f"
done >"${work}/dumps.txt"
[ -s "${work}/dumps.txt" ] || { echo "callgrind.sh: no dumps found" >&2; exit 1; }

# Net instructions per call for every case.
awk -F'|' '
  $1 == "baseline" {
    if (($3 in base) && base[$3] != $4) {
      printf "callgrind.sh: the empty bracket cost %s, then %s instructions for %s calls\n",
             base[$3], $4, $3 > "/dev/stderr"; exit 1
    }
    base[$3] = $4; next
  }
  {
    if (!($3 in base)) { print "callgrind.sh: no baseline for " $3 " calls" > "/dev/stderr"; exit 1 }
    printf "%s\t%s\t%d\t%d\t%.2f\n", $1, $2, $3, $4, ($4 - base[$3]) / $3
  }' "${work}/dumps.txt" >"${work}/net.tsv"
{ printf 'group\tcase\tcalls\tinstructions\tper_call\n'; cat "${work}/net.tsv"; } >"${results}/calls.tsv"

# The socket calls: raw against sockclose.
awk -F'\t' '
  $1 ~ /^(send|recv|shutdown|close)/ {
    if ($2 ~ /^skc_/) skc[$1] = $5; else { raw[$1] = $5; rawname[$1] = $2; order[++n] = $1 }
  }
  END {
    printf "call\traw\tsockclose\toverhead\n"
    for (i = 1; i <= n; ++i) {
      g = order[i]
      printf "%s\t%.1f\t%.1f\t%.1f\n", rawname[g], raw[g], skc[g], skc[g] - raw[g]
    }
  }' "${work}/net.tsv" >"${results}/wrappers.tsv"

# The end-of-stream paths: raw against sockclose, the extra getsockopt
# included.
awk -F'\t' '
  $1 ~ /^ended recv/ {
    if ($2 ~ /^skc_/) skc[$1] = $5; else { raw[$1] = $5; order[++n] = $1 }
  }
  END {
    printf "case\traw\tsockclose\toverhead\n"
    for (i = 1; i <= n; ++i) {
      g = order[i]
      printf "%s\t%.1f\t%.1f\t%.1f\n", substr(g, 13), raw[g], skc[g], skc[g] - raw[g]
    }
  }' "${work}/net.tsv" >"${results}/ended.tsv"

# The lookups: headline cases, then each sweep as min..max over its hits
# and over its misses.
grep -E '^skc_(translate_error|err_name|strerror)	' "${work}/net.tsv" |
  awk -F'\t' 'BEGIN { printf "function\tcase\tper_call\n" } { printf "%s\t%s\t%.1f\n", $1, $2, $5 }' \
  >"${results}/lookups.tsv"
awk -F'\t' '
  $1 ~ /^sweep / {
    f = substr($1, 7); split($2, parts, " "); kind = parts[2]; key = f SUBSEP kind
    v = parts[1] + 0
    if (!(key in n)) { n[key] = 0; lo[key] = $5; hi[key] = $5; vlo[key] = v; vhi[key] = v; keys[++k] = key }
    n[key]++; if ($5 < lo[key]) lo[key] = $5; if ($5 > hi[key]) hi[key] = $5
    if (v < vlo[key]) vlo[key] = v; if (v > vhi[key]) vhi[key] = v
  }
  END {
    printf "function\tkind\tvalues\tlowest_value\thighest_value\tmin\tmax\n"
    for (i = 1; i <= k; ++i) {
      split(keys[i], kk, SUBSEP)
      printf "%s\t%s\t%d\t%d\t%d\t%.1f\t%.1f\n", kk[1], kk[2], n[keys[i]], vlo[keys[i]], vhi[keys[i]], lo[keys[i]], hi[keys[i]]
    }
  }' "${work}/net.tsv" >"${results}/sweeps.tsv"

# Every swept value, for the plot.
awk -F'\t' 'BEGIN { printf "function\tvalue\tkind\tper_call\n" }
  $1 ~ /^sweep / { split($2, parts, " "); printf "%s\t%s\t%s\t%.2f\n", substr($1, 7), parts[1], parts[2], $5 }' \
  "${work}/net.tsv" >"${results}/sweep-points.tsv"

# How the compiler built the translation: its instructions (without the
# alignment padding after them), from the library the driver was linked
# with.
lib=$(ls "${build}"/libsockclose.a "${build}"/libsockclose.so 2>/dev/null | head -n1 || true)
disasm=""
if [ -n "${lib}" ] && command -v objdump >/dev/null; then
  disasm=$(objdump -d --no-show-raw-insn "${lib}" |
    awk '/<skc__plat_translate>:$/ {on = 1; next} on && !NF {on = 0}
         on && !/\tnop/ {sub(/^ +[0-9a-f]+:\t/, ""); print}')
fi

{
  echo "Instructions per call (callgrind, $(valgrind --version), net of the empty bracket):"
  echo
  echo "| call | raw | sockclose | wrapper overhead |"
  echo "|---|---:|---:|---:|"
  tail -n +2 "${results}/wrappers.tsv" | awk -F'\t' '{printf "| `%s` success | %s | %s | %+.1f |\n", $1, $2, $3, $4}'
  echo
  echo "| \`recv\` that ends the stream | raw | sockclose | overhead |"
  echo "|---|---:|---:|---:|"
  tail -n +2 "${results}/ended.tsv" | awk -F'\t' '{printf "| %s | %s | %s | %+.1f |\n", $1, $2, $3, $4}'
  echo
  echo "| function | case | instructions per call |"
  echo "|---|---|---:|"
  tail -n +2 "${results}/lookups.tsv" | awk -F'\t' '{printf "| `%s` | %s | %s |\n", $1, $2, $3}'
  echo
  echo "| function | values swept | hits | misses |"
  echo "|---|---|---|---|"
  tail -n +2 "${results}/sweeps.tsv" | awk -F'\t' '
    { f = $1; if (!(f in seen)) { seen[f] = 1; order[++n] = f }
      if ($2 == "hit") { hit[f] = $6 == $7 ? $6 " (" $3 " values)" : $6 ".." $7 " (" $3 " values)" }
      else { miss[f] = $6 == $7 ? $6 " (" $3 " values)" : $6 ".." $7 " (" $3 " values)" }
      if (!(f in lo) || $4 + 0 < lo[f]) lo[f] = $4 + 0
      if (!(f in hi) || $5 + 0 > hi[f]) hi[f] = $5 + 0 }
    END { for (i = 1; i <= n; ++i) { f = order[i]
          printf "| `%s` | every int from %d to %d | %s | %s |\n", f, lo[f], hi[f], hit[f], miss[f] } }'
  if [ -n "${disasm}" ]; then
    echo
    echo "skc__plat_translate as compiled ($(printf '%s\n' "${disasm}" | wc -l) instructions):"
    echo
    echo '```'
    printf '%s\n' "${disasm}"
    echo '```'
  fi
} | tee "${results}/calls.md"
