/*
 * The closer: many graceful closes at once. Each socket runs the procedure
 * of graceful.c through its public event-loop form, with its own deadline.
 *
 * Cost: the sockets wait in the OS's scalable mechanism (the waiter:
 * epoll, kqueue, an I/O completion port; src/platform.h), so a wake-up
 * looks only at the sockets that are ready; the deadlines wait in a
 * binary heap, O(log n) per close and nothing per idle socket. Sockets
 * live in slots that are reused; a slot's key carries a generation, so a
 * report about a socket that has ended in the meantime is recognised and
 * dropped.
 *
 * Threads: skc_closer_add() may come from any thread. Everything else
 * runs on the thread in skc_closer_run() (or the one calling
 * skc_closer_free()). The lock is held except while waiting and while a
 * callback runs, so the entry array may move across both: index it
 * afresh after them.
 */
#include "sockclose.h"
#include "../platform.h"

#include <limits.h>
#include <stdlib.h>

/* Reports taken from the waiter per wait. */
#define SKC__CLOSER_BATCH 256

/* No next slot in the free list. */
#define SKC__CLOSER_NONE ((size_t)-1)

struct skc__closer_entry {
  skc_graceful g;
  long long due_us; /* when to advance without input: the deadline, or at
                       once when the result is known */
  skc_closer_done_fn done;
  void *user;
  unsigned long long key; /* generation << 32 | slot */
  size_t heap_index;      /* in use: where the entry is in the heap */
  size_t next_free;       /* free: the next free slot */
  int in_use;
  int watched; /* the waiter reports this socket */
};

struct skc_closer {
  struct skc__closer_entry *entries; /* slots */
  size_t *heap;                      /* slots in use, earliest due first */
  size_t count;                      /* slots in use (= heap size) */
  size_t capacity;
  size_t free_head;
  skc__plat_waiter *waiter;
  unsigned long long keys[SKC__CLOSER_BATCH];
  int running;        /* inside skc_closer_run() */
  int waiting;        /* skc_closer_run() is waiting ... */
  long long wait_until_us; /* ... until then: an add due earlier wakes it */
  int freeing;        /* inside skc_closer_free() */
  int free_requested; /* skc_closer_free() was called by a callback of run */
};

/* ---- the deadline heap ---- */

static long long skc__closer_due(const skc_closer *c, size_t heap_index) {
  return c->entries[c->heap[heap_index]].due_us;
}

static void skc__closer_heap_put(skc_closer *c, size_t heap_index, size_t slot) {
  c->heap[heap_index] = slot;
  c->entries[slot].heap_index = heap_index;
}

static void skc__closer_sift_up(skc_closer *c, size_t i) {
  size_t slot = c->heap[i];
  long long due = c->entries[slot].due_us;
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (skc__closer_due(c, parent) <= due)
      break;
    skc__closer_heap_put(c, i, c->heap[parent]);
    i = parent;
  }
  skc__closer_heap_put(c, i, slot);
}

static void skc__closer_sift_down(skc_closer *c, size_t i) {
  size_t slot = c->heap[i];
  long long due = c->entries[slot].due_us;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= c->count)
      break;
    if (child + 1 < c->count &&
        skc__closer_due(c, child + 1) < skc__closer_due(c, child))
      child++;
    if (skc__closer_due(c, child) >= due)
      break;
    skc__closer_heap_put(c, i, c->heap[child]);
    i = child;
  }
  skc__closer_heap_put(c, i, slot);
}

/* Take the entry at heap_index out of the heap (count drops by one). */
static void skc__closer_heap_remove(skc_closer *c, size_t heap_index) {
  size_t last = --c->count;
  if (heap_index == last)
    return;
  skc__closer_heap_put(c, heap_index, c->heap[last]);
  skc__closer_sift_up(c, heap_index);
  skc__closer_sift_down(c, c->entries[c->heap[heap_index]].heap_index);
}

/* ---- slots ---- */

int skc_closer_new(skc_closer **closer) {
  skc_closer *c;
  int err;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *closer = NULL;
  c = calloc(1, sizeof *c);
  if (c == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  err = skc__plat_waiter_new(&c->waiter);
  if (err != 0) {
    free(c);
    return err;
  }
  c->free_head = SKC__CLOSER_NONE;
  *closer = c;
  return 0;
}

/* Room for one more entry. Every array grows here, never during a round,
 * so that a round needs no memory. */
static int skc__closer_grow(skc_closer *c) {
  size_t capacity, i;
  struct skc__closer_entry *entries;
  size_t *heap;
  if (c->free_head != SKC__CLOSER_NONE)
    return 0;
  capacity = c->capacity < 16 ? 16 : c->capacity * 2;
  /* skc_closer_run() returns the count as an int, and a slot must fit the
   * key's 32 bits; this bound also keeps every array size below INT_MAX
   * bytes, so nothing overflows. */
  if (capacity > (size_t)INT_MAX / (sizeof *entries + sizeof *heap))
    return skc__plat_reject(SKC_ENOMEM);
  if (skc__plat_waiter_reserve(c->waiter, capacity) != 0)
    return SKC_ENOMEM;
  entries = realloc(c->entries, capacity * sizeof *entries);
  if (entries == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  c->entries = entries;
  heap = realloc(c->heap, capacity * sizeof *heap);
  if (heap == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  c->heap = heap;
  for (i = capacity; i-- > c->capacity;) {
    entries[i].in_use = 0;
    entries[i].key = (unsigned long long)i;
    entries[i].next_free = c->free_head;
    c->free_head = i;
  }
  c->capacity = capacity;
  return 0;
}

static size_t skc__closer_take_slot(skc_closer *c) {
  size_t slot = c->free_head;
  struct skc__closer_entry *e = &c->entries[slot];
  c->free_head = e->next_free;
  /* A new generation: reports about the slot's previous socket that are
   * still on their way no longer match. */
  e->key += 1ULL << 32;
  e->in_use = 1;
  return slot;
}

static void skc__closer_give_slot(skc_closer *c, size_t slot) {
  c->entries[slot].in_use = 0;
  c->entries[slot].next_free = c->free_head;
  c->free_head = slot;
}

int skc_closer_add(skc_closer *closer, skc_socket_t s, int timeout_ms,
                   skc_closer_done_fn done, void *user) {
  struct skc__closer_entry *e;
  size_t slot;
  int err;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (timeout_ms < 0)
    return skc__plat_reject(SKC_EINVAL);
  if (s == SKC_INVALID_SOCKET)
    return skc__plat_reject(SKC_EBADF);
  skc__plat_waiter_lock(closer->waiter);
  if (closer->freeing || closer->free_requested) {
    skc__plat_waiter_unlock(closer->waiter);
    return skc__plat_reject(SKC_EBUSY);
  }
  err = skc__closer_grow(closer);
  if (err != 0) {
    skc__plat_waiter_unlock(closer->waiter);
    return err;
  }
  slot = skc__closer_take_slot(closer);
  e = &closer->entries[slot];
  e->done = done;
  e->user = user;
  /* Whatever the start found (even a final result) is delivered by the
   * next round, never from inside this call. Only a close still in
   * progress is watched: a handle that is not an open socket is found out
   * by the start and left alone (never bound to the closer's port or
   * epoll set). A socket the waiter refuses (no memory, or on Windows
   * bound to another completion port) is advanced at its deadline, which
   * still tells an orderly end from a silent peer. */
  if (skc_graceful_start(&e->g, s, timeout_ms) == SKC_EINPROGRESS) {
    int native = skc__plat_get_native_error();
    e->due_us = e->g.deadline_us;
    e->watched = skc__plat_waiter_watch(closer->waiter, s, e->key) == 0;
    skc__plat_set_native_error(native);
  } else {
    e->due_us = LLONG_MIN;
    e->watched = 0;
  }
  closer->heap[closer->count] = slot;
  e->heap_index = closer->count++;
  skc__closer_sift_up(closer, e->heap_index);
  /* A run waiting on another thread computed its time-out without this
   * socket: wake it if the socket is due before that wait ends. (Input
   * on the socket wakes it anyway: the socket is watched.) Most adds have
   * a deadline later than the wait's end and cost no wake-up. */
  if (closer->waiting && e->due_us < closer->wait_until_us)
    (void)skc__plat_waiter_wake(closer->waiter);
  skc__plat_waiter_unlock(closer->waiter);
  return 0;
}

/* ---- a round ---- */

/* The close in slot has ended: close the socket, free the slot, then run
 * the callback without the lock. The report lives on this stack frame, so
 * it stays valid for the whole callback whatever the callback adds. */
static void skc__closer_end(skc_closer *c, size_t slot) {
  struct skc__closer_entry *e = &c->entries[slot];
  skc_graceful_report report;
  skc_closer_done_fn done = e->done;
  void *user = e->user;
  skc_socket_t s = e->g.socket;
  int result;
  skc__closer_heap_remove(c, e->heap_index);
  if (e->watched)
    skc__plat_waiter_forget(c->waiter, s, e->key);
  /* Without a callback nobody reads the report: skip its send-queue
   * query. */
  result = skc_graceful_finish(&e->g, done != NULL ? &report : NULL);
  skc__closer_give_slot(c, slot);
  if (done != NULL) {
    int native = skc__plat_get_native_error();
    skc__plat_waiter_unlock(c->waiter);
    skc__plat_set_native_error(native);
    done(user, s, result, &report);
    skc__plat_waiter_lock(c->waiter);
  }
}

/* A report from the waiter: read what came, and end the close if that
 * settled it. */
static void skc__closer_ready(skc_closer *c, unsigned long long key) {
  size_t slot = SKC__WAITER_SLOT(key);
  struct skc__closer_entry *e;
  if (slot >= c->capacity)
    return;
  e = &c->entries[slot];
  if (!e->in_use || e->key != key)
    return; /* ended since the report was made */
  if (skc_graceful_advance(&e->g) != SKC_EINPROGRESS) {
    skc__closer_end(c, slot);
    return;
  }
  /* Rearming fails only for a handle that was closed behind our back;
   * the deadline then ends it. */
  if (skc__plat_waiter_rearm(c->waiter, e->g.socket, key) != 0) {
    skc__plat_waiter_forget(c->waiter, e->g.socket, key);
    e->watched = 0;
  }
}

/* Advance every close that is due: known results and passed deadlines. */
static void skc__closer_expire(skc_closer *c, long long now) {
  while (c->count > 0) {
    size_t slot = c->heap[0];
    struct skc__closer_entry *e = &c->entries[slot];
    if (e->due_us > now)
      break;
    if (skc_graceful_advance(&e->g) != SKC_EINPROGRESS) {
      skc__closer_end(c, slot);
      continue;
    }
    /* Not reached with one clock (advance times out at the deadline);
     * kept so that a clock read twice can never loop here. */
    e->due_us = e->g.deadline_us > now ? e->g.deadline_us : now + 1000;
    skc__closer_sift_down(c, 0);
  }
}

/* The wait until the earliest due close, rounded up; -1 when none. */
static int skc__closer_next_timeout(const skc_closer *c, long long now) {
  long long left;
  if (c->count == 0)
    return -1;
  if (skc__closer_due(c, 0) <= now)
    return 0; /* before subtracting: a known result is due at LLONG_MIN */
  left = skc__closer_due(c, 0) - now;
  left = left / 1000 + (left % 1000 != 0);
  return left > INT_MAX ? INT_MAX : (int)left;
}

static void skc__closer_destroy(skc_closer *c) {
  size_t slot;
  c->freeing = 1;
  /* Sockets are closed in slot order; each callback may run other code,
   * so the array is indexed afresh each time (it cannot grow: adding is
   * refused from now on). */
  for (slot = 0; slot < c->capacity; slot++) {
    if (!c->entries[slot].in_use)
      continue;
    skc__closer_end(c, slot);
  }
  skc__plat_waiter_unlock(c->waiter);
  skc__plat_waiter_free(c->waiter);
  free(c->entries);
  free(c->heap);
  free(c);
}

/* A wait that failed for want of resources that may come back (poll(2),
 * epoll_wait(2): EAGAIN, ENOMEM, EINTR; kevent(2): ENOMEM; Winsock:
 * WSAENOBUFS): advance every close without the waiter's report. Each
 * advance is a receive that never blocks, so closes whose peer ended are
 * still seen, and the deadlines hold. */
static void skc__closer_advance_all(skc_closer *c) {
  size_t slot;
  for (slot = 0; slot < c->capacity && !c->free_requested; slot++) {
    struct skc__closer_entry *e = &c->entries[slot];
    if (e->in_use && skc_graceful_advance(&e->g) != SKC_EINPROGRESS)
      skc__closer_end(c, slot);
  }
}

static int skc__closer_wait_may_recover(int err) {
  return err == SKC_EAGAIN || err == SKC_ENOMEM || err == SKC_ENOBUFS ||
         err == SKC_EINTR;
}

/* The first and the longest pause after a failed wait, in milliseconds. */
#define SKC__CLOSER_BACKOFF_FIRST_MS 1
#define SKC__CLOSER_BACKOFF_MAX_MS 100

int skc_closer_run(skc_closer *closer, int wait_ms) {
  long long until = -1, now;
  int waited = 0, left, backoff = SKC__CLOSER_BACKOFF_FIRST_MS;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  skc__plat_waiter_lock(closer->waiter);
  if (closer->running || closer->freeing) {
    skc__plat_waiter_unlock(closer->waiter);
    return skc__plat_reject(SKC_EBUSY);
  }
  closer->running = 1;
  now = skc__plat_monotonic_us();
  if (wait_ms >= 0)
    until = now + (long long)wait_ms * 1000LL;
  for (;;) {
    int timeout, n, i;
    skc__closer_expire(closer, now);
    if (closer->free_requested) {
      skc__closer_destroy(closer);
      return 0;
    }
    if (closer->count == 0 || (waited && until >= 0 && now >= until))
      break;
    timeout = skc__closer_next_timeout(closer, now);
    if (until >= 0) {
      long long until_ms = until - now;
      until_ms = until_ms <= 0 ? 0 : (until_ms + 999) / 1000;
      if (timeout < 0 || until_ms < timeout)
        timeout = (int)until_ms;
    }
    closer->waiting = 1;
    closer->wait_until_us = timeout < 0 ? LLONG_MAX : now + (long long)timeout * 1000LL;
    skc__plat_waiter_unlock(closer->waiter);
    n = skc__plat_waiter_wait(closer->waiter, closer->keys, SKC__CLOSER_BATCH,
                              timeout);
    skc__plat_waiter_lock(closer->waiter);
    closer->waiting = 0;
    waited = 1;
    if (n < 0 && skc__closer_wait_may_recover(n)) {
      /* Returning would make a caller that loops spin on the error, and
       * the sockets would wait: pause (doubling, within the time given),
       * then advance them all. */
      skc__plat_waiter_unlock(closer->waiter);
      skc__plat_sleep_ms(timeout < 0 || backoff < timeout ? backoff : timeout);
      skc__plat_waiter_lock(closer->waiter);
      if (backoff < SKC__CLOSER_BACKOFF_MAX_MS)
        backoff *= 2;
      skc__closer_advance_all(closer);
      now = skc__plat_monotonic_us();
      continue;
    }
    if (n < 0) {
      closer->running = 0;
      skc__plat_waiter_unlock(closer->waiter);
      return n;
    }
    backoff = SKC__CLOSER_BACKOFF_FIRST_MS;
    for (i = 0; i < n; i++)
      skc__closer_ready(closer, closer->keys[i]);
    now = skc__plat_monotonic_us();
  }
  closer->running = 0;
  left = (int)closer->count;
  skc__plat_waiter_unlock(closer->waiter);
  return left;
}

void skc_closer_free(skc_closer *closer) {
  if (closer == NULL)
    return;
  skc__plat_waiter_lock(closer->waiter);
  if (closer->freeing) {
    skc__plat_waiter_unlock(closer->waiter);
    return;
  }
  if (closer->running) {
    /* Called by a callback of skc_closer_run(): the round still delivers
     * its other results, then frees. */
    closer->free_requested = 1;
    skc__plat_waiter_unlock(closer->waiter);
    return;
  }
  skc__closer_destroy(closer);
}

int skc_closer_handle(const skc_closer *closer, skc_socket_t *handle) {
  if (handle != NULL)
    *handle = SKC_INVALID_SOCKET;
  if (closer == NULL || handle == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *handle = skc__plat_waiter_handle(closer->waiter);
  return 0;
}

int skc_closer_timeout(skc_closer *closer) {
  int timeout;
  if (closer == NULL)
    return skc__plat_reject(SKC_EFAULT);
  skc__plat_waiter_lock(closer->waiter);
  timeout = skc__closer_next_timeout(closer, skc__plat_monotonic_us());
  skc__plat_waiter_unlock(closer->waiter);
  return timeout;
}
