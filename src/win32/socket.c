/*
 * Windows: the Winsock calls on one socket.
 */
#include "../platform.h"

#include <winsock2.h>

#include <windows.h>

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
