/*
 * POSIX: waiting for input, and a receive that never blocks, for the
 * graceful close (src/common/graceful.c, src/common/closer.c).
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* MSG_DONTWAIT */
#endif
#if !defined(__APPLE__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* MSG_DONTWAIT in C11 mode */
#endif
#include "../platform.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
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

struct skc__plat_pollset {
  struct pollfd *fds;
  size_t capacity;
};

skc__plat_pollset *skc__plat_pollset_new(void) {
  return calloc(1, sizeof(skc__plat_pollset));
}

void skc__plat_pollset_free(skc__plat_pollset *set) {
  if (set != NULL) {
    free(set->fds);
    free(set);
  }
}

int skc__plat_pollset_reserve(skc__plat_pollset *set, size_t capacity) {
  struct pollfd *grown;
  if (capacity <= set->capacity)
    return 0;
  if (capacity > (size_t)-1 / sizeof *grown)
    return skc__plat_reject(SKC_ENOMEM);
  grown = realloc(set->fds, capacity * sizeof *grown);
  if (grown == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  set->fds = grown;
  set->capacity = capacity;
  return 0;
}

void skc__plat_pollset_set(skc__plat_pollset *set, size_t index,
                           skc_socket_t s) {
  set->fds[index].fd = s;
  set->fds[index].events = POLLIN;
  set->fds[index].revents = 0;
}

int skc__plat_pollset_wait(skc__plat_pollset *set, size_t count,
                           int timeout_ms) {
  int rc;
  size_t i;
  for (i = 0; i < count; i++)
    set->fds[i].revents = 0;
  rc = poll(set->fds, (nfds_t)count, timeout_ms);
  if (rc < 0)
    return errno == EINTR ? 0 : skc__plat_translate(errno);
  return rc;
}

int skc__plat_pollset_ready(const skc__plat_pollset *set, size_t index) {
  return (set->fds[index].revents & SKC__POLL_DONE) != 0;
}
