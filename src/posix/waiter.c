/*
 * POSIX: the closer's wait for many sockets at once (src/common/closer.c).
 * epoll on Linux and kqueue on macOS and the BSDs cost in proportion to
 * the sockets that are ready; poll() elsewhere walks every socket on each
 * wake-up, and is kept only for systems that have neither.
 *
 * Watches are level-triggered: the closer reads a reported socket until
 * nothing is left (EAGAIN), so a socket is reported again only when new
 * input, a FIN or an RST arrives, and skc__plat_waiter_rearm() has
 * nothing to do.
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE
#endif
#if !defined(__APPLE__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#include "../platform.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* SKC_WAITER_USE_POLL builds the poll() fallback anywhere (to test it). */
#if defined(__linux__) && !defined(SKC_WAITER_USE_POLL)
#define SKC__WAITER_EPOLL 1
#include <sys/epoll.h>
#include <sys/eventfd.h>
#elif (defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) ||  \
       defined(__OpenBSD__) || defined(__DragonFly__)) &&                      \
    !defined(SKC_WAITER_USE_POLL)
#define SKC__WAITER_KQUEUE 1
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#else
#define SKC__WAITER_POLL 1
#include <poll.h>
#endif

/* Events taken from the kernel per wait; more wait for the next one. */
#define SKC__WAITER_BATCH 256

/* The key of the wake-up descriptor: no slot has it. */
#define SKC__WAKE_KEY (~0ULL)

struct skc__plat_waiter {
  pthread_mutex_t lock;
#if SKC__WAITER_EPOLL
  int epoll_fd;
  int wake_fd; /* eventfd */
  struct epoll_event events[SKC__WAITER_BATCH];
#elif SKC__WAITER_KQUEUE
  int kqueue_fd;
#ifndef EVFILT_USER
  int wake_pipe[2];
#endif
  struct kevent events[SKC__WAITER_BATCH];
#else
  int wake_pipe[2];
  struct pollfd *fds; /* fds[0] is the wake-up pipe, fds[1 + slot] */
  unsigned long long *keys; /* keys[slot] */
  size_t slots;
  /* What poll() reads: a copy taken under the lock, since another
   * thread's add may grow fds during the wait. */
  struct pollfd *polled;
  size_t polled_capacity;
#endif
};

static int skc__waiter_fail(void) { return skc__plat_translate(errno); }

#if !SKC__WAITER_EPOLL && (SKC__WAITER_POLL || !defined(EVFILT_USER))
/* A self-pipe, both ends non-blocking and close-on-exec. */
static int skc__waiter_pipe(int ends[2]) {
  int i;
  if (pipe(ends) != 0)
    return skc__waiter_fail();
  for (i = 0; i < 2; i++) {
    if (fcntl(ends[i], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(ends[i], F_SETFL, fcntl(ends[i], F_GETFL) | O_NONBLOCK) != 0) {
      int err = skc__waiter_fail(), saved = errno;
      close(ends[0]);
      close(ends[1]);
      errno = saved;
      return err;
    }
  }
  return 0;
}

static void skc__waiter_drain_pipe(int fd) {
  char buf[64];
  while (read(fd, buf, sizeof buf) > 0) {
  }
}
#endif

int skc__plat_waiter_new(skc__plat_waiter **waiter) {
  skc__plat_waiter *w = calloc(1, sizeof *w);
  int err;
  *waiter = NULL;
  if (w == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  if (pthread_mutex_init(&w->lock, NULL) != 0) {
    free(w);
    return skc__plat_reject(SKC_ENOMEM);
  }
#if SKC__WAITER_EPOLL
  {
    struct epoll_event ev;
    w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epoll_fd < 0)
      goto failed;
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->wake_fd < 0) {
      err = skc__waiter_fail();
      close(w->epoll_fd);
      goto failed_err;
    }
    ev.events = EPOLLIN;
    ev.data.u64 = SKC__WAKE_KEY;
    if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->wake_fd, &ev) != 0) {
      err = skc__waiter_fail();
      close(w->wake_fd);
      close(w->epoll_fd);
      goto failed_err;
    }
  }
#elif SKC__WAITER_KQUEUE
  {
    struct kevent change;
    w->kqueue_fd = kqueue();
    if (w->kqueue_fd < 0)
      goto failed;
    /* kqueue descriptors are not inherited by fork() children (kqueue(2)),
     * but exec after posix_spawn would keep one without this. */
    (void)fcntl(w->kqueue_fd, F_SETFD, FD_CLOEXEC);
#ifdef EVFILT_USER
    EV_SET(&change, 0, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0,
           (void *)(uintptr_t)SKC__WAKE_KEY);
#else
    err = skc__waiter_pipe(w->wake_pipe);
    if (err != 0) {
      close(w->kqueue_fd);
      goto failed_err;
    }
    EV_SET(&change, w->wake_pipe[0], EVFILT_READ, EV_ADD, 0, 0,
           (void *)(uintptr_t)SKC__WAKE_KEY);
#endif
    if (kevent(w->kqueue_fd, &change, 1, NULL, 0, NULL) != 0) {
      err = skc__waiter_fail();
#ifndef EVFILT_USER
      close(w->wake_pipe[0]);
      close(w->wake_pipe[1]);
#endif
      close(w->kqueue_fd);
      goto failed_err;
    }
  }
#else
  err = skc__waiter_pipe(w->wake_pipe);
  if (err != 0)
    goto failed_err;
  w->fds = malloc(sizeof *w->fds);
  if (w->fds == NULL) {
    close(w->wake_pipe[0]);
    close(w->wake_pipe[1]);
    err = skc__plat_reject(SKC_ENOMEM);
    goto failed_err;
  }
  w->fds[0].fd = w->wake_pipe[0];
  w->fds[0].events = POLLIN;
#endif
  *waiter = w;
  return 0;
#if SKC__WAITER_EPOLL || SKC__WAITER_KQUEUE
failed:
  err = skc__waiter_fail();
#endif
failed_err : {
  int saved = errno;
  pthread_mutex_destroy(&w->lock);
  free(w);
  errno = saved;
  return err;
}
}

void skc__plat_waiter_free(skc__plat_waiter *waiter) {
  int saved = errno;
  if (waiter == NULL)
    return;
#if SKC__WAITER_EPOLL
  close(waiter->wake_fd);
  close(waiter->epoll_fd);
#elif SKC__WAITER_KQUEUE
#ifndef EVFILT_USER
  close(waiter->wake_pipe[0]);
  close(waiter->wake_pipe[1]);
#endif
  close(waiter->kqueue_fd);
#else
  close(waiter->wake_pipe[0]);
  close(waiter->wake_pipe[1]);
  free(waiter->fds);
  free(waiter->keys);
  free(waiter->polled);
#endif
  pthread_mutex_destroy(&waiter->lock);
  free(waiter);
  errno = saved;
}

int skc__plat_waiter_reserve(skc__plat_waiter *waiter, size_t slots) {
#if SKC__WAITER_POLL
  struct pollfd *fds;
  unsigned long long *keys;
  size_t i;
  if (slots <= waiter->slots)
    return 0;
  if (slots >= (size_t)-1 / sizeof *fds - 1)
    return skc__plat_reject(SKC_ENOMEM);
  fds = realloc(waiter->fds, (slots + 1) * sizeof *fds);
  if (fds == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  waiter->fds = fds;
  keys = realloc(waiter->keys, slots * sizeof *keys);
  if (keys == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  waiter->keys = keys;
  /* poll(2) ignores entries with a negative descriptor. */
  for (i = waiter->slots; i < slots; i++) {
    fds[1 + i].fd = -1;
    fds[1 + i].events = POLLIN;
    fds[1 + i].revents = 0;
  }
  waiter->slots = slots;
#else
  (void)waiter;
  (void)slots;
#endif
  return 0;
}

int skc__plat_waiter_watch(skc__plat_waiter *waiter, skc_socket_t s,
                           unsigned long long key) {
#if SKC__WAITER_EPOLL
  struct epoll_event ev;
  /* EPOLLRDHUP: the peer's FIN (epoll(7)); EPOLLERR and EPOLLHUP are
   * always reported. */
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = key;
  if (epoll_ctl(waiter->epoll_fd, EPOLL_CTL_ADD, s, &ev) != 0)
    return skc__waiter_fail();
#elif SKC__WAITER_KQUEUE
  struct kevent change;
  /* EVFILT_READ also returns on end of stream (EV_EOF) and errors
   * (kqueue(2)). udata holds the key; on 32-bit systems only the slot
   * survives, and a stale report then only costs a receive. */
  EV_SET(&change, s, EVFILT_READ, EV_ADD, 0, 0, (void *)(uintptr_t)key);
  if (kevent(waiter->kqueue_fd, &change, 1, NULL, 0, NULL) != 0)
    return skc__waiter_fail();
#else
  size_t slot = SKC__WAITER_SLOT(key);
  if (s < 0) {
    errno = EBADF;
    return SKC_EBADF;
  }
  waiter->fds[1 + slot].fd = s;
  waiter->fds[1 + slot].revents = 0;
  waiter->keys[slot] = key;
#endif
  return 0;
}

int skc__plat_waiter_rearm(skc__plat_waiter *waiter, skc_socket_t s,
                           unsigned long long key) {
  /* Level-triggered everywhere: still watched. */
  (void)waiter;
  (void)s;
  (void)key;
  return 0;
}

void skc__plat_waiter_forget(skc__plat_waiter *waiter, skc_socket_t s,
                             unsigned long long key) {
  int saved = errno;
#if SKC__WAITER_EPOLL
  struct epoll_event ev; /* ignored, but kernels before 2.6.9 want it */
  (void)key;
  ev.events = 0;
  ev.data.u64 = 0;
  /* Explicitly: a copy of the descriptor elsewhere would keep the open
   * file, and with it the registration, alive after our close (epoll(7),
   * "Will closing a file descriptor cause it to be removed"). */
  (void)epoll_ctl(waiter->epoll_fd, EPOLL_CTL_DEL, s, &ev);
#elif SKC__WAITER_KQUEUE
  struct kevent change;
  (void)key;
  EV_SET(&change, s, EVFILT_READ, EV_DELETE, 0, 0, NULL);
  (void)kevent(waiter->kqueue_fd, &change, 1, NULL, 0, NULL);
#else
  (void)s;
  waiter->fds[1 + SKC__WAITER_SLOT(key)].fd = -1;
#endif
  errno = saved;
}

int skc__plat_waiter_wait(skc__plat_waiter *waiter, unsigned long long *keys,
                          size_t max, int timeout_ms) {
  size_t stored = 0;
  int n, i;
  if (max > SKC__WAITER_BATCH)
    max = SKC__WAITER_BATCH;
#if SKC__WAITER_EPOLL
  n = epoll_wait(waiter->epoll_fd, waiter->events, (int)max, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : skc__waiter_fail();
  for (i = 0; i < n; i++) {
    if (waiter->events[i].data.u64 == SKC__WAKE_KEY) {
      uint64_t count;
      if (read(waiter->wake_fd, &count, sizeof count) < 0) {
        /* EAGAIN: another reader took it; nothing else can fail here. */
      }
      continue;
    }
    keys[stored++] = waiter->events[i].data.u64;
  }
#elif SKC__WAITER_KQUEUE
  struct timespec ts, *tsp = NULL;
  if (timeout_ms >= 0) {
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
    tsp = &ts;
  }
  n = kevent(waiter->kqueue_fd, NULL, 0, waiter->events, (int)max, tsp);
  if (n < 0)
    return errno == EINTR ? 0 : skc__waiter_fail();
  for (i = 0; i < n; i++) {
    unsigned long long key = (unsigned long long)(uintptr_t)waiter->events[i].udata;
    if (key == (unsigned long long)(uintptr_t)SKC__WAKE_KEY) {
#ifndef EVFILT_USER
      skc__waiter_drain_pipe(waiter->wake_pipe[0]);
#endif
      continue;
    }
    keys[stored++] = key;
  }
#else
  size_t slot, count;
  (void)i;
  pthread_mutex_lock(&waiter->lock);
  count = waiter->slots + 1;
  if (count > waiter->polled_capacity) {
    struct pollfd *grown = realloc(waiter->polled, count * sizeof *grown);
    if (grown == NULL) {
      pthread_mutex_unlock(&waiter->lock);
      return skc__plat_reject(SKC_ENOMEM);
    }
    waiter->polled = grown;
    waiter->polled_capacity = count;
  }
  memcpy(waiter->polled, waiter->fds, count * sizeof *waiter->polled);
  pthread_mutex_unlock(&waiter->lock);
  n = poll(waiter->polled, (nfds_t)count, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : skc__waiter_fail();
  if (waiter->polled[0].revents != 0)
    skc__waiter_drain_pipe(waiter->wake_pipe[0]);
  pthread_mutex_lock(&waiter->lock);
  for (slot = 0; slot + 1 < count && stored < max; slot++) {
    const struct pollfd *p = &waiter->polled[1 + slot];
    if (p->fd >= 0 && (p->revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
      keys[stored++] = waiter->keys[slot];
  }
  pthread_mutex_unlock(&waiter->lock);
#endif
  return (int)stored;
}

int skc__plat_waiter_wake(skc__plat_waiter *waiter) {
#if SKC__WAITER_EPOLL
  uint64_t one = 1;
  /* EAGAIN: the counter is full, so a wake-up is already pending. */
  if (write(waiter->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    return skc__waiter_fail();
#elif SKC__WAITER_KQUEUE && defined(EVFILT_USER)
  struct kevent change;
  EV_SET(&change, 0, EVFILT_USER, 0, NOTE_TRIGGER, 0,
         (void *)(uintptr_t)SKC__WAKE_KEY);
  if (kevent(waiter->kqueue_fd, &change, 1, NULL, 0, NULL) != 0)
    return skc__waiter_fail();
#else
  char one = 1;
  /* EAGAIN: the pipe is full, so a wake-up is already pending. */
  if (write(waiter->wake_pipe[1], &one, 1) < 0 && errno != EAGAIN)
    return skc__waiter_fail();
#endif
  return 0;
}

skc_socket_t skc__plat_waiter_handle(const skc__plat_waiter *waiter) {
#if SKC__WAITER_EPOLL
  return waiter->epoll_fd;
#elif SKC__WAITER_KQUEUE
  return waiter->kqueue_fd;
#else
  /* Readable on a wake-up only: the sockets are not behind it. */
  return waiter->wake_pipe[0];
#endif
}

void skc__plat_waiter_lock(skc__plat_waiter *waiter) {
  (void)pthread_mutex_lock(&waiter->lock);
}

void skc__plat_waiter_unlock(skc__plat_waiter *waiter) {
  (void)pthread_mutex_unlock(&waiter->lock);
}
