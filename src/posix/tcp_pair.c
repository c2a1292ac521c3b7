/*
 * POSIX: a connected loopback TCP pair. socketpair(2) only makes AF_UNIX
 * pairs, whose close semantics are not TCP's.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* accept4 */
#endif
#include "../platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A TCP socket that child processes do not inherit. Linux creates it so
 * atomically (SOCK_CLOEXEC); elsewhere FD_CLOEXEC follows at once. */
static int skc__tcp_socket(skc_socket_t *out) {
#if defined(SOCK_CLOEXEC)
  skc_socket_t s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
#else
  skc_socket_t s = socket(AF_INET, SOCK_STREAM, 0);
#endif
  if (s < 0)
    return skc__plat_translate(errno);
#if !defined(SOCK_CLOEXEC)
  if (skc__plat_set_inheritable(s, 0) != 0) {
    int err = skc__plat_translate(errno);
    int saved = errno;
    close(s);
    errno = saved;
    return err;
  }
#endif
  *out = s;
  return 0;
}

static int skc__same_endpoint(const struct sockaddr_in *a,
                              const struct sockaddr_in *b) {
  return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

int skc__plat_tcp_pair(skc_socket_t pair[2]) {
  skc_socket_t listener = SKC_INVALID_SOCKET;
  skc_socket_t client = SKC_INVALID_SOCKET;
  skc_socket_t server = SKC_INVALID_SOCKET;
  struct sockaddr_in addr, client_addr, peer_addr;
  socklen_t len;
  int err = 0;
  int saved;

  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;

  if ((err = skc__tcp_socket(&listener)) != 0)
    goto done;
  len = sizeof addr;
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
    goto fail;
  if ((err = skc__tcp_socket(&client)) != 0)
    goto done;
  if (connect(client, (struct sockaddr *)&addr, sizeof addr) != 0)
    goto fail;
  len = sizeof client_addr;
  if (getsockname(client, (struct sockaddr *)&client_addr, &len) != 0)
    goto fail;
  /* Another local process may connect to the listener first; accept until
   * the connection whose peer is our client arrives. */
  for (;;) {
    len = sizeof peer_addr;
#if defined(__linux__)
    server = accept4(listener, (struct sockaddr *)&peer_addr, &len,
                     SOCK_CLOEXEC);
#else
    server = accept(listener, (struct sockaddr *)&peer_addr, &len);
#endif
    if (server < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      goto fail;
    }
#if !defined(__linux__)
    if (skc__plat_set_inheritable(server, 0) != 0)
      goto fail;
#endif
    if (skc__same_endpoint(&peer_addr, &client_addr))
      break;
    close(server);
    server = SKC_INVALID_SOCKET;
  }
  pair[0] = client;
  pair[1] = server;
  client = SKC_INVALID_SOCKET;
  server = SKC_INVALID_SOCKET;
  goto done;

fail:
  err = skc__plat_translate(errno);
done:
  saved = errno;
  if (listener >= 0)
    close(listener);
  if (client >= 0)
    close(client);
  if (server >= 0)
    close(server);
  errno = saved;
  return err;
}
