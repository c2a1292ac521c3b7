/*
 * libFuzzer target: the /proc/net/tcp and /proc/net/tcp6 reader of the
 * Linux audit (src/posix/audit_linux.c), over any bytes. The first byte
 * picks the family.
 */
#include "sockclose.h"
#include "../src/posix/audit_linux.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  skc__audit audit;
  size_t consumed = 0;
  int family;
  if (size < 1)
    return 0;
  family = (data[0] & 1) ? SKC_FAMILY_IPV6 : SKC_FAMILY_IPV4;
  memset(&audit, 0, sizeof audit);
  if (skc__linux_parse_proc_tcp((const char *)data + 1, size - 1, family,
                                &audit, &consumed) == 0 &&
      consumed > size - 1)
    abort(); /* it may not claim more than it was given */
  free(audit.rows);
  return 0;
}
