/*
 * sockclose-stress: many loopback connections through randomly chosen
 * endings on two threads, bounded in time. At the end no socket may be
 * left open, no connection of this process in CLOSE_WAIT, and every byte
 * sent on an orderly path must have arrived.
 *
 *   sockclose-stress [--connections N] [--threads T] [--seed S]
 *                    [--seconds LIMIT]
 *
 * Defaults: 100000 connections, 2 threads, seed from the clock (printed),
 * 600 s. Exit status 0 only when every connection ended as promised.
 */
#include "sockclose.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum ending {
  END_CLOSE,          /* client closes after sending; server reads all, EOF */
  END_SHUTDOWN_CLOSE, /* client shuts WR; server replies and closes */
  END_ABORT,          /* client aborts after sending (RST) */
  END_GRACEFUL,       /* server answers with its request unread, then
                         closes gracefully (event-loop form); the client
                         reads the whole answer, then EOF */
  END_COUNT
};

static const char *const ending_names[END_COUNT] = {
    "close", "shutdown+close", "abort", "graceful"};

#define MAX_PAYLOAD 16384

struct worker {
  int index;
  long connections;
  unsigned long seed;
  time_t deadline;
  long done;
  long by_ending[END_COUNT];
  long failures;
  char first_failure[256];
};

/* xorshift: each worker has its own reproducible sequence. */
static unsigned long next_random(unsigned long *state) {
  unsigned long x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x & 0xffffffffUL;
  return *state;
}

static void fail(struct worker *w, long i, const char *what, ptrdiff_t got) {
  if (w->failures++ == 0)
    snprintf(w->first_failure, sizeof w->first_failure,
             "thread %d connection %ld: %s (got %ld, %s)", w->index, i, what,
             (long)got, got < 0 ? skc_err_name((int)got) : "");
}

static void fill(char *buf, size_t n, long i) {
  size_t k;
  for (k = 0; k < n; k++)
    buf[k] = (char)('a' + (unsigned long)(i + (long)k) % 26);
}

/* Read until the end of the stream; returns the final result (0 or an
 * SKC_E* code) and the byte count in *total. */
static ptrdiff_t read_to_end(skc_socket_t s, char *buf, size_t cap,
                             size_t *total) {
  for (;;) {
    ptrdiff_t n;
    if (!skct_wait_readable(s, SKCT_DEADLINE_MS))
      return SKC_ETIMEDOUT;
    n = skc_recv(s, buf + *total, cap - *total);
    if (n <= 0)
      return n;
    *total += (size_t)n;
    if (*total == cap)
      return SKC_EMSGSIZE; /* more than was sent */
  }
}

static int same_bytes(const char *buf, size_t n, long i) {
  size_t k;
  for (k = 0; k < n; k++)
    if (buf[k] != (char)('a' + (unsigned long)(i + (long)k) % 26))
      return 0;
  return 1;
}

static void one_connection(struct worker *w, skc_socket_t listener,
                           unsigned short port, long i, unsigned long *rng) {
  static const size_t cap = MAX_PAYLOAD + 1;
  char out[MAX_PAYLOAD], in[MAX_PAYLOAD + 1];
  size_t size = 1 + next_random(rng) % MAX_PAYLOAD;
  enum ending ending = (enum ending)(next_random(rng) % END_COUNT);
  skc_socket_t client = skct_connect(port);
  skc_socket_t server = SKC_INVALID_SOCKET;
  size_t total = 0;
  ptrdiff_t r;

  if (client == SKC_INVALID_SOCKET) {
    fail(w, i, "connect", skc_last_error());
    return;
  }
  server = skct_accept(listener);
  if (server == SKC_INVALID_SOCKET) {
    fail(w, i, "accept", skc_last_error());
    skc_close(client);
    return;
  }
  fill(out, size, i);
  r = skc_send(client, out, size);
  if (r != (ptrdiff_t)size) {
    fail(w, i, "send", r);
    skc_abort(client);
    skc_abort(server);
    return;
  }
  w->by_ending[ending]++;
  switch (ending) {
  case END_CLOSE:
    skc_close(client);
    r = read_to_end(server, in, cap, &total);
    if (r != 0 || total != size || !same_bytes(in, total, i))
      fail(w, i, "close: server reads every byte, then EOF", r);
    skc_close(server);
    break;
  case END_SHUTDOWN_CLOSE:
    skc_shutdown(client, SKC_SHUT_WR);
    r = read_to_end(server, in, cap, &total);
    if (r != 0 || total != size || !same_bytes(in, total, i))
      fail(w, i, "shutdown: server reads every byte, then EOF", r);
    if ((r = skc_send(server, "done", 4)) != 4)
      fail(w, i, "shutdown: server replies", r);
    skc_close(server);
    total = 0;
    r = read_to_end(client, in, cap, &total);
    if (r != 0 || total != 4 || memcmp(in, "done", 4) != 0)
      fail(w, i, "shutdown: client reads the reply, then EOF", r);
    skc_close(client);
    break;
  case END_ABORT:
    skc_abort(client);
    r = read_to_end(server, in, cap, &total);
    /* Not an orderly path: the bytes may be lost (Windows discards the
     * receive queue on a reset); the stream must end with the reset.
     * Wine 8 reports a reset seen late as an orderly 0 (a measured
     * deviation, see README). */
    if (r != (skct_is_wine() ? 0 : SKC_ECONNRESET))
      fail(w, i, "abort: the server's stream ends with a reset", r);
    skc_close(server);
    break;
  case END_GRACEFUL: {
    skc_graceful g;
    int result;
    /* The server answers without reading the request and closes
     * gracefully; with a plain close its unread input would make the
     * kernel send an RST and the client could lose the answer. */
    if ((r = skc_send(server, out, size)) != (ptrdiff_t)size)
      fail(w, i, "graceful: server answers", r);
    result = skc_graceful_start(&g, server, 2 * SKCT_DEADLINE_MS);
    r = read_to_end(client, in, cap, &total);
    if (r != 0 || total != size || !same_bytes(in, total, i))
      fail(w, i, "graceful: client reads the whole answer, then EOF", r);
    skc_close(client);
    while (result == SKC_EINPROGRESS) {
      skct_wait_readable(server, skc_graceful_timeout(&g));
      result = skc_graceful_advance(&g);
    }
    result = skc_graceful_finish(&g, NULL);
    if (result != 0)
      fail(w, i, "graceful: the close completes in order", result);
    break;
  }
  case END_COUNT:
    break;
  }
  (void)cap;
}

static void worker_main(void *arg) {
  struct worker *w = arg;
  unsigned short port = 0;
  skc_socket_t listener = skct_listen(&port);
  unsigned long rng = w->seed;
  long i;
  if (listener == SKC_INVALID_SOCKET) {
    fail(w, -1, "listen", skc_last_error());
    return;
  }
  for (i = 0; i < w->connections; i++) {
    if ((i & 255) == 0 && time(NULL) > w->deadline) {
      fail(w, i, "time limit reached", 0);
      break;
    }
    one_connection(w, listener, port, i, &rng);
    w->done++;
  }
  skc_close(listener);
}

int main(int argc, char **argv) {
  long connections = 100000;
  int threads = 2;
  unsigned long seed = (unsigned long)time(NULL);
  long seconds = 600;
  struct worker workers[16];
  skct_thread handles[16];
  skc_leak_snapshot *snapshot = NULL;
  skc_leak_report report;
  long failures = 0, done = 0, by_ending[END_COUNT] = {0};
  int t, e, leaks, rc = skct_main(argc, argv);
  time_t started;

  if (rc >= 0)
    return rc;
  for (t = 1; t < argc; t++) {
    if (strcmp(argv[t], "--connections") == 0 && t + 1 < argc)
      connections = atol(argv[++t]);
    else if (strcmp(argv[t], "--threads") == 0 && t + 1 < argc)
      threads = atoi(argv[++t]);
    else if (strcmp(argv[t], "--seed") == 0 && t + 1 < argc)
      seed = strtoul(argv[++t], NULL, 10);
    else if (strcmp(argv[t], "--seconds") == 0 && t + 1 < argc)
      seconds = atol(argv[++t]);
    else {
      fprintf(stderr,
              "usage: sockclose-stress [--connections N] [--threads T] "
              "[--seed S] [--seconds LIMIT]\n");
      return 2;
    }
  }
  if (threads < 1 || threads > 16 || connections < threads || seed == 0) {
    fprintf(stderr, "sockclose-stress: bad arguments\n");
    return 2;
  }
  if (skc_init() != 0 || skc_leak_snapshot_take(&snapshot) != 0) {
    fprintf(stderr, "sockclose-stress: start-up failed\n");
    return 1;
  }
  printf("sockclose-stress: %ld connections, %d threads, seed %lu, limit %ld s\n",
         connections, threads, seed, seconds);
  started = time(NULL);
  for (t = 0; t < threads; t++) {
    memset(&workers[t], 0, sizeof workers[t]);
    workers[t].index = t;
    workers[t].connections = connections / threads;
    workers[t].seed = seed * 2654435761UL + (unsigned long)t + 1;
    workers[t].deadline = started + seconds;
    if (skct_thread_start(&handles[t], worker_main, &workers[t]) != 0) {
      fprintf(stderr, "sockclose-stress: thread start failed\n");
      return 1;
    }
  }
  for (t = 0; t < threads; t++) {
    skct_thread_join(&handles[t]);
    failures += workers[t].failures;
    done += workers[t].done;
    for (e = 0; e < END_COUNT; e++)
      by_ending[e] += workers[t].by_ending[e];
    if (workers[t].failures)
      printf("  %s\n", workers[t].first_failure);
  }
  memset(&report, 0, sizeof report);
  leaks = skc_leak_check(snapshot, &report);
  skc_leak_snapshot_free(snapshot);
  printf("  %ld connections in %ld s:", done, (long)(time(NULL) - started));
  for (e = 0; e < END_COUNT; e++)
    printf(" %s %ld;", ending_names[e], by_ending[e]);
  printf("\n  left behind: %ld open sockets, %ld in CLOSE_WAIT%s%s\n",
         (long)report.open_sockets, (long)report.close_wait,
         report.text[0] ? ": " : "", report.text);
  printf("%ld passed, %ld failed\n", done - failures, failures);
  skc_cleanup();
  return failures == 0 && leaks == 0 && done == connections / threads * threads
             ? 0
             : 1;
}
