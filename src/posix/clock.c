/*
 * POSIX: the monotonic clock for deadlines.
 */
#if !defined(_POSIX_C_SOURCE) && !defined(__APPLE__)
#define _POSIX_C_SOURCE 200809L /* clock_gettime in C11 mode */
#endif
#include "../platform.h"

#include <time.h>

long long skc__plat_monotonic_us(void) {
  /* clock_gettime(2): CLOCK_MONOTONIC is not affected by settimeofday or
   * NTP steps. It cannot fail for this clock id on the systems supported. */
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000LL + (long long)(ts.tv_nsec / 1000);
}

void skc__plat_sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  (void)nanosleep(&ts, NULL);
}
