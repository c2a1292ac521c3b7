/*
 * sockclose-fault: the fault-injection search. Every public operation is
 * run with its 1st, 2nd, 3rd, ... system or allocation call failed (by
 * the shim, fault.h), with each errno that call can return, until the
 * operation completes without reaching the failed call. After each run
 * the invariants that must hold whatever fails are checked:
 *
 *  - the result is one the header documents for the operation, and a
 *    closing operation never returns a code skc_is_try_again() accepts;
 *  - after a failure the native error slot (errno) holds the native code
 *    of the result, or the code the failed call returned;
 *  - no descriptor leaks (the process's descriptors are counted) and no
 *    memory leaks (LeakSanitizer in the ASan build), no crash;
 *  - the peer sees what the caller was told: abort reported 0 means the
 *    peer sees an RST; a graceful close reported 0 means the peer got
 *    every byte and the end of stream; a failed send or shutdown means
 *    the peer got nothing.
 *
 * Usage: sockclose-fault [--quick | --exhaustive] [--op NAME] [--verbose]
 *   (none)        one failed call per run, every errno of it (CI, ~30 s)
 *   --quick       only the first errno of each call
 *   --exhaustive  also a second pass in which the Nth call and every one
 *                 after it fail (resources that stay exhausted), every
 *                 errno (about 70 s)
 * Exit status 0 when every invariant held, 1 otherwise.
 */
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#include "sockclose.h"
#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- bookkeeping ---- */

static const char *current_op;
static long current_n;
static int current_variant;
static int current_sticky;
static long violations, runs;
static int verbose;

static void violation(const char *what, long long got) {
  violations++;
  fprintf(stderr,
          "VIOLATION %s: call %ld (%s failed with %s): %s (got %lld, %s)\n",
          current_op, current_n,
          skcf_fired() ? skcf_call_name(skcf_fired_call()) : "-",
          skcf_fired() ? strerror(skcf_fired_errno()) : "-", what, got,
          got < 0 ? skc_err_name((int)got) : "-");
}

#define CHECK(cond, what, got)                                                 \
  do {                                                                         \
    if (!(cond))                                                               \
      violation(what, (long long)(got));                                       \
  } while (0)

/* Open descriptors of this process. */
static int count_descriptors(void) {
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (dir == NULL)
    return -1;
  while ((e = readdir(dir)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(dir);
  return n - 1; /* the directory's own */
}

static int is_open(skc_socket_t s) { return fcntl((int)s, F_GETFD) != -1; }

/* A failed result: a documented, named code, and errno holds its native
 * code or that of the failed call. */
static void check_failure(long long rc, int saved_errno) {
  CHECK(strcmp(skc_err_name((int)rc), "EUNKNOWN") != 0, "unknown code", rc);
  CHECK(skc_translate_error(saved_errno) == rc ||
            (skcf_fired() && saved_errno == skcf_fired_errno()),
        "errno does not hold the native code", saved_errno);
}

static void check_not_retryable(long long rc) {
  CHECK(rc >= 0 || !skc_is_try_again((int)rc),
        "a closing operation returned a retryable code", rc);
}

/* ---- what the peer sees ---- */

enum { PEER_NOTHING, PEER_FIN, PEER_RST };

/* Waits up to ms for the peer's state to move, then tells what arrived:
 * CLOSED after an RST (tcp_reset), CLOSE_WAIT after a FIN only. Unread
 * data is left alone. */
static int peer_sees(skc_socket_t peer, int ms, int want) {
  int state = 0, waited;
  for (waited = 0; waited <= ms; waited++) {
    state = skc_tcp_state(peer);
    if (state == SKC_TCP_CLOSED)
      return PEER_RST;
    if (state == SKC_TCP_CLOSE_WAIT && want != PEER_RST)
      return PEER_FIN;
    {
      struct timespec ts = {0, 1000000L};
      nanosleep(&ts, NULL);
    }
  }
  return state == SKC_TCP_CLOSE_WAIT ? PEER_FIN : PEER_NOTHING;
}

/* Reads what is queued until the end of stream or a reset: the byte
 * count, -1 after a reset. */
static long long drain(skc_socket_t s) {
  char buf[4096];
  long long total = 0;
  for (;;) {
    struct pollfd p;
    ptrdiff_t r;
    p.fd = (int)s;
    p.events = POLLIN;
    if (poll(&p, 1, 2000) <= 0)
      return total;
    r = skc_recv(s, buf, sizeof buf);
    if (r == 0)
      return total;
    if (r < 0)
      return -1;
    total += r;
  }
}

static void pair(skc_socket_t p[2]) {
  if (skc_tcp_pair(p) != 0) {
    fprintf(stderr, "sockclose-fault: skc_tcp_pair failed without a fault\n");
    exit(2);
  }
}

static void quiet_close(skc_socket_t s) {
  if (s != SKC_INVALID_SOCKET && is_open(s))
    skc_close(s);
}

/* Arm for this run: the nth counted call fails. */
static void arm(void) {
  skcf_arm(current_n, 0, current_variant, current_sticky);
}

/* ---- the operations ---- */

static void op_tcp_pair(void) {
  skc_socket_t p[2];
  int before = count_descriptors(), rc, saved;
  arm();
  rc = skc_tcp_pair(p);
  saved = errno;
  skcf_disarm();
  if (rc == 0) {
    char c = 'p';
    CHECK(skc_send(p[0], &c, 1) == 1, "pair not connected", 0);
    CHECK(skc_recv(p[1], &c, 1) == 1, "pair not connected", 0);
    skc_close(p[0]);
    skc_close(p[1]);
  } else {
    check_failure(rc, saved);
    CHECK(rc != SKC_EINTR, "tcp_pair failed with EINTR", rc);
    CHECK(p[0] == SKC_INVALID_SOCKET && p[1] == SKC_INVALID_SOCKET,
          "failed pair not reset", rc);
  }
  CHECK(count_descriptors() == before, "descriptor leak", count_descriptors() - before);
}

static void op_close(void) {
  skc_socket_t p[2];
  int before, rc, saved;
  pair(p);
  before = count_descriptors();
  arm();
  rc = skc_close(p[0]);
  saved = errno;
  skcf_disarm();
  if (rc != 0)
    check_failure(rc, saved);
  if (rc == 0)
    CHECK(peer_sees(p[1], 1000, PEER_FIN) == PEER_FIN, "close 0, peer saw no FIN", rc);
  /* Linux releases the descriptor whatever close reports. */
  CHECK(count_descriptors() == before - 1, "descriptor leak", count_descriptors() - before);
  skc_close(p[1]);
}

static void op_shutdown(void) {
  skc_socket_t p[2];
  int rc, saved, seen;
  pair(p);
  arm();
  rc = skc_shutdown(p[0], SKC_SHUT_WR);
  saved = errno;
  skcf_disarm();
  seen = peer_sees(p[1], rc == 0 ? 1000 : 20, PEER_FIN);
  if (rc == 0) {
    CHECK(seen == PEER_FIN, "shutdown 0, peer saw no FIN", rc);
  } else {
    check_failure(rc, saved);
    CHECK(seen == PEER_NOTHING, "shutdown failed, peer saw the end", rc);
  }
  skc_close(p[0]);
  skc_close(p[1]);
}

static void op_abort(void) {
  skc_socket_t p[2];
  int before, rc, saved, seen;
  pair(p);
  before = count_descriptors();
  arm();
  rc = skc_abort(p[0]);
  saved = errno;
  skcf_disarm();
  seen = peer_sees(p[1], 1000, PEER_RST);
  if (rc == 0) {
    CHECK(seen == PEER_RST, "abort 0, peer saw no RST", seen);
  } else {
    check_failure(rc, saved);
    /* A failed SO_LINGER: the close was an ordinary one. */
    if (skcf_fired() && skcf_fired_call() == SKCF_setsockopt)
      CHECK(seen == PEER_FIN, "abort failed, peer saw no ordinary end", seen);
  }
  CHECK(!is_open(p[0]), "abort left the handle open", rc);
  CHECK(count_descriptors() == before - 1, "descriptor leak", count_descriptors() - before);
  skc_close(p[1]);
}

static void op_send(void) {
  skc_socket_t p[2];
  char buf[1000];
  ptrdiff_t rc;
  int saved;
  long long got;
  memset(buf, 's', sizeof buf);
  pair(p);
  arm();
  rc = skc_send(p[0], buf, sizeof buf);
  saved = errno;
  skcf_disarm();
  if (rc < 0)
    check_failure(rc, saved);
  skc_shutdown(p[0], SKC_SHUT_WR);
  got = drain(p[1]);
  CHECK(got == (rc < 0 ? 0 : rc), "peer got other than what send reported", got);
  skc_close(p[0]);
  skc_close(p[1]);
}

static void op_recv(void) {
  skc_socket_t p[2];
  char buf[64];
  ptrdiff_t rc;
  int saved;
  long long rest;
  pair(p);
  skc_send(p[1], "0123456789", 10);
  skc_shutdown(p[1], SKC_SHUT_WR);
  peer_sees(p[0], 1000, PEER_FIN);
  arm();
  rc = skc_recv(p[0], buf, sizeof buf);
  saved = errno;
  skcf_disarm();
  if (rc < 0)
    check_failure(rc, saved);
  rest = drain(p[0]);
  CHECK((rc < 0 ? 0 : rc) + rest == 10, "bytes lost by a failed recv", rest);
  skc_close(p[0]);
  skc_close(p[1]);
}

static void op_recvv(void) {
  skc_socket_t p[2];
  char a[4], b[60];
  skc_recv_buf bufs[2];
  ptrdiff_t rc;
  int saved;
  long long rest;
  bufs[0].base = a;
  bufs[0].len = sizeof a;
  bufs[1].base = b;
  bufs[1].len = sizeof b;
  pair(p);
  skc_send(p[1], "0123456789", 10);
  skc_shutdown(p[1], SKC_SHUT_WR);
  peer_sees(p[0], 1000, PEER_FIN);
  arm();
  rc = skc_recvv(p[0], bufs, 2);
  saved = errno;
  skcf_disarm();
  if (rc < 0)
    check_failure(rc, saved);
  rest = drain(p[0]);
  CHECK((rc < 0 ? 0 : rc) + rest == 10, "bytes lost by a failed recvv", rest);
  skc_close(p[0]);
  skc_close(p[1]);
}

/* The peer has sent its request and closed its side; we answer 100
 * bytes and close gracefully. */
static void op_close_graceful_polite(void) {
  skc_socket_t p[2];
  char response[100];
  int before, rc, saved;
  long long got;
  memset(response, 'r', sizeof response);
  pair(p);
  skc_send(p[1], "request", 7);
  skc_shutdown(p[1], SKC_SHUT_WR);
  skc_send(p[0], response, sizeof response);
  before = count_descriptors();
  arm();
  rc = skc_close_graceful(p[0], 2000);
  saved = errno;
  skcf_disarm();
  check_not_retryable(rc);
  if (rc != 0)
    check_failure(rc, saved);
  /* The peer closed first, so both FINs leave its socket in CLOSE like
   * a reset does: its receive tells them apart (-1 after a reset). */
  got = drain(p[1]);
  if (rc == 0)
    CHECK(got == (long long)sizeof response, "graceful 0, peer lost data or saw a reset",
          got);
  if (rc != SKC_EBADF)
    CHECK(count_descriptors() == before - 1, "descriptor leak",
          count_descriptors() - before);
  quiet_close(p[0]);
  skc_close(p[1]);
}

/* The peer never closes: the deadline ends in an abort. */
static void op_close_graceful_silent(void) {
  skc_socket_t p[2];
  int before, rc, saved, seen;
  pair(p);
  before = count_descriptors();
  arm();
  rc = skc_close_graceful(p[0], 30);
  saved = errno;
  skcf_disarm();
  check_not_retryable(rc);
  CHECK(rc != 0, "graceful 0 although the peer never closed", rc);
  if (rc != 0)
    check_failure(rc, saved);
  seen = peer_sees(p[1], 1000, PEER_RST);
  if (rc == SKC_ETIMEDOUT)
    CHECK(seen == PEER_RST, "graceful ETIMEDOUT, peer saw no RST", seen);
  if (rc != SKC_EBADF)
    CHECK(count_descriptors() == before - 1, "descriptor leak",
          count_descriptors() - before);
  quiet_close(p[0]);
  skc_close(p[1]);
}

struct closer_outcome {
  int calls;
  int result;
};

static void note(void *user, skc_socket_t s, int result,
                 const skc_graceful_report *report) {
  struct closer_outcome *o = user;
  (void)s;
  (void)report;
  o->calls++;
  o->result = result;
}

static void op_closer(void) {
  skc_socket_t polite[2], silent[2];
  skc_closer *closer = NULL;
  struct closer_outcome po = {0, 1}, so = {0, 1};
  int before, rc, run_rc = 0, added_polite = 0, added_silent = 0;
  pair(polite);
  pair(silent);
  skc_send(polite[1], "request", 7);
  skc_shutdown(polite[1], SKC_SHUT_WR);
  before = count_descriptors();
  arm();
  rc = skc_closer_new(&closer);
  if (rc == 0) {
    added_polite = skc_closer_add(closer, polite[0], 2000, note, &po) == 0;
    added_silent = skc_closer_add(closer, silent[0], 30, note, &so) == 0;
    do
      run_rc = skc_closer_run(closer, -1);
    while (run_rc > 0);
    skc_closer_free(closer);
  }
  skcf_disarm();
  /* closer_new documents ENOMEM, EMFILE, ENFILE "or another code of
   * that call" (the epoll/kqueue set-up). */
  if (rc < 0 && skcf_fired())
    CHECK(rc == SKC_ENOMEM || rc == SKC_EMFILE || rc == SKC_ENFILE ||
              rc == skc_translate_error(skcf_fired_errno()),
          "closer: undocumented code", rc);
  /* A wait that fails for want of resources is ridden out, not returned
   * (a caller that loops on run would spin on it). */
  CHECK(run_rc >= 0 || (!skc_is_try_again(run_rc) && run_rc != SKC_ENOMEM &&
                        run_rc != SKC_ENOBUFS),
        "closer_run returned a transient wait failure", run_rc);
  if (added_polite) {
    CHECK(po.calls == 1, "polite close not delivered once", po.calls);
    check_not_retryable(po.result);
    if (po.result == 0)
      CHECK(drain(polite[1]) == 0, "closer 0, peer saw a reset", 0);
  }
  if (added_silent) {
    CHECK(so.calls == 1, "silent close not delivered once", so.calls);
    CHECK(so.result != 0, "closer 0 although the peer never closed", so.result);
    check_not_retryable(so.result);
    if (so.result == SKC_ETIMEDOUT)
      CHECK(peer_sees(silent[1], 1000, PEER_RST) == PEER_RST,
            "closer ETIMEDOUT, peer saw no RST", 0);
  }
  CHECK(count_descriptors() == before - added_polite - added_silent,
        "descriptor leak", count_descriptors() - before);
  if (!added_polite)
    skc_close(polite[0]);
  if (!added_silent)
    skc_close(silent[0]);
  skc_close(polite[1]);
  skc_close(silent[1]);
}

static void op_leak_check(void) {
  skc_leak_snapshot *snapshot = NULL;
  skc_socket_t leaked[2], open_one;
  skc_leak_report report;
  int before, rc, saved;
  if (skc_leak_snapshot_take(&snapshot) != 0) {
    violation("snapshot failed without a fault", 0);
    return;
  }
  pair(leaked);
  skc_close(leaked[1]);
  open_one = socket(AF_INET, SOCK_STREAM, 0);
  peer_sees(leaked[0], 1000, PEER_FIN);
  before = count_descriptors();
  arm();
  rc = skc_leak_check(snapshot, &report);
  saved = errno;
  skcf_disarm();
  if (rc < 0)
    check_failure(rc, saved);
  else
    CHECK(rc == 2, "leak check under- or over-reports (2 real leaks)", rc);
  CHECK(count_descriptors() == before, "descriptor leak", count_descriptors() - before);
  skc_leak_snapshot_free(snapshot);
  skc_close(leaked[0]);
  close(open_one);
}

static void op_leak_snapshot(void) {
  skc_leak_snapshot *snapshot = NULL;
  int before = count_descriptors(), rc, saved;
  arm();
  rc = skc_leak_snapshot_take(&snapshot);
  saved = errno;
  skcf_disarm();
  if (rc < 0) {
    check_failure(rc, saved);
    CHECK(snapshot == NULL, "failed snapshot not NULL", rc);
  } else {
    CHECK(skc_leak_check(snapshot, NULL) == 0, "snapshot incomplete", 0);
  }
  skc_leak_snapshot_free(snapshot);
  CHECK(count_descriptors() == before, "descriptor leak", count_descriptors() - before);
}

static void op_audit(void) {
  skc_socket_t p[2];
  skc_audit_options options;
  skc_connection *list = NULL;
  size_t count = 99, i, ours = 0;
  int before, rc, saved;
  pair(p);
  memset(&options, 0, sizeof options);
  options.pid = (long)getpid();
  before = count_descriptors();
  arm();
  rc = skc_audit_list(&options, &list, &count);
  saved = errno;
  skcf_disarm();
  if (rc < 0) {
    check_failure(rc, saved);
    CHECK(list == NULL && count == 0, "failed audit returned rows", (long long)count);
  } else {
    for (i = 0; i < count; i++)
      if (list[i].state == SKC_TCP_ESTABLISHED && list[i].pid == (long)getpid())
        ours++;
    CHECK(ours == 2, "audit success without our two connections", (long long)ours);
  }
  skc_audit_free(list);
  CHECK(count_descriptors() == before, "descriptor leak", count_descriptors() - before);
  skc_close(p[0]);
  skc_close(p[1]);
}

static void op_tcp_state(void) {
  skc_socket_t p[2];
  int rc, saved;
  pair(p);
  arm();
  rc = skc_tcp_state(p[0]);
  saved = errno;
  skcf_disarm();
  if (rc < 0)
    check_failure(rc, saved);
  else
    CHECK(rc == SKC_TCP_ESTABLISHED, "wrong state", rc);
  skc_close(p[0]);
  skc_close(p[1]);
}

static void op_set_inheritable(void) {
  skc_socket_t p[2];
  int rc, saved, flags;
  pair(p);
  arm();
  rc = skc_set_inheritable(p[0], 1);
  saved = errno;
  skcf_disarm();
  flags = fcntl((int)p[0], F_GETFD);
  if (rc < 0)
    check_failure(rc, saved);
  else
    CHECK((flags & FD_CLOEXEC) == 0, "inheritable 0 but FD_CLOEXEC still set", flags);
  skc_close(p[0]);
  skc_close(p[1]);
}

static void op_listen_reuse(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int rc, saved, on = 0;
  socklen_t len = sizeof on;
  arm();
  rc = skc_listen_reuse(s);
  saved = errno;
  skcf_disarm();
  getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, &len);
  if (rc < 0)
    check_failure(rc, saved);
  else
    CHECK(on != 0, "listen_reuse 0 but SO_REUSEADDR off", on);
  close(s);
}

static const struct {
  const char *name;
  void (*run)(void);
} ops[] = {
    {"tcp_pair", op_tcp_pair},
    {"close", op_close},
    {"shutdown", op_shutdown},
    {"abort", op_abort},
    {"send", op_send},
    {"recv", op_recv},
    {"recvv", op_recvv},
    {"close_graceful_polite", op_close_graceful_polite},
    {"close_graceful_silent", op_close_graceful_silent},
    {"closer", op_closer},
    {"leak_snapshot", op_leak_snapshot},
    {"leak_check", op_leak_check},
    {"audit", op_audit},
    {"tcp_state", op_tcp_state},
    {"set_inheritable", op_set_inheritable},
    {"listen_reuse", op_listen_reuse},
};

/* The most errno values any call has. */
static int max_variants(void) {
  int call, most = 1;
  for (call = 0; call < SKCF_CALL_COUNT; call++)
    if (skcf_variants(call) > most)
      most = skcf_variants(call);
  return most;
}

int main(int argc, char **argv) {
  const char *only = NULL;
  int quick = 0, exhaustive = 0, i, variants;
  size_t k;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0)
      quick = 1;
    else if (strcmp(argv[i], "--exhaustive") == 0)
      exhaustive = 1;
    else if (strcmp(argv[i], "--verbose") == 0)
      verbose = 1;
    else if (strcmp(argv[i], "--op") == 0 && i + 1 < argc)
      only = argv[++i];
    else {
      fprintf(stderr, "usage: sockclose-fault [--quick | --exhaustive] [--op NAME] "
                      "[--verbose]\n");
      return 2;
    }
  }
  if (skc_init() != 0)
    return 2;
  setvbuf(stdout, NULL, _IONBF, 0);
  variants = quick ? 1 : max_variants();
  for (current_sticky = 0; current_sticky <= exhaustive; current_sticky++) {
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++) {
      long op_runs = 0, longest = 0;
      long before = violations;
      if (only != NULL && strcmp(only, ops[k].name) != 0)
        continue;
      current_op = ops[k].name;
      for (current_variant = 0; current_variant < variants; current_variant++) {
        for (current_n = 1;; current_n++) {
          ops[k].run();
          runs++;
          op_runs++;
          if (verbose && skcf_fired())
            printf("  %s #%ld %s %s\n", current_op, current_n,
                   skcf_call_name(skcf_fired_call()), strerror(skcf_fired_errno()));
          if (!skcf_fired())
            break; /* completed without reaching the nth call */
        }
        if (current_n - 1 > longest)
          longest = current_n - 1;
      }
      printf("%-24s %s %5ld runs, up to %3ld calls, %ld violations\n", current_op,
             current_sticky ? "from N on" : "call N   ", op_runs, longest,
             violations - before);
    }
  }
  printf("sockclose-fault: %ld runs, %ld violations\n", runs, violations);
  skc_cleanup();
  return violations == 0 ? 0 : 1;
}
