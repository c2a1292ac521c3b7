/*
 * One situation, one result: the scenarios S1-S12 of the README's table,
 * written once and run on every OS. Only native inputs are #ifdef'd; the
 * expected sockclose results are the same everywhere, except in the tests
 * named "pinned_", which record a real difference between platforms, and
 * where Wine 8 is known to differ from Windows (skct_wine_deviation).
 */
#include "skc_test.h"

#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#define NATIVE_EPIPE_OR_SHUTDOWN WSAESHUTDOWN
#define NATIVE_ENOTCONN WSAENOTCONN
#define NATIVE_BAD_HANDLE WSAENOTSOCK
#else
#include <errno.h>
#define NATIVE_EPIPE_OR_SHUTDOWN EPIPE
#define NATIVE_ENOTCONN ENOTCONN
#define NATIVE_BAD_HANDLE EBADF
#endif

/* How long a peer must stay silent to count as "sees nothing". */
#define SILENCE_MS 300

/* Wine 8 deviation (research/close-semantics.md, "Wine 8"): wineserver
 * reads and clears the socket error when the RST arrives, so a recv issued
 * after that returns 0; Windows returns WSAECONNRESET. Under Wine the
 * measured result is asserted, so a change in Wine fails the test. */
static void expect_reset_seen_late(ptrdiff_t got) {
  if (skct_is_wine()) {
    print_message("Wine 8 deviation: recv issued after an RST arrived "
                  "returns 0 (Windows: WSAECONNRESET)\n");
    assert_int_equal(got, 0);
  } else {
    assert_int_equal(got, SKC_ECONNRESET);
  }
}

/* S1: half-close. A sends then shuts its write side; B reads the data and
 * EOF, then replies, and A, whose read side is open, reads the reply; B
 * closes and A reads EOF. */
static void s1_half_close(void **state) {
  skc_socket_t p[2];
  char buf[16];
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_send(p[0], "hello", 5), 5);
  assert_int_equal(skc_shutdown(p[0], SKC_SHUT_WR), 0);
  skct_recv_exactly(p[1], buf, 5);
  assert_memory_equal(buf, "hello", 5);
  skct_expect_eof(p[1]);
  assert_int_equal(skc_send(p[1], "reply", 5), 5);
  skct_recv_exactly(p[0], buf, 5);
  assert_memory_equal(buf, "reply", 5);
  assert_int_equal(skc_close(p[1]), 0);
  skct_expect_eof(p[0]);
  assert_int_equal(skc_close(p[0]), 0);
}

/* S2: send after our own SHUT_WR: Linux EPIPE (+SIGPIPE without
 * MSG_NOSIGNAL), Windows WSAESHUTDOWN; sockclose SKC_ESHUTDOWN, no
 * signal, signal disposition untouched, native code kept. */
static void s2_send_after_own_shutdown(void **state) {
  skc_socket_t p[2];
  (void)state;
  SKCT_PAIR(p);
  assert_true(skct_sigpipe_is_default());
  assert_int_equal(skc_shutdown(p[0], SKC_SHUT_WR), 0);
  assert_int_equal(skc_send(p[0], "x", 1), SKC_ESHUTDOWN);
  assert_int_equal(skct_native_error(), NATIVE_EPIPE_OR_SHUTDOWN);
  assert_int_equal(skc_send(p[0], "x", 1), SKC_ESHUTDOWN);
  assert_true(skct_sigpipe_is_default());
  skc_close(p[0]);
  skc_close(p[1]);
}

/* S3: recv after our own SHUT_RD with nothing buffered: POSIX 0, Windows
 * WSAESHUTDOWN; sockclose 0. */
static void s3_recv_after_own_shut_rd(void **state) {
  skc_socket_t p[2];
  char c;
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_shutdown(p[0], SKC_SHUT_RD), 0);
  assert_int_equal(skc_recv(p[0], &c, 1), 0);
  skc_close(p[0]);
  skc_close(p[1]);
}

struct pending_recv {
  skc_socket_t s;
  volatile int started;
  ptrdiff_t result;
};

static void pending_recv_main(void *arg) {
  struct pending_recv *pr = arg;
  char c;
  pr->started = 1;
  pr->result = skc_recv(pr->s, &c, 1);
}

/* S4: the peer aborts while our recv is already waiting. */
static void s4_abort_with_recv_waiting(void **state) {
  skc_socket_t p[2];
  struct pending_recv pr;
  skct_thread thread;
  (void)state;
  SKCT_PAIR(p);
  pr.s = p[0];
  pr.started = 0;
  pr.result = 1;
  assert_int_equal(skct_thread_start(&thread, pending_recv_main, &pr), 0);
  while (!pr.started)
    skct_sleep_ms(1);
  /* Nothing signals that a thread has entered a blocking recv; give it
   * ample time to get there. */
  skct_sleep_ms(200);
  assert_int_equal(skc_abort(p[1]), 0);
  skct_thread_join(&thread);
  assert_int_equal(pr.result, SKC_ECONNRESET);
  skc_close(p[0]);
}

/* S5: the peer aborts; our recv is issued after the RST has arrived. */
static void s5_abort_then_recv(void **state) {
  skc_socket_t p[2];
  char c;
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_abort(p[1]), 0);
  assert_true(skct_wait_readable(p[0], SKCT_DEADLINE_MS));
  expect_reset_seen_late(skc_recv(p[0], &c, 1));
  skc_close(p[0]);
}

/* S6: the peer closes while our data sits unread in its receive queue, so
 * its kernel sends an RST instead of a FIN (RFC 2525 2.17). */
static void s6_peer_closes_with_unread_data(void **state) {
  skc_socket_t p[2];
  char c;
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_send(p[0], "unread", 6), 6);
  assert_true(skct_wait_queued(p[1], 6, SKCT_DEADLINE_MS));
  assert_int_equal(skc_close(p[1]), 0);
  assert_true(skct_wait_readable(p[0], SKCT_DEADLINE_MS));
  expect_reset_seen_late(skc_recv(p[0], &c, 1));
  skc_close(p[0]);
}

/* S7: the peer closed in order. Our first send succeeds and draws an RST
 * from the peer's kernel; the next send fails: Linux EPIPE, Windows
 * WSAECONNRESET or WSAECONNABORTED; sockclose SKC_ECONNRESET, no signal. */
static void s7_send_after_peer_close(void **state) {
  skc_socket_t p[2];
  ptrdiff_t r = 1;
  int tries;
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_close(p[1]), 0);
  assert_true(skct_wait_readable(p[0], SKCT_DEADLINE_MS)); /* the FIN */
  assert_int_equal(skc_send(p[0], "x", 1), 1);
  /* No portable event tells that the RST has arrived (POSIX raises
   * POLLHUP then, WSAPoll raised it already for the FIN), so the next
   * sends are spaced out until one fails; over loopback the first one
   * after a short pause does. */
  for (tries = 0; tries < 100 && r > 0; tries++) {
    skct_sleep_ms(20);
    r = skc_send(p[0], "y", 1);
  }
  assert_int_equal(r, SKC_ECONNRESET);
  assert_true(skct_sigpipe_is_default());
  /* Every later send says the same. */
  assert_int_equal(skc_send(p[0], "z", 1), SKC_ECONNRESET);
  skc_close(p[0]);
}

/* S8, the seed's experiment: a separate client process connects by
 * itself, sends N bytes and is killed hard while we are not reading. Its
 * kernel closes the connection in order (FIN after the data), so all N
 * bytes are read, then 0. */
static void s8_killed_client_data_then_eof(void **state) {
  enum { N = 3000 };
  char buf[N];
  unsigned short port = 0;
  skc_socket_t listener, conn;
  skct_child child;
  long i;
  (void)state;
  listener = skct_listen(&port);
  assert_true(listener != SKC_INVALID_SOCKET);
  assert_int_equal(skct_spawn(&child, "send-and-wait", port, N, 0), 0);
  conn = skct_accept(listener);
  assert_true(conn != SKC_INVALID_SOCKET);
  assert_true(skct_wait_queued(conn, N, 3 * SKCT_DEADLINE_MS));
  skct_kill(&child);
  skct_recv_exactly(conn, buf, N);
  for (i = 0; i < N; i++)
    assert_int_equal(buf[i], 'a' + i % 26);
  skct_expect_eof(conn);
  skc_close(conn);
  skc_close(listener);
}

/* S9: reference counting. With a duplicate open, closing one copy sends
 * nothing; the peer sees EOF only when the last copy is closed. */
static void s9_close_one_copy(void **state) {
  skc_socket_t p[2], copy;
  char c;
  (void)state;
  SKCT_PAIR(p);
  copy = skct_duplicate(p[0]);
  assert_true(copy != SKC_INVALID_SOCKET);
  assert_int_equal(skc_close(p[0]), 0);
  assert_false(skct_wait_readable(p[1], SILENCE_MS));
  assert_int_equal(skc_send(copy, "c", 1), 1);
  skct_recv_exactly(p[1], &c, 1);
  assert_int_equal(c, 'c');
  assert_int_equal(skc_close(copy), 0);
  skct_expect_eof(p[1]);
  skc_close(p[1]);
}

/* S10: shutdown(WR) through one copy ends the stream for every copy. */
static void s10_shutdown_one_copy(void **state) {
  skc_socket_t p[2], copy;
  (void)state;
  SKCT_PAIR(p);
  copy = skct_duplicate(p[0]);
  assert_true(copy != SKC_INVALID_SOCKET);
  assert_int_equal(skc_shutdown(copy, SKC_SHUT_WR), 0);
  skct_expect_eof(p[1]);
  assert_int_equal(skc_send(p[0], "x", 1), SKC_ESHUTDOWN);
  skc_close(copy);
  skc_close(p[0]);
  skc_close(p[1]);
}

/* S11: shutdown on a socket that never connected. */
static void s11_shutdown_unconnected(void **state) {
  skc_socket_t s = skct_tcp_socket();
  (void)state;
  assert_true(s != SKC_INVALID_SOCKET);
  assert_int_equal(skc_shutdown(s, SKC_SHUT_WR), SKC_ENOTCONN);
  assert_int_equal(skct_native_error(), NATIVE_ENOTCONN);
  assert_int_equal(skc_shutdown(s, SKC_SHUT_RDWR), SKC_ENOTCONN);
  skc_close(s);
}

static void expect_bad_handle_everywhere(skc_socket_t s) {
  char c = 0;
  skct_set_native_error(0);
  assert_int_equal(skc_close(s), SKC_EBADF);
  assert_int_equal(skct_native_error(), NATIVE_BAD_HANDLE);
  skct_set_native_error(0);
  assert_int_equal(skc_shutdown(s, SKC_SHUT_WR), SKC_EBADF);
  assert_int_equal(skct_native_error(), NATIVE_BAD_HANDLE);
  skct_set_native_error(0);
  assert_int_equal(skc_send(s, &c, 1), SKC_EBADF);
  assert_int_equal(skct_native_error(), NATIVE_BAD_HANDLE);
  skct_set_native_error(0);
  assert_int_equal(skc_recv(s, &c, 1), SKC_EBADF);
  assert_int_equal(skct_native_error(), NATIVE_BAD_HANDLE);
  skct_set_native_error(0);
  assert_int_equal(skc_abort(s), SKC_EBADF);
  assert_int_equal(skct_native_error(), NATIVE_BAD_HANDLE);
}

/* S12: every operation on SKC_INVALID_SOCKET or on a closed handle. */
static void s12_invalid_and_closed_handles(void **state) {
  skc_socket_t p[2];
  (void)state;
  expect_bad_handle_everywhere(SKC_INVALID_SOCKET);
  SKCT_PAIR(p);
  assert_int_equal(skc_close(p[0]), 0);
  expect_bad_handle_everywhere(p[0]);
  skc_close(p[1]);
}

/* Pinned: data already queued when we shut our read side. Linux still
 * delivers it, then 0 (tcp_recvmsg ignores RCV_SHUTDOWN while data is
 * queued); Windows fails the recv with WSAESHUTDOWN (sockclose: 0) and
 * macOS discards the queue (soshutdown flushes it): the data is lost. */
static void pinned_shut_rd_with_data_queued(void **state) {
  skc_socket_t p[2];
  char buf[8];
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_send(p[1], "data", 4), 4);
  assert_true(skct_wait_queued(p[0], 4, SKCT_DEADLINE_MS));
  assert_int_equal(skc_shutdown(p[0], SKC_SHUT_RD), 0);
#if defined(__linux__)
  assert_int_equal(skc_recv(p[0], buf, sizeof buf), 4);
  assert_memory_equal(buf, "data", 4);
#endif
  assert_int_equal(skc_recv(p[0], buf, sizeof buf), 0);
  skc_close(p[0]);
  skc_close(p[1]);
}

/* Pinned: send after our own SHUT_WR once the peer has closed too. Linux
 * moves a socket whose FINs are both exchanged to CLOSE, the state an RST
 * leaves (tcp_time_wait() ends in tcp_done()), and keeps no record of who
 * shut down first, so sockclose reports the connection as gone there;
 * Windows (WSAESHUTDOWN) and macOS (TIME_WAIT is still visible) report
 * our own shutdown. */
static void pinned_send_after_both_closed(void **state) {
  skc_socket_t p[2];
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_shutdown(p[0], SKC_SHUT_WR), 0);
  skct_expect_eof(p[1]);
  assert_int_equal(skc_close(p[1]), 0);
  skct_expect_eof(p[0]);
#if defined(__linux__)
  assert_int_equal(skc_send(p[0], "x", 1), SKC_ECONNRESET);
#else
  assert_int_equal(skc_send(p[0], "x", 1), SKC_ESHUTDOWN);
#endif
  skc_close(p[0]);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(s1_half_close),
      cmocka_unit_test(s2_send_after_own_shutdown),
      cmocka_unit_test(s3_recv_after_own_shut_rd),
      cmocka_unit_test(s4_abort_with_recv_waiting),
      cmocka_unit_test(s5_abort_then_recv),
      cmocka_unit_test(s6_peer_closes_with_unread_data),
      cmocka_unit_test(s7_send_after_peer_close),
      cmocka_unit_test(s8_killed_client_data_then_eof),
      cmocka_unit_test(s9_close_one_copy),
      cmocka_unit_test(s10_shutdown_one_copy),
      cmocka_unit_test(s11_shutdown_unconnected),
      cmocka_unit_test(s12_invalid_and_closed_handles),
      cmocka_unit_test(pinned_shut_rd_with_data_queued),
      cmocka_unit_test(pinned_send_after_both_closed),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0)
    return 1;
  rc = cmocka_run_group_tests_name("situations", tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
