#!/usr/bin/env bash
# The closer at scale: the steady-state table of BENCHMARKS.md in one
# command (Linux, as root for a private network namespace):
#
#   bench/run-closer-scale.sh [BUILD_DIR] [bench_closer_scale options]
#
# BUILD_DIR: a build with SOCKCLOSE_BUILD_BENCH=ON (default build/release,
# built here if missing). The run happens in a fresh network namespace, so
# that its tens of thousands of connections and TIME_WAIT entries do not
# touch the machine's, with the port range widened and the descriptor
# limit raised to 20,000 (N = 19,000 needs it). Options go to
# bench_closer_scale (defaults: --n 1000,5000,10000,19000 --rate 1000
# --seconds 3 --idle 1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=build/release
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  build=$1
  shift
fi
if [ ! -x "${build}/bench/bench_closer_scale" ]; then
  cmake --preset release >/dev/null
  cmake --build "${build}" --target bench_closer_scale
fi
[ "$(id -u)" = 0 ] || { echo "run-closer-scale.sh: needs root (unshare -n)" >&2; exit 1; }
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec unshare -n bash -c '
  ip link set lo up
  sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
  sysctl -qw net.ipv4.tcp_tw_reuse=1
  ulimit -n 20000
  exec "$0" "$@"' "${build}/bench/bench_closer_scale" "$@"
