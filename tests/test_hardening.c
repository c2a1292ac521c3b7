/*
 * Regression tests for defects found by hostile input, injected faults
 * and signals: each test fails on the code before its fix (under
 * AddressSanitizer where the defect is a memory error).
 */
#include "skc_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(closer_callback_may_grow_the_closer),
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
