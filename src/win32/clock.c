/*
 * Windows: the monotonic clock for deadlines.
 */
#include "../platform.h"

#include <windows.h>

long long skc__plat_monotonic_us(void) {
  /* QueryPerformanceCounter is monotonic and precise to well under a
   * microsecond ("Acquiring high-resolution time stamps"); GetTickCount64
   * moves in steps of the timer interrupt (about 15.6 ms), too coarse for
   * a deadline. Both calls always succeed on Windows XP and later. The
   * division is split so that the product cannot overflow. */
  LARGE_INTEGER frequency, counter;
  long long seconds, rest;
  QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&counter);
  seconds = counter.QuadPart / frequency.QuadPart;
  rest = counter.QuadPart % frequency.QuadPart;
  return seconds * 1000000LL + rest * 1000000LL / frequency.QuadPart;
}

void skc__plat_sleep_ms(int ms) { Sleep((DWORD)ms); }
