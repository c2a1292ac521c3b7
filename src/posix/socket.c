/*
 * POSIX: the system calls on one socket.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* struct tcp_info and the TCP_* states in C11 mode */
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
#include <sys/socket.h>
#include <unistd.h>
#if defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) ||      \
    defined(__DragonFly__)
#include <netinet/tcp_fsm.h>
#endif

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
  int saved = errno;
  unsigned char raw[sizeof(struct tcp_info) + 256];
  socklen_t size = sizeof raw;
  int result = 1;
  memset(raw, 0, sizeof raw);
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, raw, &size) == 0 &&
      size >= SKC__TCPI_NEEDED && raw[0] == TCP_CLOSE) {
    struct tcp_info info;
    unsigned long long received;
    memcpy(&info, raw, sizeof info);
    memcpy(&received, raw + SKC__TCPI_BYTES_RECEIVED, sizeof received);
    result = received != 0 && info.tcpi_probes == 0 &&
             info.tcpi_retransmits == 0;
  }
  errno = saved;
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
  int saved = errno;
  unsigned char raw[sizeof(struct tcp_info) + 256];
  socklen_t size = sizeof raw;
  int result = 1;
  memset(raw, 0, sizeof raw);
  if (getsockopt(s, IPPROTO_TCP, TCP_INFO, raw, &size) == 0 &&
      size >= SKC__TCPI_SEGS_IN + 4) {
    unsigned int segs_in;
    memcpy(&segs_in, raw + SKC__TCPI_SEGS_IN, sizeof segs_in);
    result = segs_in != 0;
  }
  errno = saved;
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
