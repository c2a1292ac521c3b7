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
/* Before killing a "send-and-wait" child whose connection is `conn`: on
 * Windows that child closes its socket itself, and this waits (up to
 * timeout_ms) for its FIN, so that the kill cannot land inside its
 * closesocket(); 1 once the FIN is here, 0 if it did not come. Elsewhere
 * the kill is what closes: 1 at once. */
int skct_await_child_close(skc_socket_t conn, int timeout_ms);
/* skc_peer_closed(s), asked every 5 ms until it gives `expected` or
 * timeout_ms pass: the last answer. */
int skct_settled_peer_closed(skc_socket_t s, int expected, int timeout_ms);

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

/* A connected loopback pair like skc_tcp_pair(), but on Windows pair[0] is
 * made for synchronous I/O (WSASocket without WSA_FLAG_OVERLAPPED); on
 * POSIX an ordinary pair. 0 on success. */
int skct_tcp_pair_synchronous(skc_socket_t pair[2]);

/* Put a socket in non-blocking mode (FIONBIO). 0 on success. */
int skct_set_nonblocking(skc_socket_t s);


/* ==== graceful close (tests/test_graceful.c) ==== */

/* Back to blocking mode (FIONBIO off). 0 on success. */
int skct_set_blocking(skc_socket_t s);

/* SO_SNDBUF / SO_RCVBUF; a size of 0 leaves that buffer alone. 0 on
 * success. */
int skct_set_buffers(skc_socket_t s, int sndbuf, int rcvbuf);

/* The local port of a bound socket, 0 on failure. */
unsigned short skct_local_port(skc_socket_t s);

/* A listener on 127.0.0.1 with the largest backlog the OS allows
 * (SOMAXCONN), for tests that connect thousands of times. */
skc_socket_t skct_listen_many(unsigned short *port);

/* Microseconds on the monotonic clock (the test's own, not sockclose's). */
long long skct_now_us(void);

/* CPU time used so far by the calling thread, in microseconds; -1 when the
 * OS cannot tell. */
long long skct_thread_cpu_us(void);

/* Open descriptors (POSIX: /proc/self/fd or /dev/fd) or handles (Windows:
 * GetProcessHandleCount) of this process; -1 when unknown. */
long skct_count_descriptors(void);

/* Raise this process's soft descriptor limit to at least wanted (POSIX;
 * children started later inherit it): macOS starts programs with 256,
 * many Linux machines with 1024. Returns the limit now in force (at least
 * wanted), or the highest the hard limit allows (less than wanted); on
 * Windows, where handles have no such limit, wanted. */
long skct_raise_descriptor_limit(long wanted);

/* Count, in the machine's TCP table (Linux /proc/net/tcp, macOS the
 * net.inet.tcp.pcblist_n sysctl through skc_audit_list, Windows
 * GetExtendedTcpTable), the IPv4 connections in CLOSE_WAIT and in
 * FIN_WAIT_2 that have one end on port and, unless other_port is 0, the
 * other end on other_port. 0 on success. */
int skct_count_lingering(unsigned short port, unsigned short other_port,
                         long *close_wait, long *fin_wait_2);

/* poll()/WSAPoll() for readability of n sockets (only the events WSAPoll
 * accepts); ready[i] is set to 1 when socket i is readable, hung up or in
 * error, else 0. The number ready, or -1 on failure. */
int skct_poll_readable(const skc_socket_t *sockets, unsigned char *ready,
                       size_t n, int timeout_ms);

/* The peers of the graceful-close closer test, run as a child process
 * ("--child graceful-peers PORT COUNT"): COUNT connections to
 * 127.0.0.1:PORT, each sending a request of SKCT_PEER_HEADER bytes
 * ("<role><index>", role SKCT_PEER_*) and SKCT_PEER_PADDING more; then,
 * in order, each reads SKCT_PEER_RESPONSE bytes and: polite ones read the
 * end of stream and close; resetting ones abort (RST); silent ones do
 * nothing at all and stay open until the child is killed. The role of
 * connection i is skct_peer_role(i). */
#define SKCT_PEER_HEADER 8
#define SKCT_PEER_PADDING 1000
#define SKCT_PEER_RESPONSE 100
#define SKCT_PEER_POLITE 'p'
#define SKCT_PEER_SILENT 's'
#define SKCT_PEER_RESET 'r'
char skct_peer_role(long index);

/* ==== connection state and audit (test_tcp_state.c, test_audit.c,
 * test_listen_reuse.c, test_audit_tool.c) ==== */

/* Milliseconds on a monotonic clock, for deadlines measured in wall time
 * (a connection-table read can take seconds under Wine on a busy
 * machine). */
long long skct_monotonic_ms(void);

/* Linux's count of TIME_WAIT entries it could not create because its
 * table was full (TcpExt TCPTimeWaitOverflow in /proc/net/netstat; under
 * Wine, of the Linux kernel underneath), or -1 where there is no such
 * count. When the table is full (tcp_max_tw_buckets, e.g. while a
 * benchmark churns connections), Linux keeps no TIME_WAIT and no orphaned
 * FIN_WAIT_2 for a closed connection: a test that expects one checks this
 * count to tell that situation apart from a failure. */
long long skct_time_wait_overflows(void);

/* This process's id. */
long skct_self_pid(void);

/* The process name the audit reports for this process: /proc/self/comm
 * on Linux, the image's file name on Windows. */
void skct_self_process_name(char *buf, size_t size);

/* The local (remote 0) or remote (remote 1) end of s. 0 on success. */
int skct_endpoint(skc_socket_t s, int remote, skc_endpoint *endpoint);

/* An unconnected UDP socket. */
skc_socket_t skct_udp_socket(void);

/* A listener on 127.0.0.1 at a port outside the ephemeral ranges
 * (20000-29999; Linux hands out 32768-60999, Windows 49152-65535) that no
 * connection of the machine uses (the audit says so, TIME_WAIT entries of
 * earlier test processes included), so that a listing by port holds only
 * the test's own connections. */
skc_socket_t skct_listen_quiet(unsigned short *port);

/* A listener on [::1] at such a port, and a connection to it;
 * SKC_INVALID_SOCKET when IPv6 loopback is unavailable. */
skc_socket_t skct_listen6(unsigned short *port);
skc_socket_t skct_connect6(unsigned short port);

/* A TCP listener bound to 127.0.0.1:port (0: a port outside the
 * ephemeral ranges, stored back in *port), after skc_listen_reuse() when
 * reuse is set. On failure
 * SKC_INVALID_SOCKET, and *err receives the skc_last_error() code of the
 * failing call. */
skc_socket_t skct_listen_at(unsigned short *port, int reuse, int *err);

/* Wait for a child to exit: its exit status, or -1 after timeout_ms (the
 * child is killed then). */
int skct_wait_exit(skct_child *child, int timeout_ms);

/* Child role "audit-steal PORT": bind 127.0.0.1:PORT with SO_REUSEADDR
 * (the option that lets a Windows process take over a bound port) and
 * listen. Its exit status: 0 when it got the port, else
 * skct_steal_status(code) of the SKC_E* code of the failure. */
#define skct_steal_status(code) (10 + (-3000 - (code)))
#define skct_steal_code(status) (-3000 - ((status)-10))

/* 1 where the audit reports queue sizes (Linux, macOS); 0 where the OS
 * does not tell (Windows). */
int skct_audit_has_queues(void);

/* 1 where skc_audit_options.source may pick netlink or procfs (Linux). */
int skct_audit_has_sources(void);

/* Run program with args (NULL-terminated, without the program itself),
 * its standard output and error both into out (terminated, truncated to
 * size). Returns its exit status, -1 when it could not be run, -2 when it
 * did not finish within timeout_ms (it is killed then). */
int skct_run_capture(const char *program, const char *const *args, char *out,
                     size_t size, int timeout_ms);


/* The port of s's peer (getpeername), 0 on failure. */
unsigned short skct_peer_port(skc_socket_t s);

/* ==== connections (test_connection.c and the C/A scenarios) ==== */

/* 127.0.0.1:port. */
skc_endpoint skct_loopback(unsigned short port);

/* 1 when child processes would inherit the handle (no FD_CLOEXEC /
 * HANDLE_FLAG_INHERIT set), 0 when not, -1 when it cannot be read. */
int skct_is_inheritable(skc_socket_t s);

/* Wait until s is writable (or in error). 1 when it is, 0 on timeout. */
int skct_wait_writable(skc_socket_t s, int timeout_ms);

/* Fill this process's descriptor table: lower the soft RLIMIT_NOFILE to a
 * few above the descriptors in use and open /dev/null until EMFILE. 0 on
 * success; -1 where it cannot be done (Windows has no such limit). */
#define SKCT_EXHAUST_MAX 64
typedef struct skct_exhaustion {
  int fds[SKCT_EXHAUST_MAX];
  int count;
  int limited;
  long long saved_soft;
} skct_exhaustion;
int skct_exhaust_descriptors(skct_exhaustion *e);
/* Close one of the filling descriptors. */
void skct_release_descriptor(skct_exhaustion *e);
/* Close them all and restore the limit. */
void skct_restore_descriptors(skct_exhaustion *e);

/* 1 when running under valgrind (its preload library is present). */
int skct_under_valgrind(void);

#endif
