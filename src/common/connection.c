/*
 * Connections: socket, listen, accept, connect, endpoints, vectored send.
 * The argument checks and the "one situation, one result" rules live
 * here, once; src/posix/socket.c and src/win32/socket.c make the calls.
 */
#include "sockclose.h"
#include "../platform.h"

#include <string.h>

static int skc__valid_family(int family) {
  return family == SKC_FAMILY_IPV4 || family == SKC_FAMILY_IPV6;
}

/* Close a socket made by this file after a failure, keeping the failure's
 * native code in the slot. */
static void skc__discard(skc_socket_t s) {
  int native = skc__plat_get_native_error();
  skc__plat_close(s);
  skc__plat_set_native_error(native);
}

int skc_set_nonblocking(skc_socket_t s, int on) {
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_set_nonblocking(s, on != 0));
}

int skc_tcp_socket(int family, int flags, skc_socket_t *out) {
  if (out == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *out = SKC_INVALID_SOCKET;
  if (!skc__valid_family(family))
    return skc__plat_reject(SKC_EAFNOSUPPORT);
  if ((flags & ~SKC_SOCK_NONBLOCK) != 0)
    return skc__plat_reject(SKC_EINVAL);
  return skc__plat_tcp_socket(family, (flags & SKC_SOCK_NONBLOCK) != 0, out);
}

static int skc__endpoint_call(skc_socket_t s, skc_endpoint *out,
                              int (*call)(skc_socket_t, skc_endpoint *)) {
  int err;
  if (out == NULL)
    return skc__plat_reject(SKC_EFAULT);
  memset(out, 0, sizeof *out);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  err = skc__handle_error(call(s, out));
  if (err != 0)
    memset(out, 0, sizeof *out);
  return err;
}

int skc_local_endpoint(skc_socket_t s, skc_endpoint *out) {
  return skc__endpoint_call(s, out, skc__plat_local_endpoint);
}

int skc_peer_endpoint(skc_socket_t s, skc_endpoint *out) {
  return skc__endpoint_call(s, out, skc__plat_peer_endpoint);
}

int skc_tcp_listen(const skc_endpoint *at, int backlog, int flags,
                   skc_socket_t *out) {
  skc_socket_t s = SKC_INVALID_SOCKET;
  int err;
  if (out == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *out = SKC_INVALID_SOCKET;
  if (at == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (!skc__valid_family(at->family))
    return skc__plat_reject(SKC_EAFNOSUPPORT);
  if (backlog < 0 || (flags & ~SKC_SOCK_NONBLOCK) != 0)
    return skc__plat_reject(SKC_EINVAL);
  err = skc__plat_tcp_socket(at->family, (flags & SKC_SOCK_NONBLOCK) != 0, &s);
  if (err == 0)
    err = skc__plat_listen_reuse(s);
  if (err == 0)
    err = skc__plat_bind_listen(s, at, backlog);
  if (err != 0) {
    if (s != SKC_INVALID_SOCKET)
      skc__discard(s);
    return err;
  }
  *out = s;
  return 0;
}

/* Is this freshly accepted connection already gone? Linux hands out a
 * connection that the client reset while it was queued (measured: its
 * TCP state CLOSE, its pending error ECONNRESET). Where the OS reports
 * the state, it alone answers (one system call per accept); elsewhere
 * (Wine 8 has no SIO_TCP_INFO) the pending error is read, and cleared:
 * nothing is lost, the socket is either closed or has no error. */
static int skc__accepted_dead(skc_socket_t s) {
  int native = skc__plat_get_native_error();
  int state = skc__plat_tcp_state(s);
  int dead;
  if (state > 0) {
    dead = state == SKC_TCP_CLOSED;
  } else {
    int pending = skc__plat_socket_error(s);
    dead = skc_is_connection_gone(pending) || pending == SKC_ETIMEDOUT;
  }
  skc__plat_set_native_error(native);
  return dead;
}

int skc_accept(skc_socket_t listener, int flags, skc_socket_t *out,
               skc_endpoint *peer) {
  skc_endpoint ignored;
  if (out == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *out = SKC_INVALID_SOCKET;
  if (peer == NULL)
    peer = &ignored;
  memset(peer, 0, sizeof *peer);
  if ((flags & ~SKC_SOCK_NONBLOCK) != 0)
    return skc__plat_reject(SKC_EINVAL);
  if (listener == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  for (;;) {
    skc_socket_t s = SKC_INVALID_SOCKET;
    int err = skc__plat_accept(listener, (flags & SKC_SOCK_NONBLOCK) != 0, &s,
                               peer);
    if (err == SKC_ECONNABORTED)
      continue; /* died in the queue: go on to the next connection */
    if (err != 0) {
      memset(peer, 0, sizeof *peer);
      return skc__handle_error(err);
    }
    if (skc__accepted_dead(s)) {
      skc__plat_close(s);
      continue;
    }
    *out = s;
    return 0;
  }
}

int skc_connect(skc_socket_t s, const skc_endpoint *to) {
  int err, family;
  skc__socket_info info;
  if (to == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (!skc__valid_family(to->family))
    return skc__plat_reject(SKC_EAFNOSUPPORT);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  /* A sockaddr of the other family gets EAFNOSUPPORT, EINVAL or WSAEFAULT
   * depending on the OS and the direction; one code for all. */
  family = skc__plat_socket_family(s);
  if (family < 0)
    return skc__handle_error(family);
  if (family != to->family)
    return skc__plat_reject(SKC_EAFNOSUPPORT);
  err = skc__plat_connect(s, to);
  switch (err) {
  case 0:
  case SKC_EINPROGRESS:
    return err;
  case SKC_EALREADY:
    /* A repeated call while the connect is under way. */
    return SKC_EINPROGRESS;
  case SKC_EINVAL:
  case SKC_EISCONN:
    /* A listener: Linux says EISCONN, Windows WSAEINVAL. Otherwise
     * Windows' WSAEINVAL is a repeated call on a connect under way
     * ("error codes returned from connect while a connection is already
     * pending may vary among implementations", connect documentation),
     * and EISCONN means the socket is connected: Linux returns 0 for the
     * first repeat after a non-blocking connect completed and EISCONN
     * after that, other systems EISCONN at once; 0 on every OS, as Go's
     * connect loop does. */
    if (skc__plat_socket_info(s, &info) == 0 && info.is_listener)
      return skc__plat_reject(SKC_EINVAL);
    return err == SKC_EINVAL ? SKC_EINPROGRESS : 0;
  default:
    return skc__handle_error(err);
  }
}

int skc_socket_error(skc_socket_t s) {
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_socket_error(s));
}

/* The buffers one vectored call passes to the OS, into out[0..n): empty
 * ones left out, at most SKC_SENDV_MAX buffers and SKC_IO_MAX bytes in all
 * (the one that crosses that total shortened), as skc_send() clamps its
 * length. A macro, because skc_buf and skc_recv_buf differ only in the
 * constness of base. */
#define SKC__IO_CLAMP(bufs, count, out, n)                                     \
  do {                                                                         \
    size_t skc__total = 0, skc__i;                                             \
    (n) = 0;                                                                   \
    for (skc__i = 0; skc__i < (count) && (n) < SKC_SENDV_MAX &&                \
                     skc__total < SKC_IO_MAX;                                  \
         skc__i++) {                                                           \
      size_t skc__len = (bufs)[skc__i].len;                                    \
      if (skc__len == 0)                                                       \
        continue;                                                              \
      if (skc__len > (size_t)SKC_IO_MAX - skc__total)                          \
        skc__len = (size_t)SKC_IO_MAX - skc__total;                            \
      (out)[n].base = (bufs)[skc__i].base;                                     \
      (out)[n].len = skc__len;                                                 \
      skc__total += skc__len;                                                  \
      (n)++;                                                                   \
    }                                                                          \
  } while (0)

ptrdiff_t skc_sendv(skc_socket_t s, const skc_buf *bufs, size_t count) {
  skc_buf clamped[SKC_SENDV_MAX];
  size_t i, n;
  ptrdiff_t sent;
  if (bufs == NULL && count != 0)
    return skc__plat_reject(SKC_EFAULT);
  for (i = 0; i < count; i++) {
    if (bufs[i].base == NULL && bufs[i].len != 0)
      return skc__plat_reject(SKC_EFAULT);
  }
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  SKC__IO_CLAMP(bufs, count, clamped, n);
  if (n == 0)
    return 0; /* nothing to send: no system call, as every OS would agree */
  sent = skc__plat_sendv(s, clamped, n);
  if (sent >= 0)
    return sent;
  /* The same situations as skc_send(), one result each. */
  return skc__send_situation(s, (int)sent);
}

ptrdiff_t skc_recvv(skc_socket_t s, const skc_recv_buf *bufs, size_t count) {
  skc_recv_buf clamped[SKC_SENDV_MAX];
  size_t i, n;
  ptrdiff_t got;
  if (bufs == NULL && count != 0)
    return skc__plat_reject(SKC_EFAULT);
  for (i = 0; i < count; i++) {
    if (bufs[i].base == NULL && bufs[i].len != 0)
      return skc__plat_reject(SKC_EFAULT);
  }
  SKC__IO_CLAMP(bufs, count, clamped, n);
  /* No room: a 0 result would read as the end of the stream (as
   * skc_recv() with len 0). */
  if (n == 0)
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  got = skc__plat_recvv(s, clamped, n);
  return got > 0 ? got : skc__recv_ended(s, got);
}
