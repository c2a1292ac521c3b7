/*
 * POSIX: waiting for input, and a receive that never blocks, for the
 * graceful close (src/common/graceful.c).
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* MSG_DONTWAIT */
#endif
#if !defined(__APPLE__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* MSG_DONTWAIT in C11 mode */
#endif
#include "../platform.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

/* Everything that makes a receive return at once: data or end of stream
 * (POLLIN), hang-up and errors (poll(2): always reported), and a
 * descriptor that is not open (POLLNVAL), which the receive then reports
 * as an error. */
#define SKC__POLL_DONE (POLLIN | POLLHUP | POLLERR | POLLNVAL)

int skc__plat_wait_readable(skc_socket_t s, int timeout_ms) {
  struct pollfd pfd;
  int rc;
  pfd.fd = s;
  pfd.events = POLLIN;
  pfd.revents = 0;
  rc = poll(&pfd, 1, timeout_ms);
  if (rc < 0)
    return errno == EINTR ? 0 : skc__plat_translate(errno);
  return rc > 0 && (pfd.revents & SKC__POLL_DONE) != 0;
}

ptrdiff_t skc__plat_recv_nowait(skc_socket_t s, void *buf, size_t len) {
  /* recv(2): MSG_DONTWAIT makes this one call non-blocking without
   * touching the descriptor's O_NONBLOCK flag, which other copies of the
   * descriptor share. */
  ssize_t n = recv(s, buf, len, MSG_DONTWAIT);
  if (n >= 0)
    return (ptrdiff_t)n;
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
  if (errno == EWOULDBLOCK)
    return SKC_EAGAIN;
#endif
  return skc__plat_translate(errno);
}
