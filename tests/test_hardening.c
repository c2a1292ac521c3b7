/*
 * Regression tests for defects found by hostile input, injected faults
 * and signals: each test fails on the code before its fix (under
 * AddressSanitizer where the defect is a memory error).
 */
#if !defined(_WIN32) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* sigaction, setitimer in C11 mode */
#endif
#include "skc_test.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <winsock2.h>
#else
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* Deadline for closes that are expected to end well before it. */
#define LONG_TIMEOUT_MS 20000

/* ---- the closer: a callback that grows the closer ---- */

/* More sockets than the closer's first capacity (16), so that adding them
 * from a callback reallocates its arrays while the callback runs. */
#define GROW_COUNT 40

struct grow_test {
  skc_closer *closer;
  skc_socket_t added[GROW_COUNT][2];
  int add_results[GROW_COUNT];
  unsigned long long discarded_after_add;
  int calls;
};

static void grow_from_callback(void *user, skc_socket_t s, int result,
                               const skc_graceful_report *report) {
  struct grow_test *t = user;
  int i;
  (void)s;
  (void)result;
  t->calls++;
  if (t->calls != 1)
    return;
  for (i = 0; i < GROW_COUNT; i++)
    t->add_results[i] = skc_closer_add(t->closer, t->added[i][0],
                                       LONG_TIMEOUT_MS, NULL, NULL);
  /* The report is documented as readable during the call: read it after
   * the adds that grew the closer. */
  t->discarded_after_add = report->discarded;
}

static void closer_callback_may_grow_the_closer(void **state) {
  struct grow_test t;
  skc_socket_t first[2];
  char request[123];
  int i;
  (void)state;
  memset(&t, 0, sizeof t);
  for (i = 0; i < GROW_COUNT; i++)
    SKCT_PAIR(t.added[i]);
  SKCT_PAIR(first);
  memset(request, 'q', sizeof request);
  assert_int_equal(skc_send(first[1], request, sizeof request),
                   (ptrdiff_t)sizeof request);
  assert_true(skct_wait_queued(first[0], (long)sizeof request, SKCT_DEADLINE_MS));
  assert_int_equal(skc_close(first[1]), 0);
  assert_int_equal(skc_closer_new(&t.closer), 0);
  assert_int_equal(
      skc_closer_add(t.closer, first[0], LONG_TIMEOUT_MS, grow_from_callback, &t), 0);
  /* The peers of the added sockets close at once, so every close ends. */
  for (i = 0; i < GROW_COUNT; i++)
    assert_int_equal(skc_close(t.added[i][1]), 0);
  assert_int_equal(skc_closer_run(t.closer, -1), 0);
  assert_int_equal(t.calls, 1);
  for (i = 0; i < GROW_COUNT; i++)
    assert_int_equal(t.add_results[i], 0);
  assert_true(t.discarded_after_add == sizeof request);
  skc_closer_free(t.closer);
}

/* ---- skc_endpoint_format: the longest endpoint ---- */

/* Every group non-zero (no "::"), the largest scope unsigned long holds
 * and the largest port: the longest text there is. */
static void endpoint_format_longest_fits_and_is_not_over_read(void **state) {
  skc_endpoint e;
  char exact[SKC_ENDPOINT_STRLEN];
  char large[256];
  char expected[128];
  int n;
  (void)state;
  memset(&e, 0, sizeof e);
  e.family = SKC_FAMILY_IPV6;
  memset(e.address, 0xab, sizeof e.address);
  e.port = 65535;
  e.scope_id = ULONG_MAX;
  n = snprintf(expected, sizeof expected,
               "[abab:abab:abab:abab:abab:abab:abab:abab%%%lu]:65535", ULONG_MAX);
  /* A buffer larger than the text: the copy must stop at the text. */
  memset(large, 'x', sizeof large);
  assert_int_equal(skc_endpoint_format(&e, large, sizeof large), n);
  assert_string_equal(large, expected);
  assert_true(n > 0 && n < SKC_ENDPOINT_STRLEN);
  /* SKC_ENDPOINT_STRLEN always suffices. */
  assert_int_equal(skc_endpoint_format(&e, exact, sizeof exact), n);
  assert_string_equal(exact, expected);
  /* One byte short: SKC_ENOBUFS and "". */
  assert_int_equal(skc_endpoint_format(&e, large, (size_t)n), SKC_ENOBUFS);
  assert_string_equal(large, "");
}

/* ---- skc_graceful_finish after SKC_EBADF: the number is left alone ---- */

/* The socket is closed behind the graceful close's back and its number is
 * given to a new connection: finishing must not close (or reset) that new
 * connection. */
static void graceful_finish_leaves_a_reused_number_alone(void **state) {
  skc_socket_t p[2], q[2];
  skc_graceful g;
  skc_graceful_report report;
  skc_socket_t number;
  char c = 'x';
  (void)state;
  SKCT_PAIR(p);
  number = p[0];
  assert_int_equal(skc_graceful_start(&g, p[0], LONG_TIMEOUT_MS), SKC_EINPROGRESS);
  /* Closed elsewhere. */
  assert_int_equal(skc_close(p[0]), 0);
  assert_int_equal(skc_graceful_advance(&g), SKC_EBADF);
  /* A new connection. On POSIX each new descriptor takes the lowest free
   * number: skc_tcp_pair's listener takes the one its first call freed
   * (below p[0]'s, since that listener came first), so its client end,
   * q[0], takes p[0]'s number. */
  SKCT_PAIR(q);
#ifndef _WIN32
  assert_int_equal(q[0], number);
#endif
  (void)number;
  assert_int_equal(skc_graceful_finish(&g, &report), SKC_EBADF);
  assert_int_equal(report.all_acked, SKC_ACKED_UNKNOWN);
  /* The new connection still works both ways, with no RST and no FIN. */
  assert_int_equal(skc_send(q[0], &c, 1), 1);
  skct_recv_exactly(q[1], &c, 1);
  assert_int_equal(skc_send(q[1], &c, 1), 1);
  skct_recv_exactly(q[0], &c, 1);
  assert_int_equal(skc_close(q[0]), 0);
  assert_int_equal(skc_close(q[1]), 0);
  assert_int_equal(skc_close(p[1]), 0);
}

/* ---- wrong codes: a socket that is not connected ---- */

static void send_on_unconnected_or_listener_is_enotconn(void **state) {
  skc_socket_t fresh = skct_tcp_socket();
  unsigned short port = 0;
  skc_socket_t listener = skct_listen(&port);
  char c = 'x';
  ptrdiff_t r;
  (void)state;
  assert_true(fresh != SKC_INVALID_SOCKET);
  assert_true(listener != SKC_INVALID_SOCKET);
  skct_set_native_error(0);
  r = skc_send(fresh, &c, 1);
  assert_int_equal(r, SKC_ENOTCONN);
  if (skct_is_wine()) {
    /* Measured: the native slot keeps the code Wine's send returned. */
    printf("Wine 8 deviation: send on a never-connected socket fails with "
           "WSAECONNRESET (Windows: WSAENOTCONN); SKC_ENOTCONN is returned, "
           "the native slot keeps Wine's code\n");
    assert_int_equal(skc_translate_error(skct_native_error()), SKC_ECONNRESET);
  } else {
    assert_int_equal(skc_translate_error(skct_native_error()), r);
  }
  if (skct_is_wine()) {
    /* Measured: the call never returns, so it cannot be asserted here. */
    printf("Wine 8 deviation: send on a listener blocks (Windows: "
           "WSAENOTCONN); not run under Wine\n");
  } else {
    r = skc_send(listener, &c, 1);
    assert_int_equal(r, SKC_ENOTCONN);
    assert_int_equal(skc_translate_error(skct_native_error()), r);
  }
  assert_int_equal(skc_close(fresh), 0);
  assert_int_equal(skc_close(listener), 0);
}

/* A reset connection still reports SKC_ECONNRESET on send, not
 * SKC_ENOTCONN: it was connected. */
static void send_after_reset_is_not_enotconn(void **state) {
  skc_socket_t p[2];
  char c = 'x';
  ptrdiff_t r;
  int i;
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_abort(p[1]), 0);
  assert_true(skct_wait_readable(p[0], SKCT_DEADLINE_MS));
  /* The first call may consume the pending error; the later ones meet
   * the closed connection. */
  for (i = 0; i < 3; i++) {
    r = skc_send(p[0], &c, 1);
    assert_int_equal(r, SKC_ECONNRESET);
  }
  assert_int_equal(skc_close(p[0]), 0);
}

static void shutdown_on_a_listener_is_enotconn_and_it_keeps_listening(void **state) {
  static const int hows[3] = {SKC_SHUT_RD, SKC_SHUT_WR, SKC_SHUT_RDWR};
  unsigned short port = 0;
  skc_socket_t listener = skct_listen(&port);
  skc_socket_t client, served;
  int i;
  (void)state;
  assert_true(listener != SKC_INVALID_SOCKET);
  for (i = 0; i < 3; i++) {
    skct_set_native_error(0);
    assert_int_equal(skc_shutdown(listener, hows[i]), SKC_ENOTCONN);
    assert_int_equal(skc_translate_error(skct_native_error()), SKC_ENOTCONN);
  }
  /* Still accepting. */
  client = skct_connect(port);
  assert_true(client != SKC_INVALID_SOCKET);
  assert_true(skct_wait_readable(listener, SKCT_DEADLINE_MS));
  served = skct_accept(listener);
  assert_true(served != SKC_INVALID_SOCKET);
  assert_int_equal(skc_close(served), 0);
  assert_int_equal(skc_close(client), 0);
  assert_int_equal(skc_close(listener), 0);
}

/* ---- SKC_EAGAIN also comes from a blocking socket's receive timeout ---- */

static void receive_timeout_is_eagain_on_posix(void **state) {
  skc_socket_t p[2];
  char c;
  int rc;
#ifdef _WIN32
  DWORD timeout = 100;
  const int expected = SKC_ETIMEDOUT; /* Microsoft's documentation */
#else
  struct timeval timeout = {0, 100000};
  const int expected = SKC_EAGAIN;
#endif
  (void)state;
  SKCT_PAIR(p);
#ifdef _WIN32
  rc = setsockopt((SOCKET)p[0], SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout,
                  (int)sizeof timeout);
#else
  rc = setsockopt(p[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
#endif
  assert_int_equal(rc, 0);
  assert_int_equal(skc_recv(p[0], &c, 1), expected);
  assert_int_equal(skc_close(p[0]), 0);
  assert_int_equal(skc_close(p[1]), 0);
}

#ifndef _WIN32
/* ---- skc_tcp_pair under a signal storm (POSIX: Windows has no signals
 * that interrupt socket calls) ---- */

static volatile sig_atomic_t storm_signals;

static void count_signal(int sig) {
  (void)sig;
  storm_signals++;
}

/* SIGALRM every 100 microseconds (10 kHz), with a handler installed
 * without SA_RESTART, so that every blocking call it lands in fails with
 * EINTR. 2000 pairs, or as many as 15 s allow (under valgrind). */
static void tcp_pair_survives_a_signal_storm(void **state) {
  struct sigaction action, previous;
  struct itimerval storm, off;
  int i, failures = 0, first_failure = 0;
  time_t stop = time(NULL) + 15;
  (void)state;
  if (RUNNING_ON_VALGRIND) {
    /* Measured: under valgrind a signal arrives before each system call
     * completes, so every call fails with EINTR forever. The storm runs
     * in the native, ASan and TSan builds. */
    printf("signal storm: not run under valgrind (it starves every system "
           "call)\n");
    return;
  }
  memset(&action, 0, sizeof action);
  action.sa_handler = count_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0; /* no SA_RESTART */
  assert_int_equal(sigaction(SIGALRM, &action, &previous), 0);
  memset(&storm, 0, sizeof storm);
  storm.it_interval.tv_usec = 100;
  storm.it_value.tv_usec = 100;
  memset(&off, 0, sizeof off);
  storm_signals = 0;
  assert_int_equal(setitimer(ITIMER_REAL, &storm, NULL), 0);
  for (i = 0; i < 2000 && time(NULL) < stop; i++) {
    skc_socket_t p[2];
    int rc = skc_tcp_pair(p);
    if (rc != 0) {
      if (failures++ == 0)
        first_failure = rc;
      continue;
    }
    skc_close(p[0]);
    skc_close(p[1]);
  }
  assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
  /* A signal still pending (valgrind delivers them late) is discarded by
   * SIG_IGN (POSIX), before the previous disposition comes back. */
  action.sa_handler = SIG_IGN;
  assert_int_equal(sigaction(SIGALRM, &action, NULL), 0);
  assert_int_equal(sigaction(SIGALRM, &previous, NULL), 0);
  printf("signal storm: %d signals during %d pairs, %d failed (first: %s)\n",
         (int)storm_signals, i, failures, skc_err_name(first_failure));
  assert_true(i >= 100);
  assert_true(storm_signals > 100);
  assert_int_equal(failures, 0);
}
#endif

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(closer_callback_may_grow_the_closer),
      cmocka_unit_test(endpoint_format_longest_fits_and_is_not_over_read),
      SKCT_LEAK_CHECKED(graceful_finish_leaves_a_reused_number_alone),
      SKCT_LEAK_CHECKED(send_on_unconnected_or_listener_is_enotconn),
      SKCT_LEAK_CHECKED(send_after_reset_is_not_enotconn),
      SKCT_LEAK_CHECKED(shutdown_on_a_listener_is_enotconn_and_it_keeps_listening),
      SKCT_LEAK_CHECKED(receive_timeout_is_eagain_on_posix),
#ifndef _WIN32
      SKCT_LEAK_CHECKED(tcp_pair_survives_a_signal_storm),
#endif
  };
  int child = skct_main(argc, argv);
  if (child >= 0)
    return child;
  if (skc_init() != 0)
    return 1;
  child = cmocka_run_group_tests(tests, NULL, NULL);
  skc_cleanup();
  return child;
}
