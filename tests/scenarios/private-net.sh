#!/bin/sh
# Run a command in a private network namespace prepared for the C2 and C3
# situations (tests/scenarios): loopback up, an ephemeral port range of two
# ports, SYN retries lowered to 1 (a connect to a silent address gives up
# after about 3 s), and 10.99.0.2, an address on a veth link whose far end
# never answers. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN): CI runs as
# root; elsewhere the test reports that it cannot run.
#
# usage: private-net.sh COMMAND [ARGS...]
#   A COMMAND ending in .exe runs under Wine with a wineserver of its own
#   inside the namespace (WINEPREFIX is the prefix to borrow drive_c from).
set -eu

if [ "${1:-}" != "--inside" ]; then
  if ! unshare -n true 2>/dev/null; then
    echo "private-net.sh: cannot create a network namespace (needs root)" >&2
    exit 77
  fi
  exec unshare -n "$0" --inside "$@"
fi
shift

ip link set lo up
sysctl -qw net.ipv4.ip_local_port_range="40000 40001"
sysctl -qw net.ipv4.tcp_syn_retries=1
ip link add skc0 type veth peer name skc1
ip addr add 10.99.0.1/24 dev skc0
ip link set skc0 up
ip link set skc1 up
# A fixed neighbour entry: the SYNs leave at once (no ARP failure, which
# would end in EHOSTUNREACH), reach skc1, which has no address, and are
# dropped there.
ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev skc0 nud permanent
export SKC_TEST_PRIVATE_NET=1 SKC_TEST_SILENT="10.99.0.2:9"

case "$1" in
*.exe)
  # A wineserver outside this namespace would create the sockets outside
  # it (its Unix socket is reachable from any namespace), so this run gets
  # a prefix, and with it a wineserver, of its own: the registry copied,
  # drive_c shared.
  base="${WINEPREFIX:?WINEPREFIX must name the Wine prefix}"
  WINEPREFIX="$(mktemp -d "${TMPDIR:-/tmp}/skc-private-net.XXXXXX")"
  export WINEPREFIX
  trap 'wineserver -k 2>/dev/null || true; rm -rf "$WINEPREFIX"' EXIT
  cp "$base"/*.reg "$WINEPREFIX"/
  [ -e "$base/.update-timestamp" ] && cp "$base/.update-timestamp" "$WINEPREFIX"/
  ln -s "$base/drive_c" "$WINEPREFIX/drive_c"
  mkdir "$WINEPREFIX/dosdevices"
  ln -s ../drive_c "$WINEPREFIX/dosdevices/c:"
  ln -s / "$WINEPREFIX/dosdevices/z:"
  wineserver -p0 </dev/null >/dev/null 2>&1
  wine "$@"
  ;;
*)
  exec "$@"
  ;;
esac
