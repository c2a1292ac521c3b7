/*
 * Windows: a connected loopback TCP pair. Winsock has no socketpair().
 */
#include "../platform.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <string.h>

#ifndef WSA_FLAG_NO_HANDLE_INHERIT
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#endif

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

static int skc__same_endpoint(const struct sockaddr_in *a,
                              const struct sockaddr_in *b) {
  return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

int skc__plat_tcp_pair(skc_socket_t pair[2]) {
  SOCKET listener = INVALID_SOCKET;
  SOCKET client = INVALID_SOCKET;
  SOCKET server = INVALID_SOCKET;
  struct sockaddr_in addr, client_addr, peer_addr;
  int len;
  int err = 0;
  int saved;

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;

  if ((err = skc__tcp_socket(&listener)) != 0)
    goto done;
  len = (int)sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, (int)sizeof addr) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
    goto fail;
  if ((err = skc__tcp_socket(&client)) != 0)
    goto done;
  if (connect(client, (struct sockaddr *)&addr, (int)sizeof addr) != 0)
    goto fail;
  len = (int)sizeof client_addr;
  if (getsockname(client, (struct sockaddr *)&client_addr, &len) != 0)
    goto fail;
  /* Another local process may connect to the listener first; accept until
   * the connection whose peer is our client arrives. An accepted socket
   * takes its inheritance flag from the listener. */
  for (;;) {
    len = (int)sizeof peer_addr;
    server = accept(listener, (struct sockaddr *)&peer_addr, &len);
    if (server == INVALID_SOCKET) {
      if (WSAGetLastError() == WSAECONNRESET)
        continue;
      goto fail;
    }
    if (skc__same_endpoint(&peer_addr, &client_addr))
      break;
    closesocket(server);
    server = INVALID_SOCKET;
  }
  pair[0] = (skc_socket_t)client;
  pair[1] = (skc_socket_t)server;
  client = INVALID_SOCKET;
  server = INVALID_SOCKET;
  goto done;

fail:
  err = skc__plat_translate(WSAGetLastError());
done:
  saved = WSAGetLastError();
  if (listener != INVALID_SOCKET)
    closesocket(listener);
  if (client != INVALID_SOCKET)
    closesocket(client);
  if (server != INVALID_SOCKET)
    closesocket(server);
  WSASetLastError(saved);
  return err;
}
