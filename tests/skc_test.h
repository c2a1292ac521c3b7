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

#endif
