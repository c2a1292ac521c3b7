/*
 * Windows: one socket's TCP state, the listener option, and what the leak
 * check needs to know of a socket.
 */
#include "../platform.h"
#include "tcp_info.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <string.h>
#include "../sockaddr.h"

/* SIO_TCP_INFO: see tcp_info.h. */

static int skc__fail(void) { return skc__plat_translate(WSAGetLastError()); }

/* A TCP socket? SO_PROTOCOL_INFOW names family, type and protocol even
 * for a socket that is not bound yet. */
static int skc__protocol_info(skc_socket_t s, WSAPROTOCOL_INFOW *info) {
  int len = (int)sizeof *info;
  return getsockopt((SOCKET)s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)info,
                    &len) == 0
             ? 0
             : skc__fail();
}

static int skc__is_tcp(const WSAPROTOCOL_INFOW *info) {
  return info->iSocketType == SOCK_STREAM && info->iProtocol == IPPROTO_TCP &&
         (info->iAddressFamily == AF_INET || info->iAddressFamily == AF_INET6);
}

int skc__plat_tcp_state(skc_socket_t s) {
  WSAPROTOCOL_INFOW protocol;
  skc__tcp_info_v0 info;
  DWORD version = 0, bytes = 0;
  BOOL listening = FALSE;
  int len = (int)sizeof listening;
  int err = skc__protocol_info(s, &protocol);
  int state;
  if (err != 0)
    return err;
  if (!skc__is_tcp(&protocol))
    return skc__plat_reject(SKC_ENOTSUP);
  /* A listener has no connection for SIO_TCP_INFO to describe;
   * SO_ACCEPTCONN tells on every Windows version. */
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening,
                 &len) != 0)
    return skc__fail();
  if (listening)
    return SKC_TCP_LISTEN;
  memset(&info, 0, sizeof info);
  if (WSAIoctl((SOCKET)s, SKC__SIO_TCP_INFO, &version, sizeof version, &info,
               sizeof info, &bytes, NULL, NULL) != 0) {
    /* Before Windows 10 1703 (and in Wine 8) the ioctl does not exist:
     * WSAEOPNOTSUPP, which translates to SKC_ENOTSUP. A socket without a
     * connection yet is in the state RFC 793 calls CLOSED. */
    if (WSAGetLastError() == WSAENOTCONN)
      return SKC_TCP_CLOSED;
    return skc__fail();
  }
  state = skc__tcp_state_from_tcpstate(info.State);
  return state != 0 ? state : SKC_ENOTSUP;
}

int skc__plat_listen_reuse(skc_socket_t s) {
  /* Windows needs no option for a restart, and SO_EXCLUSIVEADDRUSE could
   * break it; what keeps other programs off the port is that this socket
   * does not carry SO_REUSEADDR. The evidence:
   *
   * - Restart. A bind with no option ignores connections in TIME_WAIT
   *   (libuv's maintainers, joyent/libuv#1360, and Wine, which emulates
   *   it). With SO_EXCLUSIVEADDRUSE, Microsoft ("Using SO_REUSEADDR and
   *   SO_EXCLUSIVEADDRUSE") says a port whose exclusive listener accepted
   *   connections cannot be bound exclusively again "until the original
   *   connection becomes inactive", and libuv's maintainers say TIME_WAIT
   *   counts; other reports say restarts work. Not setting it keeps the
   *   restart working whichever is true.
   * - No stealing. Since Windows Server 2003, two sockets share an
   *   address only if the first one set SO_REUSEADDR: Microsoft's table of
   *   binds ("Sharing Transport Addresses", WSK docs; Winsock team blog,
   *   "Changes in Socket Bind", 2005) answers a second bind with
   *   SO_REUSEADDR, to the same address or the wildcard, with
   *   STATUS_ACCESS_DENIED (WSAEACCES) when the first socket had no
   *   option, as when it had SO_EXCLUSIVEADDRUSE. So this clears
   *   SO_REUSEADDR, in case the caller set it.
   * - What remains: a program of the same user binding one specific
   *   address (with no option) while this socket holds the wildcard passes
   *   Windows' access check and takes that address's connections; only
   *   SO_EXCLUSIVEADDRUSE refuses that, at the price above. The header
   *   says so. */
  BOOL off = FALSE;
  return setsockopt((SOCKET)s, SOL_SOCKET, SO_REUSEADDR, (const char *)&off,
                    (int)sizeof off) == 0
             ? 0
             : skc__fail();
}

int skc__plat_socket_info(skc_socket_t s, skc__socket_info *info) {
  WSAPROTOCOL_INFOW protocol;
  struct sockaddr_storage ss;
  int saved = WSAGetLastError();
  int len, err;
  BOOL listening = FALSE;
  memset(info, 0, sizeof *info);
  err = skc__protocol_info(s, &protocol);
  if (err != 0)
    return err;
  info->is_tcp = skc__is_tcp(&protocol);
  if (!info->is_tcp) {
    WSASetLastError(saved);
    return 0;
  }
  info->local.family =
      protocol.iAddressFamily == AF_INET ? SKC_FAMILY_IPV4 : SKC_FAMILY_IPV6;
  len = (int)sizeof ss;
  memset(&ss, 0, sizeof ss);
  /* getsockname() fails with WSAEINVAL on a socket that is not bound:
   * its local end is then "any", port 0. */
  if (getsockname((SOCKET)s, (struct sockaddr *)&ss, &len) == 0)
    skc__endpoint_from(&ss, &info->local);
  len = (int)sizeof listening;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening,
                 &len) == 0)
    info->is_listener = listening != FALSE;
  len = (int)sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (!info->is_listener &&
      getpeername((SOCKET)s, (struct sockaddr *)&ss, &len) == 0) {
    info->connected = 1;
    skc__endpoint_from(&ss, &info->remote);
  }
  WSASetLastError(saved);
  return 0;
}
