/*
 * Per-call cost in instructions, counted by callgrind: run it through
 * bench/callgrind.sh (valgrind --tool=callgrind --collect-atstart=no).
 *
 * Every measured call is bracketed by CALLGRIND_TOGGLE_COLLECT, so only
 * the call itself is counted (its argument set-up, the call, the function
 * and, for the socket calls, the C library's system call wrapper; the
 * kernel is not counted). Everything around it, such as making a fresh
 * connection for each close or refilling the receive queue for each recv,
 * runs uncounted. Each case is one dump (CALLGRIND_DUMP_STATS_AT) whose
 * label is "group|case|calls"; an empty bracket, measured the same way,
 * gives the cost of the brackets themselves, which the script subtracts.
 *
 * Outside valgrind the program makes and checks the same calls and prints
 * a note: a functional check with no counts.
 */
#if !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* with _POSIX_C_SOURCE, macOS hides INADDR_LOOPBACK and the BSD names */
#endif

#include <sockclose.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <valgrind/callgrind.h>

#define BENCH_CALLS 1000       /* calls per headline case */
#define BENCH_SWEEP_CALLS 100  /* calls per value of a sweep */
#define BENCH_SOCKET_CALLS 500 /* shutdown and close need a fresh connection */
#define BENCH_PAYLOAD 64

/* Each case runs through the same machine code whatever its argument: a
 * copy of the loop specialized for a constant argument would count one
 * instruction less for some cases than for others. */
#if defined(__clang__)
#define BENCH_NOINLINE __attribute__((noinline))
#elif defined(__GNUC__)
#define BENCH_NOINLINE __attribute__((noinline, noclone))
#else
#define BENCH_NOINLINE
#endif

/* Results land here so that no call can be optimized away. */
static volatile long sink_long;
static volatile const char *sink_ptr;

#define COUNTED(statement)                                                     \
  do {                                                                         \
    CALLGRIND_TOGGLE_COLLECT;                                                  \
    statement;                                                                 \
    CALLGRIND_TOGGLE_COLLECT;                                                  \
  } while (0)

static void case_begin(void) { CALLGRIND_ZERO_STATS; }

static void case_end(const char *group, const char *name, long calls) {
  char label[200];
  snprintf(label, sizeof label, "%s|%s|%ld", group, name, calls);
  CALLGRIND_DUMP_STATS_AT(label);
}

static void fail(const char *what) {
  fprintf(stderr, "bench_calls: %s failed: %s\n", what, strerror(errno));
  exit(1);
}

/* ---- lookups ---- */

/* The brackets alone, for every number of calls a case uses: the script
 * subtracts the one with the same count, so fixed costs cancel too. */
static void bench_empty(void) {
  static const long counts[] = {BENCH_CALLS, BENCH_SWEEP_CALLS,
                                BENCH_SOCKET_CALLS};
  size_t c;
  for (c = 0; c < sizeof counts / sizeof counts[0]; ++c) {
    long i;
    case_begin();
    for (i = 0; i < counts[c]; ++i)
      COUNTED((void)0);
    case_end("baseline", "empty bracket", counts[c]);
  }
}

static BENCH_NOINLINE void bench_translate(const char *group, const char *name, int native,
                            long calls) {
  long i;
  case_begin();
  for (i = 0; i < calls; ++i) {
    int err;
    COUNTED(err = skc_translate_error(native));
    sink_long = err;
  }
  case_end(group, name, calls);
}

static BENCH_NOINLINE void bench_err_name(const char *group, const char *name, int err,
                           long calls) {
  long i;
  case_begin();
  for (i = 0; i < calls; ++i) {
    const char *text;
    COUNTED(text = skc_err_name(err));
    sink_ptr = text;
  }
  case_end(group, name, calls);
}

static BENCH_NOINLINE void bench_strerror(const char *group, const char *name, int err,
                           long calls) {
  long i;
  case_begin();
  for (i = 0; i < calls; ++i) {
    const char *text;
    COUNTED(text = skc_strerror(err));
    sink_ptr = text;
  }
  case_end(group, name, calls);
}

/* The last SKC_E* code: the list grows at its end, so it is found by
 * asking, not named. */
static int last_code(void) {
  int err = SKC_EUNKNOWN;
  while (strcmp(skc_err_name(err - 1), "EUNKNOWN") != 0)
    --err;
  return err;
}

/* The smallest (first) or largest (last) native code that the translation
 * maps to a meaning, searched over 1..4095 (Linux errno values stay below
 * 4096). */
static int mapped_native(int largest) {
  int native, found = 0;
  for (native = 1; native < 4096; ++native)
    if (skc_translate_error(native) != SKC_EUNKNOWN) {
      found = native;
      if (!largest)
        break;
    }
  return found;
}

static void bench_lookups(void) {
  char name[96];
  char miss[96];
  int first_native = mapped_native(0);
  int last_native = mapped_native(1);
  int last = last_code();
  int native;
  int err;

  /* skc_translate_error: the first and last entry of the table (the
   * smallest and largest errno it maps), two entries from the middle, 0,
   * and misses, then every value from -1 to well past the last entry. */
  snprintf(name, sizeof name, "first entry: %s (%d)",
           skc_err_name(skc_translate_error(first_native)), first_native);
  bench_translate("skc_translate_error", name, first_native, BENCH_CALLS);
  snprintf(name, sizeof name, "last entry: %s (%d)",
           skc_err_name(skc_translate_error(last_native)), last_native);
  bench_translate("skc_translate_error", name, last_native, BENCH_CALLS);
  bench_translate("skc_translate_error", "ECONNRESET", ECONNRESET,
                  BENCH_CALLS);
  bench_translate("skc_translate_error", "EPIPE", EPIPE, BENCH_CALLS);
  bench_translate("skc_translate_error", "0", 0, BENCH_CALLS);
  bench_translate("skc_translate_error", "miss: -1", -1, BENCH_CALLS);
  snprintf(name, sizeof name, "miss: %d (last entry + 1)", last_native + 1);
  bench_translate("skc_translate_error", name, last_native + 1, BENCH_CALLS);
  bench_translate("skc_translate_error", "miss: INT_MAX", INT_MAX,
                  BENCH_CALLS);
  for (native = -1; native <= last_native + 75; ++native) {
    snprintf(name, sizeof name, "%d %s", native,
             skc_translate_error(native) == SKC_EUNKNOWN ? "miss" : "hit");
    bench_translate("sweep skc_translate_error", name, native,
                    BENCH_SWEEP_CALLS);
  }

  /* skc_err_name and skc_strerror: the first and last code of
   * SKC_ERRNO_MAP, one from the middle, 0, and misses on both sides and
   * far away, then every code and one past each end. */
  snprintf(name, sizeof name, "last: SKC_%s (%d)", skc_err_name(last), last);
  snprintf(miss, sizeof miss, "miss: %d (last - 1)", last - 1);
  bench_err_name("skc_err_name", "first: SKC_EUNKNOWN (-3000)", SKC_EUNKNOWN,
                 BENCH_CALLS);
  bench_err_name("skc_err_name", name, last, BENCH_CALLS);
  bench_err_name("skc_err_name", "SKC_ECONNRESET", SKC_ECONNRESET,
                 BENCH_CALLS);
  bench_err_name("skc_err_name", "0", 0, BENCH_CALLS);
  bench_err_name("skc_err_name", "miss: -2999", -2999, BENCH_CALLS);
  bench_err_name("skc_err_name", miss, last - 1, BENCH_CALLS);
  bench_err_name("skc_err_name", "miss: INT_MIN", INT_MIN, BENCH_CALLS);
  bench_strerror("skc_strerror", "first: SKC_EUNKNOWN (-3000)", SKC_EUNKNOWN,
                 BENCH_CALLS);
  bench_strerror("skc_strerror", name, last, BENCH_CALLS);
  bench_strerror("skc_strerror", "SKC_ECONNRESET", SKC_ECONNRESET,
                 BENCH_CALLS);
  bench_strerror("skc_strerror", "0", 0, BENCH_CALLS);
  bench_strerror("skc_strerror", "miss: -2999", -2999, BENCH_CALLS);
  bench_strerror("skc_strerror", miss, last - 1, BENCH_CALLS);
  bench_strerror("skc_strerror", "miss: INT_MIN", INT_MIN, BENCH_CALLS);
  for (err = SKC_EUNKNOWN + 1; err >= last - 1; --err) {
    snprintf(name, sizeof name, "%d %s", err,
             err > SKC_EUNKNOWN || err < last ? "miss" : "hit");
    bench_err_name("sweep skc_err_name", name, err, BENCH_SWEEP_CALLS);
    bench_strerror("sweep skc_strerror", name, err, BENCH_SWEEP_CALLS);
  }
}

/* ---- socket calls: success paths, raw and through sockclose ---- */

static int listener = -1;
static struct sockaddr_in listener_addr;

static void listener_open(void) {
  socklen_t len = (socklen_t)sizeof listener_addr;
  listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0)
    fail("socket");
  memset(&listener_addr, 0, sizeof listener_addr);
  listener_addr.sin_family = AF_INET;
  listener_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr *)&listener_addr,
           (socklen_t)sizeof listener_addr) != 0 ||
      listen(listener, 16) != 0 ||
      getsockname(listener, (struct sockaddr *)&listener_addr, &len) != 0)
    fail("listener");
}

/* A connected loopback pair: pair[0] the client, pair[1] the peer. */
static void connect_pair(int pair[2]) {
  pair[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (pair[0] < 0)
    fail("socket");
  if (connect(pair[0], (struct sockaddr *)&listener_addr,
              (socklen_t)sizeof listener_addr) != 0)
    fail("connect");
  pair[1] = accept(listener, NULL, NULL);
  if (pair[1] < 0)
    fail("accept");
}

static void close_checked(int fd) {
  if (close(fd) != 0)
    fail("close");
}

static void read_exactly(int fd, char *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = recv(fd, buf + got, len - got, 0);
    if (n <= 0)
      fail("recv (uncounted)");
    got += (size_t)n;
  }
}

static void check_count(const char *what, long n, long expected) {
  if (n != expected) {
    fprintf(stderr, "bench_calls: %s returned %ld, expected %ld\n", what, n,
            expected);
    exit(1);
  }
}

static void bench_send(int use_sockclose) {
  char buf[BENCH_PAYLOAD] = {0};
  int pair[2];
  long i;
  connect_pair(pair);
  case_begin();
  for (i = 0; i < BENCH_CALLS; ++i) {
    long n;
    if (use_sockclose)
      COUNTED(n = (long)skc_send(pair[0], buf, sizeof buf));
    else
      COUNTED(n = (long)send(pair[0], buf, sizeof buf, MSG_NOSIGNAL));
    check_count("send", n, BENCH_PAYLOAD);
    read_exactly(pair[1], buf, sizeof buf);
  }
  case_end("send, 64 bytes", use_sockclose ? "skc_send" : "send", BENCH_CALLS);
  close_checked(pair[0]);
  close_checked(pair[1]);
}

static void bench_recv(int use_sockclose) {
  char buf[BENCH_PAYLOAD] = {0};
  int pair[2];
  long i;
  connect_pair(pair);
  case_begin();
  for (i = 0; i < BENCH_CALLS; ++i) {
    long n;
    if (send(pair[1], buf, sizeof buf, MSG_NOSIGNAL) != BENCH_PAYLOAD)
      fail("send (uncounted)");
    if (use_sockclose)
      COUNTED(n = (long)skc_recv(pair[0], buf, sizeof buf));
    else
      COUNTED(n = (long)recv(pair[0], buf, sizeof buf, 0));
    check_count("recv", n, BENCH_PAYLOAD);
  }
  case_end("recv, 64 bytes", use_sockclose ? "skc_recv" : "recv", BENCH_CALLS);
  close_checked(pair[0]);
  close_checked(pair[1]);
}

/* The end-of-stream paths, where sockclose asks the TCP state once after
 * a recv that returned 0 (results that stay after a reset): the peer
 * closed in order (every recv returns 0), and the peer reset the
 * connection (after the first report, raw recv returns 0 and skc_recv
 * SKC_ECONNRESET). Both repeat without refilling anything. */
static void bench_recv_ended(int use_sockclose, int reset) {
  char buf[BENCH_PAYLOAD] = {0};
  struct linger lin = {1, 0};
  long expected = reset && use_sockclose ? SKC_ECONNRESET : 0;
  int pair[2];
  long i;
  connect_pair(pair);
  if (reset && setsockopt(pair[1], SOL_SOCKET, SO_LINGER, &lin,
                          (socklen_t)sizeof lin) != 0)
    fail("SO_LINGER");
  close_checked(pair[1]);
  /* The first recv reports the reset (or the end) itself: uncounted. */
  while (recv(pair[0], buf, sizeof buf, 0) > 0) {
  }
  case_begin();
  for (i = 0; i < BENCH_CALLS; ++i) {
    long n;
    if (use_sockclose)
      COUNTED(n = (long)skc_recv(pair[0], buf, sizeof buf));
    else
      COUNTED(n = (long)recv(pair[0], buf, sizeof buf, 0));
    check_count(reset ? "recv after a reset" : "recv at the end", n,
                expected);
  }
  case_end(reset ? "ended recv, after a reset" : "ended recv, end of stream",
           use_sockclose ? "skc_recv" : "recv", BENCH_CALLS);
  close_checked(pair[0]);
}

static void bench_shutdown(int use_sockclose) {
  long i;
  case_begin();
  for (i = 0; i < BENCH_SOCKET_CALLS; ++i) {
    int pair[2];
    long result;
    connect_pair(pair);
    if (use_sockclose)
      COUNTED(result = skc_shutdown(pair[0], SKC_SHUT_WR));
    else
      COUNTED(result = shutdown(pair[0], SHUT_WR));
    check_count("shutdown", result, 0);
    close_checked(pair[1]);
    close_checked(pair[0]);
  }
  case_end("shutdown(WR)", use_sockclose ? "skc_shutdown" : "shutdown",
           BENCH_SOCKET_CALLS);
}

static void bench_close(int use_sockclose) {
  long i;
  case_begin();
  for (i = 0; i < BENCH_SOCKET_CALLS; ++i) {
    int pair[2];
    long result;
    connect_pair(pair);
    if (use_sockclose)
      COUNTED(result = skc_close(pair[0]));
    else
      COUNTED(result = close(pair[0]));
    check_count("close", result, 0);
    close_checked(pair[1]);
  }
  case_end("close, connected socket", use_sockclose ? "skc_close" : "close",
           BENCH_SOCKET_CALLS);
}

int main(void) {
  int use_sockclose;
  if (skc_init() != 0) {
    fprintf(stderr, "bench_calls: skc_init failed\n");
    return 1;
  }
  listener_open();
  bench_empty();
  bench_lookups();
  for (use_sockclose = 0; use_sockclose <= 1; ++use_sockclose) {
    bench_send(use_sockclose);
    bench_recv(use_sockclose);
    bench_shutdown(use_sockclose);
    bench_close(use_sockclose);
    bench_recv_ended(use_sockclose, 0);
    bench_recv_ended(use_sockclose, 1);
  }
  /* The bracket once more at the end: it must cost what it did at first. */
  bench_empty();
  close_checked(listener);
  skc_cleanup();
  if (!RUNNING_ON_VALGRIND)
    printf("bench_calls: every call made and checked; run it through "
           "bench/callgrind.sh for instruction counts\n");
  return 0;
}
