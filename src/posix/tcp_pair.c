/*
 * POSIX: loopback primitives for skc_tcp_pair() (src/common/tcp_pair.c).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* accept4 */
#endif
#include "../platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../sockaddr.h"

static int skc__fail_closing(skc_socket_t s) {
  int native = errno;
  close(s);
  errno = native;
  return skc__plat_translate(native);
}

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
  if (skc__plat_set_inheritable(s, 0) != 0)
    return skc__fail_closing(s);
#endif
  *out = s;
  return 0;
}

int skc__plat_loopback_listen(skc_socket_t *listener, unsigned short *port) {
  struct sockaddr_in addr = skc__loopback(0);
  socklen_t len = sizeof addr;
  skc_socket_t s = SKC_INVALID_SOCKET;
  int err = skc__tcp_socket(&s);
  if (err != 0)
    return err;
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 1) != 0 ||
      getsockname(s, (struct sockaddr *)&addr, &len) != 0)
    return skc__fail_closing(s);
  *listener = s;
  *port = ntohs(addr.sin_port);
  return 0;
}

/* connect(2), completed even when a signal interrupts it. An interrupted
 * connect() is not undone: the connection goes on being established
 * asynchronously, and calling connect() again would fail with EALREADY
 * (POSIX connect(): "[EINTR] ... the connection shall be established
 * asynchronously"). Wait until the socket is writable, then read the
 * outcome from SO_ERROR. On failure errno holds the reason. */
static int skc__connect(skc_socket_t s, const struct sockaddr_in *addr) {
  struct pollfd pfd;
  int pending = 0;
  socklen_t size = sizeof pending;
  if (connect(s, (const struct sockaddr *)addr, sizeof *addr) == 0)
    return 0;
  if (errno != EINTR)
    return -1;
  pfd.fd = s;
  pfd.events = POLLOUT;
  for (;;) {
    pfd.revents = 0;
    if (poll(&pfd, 1, -1) > 0)
      break;
    if (errno != EINTR)
      return -1;
  }
  if (getsockopt(s, SOL_SOCKET, SO_ERROR, &pending, &size) != 0)
    return -1;
  if (pending != 0) {
    errno = pending;
    return -1;
  }
  return 0;
}

int skc__plat_loopback_connect(unsigned short port, skc_socket_t *client,
                               unsigned short *local_port) {
  struct sockaddr_in addr = skc__loopback(port);
  socklen_t len = sizeof addr;
  skc_socket_t s = SKC_INVALID_SOCKET;
  int err = skc__tcp_socket(&s);
  if (err != 0)
    return err;
  if (skc__connect(s, &addr) != 0 ||
      getsockname(s, (struct sockaddr *)&addr, &len) != 0)
    return skc__fail_closing(s);
  *client = s;
  *local_port = ntohs(addr.sin_port);
  return 0;
}

int skc__plat_loopback_accept(skc_socket_t listener, skc_socket_t *server,
                              unsigned short *peer_port) {
  struct sockaddr_in peer;
  socklen_t len;
  skc_socket_t s;
  do {
    memset(&peer, 0, sizeof peer);
    len = sizeof peer;
#if defined(__linux__)
    s = accept4(listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
#else
    s = accept(listener, (struct sockaddr *)&peer, &len);
#endif
    /* accept(2): a connection reset before it was accepted may be
     * reported as ECONNABORTED; the next one is still there. */
  } while (s < 0 && (errno == EINTR || errno == ECONNABORTED));
  if (s < 0)
    return skc__plat_translate(errno);
#if !defined(__linux__)
  if (skc__plat_set_inheritable(s, 0) != 0)
    return skc__fail_closing(s);
#endif
  *server = s;
  *peer_port = peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK)
                   ? ntohs(peer.sin_port)
                   : 0;
  return 0;
}
