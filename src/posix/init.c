/*
 * POSIX: sockets need no library start-up, and sockclose keeps no global
 * state here. In particular SIGPIPE is left alone: skc_send() avoids the
 * signal per call instead (see socket.c).
 */
#include "../platform.h"

int skc__plat_init(void) { return 0; }

void skc__plat_cleanup(void) {}
