/*
 * The closer at scale, in steady state, the way a busy server uses it: N
 * sockets lingering (their peers have not closed yet), the peers closing
 * at a fixed rate while new connections arrive at the same rate, so that
 * N stays constant. The peers live in child processes over several
 * 127.0.0.x source addresses. Three lingering closers do the same work
 * side by side in one run:
 *
 *   closer     skc_closer_add() from the accept thread, skc_closer_run()
 *              on the closer thread;
 *   loop       the event-loop form (skc_graceful_start/advance/finish)
 *              driven by the epoll + binary heap loop below;
 *   reference  the same loop making the raw calls (shutdown, recv until
 *              EAGAIN, epoll, recv of the end, close; SO_LINGER 0 and
 *              close at the deadline).
 *
 * Per N and closer: server CPU (accept thread + closer thread, user +
 * system) per 1,000 closes in the steady phase, p50/p99 latency from the
 * peer's close() to the callback, and the CPU per second while the peers
 * are quiet (idle). Linux only (epoll, fork, per-thread CPU clocks).
 *
 *   bench_closer_scale [--n 1000,5000,10000,19000] [--rate 1000]
 *                      [--seconds 3] [--idle 1] [--methods closer,loop,reference]
 *
 * Run it through bench/run-closer-scale.sh (a private network namespace
 * with a wide port range, the descriptor limit raised).
 */
#define _GNU_SOURCE
#include "sockclose.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#define MAX_IDS (1 << 18)        /* slots for peers' close times */
#define PER_PEER_PROCESS 5000    /* connections per peer process */
#define SOURCE_ADDRESSES 64      /* 127.0.0.2 .. 127.0.0.65 */
#define LINGER_MS 600000         /* deadline: never reached in the run */
#define MAX_LATENCIES 200000

enum { PHASE_CONNECT, PHASE_STEADY, PHASE_IDLE, PHASE_STOP };

struct shared {
  volatile int phase;
  volatile int rate_per_peer;
  volatile long long fin_ns[MAX_IDS];
};

static struct shared *shm;

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long thread_cpu_ns(pthread_t t) {
  clockid_t id;
  struct timespec ts;
  if (pthread_getcpuclockid(t, &id) != 0 || clock_gettime(id, &ts) != 0)
    return 0;
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

/* ---- the peers (child processes) ---- */

static struct sockaddr_in server_addr;

static int peer_connect(unsigned id) {
  struct sockaddr_in src;
  uint32_t wire = htonl(id);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("peer socket");
  memset(&src, 0, sizeof src);
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl(0x7f000002u + id % SOURCE_ADDRESSES);
  if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0)
    die("peer bind");
  if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr) != 0)
    die("peer connect");
  if (send(fd, &wire, sizeof wire, 0) != (ssize_t)sizeof wire)
    die("peer send");
  return fd;
}

/* Peer process k: `count` connections (ids k, k + stride, ...), then in the
 * steady phase close the oldest at rate_per_peer per second, each
 * replaced by a new one. */
static void peer_main(int k, int count, int stride) {
  int *fds = malloc((size_t)count * sizeof *fds);
  unsigned *ids = malloc((size_t)count * sizeof *ids);
  unsigned next_id = (unsigned)k;
  int oldest = 0, i;
  long long closed = 0, steady_start = 0;
  if (fds == NULL || ids == NULL)
    die("peer malloc");
  for (i = 0; i < count; i++) {
    ids[i] = next_id;
    fds[i] = peer_connect(next_id);
    next_id += (unsigned)stride;
  }
  for (;;) {
    int phase = shm->phase;
    if (phase == PHASE_STOP)
      break;
    if (phase != PHASE_STEADY) {
      steady_start = 0;
      usleep(2000);
      continue;
    }
    if (steady_start == 0) {
      steady_start = now_ns();
      closed = 0;
    }
    {
      long long due = (now_ns() - steady_start) / 1000 * shm->rate_per_peer / 1000000;
      for (; closed < due; closed++) {
        shm->fin_ns[ids[oldest] % MAX_IDS] = now_ns();
        close(fds[oldest]);
        ids[oldest] = next_id;
        fds[oldest] = peer_connect(next_id);
        next_id += (unsigned)stride;
        oldest = (oldest + 1) % count;
      }
    }
    usleep(1000);
  }
  _exit(0);
}

/* ---- the server: what every closer shares ---- */

struct run;
typedef void (*handoff_fn)(struct run *r, int fd, unsigned id);

struct run {
  const char *method;
  int listener;
  volatile int stop_accepting;
  handoff_fn handoff;
  pthread_t accept_thread, closer_thread;
  volatile long accepted;
  /* counted by the closer thread */
  volatile long ended;
  long steady_closes;
  long long *latencies;
  long latency_count;
  volatile int measuring;
  /* the closer */
  skc_closer *closer;
  volatile int stop_closer;
  /* the loop: a hand-off queue, epoll, a heap */
  pthread_mutex_t queue_lock;
  int *queue_fds;
  unsigned *queue_ids;
  size_t queue_count, queue_capacity;
  int wake_fd;
  int raw; /* reference: raw calls */
};

/* Every closer reports here, on its thread. */
static void ended(struct run *r, unsigned id, int result) {
  if (r->measuring && result == 0) {
    long long fin = shm->fin_ns[id % MAX_IDS];
    if (fin != 0 && r->latency_count < MAX_LATENCIES)
      r->latencies[r->latency_count++] = now_ns() - fin;
    r->steady_closes++;
  }
  __atomic_add_fetch(&r->ended, 1, __ATOMIC_RELAXED);
}

static void *accept_main(void *arg) {
  struct run *r = arg;
  while (!r->stop_accepting) {
    struct pollfd p = {r->listener, POLLIN, 0};
    uint32_t wire;
    int fd;
    if (poll(&p, 1, 50) <= 0)
      continue;
    fd = accept4(r->listener, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    if (recv(fd, &wire, sizeof wire, MSG_WAITALL) != (ssize_t)sizeof wire) {
      close(fd);
      continue;
    }
    r->handoff(r, fd, ntohl(wire));
    __atomic_add_fetch(&r->accepted, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

/* ---- closer: skc_closer ---- */

static struct run *current;

static void closer_done(void *user, skc_socket_t s, int result,
                        const skc_graceful_report *report) {
  (void)s;
  (void)report;
  ended(current, (unsigned)(uintptr_t)user, result);
}

static void closer_handoff(struct run *r, int fd, unsigned id) {
  if (skc_closer_add(r->closer, fd, LINGER_MS, closer_done, (void *)(uintptr_t)id) != 0)
    die("skc_closer_add");
}

static void *closer_main(void *arg) {
  struct run *r = arg;
  while (!r->stop_closer)
    if (skc_closer_run(r->closer, 100) == 0)
      usleep(1000); /* empty: run returns at once */
  return NULL;
}

/* ---- loop and reference: epoll + binary heap ---- */

struct conn {
  int fd;
  unsigned id;
  long long deadline_ns;
  size_t heap_index;
  int next_free;
  skc_graceful g;
};

static struct conn *conns;
static size_t conn_capacity;
static int free_conn = -1;
static int *heap;
static size_t heap_count;

static void heap_put(size_t i, int c) {
  heap[i] = c;
  conns[c].heap_index = i;
}

static void heap_up(size_t i) {
  int c = heap[i];
  while (i > 0 && conns[heap[(i - 1) / 2]].deadline_ns > conns[c].deadline_ns) {
    heap_put(i, heap[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_put(i, c);
}

static void heap_down(size_t i) {
  int c = heap[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= heap_count)
      break;
    if (child + 1 < heap_count &&
        conns[heap[child + 1]].deadline_ns < conns[heap[child]].deadline_ns)
      child++;
    if (conns[heap[child]].deadline_ns >= conns[c].deadline_ns)
      break;
    heap_put(i, heap[child]);
    i = child;
  }
  heap_put(i, c);
}

static void heap_remove(size_t i) {
  size_t last = --heap_count;
  if (i == last)
    return;
  heap_put(i, heap[last]);
  heap_up(i);
  heap_down(conns[heap[i]].heap_index);
}

static void loop_handoff(struct run *r, int fd, unsigned id) {
  uint64_t one = 1;
  pthread_mutex_lock(&r->queue_lock);
  if (r->queue_count == r->queue_capacity) {
    r->queue_capacity = r->queue_capacity ? r->queue_capacity * 2 : 1024;
    r->queue_fds = realloc(r->queue_fds, r->queue_capacity * sizeof *r->queue_fds);
    r->queue_ids = realloc(r->queue_ids, r->queue_capacity * sizeof *r->queue_ids);
    if (r->queue_fds == NULL || r->queue_ids == NULL)
      die("queue");
  }
  r->queue_fds[r->queue_count] = fd;
  r->queue_ids[r->queue_count++] = id;
  pthread_mutex_unlock(&r->queue_lock);
  if (write(r->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    die("eventfd");
}

/* The reference procedure with raw calls: 1 done in order, 0 waiting,
 * -1 failed (reset). */
static int raw_drain(int fd) {
  char buf[16384];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0)
      continue;
    if (n == 0)
      return 1;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return 0;
    if (errno == EINTR)
      continue;
    return -1;
  }
}

static void loop_end(struct run *r, int ep, int c, int state) {
  struct conn *k = &conns[c];
  int result;
  heap_remove(k->heap_index);
  epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
  if (r->raw) {
    if (state != 1) {
      struct linger lin = {1, 0};
      setsockopt(k->fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
    }
    close(k->fd);
    result = state == 1 ? 0 : -1;
  } else {
    result = skc_graceful_finish(&k->g, NULL);
  }
  k->next_free = free_conn;
  free_conn = c;
  ended(r, k->id, result);
}

/* 1/0/-1 as raw_drain, for either procedure. */
static int loop_step(struct run *r, struct conn *k) {
  int rc;
  if (r->raw)
    return raw_drain(k->fd);
  rc = skc_graceful_advance(&k->g);
  return rc == SKC_EINPROGRESS ? 0 : rc == 0 ? 1 : -1;
}

static void loop_start(struct run *r, int ep, int fd, unsigned id) {
  struct epoll_event ev;
  struct conn *k;
  int c, state;
  if (free_conn < 0) {
    size_t i, old = conn_capacity;
    conn_capacity = conn_capacity ? conn_capacity * 2 : 1024;
    conns = realloc(conns, conn_capacity * sizeof *conns);
    heap = realloc(heap, conn_capacity * sizeof *heap);
    if (conns == NULL || heap == NULL)
      die("conns");
    for (i = conn_capacity; i-- > old;) {
      conns[i].next_free = free_conn;
      free_conn = (int)i;
    }
  }
  c = free_conn;
  k = &conns[c];
  free_conn = k->next_free;
  k->fd = fd;
  k->id = id;
  k->deadline_ns = now_ns() + (long long)LINGER_MS * 1000000LL;
  heap[heap_count] = c;
  k->heap_index = heap_count++;
  heap_up(k->heap_index);
  if (r->raw) {
    shutdown(fd, SHUT_WR);
    state = raw_drain(fd);
  } else {
    int rc = skc_graceful_start(&k->g, fd, LINGER_MS);
    state = rc == SKC_EINPROGRESS ? 0 : rc == 0 ? 1 : -1;
  }
  if (state != 0) {
    loop_end(r, ep, c, state);
    return;
  }
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = (uint64_t)c;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
    die("epoll_ctl");
}

static void *loop_main(void *arg) {
  struct run *r = arg;
  struct epoll_event events[256], ev;
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    die("epoll_create1");
  ev.events = EPOLLIN;
  ev.data.u64 = UINT64_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, r->wake_fd, &ev);
  while (!r->stop_closer) {
    long long now = now_ns();
    int timeout = 100, n, i;
    while (heap_count > 0 && conns[heap[0]].deadline_ns <= now)
      loop_end(r, ep, heap[0], -1);
    if (heap_count > 0) {
      long long left = (conns[heap[0]].deadline_ns - now + 999999) / 1000000;
      if (left < timeout)
        timeout = (int)left;
    }
    n = epoll_wait(ep, events, 256, timeout);
    for (i = 0; i < n; i++) {
      if (events[i].data.u64 == UINT64_MAX) {
        uint64_t count;
        size_t q;
        if (read(r->wake_fd, &count, sizeof count) < 0) {
        }
        pthread_mutex_lock(&r->queue_lock);
        for (q = 0; q < r->queue_count; q++)
          loop_start(r, ep, r->queue_fds[q], r->queue_ids[q]);
        r->queue_count = 0;
        pthread_mutex_unlock(&r->queue_lock);
        continue;
      }
      {
        int c = (int)events[i].data.u64, state = loop_step(r, &conns[c]);
        if (state != 0)
          loop_end(r, ep, c, state);
      }
    }
  }
  close(ep);
  return NULL;
}

/* ---- one measurement ---- */

static int compare_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

static long long cpu_both(const struct run *r) {
  return thread_cpu_ns(r->accept_thread) + thread_cpu_ns(r->closer_thread);
}

struct result {
  double cpu_per_1000, p50_us, p99_us, idle_ms_per_s, closes_per_s;
};

static void measure(const char *method, int n, int rate, double seconds,
                    double idle_seconds, struct result *out) {
  static struct run run;
  int peers = (n + PER_PEER_PROCESS - 1) / PER_PEER_PROCESS, k;
  pid_t pids[64];
  long long t0, cpu0, t1, cpu1;
  socklen_t len = sizeof server_addr;
  memset(&run, 0, sizeof run);
  current = &run;
  run.method = method;
  run.raw = strcmp(method, "reference") == 0;
  run.latencies = malloc(MAX_LATENCIES * sizeof *run.latencies);
  if (run.latencies == NULL)
    die("malloc");
  pthread_mutex_init(&run.queue_lock, NULL);
  run.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  memset((void *)shm->fin_ns, 0, sizeof shm->fin_ns);
  shm->phase = PHASE_CONNECT;
  shm->rate_per_peer = rate / peers;

  run.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&server_addr, 0, sizeof server_addr);
  server_addr.sin_family = AF_INET;
  server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(run.listener, (struct sockaddr *)&server_addr, sizeof server_addr) != 0 ||
      listen(run.listener, 4096) != 0 ||
      getsockname(run.listener, (struct sockaddr *)&server_addr, &len) != 0)
    die("listen");

  if (strcmp(method, "closer") == 0) {
    if (skc_closer_new(&run.closer) != 0)
      die("skc_closer_new");
    run.handoff = closer_handoff;
    pthread_create(&run.closer_thread, NULL, closer_main, &run);
  } else {
    run.handoff = loop_handoff;
    pthread_create(&run.closer_thread, NULL, loop_main, &run);
  }
  pthread_create(&run.accept_thread, NULL, accept_main, &run);

  for (k = 0; k < peers; k++) {
    int count = n / peers + (k < n % peers);
    pids[k] = fork();
    if (pids[k] < 0)
      die("fork");
    if (pids[k] == 0) {
      close(run.listener);
      peer_main(k, count, peers);
    }
  }
  while (run.accepted < n)
    usleep(10000);
  usleep(200000);

  /* Steady: half a second to settle, then measure. */
  shm->phase = PHASE_STEADY;
  usleep(500000);
  run.measuring = 1;
  t0 = now_ns();
  cpu0 = cpu_both(&run);
  usleep((useconds_t)(seconds * 1e6));
  cpu1 = cpu_both(&run);
  t1 = now_ns();
  run.measuring = 0;
  out->closes_per_s = (double)run.steady_closes / ((double)(t1 - t0) / 1e9);
  out->cpu_per_1000 = run.steady_closes ? (double)(cpu1 - cpu0) / 1e9 / (double)run.steady_closes * 1000 : 0;
  qsort(run.latencies, (size_t)run.latency_count, sizeof *run.latencies, compare_ll);
  out->p50_us = run.latency_count ? (double)run.latencies[run.latency_count / 2] / 1e3 : 0;
  out->p99_us = run.latency_count ? (double)run.latencies[run.latency_count * 99 / 100] / 1e3 : 0;

  /* Idle: the peers stop closing; nothing should cost anything. */
  shm->phase = PHASE_IDLE;
  usleep(300000);
  t0 = now_ns();
  cpu0 = cpu_both(&run);
  usleep((useconds_t)(idle_seconds * 1e6));
  cpu1 = cpu_both(&run);
  t1 = now_ns();
  out->idle_ms_per_s = (double)(cpu1 - cpu0) / 1e6 / ((double)(t1 - t0) / 1e9);

  /* Tear down: the peers exit (their FINs end every close). */
  shm->phase = PHASE_STOP;
  for (k = 0; k < peers; k++)
    waitpid(pids[k], NULL, 0);
  {
    long long give_up = now_ns() + 30000000000LL;
    while (run.ended < run.accepted && now_ns() < give_up)
      usleep(10000);
  }
  run.stop_accepting = 1;
  pthread_join(run.accept_thread, NULL);
  run.stop_closer = 1;
  if (run.closer == NULL) {
    uint64_t one = 1;
    if (write(run.wake_fd, &one, sizeof one) < 0) {
    }
  }
  pthread_join(run.closer_thread, NULL);
  if (run.ended != run.accepted)
    fprintf(stderr, "%s N=%d: %ld of %ld ended\n", method, n, run.ended, run.accepted);
  if (run.closer != NULL)
    skc_closer_free(run.closer);
  close(run.listener);
  close(run.wake_fd);
  free(run.queue_fds);
  free(run.queue_ids);
  free(run.latencies);
}

int main(int argc, char **argv) {
  const char *ns = "1000,5000,10000,19000", *methods = "closer,loop,reference";
  int rate = 1000, i;
  double seconds = 3, idle = 1;
  struct rlimit rl;
  for (i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--n") == 0)
      ns = argv[i + 1];
    else if (strcmp(argv[i], "--rate") == 0)
      rate = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--seconds") == 0)
      seconds = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--idle") == 0)
      idle = atof(argv[i + 1]);
    else if (strcmp(argv[i], "--methods") == 0)
      methods = argv[i + 1];
    else {
      fprintf(stderr, "usage: bench_closer_scale [--n N,N,...] [--rate R] "
                      "[--seconds S] [--idle S] [--methods closer,loop,reference]\n");
      return 2;
    }
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN); /* the benchmark's own process, not the library */
  shm = mmap(NULL, sizeof *shm, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shm == MAP_FAILED)
    die("mmap");
  if (skc_init() != 0)
    return 1;
  printf("| N lingering | method | CPU s per 1,000 closes | closes/s | p50 / p99 close→callback | idle CPU ms/s |\n"
         "|---:|---|---:|---:|---|---:|\n");
  {
    char nbuf[256];
    const char *p;
    snprintf(nbuf, sizeof nbuf, "%s", ns);
    for (p = strtok(nbuf, ","); p != NULL; p = strtok(NULL, ",")) {
      int n = atoi(p);
      char mbuf[128], *save = NULL, *m;
      snprintf(mbuf, sizeof mbuf, "%s", methods);
      for (m = strtok_r(mbuf, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save)) {
        struct result r;
        measure(m, n, rate, seconds, idle, &r);
        printf("| %d | %s | %.3f | %.0f | %.0f / %.0f µs | %.1f |\n", n, m,
               r.cpu_per_1000, r.closes_per_s, r.p50_us, r.p99_us, r.idle_ms_per_s);
        fflush(stdout);
      }
    }
  }
  skc_cleanup();
  return 0;
}
