/*
 * The graceful close over a bad link: whenever skc_close_graceful() or the
 * closer reports 0 ("the peer closed in order"), the peer really received
 * every byte we sent and our end of stream; every deadline holds.
 *
 * Runs under sockclose-wire (tests/wire/README.md): the link loses and
 * delays packets in both directions, and the peer is the wire's own peer
 * service, a separate process that counts what it received on each
 * connection (checking every byte) and closes in order after our EOF.
 * Half the closes get a deadline long enough for the transfer, half a
 * short one, so that both outcomes (0 and SKC_ETIMEDOUT) occur and each
 * is checked.
 */
#include "skc_test.h"

#include "wire_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LONG_DEADLINE_MS 20000
#define SHORT_DEADLINE_MS 400
/* Allowed lateness of a deadline: scheduling on a loaded 2-core machine,
 * and Wine's own latency. */
#define LATE_MS_LINUX 300
#define LATE_MS_WINE 600

struct close_run {
  char name[64];
  size_t size;         /* payload bytes after the name line */
  int timeout_ms;
  int connected;
  int result;          /* the close's result */
  long long elapsed_ms; /* measured by the test around the call */
  long long report_ms;  /* the report's own elapsed_ms */
  skc_socket_t s;
};

static int late_ms(void) { return skct_is_wine() ? LATE_MS_WINE : LATE_MS_LINUX; }

static void prepare(struct close_run *runs, size_t count, const char *kind) {
  size_t i;
  for (i = 0; i < count; i++) {
    memset(&runs[i], 0, sizeof runs[i]);
    snprintf(runs[i].name, sizeof runs[i].name, "%s-%ld-%lu", kind,
             skct_self_pid(), (unsigned long)i);
    /* 1 KB to 48 KB: from one segment to a window's worth. */
    runs[i].size = 1000 + (i * 7919u) % 48000u;
    runs[i].timeout_ms = i % 2 ? SHORT_DEADLINE_MS : LONG_DEADLINE_MS;
    runs[i].s = SKC_INVALID_SOCKET;
  }
}

/* Connect and send the payload (blocking). */
static int connect_and_send(struct close_run *run) {
  char buf[4096];
  size_t sent = 0;
  run->s = skct_wire_connect(run->name);
  if (run->s == SKC_INVALID_SOCKET)
    return -1;
  while (sent < run->size) {
    size_t chunk = run->size - sent < sizeof buf ? run->size - sent : sizeof buf;
    ptrdiff_t n;
    skct_wire_pattern(buf, chunk, sent);
    n = skc_send(run->s, buf, chunk);
    if (n <= 0) {
      skc_abort(run->s);
      run->s = SKC_INVALID_SOCKET;
      return -1;
    }
    sent += (size_t)n;
  }
  run->connected = 1;
  return 0;
}

struct worker {
  struct close_run *runs;
  size_t count, first, step;
  int close_too; /* 1: skc_close_graceful each; 0: only connect and send */
};

static void worker_main(void *arg) {
  struct worker *w = arg;
  size_t i;
  for (i = w->first; i < w->count; i += w->step) {
    struct close_run *run = &w->runs[i];
    skc_graceful_report report;
    long long start;
    if (connect_and_send(run) != 0 || !w->close_too)
      continue;
    start = skct_monotonic_ms();
    run->result = skc_close_graceful_ex(run->s, run->timeout_ms, &report);
    run->elapsed_ms = skct_monotonic_ms() - start;
    run->report_ms = report.elapsed_ms;
    run->s = SKC_INVALID_SOCKET;
  }
}

static void run_workers(struct close_run *runs, size_t count, size_t threads,
                        int close_too) {
  struct worker workers[32];
  skct_thread handles[32];
  size_t t;
  assert_true(threads <= 32);
  for (t = 0; t < threads; t++) {
    workers[t].runs = runs;
    workers[t].count = count;
    workers[t].first = t;
    workers[t].step = threads;
    workers[t].close_too = close_too;
    assert_int_equal(skct_thread_start(&handles[t], worker_main, &workers[t]),
                     0);
  }
  for (t = 0; t < threads; t++)
    skct_thread_join(&handles[t]);
}

/* The assertions shared by both forms. */
static void check_runs(const struct close_run *runs, size_t count,
                       const char *what) {
  size_t i, zero = 0, timed_out = 0, other = 0, failed_connect = 0;
  long long worst_late = -1000000;
  for (i = 0; i < count; i++) {
    const struct close_run *run = &runs[i];
    skct_wire_result peer;
    long long late;
    if (!run->connected) {
      failed_connect++;
      continue;
    }
    late = run->elapsed_ms - run->timeout_ms;
    if (late > worst_late)
      worst_late = late;
    if (late > late_ms())
      fail_msg("%s %s: the close took %lld ms with a %d ms deadline", what,
               run->name, run->elapsed_ms, run->timeout_ms);
    if (run->result == 0) {
      zero++;
      if (skct_wire_result_of(run->name, &peer) != 0)
        fail_msg("%s %s: the close reported 0 but the peer never saw the "
                 "connection",
                 what, run->name);
      if (peer.pending || !peer.eof || peer.reset || !peer.intact ||
          peer.bytes != run->size)
        fail_msg("%s %s: the close reported 0 but the peer received %llu of "
                 "%lu bytes (eof %d, reset %d, intact %d, pending %d)",
                 what, run->name, peer.bytes, (unsigned long)run->size,
                 peer.eof, peer.reset, peer.intact, peer.pending);
    } else if (run->result == SKC_ETIMEDOUT) {
      timed_out++;
    } else {
      other++;
      print_message("%s %s: %s after %lld ms\n", what, run->name,
                    skc_err_name(run->result), run->elapsed_ms);
    }
  }
  print_message("%s: %lu closes: %lu reported 0 (every one checked at the "
                "peer: all bytes and EOF), %lu SKC_ETIMEDOUT, %lu other, %lu "
                "could not connect; latest close %lld ms past its deadline "
                "(allowed %d)\n",
                what, (unsigned long)count, (unsigned long)zero,
                (unsigned long)timed_out, (unsigned long)other,
                (unsigned long)failed_connect, worst_late, late_ms());
  /* The proof needs closes that reported 0 from both deadlines' share:
   * every long-deadline close should end in order. */
  assert_true(zero >= count / 2 - count / 20);
  assert_true(failed_connect <= count / 20);
}

static void set_link(const char *settings) {
  char reply[256];
  if (skct_wire_command(settings, reply, sizeof reply) != 0)
    fail_msg("wire: '%s': %s", settings, reply);
}

static void print_link_stats(const char *what) {
  char reply[512];
  if (skct_wire_command("stats", reply, sizeof reply) == 0)
    print_message("%s: wire %s\n", what, reply);
}

/* 10% loss and 50 ms delay each way; 200 closes (50 under Wine), 20 at a
 * time. */
static void test_graceful_under_loss(void **state) {
  size_t count = skct_is_wine() ? 50 : 200;
  struct close_run *runs = calloc(count, sizeof *runs);
  (void)state;
  assert_non_null(runs);
  prepare(runs, count, "graceful");
  set_link("clear");
  set_link("set loss=10 delay=50");
  run_workers(runs, count, skct_is_wine() ? 10 : 20, 1);
  print_link_stats("graceful");
  set_link("clear");
  check_runs(runs, count, "skc_close_graceful");
  free(runs);
}

struct closer_done {
  struct close_run *run;
  long long added_ms;
};

static void closer_done(void *user, skc_socket_t s, int result,
                        const skc_graceful_report *report) {
  struct closer_done *d = user;
  (void)s;
  d->run->result = result;
  d->run->elapsed_ms = skct_monotonic_ms() - d->added_ms;
  d->run->report_ms = report->elapsed_ms;
}

/* 5% loss and 50 ms delay each way; 300 connections lingered at once by
 * one closer. */
static void test_closer_under_loss(void **state) {
  size_t count = 300, i, added = 0;
  struct close_run *runs = calloc(count, sizeof *runs);
  struct closer_done *done = calloc(count, sizeof *done);
  skc_closer *closer = NULL;
  int left;
  (void)state;
  assert_non_null(runs);
  assert_non_null(done);
  prepare(runs, count, "closer");
  set_link("clear");
  set_link("set loss=5 delay=50");
  run_workers(runs, count, 20, 0);
  assert_int_equal(skc_closer_new(&closer), 0);
  for (i = 0; i < count; i++) {
    if (!runs[i].connected)
      continue;
    done[i].run = &runs[i];
    done[i].added_ms = skct_monotonic_ms();
    runs[i].result = SKC_EINPROGRESS;
    assert_int_equal(skc_closer_add(closer, runs[i].s, runs[i].timeout_ms,
                                    closer_done, &done[i]),
                     0);
    runs[i].s = SKC_INVALID_SOCKET;
    added++;
  }
  do {
    left = skc_closer_run(closer, -1);
  } while (left > 0);
  assert_int_equal(left, 0);
  skc_closer_free(closer);
  print_link_stats("closer");
  set_link("clear");
  for (i = 0; i < count; i++)
    assert_int_not_equal(runs[i].result, SKC_EINPROGRESS);
  print_message("closer: %lu connections added\n", (unsigned long)added);
  check_runs(runs, count, "closer");
  free(done);
  free(runs);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(test_graceful_under_loss),
      SKCT_LEAK_CHECKED(test_closer_under_loss),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (!skct_wire_available()) {
    fprintf(stderr, "test_wire_loss: %s\n", skct_wire_missing());
    return 1;
  }
  if (skc_init() != 0)
    return 1;
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
