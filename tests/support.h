/*
 * Test support: the few raw socket and process operations the scenarios
 * need that sockclose does not offer (listen, accept, poll, duplicate,
 * child processes, threads). Every #ifdef _WIN32 of the suite lives in
 * support.c; the scenario files are the same source on every OS.
 */
#ifndef SKC_TEST_SUPPORT_H
#define SKC_TEST_SUPPORT_H

#include "sockclose.h"

#include <stddef.h>

/* Deadline for any wait in a test, so that a broken promise fails instead
 * of hanging. */
#define SKCT_DEADLINE_MS 5000

/* Call first in main(): remembers the executable for child processes and,
 * when this process was started as a child (argv[1] == "--child"), runs
 * the child's role and returns its exit status. Returns -1 otherwise. */
int skct_main(int argc, char **argv);

/* 1 when running under Wine (ntdll exports wine_get_version). */
int skct_is_wine(void);

/* Wait until s is readable, has hung up or has an error pending.
 * Returns 1 when it is, 0 on timeout. */
int skct_wait_readable(skc_socket_t s, int timeout_ms);

/* Bytes queued for reading (FIONREAD), or -1 on failure. */
long skct_bytes_queued(skc_socket_t s);

/* Wait until at least n bytes are queued for reading. Returns 1 or 0 on
 * timeout. */
int skct_wait_queued(skc_socket_t s, long n, int timeout_ms);

/* An unconnected TCP socket. */
skc_socket_t skct_tcp_socket(void);

/* A listener on 127.0.0.1 with an OS-assigned port, stored in *port. */
skc_socket_t skct_listen(unsigned short *port);

/* accept() one connection. */
skc_socket_t skct_accept(skc_socket_t listener);

/* connect() a new socket to 127.0.0.1:port. */
skc_socket_t skct_connect(unsigned short port);

/* A second handle for the same socket: dup() on POSIX, WSADuplicateSocket
 * into this process on Windows. */
skc_socket_t skct_duplicate(skc_socket_t s);

/* The native error slot: errno or WSAGetLastError(). */
int skct_native_error(void);
void skct_set_native_error(int native);

/* 1 when the process's SIGPIPE disposition is the default (always 1 on
 * Windows, which has no SIGPIPE). */
int skct_sigpipe_is_default(void);

void skct_sleep_ms(int ms);

/* A child process running this executable with "--child ROLE ARG1 ARG2".
 * inherit_handles: pass inheritable handles to the child. */
typedef struct skct_child {
  long pid;
  void *handle;
} skct_child;
int skct_spawn(skct_child *child, const char *role, long arg1, long arg2,
               int inherit_handles);
/* Kill hard (SIGKILL / TerminateProcess) and reap. */
void skct_kill(skct_child *child);

/* A thread running fn(arg); returns once the thread has started. */
typedef struct skct_thread {
  void *handle;
} skct_thread;
int skct_thread_start(skct_thread *thread, void (*fn)(void *), void *arg);
void skct_thread_join(skct_thread *thread);


/* ---- SIGPIPE observation (scenarios) ----
 * Block SIGPIPE in the calling thread (the process's disposition is left
 * alone), then report whether a SIGPIPE was raised for this thread since,
 * consuming it, and restore the thread's mask. Always 0 on Windows. */
void skct_sigpipe_begin(void);
int skct_sigpipe_end(void);

/* The native name of a native error code: "EPIPE", "WSAESHUTDOWN", ...;
 * "?" when unknown. */
const char *skct_native_name(int native);

/* "linux", "windows", "macos", "freebsd" or "posix". */
const char *skct_platform(void);


/* ---- bad-input helpers ----
 * A handle that is open but is not a socket: the read end of a pipe
 * (pipe() on POSIX, CreatePipe on Windows), and its release. */
skc_socket_t skct_not_a_socket(void);
void skct_release_not_a_socket(skc_socket_t h);

/* Put a socket in non-blocking mode (FIONBIO). 0 on success. */
int skct_set_nonblocking(skc_socket_t s);

#endif
