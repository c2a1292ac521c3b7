/*
 * Windows: loopback primitives for skc_tcp_pair() (src/common/tcp_pair.c).
 */
#include "../platform.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <string.h>
#include "../sockaddr.h"

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

static int skc__fail_closing(SOCKET s) {
  int native = WSAGetLastError();
  closesocket(s);
  WSASetLastError(native);
  return skc__plat_translate(native);
}

/* A TCP socket that child processes do not inherit. Winsock handles are
 * inheritable by default; WSA_FLAG_NO_HANDLE_INHERIT (Windows 7 SP1 and
 * later, WSASocket documentation) turns that off atomically. */
static int skc__tcp_socket(SOCKET *out) {
  SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                        WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET)
    return skc__plat_translate(WSAGetLastError());
  *out = s;
  return 0;
}

int skc__plat_loopback_listen(skc_socket_t *listener, unsigned short *port) {
  struct sockaddr_in addr = skc__loopback(0);
  int len = (int)sizeof addr;
  SOCKET s = INVALID_SOCKET;
  int err = skc__tcp_socket(&s);
  if (err != 0)
    return err;
  if (bind(s, (struct sockaddr *)&addr, (int)sizeof addr) != 0 ||
      listen(s, 1) != 0 || getsockname(s, (struct sockaddr *)&addr, &len) != 0)
    return skc__fail_closing(s);
  *listener = (skc_socket_t)s;
  *port = ntohs(addr.sin_port);
  return 0;
}

int skc__plat_loopback_connect(unsigned short port, skc_socket_t *client,
                               unsigned short *local_port) {
  struct sockaddr_in addr = skc__loopback(port);
  int len = (int)sizeof addr;
  SOCKET s = INVALID_SOCKET;
  int err = skc__tcp_socket(&s);
  if (err != 0)
    return err;
  if (connect(s, (struct sockaddr *)&addr, (int)sizeof addr) != 0 ||
      getsockname(s, (struct sockaddr *)&addr, &len) != 0)
    return skc__fail_closing(s);
  *client = (skc_socket_t)s;
  *local_port = ntohs(addr.sin_port);
  return 0;
}

int skc__plat_loopback_accept(skc_socket_t listener, skc_socket_t *server,
                              unsigned short *peer_port) {
  struct sockaddr_in peer;
  int len;
  SOCKET s;
  do {
    memset(&peer, 0, sizeof peer);
    len = (int)sizeof peer;
    /* An accepted socket takes its inheritance flag from the listener. A
     * connection reset before accept is reported as WSAECONNRESET
     * (accept documentation); the next one is still there. */
    s = accept((SOCKET)listener, (struct sockaddr *)&peer, &len);
  } while (s == INVALID_SOCKET && WSAGetLastError() == WSAECONNRESET);
  if (s == INVALID_SOCKET)
    return skc__plat_translate(WSAGetLastError());
  *server = (skc_socket_t)s;
  *peer_port = peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK)
                   ? ntohs(peer.sin_port)
                   : 0;
  return 0;
}
