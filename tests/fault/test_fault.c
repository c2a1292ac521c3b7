/*
 * Regression tests that need a failure only the fault shim can produce
 * (Linux): a wait that fails once or always, an SO_LINGER that cannot be
 * set, a descriptor listing that fails half-way, /proc that cannot be
 * read, a netlink answer cut short. Each fails on the code before its fix.
 */
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#include "skc_test.h"
#include "fault.h"
#include "../../src/posix/audit_linux.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LONG_TIMEOUT_MS 20000

/* ---- a wait that fails does not end the blocking close ---- */

struct closing_peer {
  skc_socket_t s;
  ptrdiff_t got; /* what its recv returned: 0 is the orderly end */
};

/* The peer waits for our FIN, then closes in order. It waits in a
 * blocking recv, not in poll: this thread's calls pass through the same
 * wrappers, and a poll here could be the one the test arms to fail. */
static void peer_closes_after_fin(void *arg) {
  struct closing_peer *peer = arg;
  char c;
  peer->got = skc_recv(peer->s, &c, 1);
  /* Late enough that the close is waiting by then. */
  skct_sleep_ms(50);
  skc_close(peer->s);
}

static void graceful_close_with_one_failed_wait(int code, int variant) {
  skc_socket_t p[2];
  struct closing_peer peer;
  skct_thread thread;
  int rc;
  SKCT_PAIR(p);
  peer.s = p[1];
  assert_int_equal(skct_thread_start(&thread, peer_closes_after_fin, &peer), 0);
  skcf_arm(1, 1ul << SKCF_poll, variant, 0);
  rc = skc_close_graceful(p[0], LONG_TIMEOUT_MS);
  skcf_disarm();
  skct_thread_join(&thread);
  assert_true(skcf_fired());
  assert_int_equal(skcf_fired_errno(), code);
  assert_int_equal(rc, 0);
  assert_int_equal(peer.got, 0);
}

static void graceful_close_rides_out_a_failed_wait(void **state) {
  (void)state;
  graceful_close_with_one_failed_wait(EAGAIN, 2);
  graceful_close_with_one_failed_wait(ENOMEM, 1);
}

/* ---- the closer does not spin or give up when every wait fails ---- */

struct closer_result {
  int calls;
  int result;
};

static void note_result(void *user, skc_socket_t s, int result,
                        const skc_graceful_report *report) {
  struct closer_result *r = user;
  (void)s;
  (void)report;
  r->calls++;
  r->result = result;
}

static void closer_backs_off_when_every_wait_fails(void **state) {
  skc_socket_t silent[2], polite[2];
  skc_closer *closer = NULL;
  struct closer_result silent_result = {0, 1}, polite_result = {0, 1};
  long polls;
  int rc;
  char c;
  (void)state;
  SKCT_PAIR(silent);
  SKCT_PAIR(polite);
  assert_int_equal(skc_closer_new(&closer), 0);
  assert_int_equal(skc_closer_add(closer, silent[0], 300, note_result, &silent_result), 0);
  assert_int_equal(skc_closer_add(closer, polite[0], LONG_TIMEOUT_MS, note_result,
                                  &polite_result),
                   0);
  /* The polite peer reads our FIN and closes; its FIN arrives while
   * every wait fails. */
  skct_expect_eof(polite[1]);
  assert_int_equal(skc_close(polite[1]), 0);
  /* The closer waits with epoll on Linux (poll elsewhere without epoll or
   * kqueue); ENOMEM as kevent returns it. */
  skcf_arm(1, (1ul << SKCF_poll) | (1ul << SKCF_epoll_wait), 1 /* ENOMEM */, 1);
  rc = skc_closer_run(closer, -1);
  polls = skcf_calls();
  skcf_disarm();
  printf("closer: run returned %s after %ld failed waits\n", skc_err_name(rc), polls);
  assert_int_equal(rc, 0);
  assert_int_equal(polite_result.calls, 1);
  assert_int_equal(polite_result.result, 0);
  assert_int_equal(silent_result.calls, 1);
  assert_int_equal(silent_result.result, SKC_ETIMEDOUT);
  /* 300 ms of pauses from 1 ms doubling: about ten waits, not a spin. */
  assert_true(polls >= 3 && polls <= 30);
  /* The silent peer was aborted: it reads our FIN, then its writes meet
   * the reset. */
  skct_expect_eof(silent[1]);
  c = 'x';
  assert_int_equal(skc_send(silent[1], &c, 1), SKC_ECONNRESET);
  skc_closer_free(closer);
  assert_int_equal(skc_close(silent[1]), 0);
}

/* ---- skc_abort: a failed SO_LINGER is not reported as an abort ---- */

static void abort_reports_a_failed_linger(void **state) {
  skc_socket_t p[2];
  int rc;
  char c;
  (void)state;
  SKCT_PAIR(p);
  skcf_arm(1, 1ul << SKCF_setsockopt, 0 /* ENOMEM */, 0);
  rc = skc_abort(p[0]);
  skcf_disarm();
  assert_true(skcf_fired());
  assert_int_equal(rc, SKC_ENOMEM);
  assert_int_equal(errno, ENOMEM);
  /* The handle is closed all the same. */
  assert_int_equal(fcntl((int)p[0], F_GETFD), -1);
  assert_int_equal(errno, EBADF);
  /* And the peer saw what the caller was told: no reset, an ordinary
   * end. */
  assert_true(skct_wait_readable(p[1], SKCT_DEADLINE_MS));
  assert_int_equal(skc_recv(p[1], &c, 1), 0);
  assert_int_equal(skc_close(p[1]), 0);
}

/* ---- skc_leak_check: a failure mid-listing is an error, not fewer ---- */

static void leak_check_never_under_reports(void **state) {
  static const int calls[] = {SKCF_readdir, SKCF_readlinkat, SKCF_getsockopt,
                              SKCF_getsockname, SKCF_getpeername, SKCF_ioctl};
  skc_leak_snapshot *snapshot = NULL;
  skc_socket_t leaked[2], open_one;
  size_t i;
  int short_counts = 0, failures = 0, runs = 0;
  (void)state;
  assert_int_equal(skc_leak_snapshot_take(&snapshot), 0);
  /* Two leaks: a connection left in CLOSE_WAIT and an open socket. */
  SKCT_PAIR(leaked);
  assert_int_equal(skc_close(leaked[1]), 0);
  open_one = skct_tcp_socket();
  assert_true(open_one != SKC_INVALID_SOCKET);
  assert_true(skct_wait_readable(leaked[0], SKCT_DEADLINE_MS));
  assert_int_equal(skc_leak_check(snapshot, NULL), 2);
  for (i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    int v;
    for (v = 0; v < skcf_variants(calls[i]); v++) {
      long n;
      for (n = 1;; n++) {
        int found;
        skcf_arm(n, 1ul << calls[i], v, 0);
        found = skc_leak_check(snapshot, NULL);
        skcf_disarm();
        if (!skcf_fired())
          break;
        runs++;
        if (found >= 0 && found != 2) {
          short_counts++;
          printf("%s fails (%d) at call %ld: %d findings, 2 real\n",
                 skcf_call_name(calls[i]), skcf_fired_errno(), n, found);
        } else if (found < 0) {
          failures++;
        }
      }
    }
  }
  printf("leak check: %d runs with a failed call, %d failed, %d short\n", runs,
         failures, short_counts);
  assert_true(runs > 0);
  assert_int_equal(short_counts, 0);
  assert_int_equal(skc_close(leaked[0]), 0);
  assert_int_equal(skc_close(open_one), 0);
  skc_leak_snapshot_free(snapshot);
}

/* ---- the audit's owners: never a short answer passed off as complete */

static void audit_owners_fail_when_descriptors_run_out(void **state) {
  skc_audit_options options;
  skc_connection *list = NULL;
  size_t count = 0;
  skc_socket_t p[2];
  int rc;
  (void)state;
  SKCT_PAIR(p);
  memset(&options, 0, sizeof options);
  options.owners = 1;
  /* The first opendir is /proc, the second the first process's fd. */
  skcf_arm(2, 1ul << SKCF_opendir, 0 /* EMFILE */, 0);
  rc = skc_audit_list(&options, &list, &count);
  skcf_disarm();
  assert_true(skcf_fired());
  assert_int_equal(rc, SKC_EMFILE);
  assert_null(list);
  /* With a pid filter, a process whose descriptors cannot be read. */
  options.owners = 0;
  options.pid = (long)getpid();
  skcf_arm(1, 1ul << SKCF_opendir, 3 /* EACCES */, 0);
  rc = skc_audit_list(&options, &list, &count);
  skcf_disarm();
  assert_true(skcf_fired());
  assert_int_equal(rc, SKC_EACCES);
  assert_int_equal(errno, EACCES);
  assert_null(list);
  /* And unharmed, our own connection is found. */
  assert_int_equal(skc_audit_list(&options, &list, &count), 0);
  assert_true(count >= 2);
  skc_audit_free(list);
  assert_int_equal(skc_close(p[0]), 0);
  assert_int_equal(skc_close(p[1]), 0);
}

static void audit_pid_of_no_process_is_esrch(void **state) {
  skc_audit_options options;
  skc_connection *list = NULL;
  size_t count = 7;
  (void)state;
  memset(&options, 0, sizeof options);
  /* Above any pid_max Linux allows (2^22). */
  options.pid = 2147483647L;
  assert_int_equal(skc_audit_list(&options, &list, &count), SKC_ESRCH);
  assert_int_equal(errno, ESRCH);
  assert_null(list);
  assert_int_equal(count, 0);
}

/* ---- the netlink parser: a message cut short is an error ---- */

static size_t put_diag_row(unsigned char *buf, unsigned short port) {
  struct nlmsghdr h;
  struct inet_diag_msg m;
  memset(&h, 0, sizeof h);
  memset(&m, 0, sizeof m);
  h.nlmsg_len = NLMSG_LENGTH(sizeof m);
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  m.idiag_family = AF_INET;
  m.idiag_state = 1; /* TCP_ESTABLISHED */
  m.id.idiag_sport = htons(port);
  memcpy(buf, &h, sizeof h);
  memcpy(buf + NLMSG_HDRLEN, &m, sizeof m);
  return NLMSG_ALIGN(h.nlmsg_len);
}

static void netlink_parser_refuses_a_message_cut_short(void **state) {
  unsigned char buf[512];
  skc__audit audit;
  size_t len;
  struct nlmsghdr h;
  (void)state;
  memset(buf, 0, sizeof buf);
  /* One whole row: parsed. */
  memset(&audit, 0, sizeof audit);
  len = put_diag_row(buf, 80);
  assert_int_equal(skc__linux_parse_diag(buf, len, &audit), 0);
  assert_int_equal(audit.count, 1);
  free(audit.rows);
  /* A whole row and the first 8 bytes of the next. */
  memset(&audit, 0, sizeof audit);
  len += put_diag_row(buf + len, 81);
  assert_int_equal(skc__linux_parse_diag(buf, len - NLMSG_ALIGN(NLMSG_LENGTH(
                                                          sizeof(struct inet_diag_msg))) + 8,
                                         &audit),
                   SKC_EPROTO);
  free(audit.rows);
  /* A row message too short for its connection. */
  memset(&audit, 0, sizeof audit);
  memset(&h, 0, sizeof h);
  h.nlmsg_len = NLMSG_LENGTH(8);
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  memcpy(buf, &h, sizeof h);
  assert_int_equal(skc__linux_parse_diag(buf, NLMSG_ALIGN(h.nlmsg_len), &audit),
                   SKC_EPROTO);
  free(audit.rows);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(graceful_close_rides_out_a_failed_wait),
      SKCT_LEAK_CHECKED(closer_backs_off_when_every_wait_fails),
      SKCT_LEAK_CHECKED(abort_reports_a_failed_linger),
      SKCT_LEAK_CHECKED(leak_check_never_under_reports),
      SKCT_LEAK_CHECKED(audit_owners_fail_when_descriptors_run_out),
      cmocka_unit_test(audit_pid_of_no_process_is_esrch),
      cmocka_unit_test(netlink_parser_refuses_a_message_cut_short),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0)
    return 1;
  setvbuf(stdout, NULL, _IONBF, 0);
  rc = cmocka_run_group_tests_name("fault", tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
