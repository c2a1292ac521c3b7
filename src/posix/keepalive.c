/*
 * POSIX: the keepalive and user-timeout options of one TCP socket.
 * Linux and FreeBSD name the idle time TCP_KEEPIDLE, macOS TCP_KEEPALIVE;
 * all three take whole seconds (tcp(7), tcp(4), xnu netinet/tcp.h).
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* TCP_KEEPALIVE, TCP_RXT_CONNDROPTIME */
#endif
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* TCP_KEEPIDLE, TCP_USER_TIMEOUT in C11 mode */
#endif
#include "../platform.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#if defined(TCP_KEEPIDLE)
#define SKC__KEEPIDLE TCP_KEEPIDLE
#elif defined(TCP_KEEPALIVE)
#define SKC__KEEPIDLE TCP_KEEPALIVE /* macOS: the idle time, in seconds */
#endif

static int skc__fail(void) { return skc__plat_translate(errno); }

/* Only a TCP socket answers TCP_NODELAY. 0 when s is one; SKC_EBADF
 * (or SKC_ENOTSOCK) when it is no open socket; SKC_ENOPROTOOPT otherwise
 * (Linux says ENOPROTOOPT for UDP, EOPNOTSUPP for a Unix socket), with
 * the native code kept in errno. */
static int skc__require_tcp(skc_socket_t s) {
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  int err;
  if (getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &nodelay, &size) == 0)
    return 0;
  err = skc__fail();
  return err == SKC_EBADF || err == SKC_ENOTSOCK ? err : SKC_ENOPROTOOPT;
}

static int skc__set_int(skc_socket_t s, int level, int name, int value) {
  return setsockopt(s, level, name, &value, sizeof value) == 0 ? 0
                                                               : skc__fail();
}

/* The option's value, or -1 when the OS does not have it (the native
 * error slot is left as found). A socket that is not open or not TCP
 * makes the caller fail through SO_KEEPALIVE / TCP_NODELAY first. */
static int skc__get_int(skc_socket_t s, int level, int name) {
  int saved = errno;
  int value = 0;
  socklen_t size = sizeof value;
  if (getsockopt(s, level, name, &value, &size) != 0) {
    errno = saved;
    return -1;
  }
  return value;
}

int skc__plat_set_keepalive(skc_socket_t s, int idle_ms, int interval_ms,
                            int count) {
  int err = skc__require_tcp(s);
  if (err != 0)
    return err;
  if (idle_ms == 0)
    return skc__set_int(s, SOL_SOCKET, SO_KEEPALIVE, 0);
#if defined(SKC__KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  err = skc__set_int(s, IPPROTO_TCP, SKC__KEEPIDLE,
                     skc__seconds_rounded_up(idle_ms));
  if (err == 0)
    err = skc__set_int(s, IPPROTO_TCP, TCP_KEEPINTVL,
                       skc__seconds_rounded_up(interval_ms));
  if (err == 0)
    err = skc__set_int(s, IPPROTO_TCP, TCP_KEEPCNT, count);
  if (err != 0)
    return err;
  return skc__set_int(s, SOL_SOCKET, SO_KEEPALIVE, 1);
#else
  (void)interval_ms;
  (void)count;
  return skc__plat_reject(SKC_ENOTSUP);
#endif
}

int skc__plat_set_user_timeout(skc_socket_t s, int timeout_ms) {
  int err = skc__require_tcp(s);
  if (err != 0)
    return err;
#if defined(TCP_USER_TIMEOUT)
  /* tcp(7): milliseconds; 0 restores the system default. */
  unsigned int value = (unsigned int)timeout_ms;
  return setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &value, sizeof value) ==
                 0
             ? 0
             : skc__fail();
#elif defined(TCP_RXT_CONNDROPTIME)
  /* xnu tcp_usrreq.c: whole seconds; 0 means "no limit of its own", the
   * system's retransmission limit. */
  return skc__set_int(s, IPPROTO_TCP, TCP_RXT_CONNDROPTIME,
                      skc__seconds_rounded_up(timeout_ms));
#else
  /* FreeBSD and others have no per-socket retransmission time limit. */
  (void)timeout_ms;
  return skc__plat_reject(SKC_ENOTSUP);
#endif
}

/* Seconds to milliseconds, keeping -1 (unknown) and saturating. */
static int skc__ms_from_seconds(int seconds) {
  if (seconds < 0)
    return -1;
  return seconds > 2147483 ? 2147483647 : seconds * 1000;
}

int skc__plat_get_dead_peer(skc_socket_t s, skc_dead_peer_settings *settings,
                            int *replaces_count) {
  int keepalive = 0;
  socklen_t size = sizeof keepalive;
  int err = skc__require_tcp(s);
  if (err != 0)
    return err;
  if (getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &size) != 0)
    return skc__fail();
  settings->keepalive = keepalive != 0;
#if defined(SKC__KEEPIDLE) && defined(TCP_KEEPINTVL) && defined(TCP_KEEPCNT)
  settings->idle_ms =
      skc__ms_from_seconds(skc__get_int(s, IPPROTO_TCP, SKC__KEEPIDLE));
  settings->interval_ms =
      skc__ms_from_seconds(skc__get_int(s, IPPROTO_TCP, TCP_KEEPINTVL));
  settings->count = skc__get_int(s, IPPROTO_TCP, TCP_KEEPCNT);
#endif
#if defined(TCP_USER_TIMEOUT)
  settings->user_timeout_ms = skc__get_int(s, IPPROTO_TCP, TCP_USER_TIMEOUT);
  *replaces_count = 1;
#elif defined(TCP_RXT_CONNDROPTIME)
  settings->user_timeout_ms = skc__ms_from_seconds(
      skc__get_int(s, IPPROTO_TCP, TCP_RXT_CONNDROPTIME));
  *replaces_count = 0;
#else
  settings->user_timeout_ms = 0; /* no such option: the OS default */
  *replaces_count = 0;
#endif
  return 0;
}
