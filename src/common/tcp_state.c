/*
 * TCP states: one numbering for every OS, the names, what a state means
 * for skc_peer_closed(), and the lookup of a socket's state in the
 * connection table where the OS cannot tell it per socket.
 */
#include "sockclose.h"
#include "../platform.h"

#include <stddef.h>
#include <string.h>

static const char *const skc__state_names[SKC_TCP_STATE_COUNT] = {
    NULL,          "CLOSED",     "LISTEN",     "SYN_SENT",
    "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
    "CLOSE_WAIT",  "CLOSING",    "LAST_ACK",   "TIME_WAIT"};

const char *skc_tcp_state_name(int state) {
  if (state <= 0 || state >= SKC_TCP_STATE_COUNT)
    return "UNKNOWN";
  return skc__state_names[state];
}

/* Compare ignoring case, with '-' equal to '_'. */
static int skc__same_state_name(const char *given, const char *known) {
  for (;; given++, known++) {
    char a = *given, b = *known;
    if (a >= 'a' && a <= 'z')
      a = (char)(a - 'a' + 'A');
    if (a == '-')
      a = '_';
    if (a != b)
      return 0;
    if (a == '\0')
      return 1;
  }
}

int skc_tcp_state_from_name(const char *name) {
  static const struct {
    const char *name;
    int state;
  } aliases[] = {
      /* Linux's names (tcp_states.h, ss). */
      {"SYN_RECV", SKC_TCP_SYN_RECEIVED},
      {"FIN_WAIT1", SKC_TCP_FIN_WAIT_1},
      {"FIN_WAIT2", SKC_TCP_FIN_WAIT_2},
      {"CLOSE", SKC_TCP_CLOSED},
  };
  int state;
  size_t i;
  if (name == NULL)
    return skc__plat_reject(SKC_EFAULT);
  for (state = 1; state < SKC_TCP_STATE_COUNT; state++)
    if (skc__same_state_name(name, skc__state_names[state]))
      return state;
  for (i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (skc__same_state_name(name, aliases[i].name))
      return aliases[i].state;
  return skc__plat_reject(SKC_EINVAL);
}

/* ---- native numberings ---- */

/* Linux include/net/tcp_states.h: ESTABLISHED 1, SYN_SENT 2, SYN_RECV 3,
 * FIN_WAIT1 4, FIN_WAIT2 5, TIME_WAIT 6, CLOSE 7, CLOSE_WAIT 8,
 * LAST_ACK 9, LISTEN 10, CLOSING 11, NEW_SYN_RECV 12 (a request socket,
 * which ss shows as SYN-RECV), BOUND_INACTIVE 13 (bound, not listening:
 * no connection, so CLOSED). */
int skc__tcp_state_from_linux(int linux_state) {
  static const int map[] = {0,
                            SKC_TCP_ESTABLISHED,
                            SKC_TCP_SYN_SENT,
                            SKC_TCP_SYN_RECEIVED,
                            SKC_TCP_FIN_WAIT_1,
                            SKC_TCP_FIN_WAIT_2,
                            SKC_TCP_TIME_WAIT,
                            SKC_TCP_CLOSED,
                            SKC_TCP_CLOSE_WAIT,
                            SKC_TCP_LAST_ACK,
                            SKC_TCP_LISTEN,
                            SKC_TCP_CLOSING,
                            SKC_TCP_SYN_RECEIVED,
                            SKC_TCP_CLOSED};
  if (linux_state < 0 || linux_state >= (int)(sizeof map / sizeof map[0]))
    return 0;
  return map[linux_state];
}

/* BSD netinet/tcp_fsm.h (FreeBSD, and xnu's tcpi_state): CLOSED 0,
 * LISTEN 1, SYN_SENT 2, SYN_RECEIVED 3, ESTABLISHED 4, CLOSE_WAIT 5,
 * FIN_WAIT_1 6, CLOSING 7, LAST_ACK 8, FIN_WAIT_2 9, TIME_WAIT 10. */
int skc__tcp_state_from_bsd(int bsd_state) {
  static const int map[] = {SKC_TCP_CLOSED,      SKC_TCP_LISTEN,
                            SKC_TCP_SYN_SENT,    SKC_TCP_SYN_RECEIVED,
                            SKC_TCP_ESTABLISHED, SKC_TCP_CLOSE_WAIT,
                            SKC_TCP_FIN_WAIT_1,  SKC_TCP_CLOSING,
                            SKC_TCP_LAST_ACK,    SKC_TCP_FIN_WAIT_2,
                            SKC_TCP_TIME_WAIT};
  if (bsd_state < 0 || bsd_state >= (int)(sizeof map / sizeof map[0]))
    return 0;
  return map[bsd_state];
}

/* Windows mstcpip.h TCPSTATE (SIO_TCP_INFO): CLOSED 0, LISTEN 1,
 * SYN_SENT 2, SYN_RCVD 3, ESTABLISHED 4, FIN_WAIT_1 5, FIN_WAIT_2 6,
 * CLOSE_WAIT 7, CLOSING 8, LAST_ACK 9, TIME_WAIT 10: RFC 1213's order,
 * one lower. */
int skc__tcp_state_from_tcpstate(int tcpstate) {
  if (tcpstate < 0 || tcpstate > 10)
    return 0;
  return tcpstate + 1;
}

/* Windows MIB_TCP_STATE (GetExtendedTcpTable), RFC 1213 tcpConnState:
 * CLOSED 1 ... TIME_WAIT 11, the numbering of SKC_TCP_*; DELETE_TCB 12 is
 * a connection being deleted, so CLOSED. */
int skc__tcp_state_from_mib(int mib_state) {
  if (mib_state >= 1 && mib_state <= 11)
    return mib_state;
  if (mib_state == 12)
    return SKC_TCP_CLOSED;
  return 0;
}

/* ---- lookup by address pair ---- */

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address: a
 * dual-stack socket's getsockname() gives the mapped form while a table
 * may list the plain one. */
static skc_endpoint skc__unmapped(const skc_endpoint *e) {
  static const unsigned char prefix[12] = {0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0xff, 0xff};
  skc_endpoint out = *e;
  if (e->family == SKC_FAMILY_IPV6 && memcmp(e->address, prefix, 12) == 0) {
    memset(&out, 0, sizeof out);
    out.family = SKC_FAMILY_IPV4;
    memcpy(out.address, e->address + 12, 4);
    out.port = e->port;
  }
  return out;
}

static int skc__same_endpoint(const skc_endpoint *a, const skc_endpoint *b) {
  skc_endpoint x = skc__unmapped(a), y = skc__unmapped(b);
  size_t len = x.family == SKC_FAMILY_IPV4 ? 4 : 16;
  return x.family == y.family && x.port == y.port &&
         memcmp(x.address, y.address, len) == 0;
}

int skc__tcp_state_in_rows(const skc_connection *rows, size_t count,
                           const skc__socket_info *info) {
  size_t i;
  int found = 0;
  if (info->is_listener)
    return SKC_TCP_LISTEN;
  /* Without a peer there is no connection in the table: never connected,
   * or reset (Linux answers getpeername() with ENOTCONN in CLOSE). */
  if (!info->connected)
    return SKC_TCP_CLOSED;
  /* The same address pair may also be listed in TIME_WAIT from an earlier
   * connection whose slot the kernel let this one reuse: a live state
   * wins. */
  for (i = 0; i < count; i++) {
    if (!skc__same_endpoint(&rows[i].local, &info->local) ||
        !skc__same_endpoint(&rows[i].remote, &info->remote))
      continue;
    if (found == 0 || found == SKC_TCP_TIME_WAIT)
      found = rows[i].state;
  }
  /* Gone from the table between getpeername() and the listing: over. */
  return found != 0 ? found : SKC_TCP_CLOSED;
}

int skc__tcp_state_by_table(const skc__socket_info *info) {
  skc_audit_options options;
  skc_connection *rows = NULL;
  size_t count = 0;
  int state, err;
  if (info->is_listener || !info->connected)
    return skc__tcp_state_in_rows(NULL, 0, info);
  memset(&options, 0, sizeof options);
  options.local_port = info->local.port;
  /* A socket is listed under its own family (a dual-stack IPv6 socket
   * with an IPv4-mapped address included): one table to read, not two. */
  options.family = info->local.family;
  err = skc_audit_list(&options, &rows, &count);
  if (err != 0)
    return err;
  state = skc__tcp_state_in_rows(rows, count, info);
  skc_audit_free(rows);
  return state;
}

/* ---- the public calls ---- */

int skc_tcp_state(skc_socket_t s) {
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_tcp_state(s));
}

int skc_peer_closed(skc_socket_t s) {
  int state;
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  state = skc__plat_tcp_state(s);
  if (state == SKC_ENOTSUP) {
    /* The OS has no per-socket query (Windows before 10 1703, Wine 8):
     * its connection table still knows the state. */
    skc__socket_info info;
    int native = skc__plat_get_native_error();
    int err = skc__plat_socket_info(s, &info);
    if (err != 0)
      return skc__handle_error(err);
    if (!info.is_tcp) {
      skc__plat_set_native_error(native);
      return SKC_ENOTSUP;
    }
    state = skc__tcp_state_by_table(&info);
  }
  if (state < 0)
    return skc__handle_error(state);
  switch (state) {
  case SKC_TCP_LISTEN:
    return skc__plat_reject(SKC_ENOTCONN);
  case SKC_TCP_CLOSE_WAIT:
  case SKC_TCP_LAST_ACK:
  case SKC_TCP_CLOSING:
  case SKC_TCP_TIME_WAIT:
  case SKC_TCP_CLOSED:
    return 1;
  default:
    return 0;
  }
}

int skc_listen_reuse(skc_socket_t s) {
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_listen_reuse(s));
}
