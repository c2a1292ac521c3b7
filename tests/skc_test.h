/*
 * Common include for the test executables: cmocka and the test support.
 */
#ifndef SKC_TEST_H
#define SKC_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sockclose.h"
#include "support.h"

/* A connected pair, failing the test if it cannot be made. */
#define SKCT_PAIR(pair) assert_int_equal(skc_tcp_pair(pair), 0)

/* Receive exactly n bytes (the peer may deliver them in pieces). */
static inline void skct_recv_exactly(skc_socket_t s, char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ptrdiff_t r;
    assert_true(skct_wait_readable(s, SKCT_DEADLINE_MS));
    r = skc_recv(s, buf + got, n - got);
    assert_true(r > 0);
    got += (size_t)r;
  }
}

/* Wait for the end of the stream and check it is an orderly 0. */
static inline void skct_expect_eof(skc_socket_t s) {
  char c;
  assert_true(skct_wait_readable(s, SKCT_DEADLINE_MS));
  assert_int_equal(skc_recv(s, &c, 1), 0);
}


/* ---- socket leak check (skc_leak_check) ----
 * A cmocka setup/teardown pair: the setup records this process's sockets,
 * the teardown fails the test when it left a connection in CLOSE_WAIT or a
 * socket open. The snapshot lives here, so the test's own *state is left
 * alone. Use SKCT_LEAK_CHECKED(test) in place of cmocka_unit_test(test). */
static inline skc_leak_snapshot **skct__leak_slot(void) {
  static skc_leak_snapshot *snapshot = NULL;
  return &snapshot;
}

static inline int skct_leak_setup(void **state) {
  (void)state;
  return skc_leak_snapshot_take(skct__leak_slot()) == 0 ? 0 : -1;
}

static inline int skct_leak_teardown(void **state) {
  skc_leak_report report;
  int found = skc_leak_check(*skct__leak_slot(), &report);
  (void)state;
  skc_leak_snapshot_free(*skct__leak_slot());
  *skct__leak_slot() = NULL;
  if (found < 0) {
    print_error("leak check failed: %s\n", skc_err_name(found));
    return -1;
  }
  if (found > 0) {
    print_error("socket leak: %lu in CLOSE_WAIT, %lu left open\n%s",
                (unsigned long)report.close_wait,
                (unsigned long)report.open_sockets, report.text);
    return -1;
  }
  return 0;
}

#define SKCT_LEAK_CHECKED(test)                                                \
  cmocka_unit_test_setup_teardown(test, skct_leak_setup, skct_leak_teardown)

#endif
