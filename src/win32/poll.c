/*
 * Windows: waiting for input, and a receive that never blocks, for the
 * graceful close (src/common/graceful.c, src/common/closer.c).
 */
#include "../platform.h"

#include <winsock2.h>

#include <stdlib.h>

/* WSAPoll fails with WSAEINVAL when events holds anything but POLLRDNORM,
 * POLLRDBAND, POLLWRNORM (and their aliases POLLIN, POLLOUT): POLLPRI,
 * POLLHUP, POLLERR and POLLNVAL may only appear in revents, where WSAPoll
 * sets them by itself ("WSAPoll function", Remarks). */
#define SKC__POLL_ASK POLLRDNORM
#define SKC__POLL_DONE (POLLRDNORM | POLLHUP | POLLERR | POLLNVAL)

int skc__plat_wait_readable(skc_socket_t s, int timeout_ms) {
  WSAPOLLFD pfd;
  int rc;
  pfd.fd = (SOCKET)s;
  pfd.events = SKC__POLL_ASK;
  pfd.revents = 0;
  rc = WSAPoll(&pfd, 1, timeout_ms);
  if (rc == SOCKET_ERROR)
    return WSAGetLastError() == WSAEINTR
               ? 0
               : skc__plat_translate(WSAGetLastError());
  return rc > 0 && (pfd.revents & SKC__POLL_DONE) != 0;
}

ptrdiff_t skc__plat_recv_nowait(skc_socket_t s, void *buf, size_t len) {
  /* Winsock has no per-call MSG_DONTWAIT, and a socket's blocking mode
   * cannot be read back (ioctlsocket FIONBIO only sets it), so it cannot
   * be switched and restored either. A stream socket that polls readable
   * has data, its end of stream or an error to report, so the receive
   * that follows returns at once in either mode. len is at most
   * SKC_IO_MAX (INT_MAX). */
  int n;
  int ready = skc__plat_wait_readable(s, 0);
  if (ready < 0)
    return ready;
  if (ready == 0) {
    WSASetLastError(WSAEWOULDBLOCK);
    return SKC_EAGAIN;
  }
  n = recv((SOCKET)s, (char *)buf, (int)len, 0);
  return n != SOCKET_ERROR ? (ptrdiff_t)n
                           : skc__plat_translate(WSAGetLastError());
}

struct skc__plat_pollset {
  WSAPOLLFD *fds;
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
  WSAPOLLFD *grown;
  if (capacity <= set->capacity)
    return 0;
  /* WSAPoll counts in a ULONG; below ULONG_MAX / sizeof *grown entries
   * the byte count fits a ULONG, hence a size_t, on 32- and 64-bit. */
  if (capacity > (ULONG)-1 / sizeof *grown)
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
  set->fds[index].fd = (SOCKET)s;
  set->fds[index].events = SKC__POLL_ASK;
  set->fds[index].revents = 0;
}

int skc__plat_pollset_wait(skc__plat_pollset *set, size_t count,
                           int timeout_ms) {
  int rc;
  size_t i;
  for (i = 0; i < count; i++)
    set->fds[i].revents = 0;
  rc = WSAPoll(set->fds, (ULONG)count, timeout_ms);
  if (rc == SOCKET_ERROR)
    return WSAGetLastError() == WSAEINTR
               ? 0
               : skc__plat_translate(WSAGetLastError());
  return rc;
}

int skc__plat_pollset_ready(const skc__plat_pollset *set, size_t index) {
  return (set->fds[index].revents & SKC__POLL_DONE) != 0;
}
