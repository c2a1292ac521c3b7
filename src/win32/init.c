/*
 * Windows: Winsock start-up. WSAStartup and WSACleanup are themselves
 * reference-counted per process (WSAStartup documentation: "an application
 * must call WSACleanup once for every successful call to WSAStartup"), so
 * sockclose only counts its own references, to ignore unmatched
 * skc_cleanup() calls, and needs no lock.
 */
#include "../platform.h"

#include <winsock2.h>

static volatile LONG skc__init_count = 0;

int skc__plat_init(void) {
  WSADATA data;
  int rc = WSAStartup(MAKEWORD(2, 2), &data);
  if (rc != 0) {
    WSASetLastError(rc);
    return skc__plat_translate(rc);
  }
  InterlockedIncrement(&skc__init_count);
  return 0;
}

void skc__plat_cleanup(void) {
  LONG count = skc__init_count;
  while (count > 0) {
    LONG seen = InterlockedCompareExchange(&skc__init_count, count - 1, count);
    if (seen == count) {
      WSACleanup();
      return;
    }
    count = seen;
  }
}
