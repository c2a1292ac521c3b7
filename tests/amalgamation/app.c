/*
 * A program built against the two-file amalgamation (scripts/amalgamate)
 * with one compiler command: a half-close over a loopback pair, then a
 * send after our own shutdown, which must be SKC_ESHUTDOWN on every OS.
 */
#include "sockclose.h"

#include <stdio.h>
#include <string.h>

static int fail(const char *what, ptrdiff_t got) {
  fprintf(stderr, "amalgamation: %s: got %ld\n", what, (long)got);
  return 1;
}

int main(void) {
  skc_socket_t pair[2];
  char buf[8];
  ptrdiff_t n;
  int rc = skc_init();
  if (rc != 0)
    return fail("skc_init", rc);
  rc = skc_tcp_pair(pair);
  if (rc != 0)
    return fail("skc_tcp_pair", rc);
  if ((n = skc_send(pair[0], "hello", 5)) != 5)
    return fail("send", n);
  if ((rc = skc_shutdown(pair[0], SKC_SHUT_WR)) != 0)
    return fail("shutdown", rc);
  if ((n = skc_recv(pair[1], buf, sizeof buf)) != 5 || memcmp(buf, "hello", 5) != 0)
    return fail("recv", n);
  if ((n = skc_recv(pair[1], buf, sizeof buf)) != 0)
    return fail("recv at end of stream", n);
  if ((n = skc_send(pair[0], "x", 1)) != SKC_ESHUTDOWN)
    return fail("send after shutdown", n);
  if ((rc = skc_close(pair[0])) != 0 || (rc = skc_close(pair[1])) != 0)
    return fail("close", rc);
  skc_cleanup();
  printf("amalgamation: half-close and %s as promised\n", skc_err_name(SKC_ESHUTDOWN));
  return 0;
}
