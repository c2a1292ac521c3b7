/*
 * The closer beyond one thread and one loop: handles that are not open
 * sockets end in one round, skc_closer_add() from another thread wakes a
 * waiting skc_closer_run(), and a closer runs inside another event loop
 * through skc_closer_handle() and skc_closer_timeout(). (The basic
 * outcomes and the 10,000 connections are in test_graceful.c.)
 */
#include "skc_test.h"

#include <stdio.h>
#include <string.h>

#define LONG_TIMEOUT_MS 20000

struct outcome {
  int calls;
  int result;
  skc_socket_t s;
};

static void record(void *user, skc_socket_t s, int result,
                   const skc_graceful_report *report) {
  struct outcome *o = user;
  assert_non_null(report);
  o->calls++;
  o->result = result;
  o->s = s;
}

static int is_windows(void) { return strcmp(skct_platform(), "windows") == 0; }

/* Where the closer's handle is its epoll or kqueue descriptor, readable
 * when a socket is (the header's promise); elsewhere it signals only
 * adds from other threads. */
static int handle_watches_sockets(void) {
  return strcmp(skct_platform(), "linux") == 0 || strcmp(skct_platform(), "macos") == 0 ||
         strcmp(skct_platform(), "freebsd") == 0;
}

/* Wine 8 deviation (as in test_bad_input.c): shutdown on a handle that is
 * not a socket fails with WSAEOPNOTSUPP where Windows answers
 * WSAENOTSOCK, so the start sees SKC_ENOTSUP, a failure of the close,
 * not a handle to leave alone. */
static int expected_for_non_socket(void) {
  if (!skct_is_wine())
    return SKC_EBADF;
  printf("Wine 8 deviation: shutdown on a non-socket handle fails with "
         "WSAEOPNOTSUPP (Windows: WSAENOTSOCK), so the closer reports "
         "SKC_ENOTSUP (Windows: SKC_EBADF)\n");
  return SKC_ENOTSUP;
}

/* A closed socket's number and an open handle that is not a socket: the
 * start finds out (shutdown fails), so the first round delivers
 * SKC_EBADF for both and the closer is empty. On Windows the wait used to
 * fail as a whole (WSAPoll rejects a set with no valid socket): run
 * returned SKC_ENOTSOCK and never delivered. */
static void stale_and_non_socket_handles_end_in_one_round(void **state) {
  skc_closer *closer = NULL;
  skc_socket_t pair[2], not_socket = skct_not_a_socket(), stale;
  struct outcome outcomes[2];
  (void)state;
  memset(outcomes, 0, sizeof outcomes);
  assert_true(not_socket != SKC_INVALID_SOCKET);
  SKCT_PAIR(pair);
  stale = pair[0];
  assert_int_equal(skc_close(pair[0]), 0);
  assert_int_equal(skc_close(pair[1]), 0);
  assert_int_equal(skc_closer_new(&closer), 0);
  assert_int_equal(skc_closer_add(closer, stale, LONG_TIMEOUT_MS, record, &outcomes[0]), 0);
  assert_int_equal(skc_closer_add(closer, not_socket, LONG_TIMEOUT_MS, record, &outcomes[1]), 0);
  assert_int_equal(skc_closer_run(closer, 0), 0);
  assert_int_equal(outcomes[0].calls, 1);
  assert_int_equal(outcomes[0].result, SKC_EBADF);
  assert_int_equal(outcomes[1].calls, 1);
  assert_int_equal(outcomes[1].result, expected_for_non_socket());
  assert_true(outcomes[1].s == not_socket);
  skc_closer_free(closer);
  /* SKC_EBADF: the closer left the handle alone; it is still open. */
  skct_release_not_a_socket(not_socket);
}

/* A socket the closer cannot watch: on Windows one made without
 * WSA_FLAG_OVERLAPPED, on which the closer's zero-byte overlapped receive
 * would block. The add returns at once, and the close still ends in
 * order, at its deadline (where the FIN that came meanwhile is read). On
 * POSIX the pair is ordinary and the FIN ends it at once. */
static void synchronous_socket_ends_at_its_deadline(void **state) {
  skc_closer *closer = NULL;
  skc_socket_t pair[2];
  struct outcome outcome;
  long long started, added, ended;
  (void)state;
  memset(&outcome, 0, sizeof outcome);
  assert_int_equal(skct_tcp_pair_synchronous(pair), 0);
  assert_int_equal(skc_closer_new(&closer), 0);
  started = skct_now_us();
  assert_int_equal(skc_closer_add(closer, pair[0], 1000, record, &outcome), 0);
  added = skct_now_us();
  assert_true(added - started < 500 * 1000LL);
  assert_int_equal(skc_close(pair[1]), 0);
  assert_int_equal(skc_closer_run(closer, -1), 0);
  ended = skct_now_us();
  assert_int_equal(outcome.calls, 1);
  assert_int_equal(outcome.result, 0);
  if (is_windows())
    assert_true(ended - started >= 1000 * 1000LL);
  else
    assert_true(ended - started < 1000 * 1000LL);
  skc_closer_free(closer);
}

/* ---- adding from another thread ---- */

struct cross {
  skc_closer *closer;
  skc_socket_t anchor_peer; /* the peer of the socket run waits for */
  skc_socket_t late[2];     /* added by the other thread */
  struct outcome anchor, late_outcome;
  int add_result;
};

/* Runs on the thread in skc_closer_run(): the late socket's result is
 * there, so let the anchor end too. */
static void late_done(void *user, skc_socket_t s, int result,
                      const skc_graceful_report *report) {
  struct cross *x = user;
  record(&x->late_outcome, s, result, report);
  skct_expect_eof(x->anchor_peer);
  assert_int_equal(skc_close(x->anchor_peer), 0);
}

static void add_later(void *arg) {
  struct cross *x = arg;
  /* Let run go to sleep on the anchor's 20 s deadline first. */
  skct_sleep_ms(200);
  x->add_result = skc_closer_add(x->closer, x->late[0], LONG_TIMEOUT_MS, late_done, x);
}

/* run waits for one socket whose peer says nothing. Another thread adds a
 * socket whose peer has closed: run wakes for it at once, its callback
 * closes the anchor's peer, and the anchor ends in order. Without the
 * wake-up run would sleep until the anchor's deadline and the anchor
 * would end in SKC_ETIMEDOUT. */
static void add_from_another_thread_wakes_run(void **state) {
  struct cross x;
  skc_socket_t anchor[2];
  skct_thread thread;
  (void)state;
  memset(&x, 0, sizeof x);
  SKCT_PAIR(anchor);
  SKCT_PAIR(x.late);
  x.anchor_peer = anchor[1];
  assert_int_equal(skc_close(x.late[1]), 0);
  assert_true(skct_wait_readable(x.late[0], SKCT_DEADLINE_MS));
  assert_int_equal(skc_closer_new(&x.closer), 0);
  assert_int_equal(skc_closer_add(x.closer, anchor[0], LONG_TIMEOUT_MS, record, &x.anchor), 0);
  assert_int_equal(skct_thread_start(&thread, add_later, &x), 0);
  assert_int_equal(skc_closer_run(x.closer, -1), 0);
  skct_thread_join(&thread);
  assert_int_equal(x.add_result, 0);
  assert_int_equal(x.late_outcome.calls, 1);
  assert_int_equal(x.late_outcome.result, 0);
  assert_int_equal(x.anchor.calls, 1);
  assert_int_equal(x.anchor.result, 0);
  skc_closer_free(x.closer);
}

#define ADDERS 2
#define ADDED_EACH 150

struct adder {
  skc_closer *closer;
  struct outcome outcomes[ADDED_EACH];
  int failures;
};

/* Each socket's peer closes right after the add, so the closer's thread
 * reads, closes and reports while this thread is still adding. */
static void add_many(void *arg) {
  struct adder *a = arg;
  int i;
  for (i = 0; i < ADDED_EACH; i++) {
    skc_socket_t pair[2];
    if (skc_tcp_pair(pair) != 0) {
      a->failures++;
      continue;
    }
    if (skc_closer_add(a->closer, pair[0], LONG_TIMEOUT_MS, record, &a->outcomes[i]) != 0)
      a->failures++;
    if (skc_close(pair[1]) != 0)
      a->failures++;
  }
}

static int all_delivered(const struct adder *adders) {
  int t, i;
  for (t = 0; t < ADDERS; t++)
    for (i = 0; i < ADDED_EACH; i++)
      if (adders[t].outcomes[i].calls == 0)
        return 0;
  return 1;
}

/* Two threads add while the closer's thread runs: every socket is
 * reported exactly once, in order (0). */
static void adds_from_two_threads_while_running(void **state) {
  static struct adder adders[ADDERS];
  skct_thread threads[ADDERS];
  skc_closer *closer = NULL;
  long long started = skct_now_us();
  int t, i;
  (void)state;
  memset(adders, 0, sizeof adders);
  assert_int_equal(skc_closer_new(&closer), 0);
  for (t = 0; t < ADDERS; t++) {
    adders[t].closer = closer;
    assert_int_equal(skct_thread_start(&threads[t], add_many, &adders[t]), 0);
  }
  while (!all_delivered(adders)) {
    assert_true(skc_closer_run(closer, 50) >= 0);
    assert_true(skct_now_us() - started < 60 * 1000000LL);
  }
  for (t = 0; t < ADDERS; t++)
    skct_thread_join(&threads[t]);
  for (t = 0; t < ADDERS; t++) {
    assert_int_equal(adders[t].failures, 0);
    for (i = 0; i < ADDED_EACH; i++) {
      assert_int_equal(adders[t].outcomes[i].calls, 1);
      assert_int_equal(adders[t].outcomes[i].result, 0);
    }
  }
  assert_int_equal(skc_closer_run(closer, 0), 0);
  skc_closer_free(closer);
}

/* ---- inside another event loop ---- */

/* The closer's handle and time-out drive it from an outer wait (here the
 * test's poll(); epoll, kqueue or libuv work the same way): the handle
 * becomes readable when a peer closes, the time-out covers the deadline
 * of a silent peer, and skc_closer_run(closer, 0) never blocks. Windows'
 * handle is a completion port, which poll() cannot watch: there the
 * loop is driven by the time-out alone, capped at 20 ms. */
static void runs_inside_another_loop(void **state) {
  skc_closer *closer = NULL;
  skc_socket_t handle, polite[2], silent[2], done_at_start[2];
  struct outcome outcomes[3];
  long long started;
  int timeout, woke_by_handle = 0;
  (void)state;
  memset(outcomes, 0, sizeof outcomes);
  assert_int_equal(skc_closer_handle(NULL, &handle), SKC_EFAULT);
  assert_true(handle == SKC_INVALID_SOCKET);
  assert_int_equal(skc_closer_timeout(NULL), SKC_EFAULT);
  assert_int_equal(skc_closer_new(&closer), 0);
  assert_int_equal(skc_closer_handle(closer, NULL), SKC_EFAULT);
  assert_int_equal(skc_closer_handle(closer, &handle), 0);
  assert_true(handle != SKC_INVALID_SOCKET);
  /* Nothing in it: no deadline, and the handle is quiet. */
  assert_int_equal(skc_closer_timeout(closer), -1);
  if (!is_windows())
    assert_false(skct_wait_readable(handle, 0));

  /* A socket whose peer has closed already: its result is known at the
   * add, so the loop must call run now. */
  SKCT_PAIR(done_at_start);
  assert_int_equal(skc_close(done_at_start[1]), 0);
  assert_true(skct_wait_readable(done_at_start[0], SKCT_DEADLINE_MS));
  assert_int_equal(skc_closer_add(closer, done_at_start[0], LONG_TIMEOUT_MS, record,
                                  &outcomes[0]),
                   0);
  assert_int_equal(skc_closer_timeout(closer), 0);
  assert_int_equal(skc_closer_run(closer, 0), 0);
  assert_int_equal(outcomes[0].calls, 1);
  assert_int_equal(outcomes[0].result, 0);

  /* A polite peer that closes later, and a silent one with a 300 ms
   * deadline. */
  SKCT_PAIR(polite);
  SKCT_PAIR(silent);
  assert_int_equal(skc_closer_add(closer, polite[0], LONG_TIMEOUT_MS, record, &outcomes[1]), 0);
  assert_int_equal(skc_closer_add(closer, silent[0], 300, record, &outcomes[2]), 0);
  timeout = skc_closer_timeout(closer);
  assert_true(timeout > 0 && timeout <= 300);
  assert_int_equal(skc_closer_run(closer, 0), 2);
  skct_expect_eof(polite[1]);
  assert_int_equal(skc_close(polite[1]), 0);

  started = skct_now_us();
  while (outcomes[1].calls == 0 || outcomes[2].calls == 0) {
    timeout = skc_closer_timeout(closer);
    assert_true(timeout >= 0);
    if (is_windows()) {
      skct_sleep_ms(timeout < 20 ? timeout : 20);
    } else if (skct_wait_readable(handle, timeout)) {
      /* Only the polite peer's FIN makes the handle readable before the
       * silent peer's deadline. */
      if (outcomes[1].calls == 0)
        woke_by_handle = 1;
    }
    assert_true(skc_closer_run(closer, 0) >= 0);
    assert_true(skct_now_us() - started < SKCT_DEADLINE_MS * 1000LL);
  }
  assert_int_equal(outcomes[1].result, 0);
  assert_int_equal(outcomes[2].result, SKC_ETIMEDOUT);
  if (handle_watches_sockets())
    assert_true(woke_by_handle);
  assert_int_equal(skc_closer_timeout(closer), -1);
  if (!is_windows())
    assert_false(skct_wait_readable(handle, 0));
  skct_expect_eof(silent[1]);
  skc_close(silent[1]);
  skc_closer_free(closer);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(stale_and_non_socket_handles_end_in_one_round),
      cmocka_unit_test(synchronous_socket_ends_at_its_deadline),
      cmocka_unit_test(add_from_another_thread_wakes_run),
      cmocka_unit_test(adds_from_two_threads_while_running),
      cmocka_unit_test(runs_inside_another_loop),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0)
    return 1;
  setvbuf(stdout, NULL, _IONBF, 0);
  rc = cmocka_run_group_tests_name("closer", tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
