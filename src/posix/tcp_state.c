/*
 * POSIX: one socket's TCP state, the listener reuse option, and what the
 * leak check needs to know of a socket.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* struct tcp_info and the TCP_* states in C11 mode */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* TCP_CONNECTION_INFO */
#endif
#include "../platform.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include "../sockaddr.h"
#if defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||      \
    defined(__DragonFly__)
#include <netinet/tcp_fsm.h>
#endif

static int skc__fail(void) { return skc__plat_translate(errno); }

int skc__plat_tcp_state(skc_socket_t s) {
#if defined(__linux__)
  /* tcp(7) TCP_INFO: tcpi_state in Linux's numbering (tcp_states.h). A
   * socket that is not TCP fails with EOPNOTSUPP. */
  struct tcp_info info;
  socklen_t size = sizeof info;
  int state;
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    return skc__fail();
  state = skc__tcp_state_from_linux(info.tcpi_state);
  return state != 0 ? state : SKC_ENOTSUP;
#elif defined(__APPLE__) && defined(TCP_CONNECTION_INFO)
  /* xnu netinet/tcp.h TCP_CONNECTION_INFO: tcpi_state in the BSD TCPS_*
   * numbering. */
  struct tcp_connection_info info;
  socklen_t size = sizeof info;
  int state;
  if (getsockopt(s, IPPROTO_TCP, TCP_CONNECTION_INFO, &info, &size) != 0)
    return skc__fail();
  state = skc__tcp_state_from_bsd(info.tcpi_state);
  return state != 0 ? state : SKC_ENOTSUP;
#elif defined(TCP_INFO) && defined(TCPS_FIN_WAIT_1)
  /* FreeBSD tcp(4) TCP_INFO: tcpi_state in the TCPS_* numbering. */
  struct tcp_info info;
  socklen_t size = sizeof info;
  int state;
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    return skc__fail();
  state = skc__tcp_state_from_bsd(info.tcpi_state);
  return state != 0 ? state : SKC_ENOTSUP;
#else
  (void)s;
  errno = ENOTSUP;
  return SKC_ENOTSUP;
#endif
}

int skc__plat_listen_reuse(skc_socket_t s) {
  /* socket(7) SO_REUSEADDR: bind() may reuse a local address unless a
   * socket is actively listening on it; Linux accepts a TIME_WAIT
   * connection of the port only when that connection's socket had the
   * option too (inet_csk_bind_conflict), hence "call it on every
   * listener". It never lets a second socket listen on the same port. */
  int on = 1;
  return setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0
             ? 0
             : skc__fail();
}

int skc__plat_socket_info(skc_socket_t s, skc__socket_info *info) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int saved = errno;
  int type = 0, listening = 0;
  socklen_t optlen = sizeof type;
  memset(info, 0, sizeof *info);
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &optlen) != 0)
    return skc__fail();
  memset(&ss, 0, sizeof ss);
  if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
    return skc__fail();
  info->is_tcp = type == SOCK_STREAM &&
                 (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
#if defined(SO_PROTOCOL)
  if (info->is_tcp) {
    /* SCTP also offers SOCK_STREAM sockets over IP. */
    int protocol = 0;
    optlen = sizeof protocol;
    if (getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &protocol, &optlen) == 0)
      info->is_tcp = protocol == IPPROTO_TCP;
  }
#endif
  if (!info->is_tcp) {
    errno = saved;
    return 0;
  }
  skc__endpoint_from(&ss, &info->local);
  optlen = sizeof listening;
  if (getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0)
    return skc__fail();
  info->is_listener = listening != 0;
  len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (!info->is_listener) {
    if (getpeername(s, (struct sockaddr *)&ss, &len) == 0) {
      info->connected = 1;
      skc__endpoint_from(&ss, &info->remote);
    } else if (errno != ENOTCONN) {
      /* ENOTCONN: not connected (or no more). Anything else leaves the
       * answer unknown. */
      return skc__fail();
    }
  }
  errno = saved;
  return 0;
}
