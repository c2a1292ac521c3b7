/*
 * Dead-peer detection: argument checks, the rounding to whole seconds and
 * the worst-case detection times, once for every platform. The options
 * themselves are set in src/posix/keepalive.c and src/win32/keepalive.c.
 */
#include "sockclose.h"
#include "../platform.h"

#include <limits.h>

int skc__seconds_rounded_up(int ms) {
  /* ms / 1000 rounded up without overflowing at INT_MAX. */
  return ms / 1000 + (ms % 1000 != 0);
}

int skc_set_keepalive(skc_socket_t s, int idle_ms, int interval_ms,
                      int count) {
  if (idle_ms < 0 || interval_ms < 0 || count < 0)
    return skc__plat_reject(SKC_EINVAL);
  if (idle_ms != 0 && (interval_ms == 0 || count == 0))
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(
      skc__plat_set_keepalive(s, idle_ms, interval_ms, count));
}

int skc_set_user_timeout(skc_socket_t s, int timeout_ms) {
  if (timeout_ms < 0)
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  return skc__handle_error(skc__plat_set_user_timeout(s, timeout_ms));
}

static void skc__dead_peer_unknown(skc_dead_peer_settings *settings) {
  settings->keepalive = -1;
  settings->idle_ms = -1;
  settings->interval_ms = -1;
  settings->count = -1;
  settings->user_timeout_ms = -1;
  settings->idle_detect_ms = -1;
  settings->unacked_detect_ms = -1;
}

/* The last keepalive check of an idle connection: the kernel probes at
 * idle, idle + interval, ... and gives up at the check after `count`
 * unanswered probes. Linux with a user timeout gives up at the first check
 * at or after the user timeout that follows at least one probe
 * (tcp_keepalive_timer() in net/ipv4/tcp_timer.c). */
static long long skc__idle_detect_ms(const skc_dead_peer_settings *settings,
                                     int replaces_count) {
  long long idle = settings->idle_ms;
  long long interval = settings->interval_ms;
  if (settings->keepalive != 1 || settings->idle_ms < 0 ||
      settings->interval_ms <= 0)
    return -1;
  if (replaces_count && settings->user_timeout_ms > 0) {
    long long beyond = settings->user_timeout_ms - idle;
    long long checks =
        beyond <= interval ? 1 : (beyond + interval - 1) / interval;
    return idle + checks * interval;
  }
  if (settings->count <= 0)
    return -1;
  return idle + (long long)settings->count * interval;
}

int skc_get_dead_peer_settings(skc_socket_t s,
                               skc_dead_peer_settings *settings) {
  int replaces_count = 0;
  int err;
  if (settings == NULL)
    return skc__plat_reject(SKC_EFAULT);
  skc__dead_peer_unknown(settings);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  err = skc__plat_get_dead_peer(s, settings, &replaces_count);
  if (err != 0) {
    skc__dead_peer_unknown(settings);
    return skc__handle_error(err);
  }
  settings->idle_detect_ms = skc__idle_detect_ms(settings, replaces_count);
  settings->unacked_detect_ms =
      settings->user_timeout_ms > 0 ? settings->user_timeout_ms : -1;
  return 0;
}
