/*
 * The closer: many graceful closes at once, in one thread, waiting for all
 * of them in one poll set. Each socket runs the procedure of graceful.c
 * through its public event-loop form, with its own deadline.
 */
#include "sockclose.h"
#include "../platform.h"

#include <limits.h>
#include <stdlib.h>

struct skc__closer_entry {
  skc_graceful g;
  long long due_us; /* when to advance without input: the deadline, or at
                       once when the result is known */
  skc_closer_done_fn done;
  void *user;
};

/* A close that ended in the current round, waiting for its callback. */
struct skc__closer_ended {
  skc_closer_done_fn done;
  void *user;
  skc_socket_t s;
  int result;
  skc_graceful_report report;
};

struct skc_closer {
  struct skc__closer_entry *entries; /* entry i is polled at index i */
  struct skc__closer_ended *ended;   /* as many slots as entries */
  size_t count;
  size_t capacity;
  skc__plat_pollset *set;
  int running;        /* inside skc_closer_run() */
  int freeing;        /* inside skc_closer_free() */
  int free_requested; /* skc_closer_free() was called by a callback of run */
};

int skc_closer_new(skc_closer **closer) {
  skc_closer *c;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *closer = NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  c->set = skc__plat_pollset_new();
  if (c->set == NULL) {
    free(c);
    return skc__plat_reject(SKC_ENOMEM);
  }
  *closer = c;
  return 0;
}

/* Room for one more entry. Every array grows here, never during a round,
 * so that a round needs no memory. */
static int skc__closer_grow(skc_closer *c) {
  size_t capacity;
  struct skc__closer_entry *entries;
  struct skc__closer_ended *ended;
  if (c->count < c->capacity)
    return 0;
  capacity = c->capacity < 16 ? 16 : c->capacity * 2;
  /* skc_closer_run() returns the count as an int; this bound also keeps
   * every array size below INT_MAX bytes, so nothing overflows. */
  if (capacity > (size_t)INT_MAX / (sizeof(struct skc__closer_entry) +
                                    sizeof(struct skc__closer_ended)))
    return skc__plat_reject(SKC_ENOMEM);
  if (skc__plat_pollset_reserve(c->set, capacity) != 0)
    return SKC_ENOMEM;
  entries = realloc(c->entries, capacity * sizeof *entries);
  if (entries == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  c->entries = entries;
  ended = realloc(c->ended, capacity * sizeof *ended);
  if (ended == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  c->ended = ended;
  c->capacity = capacity;
  return 0;
}

int skc_closer_add(skc_closer *closer, skc_socket_t s, int timeout_ms,
                   skc_closer_done_fn done, void *user) {
  struct skc__closer_entry *e;
  int err;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (timeout_ms < 0)
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  if (closer->freeing || closer->free_requested)
    return skc__plat_reject(SKC_EBUSY);
  err = skc__closer_grow(closer);
  if (err != 0)
    return err;
  e = &closer->entries[closer->count];
  e->done = done;
  e->user = user;
  /* Whatever the start found (even a final result) is delivered by the
   * next round, never from inside this call. */
  e->due_us = skc_graceful_start(&e->g, s, timeout_ms) == SKC_EINPROGRESS
                  ? e->g.deadline_us
                  : LLONG_MIN;
  skc__plat_pollset_set(closer->set, closer->count, s);
  closer->count++;
  return 0;
}

/* The wait until the earliest deadline, rounded up; 0 when some result
 * is already known. One clock reading for all entries. */
static int skc__closer_next_timeout(const skc_closer *c) {
  long long earliest = LLONG_MAX, now, left;
  size_t i;
  for (i = 0; i < c->count; i++)
    if (c->entries[i].due_us < earliest)
      earliest = c->entries[i].due_us;
  now = skc__plat_monotonic_us();
  if (earliest <= now)
    return 0;
  left = earliest - now;
  left = left / 1000 + (left % 1000 != 0);
  return left > INT_MAX ? INT_MAX : (int)left;
}

/* Advance the first polled entries that are ready or due (all of them
 * when every_one is set), close those that ended, keep the others in
 * order, then run the callbacks. */
static void skc__closer_round(skc_closer *c, size_t polled, int every_one) {
  size_t i, kept = 0, ended = 0;
  long long now = skc__plat_monotonic_us();
  for (i = 0; i < polled; i++) {
    struct skc__closer_entry *e = &c->entries[i];
    int r = SKC_EINPROGRESS;
    if (every_one || skc__plat_pollset_ready(c->set, i) || now >= e->due_us)
      r = skc_graceful_advance(&e->g);
    if (r == SKC_EINPROGRESS) {
      if (kept != i) {
        c->entries[kept] = *e;
        skc__plat_pollset_set(c->set, kept, e->g.socket);
      }
      kept++;
      continue;
    }
    c->ended[ended].done = e->done;
    c->ended[ended].user = e->user;
    c->ended[ended].s = e->g.socket;
    c->ended[ended].result = skc_graceful_finish(&e->g, &c->ended[ended].report);
    ended++;
  }
  c->count = kept;
  /* A callback may add sockets (appended after the kept ones, which may
   * move the arrays: index them afresh each time) or ask for the closer
   * to be freed (done after this round). Each callback gets a copy of its
   * slot, so the report it reads stays valid while an add reallocates. */
  for (i = 0; i < ended; i++) {
    struct skc__closer_ended d = c->ended[i];
    if (d.done != NULL)
      d.done(d.user, d.s, d.result, &d.report);
  }
}

static void skc__closer_destroy(skc_closer *c) {
  c->freeing = 1;
  while (c->count > 0) {
    struct skc__closer_entry e = c->entries[--c->count];
    skc_graceful_report report;
    int result = skc_graceful_finish(&e.g, &report);
    if (e.done != NULL)
      e.done(e.user, e.g.socket, result, &report);
  }
  skc__plat_pollset_free(c->set);
  free(c->entries);
  free(c->ended);
  free(c);
}

/* The first and the longest pause after a failed wait, in milliseconds. */
#define SKC__CLOSER_BACKOFF_FIRST_MS 1
#define SKC__CLOSER_BACKOFF_MAX_MS 100

int skc_closer_run(skc_closer *closer, int wait_ms) {
  long long until = -1;
  int backoff = SKC__CLOSER_BACKOFF_FIRST_MS;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (closer->running || closer->freeing)
    return skc__plat_reject(SKC_EBUSY);
  closer->running = 1;
  if (wait_ms >= 0)
    until = skc__plat_monotonic_us() + (long long)wait_ms * 1000LL;
  while (closer->count > 0) {
    size_t polled = closer->count;
    int timeout = skc__closer_next_timeout(closer);
    int rc;
    if (until >= 0) {
      long long left = until - skc__plat_monotonic_us();
      left = left <= 0 ? 0 : (left + 999) / 1000;
      if (left < timeout)
        timeout = (int)left;
    }
    rc = skc__plat_pollset_wait(closer->set, polled, timeout);
    if (rc == SKC_EAGAIN || rc == SKC_ENOMEM || rc == SKC_ENOBUFS) {
      /* The wait failed for want of resources that may come back (poll(2)
       * EAGAIN, ENOMEM; WSAPoll WSAENOBUFS): returning would make a caller
       * that loops spin on the error. Pause (doubling, within the time
       * given) and advance every entry without the poll's answer: each
       * advance is a receive that never blocks, and the deadlines hold. */
      skc__plat_sleep_ms(backoff < timeout ? backoff : timeout);
      if (backoff < SKC__CLOSER_BACKOFF_MAX_MS)
        backoff *= 2;
    } else if (rc < 0) {
      closer->running = 0;
      return rc;
    } else {
      backoff = SKC__CLOSER_BACKOFF_FIRST_MS;
    }
    skc__closer_round(closer, polled, rc < 0);
    if (closer->free_requested) {
      skc__closer_destroy(closer);
      return 0;
    }
    if (until >= 0 && skc__plat_monotonic_us() >= until)
      break;
  }
  closer->running = 0;
  return (int)closer->count;
}

void skc_closer_free(skc_closer *closer) {
  if (closer == NULL || closer->freeing)
    return;
  if (closer->running) {
    /* Called by a callback of skc_closer_run(): the round still delivers
     * its other results, then frees. */
    closer->free_requested = 1;
    return;
  }
  skc__closer_destroy(closer);
}
