/*
 * A dead peer behind a router that answers with ICMP host unreachable.
 * With data unacknowledged, Linux ends the connection at its user timeout
 * with the ICMP error it received (EHOSTUNREACH) instead of ETIMEDOUT;
 * sockclose reports SKC_ETIMEDOUT, as for a silent peer, and
 * SKC_ECONNRESET on every later call. Keepalive probes carry a sequence
 * number below the window, so Linux ignores the ICMP errors they draw
 * (tcp_v4_err(): out-of-window ICMP) and reports ETIMEDOUT. Runs under
 * sockclose-wire, on Linux and for the Windows build under Wine.
 */
#include "skc_test.h"

#include "wire_client.h"

#include <stdio.h>
#include <string.h>

static void test_keepalive_meets_icmp_unreachable(void **state) {
  char buf[16], name[64];
  skc_socket_t s;
  long long start;
  int rc;
  (void)state;
  snprintf(name, sizeof name, "icmp-%ld", skct_self_pid());
  assert_int_equal(skct_wire_command("clear", NULL, 0), 0);
  s = skct_wire_connect(name);
  assert_true(s != SKC_INVALID_SOCKET);
  rc = skc_set_keepalive(s, 1000, 1000, 3);
  if (rc == SKC_ENOTSUP) {
    /* The count cannot be set (Wine 8; Windows before 10 1703): 10. */
    print_message("keepalive count fixed at 10 here\n");
    rc = skc_set_keepalive(s, 1000, 1000, 10);
  }
  assert_int_equal(rc, 0);
  skct_sleep_ms(100); /* the name line is acknowledged */
  assert_int_equal(skct_wire_command("unreach", NULL, 0), 0);
  start = skct_monotonic_ms();
  assert_true(skct_wait_readable(s, 20000));
  print_message("dead peer behind ICMP unreachable noticed after %lld ms\n",
                skct_monotonic_ms() - start);
  if (skct_is_wine()) {
    /* Wine 8 turns the pending error into an end of stream (Windows:
     * WSAENETRESET), as for keepalive after silence (D1). */
    print_message("Wine deviation: recv on the dead connection returns 0 "
                  "(Windows: WSAENETRESET, SKC_ETIMEDOUT)\n");
    assert_int_equal(skc_recv(s, buf, sizeof buf), 0);
    assert_int_equal(skc_recv(s, buf, sizeof buf), 0);
  } else {
    assert_int_equal(skc_recv(s, buf, sizeof buf), SKC_ETIMEDOUT);
    print_message("native: %s\n", skct_native_name(skct_native_error()));
    assert_int_equal(skc_recv(s, buf, sizeof buf), SKC_ECONNRESET);
  }
  assert_int_equal(skc_send(s, "x", 1), SKC_ECONNRESET);
  assert_true(skc_is_connection_gone(SKC_ETIMEDOUT));
  assert_int_equal(skct_wire_command("clear", NULL, 0), 0);
  assert_int_equal(skc_close(s), 0);
}

static void test_user_timeout_meets_icmp_unreachable(void **state) {
  char buf[1000], name[64];
  skc_socket_t s;
  long long start;
  int rc;
  (void)state;
  snprintf(name, sizeof name, "icmp-data-%ld", skct_self_pid());
  assert_int_equal(skct_wire_command("clear", NULL, 0), 0);
  s = skct_wire_connect(name);
  assert_true(s != SKC_INVALID_SOCKET);
  rc = skc_set_user_timeout(s, 2000);
  skct_sleep_ms(100); /* the name line is acknowledged */
  assert_int_equal(skct_wire_command("unreach", NULL, 0), 0);
  skct_wire_pattern(buf, sizeof buf, 0);
  start = skct_monotonic_ms();
  assert_int_equal(skc_send(s, buf, sizeof buf), (ptrdiff_t)sizeof buf);
  if (skct_is_wine()) {
    /* No user timeout under Wine 8: the retransmissions go on for
     * Linux's default of about 15 minutes. */
    print_message("Wine deviation: TCP_MAXRTMS and TCP_MAXRT are not "
                  "implemented (skc_set_user_timeout: %s)\n",
                  skc_err_name(rc));
    assert_int_equal(rc, SKC_ENOTSUP);
    assert_false(skct_wait_readable(s, 3000));
  } else {
    assert_int_equal(rc, 0);
    assert_true(skct_wait_readable(s, 20000));
    print_message("data unacknowledged behind ICMP unreachable: noticed "
                  "after %lld ms\n",
                  skct_monotonic_ms() - start);
    assert_int_equal(skc_recv(s, buf, sizeof buf), SKC_ETIMEDOUT);
    /* The native code stays for logging: the ICMP error on Linux. */
    print_message("native: %s\n", skct_native_name(skct_native_error()));
    if (strcmp(skct_platform(), "linux") == 0)
      assert_string_equal(skct_native_name(skct_native_error()),
                          "EHOSTUNREACH");
    assert_int_equal(skc_recv(s, buf, sizeof buf), SKC_ECONNRESET);
    assert_int_equal(skc_send(s, "x", 1), SKC_ECONNRESET);
  }
  assert_int_equal(skct_wire_command("clear", NULL, 0), 0);
  assert_int_equal(skc_close(s), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(test_keepalive_meets_icmp_unreachable),
      SKCT_LEAK_CHECKED(test_user_timeout_meets_icmp_unreachable),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (!skct_wire_available()) {
    fprintf(stderr, "test_wire_icmp: %s\n", skct_wire_missing());
    return 1;
  }
  if (skc_init() != 0)
    return 1;
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
