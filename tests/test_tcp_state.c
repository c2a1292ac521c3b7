/*
 * Per-socket TCP state (skc_tcp_state, skc_tcp_state_name,
 * skc_tcp_state_from_name) and skc_peer_closed(), through the states a
 * connection passes when it ends: after the peer's FIN we are CLOSE_WAIT
 * and it is FIN_WAIT_2; the side that closes first ends in TIME_WAIT (seen
 * through the audit, since its socket is gone); after an RST, CLOSED.
 *
 * Wine 8 does not implement SIO_TCP_INFO: there skc_tcp_state() reports
 * SKC_ENOTSUP for a connection (the test says so, once, and asserts it), while
 * skc_peer_closed() still answers from the connection table.
 */
#include "skc_test.h"

#include <string.h>

/* How long a state change over loopback may take under load. */
#define SETTLE_MS SKCT_DEADLINE_MS

static void say_wine_deviation(void) {
  static int said = 0;
  if (said++)
    return;
  print_message("Wine 8 deviation: SIO_TCP_INFO is not implemented "
                "(WSAEOPNOTSUPP), so skc_tcp_state() reports SKC_ENOTSUP "
                "for a connection (Windows 10 1703 and later: its state)\n");
}

/* skc_tcp_state(s) once it settles on `expected`; the value seen last
 * otherwise. */
static int settled_state(skc_socket_t s, int expected) {
  long long deadline = skct_monotonic_ms() + SETTLE_MS;
  int state = skc_tcp_state(s);
  while (state != expected && skct_monotonic_ms() < deadline) {
    skct_sleep_ms(5);
    state = skc_tcp_state(s);
  }
  return state;
}

/* Asserts the state of a connected socket: `expected` on Linux and
 * Windows, SKC_ENOTSUP under Wine. */
static void expect_connection_state(skc_socket_t s, int expected) {
  if (skct_is_wine()) {
    say_wine_deviation();
    assert_int_equal(skc_tcp_state(s), SKC_ENOTSUP);
    return;
  }
  assert_string_equal(skc_tcp_state_name(settled_state(s, expected)),
                      skc_tcp_state_name(expected));
}

static int same_endpoint(const skc_endpoint *a, const skc_endpoint *b) {
  return a->family == b->family && a->port == b->port &&
         memcmp(a->address, b->address, a->family == SKC_FAMILY_IPV4 ? 4 : 16) == 0;
}

/* The state the connection table lists for this address pair, 0 when it
 * is not listed. */
static int table_state(const skc_endpoint *local, const skc_endpoint *remote) {
  skc_audit_options options;
  skc_connection *rows = NULL;
  size_t count = 0, i;
  int state = 0;
  memset(&options, 0, sizeof options);
  options.local_port = local->port;
  options.family = local->family;
  assert_int_equal(skc_audit_list(&options, &rows, &count), 0);
  for (i = 0; i < count && state == 0; i++)
    if (same_endpoint(&rows[i].local, local) &&
        same_endpoint(&rows[i].remote, remote))
      state = rows[i].state;
  skc_audit_free(rows);
  return state;
}

static int settled_table_state(const skc_endpoint *local,
                               const skc_endpoint *remote, int expected) {
  long long deadline = skct_monotonic_ms() + SETTLE_MS;
  int state = table_state(local, remote);
  while (state != expected && skct_monotonic_ms() < deadline) {
    skct_sleep_ms(10);
    state = table_state(local, remote);
  }
  return state;
}

/* The table's state for a connection whose socket is gone, which Linux
 * keeps as a TIME_WAIT entry (TIME_WAIT itself, or an orphaned
 * FIN_WAIT_2): `expected`; but when the machine's TIME_WAIT table filled
 * up since `overflows` was read (skct_time_wait_overflows()), Linux kept
 * no entry and the pair is not listed at all. */
static void expect_kept_state(const skc_endpoint *local,
                              const skc_endpoint *remote, int expected,
                              long long overflows) {
  int state = settled_table_state(local, remote, expected);
  if (state == 0 && overflows >= 0 && skct_time_wait_overflows() > overflows) {
    print_message("the machine's TIME_WAIT table is full "
                  "(TCPTimeWaitOverflow rose): no %s entry was kept\n",
                  skc_tcp_state_name(expected));
    return;
  }
  assert_string_equal(skc_tcp_state_name(state), skc_tcp_state_name(expected));
}

static int settled_peer_closed(skc_socket_t s, int expected) {
  return skct_settled_peer_closed(s, expected, SETTLE_MS);
}

static void state_names_and_parsing(void **state) {
  static const char *const names[] = {
      "CLOSED",     "LISTEN",     "SYN_SENT",   "SYN_RECEIVED",
      "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
      "CLOSING",    "LAST_ACK",   "TIME_WAIT"};
  int i;
  (void)state;
  /* The values are RFC 1213's tcpConnState numbers, and permanent. */
  assert_int_equal(SKC_TCP_CLOSED, 1);
  assert_int_equal(SKC_TCP_ESTABLISHED, 5);
  assert_int_equal(SKC_TCP_CLOSE_WAIT, 8);
  assert_int_equal(SKC_TCP_TIME_WAIT, 11);
  assert_int_equal(SKC_TCP_STATE_COUNT, 12);
  for (i = 0; i < 11; i++) {
    assert_string_equal(skc_tcp_state_name(i + 1), names[i]);
    assert_int_equal(skc_tcp_state_from_name(names[i]), i + 1);
  }
  assert_string_equal(skc_tcp_state_name(0), "UNKNOWN");
  assert_string_equal(skc_tcp_state_name(12), "UNKNOWN");
  assert_string_equal(skc_tcp_state_name(-3000), "UNKNOWN");
  assert_int_equal(skc_tcp_state_from_name("close-wait"), SKC_TCP_CLOSE_WAIT);
  assert_int_equal(skc_tcp_state_from_name("Time_Wait"), SKC_TCP_TIME_WAIT);
  assert_int_equal(skc_tcp_state_from_name("syn-recv"), SKC_TCP_SYN_RECEIVED);
  assert_int_equal(skc_tcp_state_from_name("FIN_WAIT2"), SKC_TCP_FIN_WAIT_2);
  assert_int_equal(skc_tcp_state_from_name("close"), SKC_TCP_CLOSED);
  assert_int_equal(skc_tcp_state_from_name("close wait"), SKC_EINVAL);
  assert_int_equal(skc_tcp_state_from_name(""), SKC_EINVAL);
  assert_int_equal(skc_tcp_state_from_name("CLOSE_WAITX"), SKC_EINVAL);
  assert_int_equal(skc_tcp_state_from_name(NULL), SKC_EFAULT);
  assert_int_equal(SKC_TCP_STATE_BIT(SKC_TCP_CLOSE_WAIT), 1u << 8);
}

static void bad_handles(void **state) {
  skc_socket_t p[2];
  (void)state;
  assert_int_equal(skc_tcp_state(SKC_INVALID_SOCKET), SKC_EBADF);
  assert_int_equal(skc_peer_closed(SKC_INVALID_SOCKET), SKC_EBADF);
  assert_int_equal(skc_listen_reuse(SKC_INVALID_SOCKET), SKC_EBADF);
  SKCT_PAIR(p);
  assert_int_equal(skc_close(p[0]), 0);
  assert_int_equal(skc_tcp_state(p[0]), SKC_EBADF);
  assert_int_equal(skc_peer_closed(p[0]), SKC_EBADF);
  assert_int_equal(skc_close(p[1]), 0);
}

/* The peer sends, then its FIN: we are in CLOSE_WAIT with the data still
 * queued, and skc_peer_closed() says so without consuming it; the peer is
 * in FIN_WAIT_2 once our ACK is in. */
static void peer_fin_close_wait_and_fin_wait_2(void **state) {
  skc_socket_t p[2];
  char buf[8];
  (void)state;
  SKCT_PAIR(p);
  expect_connection_state(p[0], SKC_TCP_ESTABLISHED);
  expect_connection_state(p[1], SKC_TCP_ESTABLISHED);
  assert_int_equal(skc_peer_closed(p[0]), 0);
  assert_int_equal(skc_peer_closed(p[1]), 0);

  assert_int_equal(skc_send(p[1], "data", 4), 4);
  assert_int_equal(skc_shutdown(p[1], SKC_SHUT_WR), 0);
  assert_true(skct_wait_queued(p[0], 4, SKCT_DEADLINE_MS));
  assert_int_equal(settled_peer_closed(p[0], 1), 1);
  assert_int_equal(skct_bytes_queued(p[0]), 4); /* nothing consumed */
  assert_int_equal(skc_peer_closed(p[0]), 1);
  assert_int_equal(skct_bytes_queued(p[0]), 4);
  expect_connection_state(p[0], SKC_TCP_CLOSE_WAIT);
  expect_connection_state(p[1], SKC_TCP_FIN_WAIT_2);
  /* FIN_WAIT_2: we may still send to it. */
  assert_int_equal(skc_peer_closed(p[1]), 0);

  /* The data first, then the end of the stream. */
  skct_recv_exactly(p[0], buf, 4);
  assert_memory_equal(buf, "data", 4);
  skct_expect_eof(p[0]);
  assert_int_equal(skc_peer_closed(p[0]), 1);
  assert_int_equal(skc_close(p[0]), 0);
  assert_int_equal(skc_close(p[1]), 0);
}

/* The side that closes first ends in TIME_WAIT; its socket is gone, so
 * the connection table shows it. The other side passes LAST_ACK and is
 * gone. */
static void close_first_ends_in_time_wait(void **state) {
  skc_socket_t p[2];
  skc_endpoint a_local, a_remote;
  long long overflows = skct_time_wait_overflows();
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skct_endpoint(p[0], 0, &a_local), 0);
  assert_int_equal(skct_endpoint(p[0], 1, &a_remote), 0);
  assert_int_equal(table_state(&a_local, &a_remote), SKC_TCP_ESTABLISHED);
  assert_int_equal(table_state(&a_remote, &a_local), SKC_TCP_ESTABLISHED);

  assert_int_equal(skc_close(p[0]), 0);
  skct_expect_eof(p[1]);
  expect_connection_state(p[1], SKC_TCP_CLOSE_WAIT);
  assert_int_equal(settled_table_state(&a_remote, &a_local, SKC_TCP_CLOSE_WAIT),
                   SKC_TCP_CLOSE_WAIT);
  expect_kept_state(&a_local, &a_remote, SKC_TCP_FIN_WAIT_2, overflows);

  assert_int_equal(skc_close(p[1]), 0);
  expect_kept_state(&a_local, &a_remote, SKC_TCP_TIME_WAIT, overflows);
  assert_int_equal(settled_table_state(&a_remote, &a_local, 0), 0);
}

/* Pinned: the socket that closed first, still held after both FINs. Linux
 * gives the TIME_WAIT period to a separate kernel object and reports the
 * socket itself as CLOSED (tcp_time_wait() ends in tcp_done()); Windows
 * and macOS report TIME_WAIT for the socket. Either way the table lists
 * the pair in TIME_WAIT. */
static void pinned_held_socket_after_both_fins(void **state) {
  skc_socket_t p[2];
  skc_endpoint a_local, a_remote;
  int linux_kernel = strcmp(skct_platform(), "linux") == 0;
  long long overflows = skct_time_wait_overflows();
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skct_endpoint(p[0], 0, &a_local), 0);
  assert_int_equal(skct_endpoint(p[0], 1, &a_remote), 0);
  assert_int_equal(skc_shutdown(p[0], SKC_SHUT_WR), 0);
  skct_expect_eof(p[1]);
  assert_int_equal(skc_shutdown(p[1], SKC_SHUT_WR), 0);
  skct_expect_eof(p[0]);
  expect_connection_state(p[0], linux_kernel ? SKC_TCP_CLOSED
                                             : SKC_TCP_TIME_WAIT);
  expect_kept_state(&a_local, &a_remote, SKC_TCP_TIME_WAIT, overflows);
  /* Nothing more can arrive. */
  assert_int_equal(skc_peer_closed(p[0]), 1);
  assert_int_equal(skc_close(p[0]), 0);
  assert_int_equal(skc_close(p[1]), 0);
}

/* After the peer's RST the connection is CLOSED. */
static void reset_leaves_closed(void **state) {
  skc_socket_t p[2];
  (void)state;
  SKCT_PAIR(p);
  assert_int_equal(skc_abort(p[1]), 0);
  assert_true(skct_wait_readable(p[0], SKCT_DEADLINE_MS));
  expect_connection_state(p[0], SKC_TCP_CLOSED);
  assert_int_equal(settled_peer_closed(p[0], 1), 1);
  assert_int_equal(skc_close(p[0]), 0);
}

static void listener_and_unconnected(void **state) {
  unsigned short port = 0;
  skc_socket_t listener = skct_listen(&port);
  skc_socket_t fresh = skct_tcp_socket();
  (void)state;
  assert_true(listener != SKC_INVALID_SOCKET);
  assert_true(fresh != SKC_INVALID_SOCKET);
  /* SO_ACCEPTCONN answers for a listener on Windows too, Wine included. */
  assert_int_equal(skc_tcp_state(listener), SKC_TCP_LISTEN);
  skct_set_native_error(0);
  assert_int_equal(skc_peer_closed(listener), SKC_ENOTCONN);
  assert_string_equal(skct_native_name(skct_native_error()),
                      strcmp(skct_platform(), "windows") == 0 ? "WSAENOTCONN"
                                                             : "ENOTCONN");
  /* Never connected: CLOSED, and nothing will ever arrive. */
  expect_connection_state(fresh, SKC_TCP_CLOSED);
  assert_int_equal(skc_peer_closed(fresh), 1);
  assert_int_equal(skc_close(fresh), 0);
  assert_int_equal(skc_close(listener), 0);
}

static void not_tcp(void **state) {
  skc_socket_t udp = skct_udp_socket();
  (void)state;
  assert_true(udp != SKC_INVALID_SOCKET);
  assert_int_equal(skc_tcp_state(udp), SKC_ENOTSUP);
  assert_int_equal(skc_peer_closed(udp), SKC_ENOTSUP);
  assert_int_equal(skc_close(udp), 0);
}

/* The seed's experiment: a client process sends N bytes and is killed
 * while we are not reading. Its kernel sends the data, then a FIN: we are
 * in CLOSE_WAIT with N bytes queued, skc_peer_closed() says 1 without
 * taking them, and reading gives the N bytes, then 0. */
static void killed_client_close_wait_with_data(void **state) {
  enum { N = 3000 };
  char buf[N];
  unsigned short port = 0;
  skc_socket_t listener, conn;
  skct_child child;
  (void)state;
  listener = skct_listen(&port);
  assert_true(listener != SKC_INVALID_SOCKET);
  assert_int_equal(skct_spawn(&child, "send-and-wait", port, N, 0), 0);
  conn = skct_accept(listener);
  assert_true(conn != SKC_INVALID_SOCKET);
  assert_true(skct_wait_queued(conn, N, 3 * SKCT_DEADLINE_MS));
  /* On Windows the client closes its socket itself before it is killed
   * (tests/support.c, skct__child_send_and_wait, says why), and its FIN
   * is awaited first. Elsewhere the kill is what closes. */
  if (strcmp(skct_platform(), "windows") != 0)
    assert_int_equal(skc_peer_closed(conn), 0);
  assert_true(skct_await_child_close(conn, SKCT_DEADLINE_MS));
  skct_kill(&child);
  assert_int_equal(settled_peer_closed(conn, 1), 1);
  assert_int_equal(skct_bytes_queued(conn), N);
  expect_connection_state(conn, SKC_TCP_CLOSE_WAIT);
  skct_recv_exactly(conn, buf, N);
  assert_int_equal(buf[N - 1], 'a' + (N - 1) % 26);
  skct_expect_eof(conn);
  assert_int_equal(skc_close(conn), 0);
  assert_int_equal(skc_close(listener), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(state_names_and_parsing),
      SKCT_LEAK_CHECKED(bad_handles),
      SKCT_LEAK_CHECKED(peer_fin_close_wait_and_fin_wait_2),
      SKCT_LEAK_CHECKED(close_first_ends_in_time_wait),
      SKCT_LEAK_CHECKED(pinned_held_socket_after_both_fins),
      SKCT_LEAK_CHECKED(reset_leaves_closed),
      SKCT_LEAK_CHECKED(listener_and_unconnected),
      SKCT_LEAK_CHECKED(not_tcp),
      SKCT_LEAK_CHECKED(killed_client_close_wait_with_data),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0)
    return 1;
  rc = cmocka_run_group_tests_name("tcp_state", tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
