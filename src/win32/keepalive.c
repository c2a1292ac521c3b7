/*
 * Windows: the keepalive and user-timeout options of one TCP socket.
 *
 * The option numbers are those of ws2ipdef.h in the Windows SDK; older
 * MinGW-w64 headers lack them. Availability, from "IPPROTO_TCP socket
 * options" (documentation-derived, not measured on Windows here):
 * TCP_KEEPCNT from Windows 10 1703, TCP_KEEPIDLE and TCP_KEEPINTVL (whole
 * seconds) from 1709. TCP_KEEPIDLE shares its number with the older
 * TCP_KEEPALIVE, which read its value in milliseconds, so TCP_KEEPINTVL
 * is the test: where it is missing, SIO_KEEPALIVE_VALS sets both times in
 * milliseconds and the count stays at the system's 10.
 */
#include "../platform.h"

#include <winsock2.h>

#include <mstcpip.h>
#include <windows.h>

#ifndef TCP_MAXRT
#define TCP_MAXRT 5
#endif
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE 3
#endif
#ifndef TCP_MAXRTMS
#define TCP_MAXRTMS 14
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 16
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 17
#endif

/* The keepalive count of Windows Vista and later where it cannot be set
 * ("TCP/IP and NBT configuration parameters": TcpMaxDataRetransmissions
 * no longer applies; SIO_KEEPALIVE_VALS: "the number of keep-alive probes
 * ... is set to 10 and cannot be changed"). */
#define SKC__WINDOWS_FIXED_KEEPCNT 10

static int skc__fail(void) { return skc__plat_translate(WSAGetLastError()); }

static int skc__set_dword(skc_socket_t s, int level, int name, DWORD value) {
  return setsockopt((SOCKET)s, level, name, (const char *)&value,
                    (int)sizeof value) == 0
             ? 0
             : skc__fail();
}

/* Only a TCP socket answers TCP_NODELAY. 0 when s is one; SKC_EBADF
 * (or SKC_ENOTSOCK) when it is no open socket; SKC_ENOPROTOOPT otherwise
 * (Wine 8 says WSAEOPNOTSUPP for a UDP socket), with the native code kept
 * in the error slot. */
static int skc__require_tcp(skc_socket_t s) {
  DWORD nodelay = 0;
  int size = (int)sizeof nodelay;
  int err;
  if (getsockopt((SOCKET)s, IPPROTO_TCP, TCP_NODELAY, (char *)&nodelay,
                 &size) == 0)
    return 0;
  err = skc__fail();
  return err == SKC_EBADF || err == SKC_ENOTSOCK ? err : SKC_ENOPROTOOPT;
}

/* Does the last failure say "this Windows has no such option"? */
static int skc__option_missing(void) {
  int native = WSAGetLastError();
  return native == WSAENOPROTOOPT || native == WSAEINVAL;
}

static int skc__keepalive_vals(skc_socket_t s, int idle_ms, int interval_ms) {
  struct tcp_keepalive vals;
  DWORD returned = 0;
  vals.onoff = 1;
  vals.keepalivetime = (ULONG)idle_ms;
  vals.keepaliveinterval = (ULONG)interval_ms;
  return WSAIoctl((SOCKET)s, SIO_KEEPALIVE_VALS, &vals, sizeof vals, NULL, 0,
                  &returned, NULL, NULL) == 0
             ? 0
             : skc__fail();
}

int skc__plat_set_keepalive(skc_socket_t s, int idle_ms, int interval_ms,
                            int count) {
  int err = skc__require_tcp(s);
  if (err != 0)
    return err;
  if (idle_ms == 0)
    return skc__set_dword(s, SOL_SOCKET, SO_KEEPALIVE, FALSE);
  err = skc__set_dword(s, IPPROTO_TCP, TCP_KEEPCNT, (DWORD)count);
  if (err != 0) {
    if (!skc__option_missing())
      return err;
    if (count != SKC__WINDOWS_FIXED_KEEPCNT)
      return SKC_ENOTSUP; /* the slot keeps the refusal's native code */
  }
  err = skc__set_dword(s, IPPROTO_TCP, TCP_KEEPINTVL,
                       (DWORD)skc__seconds_rounded_up(interval_ms));
  if (err != 0) {
    if (!skc__option_missing())
      return err;
    /* Before 1709: milliseconds, and SIO_KEEPALIVE_VALS turns it on. */
    return skc__keepalive_vals(s, idle_ms, interval_ms);
  }
  err = skc__set_dword(s, IPPROTO_TCP, TCP_KEEPIDLE,
                       (DWORD)skc__seconds_rounded_up(idle_ms));
  if (err != 0)
    return err;
  return skc__set_dword(s, SOL_SOCKET, SO_KEEPALIVE, TRUE);
}

int skc__plat_set_user_timeout(skc_socket_t s, int timeout_ms) {
  int err = skc__require_tcp(s);
  if (err != 0)
    return err;
  if (timeout_ms == 0)
    return skc__plat_reject(SKC_ENOTSUP);
  err = skc__set_dword(s, IPPROTO_TCP, TCP_MAXRTMS, (DWORD)timeout_ms);
  if (err == 0 || !skc__option_missing())
    return err;
  err = skc__set_dword(s, IPPROTO_TCP, TCP_MAXRT,
                       (DWORD)skc__seconds_rounded_up(timeout_ms));
  if (err == 0 || !skc__option_missing())
    return err;
  /* Neither option: this Windows (or Wine 8) has no user timeout; the
   * slot keeps the refusal's native code. */
  return SKC_ENOTSUP;
}

/* The option's value, or -1 when this Windows does not report it (the
 * native error slot is left as found). */
static long long skc__get_dword(skc_socket_t s, int level, int name) {
  int saved = WSAGetLastError();
  DWORD value = 0;
  int size = (int)sizeof value;
  if (getsockopt((SOCKET)s, level, name, (char *)&value, &size) != 0) {
    WSASetLastError(saved);
    return -1;
  }
  return (long long)value;
}

static int skc__int_or_unknown(long long value, long long scale) {
  if (value < 0 || value > 2147483647 / scale)
    return -1;
  return (int)(value * scale);
}

int skc__plat_get_dead_peer(skc_socket_t s, skc_dead_peer_settings *settings,
                            int *replaces_count) {
  DWORD keepalive = 0;
  int size = (int)sizeof keepalive;
  long long rt;
  int err = skc__require_tcp(s);
  if (err != 0)
    return err;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_KEEPALIVE, (char *)&keepalive,
                 &size) != 0)
    return skc__fail();
  settings->keepalive = (keepalive & 0xff) != 0; /* a BOOL, maybe one byte */
  settings->count =
      skc__int_or_unknown(skc__get_dword(s, IPPROTO_TCP, TCP_KEEPCNT), 1);
  if (settings->count < 0)
    settings->count = SKC__WINDOWS_FIXED_KEEPCNT; /* documentation-derived */
  /* Read the times only where TCP_KEEPINTVL exists: before 1709 the
   * number of TCP_KEEPIDLE held milliseconds. */
  settings->interval_ms =
      skc__int_or_unknown(skc__get_dword(s, IPPROTO_TCP, TCP_KEEPINTVL), 1000);
  if (settings->interval_ms >= 0)
    settings->idle_ms =
        skc__int_or_unknown(skc__get_dword(s, IPPROTO_TCP, TCP_KEEPIDLE), 1000);
  rt = skc__get_dword(s, IPPROTO_TCP, TCP_MAXRTMS);
  if (rt >= 0) {
    settings->user_timeout_ms = skc__int_or_unknown(rt, 1);
  } else {
    rt = skc__get_dword(s, IPPROTO_TCP, TCP_MAXRT);
    settings->user_timeout_ms = skc__int_or_unknown(rt, 1000);
  }
  *replaces_count = 0;
  return 0;
}
