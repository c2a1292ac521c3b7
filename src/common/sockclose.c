/*
 * The public operations. Argument checks and the "one situation, one
 * result" rules live here, once; src/posix and src/win32 make the system
 * calls and translate their codes.
 */
#include "sockclose.h"
#include "../platform.h"

int skc_init(void) { return skc__plat_init(); }

void skc_cleanup(void) { skc__plat_cleanup(); }

/* Windows reports a closed or invalid handle as WSAENOTSOCK, and cannot
 * tell it from a handle that is not a socket; POSIX says EBADF for the
 * first two. The operations report all of them as SKC_EBADF so that a
 * stale handle yields the same code on every OS. */
int skc__handle_error(int err) {
  return err == SKC_ENOTSOCK ? SKC_EBADF : err;
}

int skc_close(skc_socket_t s) {
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_close(s));
}

_Static_assert(SKC_SHUT_RD == 0 && SKC_SHUT_WR == 1 && SKC_SHUT_RDWR == 2,
               "skc_shutdown() checks how with one comparison");

int skc_shutdown(skc_socket_t s, int how) {
  /* SKC_SHUT_RD, SKC_SHUT_WR, SKC_SHUT_RDWR are 0, 1, 2: one comparison. */
  if ((unsigned)how > (unsigned)SKC_SHUT_RDWR)
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  /* A listener is not connected. Linux accepts shutdown() on it, and with
   * SHUT_RD or SHUT_RDWR stops it listening (inet_shutdown() disconnects a
   * TCP_LISTEN socket); Windows answers WSAENOTCONN. Refuse it here, with
   * the listener untouched, on every OS. When the question itself fails
   * the shutdown below reports why. */
  if (skc__plat_is_listener(s) == 1)
    return skc__plat_reject(SKC_ENOTCONN);
  return skc__handle_error(skc__plat_shutdown(s, how));
}

int skc_abort(skc_socket_t s) {
  int err, native;
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  err = skc__handle_error(skc__plat_set_linger_zero(s));
  if (err == 0)
    return skc__handle_error(skc__plat_close(s));
  if (err == SKC_EBADF)
    return err;
  /* SO_LINGER could not be set, so the close below sends a FIN, not an
   * RST: the caller must not be told the connection was reset. The handle
   * is still closed (the caller asked for it to be gone) and the
   * setsockopt error, with its native code, is the result. (The BSDs'
   * EINVAL for a connection the peer already tore down counts as success
   * in skc__plat_set_linger_zero().) */
  native = skc__plat_get_native_error();
  if (skc__handle_error(skc__plat_close(s)) == SKC_EBADF)
    return SKC_EBADF; /* not a socket after all: nothing to reset */
  skc__plat_set_native_error(native);
  return err;
}

/* Clamp a length to what one call may move on every OS (Winsock takes an
 * int; POSIX returns ssize_t). */
static size_t skc__io_len(size_t len) {
  return len > (size_t)SKC_IO_MAX ? (size_t)SKC_IO_MAX : len;
}

/* Results that stay: POSIX reports a reset or a time-out once and then
 * returns 0 from recv, as for the peer's FIN (Linux: sock_error() clears
 * sk_err, and tcp_done() has set RCV_SHUTDOWN). Windows keeps failing
 * with WSAECONNRESET ("Windows Sockets Error Codes": the socket is no
 * longer usable), so later calls report SKC_ECONNRESET on every OS. The
 * kernel's TCP state tells the two 0s apart; asked only after a 0. */
int skc__end_of_stream(skc_socket_t s) {
  if (skc__plat_ended_in_order(s))
    return 0;
  return skc__plat_reject(SKC_ECONNRESET);
}

int skc__dead_connection(int err) {
  switch (err) {
  case SKC_EHOSTUNREACH:
  case SKC_ENETUNREACH:
  case SKC_EHOSTDOWN:
    /* Linux ends a connection whose retransmissions or keepalive probes
     * went unanswered with the last ICMP error it received instead of
     * ETIMEDOUT (tcp_write_err(): sk_err_soft ? : ETIMEDOUT). On an
     * established connection these errors are soft and are reported
     * only then (tcp_v4_err()), so they mean the time-out. */
  case SKC_ENETRESET:
    /* Windows: "the connection has been broken due to keep-alive
     * activity detecting a failure while the operation was in progress"
     * (WSAENETRESET, "Windows Sockets Error Codes"). */
    return SKC_ETIMEDOUT;
  default:
    return err;
  }
}

/* skc__dead_connection() for a send or receive on s: an unreachable
 * error also ends a connection attempt that failed (a non-blocking
 * connect whose result a later call reports), which keeps its own code. */
static int skc__io_failure(skc_socket_t s, int err) {
  if ((err == SKC_EHOSTUNREACH || err == SKC_ENETUNREACH ||
       err == SKC_EHOSTDOWN) &&
      !skc__plat_was_established(s))
    return err;
  return skc__dead_connection(err);
}

/* A socket that was never connected has no local port: Linux reports a
 * send on it as EPIPE and Wine 8 as WSAECONNRESET, Windows as
 * WSAENOTCONN. A connection that was reset keeps its local port. */
static int skc__never_connected(skc_socket_t s) {
  skc_endpoint local;
  return skc__plat_local_endpoint(s, &local) == SKC_EINVAL;
}

/* One situation, one result for a failed send (also skc_sendv()). */
SKC__COLD int skc__send_situation(skc_socket_t s, int err) {
  int native;
  int fin_sent;
  int never_connected;
  switch (err) {
  case SKC_EPIPE:
    /* Linux also says EPIPE for a socket that was never connected and for
     * a listener (tcp_sendmsg() -> sk_stream_wait_connect()); the header
     * promises SKC_ENOTCONN there, as macOS and Windows report. */
    if (skc__plat_never_connected(s) == 1)
      return skc__plat_reject(SKC_ENOTCONN);
    /* POSIX uses EPIPE for two situations: this side shut its write
     * direction down (Windows: WSAESHUTDOWN), and the peer reset the
     * connection after its orderly close (Linux tcp_reset() sets EPIPE in
     * CLOSE_WAIT; Windows: WSAECONNRESET). The TCP state tells them
     * apart: only the first has sent our FIN. */
    native = skc__plat_get_native_error();
    fin_sent = skc__plat_sent_fin(s);
    never_connected = fin_sent == 0 && skc__never_connected(s);
    skc__plat_set_native_error(native);
    if (fin_sent < 0)
      return err;
    if (never_connected)
      return SKC_ENOTCONN;
    return fin_sent ? SKC_ESHUTDOWN : SKC_ECONNRESET;
  case SKC_ECONNABORTED:
  case SKC_ECONNRESET:
    /* Windows reports a connection that its own stack tore down, for
     * example after the peer's RST was seen by an earlier call, as
     * WSAECONNABORTED ("An established connection was aborted by the
     * software in your host computer", Windows Sockets Error Codes). To
     * the caller the connection is gone just as after WSAECONNRESET. The
     * same code also reports a retransmission time-out ("possibly due to a
     * data transmission time-out"), and nothing on the socket tells the
     * two apart; the common case, a send after the peer's RST (Linux:
     * ECONNRESET or EPIPE), keeps its code, and skc_is_connection_gone()
     * is true either way. Wine 8 says WSAECONNRESET for a socket never
     * connected (Windows: WSAENOTCONN). */
    native = skc__plat_get_native_error();
    never_connected = skc__never_connected(s);
    skc__plat_set_native_error(native);
    return never_connected ? SKC_ENOTCONN : SKC_ECONNRESET;
  default:
    return skc__io_failure(s, skc__handle_error(err));
  }
}

/* One situation, one result for a failed recv. */
static SKC__COLD ptrdiff_t skc__recv_situation(skc_socket_t s, int err) {
  switch (err) {
  case SKC_ESHUTDOWN:
    /* Windows fails recv after our own SD_RECEIVE with WSAESHUTDOWN; POSIX
     * returns 0, end of stream. This side asked for no more data, so it is
     * the end of its stream on every OS. */
    return 0;
  case SKC_ECONNABORTED:
    /* Windows reports some resets on a receive as WSAECONNABORTED. */
    return SKC_ECONNRESET;
  default:
    return skc__io_failure(s, skc__handle_error(err));
  }
}

/* A recv that returned no bytes: the end of the stream, or a failure.
 * Kept out of line, so that the success path costs what it did. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
ptrdiff_t skc__recv_ended(skc_socket_t s, ptrdiff_t n) {
  return n == 0 ? skc__end_of_stream(s) : skc__recv_situation(s, (int)n);
}

ptrdiff_t skc_send(skc_socket_t s, const void *buf, size_t len) {
  ptrdiff_t n;
  if (buf == NULL && len != 0)
    return skc__plat_reject(SKC_EFAULT);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  n = skc__plat_send(s, buf, skc__io_len(len));
  return n >= 0 ? n : skc__send_situation(s, (int)n);
}

ptrdiff_t skc_recv(skc_socket_t s, void *buf, size_t len) {
  ptrdiff_t n;
  if (buf == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (len == 0)
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  n = skc__plat_recv(s, buf, skc__io_len(len));
  return n > 0 ? n : skc__recv_ended(s, n);
}

int skc_set_inheritable(skc_socket_t s, int inheritable) {
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_set_inheritable(s, inheritable != 0));
}
