/*
 * Windows: the Winsock calls on one socket.
 */
#include "../platform.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <windows.h>

#include <string.h>
#include "../sockaddr.h"

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

static SKC__COLD int skc__fail(void) { return skc__plat_translate(WSAGetLastError()); }

int skc__plat_close(skc_socket_t s) {
  return closesocket((SOCKET)s) == 0 ? 0 : skc__fail();
}

/* The public values are Winsock's: no mapping on the way. */
_Static_assert(SKC_SHUT_RD == SD_RECEIVE && SKC_SHUT_WR == SD_SEND &&
                   SKC_SHUT_RDWR == SD_BOTH,
               "SKC_SHUT_* must equal SD_*");

int skc__plat_shutdown(skc_socket_t s, int how) {
  return shutdown((SOCKET)s, how) == 0 ? 0 : skc__fail();
}

int skc__plat_set_linger_zero(skc_socket_t s) {
  struct linger lin;
  lin.l_onoff = 1;
  lin.l_linger = 0;
  return setsockopt((SOCKET)s, SOL_SOCKET, SO_LINGER, (const char *)&lin,
                    (int)sizeof lin) == 0
             ? 0
             : skc__fail();
}

/* Winsock moves an int's worth per call; the common code has clamped len
 * to SKC_IO_MAX (INT_MAX) already, so the casts below are exact. Winsock
 * never raises signals. */
ptrdiff_t skc__plat_send(skc_socket_t s, const void *buf, size_t len) {
  int n = send((SOCKET)s, (const char *)buf, (int)len, 0);
  return n != SOCKET_ERROR ? (ptrdiff_t)n : skc__fail();
}

ptrdiff_t skc__plat_recv(skc_socket_t s, void *buf, size_t len) {
  int n = recv((SOCKET)s, (char *)buf, (int)len, 0);
  return n != SOCKET_ERROR ? (ptrdiff_t)n : skc__fail();
}

/* Winsock reports a send after our own SD_SEND as WSAESHUTDOWN and never
 * as EPIPE, so the common code never needs to ask. */
int skc__plat_sent_fin(skc_socket_t s) {
  (void)s;
  return SKC_ENOTSUP;
}

/* Winsock reports a send on a socket that is not connected as
 * WSAENOTCONN itself. */
int skc__plat_never_connected(skc_socket_t s) {
  (void)s;
  return SKC_ENOTSUP;
}

int skc__plat_is_listener(skc_socket_t s) {
  int saved = WSAGetLastError();
  BOOL listening = FALSE;
  int size = (int)sizeof listening;
  int result;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ACCEPTCONN, (char *)&listening,
                 &size) != 0)
    result = skc__fail();
  else
    result = listening != FALSE;
  WSASetLastError(saved);
  return result;
}

/* Windows keeps failing every call on a reset or aborted connection with
 * WSAECONNRESET ("Windows Sockets Error Codes": the socket "is no longer
 * usable"), so a 0 from recv is always an orderly end there. (Wine 8
 * returns 0 after an RST instead; the scenario table names it.) */
int skc__plat_ended_in_order(skc_socket_t s) {
  (void)s;
  return 1;
}

/* Windows reports a failed connection attempt through connect() or
 * WSAGetOverlappedResult / SO_ERROR, not through send and recv. */
int skc__plat_was_established(skc_socket_t s) {
  (void)s;
  return 1;
}

int skc__plat_set_inheritable(skc_socket_t s, int inheritable) {
  if (SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT,
                           inheritable ? HANDLE_FLAG_INHERIT : 0))
    return 0;
  /* GetLastError() and WSAGetLastError() are the same slot; an invalid
   * handle arrives here as ERROR_INVALID_HANDLE, which translates to
   * SKC_EBADF. */
  return skc__plat_translate((int)GetLastError());
}

/* ---- connections ---- */

static int skc__fail_closing(SOCKET s) {
  int native = WSAGetLastError();
  closesocket(s);
  WSASetLastError(native);
  return skc__plat_translate(native);
}

int skc__plat_set_nonblocking(skc_socket_t s, int on) {
  u_long mode = on ? 1UL : 0UL;
  return ioctlsocket((SOCKET)s, (long)FIONBIO, &mode) == 0 ? 0 : skc__fail();
}

int skc__plat_tcp_socket(int family, int nonblock, skc_socket_t *out) {
  /* Winsock handles are inheritable by default; WSA_FLAG_NO_HANDLE_INHERIT
   * (Windows 7 SP1 and later, WSASocket documentation) turns that off
   * atomically. WSA_FLAG_OVERLAPPED is what socket() sets too, so the
   * socket works with IOCP. */
  SOCKET s = WSASocketW(family == SKC_FAMILY_IPV6 ? AF_INET6 : AF_INET,
                        SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET)
    return skc__fail();
  if (nonblock && skc__plat_set_nonblocking((skc_socket_t)s, 1) != 0)
    return skc__fail_closing(s);
  *out = (skc_socket_t)s;
  return 0;
}

static int skc__endpoint_result(const struct sockaddr_storage *ss,
                                skc_endpoint *out) {
  skc__endpoint_from(ss, out);
  if (out->family == 0) {
    WSASetLastError(WSAEAFNOSUPPORT);
    return SKC_EAFNOSUPPORT;
  }
  return 0;
}

int skc__plat_local_endpoint(skc_socket_t s, skc_endpoint *out) {
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  memset(&ss, 0, sizeof ss);
  /* getsockname documentation: WSAEINVAL for a socket not yet bound. */
  if (getsockname((SOCKET)s, (struct sockaddr *)&ss, &len) != 0)
    return skc__fail();
  return skc__endpoint_result(&ss, out);
}

int skc__plat_peer_endpoint(skc_socket_t s, skc_endpoint *out) {
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getpeername((SOCKET)s, (struct sockaddr *)&ss, &len) != 0)
    return skc__fail();
  return skc__endpoint_result(&ss, out);
}

int skc__plat_socket_family(skc_socket_t s) {
  /* getsockname() fails on an unbound socket; the protocol information
   * has the family from creation on. */
  WSAPROTOCOL_INFOW info;
  int len = (int)sizeof info;
  int saved = WSAGetLastError();
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_PROTOCOL_INFOW, (char *)&info,
                 &len) != 0)
    return skc__fail();
  WSASetLastError(saved);
  return info.iAddressFamily == AF_INET    ? SKC_FAMILY_IPV4
         : info.iAddressFamily == AF_INET6 ? SKC_FAMILY_IPV6
                                           : 0;
}

int skc__plat_bind_listen(skc_socket_t s, const skc_endpoint *at,
                          int backlog) {
  struct sockaddr_storage ss;
  int len = skc__sockaddr_from(at, &ss);
  if (at->family == SKC_FAMILY_IPV6) {
    /* Already Windows' default; set so that it does not depend on it. */
    DWORD on = 1;
    if (setsockopt((SOCKET)s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on,
                   (int)sizeof on) != 0)
      return skc__fail();
  }
  if (bind((SOCKET)s, (struct sockaddr *)&ss, len) != 0)
    return skc__fail();
  return listen((SOCKET)s, backlog == 0 ? SOMAXCONN : backlog) == 0
             ? 0
             : skc__fail();
}

int skc__plat_accept(skc_socket_t listener, int nonblock, skc_socket_t *out,
                     skc_endpoint *peer) {
  struct sockaddr_storage ss;
  int len = (int)sizeof ss;
  SOCKET s;
  memset(&ss, 0, sizeof ss);
  s = accept((SOCKET)listener, (struct sockaddr *)&ss, &len);
  if (s == INVALID_SOCKET) {
    /* accept documentation: WSAECONNRESET "An incoming connection was
     * indicated, but was subsequently terminated by the remote peer prior
     * to accepting the call"; the next connection is still queued. */
    if (WSAGetLastError() == WSAECONNRESET)
      return SKC_ECONNABORTED;
    /* Wine 8 (measured) takes the reset connection off the queue and
     * fails with WSAENOTCONN, which accept never reports on Windows (it
     * is not among accept's documented errors); the next connection is
     * still there. */
    if (WSAGetLastError() == WSAENOTCONN)
      return SKC_ECONNABORTED;
    return skc__fail();
  }
  /* The accepted socket copies the listener's properties, its
   * inheritability and blocking mode included (accept documentation);
   * there is no atomic way to create it non-inheritable. */
  if (!SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0)) {
    WSASetLastError((int)GetLastError());
    return skc__fail_closing(s);
  }
  if (skc__plat_set_nonblocking((skc_socket_t)s, nonblock) != 0)
    return skc__fail_closing(s);
  skc__endpoint_from(&ss, peer);
  *out = (skc_socket_t)s;
  return 0;
}

int skc__plat_connect(skc_socket_t s, const skc_endpoint *to) {
  struct sockaddr_storage ss;
  int len = skc__sockaddr_from(to, &ss);
  if (connect((SOCKET)s, (struct sockaddr *)&ss, len) == 0)
    return 0;
  switch (WSAGetLastError()) {
  case WSAEWOULDBLOCK:
    /* connect documentation: a non-blocking connect that cannot complete
     * at once fails with WSAEWOULDBLOCK; POSIX says EINPROGRESS. */
    return SKC_EINPROGRESS;
  case WSAENOBUFS:
  case WSAEADDRINUSE:
    /* With no ephemeral port left for the implicit bind, connect fails
     * with WSAENOBUFS ("No buffer space is available. The socket cannot
     * be connected."), or with WSAEADDRINUSE when the bind "was delayed
     * until the connect function" (connect documentation). POSIX reports
     * both situations as EADDRNOTAVAIL. */
    return SKC_EADDRNOTAVAIL;
  default:
    return skc__fail();
  }
}

int skc__plat_socket_error(skc_socket_t s) {
  int pending = 0;
  int len = (int)sizeof pending;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_ERROR, (char *)&pending, &len) != 0)
    return skc__fail();
  if (pending == 0)
    return 0;
  WSASetLastError(pending);
  return skc__plat_translate(pending);
}

/* The common code clamped count to SKC_SENDV_MAX and the total to
 * SKC_IO_MAX, so every length fits a ULONG and the sum a DWORD. */
ptrdiff_t skc__plat_sendv(skc_socket_t s, const skc_buf *bufs, size_t count) {
  WSABUF wsabufs[SKC_SENDV_MAX];
  DWORD sent = 0;
  size_t i;
  for (i = 0; i < count; i++) {
    /* WSABUF has no const member; WSASend only reads the bytes. */
    union {
      const void *in;
      char *out;
    } base;
    base.in = bufs[i].base;
    wsabufs[i].buf = base.out;
    wsabufs[i].len = (ULONG)bufs[i].len;
  }
  if (WSASend((SOCKET)s, wsabufs, (DWORD)count, &sent, 0, NULL, NULL) != 0)
    return skc__fail();
  return (ptrdiff_t)sent;
}

ptrdiff_t skc__plat_recvv(skc_socket_t s, const skc_recv_buf *bufs,
                          size_t count) {
  WSABUF wsabufs[SKC_SENDV_MAX];
  DWORD got = 0, flags = 0;
  size_t i;
  for (i = 0; i < count; i++) {
    wsabufs[i].buf = (char *)bufs[i].base;
    wsabufs[i].len = (ULONG)bufs[i].len;
  }
  /* WSARecv fails with the codes recv() fails with, WSAESHUTDOWN after
   * our own SD_RECEIVE included, and reports the peer's FIN as 0 bytes. */
  if (WSARecv((SOCKET)s, wsabufs, (DWORD)count, &got, &flags, NULL, NULL) != 0)
    return skc__fail();
  return (ptrdiff_t)got;
}
