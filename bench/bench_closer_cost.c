/*
 * The closer's cost per close against the number of sockets it holds, on
 * any OS (this is the one that runs under Wine): N sockets linger in one
 * closer (their peers, in this process, say nothing); then, one at a
 * time, a peer closes, skc_closer_run(closer, 0) is called until that
 * socket's callback has run, and a new connection takes its place, so N
 * stays constant. The CPU time of the skc_closer_run() calls (the
 * calling thread's, user + system) is summed over the closes; with a
 * scalable wait it does not grow with N, with poll()/WSAPoll() it does.
 *
 *   bench_closer_cost [N ...]         (default: 1000 8000; 2 x N sockets
 *                                      are open, so N <= 9000 under a
 *                                      20,000-descriptor limit)
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* CLOCK_THREAD_CPUTIME_ID */
#endif
#include "sockclose.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <sys/resource.h>
#include <time.h>
#endif

#define CLOSES 2000
#define LINGER_MS 600000

/* CPU time of the calling thread in microseconds. */
static long long thread_cpu_us(void) {
#ifdef _WIN32
  FILETIME created, exited, kernel, user;
  ULARGE_INTEGER k, u;
  GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user);
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return (long long)((k.QuadPart + u.QuadPart) / 10);
#else
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
#endif
}

static int ended_count;

static void done(void *user, skc_socket_t s, int result,
                 const skc_graceful_report *report) {
  (void)user;
  (void)s;
  (void)report;
  if (result != 0)
    fprintf(stderr, "bench_closer_cost: a close ended with %s\n", skc_err_name(result));
  ended_count++;
}

static double cost_per_close_us(int n) {
  skc_socket_t *peers = malloc((size_t)n * sizeof *peers);
  skc_closer *closer = NULL;
  long long cpu = 0;
  int i;
  if (peers == NULL || skc_closer_new(&closer) != 0)
    return -1;
  for (i = 0; i < n; i++) {
    skc_socket_t pair[2];
    if (skc_tcp_pair(pair) != 0 ||
        skc_closer_add(closer, pair[0], LINGER_MS, done, NULL) != 0) {
      fprintf(stderr, "bench_closer_cost: pair %d failed\n", i);
      return -1;
    }
    peers[i] = pair[1];
  }
  /* Every close starts at once (shutdown, a receive): let the first run
   * take those results out of the way. */
  skc_closer_run(closer, 0);
  ended_count = 0;
  for (i = 0; i < CLOSES; i++) {
    int slot = i % n, target = ended_count + 1;
    skc_socket_t pair[2];
    long long t0;
    skc_close(peers[slot]);
    t0 = thread_cpu_us();
    while (ended_count < target)
      skc_closer_run(closer, 1);
    cpu += thread_cpu_us() - t0;
    if (skc_tcp_pair(pair) != 0 ||
        skc_closer_add(closer, pair[0], LINGER_MS, done, NULL) != 0) {
      fprintf(stderr, "bench_closer_cost: new pair failed\n");
      return -1;
    }
    peers[slot] = pair[1];
  }
  for (i = 0; i < n; i++)
    skc_close(peers[i]);
  while (skc_closer_run(closer, 100) > 0) {
  }
  skc_closer_free(closer);
  free(peers);
  return (double)cpu / CLOSES;
}

int main(int argc, char **argv) {
  int defaults[] = {1000, 8000}, count = argc > 1 ? argc - 1 : 2, i;
  double first = 0;
#ifndef _WIN32
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
#endif
  if (skc_init() != 0)
    return 1;
  printf("| N lingering | closer CPU µs per close | relative to the first N |\n"
         "|---:|---:|---:|\n");
  for (i = 0; i < count; i++) {
    int n = argc > 1 ? atoi(argv[i + 1]) : defaults[i];
    double us = cost_per_close_us(n);
    if (us < 0)
      return 1;
    if (i == 0)
      first = us;
    printf("| %d | %.1f | %.2f× |\n", n, us, first > 0 ? us / first : 0);
    fflush(stdout);
  }
  skc_cleanup();
  return 0;
}
