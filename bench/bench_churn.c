/*
 * Connection churn over loopback, three ways in one run: raw system calls,
 * the sockclose API, and libuv; and the raw calls once more as a control.
 *
 * Each connection: the client connects, sends 64 bytes and shuts down its
 * write side; the peer reads to end of stream and closes; the client reads
 * end of stream and closes. The raw and sockclose methods do exactly the
 * same system calls in the same order (socket, connect and accept are raw
 * in both); only send, shutdown, recv and close go through skc_* in the
 * sockclose method. sockclose-conn does the connection's whole life
 * through the API: skc_tcp_socket, skc_connect and skc_accept as well
 * (non-inheritable sockets, accept's check for a connection reset in the
 * backlog), so its ratio to sockclose is the cost of those three calls.
 * libuv does the same
 * exchange on its event loop (uv_write, uv_shutdown, reads to UV_EOF,
 * uv_close), one connection at a time like the other two. A fourth run,
 * raw-again, repeats the raw method: two runs of the same code differ by
 * the machine's noise alone, which tells how far the other ratios can be
 * trusted.
 *
 * Fairness on a noisy machine: within a round the methods take turns in
 * blocks of a few hundred connections, in an order that changes from block
 * to block (block_order), so a burst of load from elsewhere falls on every
 * method alike and no method always follows the same other one.
 * The summary reports the median rate of each method over several rounds,
 * and the median over all blocks of its rate over raw's rate in the same
 * block.
 *
 * Ports: every connection leaves its client side in TIME_WAIT for a minute,
 * and Linux has about 28,000 ephemeral ports per (source, destination)
 * address and port pair. The connections are spread round-robin over
 * several listeners (distinct 127.0.0.x addresses where the OS routes all
 * of 127/8 to loopback), enough that no pair takes more than a fraction of
 * the range even when the benchmark is run twice within a minute.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime, in C11 mode */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* with _POSIX_C_SOURCE, macOS hides INADDR_LOOPBACK and the BSD names */
#endif

#include <sockclose.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
typedef int bench_iolen_t;
#define BENCH_RAW_CLOSE closesocket
#define BENCH_RAW_SHUT_WR SD_SEND
#define BENCH_RAW_SEND_FLAGS 0
#define BENCH_SOCKET_FAILED(s) ((s) == INVALID_SOCKET)
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
typedef size_t bench_iolen_t;
#define BENCH_RAW_CLOSE close
#define BENCH_RAW_SHUT_WR SHUT_WR
#if defined(MSG_NOSIGNAL)
/* What a portable program does on Linux: no SIGPIPE, per call. */
#define BENCH_RAW_SEND_FLAGS MSG_NOSIGNAL
#else
#define BENCH_RAW_SEND_FLAGS 0
#endif
#define BENCH_SOCKET_FAILED(s) ((s) < 0)
#endif

#ifdef BENCH_HAVE_LIBUV
#include <uv.h>
#endif

#define BENCH_PAYLOAD 64
#define BENCH_MAX_LISTENERS 250
#define BENCH_MAX_ROUNDS 101
/* Connections per listener address per run: well under the ~28,000
 * ephemeral ports of one pair, so two runs within TIME_WAIT's minute
 * still fit. */
#define BENCH_PER_LISTENER 8000
/* Untimed connections before each timed block (see main). */
#define BENCH_BLOCK_WARMUP 20

/* raw-again runs the raw method a second time: an A/A control, whose ratio
 * to raw shows how much two identical runs differ on this machine. */
enum {
  METHOD_RAW,
  METHOD_SOCKCLOSE,
  METHOD_LIBUV,
  METHOD_RAW_AGAIN,
  METHOD_SOCKCLOSE_CONN,
  METHOD_COUNT
};
static const char *const method_names[METHOD_COUNT] = {
    "raw", "sockclose", "libuv", "raw-again", "sockclose-conn"};

struct options {
  long connections;
  long rounds;
  long warmup;
  long block;
  long listeners; /* 0: chosen from the connection count */
  const char *methods; /* comma-separated names, NULL: all */
  const char *tsv_path;
  const char *summary_path;
};

struct listeners {
  long count;
  skc_socket_t fd[BENCH_MAX_LISTENERS];
  struct sockaddr_in addr[BENCH_MAX_LISTENERS];
  skc_endpoint at[BENCH_MAX_LISTENERS]; /* the same addresses */
  unsigned long next; /* round-robin position, shared by every method */
};

/* Not const: libuv's uv_buf_t takes a char *, although it never writes
 * through it when sending. */
static char payload[BENCH_PAYLOAD] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";

static double now_seconds(void) {
#ifdef _WIN32
  LARGE_INTEGER frequency, counter;
  QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&counter);
  return (double)counter.QuadPart / (double)frequency.QuadPart;
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
}

static int native_error(void) {
#ifdef _WIN32
  return WSAGetLastError();
#else
  return errno;
#endif
}

static void die(const char *what, int code) {
  fprintf(stderr, "bench_churn: %s failed: %s (%s, native %d)\n", what,
          skc_strerror(code), skc_err_name(code), native_error());
  exit(1);
}

static void die_native(const char *what) { die(what, skc_last_error()); }

static void die_unexpected_data(const char *method) {
  fprintf(stderr, "bench_churn: %s: the client read data where the peer "
                  "sent none\n", method);
  exit(1);
}

/* ---- listeners ---- */

/* The address of listener i, port 0 (the OS picks one). */
static void listener_address(struct sockaddr_in *addr, long i) {
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
#if defined(__linux__) || defined(_WIN32)
  /* Linux and Windows route all of 127.0.0.0/8 to loopback: one
   * destination address per listener, 127.0.0.1 upwards. */
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK + (unsigned)i);
#else
  /* macOS and the BSDs configure 127.0.0.1 only: distinct ports alone
   * make the pairs distinct. */
  (void)i;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
#endif
  addr->sin_port = 0;
}

static void listeners_open(struct listeners *ls, long count) {
  long i;
  int err;
  ls->count = count;
  ls->next = 0;
  for (i = 0; i < count; ++i) {
    struct sockaddr_in *addr = &ls->addr[i];
    socklen_t len = (socklen_t)sizeof *addr;
    skc_socket_t fd = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (BENCH_SOCKET_FAILED(fd))
      die_native("socket (listener)");
    listener_address(addr, i);
    if (bind(fd, (struct sockaddr *)addr, (socklen_t)sizeof *addr) != 0)
      die_native("bind (listener)");
    if (listen(fd, 64) != 0)
      die_native("listen");
    if (getsockname(fd, (struct sockaddr *)addr, &len) != 0)
      die_native("getsockname");
    if ((err = skc_local_endpoint(fd, &ls->at[i])) != 0)
      die("skc_local_endpoint (listener)", err);
    ls->fd[i] = fd;
  }
}

static void listeners_close(struct listeners *ls) {
  long i;
  for (i = 0; i < ls->count; ++i)
    BENCH_RAW_CLOSE(ls->fd[i]);
}

static long listeners_take(struct listeners *ls) {
  return (long)(ls->next++ % (unsigned long)ls->count);
}

/* The client's connect and the peer's accept: plain system calls in both
 * methods. On loopback the handshake completes inside connect(), so one
 * thread can connect and then accept. */
static void connect_and_accept(struct listeners *ls, skc_socket_t *client,
                               skc_socket_t *peer) {
  long index = listeners_take(ls);
  *client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (BENCH_SOCKET_FAILED(*client))
    die_native("socket");
  if (connect(*client, (const struct sockaddr *)&ls->addr[index],
              (socklen_t)sizeof ls->addr[index]) != 0)
    die_native("connect");
  *peer = accept(ls->fd[index], NULL, NULL);
  if (BENCH_SOCKET_FAILED(*peer))
    die_native("accept");
}

/* The same through the sockclose API. */
static void connect_and_accept_skc(struct listeners *ls, skc_socket_t *client,
                                   skc_socket_t *peer) {
  long index = listeners_take(ls);
  int err;
  if ((err = skc_tcp_socket(SKC_FAMILY_IPV4, 0, client)) != 0)
    die("skc_tcp_socket", err);
  if ((err = skc_connect(*client, &ls->at[index])) != 0)
    die("skc_connect", err);
  if ((err = skc_accept(ls->fd[index], 0, peer, NULL)) != 0)
    die("skc_accept", err);
}

/* ---- raw system calls ---- */

static void churn_raw(struct listeners *ls, long count) {
  char buf[256];
  long i;
  for (i = 0; i < count; ++i) {
    skc_socket_t client, peer;
    long got = 0;
    long n;
    connect_and_accept(ls, &client, &peer);
    n = (long)send(client, payload, (bench_iolen_t)sizeof payload,
                   BENCH_RAW_SEND_FLAGS);
    if (n != (long)sizeof payload)
      die_native("send");
    if (shutdown(client, BENCH_RAW_SHUT_WR) != 0)
      die_native("shutdown");
    while ((n = (long)recv(peer, buf, (bench_iolen_t)sizeof buf, 0)) > 0)
      got += n;
    if (n < 0)
      die_native("recv (peer)");
    if (got != (long)sizeof payload) {
      fprintf(stderr, "bench_churn: raw: peer read %ld bytes, not %d\n", got,
              BENCH_PAYLOAD);
      exit(1);
    }
    if (BENCH_RAW_CLOSE(peer) != 0)
      die_native("close (peer)");
    n = (long)recv(client, buf, (bench_iolen_t)sizeof buf, 0);
    if (n > 0)
      die_unexpected_data("raw");
    if (n < 0)
      die_native("recv (client, end of stream)");
    if (BENCH_RAW_CLOSE(client) != 0)
      die_native("close (client)");
  }
}

/* ---- the sockclose API ---- */

static void churn_sockclose(struct listeners *ls, long count, int whole_api) {
  char buf[256];
  long i;
  for (i = 0; i < count; ++i) {
    skc_socket_t client, peer;
    ptrdiff_t got = 0;
    ptrdiff_t n;
    int err;
    if (whole_api)
      connect_and_accept_skc(ls, &client, &peer);
    else
      connect_and_accept(ls, &client, &peer);
    n = skc_send(client, payload, sizeof payload);
    if (n != (ptrdiff_t)sizeof payload)
      die("skc_send", n < 0 ? (int)n : 0);
    if ((err = skc_shutdown(client, SKC_SHUT_WR)) != 0)
      die("skc_shutdown", err);
    while ((n = skc_recv(peer, buf, sizeof buf)) > 0)
      got += n;
    if (n < 0)
      die("skc_recv (peer)", (int)n);
    if (got != (ptrdiff_t)sizeof payload) {
      fprintf(stderr, "bench_churn: sockclose: peer read %ld bytes, not %d\n",
              (long)got, BENCH_PAYLOAD);
      exit(1);
    }
    if ((err = skc_close(peer)) != 0)
      die("skc_close (peer)", err);
    n = skc_recv(client, buf, sizeof buf);
    if (n > 0)
      die_unexpected_data("sockclose");
    if (n < 0)
      die("skc_recv (client, end of stream)", (int)n);
    if ((err = skc_close(client)) != 0)
      die("skc_close (client)", err);
  }
}

/* ---- libuv ---- */

#ifdef BENCH_HAVE_LIBUV
struct churn_uv {
  uv_loop_t loop;
  long listener_count;
  uv_tcp_t listener[BENCH_MAX_LISTENERS];
  struct sockaddr_in addr[BENCH_MAX_LISTENERS];
  unsigned long next;
  /* The one connection in flight. */
  uv_tcp_t client;
  uv_tcp_t peer;
  uv_connect_t connect_req;
  uv_write_t write_req;
  uv_shutdown_t shutdown_req;
  char client_buf[256];
  char peer_buf[256];
  long peer_bytes;
  int open_handles;
  int client_eof;
  int shutdown_done;
  long remaining;
};

static struct churn_uv uvc;

static void churn_uv_die(const char *what, int status) {
  fprintf(stderr, "bench_churn: libuv: %s failed: %s (%s)\n", what,
          uv_strerror(status), uv_err_name(status));
  exit(1);
}

static void churn_uv_start_one(void);

static void churn_uv_on_closed(uv_handle_t *handle) {
  (void)handle;
  if (--uvc.open_handles > 0)
    return;
  if (--uvc.remaining > 0)
    churn_uv_start_one();
  else
    uv_stop(&uvc.loop);
}

static void churn_uv_alloc_client(uv_handle_t *handle, size_t suggested,
                            uv_buf_t *buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(uvc.client_buf, (unsigned int)sizeof uvc.client_buf);
}

static void churn_uv_alloc_peer(uv_handle_t *handle, size_t suggested,
                          uv_buf_t *buf) {
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(uvc.peer_buf, (unsigned int)sizeof uvc.peer_buf);
}

static void churn_uv_client_close_when_done(void) {
  if (uvc.client_eof && uvc.shutdown_done)
    uv_close((uv_handle_t *)&uvc.client, churn_uv_on_closed);
}

static void churn_uv_on_client_read(uv_stream_t *stream, ssize_t nread,
                              const uv_buf_t *buf) {
  (void)stream;
  (void)buf;
  if (nread == 0)
    return; /* EAGAIN */
  if (nread != UV_EOF) {
    if (nread > 0) {
      fprintf(stderr, "bench_churn: libuv: client got unexpected data\n");
      exit(1);
    }
    churn_uv_die("read (client)", (int)nread);
  }
  uv_read_stop((uv_stream_t *)&uvc.client);
  uvc.client_eof = 1;
  churn_uv_client_close_when_done();
}

static void churn_uv_on_peer_read(uv_stream_t *stream, ssize_t nread,
                            const uv_buf_t *buf) {
  (void)stream;
  (void)buf;
  if (nread > 0) {
    uvc.peer_bytes += (long)nread;
    return;
  }
  if (nread == 0)
    return;
  if (nread != UV_EOF)
    churn_uv_die("read (peer)", (int)nread);
  if (uvc.peer_bytes != BENCH_PAYLOAD) {
    fprintf(stderr, "bench_churn: libuv: peer read %ld bytes, not %d\n",
            uvc.peer_bytes, BENCH_PAYLOAD);
    exit(1);
  }
  uv_close((uv_handle_t *)&uvc.peer, churn_uv_on_closed);
}

static void churn_uv_on_connection(uv_stream_t *listener, int status) {
  int err;
  if (status != 0)
    churn_uv_die("connection", status);
  if ((err = uv_tcp_init(&uvc.loop, &uvc.peer)) != 0)
    churn_uv_die("uv_tcp_init (peer)", err);
  ++uvc.open_handles;
  if ((err = uv_accept(listener, (uv_stream_t *)&uvc.peer)) != 0)
    churn_uv_die("uv_accept", err);
  if ((err = uv_read_start((uv_stream_t *)&uvc.peer, churn_uv_alloc_peer,
                           churn_uv_on_peer_read)) != 0)
    churn_uv_die("uv_read_start (peer)", err);
}

static void churn_uv_on_write(uv_write_t *req, int status) {
  (void)req;
  if (status != 0)
    churn_uv_die("uv_write", status);
}

static void churn_uv_on_shutdown(uv_shutdown_t *req, int status) {
  (void)req;
  if (status != 0)
    churn_uv_die("uv_shutdown", status);
  uvc.shutdown_done = 1;
  churn_uv_client_close_when_done();
}

static void churn_uv_on_connect(uv_connect_t *req, int status) {
  uv_buf_t buf;
  int err;
  (void)req;
  if (status != 0)
    churn_uv_die("uv_tcp_connect", status);
  buf = uv_buf_init(payload, (unsigned int)sizeof payload);
  if ((err = uv_write(&uvc.write_req, (uv_stream_t *)&uvc.client, &buf, 1,
                      churn_uv_on_write)) != 0)
    churn_uv_die("uv_write", err);
  /* Queued behind the write: the FIN follows the 64 bytes. */
  if ((err = uv_shutdown(&uvc.shutdown_req, (uv_stream_t *)&uvc.client,
                         churn_uv_on_shutdown)) != 0)
    churn_uv_die("uv_shutdown", err);
  if ((err = uv_read_start((uv_stream_t *)&uvc.client, churn_uv_alloc_client,
                           churn_uv_on_client_read)) != 0)
    churn_uv_die("uv_read_start (client)", err);
}

static void churn_uv_start_one(void) {
  long index = (long)(uvc.next++ % (unsigned long)uvc.listener_count);
  int err;
  uvc.peer_bytes = 0;
  uvc.client_eof = 0;
  uvc.shutdown_done = 0;
  if ((err = uv_tcp_init(&uvc.loop, &uvc.client)) != 0)
    churn_uv_die("uv_tcp_init (client)", err);
  uvc.open_handles = 1;
  if ((err = uv_tcp_connect(&uvc.connect_req, &uvc.client,
                            (const struct sockaddr *)&uvc.addr[index],
                            churn_uv_on_connect)) != 0)
    churn_uv_die("uv_tcp_connect", err);
}

static void churn_uv_open(long listener_count) {
  long i;
  int err;
  if ((err = uv_loop_init(&uvc.loop)) != 0)
    churn_uv_die("uv_loop_init", err);
  uvc.listener_count = listener_count;
  for (i = 0; i < listener_count; ++i) {
    struct sockaddr_in *addr = &uvc.addr[i];
    int len = (int)sizeof *addr;
    listener_address(addr, i);
    if ((err = uv_tcp_init(&uvc.loop, &uvc.listener[i])) != 0)
      churn_uv_die("uv_tcp_init (listener)", err);
    if ((err = uv_tcp_bind(&uvc.listener[i], (const struct sockaddr *)addr,
                           0)) != 0)
      churn_uv_die("uv_tcp_bind", err);
    if ((err = uv_listen((uv_stream_t *)&uvc.listener[i], 64,
                         churn_uv_on_connection)) != 0)
      churn_uv_die("uv_listen", err);
    if ((err = uv_tcp_getsockname(&uvc.listener[i], (struct sockaddr *)addr,
                                  &len)) != 0)
      churn_uv_die("uv_tcp_getsockname", err);
  }
}

static void churn_libuv(long count) {
  int err;
  if (count <= 0)
    return;
  uvc.remaining = count;
  churn_uv_start_one();
  err = uv_run(&uvc.loop, UV_RUN_DEFAULT);
  (void)err; /* non-zero: the listeners are still active, as intended */
  if (uvc.remaining != 0) {
    fprintf(stderr, "bench_churn: libuv: loop stopped with %ld left\n",
            uvc.remaining);
    exit(1);
  }
}

static void churn_uv_close_one(uv_handle_t *handle, void *arg) {
  (void)arg;
  if (!uv_is_closing(handle))
    uv_close(handle, NULL);
}

static void churn_uv_close(void) {
  uv_walk(&uvc.loop, churn_uv_close_one, NULL);
  uv_run(&uvc.loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&uvc.loop) != 0)
    fprintf(stderr, "bench_churn: libuv: loop still busy at exit\n");
}
#endif /* BENCH_HAVE_LIBUV */

/* ---- driver ---- */

static double run_method(int method, struct listeners *ls, long count) {
  double start = now_seconds();
  switch (method) {
  case METHOD_RAW:
  case METHOD_RAW_AGAIN:
    churn_raw(ls, count);
    break;
  case METHOD_SOCKCLOSE:
    churn_sockclose(ls, count, 0);
    break;
  case METHOD_SOCKCLOSE_CONN:
    churn_sockclose(ls, count, 1);
    break;
#ifdef BENCH_HAVE_LIBUV
  case METHOD_LIBUV:
    churn_libuv(count);
    break;
#endif
  default:
    break;
  }
  return now_seconds() - start;
}

/* The k-th method to run in block b. A method can run slower right after
 * some others (libuv's run leaves colder caches than the raw code does),
 * and rotating one order would always give each method the same
 * predecessor. This is a Williams design instead: the first order is
 * 0, 1, n-1, 2, n-2, ..., each next block adds 1 (mod n), and for an odd n
 * the mirrored orders follow; over n blocks (2n when n is odd) every method
 * runs right after every other one equally often. */
static int block_order(int n, unsigned long b, int k) {
  unsigned long cycle = (unsigned long)(n % 2 ? 2 * n : n);
  unsigned long row = b % cycle;
  int position = k;
  int first;
  if (row >= (unsigned long)n) {
    position = n - 1 - k;
    row -= (unsigned long)n;
  }
  if (position == 0)
    first = 0;
  else if (position % 2)
    first = (position + 1) / 2;
  else
    first = n - position / 2;
  return (int)(((unsigned long)first + row) % (unsigned long)n);
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Median of n values (sorts them); the mean of the middle two when n is
 * even. */
static double median(double *values, long n) {
  qsort(values, (size_t)n, sizeof *values, compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: bench_churn [-n CONNECTIONS] [-r ROUNDS] [-w WARMUP] "
          "[-b BLOCK]\n"
          "                   [-m METHODS] [-l LISTENERS] [--tsv FILE] "
          "[--summary FILE]\n"
          "\n"
          "Loopback connection churn: each connection connects, sends %d "
          "bytes,\n"
          "shuts down its write side; the peer reads to end of stream and "
          "closes;\n"
          "the client reads end of stream and closes. Done with raw system "
          "calls,\n"
          "with the sockclose API and with libuv, taking turns in blocks, "
          "in\n"
          "rounds; reports connections per second (median of the rounds) "
          "and the\n"
          "ratio of each method's rate to raw's (median over the blocks).\n"
          "\n"
          "  -n N          connections per method per round (default 20000)\n"
          "  -r R          rounds (default 5, at most %d)\n"
          "  -w W          warm-up connections per method, not counted "
          "(default 1000)\n"
          "  -b B          the methods take turns every B connections "
          "(default 500)\n"
          "  -m LIST       methods to run, comma-separated (default "
          "raw,sockclose,libuv,\n"
          "                raw-again,sockclose-conn; raw is always run: the "
          "ratios are\n"
          "                against it; sockclose-conn also connects and "
          "accepts through\n"
          "                the API;\n"
          "                raw-again is raw once more, a control that shows "
          "the noise)\n"
          "  -l L          listeners to spread connections over (default: one "
          "per\n"
          "                %d connections of the run, at least 16, at most "
          "%d)\n"
          "  --tsv FILE    write every round as tab-separated values\n"
          "  --summary FILE  write the per-method summary as tab-separated "
          "values\n",
          BENCH_PAYLOAD, BENCH_MAX_ROUNDS, BENCH_PER_LISTENER,
          BENCH_MAX_LISTENERS);
}

static long parse_count(const char *text, const char *flag, long min,
                        long max) {
  char *end;
  long value;
  errno = 0;
  value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < min ||
      value > max) {
    fprintf(stderr, "bench_churn: %s needs a number from %ld to %ld\n", flag,
            min, max);
    exit(2);
  }
  return value;
}

/* Every comma-separated item must name a method. */
static const char *check_methods(const char *list) {
  const char *p = list;
  while (*p != '\0') {
    size_t item = strcspn(p, ",");
    int known = 0;
    int m;
    for (m = 0; m < METHOD_COUNT; ++m)
      known |= strlen(method_names[m]) == item &&
               strncmp(p, method_names[m], item) == 0;
    if (!known) {
      fprintf(stderr, "bench_churn: unknown method \"%.*s\" (raw, "
                      "sockclose, libuv, raw-again, sockclose-conn)\n",
              (int)item, p);
      exit(2);
    }
    p += item;
    if (*p == ',')
      ++p;
  }
  return list;
}

static void parse_options(int argc, char **argv, struct options *opt) {
  int i;
  opt->connections = 20000;
  opt->rounds = 5;
  opt->warmup = 1000;
  opt->block = 500;
  opt->listeners = 0;
  opt->methods = NULL;
  opt->tsv_path = NULL;
  opt->summary_path = NULL;
  /* Every option takes a value: they come in pairs. */
  for (i = 1; i < argc; i += 2) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
      usage(stdout);
      exit(0);
    }
    if (value == NULL) {
      usage(stderr);
      exit(2);
    }
    if (strcmp(arg, "-n") == 0)
      opt->connections = parse_count(value, arg, 1, 10000000);
    else if (strcmp(arg, "-r") == 0)
      opt->rounds = parse_count(value, arg, 1, BENCH_MAX_ROUNDS);
    else if (strcmp(arg, "-w") == 0)
      opt->warmup = parse_count(value, arg, 0, 10000000);
    else if (strcmp(arg, "-b") == 0)
      opt->block = parse_count(value, arg, 1, 10000000);
    else if (strcmp(arg, "-l") == 0)
      opt->listeners = parse_count(value, arg, 1, BENCH_MAX_LISTENERS);
    else if (strcmp(arg, "-m") == 0)
      opt->methods = check_methods(value);
    else if (strcmp(arg, "--tsv") == 0)
      opt->tsv_path = value;
    else if (strcmp(arg, "--summary") == 0)
      opt->summary_path = value;
    else {
      usage(stderr);
      exit(2);
    }
  }
}

/* Is this method named in -m (all are when -m is absent)? */
static int method_wanted(const struct options *opt, int method) {
  const char *p = opt->methods;
  size_t len = strlen(method_names[method]);
  if (p == NULL)
    return 1;
  while (*p != '\0') {
    size_t item = strcspn(p, ",");
    if (item == len && strncmp(p, method_names[method], len) == 0)
      return 1;
    p += item;
    if (*p == ',')
      ++p;
  }
  return 0;
}

static FILE *open_output(const char *path) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "bench_churn: cannot write %s: %s\n", path,
            strerror(errno));
    exit(1);
  }
  return f;
}

int main(int argc, char **argv) {
  static struct listeners ls;
  static double seconds[BENCH_MAX_ROUNDS][METHOD_COUNT];
  /* For every method, its time over raw's in each block: pairs of runs a
   * few milliseconds apart. */
  double *block_ratios[METHOD_COUNT] = {NULL};
  long blocks_per_round;
  long block_count = 0;
  struct options opt;
  int methods[METHOD_COUNT];
  int method_count = 0;
  int with_libuv = 0;
  long total;
  long listener_count;
  long round;
  unsigned long block_index = 0;
  int k;
  int err;
  FILE *tsv = NULL;

  parse_options(argc, argv, &opt);
  methods[method_count++] = METHOD_RAW;
  if (method_wanted(&opt, METHOD_SOCKCLOSE))
    methods[method_count++] = METHOD_SOCKCLOSE;
  if (method_wanted(&opt, METHOD_LIBUV)) {
#ifdef BENCH_HAVE_LIBUV
    methods[method_count++] = METHOD_LIBUV;
    with_libuv = 1;
#else
    if (opt.methods != NULL) {
      fprintf(stderr, "bench_churn: libuv was not found when this program "
                      "was configured (Debian: libuv1-dev)\n");
      return 2;
    }
#endif
  }
  if (method_wanted(&opt, METHOD_RAW_AGAIN))
    methods[method_count++] = METHOD_RAW_AGAIN;
  if (method_wanted(&opt, METHOD_SOCKCLOSE_CONN))
    methods[method_count++] = METHOD_SOCKCLOSE_CONN;

  total = (opt.warmup + opt.rounds * opt.connections +
           opt.rounds * ((opt.connections + opt.block - 1) / opt.block) *
               BENCH_BLOCK_WARMUP) *
          method_count;
  listener_count = opt.listeners;
  if (listener_count == 0) {
    listener_count = (total + BENCH_PER_LISTENER - 1) / BENCH_PER_LISTENER;
    if (listener_count < 16)
      listener_count = 16;
  }
  if (listener_count > BENCH_MAX_LISTENERS) {
    fprintf(stderr,
            "bench_churn: %ld connections need more than %d listeners to "
            "stay clear of TIME_WAIT port exhaustion; use fewer connections "
            "or rounds\n",
            total, BENCH_MAX_LISTENERS);
    return 2;
  }

  blocks_per_round = (opt.connections + opt.block - 1) / opt.block;
  for (k = 0; k < method_count; ++k) {
    block_ratios[methods[k]] =
        malloc((size_t)(opt.rounds * blocks_per_round) * sizeof(double));
    if (block_ratios[methods[k]] == NULL) {
      fprintf(stderr, "bench_churn: out of memory\n");
      return 1;
    }
  }

  if ((err = skc_init()) != 0)
    die("skc_init", err);
  listeners_open(&ls, listener_count);
#ifdef BENCH_HAVE_LIBUV
  if (with_libuv)
    churn_uv_open(listener_count);
#endif

  printf("connection churn over loopback: %ld connections per method per "
         "round, %ld rounds, %ld warm-up, methods take turns every %ld\n",
         opt.connections, opt.rounds, opt.warmup, opt.block);
  printf("each: connect, send %d bytes, shutdown(WR), peer reads to EOF and "
         "closes, client reads EOF and closes\n",
         BENCH_PAYLOAD);
  printf("%ld listeners (%ld connections per listener address over the "
         "run)\n",
         listener_count, (total + listener_count - 1) / listener_count);
#ifndef BENCH_HAVE_LIBUV
  printf("libuv: not built (libuv's development files were not found when "
         "configuring)\n");
#endif
  fflush(stdout);

  for (k = 0; k < method_count; ++k)
    run_method(methods[k], &ls, opt.warmup);

  if (opt.tsv_path != NULL) {
    tsv = open_output(opt.tsv_path);
    fprintf(tsv, "round\tmethod\tconnections\tseconds\tconnections_per_s\n");
  }
  printf("\n%-6s %-14s %10s %14s\n", "round", "method", "seconds", "conn/s");
  for (round = 0; round < opt.rounds; ++round) {
    long done = 0;
    for (k = 0; k < method_count; ++k)
      seconds[round][methods[k]] = 0;
    /* The methods take turns block by block, so that a burst of load from
     * elsewhere on the machine falls on all of them, in an order that
     * changes from block to block (see block_order). */
    while (done < opt.connections) {
      double block_seconds[METHOD_COUNT];
      long count = opt.connections - done;
      if (count > opt.block)
        count = opt.block;
      for (k = 0; k < method_count; ++k) {
        int method = methods[block_order(method_count, block_index, k)];
        /* Untimed: the method that ran before leaves colder caches for
         * some methods than for others (libuv's code and data are not the
         * raw loop's); a few connections of this method's own first make
         * every timed block start from the same state. */
        run_method(method, &ls, BENCH_BLOCK_WARMUP);
        block_seconds[method] = run_method(method, &ls, count);
        seconds[round][method] += block_seconds[method];
      }
      for (k = 0; k < method_count; ++k)
        block_ratios[methods[k]][block_count] =
            block_seconds[METHOD_RAW] / block_seconds[methods[k]];
      ++block_count;
      done += count;
      ++block_index;
    }
    for (k = 0; k < method_count; ++k) {
      int method = methods[k];
      double s = seconds[round][method];
      printf("%-6ld %-14s %10.3f %14.0f\n", round + 1, method_names[method],
             s, (double)opt.connections / s);
      if (tsv != NULL)
        fprintf(tsv, "%ld\t%s\t%ld\t%.6f\t%.1f\n", round + 1,
                method_names[method], opt.connections, s,
                (double)opt.connections / s);
      fflush(stdout);
    }
  }
  if (tsv != NULL)
    fclose(tsv);

  {
    static double rates[BENCH_MAX_ROUNDS];
    FILE *summary = NULL;
    double sockclose_ratio = 0;
    double again_ratio = 0;
    if (opt.summary_path != NULL) {
      summary = open_output(opt.summary_path);
      fprintf(summary, "method\tmedian_connections_per_s\tmin\tmax\t"
                       "ratio_to_raw\tratio_q1\tratio_q3\tblocks\n");
    }
    printf("\nrate: median, min and max over the %ld rounds; ratio to raw: "
           "median over the %ld\nblocks of the method's rate over raw's rate "
           "in the same block, with its middle half\n",
           opt.rounds, block_count);
    printf("\n%-14s %14s %10s %10s %14s %18s\n", "method", "median conn/s",
           "min", "max", "ratio to raw", "middle half");
    for (k = 0; k < method_count; ++k) {
      int method = methods[k];
      double *ratios = block_ratios[method];
      double rate_median, ratio_median, q1, q3;
      for (round = 0; round < opt.rounds; ++round)
        rates[round] = (double)opt.connections / seconds[round][method];
      /* median() sorts: afterwards the arrays run from smallest to
       * largest. */
      rate_median = median(rates, opt.rounds);
      ratio_median = median(ratios, block_count);
      q1 = ratios[block_count / 4];
      q3 = ratios[(3 * block_count) / 4];
      if (method == METHOD_SOCKCLOSE)
        sockclose_ratio = ratio_median;
      if (method == METHOD_RAW_AGAIN)
        again_ratio = ratio_median;
      printf("%-14s %14.0f %10.0f %10.0f %14.4f %8.4f..%.4f\n",
             method_names[method], rate_median, rates[0],
             rates[opt.rounds - 1], ratio_median, q1, q3);
      if (summary != NULL)
        fprintf(summary, "%s\t%.1f\t%.1f\t%.1f\t%.4f\t%.4f\t%.4f\t%ld\n",
                method_names[method], rate_median, rates[0],
                rates[opt.rounds - 1], ratio_median, q1, q3, block_count);
    }
    if (summary != NULL)
      fclose(summary);
    if (method_count > 1 && methods[1] == METHOD_SOCKCLOSE)
      printf("\nsockclose/raw: %.4f (%+.2f%%; the target is within 1%%)\n",
             sockclose_ratio, (sockclose_ratio - 1) * 100);
    if (methods[method_count - 1] == METHOD_RAW_AGAIN)
      printf("raw-again/raw: %.4f (%+.2f%%; the same code twice: the noise "
             "of this machine)\n",
             again_ratio, (again_ratio - 1) * 100);
  }

  for (k = 0; k < method_count; ++k)
    free(block_ratios[methods[k]]);
#ifdef BENCH_HAVE_LIBUV
  if (with_libuv)
    churn_uv_close();
#else
  (void)with_libuv;
#endif
  listeners_close(&ls);
  skc_cleanup();
  return 0;
}
