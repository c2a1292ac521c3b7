/*
 * The macOS audit's reader of the kernel's table (net.inet.tcp.pcblist_n,
 * src/posix/audit_macos.c), fed buffers laid out as xnu's get_pcblist_n()
 * writes them. The parser is plain C, so this runs on every POSIX system;
 * on macOS, test_audit also checks it against the live kernel.
 */
#include "skc_test.h"

#include "../src/posix/audit_macos.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Item lengths of a 64-bit xnu (each a multiple of 8 here). */
#define XIG_LEN 24
#define XSO_LEN 104
#define XSB_LEN 32
#define XST_LEN 136
#define XI_LEN 96
#define XT_LEN 208

struct builder {
  unsigned char buf[8192];
  size_t len;
};

static unsigned char *item(struct builder *b, uint32_t len, uint32_t kind) {
  unsigned char *p = b->buf + b->len;
  memset(p, 0, len);
  memcpy(p, &len, 4);
  memcpy(p + 4, &kind, 4);
  b->len += len;
  return p;
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

static void header(struct builder *b, uint64_t generation) {
  unsigned char *p = item(b, XIG_LEN, 2 /* xig_count */);
  put64(p + 8, generation);
}

/* One connection: socket, buffers, statistics, inpcb, tcpcb. Addresses
 * are 4 bytes (IPv4) or 16 (IPv6), ports in host order. */
static void connection(struct builder *b, int ipv6, const unsigned char *laddr,
                       unsigned short lport, const unsigned char *faddr,
                       unsigned short fport, int bsd_state, uint32_t recv_cc,
                       uint32_t send_cc, uint64_t gencnt) {
  unsigned char *inp, *tcp;
  item(b, XSO_LEN, 0x001);
  put32(item(b, XSB_LEN, 0x002) + 8, recv_cc);
  put32(item(b, XSB_LEN, 0x004) + 8, send_cc);
  item(b, XST_LEN, 0x008);
  inp = item(b, XI_LEN, 0x010);
  inp[16] = (unsigned char)(fport >> 8);
  inp[17] = (unsigned char)fport;
  inp[18] = (unsigned char)(lport >> 8);
  inp[19] = (unsigned char)lport;
  put64(inp + 28, gencnt);
  inp[44] = ipv6 ? 0x2 : 0x1;
  if (ipv6) {
    memcpy(inp + 48, faddr, 16);
    memcpy(inp + 64, laddr, 16);
  } else {
    memcpy(inp + 48 + 12, faddr, 4);
    memcpy(inp + 64 + 12, laddr, 4);
  }
  tcp = item(b, XT_LEN, 0x020);
  put32(tcp + 36, (uint32_t)bsd_state);
}

static const unsigned char loopback4[4] = {127, 0, 0, 1};
static const unsigned char loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                            0, 0, 0, 0, 0, 0, 0, 1};

static void reads_every_connection(void **state) {
  struct builder b = {{0}, 0};
  skc__audit audit;
  (void)state;
  memset(&audit, 0, sizeof audit);
  header(&b, 100);
  /* TCPS_TIME_WAIT 10, TCPS_ESTABLISHED 4, TCPS_CLOSE_WAIT 5. */
  connection(&b, 0, loopback4, 5000, loopback4, 41000, 10, 0, 0, 7);
  connection(&b, 1, loopback6, 443, loopback6, 50000, 4, 16, 32, 8);
  /* Created while the kernel copied the list: skipped, as netstat does. */
  connection(&b, 0, loopback4, 6000, loopback4, 42000, 5, 0, 0, 101);
  header(&b, 100); /* the closing xinpgen */
  assert_int_equal(skc__xnu_parse_pcblist(b.buf, b.len, &audit), 0);
  assert_int_equal(audit.count, 2);
  assert_int_equal(audit.rows[0].state, SKC_TCP_TIME_WAIT);
  assert_int_equal(audit.rows[0].local.family, SKC_FAMILY_IPV4);
  assert_int_equal(audit.rows[0].local.port, 5000);
  assert_int_equal(audit.rows[0].remote.port, 41000);
  assert_memory_equal(audit.rows[0].local.address, loopback4, 4);
  assert_memory_equal(audit.rows[0].remote.address, loopback4, 4);
  assert_int_equal(audit.rows[0].pid, -1);
  assert_int_equal(audit.rows[1].state, SKC_TCP_ESTABLISHED);
  assert_int_equal(audit.rows[1].local.family, SKC_FAMILY_IPV6);
  assert_int_equal(audit.rows[1].local.port, 443);
  assert_int_equal(audit.rows[1].remote.port, 50000);
  assert_memory_equal(audit.rows[1].local.address, loopback6, 16);
  assert_int_equal(audit.rows[1].recv_queue, 16);
  assert_int_equal(audit.rows[1].send_queue, 32);
  free(audit.rows);
}

static void applies_the_filters(void **state) {
  struct builder b = {{0}, 0};
  skc__audit audit;
  (void)state;
  memset(&audit, 0, sizeof audit);
  audit.options.states = SKC_TCP_STATE_BIT(SKC_TCP_CLOSE_WAIT);
  header(&b, 100);
  connection(&b, 0, loopback4, 5000, loopback4, 41000, 10, 0, 0, 1);
  connection(&b, 0, loopback4, 5001, loopback4, 41001, 5, 3000, 0, 2);
  header(&b, 100);
  assert_int_equal(skc__xnu_parse_pcblist(b.buf, b.len, &audit), 0);
  assert_int_equal(audit.count, 1);
  assert_int_equal(audit.rows[0].state, SKC_TCP_CLOSE_WAIT);
  assert_int_equal(audit.rows[0].recv_queue, 3000);
  free(audit.rows);
}

static void rejects_malformed_buffers(void **state) {
  struct builder b = {{0}, 0};
  skc__audit audit;
  size_t whole;
  (void)state;
  memset(&audit, 0, sizeof audit);
  header(&b, 100);
  connection(&b, 0, loopback4, 5000, loopback4, 41000, 4, 0, 0, 1);
  whole = b.len;
  /* Too short for its header, cut inside an item, an inpcb too short for
   * its addresses: SKC_EPROTO, never a read past the end. */
  assert_int_equal(skc__xnu_parse_pcblist(b.buf, 8, &audit), SKC_EPROTO);
  assert_int_equal(skc__xnu_parse_pcblist(b.buf, whole - 10, &audit), SKC_EPROTO);
  put32(b.buf + XIG_LEN + XSO_LEN + 2 * XSB_LEN + XST_LEN, 40);
  assert_int_equal(skc__xnu_parse_pcblist(b.buf, whole, &audit), SKC_EPROTO);
  assert_int_equal(audit.count, 0);
  /* Only the header: an empty table. */
  assert_int_equal(skc__xnu_parse_pcblist(b.buf, XIG_LEN, &audit), 0);
  assert_int_equal(audit.count, 0);
  free(audit.rows);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_every_connection),
      cmocka_unit_test(applies_the_filters),
      cmocka_unit_test(rejects_malformed_buffers),
  };
  return cmocka_run_group_tests_name("pcblist", tests, NULL, NULL);
}
