/*
 * skc_listen_reuse(): a server that accepted connections and closed them
 * first leaves them in TIME_WAIT on its port. Restarted at once, it binds
 * the port again with the helper on every OS; without it Linux refuses
 * (EADDRINUSE) while Windows allows it. And with the helper no second
 * process can take the port while the server holds it.
 */
#include "skc_test.h"

#include <string.h>

#define CONNECTIONS 3

/* TIME_WAIT connections whose local end is 127.0.0.1:port (another
 * address may have a port of the same number). */
static size_t time_waits_on(unsigned short port) {
  static const unsigned char loopback[4] = {127, 0, 0, 1};
  skc_audit_options options;
  skc_connection *rows = NULL;
  size_t n = 0, i, found = 0;
  memset(&options, 0, sizeof options);
  options.states = SKC_TCP_STATE_BIT(SKC_TCP_TIME_WAIT);
  options.local_port = port;
  options.family = SKC_FAMILY_IPV4;
  assert_int_equal(skc_audit_list(&options, &rows, &n), 0);
  for (i = 0; i < n; i++)
    found += memcmp(rows[i].local.address, loopback, 4) == 0;
  skc_audit_free(rows);
  return found;
}

/* A listener on a fresh port accepts CONNECTIONS connections and closes
 * each first (the client then closes too), then is closed itself. Returns
 * the port; *time_waits receives how many TIME_WAIT connections the table
 * then lists on it. */
static unsigned short serve_and_close_first(int reuse, size_t *time_waits) {
  unsigned short port = 0;
  int err = 0, i;
  long long deadline;
  skc_socket_t listener = skct_listen_at(&port, reuse, &err);
  assert_int_equal(err, 0);
  assert_true(listener != SKC_INVALID_SOCKET);
  for (i = 0; i < CONNECTIONS; i++) {
    skc_socket_t client = skct_connect(port);
    skc_socket_t accepted = skct_accept(listener);
    assert_true(client != SKC_INVALID_SOCKET);
    assert_true(accepted != SKC_INVALID_SOCKET);
    assert_int_equal(skc_close(accepted), 0);
    skct_expect_eof(client);
    assert_int_equal(skc_close(client), 0);
  }
  assert_int_equal(skc_close(listener), 0);
  deadline = skct_monotonic_ms() + SKCT_DEADLINE_MS;
  *time_waits = time_waits_on(port);
  while (*time_waits < CONNECTIONS && skct_monotonic_ms() < deadline) {
    skct_sleep_ms(10);
    *time_waits = time_waits_on(port);
  }
  return port;
}

/* TIME_WAIT connections were made; when none is listed, the machine's
 * TIME_WAIT table must have been full (Linux then keeps none, and there
 * is nothing to restart over). Returns 1 when they are there. */
static int time_waits_present(size_t time_waits, long long overflows) {
  if (time_waits == 0 && overflows >= 0 &&
      skct_time_wait_overflows() > overflows) {
    print_message("the machine's TIME_WAIT table is full (TCPTimeWaitOverflow "
                  "rose): no TIME_WAIT was kept, so the port is free\n");
    return 0;
  }
  assert_int_equal(time_waits, CONNECTIONS);
  return 1;
}

static void restart_without_helper(void **state) {
  long long overflows = skct_time_wait_overflows();
  size_t time_waits;
  unsigned short port = serve_and_close_first(0, &time_waits);
  int windows = strcmp(skct_platform(), "windows") == 0;
  int err = 0;
  skc_socket_t again;
  (void)state;
  if (!time_waits_present(time_waits, overflows)) {
    again = skct_listen_at(&port, 0, &err);
    assert_int_equal(err, 0);
    assert_int_equal(skc_close(again), 0);
    return;
  }
  again = skct_listen_at(&port, 0, &err);
  if (windows) {
    /* Windows checks no TIME_WAIT connection when binding. */
    assert_int_equal(err, 0);
    assert_int_equal(skc_close(again), 0);
  } else {
    assert_true(again == SKC_INVALID_SOCKET);
    assert_int_equal(err, SKC_EADDRINUSE);
    assert_string_equal(skct_native_name(skct_native_error()), "EADDRINUSE");
  }
}

/* One outcome everywhere: with the helper the restart binds at once. POSIX
 * through SO_REUSEADDR; Windows because a bind without SO_REUSEADDR or
 * SO_EXCLUSIVEADDRUSE ignores TIME_WAIT (src/win32/tcp_state.c has the
 * evidence; Wine agrees, Windows itself has not run this yet). */
static void restart_with_helper(void **state) {
  long long overflows = skct_time_wait_overflows();
  size_t time_waits;
  unsigned short port = serve_and_close_first(1, &time_waits);
  int err = 0;
  skc_socket_t again, client, accepted;
  (void)state;
  time_waits_present(time_waits, overflows);
  again = skct_listen_at(&port, 1, &err);
  assert_int_equal(err, 0);
  assert_true(again != SKC_INVALID_SOCKET);
  /* And it serves. */
  client = skct_connect(port);
  assert_true(client != SKC_INVALID_SOCKET);
  accepted = skct_accept(again);
  assert_true(accepted != SKC_INVALID_SOCKET);
  assert_int_equal(skc_send(client, "x", 1), 1);
  {
    char c;
    skct_recv_exactly(accepted, &c, 1);
    assert_int_equal(c, 'x');
  }
  assert_int_equal(skc_close(client), 0);
  assert_int_equal(skc_close(accepted), 0);
  assert_int_equal(skc_close(again), 0);
}

/* While the server holds the port, another process binding it with
 * SO_REUSEADDR (which on Windows would otherwise take the port over) is
 * refused: Windows answers WSAEACCES for a port whose socket did not set
 * SO_REUSEADDR itself (Microsoft, "Sharing Transport Addresses": DENIED),
 * POSIX EADDRINUSE for a port being listened on. */
static void second_process_cannot_take_the_port(void **state) {
  unsigned short port = 0;
  int err = 0, status;
  int windows = strcmp(skct_platform(), "windows") == 0;
  skc_socket_t listener = skct_listen_at(&port, 1, &err);
  skct_child child;
  (void)state;
  assert_int_equal(err, 0);
  assert_true(listener != SKC_INVALID_SOCKET);
  assert_int_equal(skct_spawn(&child, "audit-steal", port, 0, 0), 0);
  status = skct_wait_exit(&child, 3 * SKCT_DEADLINE_MS);
  assert_int_not_equal(status, 0); /* 0: the other process got the port */
  assert_true(status >= 10);
  assert_string_equal(skc_err_name(skct_steal_code(status)),
                      windows ? "EACCES" : "EADDRINUSE");
  /* The server still has it. */
  {
    skc_socket_t client = skct_connect(port);
    skc_socket_t accepted;
    assert_true(client != SKC_INVALID_SOCKET);
    accepted = skct_accept(listener);
    assert_true(accepted != SKC_INVALID_SOCKET);
    assert_int_equal(skc_close(accepted), 0);
    assert_int_equal(skc_close(client), 0);
  }
  assert_int_equal(skc_close(listener), 0);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      SKCT_LEAK_CHECKED(restart_without_helper),
      SKCT_LEAK_CHECKED(restart_with_helper),
      SKCT_LEAK_CHECKED(second_process_cannot_take_the_port),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0)
    return 1;
  rc = cmocka_run_group_tests_name("listen_reuse", tests, NULL, NULL);
  skc_cleanup();
  return rc;
}
