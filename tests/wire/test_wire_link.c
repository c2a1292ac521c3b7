/*
 * The wire itself (sockclose-wire, Linux): each impairment does what it
 * says, measured across the link with UDP datagrams echoed by the far
 * side and with TCP connections. Runs under `sockclose-wire run`.
 */
#include "skc_test.h"

#include "wire_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void set_link(const char *settings) {
  char reply[256];
  if (skct_wire_command(settings, reply, sizeof reply) != 0)
    fail_msg("wire: '%s': %s", settings, reply);
}

static int far_address(struct sockaddr_in *sin, int port) {
  memset(sin, 0, sizeof *sin);
  sin->sin_family = AF_INET;
  sin->sin_port = htons((unsigned short)port);
  return inet_pton(AF_INET, "10.77.0.2", &sin->sin_addr) == 1 ? 0 : -1;
}

static int udp_to_far(void) {
  struct sockaddr_in sin;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(s >= 0);
  assert_int_equal(far_address(&sin, 9000), 0);
  assert_int_equal(connect(s, (struct sockaddr *)&sin, sizeof sin), 0);
  return s;
}

struct echo_stats {
  int sent, echoed, out_of_order, duplicates;
  long long min_rtt_ms, max_rtt_ms;
};

struct echo_state {
  struct echo_stats st;
  int count, highest;
  long long sent_at[4096];
  unsigned char seen[4096];
};

/* Take the echoes that arrive within timeout_ms of each other. */
static void collect(int s, struct echo_state *e, int timeout_ms) {
  struct pollfd p = {s, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) == 1) {
    int n;
    long long rtt;
    if (recv(s, &n, sizeof n, 0) != (ssize_t)sizeof n || n < 0 ||
        n >= e->count)
      continue;
    if (e->seen[n]) {
      e->st.duplicates++;
      continue;
    }
    e->seen[n] = 1;
    e->st.echoed++;
    if (n < e->highest)
      e->st.out_of_order++;
    else
      e->highest = n;
    rtt = skct_monotonic_ms() - e->sent_at[n];
    if (rtt < e->st.min_rtt_ms)
      e->st.min_rtt_ms = rtt;
    if (rtt > e->st.max_rtt_ms)
      e->st.max_rtt_ms = rtt;
  }
}

/* Send `count` numbered datagrams, about one every 2 ms, and collect the
 * echoes until `quiet_ms` pass without one. */
static struct echo_stats echo_run(int count, int quiet_ms) {
  static struct echo_state e;
  int s = udp_to_far(), i;
  assert_true(count <= 4096);
  memset(&e, 0, sizeof e);
  e.count = count;
  e.highest = -1;
  e.st.min_rtt_ms = 1000000;
  for (i = 0; i < count; i++) {
    e.sent_at[i] = skct_monotonic_ms();
    assert_int_equal(send(s, &i, sizeof i, 0), (ssize_t)sizeof i);
    e.st.sent++;
    collect(s, &e, 2);
  }
  collect(s, &e, quiet_ms);
  close(s);
  print_message("sent %d, echoed %d, %d out of order, %d duplicates, rtt "
                "%lld..%lld ms\n",
                e.st.sent, e.st.echoed, e.st.out_of_order, e.st.duplicates,
                e.st.min_rtt_ms, e.st.max_rtt_ms);
  return e.st;
}

static void test_clean_link(void **state) {
  struct echo_stats st;
  (void)state;
  set_link("clear");
  st = echo_run(500, 300);
  assert_int_equal(st.echoed, 500);
  assert_int_equal(st.duplicates, 0);
  assert_int_equal(st.out_of_order, 0);
}

static void test_loss(void **state) {
  struct echo_stats st;
  (void)state;
  set_link("clear");
  set_link("set loss=20");
  st = echo_run(2000, 300);
  set_link("clear");
  /* Each echo crosses twice: 0.8^2 = 64% arrive; binomial sd ~1.1%. */
  assert_in_range(st.echoed, 2000 * 58 / 100, 2000 * 70 / 100);
}

static void test_delay_and_jitter(void **state) {
  struct echo_stats st;
  (void)state;
  set_link("clear");
  set_link("set delay=50");
  st = echo_run(200, 500);
  assert_int_equal(st.echoed, 200);
  assert_in_range(st.min_rtt_ms, 100, 140);
  assert_int_equal(st.out_of_order, 0);
  set_link("set delay=50 jitter=20");
  st = echo_run(500, 500);
  set_link("clear");
  assert_int_equal(st.echoed, 500);
  assert_in_range(st.min_rtt_ms, 60, 110);
  assert_in_range(st.max_rtt_ms, 100, 200);
  assert_true(st.out_of_order > 0);
}

static void test_reorder_duplicate_corrupt(void **state) {
  struct echo_stats st;
  (void)state;
  set_link("clear");
  set_link("set delay=20 reorder=25");
  st = echo_run(1000, 300);
  assert_int_equal(st.echoed, 1000);
  assert_true(st.out_of_order > 100);
  set_link("clear");
  set_link("set duplicate=30");
  st = echo_run(1000, 300);
  assert_int_equal(st.echoed, 1000);
  /* Copies per datagram: the far side echoes each copy it gets, and each
   * echo may be doubled: 0.7 x 1.3 + 0.3 x 2.6 = 1.69, so ~690 extra. */
  assert_in_range(st.duplicates, 620, 760);
  set_link("clear");
  set_link("set corrupt=30");
  st = echo_run(1000, 300);
  set_link("clear");
  /* A flipped bit fails the UDP checksum: 0.7^2 = 49% survive. */
  assert_in_range(st.echoed, 420, 560);
}

static void test_cut_and_restore(void **state) {
  struct echo_stats st;
  (void)state;
  set_link("clear");
  set_link("cut");
  st = echo_run(100, 300);
  assert_int_equal(st.echoed, 0);
  set_link("restore");
  st = echo_run(100, 300);
  assert_int_equal(st.echoed, 100);
}

static void test_unreachable(void **state) {
  struct sockaddr_in sin;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  (void)state;
  assert_true(s >= 0);
  assert_int_equal(far_address(&sin, 9000), 0);
  set_link("unreach");
  assert_int_equal(connect(s, (struct sockaddr *)&sin, sizeof sin), -1);
  assert_int_equal(errno, EHOSTUNREACH);
  close(s);
  set_link("clear");
}

/* The peer service counts bytes, checks them and sees the EOF; a reboot
 * makes it forget a connection without telling us. */
static void test_peer_service(void **state) {
  char buf[3000], reply[64];
  skct_wire_result result;
  skc_socket_t s = skct_wire_connect("link-peer");
  (void)state;
  set_link("clear");
  assert_true(s != SKC_INVALID_SOCKET);
  skct_wire_pattern(buf, sizeof buf, 0);
  assert_int_equal(skc_send(s, buf, sizeof buf), (ptrdiff_t)sizeof buf);
  assert_int_equal(skc_shutdown(s, SKC_SHUT_WR), 0);
  skct_expect_eof(s);
  assert_int_equal(skc_close(s), 0);
  assert_int_equal(skct_wire_result_of("link-peer", &result), 0);
  assert_false(result.pending);
  assert_int_equal(result.bytes, 3000);
  assert_true(result.eof && result.intact && !result.reset);

  s = skct_wire_connect("link-damaged");
  assert_true(s != SKC_INVALID_SOCKET);
  buf[1234] = '!';
  assert_int_equal(skc_send(s, buf, sizeof buf), (ptrdiff_t)sizeof buf);
  assert_int_equal(skc_shutdown(s, SKC_SHUT_WR), 0);
  skct_expect_eof(s);
  assert_int_equal(skc_close(s), 0);
  assert_int_equal(skct_wire_result_of("link-damaged", &result), 0);
  assert_false(result.intact);

  s = skct_wire_connect("link-reboot");
  assert_true(s != SKC_INVALID_SOCKET);
  skct_sleep_ms(100);
  assert_int_equal(skct_wire_command("reboot", reply, sizeof reply), 0);
  assert_string_equal(reply, "ok 1");
  /* The reset was swallowed: nothing arrives. */
  assert_false(skct_wire_command("stats", reply, sizeof reply) != 0);
  assert_false(skct_wait_readable(s, 300));
  assert_int_equal(skc_close(s), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_link),
      cmocka_unit_test(test_loss),
      cmocka_unit_test(test_delay_and_jitter),
      cmocka_unit_test(test_reorder_duplicate_corrupt),
      cmocka_unit_test(test_cut_and_restore),
      cmocka_unit_test(test_unreachable),
      cmocka_unit_test(test_peer_service),
  };
  if (!skct_wire_available()) {
    fprintf(stderr, "test_wire_link: %s\n", skct_wire_missing());
    return 1;
  }
  return cmocka_run_group_tests(tests, NULL, NULL);
}
