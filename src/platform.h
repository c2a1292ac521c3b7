/*
 * The platform contract: every function a platform must provide.
 *
 * src/posix/ and src/win32/ implement each of these with the same name, in
 * files named after the same roles (error.c, init.c, socket.c, ...).
 * The common code in src/common/ decides what result a situation yields;
 * the functions here are thin and make one system call each unless stated.
 *
 * Conventions: a function returns 0 (or a byte count) on success and a
 * negative SKC_E* code on failure, translated by skc__plat_translate() from
 * the native code, which stays in the native error slot (errno /
 * WSAGetLastError) for the caller.
 */
#ifndef SKC_PLATFORM_H
#define SKC_PLATFORM_H

#include "sockclose.h"

#include <stddef.h>

/* A failure path: kept out of line and out of the way of the success
 * path, whose few instructions are what every call pays. */
#if defined(__GNUC__) || defined(__clang__)
#define SKC__COLD __attribute__((cold, noinline))
#else
#define SKC__COLD
#endif

/* ---- error.c: the native error slot and its translation ---- */

/* The one native-to-SKC table of this platform. 0 maps to 0, a code with
 * no meaning to SKC_EUNKNOWN. */
int skc__plat_translate(int native);

/* The calling thread's native error slot: errno, or WSAGetLastError(). */
int skc__plat_get_native_error(void);
void skc__plat_set_native_error(int native);

/* Store in the native slot the code this platform uses for a condition that
 * the common code rejected without a system call (SKC_EINVAL, SKC_EFAULT,
 * SKC_EBADF, SKC_ENOTCONN, SKC_ENOBUFS, SKC_ENOMEM, SKC_ENOTSUP,
 * SKC_ETIMEDOUT, SKC_ECANCELED, SKC_EBUSY, SKC_ENOPROTOOPT,
 * SKC_ECONNRESET, SKC_EAFNOSUPPORT), and
 * return err unchanged. */
SKC__COLD int skc__plat_reject(int err);

/* The operations report WSAENOTSOCK (Windows' code for a closed, invalid
 * or non-socket handle) as SKC_EBADF, as POSIX does for the first two:
 * err unchanged otherwise. (common, src/common/sockclose.c) */
int skc__handle_error(int err);

/* What a receive that returned 0 reports: 0 for an orderly end of
 * stream, SKC_ECONNRESET (with the native code stored) for a connection
 * that is gone. (common, src/common/sockclose.c) */
int skc__end_of_stream(skc_socket_t s);

/* The code a dead connection reports, the same on every OS: the ICMP
 * errors Linux reports in place of ETIMEDOUT, and Windows' WSAENETRESET,
 * become SKC_ETIMEDOUT; other codes are returned unchanged. (common) */
int skc__dead_connection(int err);

/* ---- init.c: library start-up ---- */

/* Take / release one reference on the platform's socket library. */
int skc__plat_init(void);
void skc__plat_cleanup(void);

/* ---- socket.c: the calls on one socket ---- */

int skc__plat_close(skc_socket_t s);

/* how is SKC_SHUT_RD, SKC_SHUT_WR or SKC_SHUT_RDWR (already validated),
 * which equal SHUT_RD/SHUT_WR/SHUT_RDWR and SD_RECEIVE/SD_SEND/SD_BOTH
 * (each platform checks this at compile time). */
int skc__plat_shutdown(skc_socket_t s, int how);

/* Set SO_LINGER to {on, 0}, so that the next close sends an RST. */
int skc__plat_set_linger_zero(skc_socket_t s);

/* One send without SIGPIPE / one recv; len is at most SKC_IO_MAX. */
ptrdiff_t skc__plat_send(skc_socket_t s, const void *buf, size_t len);
ptrdiff_t skc__plat_recv(skc_socket_t s, void *buf, size_t len);

/* Has this side sent its FIN (its write direction is shut down)? 1 yes,
 * 0 no, negative SKC_E* code when the OS cannot tell. Used only to tell
 * the two situations that POSIX reports as EPIPE apart; it must leave the
 * native error slot as it found it. */
int skc__plat_sent_fin(skc_socket_t s);

/* Was this socket never connected (a fresh or only bound socket, a
 * listener, or one whose connect failed)? 1 yes, 0 no (it was connected
 * once, and may have been reset since), negative SKC_E* code when the OS
 * cannot tell. Used only where the OS reports EPIPE for both; it must
 * leave the native error slot as it found it. */
int skc__plat_never_connected(skc_socket_t s);

/* Is s a listening socket (SO_ACCEPTCONN)? 1 yes, 0 no, negative SKC_E*
 * code when the OS cannot tell. Leaves the native error slot alone. */
int skc__plat_is_listener(skc_socket_t s);

/* After a receive returned 0: 1 when that is an orderly end of stream
 * (the peer's FIN, our own SHUT_RD) or the OS cannot tell, 0 when the
 * connection is gone without one (reset, timed out) and an earlier call
 * already reported it. Called only on that path; it must leave the
 * native error slot as it found it. */
int skc__plat_ended_in_order(skc_socket_t s);

/* Was this connection ever established (0 after a connection attempt
 * that failed)? 1 yes or when the OS cannot tell, 0 no. Asked only after
 * a send or receive failed with an unreachable error; it must leave the
 * native error slot as it found it. */
int skc__plat_was_established(skc_socket_t s);

int skc__plat_set_inheritable(skc_socket_t s, int inheritable);

/* ==== connection state and audit ====
 * tcp_state.c and audit.c on each platform; the situation logic (what a
 * state means, filters, the leak check) is in src/common/tcp_state.c and
 * src/common/audit.c. */

/* ---- tcp_state.c ---- */

/* This socket's TCP state from the kernel, as an SKC_TCP_* value (the
 * platform reads its own numbering and converts it with the tables
 * below), or SKC_ENOTSUP when the OS cannot tell or s is not TCP. */
int skc__plat_tcp_state(skc_socket_t s);

/* Prepare s so that a restarted listener binds over TIME_WAIT without
 * allowing port stealing: POSIX sets SO_REUSEADDR, Windows clears it
 * (src/win32/tcp_state.c gives the evidence). */
int skc__plat_listen_reuse(skc_socket_t s);

/* What the leak check and the table lookup need to know of one socket. */
typedef struct skc__socket_info {
  int is_tcp;      /* a stream socket over IPv4 or IPv6 */
  int is_listener; /* SO_ACCEPTCONN */
  int connected;   /* getpeername() succeeded: remote is valid */
  skc_endpoint local;
  skc_endpoint remote;
} skc__socket_info;

/* Fill *info. Fails (SKC_EBADF, ...) only when s is not an open socket;
 * a socket that is not TCP is reported with is_tcp 0. Leaves the native
 * error slot as it found it on success. */
int skc__plat_socket_info(skc_socket_t s, skc__socket_info *info);

/* The native numbering tables (src/common/tcp_state.c), pure functions
 * usable on any platform: each returns an SKC_TCP_* value, or 0 for a
 * number that is no state. */
int skc__tcp_state_from_linux(int linux_state);    /* tcpi_state, TCP_* */
int skc__tcp_state_from_bsd(int bsd_state);        /* TCPS_* (macOS, BSD) */
int skc__tcp_state_from_tcpstate(int tcpstate);    /* Windows TCPSTATE */
int skc__tcp_state_from_mib(int mib_state);        /* MIB_TCP_STATE */

/* The state of a socket looked up in the connection table by its address
 * pair, for where skc__plat_tcp_state() cannot tell: in rows already
 * listed, or in a listing of its local port. */
int skc__tcp_state_in_rows(const skc_connection *rows, size_t count,
                           const skc__socket_info *info);
int skc__tcp_state_by_table(const skc__socket_info *info);

/* ---- audit.c: the machine's connection table ---- */

/* One listing in progress: the validated options and the rows kept. */
typedef struct skc__audit {
  skc_audit_options options;
  skc_connection *rows;
  size_t count;
  size_t capacity;
} skc__audit;

/* Order of two endpoints, member by member (the struct has padding):
 * negative, 0 or positive. (common) */
int skc__endpoint_compare(const skc_endpoint *a, const skc_endpoint *b);

/* Does a row pass the state, family and port filters? (common) */
int skc__audit_wants(const skc__audit *audit, const skc_connection *row);

/* Append a row if it passes the filters; 0 or SKC_ENOMEM. (common) */
int skc__audit_add(skc__audit *audit, const skc_connection *row);

/* Read the table, calling skc__audit_add() for each connection, with
 * process "" and pid -1, or the pid where the table carries it and
 * owners (or a pid) are asked for. audit->options.source is AUTO or a
 * source this platform has (others: SKC_ENOTSUP). */
int skc__plat_audit_list(skc__audit *audit);

/* Fill pid and process of audit->rows (only those; when options.pid is
 * set, only that process needs to be looked at). */
int skc__plat_audit_owners(skc__audit *audit);

/* ---- audit.c: this process's own sockets, for the leak check ---- */

typedef struct skc__own_socket {
  skc_socket_t handle;
  unsigned long long id; /* Linux inode, Windows object address, or 0 */
} skc__own_socket;

/* List this process's open socket handles into a malloc'ed array. */
int skc__plat_own_sockets(skc__own_socket **sockets, size_t *count);

/* Bytes queued for reading on s (FIONREAD), or a negative SKC_E* code. */
long long skc__plat_bytes_unread(skc_socket_t s);

/* ==== graceful close ====
 * poll.c, waiter.c, clock.c and send_queue.c on each platform; the procedure and its
 * outcomes are in src/common/graceful.c, the closer in src/common/closer.c. */

/* ---- poll.c: waiting for input without blocking on the socket ---- */

/* Wait up to timeout_ms (>= 0) until s is readable, has hung up or has an
 * error pending. 1 when it is, 0 when not (the time ran out, or a signal
 * interrupted the wait: the caller checks its deadline and waits again),
 * or a negative SKC_E* code. Asks only for the events WSAPoll accepts. */
int skc__plat_wait_readable(skc_socket_t s, int timeout_ms);

/* One receive that never blocks, whatever the socket's blocking mode, and
 * leaves that mode unchanged: bytes, 0 at end of stream, SKC_EAGAIN when
 * nothing is queued, or another negative SKC_E* code. */
ptrdiff_t skc__plat_recv_nowait(skc_socket_t s, void *buf, size_t len);

/* ---- waiter.c: the closer's wait for many sockets at once ----
 * The OS's scalable mechanism: epoll (Linux), kqueue (macOS, BSD), one I/O
 * completion port with a zero-byte overlapped receive per socket
 * (Windows); poll() where none exists. A wake-up costs in proportion to
 * the sockets that are ready, not to the sockets watched (except poll()).
 *
 * Each watched socket has a key chosen by the common code: its slot
 * number in the low 32 bits (below the count given to
 * skc__plat_waiter_reserve()), a generation above. The lock and
 * skc__plat_waiter_wake() may be used from any thread; everything else
 * from one thread at a time, under the lock or by the thread that owns
 * the waiter. */
typedef struct skc__plat_waiter skc__plat_waiter;

#define SKC__WAITER_SLOT(key) ((size_t)((key) & 0xffffffffULL))

/* 0, SKC_ENOMEM, or the code of the failed epoll_create1/kqueue/
 * CreateIoCompletionPort (SKC_EMFILE, ...). */
int skc__plat_waiter_new(skc__plat_waiter **waiter);

/* Frees the waiter; every watch must have been forgotten. */
void skc__plat_waiter_free(skc__plat_waiter *waiter);

/* Room for slots 0..slots-1: 0 or SKC_ENOMEM. */
int skc__plat_waiter_reserve(skc__plat_waiter *waiter, size_t slots);

/* Start reporting s when it is readable, has hung up or has an error
 * pending. SKC_ENOMEM (or SKC_ENOBUFS) when the OS has no room; another
 * code (SKC_EBADF, SKC_ENOTSOCK, SKC_EINVAL) when s cannot be watched. */
int skc__plat_waiter_watch(skc__plat_waiter *waiter, skc_socket_t s,
                           unsigned long long key);

/* After a report of s whose input was then read until none was left:
 * report it again at its next input. */
int skc__plat_waiter_rearm(skc__plat_waiter *waiter, skc_socket_t s,
                           unsigned long long key);

/* Stop watching s, before it is closed. */
void skc__plat_waiter_forget(skc__plat_waiter *waiter, skc_socket_t s,
                             unsigned long long key);

/* Wait up to timeout_ms (-1: no limit) for watched sockets or a wake-up;
 * store up to max keys of sockets to look at. The number stored (0 after
 * a time-out, a wake-up or an interruption), or a negative SKC_E* code. */
int skc__plat_waiter_wait(skc__plat_waiter *waiter, unsigned long long *keys,
                          size_t max, int timeout_ms);

/* Make a skc__plat_waiter_wait() in progress, or the next one, return. */
int skc__plat_waiter_wake(skc__plat_waiter *waiter);

/* The handle an event loop waits on for readability (epoll or kqueue
 * descriptor), or the completion port on Windows. */
skc_socket_t skc__plat_waiter_handle(const skc__plat_waiter *waiter);

/* A lock for the closer (pthread mutex, SRW lock). */
void skc__plat_waiter_lock(skc__plat_waiter *waiter);
void skc__plat_waiter_unlock(skc__plat_waiter *waiter);

/* ---- clock.c: deadlines ---- */

/* Microseconds on a clock that never goes back and does not jump when the
 * wall clock is set; its origin is arbitrary. */
long long skc__plat_monotonic_us(void);

/* Sleep about ms milliseconds (ms >= 0), for backing off after a wait
 * failed for want of resources. Signals may end it early. */
void skc__plat_sleep_ms(int ms);

/* ---- send_queue.c: what the peer has acknowledged ---- */

/* Has the peer's TCP acknowledged everything queued for sending on s,
 * including our FIN if it was queued? 1 yes, 0 no, SKC_ENOTSUP when the
 * OS cannot tell. Leaves the native error slot as it found it. */
int skc__plat_send_queue_acked(skc_socket_t s);

/* ==== dead-peer detection ====
 * keepalive.c on each platform; argument checks, rounding and the
 * detection times are in src/common/keepalive.c. */

/* Milliseconds rounded up to whole seconds: 1..1000 ms give 1 s, never 0
 * (0 gives 0). (common) */
int skc__seconds_rounded_up(int ms);

/* idle_ms 0 turns keepalive off; otherwise idle_ms, interval_ms and count
 * are > 0 (validated). Applies the timing before turning keepalive on. */
int skc__plat_set_keepalive(skc_socket_t s, int idle_ms, int interval_ms,
                            int count);

/* timeout_ms >= 0 (validated); 0 for the OS default. */
int skc__plat_set_user_timeout(skc_socket_t s, int timeout_ms);

/* Fill keepalive, idle_ms, interval_ms, count and user_timeout_ms with
 * what is in force (-1 where the OS cannot tell); the common code fills
 * the detection times. *replaces_count is set to 1 where a user timeout
 * ends an unanswered keepalive instead of the count (Linux). Fails only
 * when s is no open TCP socket. */
int skc__plat_get_dead_peer(skc_socket_t s, skc_dead_peer_settings *settings,
                            int *replaces_count);

/* ==== connections ====
 * socket.c on each platform (one system call each unless stated); the
 * situation logic (argument checks, which failures are retried or
 * renamed, the dead-connection check after accept) is in
 * src/common/connection.c. */

/* A TCP socket of family SKC_FAMILY_IPV4 / SKC_FAMILY_IPV6 (validated),
 * non-inheritable (atomically where the OS can), non-blocking when
 * nonblock is set, SO_NOSIGPIPE where that is the mechanism. */
int skc__plat_tcp_socket(int family, int nonblock, skc_socket_t *out);

/* Switch blocking mode. Fails with SKC_ENOTSOCK for an open handle that
 * is not a socket (POSIX checks; Windows' ioctlsocket refuses it). */
int skc__plat_set_nonblocking(skc_socket_t s, int on);

/* getsockname / getpeername as an skc_endpoint. The local end of a socket
 * that is not bound fails with SKC_EINVAL on every platform; a family
 * other than IPv4/IPv6 with SKC_EAFNOSUPPORT. */
int skc__plat_local_endpoint(skc_socket_t s, skc_endpoint *out);
int skc__plat_peer_endpoint(skc_socket_t s, skc_endpoint *out);

/* The address family of a socket, bound or not: SKC_FAMILY_IPV4,
 * SKC_FAMILY_IPV6, 0 for another family, or a negative SKC_E* code.
 * Leaves the native error slot as it found it on success. */
int skc__plat_socket_family(skc_socket_t s);

/* IPV6_V6ONLY on for an IPv6 socket, bind to at, listen with backlog
 * (0: SOMAXCONN). */
int skc__plat_bind_listen(skc_socket_t s, const skc_endpoint *at, int backlog);

/* One accept. The new socket is non-inheritable and blocking unless
 * nonblock, whatever the listener's mode; *peer receives the peer's
 * endpoint. A connection that died in the queue is reported as
 * SKC_ECONNABORTED on every platform (POSIX: ECONNABORTED and Linux's
 * queued network errors; Windows: WSAECONNRESET); the native code stays
 * in the slot. */
int skc__plat_accept(skc_socket_t listener, int nonblock, skc_socket_t *out,
                     skc_endpoint *peer);

/* One connect. The platform's spelling of "under way" comes back as
 * SKC_EINPROGRESS (POSIX EINPROGRESS, Windows WSAEWOULDBLOCK) and of "no
 * ephemeral port left" as SKC_EADDRNOTAVAIL; everything else translated. */
int skc__plat_connect(skc_socket_t s, const skc_endpoint *to);

/* Read and clear SO_ERROR. 0 when none; else the translated code, with
 * the native code stored in the native slot. */
int skc__plat_socket_error(skc_socket_t s);

/* One vectored send without SIGPIPE; count is at most SKC_SENDV_MAX and
 * the lengths add up to at most SKC_IO_MAX. */
ptrdiff_t skc__plat_sendv(skc_socket_t s, const skc_buf *bufs, size_t count);

/* One vectored receive; the same limits as skc__plat_sendv(). */
ptrdiff_t skc__plat_recvv(skc_socket_t s, const skc_recv_buf *bufs,
                          size_t count);

/* One situation, one result for a failed send: the rules of skc_send(),
 * shared by skc_sendv(). (common, sockclose.c) */
SKC__COLD int skc__send_situation(skc_socket_t s, int err);

/* What a receive that returned n <= 0 (0, or a translated failure)
 * reports: the rules of skc_recv(), shared by skc_recvv(). (common,
 * sockclose.c) */
ptrdiff_t skc__recv_ended(skc_socket_t s, ptrdiff_t n);

/* ---- error.c ---- */

/* A C-runtime errno value (this platform's C runtime numbering) to an
 * SKC_E* code; POSIX: skc__plat_translate(). */
int skc__plat_translate_errno(int crt_errno);

/* The native name of a native code, "ECONNRESET" or "WSAECONNRESET";
 * NULL when unknown. (error_name.c) */
const char *skc__plat_native_name(int native);

#endif /* SKC_PLATFORM_H */
