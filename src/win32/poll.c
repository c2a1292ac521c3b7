/*
 * Windows: waiting for input, and a receive that never blocks, for the
 * graceful close (src/common/graceful.c).
 */
#include "../platform.h"

#include <winsock2.h>


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
