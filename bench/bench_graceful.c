/*
 * Ending 10,000 connections: graceful close against plain close and
 * kernel SO_LINGER, side by side in one run.
 *
 * A server accepts N connections from a client process, reads each
 * request, sends a response, and then, timed, ends all N connections with
 * one method:
 *   close       skc_close() on each (close(2))
 *   SO_LINGER   SO_LINGER {on, 5 s}, then close(2) on each
 *   graceful    skc_close_graceful() on each, one after the other
 *   closer      skc_closer: all N lingered at once in one poll set
 *   libuv       skc_graceful_* driven by a libuv loop (uv_poll, uv_timer)
 * It reports the wall time of that phase, the CPU time of the closing
 * thread (getrusage RUSAGE_THREAD: a method that waited by spinning would
 * show CPU close to its wall time), and when the last client saw the end
 * of its response. The client (a libuv program in a child process, since
 * 20,000 descriptors do not fit in one process here) reads each response
 * to its end and closes, and counts the responses it received in full
 * and the resets it saw.
 *
 * Three workloads: the server reads each request in full; or only its
 * first bytes (a server that answers before reading everything), where a
 * plain close or SO_LINGER makes the kernel send an RST (RFC 2525 section
 * 2.17): the client sees a reset, and loses whatever had not reached it
 * yet; or the requests are read in full but every client closes 500 ms
 * (or 2000 ms) after its response ended, so that a graceful close has to
 * wait: the CPU it uses is then the same for both waits, the wait itself
 * costs none.
 *
 * The methods run in rounds, their order rotating from round to round;
 * the summary reports medians. Then the deadline: skc_close_graceful()
 * against a peer that never closes, how late it returns.
 *
 * POSIX only (fork, getrusage); needs libuv for the client.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* RUSAGE_THREAD */
#endif
#if !defined(__linux__) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* with _POSIX_C_SOURCE, macOS hides INADDR_LOOPBACK and the BSD names */
#endif

#include <sockclose.h>

#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_REQUEST 1000
#define BENCH_REQUEST_READ_PARTLY 100
#define BENCH_LINGER_SECONDS 5
#define BENCH_TIMEOUT_MS 5000
#define BENCH_MAX_ROUNDS 15
#define BENCH_CLIENT_IN_FLIGHT 256

enum {
  METHOD_CLOSE,
  METHOD_LINGER,
  METHOD_GRACEFUL,
  METHOD_CLOSER,
  METHOD_LIBUV,
  METHOD_COUNT
};
static const char *const method_names[METHOD_COUNT] = {
    "close", "SO_LINGER 5 s", "graceful, one at a time",
    "graceful, closer (all at once)", "graceful, libuv loop (all at once)"};

enum {
  WORKLOAD_READ,
  WORKLOAD_UNREAD,
  WORKLOAD_SLOW,
  WORKLOAD_SLOWER,
  WORKLOAD_COUNT
};
static const char *const workload_names[WORKLOAD_COUNT] = {
    "the server reads each request in full",
    "the server reads only the first 100 bytes of each 1000-byte request",
    "requests read in full; each client closes 500 ms after its response "
    "ended",
    "requests read in full; each client closes 2000 ms after its response "
    "ended"};
/* How long the clients of each workload wait before closing. */
static const int workload_client_delay_ms[WORKLOAD_COUNT] = {0, 0, 500, 2000};
/* Where clients wait before closing, one graceful close at a time would
 * take connections x that long; and each SO_LINGER close blocks until our
 * FIN is acknowledged, which a client that does not answer at once
 * acknowledges only when its delayed-ACK timer fires (up to 40 ms on
 * Linux): both methods are left out of those workloads. */
static int method_left_out(int workload, int method) {
  return workload_client_delay_ms[workload] > 0 &&
         (method == METHOD_GRACEFUL || method == METHOD_LINGER);
}

struct options {
  long connections;
  long response;
  int rounds;
  int deadline_runs;
};

/* What one method did in one run. */
struct measure {
  double wall_ms;        /* the closing phase */
  double cpu_ms;         /* CPU of the closing thread in that phase */
  double clients_done_ms; /* from the start of the phase to the last
                             client's end of response */
  long complete;         /* clients that received the whole response */
  long resets;           /* clients that saw a reset */
  long short_reads;      /* clients that received less than the response */
  long results_ok;       /* graceful methods: closes that returned 0 */
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double thread_cpu_ms(void) {
#if defined(RUSAGE_THREAD)
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
#else
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
#endif
}

static void die(const char *what) {
  fprintf(stderr, "bench_graceful: %s failed: %s (%s)\n", what,
          skc_strerror(skc_last_error()), skc_err_name(skc_last_error()));
  exit(1);
}

/* ---- the client: a libuv program in a child process ---- */

struct client;

struct client_conn {
  uv_tcp_t tcp;
  uv_timer_t delay;
  uv_connect_t connect;
  uv_write_t write;
  struct client *client;
  long got;
};

/* Sent from the child to the parent through a pipe. */
struct client_summary {
  long complete;
  long short_reads;
  long resets;
  long failed;
  double done_ms;
};

struct client {
  uv_loop_t loop;
  struct sockaddr_in server;
  struct client_conn *conns;
  long count;
  long started;
  long finished;
  long response;
  int delay_ms;
  char request[BENCH_REQUEST];
  char buffer[65536];
  struct client_summary summary;
};

static void client_start_next(struct client *c);

static void client_closed(uv_handle_t *handle) {
  struct client_conn *conn = handle->data;
  struct client *c = conn->client;
  if (c->delay_ms > 0 && handle == (uv_handle_t *)&conn->tcp)
    uv_close((uv_handle_t *)&conn->delay, NULL);
  if (++c->finished == c->count) {
    c->summary.done_ms = now_ms();
    uv_stop(&c->loop);
  }
}

static void client_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf) {
  struct client_conn *conn = handle->data;
  (void)suggested;
  *buf = uv_buf_init(conn->client->buffer, sizeof conn->client->buffer);
}

static void client_delay_over(uv_timer_t *timer) {
  struct client_conn *conn = timer->data;
  uv_close((uv_handle_t *)&conn->tcp, client_closed);
}

static void client_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf) {
  struct client_conn *conn = stream->data;
  struct client *c = conn->client;
  (void)buf;
  if (n > 0) {
    conn->got += (long)n;
    return;
  }
  if (n == 0)
    return;
  if (conn->got < c->response)
    c->summary.short_reads++;
  if (n == UV_EOF) {
    /* libuv 1.44 also reports UV_EOF for an RST that arrives while data
     * is still unread (uv__stream_io() turns POLLHUP after a partial read
     * into EOF without reading the error), so ask the socket: the RST's
     * error is still pending there, a FIN leaves none. */
    uv_os_fd_t fd;
    int err = 0;
    socklen_t len = (socklen_t)sizeof err;
    if (uv_fileno((uv_handle_t *)stream, &fd) == 0 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
      c->summary.resets++;
    else if (conn->got == c->response)
      c->summary.complete++;
  } else if (n == UV_ECONNRESET) {
    c->summary.resets++;
  } else {
    c->summary.failed++;
  }
  if (n == UV_EOF && c->delay_ms > 0) {
    uv_read_stop(stream);
    uv_timer_start(&conn->delay, client_delay_over, (uint64_t)c->delay_ms, 0);
    return;
  }
  uv_close((uv_handle_t *)stream, client_closed);
}

static void client_written(uv_write_t *req, int status) {
  (void)req;
  (void)status; /* a failure shows in the read that follows */
}

static void client_connected(uv_connect_t *req, int status) {
  struct client_conn *conn = req->data;
  struct client *c = conn->client;
  uv_buf_t buf = uv_buf_init(c->request, sizeof c->request);
  client_start_next(c);
  if (status != 0) {
    c->summary.failed++;
    uv_close((uv_handle_t *)&conn->tcp, client_closed);
    return;
  }
  uv_write(&conn->write, (uv_stream_t *)&conn->tcp, &buf, 1, client_written);
  uv_read_start((uv_stream_t *)&conn->tcp, client_alloc, client_read);
}

static void client_start_next(struct client *c) {
  struct client_conn *conn;
  if (c->started == c->count)
    return;
  conn = &c->conns[c->started++];
  conn->client = c;
  conn->got = 0;
  uv_tcp_init(&c->loop, &conn->tcp);
  conn->tcp.data = conn;
  if (c->delay_ms > 0) {
    uv_timer_init(&c->loop, &conn->delay);
    conn->delay.data = conn;
  }
  conn->connect.data = conn;
  if (uv_tcp_connect(&conn->connect, &conn->tcp,
                     (const struct sockaddr *)&c->server, client_connected) != 0) {
    c->summary.failed++;
    uv_close((uv_handle_t *)&conn->tcp, client_closed);
  }
}

static void client_main(const struct sockaddr_in *server, long count,
                        long response, int delay_ms, int report_fd) {
  struct client *c = calloc(1, sizeof *c);
  long i;
  if (c == NULL || uv_loop_init(&c->loop) != 0)
    _exit(2);
  c->conns = calloc((size_t)count, sizeof *c->conns);
  if (c->conns == NULL)
    _exit(2);
  c->server = *server;
  c->count = count;
  c->response = response;
  c->delay_ms = delay_ms;
  memset(c->request, 'q', sizeof c->request);
  /* A bounded number of connects in flight, so that the listener's
   * backlog never overflows (a dropped SYN costs a 1 s retransmit). */
  for (i = 0; i < BENCH_CLIENT_IN_FLIGHT; i++)
    client_start_next(c);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  if (write(report_fd, &c->summary, sizeof c->summary) != (ssize_t)sizeof c->summary)
    _exit(3);
  _exit(0);
}

/* ---- the server ---- */

struct run {
  int method;
  int workload;
  const struct options *options;
  skc_socket_t *sockets;
  long results_ok;
  long pending;
  const char *response;
};

static skc_socket_t listen_on(struct sockaddr_in *addr) {
  socklen_t len = (socklen_t)sizeof *addr;
  skc_socket_t s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0)
    die("socket");
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr *)addr, (socklen_t)sizeof *addr) != 0 ||
      listen(s, SOMAXCONN) != 0 ||
      getsockname(s, (struct sockaddr *)addr, &len) != 0)
    die("listen");
  return s;
}

static void recv_exactly(skc_socket_t s, char *buf, long n) {
  long got = 0;
  while (got < n) {
    ptrdiff_t r = skc_recv(s, buf + got, (size_t)(n - got));
    if (r <= 0)
      die("recv (request)");
    got += (long)r;
  }
}

static void send_all(skc_socket_t s, const char *buf, long n) {
  long sent = 0;
  while (sent < n) {
    ptrdiff_t r = skc_send(s, buf + sent, (size_t)(n - sent));
    if (r <= 0)
      die("send (response)");
    sent += (long)r;
  }
}

/* libuv method: one uv_poll per socket, one timer for the deadline. */
struct uv_closing {
  uv_poll_t poll;
  skc_graceful g;
  struct run *run;
  int active;
};

static void uv_closing_end(struct uv_closing *c, int result) {
  uv_poll_stop(&c->poll); /* before the socket is closed (uv_poll_t docs) */
  uv_close((uv_handle_t *)&c->poll, NULL);
  if (skc_graceful_finish(&c->g, NULL) == 0 && result == 0)
    c->run->results_ok++;
  c->active = 0;
  c->run->pending--;
}

static void uv_closing_readable(uv_poll_t *handle, int status, int events) {
  struct uv_closing *c = handle->data;
  int r;
  (void)status;
  (void)events;
  r = skc_graceful_advance(&c->g);
  if (r != SKC_EINPROGRESS)
    uv_closing_end(c, r);
}

struct uv_deadline {
  uv_timer_t timer;
  struct uv_closing *closing;
  long count;
};

static void uv_deadline_fired(uv_timer_t *timer) {
  struct uv_deadline *d = timer->data;
  long i;
  for (i = 0; i < d->count; i++) {
    if (d->closing[i].active) {
      int r = skc_graceful_advance(&d->closing[i].g);
      if (r != SKC_EINPROGRESS)
        uv_closing_end(&d->closing[i], r);
    }
  }
  /* Past the deadline every close has ended (skc_graceful_advance()
   * returns SKC_ETIMEDOUT); check again shortly if one had not. */
  if (d->closing[0].run->pending > 0)
    uv_timer_start(timer, uv_deadline_fired, 1, 0);
}

static void close_with_libuv(struct run *run) {
  uv_loop_t loop;
  struct uv_deadline deadline;
  long i, n = run->options->connections;
  struct uv_closing *closing = calloc((size_t)n, sizeof *closing);
  if (closing == NULL || uv_loop_init(&loop) != 0)
    die("libuv set-up");
  run->pending = n;
  for (i = 0; i < n; i++) {
    int r;
    closing[i].run = run;
    r = skc_graceful_start(&closing[i].g, run->sockets[i], BENCH_TIMEOUT_MS);
    if (r != SKC_EINPROGRESS) {
      if (skc_graceful_finish(&closing[i].g, NULL) == 0 && r == 0)
        run->results_ok++;
      run->pending--;
      continue;
    }
    uv_poll_init_socket(&loop, &closing[i].poll, run->sockets[i]);
    closing[i].poll.data = &closing[i];
    closing[i].active = 1;
    uv_poll_start(&closing[i].poll, UV_READABLE | UV_DISCONNECT,
                  uv_closing_readable);
  }
  deadline.closing = closing;
  deadline.count = n;
  uv_timer_init(&loop, &deadline.timer);
  deadline.timer.data = &deadline;
  uv_timer_start(&deadline.timer, uv_deadline_fired, BENCH_TIMEOUT_MS, 0);
  while (run->pending > 0)
    uv_run(&loop, UV_RUN_ONCE);
  uv_timer_stop(&deadline.timer);
  uv_close((uv_handle_t *)&deadline.timer, NULL);
  uv_run(&loop, UV_RUN_DEFAULT); /* the handles' close callbacks */
  uv_loop_close(&loop);
  free(closing);
}

static void closer_done(void *user, skc_socket_t s, int result,
                        const skc_graceful_report *report) {
  struct run *run = user;
  (void)s;
  (void)report;
  if (result == 0)
    run->results_ok++;
}

/* The timed phase: end every connection with the run's method. */
static void close_all(struct run *run) {
  long i, n = run->options->connections;
  switch (run->method) {
  case METHOD_CLOSE:
    for (i = 0; i < n; i++)
      skc_close(run->sockets[i]);
    break;
  case METHOD_LINGER:
    for (i = 0; i < n; i++) {
      struct linger lin;
      lin.l_onoff = 1;
      lin.l_linger = BENCH_LINGER_SECONDS;
      setsockopt(run->sockets[i], SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
      close(run->sockets[i]);
    }
    break;
  case METHOD_GRACEFUL:
    for (i = 0; i < n; i++)
      if (skc_close_graceful(run->sockets[i], BENCH_TIMEOUT_MS) == 0)
        run->results_ok++;
    break;
  case METHOD_CLOSER: {
    skc_closer *closer;
    if (skc_closer_new(&closer) != 0)
      die("skc_closer_new");
    for (i = 0; i < n; i++)
      if (skc_closer_add(closer, run->sockets[i], BENCH_TIMEOUT_MS, closer_done,
                         run) != 0)
        die("skc_closer_add");
    if (skc_closer_run(closer, -1) != 0)
      die("skc_closer_run");
    skc_closer_free(closer);
    break;
  }
  default:
    close_with_libuv(run);
    break;
  }
}

static struct measure run_once(int method, int workload,
                               const struct options *options,
                               const char *response) {
  struct run run;
  struct measure m;
  struct sockaddr_in addr;
  struct client_summary summary;
  char request[BENCH_REQUEST];
  int report[2];
  pid_t child;
  int status;
  long i, n = options->connections;
  double t0, cpu0;
  skc_socket_t listener = listen_on(&addr);

  memset(&run, 0, sizeof run);
  memset(&m, 0, sizeof m);
  run.method = method;
  run.workload = workload;
  run.options = options;
  run.response = response;
  run.sockets = calloc((size_t)n, sizeof *run.sockets);
  if (run.sockets == NULL || pipe(report) != 0)
    die("set-up");
  child = fork();
  if (child < 0)
    die("fork");
  if (child == 0) {
    close(listener);
    close(report[0]);
    client_main(&addr, n, options->response,
                workload_client_delay_ms[workload], report[1]);
  }
  close(report[1]);

  for (i = 0; i < n; i++) {
    struct pollfd pfd;
    pfd.fd = listener;
    pfd.events = POLLIN;
    if (poll(&pfd, 1, 30000) != 1)
      die("accept (client gone?)");
    run.sockets[i] = accept(listener, NULL, NULL);
    if (run.sockets[i] < 0)
      die("accept");
    recv_exactly(run.sockets[i], request,
                 workload == WORKLOAD_UNREAD ? BENCH_REQUEST_READ_PARTLY : BENCH_REQUEST);
    send_all(run.sockets[i], response, options->response);
  }
  close(listener);
  if (workload == WORKLOAD_UNREAD) {
    /* Make sure every request's unread rest has arrived: otherwise a
     * plain close might find nothing unread yet. */
    for (i = 0; i < n; i++) {
      struct pollfd pfd;
      pfd.fd = run.sockets[i];
      pfd.events = POLLIN;
      if (poll(&pfd, 1, 30000) != 1)
        die("poll (request)");
    }
  }

  cpu0 = thread_cpu_ms();
  t0 = now_ms();
  close_all(&run);
  m.wall_ms = now_ms() - t0;
  m.cpu_ms = thread_cpu_ms() - cpu0;
  m.results_ok = run.results_ok;

  if (read(report[0], &summary, sizeof summary) != (ssize_t)sizeof summary)
    die("client report");
  close(report[0]);
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  m.clients_done_ms = summary.done_ms - t0;
  m.complete = summary.complete;
  m.resets = summary.resets;
  m.short_reads = summary.short_reads;
  if (summary.failed != 0)
    fprintf(stderr, "bench_graceful: %ld client connections failed\n", summary.failed);
  free(run.sockets);
  return m;
}

/* ---- summary ---- */

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *values, int count) {
  qsort(values, (size_t)count, sizeof *values, compare_doubles);
  return count % 2 ? values[count / 2]
                   : (values[count / 2 - 1] + values[count / 2]) / 2.0;
}

/* How late skc_close_graceful() returns after its deadline, against a
 * peer that never closes. */
static void deadline_accuracy(int runs) {
  double late[64];
  int i, timeout = 500;
  if (runs > 64)
    runs = 64;
  for (i = 0; i < runs; i++) {
    skc_socket_t p[2];
    double t0;
    int rc;
    if (skc_tcp_pair(p) != 0)
      die("skc_tcp_pair");
    t0 = now_ms();
    rc = skc_close_graceful(p[0], timeout);
    late[i] = now_ms() - t0 - timeout;
    if (rc != SKC_ETIMEDOUT) {
      fprintf(stderr, "bench_graceful: deadline run returned %s\n", skc_err_name(rc));
      exit(1);
    }
    skc_close(p[1]);
  }
  qsort(late, (size_t)runs, sizeof *late, compare_doubles);
  printf("\ndeadline: skc_close_graceful(s, %d) against a peer that never "
         "closes, %d runs:\n  returned late by min %.2f ms, median %.2f ms, "
         "max %.2f ms\n",
         timeout, runs, late[0], late[runs / 2], late[runs - 1]);
}

static void usage(void) {
  printf("usage: bench_graceful [--connections N] [--response BYTES] "
         "[--rounds R] [--deadline-runs D]\n"
         "  defaults: 10000 connections, 16384-byte responses, 3 rounds, "
         "10 deadline runs\n");
}

int main(int argc, char **argv) {
  struct options options;
  static struct measure results[WORKLOAD_COUNT][METHOD_COUNT][BENCH_MAX_ROUNDS];
  char *response;
  int round, workload, k, i;
  options.connections = 10000;
  options.response = 16384;
  options.rounds = 3;
  options.deadline_runs = 10;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc)
      options.connections = atol(argv[++i]);
    else if (strcmp(argv[i], "--response") == 0 && i + 1 < argc)
      options.response = atol(argv[++i]);
    else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      options.rounds = atoi(argv[++i]);
    else if (strcmp(argv[i], "--deadline-runs") == 0 && i + 1 < argc)
      options.deadline_runs = atoi(argv[++i]);
    else {
      usage();
      return strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  if (options.connections < 1 || options.connections > 9000000 ||
      options.response < 1 || options.rounds < 1 ||
      options.rounds > BENCH_MAX_ROUNDS || options.deadline_runs < 1) {
    usage();
    return 2;
  }
  if (skc_init() != 0)
    die("skc_init");
  response = malloc((size_t)options.response);
  if (response == NULL)
    die("malloc");
  memset(response, 'r', (size_t)options.response);

  printf("bench_graceful: %ld connections per method, %ld-byte responses, "
         "%d-byte requests, %d rounds (medians)\n",
         options.connections, options.response, BENCH_REQUEST, options.rounds);
  for (round = 0; round < options.rounds; round++) {
    for (workload = 0; workload < WORKLOAD_COUNT; workload++) {
      for (k = 0; k < METHOD_COUNT; k++) {
        int method = (k + round) % METHOD_COUNT;
        if (method_left_out(workload, method))
          continue;
        results[workload][method][round] =
            run_once(method, workload, &options, response);
      }
    }
    fprintf(stderr, "round %d of %d done\n", round + 1, options.rounds);
  }

  for (workload = 0; workload < WORKLOAD_COUNT; workload++) {
    printf("\n%s:\n", workload_names[workload]);
    printf("  %-36s %8s %8s %8s %10s %9s %6s %6s %8s\n", "method", "wall ms",
           "CPU ms", "CPU/wall", "clients ms", "complete", "short", "resets",
           "result 0");
    for (k = 0; k < METHOD_COUNT; k++) {
      double wall[BENCH_MAX_ROUNDS], cpu[BENCH_MAX_ROUNDS], done[BENCH_MAX_ROUNDS];
      double complete[BENCH_MAX_ROUNDS], resets[BENCH_MAX_ROUNDS], ok[BENCH_MAX_ROUNDS];
      double shorts[BENCH_MAX_ROUNDS];
      double w, c;
      if (method_left_out(workload, k) && k == METHOD_GRACEFUL) {
        printf("  %-36s (left out: %ld waits of %d ms one after the other)\n",
               method_names[k], options.connections,
               workload_client_delay_ms[workload]);
        continue;
      }
      if (method_left_out(workload, k)) {
        printf("  %-36s (left out: each close waits for the client's "
               "delayed ACK of our FIN)\n",
               method_names[k]);
        continue;
      }
      for (round = 0; round < options.rounds; round++) {
        const struct measure *m = &results[workload][k][round];
        wall[round] = m->wall_ms;
        cpu[round] = m->cpu_ms;
        done[round] = m->clients_done_ms;
        complete[round] = (double)m->complete;
        resets[round] = (double)m->resets;
        shorts[round] = (double)m->short_reads;
        ok[round] = (double)m->results_ok;
      }
      w = median(wall, options.rounds);
      c = median(cpu, options.rounds);
      printf("  %-36s %8.1f %8.1f %7.1f%% %10.1f %9.0f %6.0f %6.0f ",
             method_names[k], w, c, w > 0 ? 100.0 * c / w : 0.0,
             median(done, options.rounds), median(complete, options.rounds),
             median(shorts, options.rounds), median(resets, options.rounds));
      if (k >= METHOD_GRACEFUL)
        printf("%8.0f\n", median(ok, options.rounds));
      else
        printf("%8s\n", "-");
    }
  }
  printf("\n  wall ms: the closing phase; CPU ms: CPU time of the closing "
         "thread in it\n  (getrusage RUSAGE_THREAD); clients ms: from the "
         "start of the phase until\n  the last client saw its response end; "
         "complete: clients that received\n  all %ld bytes, then the end of "
         "stream (a FIN); short: clients that received\n  less; resets: "
         "clients that saw an RST; result 0: graceful closes that\n  "
         "returned 0.\n",
         options.response);

  deadline_accuracy(options.deadline_runs);
  free(response);
  skc_cleanup();
  return 0;
}
