/*
 * POSIX: the system calls on one socket.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* accept4; struct tcp_info and TCP_* in C11 mode */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* MSG_NOSIGNAL, SO_NOSIGPIPE */
#endif
#include "../platform.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#if defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||      \
    defined(__DragonFly__)
#include <netinet/tcp_fsm.h>
#endif
#include "../sockaddr.h"

static SKC__COLD int skc__fail(void) { return skc__plat_translate(errno); }

int skc__plat_close(skc_socket_t s) {
  if (close(s) == 0)
    return 0;
  /* Linux and macOS release the descriptor even when close() is
   * interrupted (close(2), "Dealing with error returns from close()"); a
   * retry could close a descriptor that another thread has just been
   * given. POSIX.1-2024 allows EINPROGRESS with the same meaning. */
  if (errno == EINTR || errno == EINPROGRESS)
    return 0;
  return skc__fail();
}

/* The public values are POSIX's (and Winsock's): no mapping on the way. */
_Static_assert(SKC_SHUT_RD == SHUT_RD && SKC_SHUT_WR == SHUT_WR &&
                   SKC_SHUT_RDWR == SHUT_RDWR,
               "SKC_SHUT_* must equal SHUT_*");

int skc__plat_shutdown(skc_socket_t s, int how) {
  return shutdown(s, how) == 0 ? 0 : skc__fail();
}

int skc__plat_set_linger_zero(skc_socket_t s) {
  struct linger lin;
  lin.l_onoff = 1;
  lin.l_linger = 0;
  if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lin, sizeof lin) == 0)
    return 0;
#if !defined(__linux__)
  /* macOS and the other BSDs reject SO_LINGER with EINVAL once the peer
   * has torn the connection down (setsockopt(2): "the socket has been
   * shut down"): there is no connection left to reset. Linux never
   * returns EINVAL for a valid struct linger. */
  if (errno == EINVAL)
    return 0;
#endif
  return skc__fail();
}

ptrdiff_t skc__plat_send(skc_socket_t s, const void *buf, size_t len) {
  ssize_t n;
#if defined(MSG_NOSIGNAL)
  /* send(2): MSG_NOSIGNAL suppresses SIGPIPE for this call only, leaving
   * the process's disposition alone. */
  n = send(s, buf, len, MSG_NOSIGNAL);
#elif defined(SO_NOSIGPIPE)
  /* Older macOS has no MSG_NOSIGNAL; SO_NOSIGPIPE is the per-socket
   * equivalent. Setting it on every call keeps skc_send() correct for
   * sockets sockclose did not create. */
  int on = 1;
  if (setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0)
    return skc__fail();
  n = send(s, buf, len, 0);
#else
#error "no way to send without SIGPIPE on this platform"
#endif
  return n >= 0 ? (ptrdiff_t)n : skc__fail();
}

ptrdiff_t skc__plat_recv(skc_socket_t s, void *buf, size_t len) {
  ssize_t n = recv(s, buf, len, 0);
  return n >= 0 ? (ptrdiff_t)n : skc__fail();
}

int skc__plat_sent_fin(skc_socket_t s) {
  int saved = errno;
  int result;
#if defined(__linux__)
  /* tcp(7) TCP_INFO. FIN_WAIT1, FIN_WAIT2, CLOSING and LAST_ACK are the
   * states of a connection whose FIN we have sent. Once both FINs are
   * exchanged Linux moves the socket to CLOSE (tcp_time_wait() ends with
   * tcp_done()), the same state an RST leaves: that case reads as "no". */
  struct tcp_info info;
  socklen_t size = sizeof info;
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) {
    result = skc__fail();
  } else {
    result = info.tcpi_state == TCP_FIN_WAIT1 ||
             info.tcpi_state == TCP_FIN_WAIT2 ||
             info.tcpi_state == TCP_CLOSING || info.tcpi_state == TCP_LAST_ACK;
  }
#elif defined(__APPLE__) && defined(TCP_CONNECTION_INFO)
  /* xnu netinet/tcp_fsm.h: tcpi_state uses the BSD TCPS_* numbering, in
   * which every state from FIN_WAIT_1 (6) on (CLOSING 7, LAST_ACK 8,
   * FIN_WAIT_2 9, TIME_WAIT 10) comes after our FIN. */
  struct tcp_connection_info info;
  socklen_t size = sizeof info;
  if (getsockopt(s, IPPROTO_TCP, TCP_CONNECTION_INFO, &info, &size) != 0)
    result = skc__fail();
  else
    result = info.tcpi_state >= 6;
#elif defined(TCPS_FIN_WAIT_1) && defined(TCP_INFO)
  struct tcp_info info;
  socklen_t size = sizeof info;
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    result = skc__fail();
  else
    result = info.tcpi_state >= TCPS_FIN_WAIT_1; /* see the macOS case */
#else
  (void)s;
  result = SKC_ENOTSUP;
#endif
  errno = saved;
  return result;
}

#if defined(__linux__)
/* tcpi_bytes_received (linux/tcp.h, Linux 4.1 and later; glibc's struct
 * lacks it), at its fixed offset in the kernel's layout, which only ever
 * grows at the end: the sequence space received, data and the peer's FIN
 * (never its SYN). */
#define SKC__TCPI_BYTES_RECEIVED 128
#define SKC__TCPI_NEEDED 136
#define SKC__TCPI_SEGS_IN 140 /* __u32 tcpi_segs_in, Linux 4.2 and later */
#define SKC__TCPI_RAW (sizeof(struct tcp_info) + 256)

/* The kernel's whole struct tcp_info, longer than glibc's, into raw
 * (SKC__TCPI_RAW bytes, zeroed past what the kernel wrote): the number of
 * bytes it wrote, 0 when the query failed. errno is left as it was: this
 * runs on a path that reports another call's result. */
static size_t skc__tcp_info_raw(skc_socket_t s, unsigned char *raw) {
  int saved = errno;
  socklen_t size = (socklen_t)SKC__TCPI_RAW;
  memset(raw, 0, SKC__TCPI_RAW);
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, raw, &size) != 0)
    size = 0;
  errno = saved;
  return size;
}
#endif

int skc__plat_ended_in_order(skc_socket_t s) {
#if defined(__linux__)
  /* A socket still open reaches TCP_CLOSE by an RST, a time-out, or an
   * orderly close; the first two report their error once, then recv
   * returns 0. An orderly end always received the peer's FIN, and so did
   * a reset that followed it (recv returns 0 for the FIN first, and the
   * peer's stream did end in order: sockclose keeps that 0). So a socket
   * in TCP_CLOSE that received nothing at all, not even a FIN, is gone.
   * Once anything was received the kernel keeps nothing that tells the
   * peer's FIN from a reset after data (tcpi_bytes_received counts both
   * data and FIN): that case reads as orderly (scenario P3), unless the
   * connection died of unanswered keepalive probes or retransmissions:
   * any acknowledgement clears tcpi_probes and tcpi_retransmits (tcp_ack()),
   * and tcp_done() leaves them, so either one non-zero in TCP_CLOSE means
   * the peer stopped answering (measured: 2 after keepalive 1 s / 1 s / 2,
   * 3 after a 2 s user timeout, with the peer's route blackholed). */
  unsigned char raw[SKC__TCPI_RAW];
  int result = 1;
  if (skc__tcp_info_raw(s, raw) >= SKC__TCPI_NEEDED && raw[0] == TCP_CLOSE) {
    struct tcp_info info;
    unsigned long long received;
    memcpy(&info, raw, sizeof info);
    memcpy(&received, raw + SKC__TCPI_BYTES_RECEIVED, sizeof received);
    result = received != 0 && info.tcpi_probes == 0 &&
             info.tcpi_retransmits == 0;
  }
  return result;
#else
  /* macOS and the BSDs: not measured here; an end of stream stays 0. */
  (void)s;
  return 1;
#endif
}

int skc__plat_was_established(skc_socket_t s) {
#if defined(__linux__)
  /* tcpi_segs_in counts the TCP segments received: the SYN-ACK (or SYN
   * and ACK) of an established connection, none after a connect that
   * failed on an ICMP error (tcp_v4_err() ends SYN_SENT itself). */
  unsigned char raw[SKC__TCPI_RAW];
  int result = 1;
  if (skc__tcp_info_raw(s, raw) >= SKC__TCPI_SEGS_IN + 4) {
    unsigned int segs_in;
    memcpy(&segs_in, raw + SKC__TCPI_SEGS_IN, sizeof segs_in);
    result = segs_in != 0;
  }
  return result;
#else
  (void)s;
  return 1;
#endif
}

int skc__plat_never_connected(skc_socket_t s) {
#if defined(__linux__)
  /* Linux answers a send on a socket that is not connected with EPIPE
   * (tcp_sendmsg() -> sk_stream_wait_connect()), the same code as after a
   * reset, and its TCP state is CLOSE in both cases. The receive MSS tells
   * them apart: tcp_initialize_rcv_mss() sets it when a connection is
   * established, and only tcp_disconnect() clears it again. macOS and the
   * BSDs report ENOTCONN themselves. */
  int saved = errno;
  int result;
  struct tcp_info info;
  socklen_t size = sizeof info;
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    result = skc__fail();
  else
    result = info.tcpi_state == TCP_LISTEN || info.tcpi_rcv_mss == 0;
  errno = saved;
  return result;
#else
  (void)s;
  return SKC_ENOTSUP;
#endif
}

int skc__plat_is_listener(skc_socket_t s) {
  int saved = errno;
  int listening = 0;
  socklen_t size = sizeof listening;
  int result;
  if (getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0)
    result = skc__fail();
  else
    result = listening != 0;
  errno = saved;
  return result;
}

int skc__plat_set_inheritable(skc_socket_t s, int inheritable) {
  int flags = fcntl(s, F_GETFD);
  if (flags < 0)
    return skc__fail();
  flags = inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC);
  return fcntl(s, F_SETFD, flags) == 0 ? 0 : skc__fail();
}

/* ---- connections ---- */

#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) ||      \
    defined(__OpenBSD__) || defined(__DragonFly__)
#define SKC__HAVE_ACCEPT4 1
#endif

#if !defined(SOCK_CLOEXEC) || !defined(SOCK_NONBLOCK) ||                        \
    defined(SO_NOSIGPIPE) || !defined(SKC__HAVE_ACCEPT4)
/* Where a socket needs a second call after its creation. */
static int skc__fail_closing(int s) {
  int native = errno;
  close(s);
  errno = native;
  return skc__plat_translate(native);
}
#endif

#if defined(SO_NOSIGPIPE)
/* macOS: a plain send() on a socket made by sockclose raises no SIGPIPE
 * either. */
static int skc__no_sigpipe(int s) {
  int on = 1;
  return setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
}
#endif

int skc__plat_set_nonblocking(skc_socket_t s, int on) {
  int type = 0;
  socklen_t len = sizeof type;
  int flags;
  /* fcntl() would switch any descriptor; only sockets are accepted, as
   * ioctlsocket() does on Windows. */
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
    return skc__fail();
  flags = fcntl(s, F_GETFL);
  if (flags < 0)
    return skc__fail();
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  return fcntl(s, F_SETFL, flags) == 0 ? 0 : skc__fail();
}

int skc__plat_tcp_socket(int family, int nonblock, skc_socket_t *out) {
  int domain = family == SKC_FAMILY_IPV6 ? AF_INET6 : AF_INET;
  int type = SOCK_STREAM;
  int s;
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
  /* socket(2): both flags are set atomically with the descriptor, so no
   * other thread's fork and exec can inherit it. */
  type |= SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
#endif
  s = socket(domain, type, IPPROTO_TCP);
  if (s < 0)
    return skc__fail();
#if !defined(SOCK_CLOEXEC) || !defined(SOCK_NONBLOCK)
  if (skc__plat_set_inheritable(s, 0) != 0 ||
      (nonblock && skc__plat_set_nonblocking(s, 1) != 0))
    return skc__fail_closing(s);
#endif
#if defined(SO_NOSIGPIPE)
  if (skc__no_sigpipe(s) != 0)
    return skc__fail_closing(s);
#endif
  *out = s;
  return 0;
}

static int skc__endpoint_result(const struct sockaddr_storage *ss,
                                skc_endpoint *out) {
  skc__endpoint_from(ss, out);
  if (out->family == 0) {
    errno = EAFNOSUPPORT;
    return SKC_EAFNOSUPPORT;
  }
  return 0;
}

int skc__plat_local_endpoint(skc_socket_t s, skc_endpoint *out) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int err;
  memset(&ss, 0, sizeof ss);
  if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
    return skc__fail();
  err = skc__endpoint_result(&ss, out);
  if (err == 0 && out->port == 0) {
    /* Linux and macOS report an unbound socket as the "any" address with
     * port 0; Windows fails with WSAEINVAL. A bound socket never has port
     * 0 (bind picks one), so this is exactly "not bound". */
    memset(out, 0, sizeof *out);
    errno = EINVAL;
    return SKC_EINVAL;
  }
  return err;
}

int skc__plat_peer_endpoint(skc_socket_t s, skc_endpoint *out) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getpeername(s, (struct sockaddr *)&ss, &len) != 0)
    return skc__fail();
  return skc__endpoint_result(&ss, out);
}

int skc__plat_socket_family(skc_socket_t s) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int saved = errno;
  memset(&ss, 0, sizeof ss);
  /* An unbound socket still reports its family here (all zero address). */
  if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
    return skc__fail();
  errno = saved;
  return ss.ss_family == AF_INET    ? SKC_FAMILY_IPV4
         : ss.ss_family == AF_INET6 ? SKC_FAMILY_IPV6
                                    : 0;
}

int skc__plat_bind_listen(skc_socket_t s, const skc_endpoint *at,
                          int backlog) {
  struct sockaddr_storage ss;
  socklen_t len = (socklen_t)skc__sockaddr_from(at, &ss);
  if (at->family == SKC_FAMILY_IPV6) {
    /* Linux's default (net.ipv6.bindv6only = 0) makes "[::]" take IPv4
     * too; Windows' default is IPv6 only. Pin the Windows behaviour. */
    int on = 1;
    if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0)
      return skc__fail();
  }
  if (bind(s, (struct sockaddr *)&ss, len) != 0)
    return skc__fail();
  return listen(s, backlog == 0 ? SOMAXCONN : backlog) == 0 ? 0 : skc__fail();
}

/* accept(2), Linux "Error handling": "Linux accept() passes already-pending
 * network errors on the new socket as an error code from accept() ... For
 * TCP/IP, these are ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET,
 * EHOSTUNREACH, EOPNOTSUPP, and ENETUNREACH", to be treated like EAGAIN.
 * The BSDs and macOS report a connection reset in the queue as
 * ECONNABORTED (OpenBSD since 6.5; before, it skipped it silently). */
static int skc__accept_died(int native, skc_socket_t listener) {
  switch (native) {
  case ECONNABORTED:
  case ECONNRESET:
#if defined(__linux__)
  case ENETDOWN:
  case EPROTO:
  case ENOPROTOOPT:
  case EHOSTDOWN:
  case ENONET:
  case EHOSTUNREACH:
  case ENETUNREACH:
#endif
    return 1;
#if defined(__linux__)
  case EOPNOTSUPP: {
    /* Also the answer for a listener that is not a stream socket: only a
     * TCP listener's EOPNOTSUPP is the connection's. */
    int type = 0;
    socklen_t len = sizeof type;
    int dead = getsockopt(listener, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
               type == SOCK_STREAM;
    errno = native;
    return dead;
  }
#endif
  default:
    (void)listener;
    return 0;
  }
}

int skc__plat_accept(skc_socket_t listener, int nonblock, skc_socket_t *out,
                     skc_endpoint *peer) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int s;
  memset(&ss, 0, sizeof ss);
#if defined(SKC__HAVE_ACCEPT4)
  /* accept4(2): close-on-exec and the blocking mode are set atomically;
   * the new socket does not take the listener's O_NONBLOCK. */
  s = accept4(listener, (struct sockaddr *)&ss, &len,
              SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
  if (s < 0)
    return skc__accept_died(errno, listener) ? SKC_ECONNABORTED : skc__fail();
#else
  /* macOS has no accept4; the new socket copies the listener's
   * O_NONBLOCK (xnu soaccept), so the mode is always set. */
  s = accept(listener, (struct sockaddr *)&ss, &len);
  if (s < 0)
    return skc__accept_died(errno, listener) ? SKC_ECONNABORTED : skc__fail();
  if (skc__plat_set_inheritable(s, 0) != 0 ||
      skc__plat_set_nonblocking(s, nonblock) != 0)
    return skc__fail_closing(s);
#endif
#if defined(SO_NOSIGPIPE)
  if (skc__no_sigpipe(s) != 0)
    return skc__fail_closing(s);
#endif
  skc__endpoint_from(&ss, peer);
  *out = s;
  return 0;
}

int skc__plat_connect(skc_socket_t s, const skc_endpoint *to) {
  struct sockaddr_storage ss;
  socklen_t len = (socklen_t)skc__sockaddr_from(to, &ss);
  return connect(s, (struct sockaddr *)&ss, len) == 0 ? 0 : skc__fail();
}

int skc__plat_socket_error(skc_socket_t s) {
  int pending = 0;
  socklen_t len = sizeof pending;
  if (getsockopt(s, SOL_SOCKET, SO_ERROR, &pending, &len) != 0)
    return skc__fail();
  if (pending == 0)
    return 0;
  errno = pending;
  return skc__plat_translate(pending);
}

ptrdiff_t skc__plat_sendv(skc_socket_t s, const skc_buf *bufs, size_t count) {
  struct iovec iov[SKC_SENDV_MAX];
  struct msghdr msg;
  ssize_t n;
  size_t i;
  for (i = 0; i < count; i++) {
    /* iovec has no const member; sendmsg only reads the bytes. */
    union {
      const void *in;
      void *out;
    } base;
    base.in = bufs[i].base;
    iov[i].iov_base = base.out;
    iov[i].iov_len = bufs[i].len;
  }
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (int)count; /* int on macOS, size_t on Linux */
#if defined(MSG_NOSIGNAL)
  n = sendmsg(s, &msg, MSG_NOSIGNAL);
#else
  /* See skc__plat_send(): the per-socket option on older macOS. */
  {
    int on = 1;
    if (setsockopt(s, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on) != 0)
      return skc__fail();
  }
  n = sendmsg(s, &msg, 0);
#endif
  return n >= 0 ? (ptrdiff_t)n : skc__fail();
}

ptrdiff_t skc__plat_recvv(skc_socket_t s, const skc_recv_buf *bufs,
                          size_t count) {
  struct iovec iov[SKC_SENDV_MAX];
  struct msghdr msg;
  ssize_t n;
  size_t i;
  for (i = 0; i < count; i++) {
    iov[i].iov_base = bufs[i].base;
    iov[i].iov_len = bufs[i].len;
  }
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (int)count; /* int on macOS, size_t on Linux */
  n = recvmsg(s, &msg, 0);
  return n >= 0 ? (ptrdiff_t)n : skc__fail();
}
