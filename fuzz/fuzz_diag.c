/*
 * libFuzzer target: the NETLINK_SOCK_DIAG reply parser of the Linux audit
 * (src/posix/audit_linux.c), over any bytes, and the /proc/PID/fd link
 * reader.
 */
#include "sockclose.h"
#include "../src/posix/audit_linux.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  skc__audit audit;
  size_t i;
  int rc;
  memset(&audit, 0, sizeof audit);
  rc = skc__linux_parse_diag(data, size, &audit);
  if (rc > 1)
    abort();
  for (i = 0; i < audit.count; i++)
    if (audit.rows[i].state < SKC_TCP_CLOSED ||
        audit.rows[i].state > SKC_TCP_TIME_WAIT)
      abort(); /* every row carries a valid state */
  free(audit.rows);
  (void)skc__linux_socket_inode((const char *)data, size);
  return 0;
}
