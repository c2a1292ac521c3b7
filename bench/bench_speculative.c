/*
 * Is the graceful close's speculative receive worth it? skc_graceful_start()
 * receives once right after its shutdown, before anything waits. For a
 * peer that has closed already (its FIN is queued) that receive ends the
 * close at once; for a peer that closes later it returns EAGAIN and is
 * wasted. Without it, every close would be watched and woken once.
 *
 * Measured here, per close, for both peer behaviours, the way the closer
 * runs (epoll, Linux): the CPU time and the system calls of the close with
 * the speculative receive (what sockclose does) and without it (watch
 * first, then receive when epoll reports the socket). The sockets are
 * prepared outside the timed part.
 *
 *   bench_speculative [closes]        (default 20000)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000

/* CPU time of this thread (user + system): the machine may be loaded,
 * and waiting for the CPU is not the close's cost. */
static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int listener_fd;
static struct sockaddr_in listen_addr;

static void pair(int *ours, int *peer) {
  *peer = socket(AF_INET, SOCK_STREAM, 0);
  if (*peer < 0 || connect(*peer, (struct sockaddr *)&listen_addr, sizeof listen_addr) != 0) {
    perror("connect");
    exit(1);
  }
  *ours = accept(listener_fd, NULL, NULL);
  if (*ours < 0) {
    perror("accept");
    exit(1);
  }
}

/* One close of ours, peer FIN already queued (closed_first) or not. The
 * peer that closes later closes after our shutdown and first look. */
static long calls;

static void close_with_speculation(int ep, int s, int peer, int closed_first) {
  char buf[512];
  struct epoll_event ev;
  shutdown(s, SHUT_WR), calls++;
  if (recv(s, buf, sizeof buf, MSG_DONTWAIT) == 0) {
    calls++;
    close(s), calls++;
    return;
  }
  calls++;
  (void)closed_first;
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = s;
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), calls++;
  close(peer);
  epoll_wait(ep, &ev, 1, -1), calls++;
  recv(s, buf, sizeof buf, MSG_DONTWAIT), calls++;
  epoll_ctl(ep, EPOLL_CTL_DEL, s, &ev), calls++;
  close(s), calls++;
}

static void close_without_speculation(int ep, int s, int peer, int closed_first) {
  char buf[512];
  struct epoll_event ev;
  shutdown(s, SHUT_WR), calls++;
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.fd = s;
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev), calls++;
  if (!closed_first)
    close(peer);
  epoll_wait(ep, &ev, 1, -1), calls++;
  recv(s, buf, sizeof buf, MSG_DONTWAIT), calls++;
  epoll_ctl(ep, EPOLL_CTL_DEL, s, &ev), calls++;
  close(s), calls++;
}

typedef void (*method)(int ep, int s, int peer, int closed_first);

/* Per close: microseconds and system calls (the peer's close not
 * counted: both methods make it). */
static void measure(const char *name, method m, int closed_first, int closes) {
  static int ours[BATCH], peers[BATCH];
  double total = 0;
  int done = 0, i, ep = epoll_create1(0);
  calls = 0;
  while (done < closes) {
    double t0;
    for (i = 0; i < BATCH; i++) {
      pair(&ours[i], &peers[i]);
      if (closed_first)
        close(peers[i]);
    }
    if (closed_first)
      usleep(2000); /* every FIN is queued */
    t0 = now_s();
    for (i = 0; i < BATCH; i++)
      m(ep, ours[i], peers[i], closed_first);
    total += now_s() - t0;
    done += BATCH;
  }
  close(ep);
  printf("| %s | %s | %.2f | %.1f |\n", closed_first ? "closed first" : "closes later",
         name, total / done * 1e6, (double)calls / done);
}

int main(int argc, char **argv) {
  int closes = argc > 1 ? atoi(argv[1]) : 20000, round;
  socklen_t len = sizeof listen_addr;
  listener_fd = socket(AF_INET, SOCK_STREAM, 0);
  listen_addr.sin_family = AF_INET;
  listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  listen_addr.sin_port = 0;
  if (bind(listener_fd, (struct sockaddr *)&listen_addr, sizeof listen_addr) != 0 ||
      listen(listener_fd, BATCH * 2) != 0 ||
      getsockname(listener_fd, (struct sockaddr *)&listen_addr, &len) != 0) {
    perror("listen");
    return 1;
  }
  printf("| peer | first look | CPU us per close | system calls per close |\n"
         "|---|---|---:|---:|\n");
  /* Three rounds, alternating, so that load on the machine hits both. */
  for (round = 0; round < 3; round++) {
    measure("speculative receive", close_with_speculation, 1, closes);
    measure("wait first", close_without_speculation, 1, closes);
    measure("speculative receive", close_with_speculation, 0, closes);
    measure("wait first", close_without_speculation, 0, closes);
  }
  close(listener_fd);
  return 0;
}
