/*
 * Dead-peer detection settings: skc_set_keepalive(),
 * skc_set_user_timeout() and skc_get_dead_peer_settings(), their
 * rounding, the read-back and the argument errors.
 */
#include "skc_test.h"

#ifdef _WIN32
#include <winsock2.h>
#define NATIVE_EINVAL WSAEINVAL
#define NATIVE_EFAULT WSAEFAULT
#else
#include <errno.h>
#define NATIVE_EINVAL EINVAL
#define NATIVE_EFAULT EFAULT
#endif

static void expect_settings(skc_socket_t s, int keepalive, int idle_ms,
                            int interval_ms, int count, int user_timeout_ms,
                            long long idle_detect_ms,
                            long long unacked_detect_ms) {
  skc_dead_peer_settings d;
  assert_int_equal(skc_get_dead_peer_settings(s, &d), 0);
  assert_int_equal(d.keepalive, keepalive);
  assert_int_equal(d.idle_ms, idle_ms);
  assert_int_equal(d.interval_ms, interval_ms);
  assert_int_equal(d.count, count);
  assert_int_equal(d.user_timeout_ms, user_timeout_ms);
  assert_int_equal(d.idle_detect_ms, idle_detect_ms);
  assert_int_equal(d.unacked_detect_ms, unacked_detect_ms);
}

/* Where the OS takes whole seconds each time is rounded up: 1500 ms is
 * 2 s, 1 ms is 1 s. */
static void keepalive_is_applied_rounded_up_and_read_back(void **state) {
  skc_socket_t p[2];
  (void)state;
  SKCT_PAIR(p);
  if (skct_is_wine()) {
    /* Wine 8 deviation: it implements none of TCP_KEEPIDLE, TCP_KEEPINTVL
     * and TCP_KEEPCNT (WSAENOPROTOOPT) and reports none of them, as
     * Windows before 10 1703 documents; SIO_KEEPALIVE_VALS works. So a
     * count other than the fixed 10 is refused with nothing changed, and
     * the times cannot be read back. */
    skct_set_native_error(0);
    assert_int_equal(skc_set_keepalive(p[0], 1500, 2500, 4), SKC_ENOTSUP);
    assert_int_equal(skct_native_error(), 10042 /* WSAENOPROTOOPT */);
    expect_settings(p[0], 0, -1, -1, 10, -1, -1, -1);
    assert_int_equal(skc_set_keepalive(p[0], 1500, 2500, 10), 0);
    expect_settings(p[0], 1, -1, -1, 10, -1, -1, -1);
    assert_int_equal(skc_set_keepalive(p[0], 0, 0, 0), 0);
    expect_settings(p[0], 0, -1, -1, 10, -1, -1, -1);
  } else {
    assert_int_equal(skc_set_keepalive(p[0], 1500, 2500, 4), 0);
    expect_settings(p[0], 1, 2000, 3000, 4, 0, 2000 + 4 * 3000, -1);
    assert_int_equal(skc_set_keepalive(p[0], 1, 1, 1), 0);
    expect_settings(p[0], 1, 1000, 1000, 1, 0, 2000, -1);
    /* Off keeps the times for the next time it is turned on. */
    assert_int_equal(skc_set_keepalive(p[0], 0, 0, 0), 0);
    expect_settings(p[0], 0, 1000, 1000, 1, 0, -1, -1);
  }
  skc_close(p[0]);
  skc_close(p[1]);
}

static void user_timeout_is_applied_and_read_back(void **state) {
  skc_socket_t p[2];
  (void)state;
  SKCT_PAIR(p);
#ifdef _WIN32
  if (skct_is_wine()) {
    /* Wine 8 deviation: neither TCP_MAXRTMS nor TCP_MAXRT is implemented
     * (WSAENOPROTOOPT), so there is no user timeout to set. */
    skct_set_native_error(0);
    assert_int_equal(skc_set_user_timeout(p[0], 2500), SKC_ENOTSUP);
    assert_int_equal(skct_native_error(), 10042 /* WSAENOPROTOOPT */);
  } else {
    /* Windows' documented defaults: 2 hours of silence, 1 s between
     * probes, 10 probes (documentation-derived, not run here). */
    assert_int_equal(skc_set_user_timeout(p[0], 2500), 0);
    expect_settings(p[0], 0, 7200000, 1000, 10, 2500, -1, 2500);
  }
  /* Windows documents no value that restores its default. */
  assert_int_equal(skc_set_user_timeout(p[0], 0), SKC_ENOTSUP);
#else
  assert_int_equal(skc_set_user_timeout(p[0], 2500), 0);
  assert_int_equal(skc_set_keepalive(p[0], 1000, 1000, 5), 0);
  /* Linux: the user timeout replaces the count. Probes at 1 s and 2 s;
   * the check at 3 s is the first at or after 2.5 s with a probe out. */
  expect_settings(p[0], 1, 1000, 1000, 5, 2500, 3000, 2500);
  assert_int_equal(skc_set_user_timeout(p[0], 0), 0);
  expect_settings(p[0], 1, 1000, 1000, 5, 0, 6000, -1);
#endif
  skc_close(p[0]);
  skc_close(p[1]);
}

static void bad_input_is_refused(void **state) {
  skc_socket_t p[2];
  skc_socket_t not_a_socket;
  skc_dead_peer_settings d;
  (void)state;
  SKCT_PAIR(p);
  skct_set_native_error(0);
  assert_int_equal(skc_set_keepalive(p[0], -1, 1000, 3), SKC_EINVAL);
  assert_int_equal(skct_native_error(), NATIVE_EINVAL);
  assert_int_equal(skc_set_keepalive(p[0], 1000, -1, 3), SKC_EINVAL);
  assert_int_equal(skc_set_keepalive(p[0], 1000, 1000, -1), SKC_EINVAL);
  assert_int_equal(skc_set_keepalive(p[0], 1000, 0, 3), SKC_EINVAL);
  assert_int_equal(skc_set_keepalive(p[0], 1000, 1000, 0), SKC_EINVAL);
  assert_int_equal(skc_set_user_timeout(p[0], -1), SKC_EINVAL);
  /* Checked before the handle: no system call was made. */
  assert_int_equal(skc_set_keepalive(SKC_INVALID_SOCKET, -5, 0, 0),
                   SKC_EINVAL);
  assert_int_equal(skc_set_keepalive(SKC_INVALID_SOCKET, 1000, 1000, 3),
                   SKC_EBADF);
  assert_int_equal(skc_set_user_timeout(SKC_INVALID_SOCKET, 1000), SKC_EBADF);
  skct_set_native_error(0);
  assert_int_equal(skc_get_dead_peer_settings(p[0], NULL), SKC_EFAULT);
  assert_int_equal(skct_native_error(), NATIVE_EFAULT);
  d.keepalive = 5;
  assert_int_equal(skc_get_dead_peer_settings(SKC_INVALID_SOCKET, &d),
                   SKC_EBADF);
  assert_int_equal(d.keepalive, -1);
  assert_int_equal(d.idle_detect_ms, -1);
  not_a_socket = skct_not_a_socket();
  assert_int_equal(skc_set_keepalive(not_a_socket, 1000, 1000, 3), SKC_EBADF);
  assert_int_equal(skc_set_user_timeout(not_a_socket, 1000), SKC_EBADF);
  assert_int_equal(skc_get_dead_peer_settings(not_a_socket, &d), SKC_EBADF);
  assert_int_equal(d.count, -1);
  skct_release_not_a_socket(not_a_socket);
#ifdef __linux__
  /* tcp(7): at most 127 probes and 32767 s. */
  assert_int_equal(skc_set_keepalive(p[0], 1000, 1000, 128), SKC_EINVAL);
  assert_int_equal(skc_set_keepalive(p[0], 32768000, 1000, 3), SKC_EINVAL);
#endif
  skc_close(p[0]);
  skc_close(p[1]);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(keepalive_is_applied_rounded_up_and_read_back),
      SKCT_LEAK_CHECKED(user_timeout_is_applied_and_read_back),
      SKCT_LEAK_CHECKED(bad_input_is_refused),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0)
    return 1;
  rc = cmocka_run_group_tests_name("keepalive", tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
