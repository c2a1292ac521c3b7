/*
 * sockclose-trace's overhead, side by side in one run: the same worker
 * process runs without the tracer and under it (sockclose-trace), rounds
 * alternating, and reports
 *   - accepts per second: a client thread connects and aborts (linger 0,
 *     so no TIME_WAIT piles up), the main thread accepts and closes; every
 *     socket(), accept() and close() of both sides goes through the
 *     tracer; also the process's CPU time per connection;
 *   - memory per tracked socket: the resident size after holding H
 *     connections open (2H tracked sockets), minus the same without the
 *     tracer, minus the same difference at H = 0, divided by 2H (each a
 *     median of ROUNDS runs).
 *
 * Usage: bench_trace [-r ROUNDS] [-n CONNECTIONS] [-H HOLD] LAUNCHER
 *        (the worker: bench_trace --worker churn N | hold N)
 * Linux only.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "bench_trace: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
         (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int listener(struct sockaddr_in *addr) {
  socklen_t len = sizeof *addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    die("socket");
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, 4096) != 0 ||
      getsockname(fd, (struct sockaddr *)addr, &len) != 0)
    die("listen");
  return fd;
}

static int dial(const struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    die("client socket");
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0)
    die("connect");
  return fd;
}

struct churn {
  struct sockaddr_in addr;
  long count;
};

static void *churn_client(void *arg) {
  const struct churn *c = arg;
  struct linger abort_close = {1, 0};
  for (long i = 0; i < c->count; i++) {
    int fd = dial(&c->addr);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    close(fd);
  }
  return NULL;
}

static int worker_churn(long count) {
  struct churn c;
  pthread_t client;
  int l = listener(&c.addr);
  double t0, c0;
  c.count = count;
  t0 = now_s();
  c0 = cpu_s();
  if (pthread_create(&client, NULL, churn_client, &c) != 0)
    die("pthread_create");
  for (long i = 0; i < count; i++) {
    int fd = accept(l, NULL, NULL);
    if (fd < 0)
      die("accept");
    close(fd);
  }
  pthread_join(client, NULL);
  printf("%.1f %.3f\n", (double)count / (now_s() - t0), (cpu_s() - c0) * 1e6 / (double)count);
  return 0;
}

static long rss_kib(void) {
  char line[256];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");
  if (f == NULL)
    return -1;
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
      break;
  fclose(f);
  return kib;
}

static int worker_hold(long count) {
  struct sockaddr_in addr;
  int l = listener(&addr);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (long i = 0; i < count; i++) {
    (void)dial(&addr);
    if (accept(l, NULL, NULL) < 0)
      die("accept");
  }
  printf("%ld\n", rss_kib());
  return 0;
}

/* Runs this program as a worker, under the launcher when given; returns
 * its one line of output. */
static void run_worker(const char *self, const char *launcher, const char *mode, long n,
                       char *out, size_t size) {
  int pipefd[2], status;
  char count[32];
  pid_t pid;
  ssize_t got;
  size_t used = 0;
  snprintf(count, sizeof count, "%ld", n);
  if (pipe(pipefd) != 0)
    die("pipe");
  pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    dup2(pipefd[1], 1);
    close(pipefd[0]);
    close(pipefd[1]);
    if (launcher != NULL)
      execl(launcher, launcher, "--output", "/dev/null", "--", self, "--worker", mode, count,
            (char *)NULL);
    else
      execl(self, self, "--worker", mode, count, (char *)NULL);
    _exit(127);
  }
  close(pipefd[1]);
  while (used + 1 < size && (got = read(pipefd[0], out + used, size - used - 1)) > 0)
    used += (size_t)got;
  out[used] = '\0';
  close(pipefd[0]);
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "bench_trace: worker %s %ld failed\n", mode, n);
    exit(1);
  }
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, by_value);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv) {
  int rounds = 7;
  long connections = 20000, hold = 8000;
  const char *launcher = NULL;
  char self[4096], out[256];
  ssize_t len;
  double rate[2][64], cpu[2][64];

  if (argc == 4 && strcmp(argv[1], "--worker") == 0) {
    long n = atol(argv[3]);
    return strcmp(argv[2], "churn") == 0 ? worker_churn(n) : worker_hold(n);
  }
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
      rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
      connections = atol(argv[++i]);
    else if (strcmp(argv[i], "-H") == 0 && i + 1 < argc)
      hold = atol(argv[++i]);
    else
      launcher = argv[i];
  }
  if (launcher == NULL || rounds < 1 || rounds > 64 || connections < 1 || hold < 1) {
    fprintf(stderr, "usage: bench_trace [-r ROUNDS<=64] [-n CONNECTIONS] [-H HOLD] LAUNCHER\n");
    return 2;
  }
  len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0)
    die("readlink");
  self[len] = '\0';

  for (int r = 0; r < rounds; r++) {
    for (int k = 0; k < 2; k++) {
      int traced = (r + k) % 2; /* alternate which goes first */
      run_worker(self, traced ? launcher : NULL, "churn", connections, out, sizeof out);
      if (sscanf(out, "%lf %lf", &rate[traced][r], &cpu[traced][r]) != 2) {
        fprintf(stderr, "bench_trace: bad worker output '%s'\n", out);
        return 1;
      }
    }
  }
  {
    double plain = median(rate[0], rounds), traced = median(rate[1], rounds);
    double plain_cpu = median(cpu[0], rounds), traced_cpu = median(cpu[1], rounds);
    double rss[2][2], samples[64];
    printf("accept churn: %ld connections per round, %d rounds, medians\n", connections, rounds);
    printf("  without tracer: %.0f accepts/s, %.2f us CPU per connection\n", plain, plain_cpu);
    printf("  sockclose-trace: %.0f accepts/s, %.2f us CPU per connection\n", traced, traced_cpu);
    printf("  ratio traced/plain: %.3f (throughput), %.3f (CPU per connection)\n",
           traced / plain, traced_cpu / plain_cpu);
    /* resident sizes vary by a few pages from run to run: medians */
    for (int traced_run = 0; traced_run < 2; traced_run++) {
      for (int h = 0; h < 2; h++) {
        for (int r = 0; r < rounds; r++) {
          run_worker(self, traced_run ? launcher : NULL, "hold", h ? hold : 0, out, sizeof out);
          samples[r] = (double)atol(out);
        }
        rss[traced_run][h] = median(samples, rounds);
      }
    }
    printf("memory: %ld connections held (%ld tracked sockets), medians of %d runs\n", hold,
           2 * hold + 1, rounds);
    printf("  resident KiB, without tracer: %.0f (0 held), %.0f (%ld held)\n", rss[0][0],
           rss[0][1], hold);
    printf("  resident KiB, sockclose-trace: %.0f (0 held), %.0f (%ld held)\n", rss[1][0],
           rss[1][1], hold);
    printf("  bytes per tracked socket: %.1f\n",
           ((rss[1][1] - rss[1][0]) - (rss[0][1] - rss[0][0])) * 1024.0 / (double)(2 * hold));
  }
  return 0;
}
