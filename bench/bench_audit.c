/*
 * bench_audit: how long the connection audit takes on a machine with many
 * connections, against ss(8) in the same run, and whether they count the
 * same.
 *
 * Worker processes open N loopback connections (both ends in the worker,
 * at most --per-worker connections each, so that no process holds more
 * than 2 x per-worker descriptors), each worker listening on its own
 * address 127.0.0.(10+w) so that no address pair needs more than
 * per-worker ephemeral ports. K of the connections are left in
 * CLOSE_WAIT: their client sent its FIN (shutdown, so the client end stays
 * a held FIN_WAIT_2 socket) and the server end never closes. Then, in
 * rounds whose order rotates, it times:
 *
 *   audit           skc_audit_list(states = CLOSE_WAIT)          in process
 *   audit-owners    the same with owners (pid and name)          in process
 *   audit-procfs    the same read from /proc/net/tcp{,6}         in process
 *   tool            sockclose-audit --state close-wait -P        a process
 *   ss              ss -tan state close-wait                     a process
 *   ss-owners       ss -tanp state close-wait                    a process
 *
 * Every method must count exactly K CLOSE_WAIT connections on the workers'
 * addresses (the benchmark fails otherwise) and reports the machine-wide
 * count too. Linux only (netlink, /proc, ss).
 *
 * Usage: bench_audit [-n N] [-k K] [-r ROUNDS] [--per-worker M]
 *                    [--tool PATH] [--tsv FILE]
 */
#define _GNU_SOURCE
#include "sockclose.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define FIRST_HOST 10
#define MAX_WORKERS 64
#define MAX_ROUNDS 50

enum { M_AUDIT, M_OWNERS, M_PROCFS, M_TOOL, M_SS, M_SS_OWNERS, M_COUNT };
static const char *const method_names[M_COUNT] = {
    "audit", "audit-owners", "audit-procfs", "tool", "ss", "ss-owners"};
static const char *const method_what[M_COUNT] = {
    "skc_audit_list, netlink, state filter in the kernel",
    "skc_audit_list + owners (/proc/PID/fd scan)",
    "skc_audit_list from /proc/net/tcp{,6}",
    "sockclose-audit --state close-wait -P (a process)",
    "ss -tan state close-wait (a process)",
    "ss -tanp state close-wait (a process)"};

static int workers;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int is_ours(const skc_endpoint *local) {
  return local->family == SKC_FAMILY_IPV4 && local->address[0] == 127 &&
         local->address[1] == 0 && local->address[2] == 0 &&
         local->address[3] >= FIRST_HOST &&
         local->address[3] < FIRST_HOST + workers;
}

/* "127.0.0.12:43210" from ss or the tool: one of the workers' ends? */
static int is_ours_text(const char *local) {
  unsigned a, b, c, d;
  if (sscanf(local, "%u.%u.%u.%u:", &a, &b, &c, &d) != 4)
    return 0;
  return a == 127 && b == 0 && c == 0 && d >= FIRST_HOST &&
         d < (unsigned)(FIRST_HOST + workers);
}

/* ---- workers ---- */

static void worker(int index, long count, long close_waits, int ready,
                   int stop) {
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  struct rlimit rl;
  int listener;
  long i;
  char byte = 0;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)(FIRST_HOST + index));
  if (listener < 0 || skc_listen_reuse(listener) != 0 ||
      bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
      listen(listener, 1024) != 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
    perror("bench_audit: worker listener");
    _exit(1);
  }
  for (i = 0; i < count; i++) {
    int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int server;
    if (client < 0 ||
        connect(client, (struct sockaddr *)&addr, sizeof addr) != 0) {
      fprintf(stderr, "bench_audit: worker %d: connection %ld: %s\n", index, i,
              strerror(errno));
      _exit(1);
    }
    server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (server < 0) {
      perror("bench_audit: accept");
      _exit(1);
    }
    if (i < close_waits && shutdown(client, SHUT_WR) != 0) {
      perror("bench_audit: shutdown");
      _exit(1);
    }
  }
  if (write(ready, &byte, 1) != 1)
    _exit(1);
  /* Hold everything until the parent closes its end. */
  while (read(stop, &byte, 1) < 0 && errno == EINTR) {
  }
  _exit(0);
}

/* ---- measurements ---- */

typedef struct result {
  long ours;
  long total;
} result;

static int run_audit(int method, result *r) {
  skc_audit_options options;
  skc_connection *rows = NULL;
  size_t n = 0, i;
  int err;
  memset(&options, 0, sizeof options);
  options.states = SKC_TCP_STATE_BIT(SKC_TCP_CLOSE_WAIT);
  options.owners = method == M_OWNERS;
  if (method == M_PROCFS)
    options.source = SKC_AUDIT_SOURCE_PROCFS;
  err = skc_audit_list(&options, &rows, &n);
  if (err != 0) {
    fprintf(stderr, "bench_audit: skc_audit_list: %s\n", skc_strerror(err));
    return -1;
  }
  r->ours = 0;
  r->total = (long)n;
  for (i = 0; i < n; i++)
    if (is_ours(&rows[i].local) &&
        (method != M_OWNERS || rows[i].pid > 0))
      r->ours++;
  skc_audit_free(rows);
  return 0;
}

/* Run a program, counting its output lines that are CLOSE_WAIT rows
 * (ss with a state filter prints no state column: every row is one;
 * the tool prints the state first) and those on the workers' addresses. */
static int run_program(char *const argv[], int is_tool, int owners,
                       result *r) {
  posix_spawn_file_actions_t actions;
  int fds[2], status;
  pid_t pid;
  FILE *out;
  char line[1024];
  if (pipe(fds) != 0)
    return -1;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  if (posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    fprintf(stderr, "bench_audit: cannot run %s\n", argv[0]);
    return -1;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  out = fdopen(fds[0], "r");
  r->ours = r->total = 0;
  while (fgets(line, sizeof line, out) != NULL) {
    char a[128], b[128], c[128], d[128];
    const char *local;
    if (is_tool) {
      if (sscanf(line, "%127s %127s %127s %127s", a, b, c, d) != 4 ||
          strcmp(a, "CLOSE_WAIT") != 0)
        continue;
      local = d;
    } else {
      /* Recv-Q Send-Q Local:Port Peer:Port [Process] */
      if (sscanf(line, "%127s %127s %127s %127s", a, b, c, d) != 4 ||
          strcmp(a, "Recv-Q") == 0)
        continue;
      local = c;
    }
    r->total++;
    /* With owners, each of ours must name its process. */
    if (is_ours_text(local) && (!owners || strstr(line, "bench_audit")))
      r->ours++;
  }
  fclose(out);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int measure(int method, const char *tool, result *r) {
  char *ss_argv[] = {"ss", "-tan", "state", "close-wait", NULL};
  char *ssp_argv[] = {"ss", "-tanp", "state", "close-wait", NULL};
  char *tool_argv[] = {(char *)tool, "--state", "close-wait", "-P", NULL};
  switch (method) {
  case M_SS: return run_program(ss_argv, 0, 0, r);
  case M_SS_OWNERS: return run_program(ssp_argv, 0, 1, r);
  case M_TOOL: return run_program(tool_argv, 1, 1, r);
  default: return run_audit(method, r);
  }
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_audit [-n N] [-k K] [-r ROUNDS] "
                  "[--per-worker M] [--tool PATH] [--tsv FILE]\n");
  exit(2);
}

int main(int argc, char **argv) {
  long n = 10000, k = -1, per_worker = 8000;
  int rounds = 7, i, w, m;
  const char *tool = NULL, *tsv = NULL;
  pid_t pids[MAX_WORKERS];
  int stops[MAX_WORKERS];
  double times[M_COUNT][MAX_ROUNDS];
  result results[M_COUNT];
  long left;
  double median[M_COUNT];
  int failed = 0;
  FILE *tsv_file = NULL;

  for (i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(argv[i], "-n") == 0 && v) n = atol(v), i++;
    else if (strcmp(argv[i], "-k") == 0 && v) k = atol(v), i++;
    else if (strcmp(argv[i], "-r") == 0 && v) rounds = atoi(v), i++;
    else if (strcmp(argv[i], "--per-worker") == 0 && v) per_worker = atol(v), i++;
    else if (strcmp(argv[i], "--tool") == 0 && v) tool = v, i++;
    else if (strcmp(argv[i], "--tsv") == 0 && v) tsv = v, i++;
    else usage();
  }
  if (k < 0)
    k = n / 10;
  if (n <= 0 || k > n || rounds < 1 || rounds > MAX_ROUNDS || per_worker < 1 ||
      per_worker > 9900)
    usage();
  workers = (int)((n + per_worker - 1) / per_worker);
  if (workers > MAX_WORKERS)
    usage();
  if (skc_init() != 0)
    return 1;
  setvbuf(stdout, NULL, _IOLBF, 0);

  printf("bench_audit: %ld connections in %d worker processes, %ld left in "
         "CLOSE_WAIT; %d rounds\n", n, workers, k, rounds);
  fflush(stdout);
  left = n;
  {
    long k_left = k;
    double started = now_ms();
    for (w = 0; w < workers; w++) {
      long count = left < per_worker ? left : per_worker;
      long cw = w == workers - 1 ? k_left : k * count / n;
      int ready[2], stop[2];
      char byte;
      if (pipe(ready) != 0 || pipe(stop) != 0)
        return 1;
      pids[w] = fork();
      if (pids[w] == 0) {
        int j;
        /* Only the parent may hold the earlier workers' stop pipes, or
         * they would never see it close. */
        for (j = 0; j < w; j++)
          close(stops[j]);
        close(ready[0]);
        close(stop[1]);
        worker(w, count, cw, ready[1], stop[0]);
      }
      close(ready[1]);
      close(stop[0]);
      stops[w] = stop[1];
      if (read(ready[0], &byte, 1) != 1) {
        fprintf(stderr, "bench_audit: worker %d failed\n", w);
        return 1;
      }
      close(ready[0]);
      left -= count;
      k_left -= cw;
    }
    printf("set-up: %.0f ms\n", now_ms() - started);
  }

  /* Let every FIN be acknowledged. */
  for (i = 0; i < 100; i++) {
    result r;
    if (run_audit(M_AUDIT, &r) == 0 && r.ours == k)
      break;
    usleep(50000);
  }

  for (i = 0; i < rounds; i++) {
    for (m = 0; m < M_COUNT; m++) {
      int method = (m + i) % M_COUNT; /* rotate the order every round */
      result r;
      double t0;
      if (method == M_TOOL && tool == NULL) {
        times[method][i] = 0;
        continue;
      }
      t0 = now_ms();
      if (measure(method, tool, &r) != 0) {
        fprintf(stderr, "bench_audit: %s failed\n", method_names[method]);
        return 1;
      }
      times[method][i] = now_ms() - t0;
      if (i == 0)
        results[method] = r;
      if (r.ours != k) {
        fprintf(stderr, "bench_audit: round %d: %s counted %ld of ours, not %ld\n",
                i, method_names[method], r.ours, k);
        failed = 1;
      }
    }
  }

  if (tsv != NULL)
    tsv_file = fopen(tsv, "a");
  printf("\n%-13s %8s %9s %10s %10s  %s\n", "method", "ours", "machine",
         "median ms", "min ms", "what");
  for (m = 0; m < M_COUNT; m++) {
    double sorted[MAX_ROUNDS];
    if (m == M_TOOL && tool == NULL)
      continue;
    memcpy(sorted, times[m], sizeof(double) * (size_t)rounds);
    qsort(sorted, (size_t)rounds, sizeof(double), compare_doubles);
    median[m] = sorted[rounds / 2];
    printf("%-13s %8ld %9ld %10.2f %10.2f  %s\n", method_names[m],
           results[m].ours, results[m].total, median[m], sorted[0],
           method_what[m]);
    if (tsv_file != NULL)
      fprintf(tsv_file, "%ld\t%ld\t%s\t%ld\t%ld\t%.3f\t%.3f\n", n, k,
              method_names[m], results[m].ours, results[m].total, median[m],
              sorted[0]);
  }
  if (tsv_file != NULL)
    fclose(tsv_file);
  printf("\nratios (median): audit / ss = %.2f, audit-owners / ss-owners = "
         "%.2f",
         median[M_AUDIT] / median[M_SS], median[M_OWNERS] / median[M_SS_OWNERS]);
  if (tool != NULL)
    printf(", tool / ss-owners = %.2f", median[M_TOOL] / median[M_SS_OWNERS]);
  printf("\ncounts of ours: %s\n",
         failed ? "DISAGREE" : "every method, every round: exactly K");

  for (w = 0; w < workers; w++) {
    int status;
    close(stops[w]);
    waitpid(pids[w], &status, 0);
  }
  skc_cleanup();
  return failed;
}
