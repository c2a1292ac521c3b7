/*
 * sockclose: ending a TCP connection the same way on Linux, macOS and
 * Windows, with the same error codes everywhere.
 *
 * This is the only public header. It includes no system socket header, so
 * including it does not pull <winsock2.h> or <sys/socket.h> into user code.
 */
#ifndef SOCKCLOSE_H
#define SOCKCLOSE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @file sockclose.h
 * @brief The sockclose API: close, shutdown, abort, send, recv and one set of
 * error codes over POSIX sockets and Winsock.
 *
 * Conventions that hold for every function:
 * - Success is 0 (or a byte count for skc_send() and skc_recv()); failure is
 *   a negative `SKC_E*` code. The numeric value of each code is the same on
 *   every platform and is never reused.
 * - After a failure, the operating system's own error slot (errno on POSIX,
 *   `WSAGetLastError()` on Windows) still holds the native code of the
 *   failure, so callers can log it. When sockclose rejects an argument
 *   without making a system call, it stores the native code for the same
 *   condition there (EINVAL / WSAEINVAL, EFAULT / WSAEFAULT, EBADF /
 *   WSAENOTSOCK).
 * - No function changes the process's signal dispositions; in particular
 *   SIGPIPE is never raised by sockclose and never ignored on the
 *   application's behalf.
 */

/** @name Version */
/**@{*/
#define SKC_VERSION_MAJOR 0 /**< Major version: incompatible API changes. */
#define SKC_VERSION_MINOR 1 /**< Minor version: compatible additions. */
#define SKC_VERSION_PATCH 0 /**< Patch version: fixes only. */
/**@}*/

/** @name Symbol export */
/**@{*/
#if defined(SKC_STATIC)
#define SKC_EXTERN /**< Marks a public function (static build). */
#elif defined(_WIN32)
#if defined(SKC_BUILDING)
#define SKC_EXTERN __declspec(dllexport)
#else
#define SKC_EXTERN __declspec(dllimport)
#endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#define SKC_EXTERN __attribute__((visibility("default")))
#else
#define SKC_EXTERN
#endif
/**@}*/

/** @name Socket handle */
/**@{*/
#if defined(_WIN32)
/**
 * The platform's socket handle: `SOCKET` on Windows (an unsigned integer as
 * wide as a pointer), a file descriptor (`int`) on POSIX.
 */
#if defined(_WIN64)
typedef unsigned long long skc_socket_t;
#else
typedef unsigned int skc_socket_t;
#endif
/** The invalid handle: `INVALID_SOCKET` on Windows, -1 on POSIX. */
#define SKC_INVALID_SOCKET ((skc_socket_t)~(skc_socket_t)0)
#else
/**
 * The platform's socket handle: `SOCKET` on Windows (an unsigned integer as
 * wide as a pointer), a file descriptor (`int`) on POSIX.
 */
typedef int skc_socket_t;
/** The invalid handle: `INVALID_SOCKET` on Windows, -1 on POSIX. */
#define SKC_INVALID_SOCKET (-1)
#endif
/**@}*/

/**
 * The error list. Each entry is (name, value, message). The values are
 * explicit and permanent: a code is never renumbered and a retired value is
 * never given to another code. New codes take the next free value.
 *
 * The names follow POSIX errno names wherever POSIX has the condition, and
 * libuv's names where libuv maps the same native code.
 */
#define SKC_ERRNO_MAP(XX)                                                      \
  XX(EUNKNOWN, -3000, "unknown error")                                         \
  XX(EACCES, -3001, "permission denied")                                       \
  XX(EADDRINUSE, -3002, "address already in use")                              \
  XX(EADDRNOTAVAIL, -3003, "address not available")                            \
  XX(EAFNOSUPPORT, -3004, "address family not supported")                      \
  XX(EAGAIN, -3005, "resource temporarily unavailable (would block)")          \
  XX(EALREADY, -3006, "operation already in progress")                         \
  XX(EBADF, -3007, "not a valid open socket handle")                           \
  XX(ECANCELED, -3008, "operation canceled")                                   \
  XX(ECONNABORTED, -3009, "connection aborted by the local system")            \
  XX(ECONNREFUSED, -3010, "connection refused")                                \
  XX(ECONNRESET, -3011, "connection reset by peer")                            \
  XX(EDESTADDRREQ, -3012, "destination address required")                      \
  XX(EFAULT, -3013, "bad address (invalid buffer)")                            \
  XX(EHOSTDOWN, -3014, "host is down")                                         \
  XX(EHOSTUNREACH, -3015, "host is unreachable")                               \
  XX(EINPROGRESS, -3016, "operation in progress")                              \
  XX(EINTR, -3017, "interrupted system call")                                  \
  XX(EINVAL, -3018, "invalid argument")                                        \
  XX(EIO, -3019, "input/output error")                                         \
  XX(EISCONN, -3020, "socket is already connected")                            \
  XX(ELOOP, -3021, "too many symbolic links or levels")                        \
  XX(EMFILE, -3022, "too many open files in this process")                     \
  XX(EMSGSIZE, -3023, "message too long")                                      \
  XX(ENAMETOOLONG, -3024, "name too long")                                     \
  XX(ENETDOWN, -3025, "network is down")                                       \
  XX(ENETRESET, -3026, "connection dropped by network reset")                  \
  XX(ENETUNREACH, -3027, "network is unreachable")                             \
  XX(ENFILE, -3028, "too many open files in the system")                       \
  XX(ENOBUFS, -3029, "no buffer space available")                              \
  XX(ENOMEM, -3030, "not enough memory")                                       \
  XX(ENOPROTOOPT, -3031, "protocol option not available")                      \
  XX(ENOTCONN, -3032, "socket is not connected")                               \
  XX(ENOTSOCK, -3033, "handle is not a socket")                                \
  XX(ENOTSUP, -3034, "operation not supported")                                \
  XX(EPERM, -3035, "operation not permitted")                                  \
  XX(EPIPE, -3036, "broken pipe")                                              \
  XX(EPROTO, -3037, "protocol error")                                          \
  XX(EPROTONOSUPPORT, -3038, "protocol not supported")                         \
  XX(EPROTOTYPE, -3039, "protocol wrong type for socket")                      \
  XX(ESHUTDOWN, -3040, "cannot send after this side's shutdown")               \
  XX(ESOCKTNOSUPPORT, -3041, "socket type not supported")                      \
  XX(ETIMEDOUT, -3042, "connection timed out")                                 \
  XX(ETOOMANYREFS, -3043, "too many references")                               \
  XX(EPFNOSUPPORT, -3044, "protocol family not supported")                     \
  XX(ENOTEMPTY, -3045, "directory not empty")                                  \
  XX(EPROCLIM, -3046, "too many processes")                                    \
  XX(EUSERS, -3047, "too many users")                                          \
  XX(EDQUOT, -3048, "disk quota exceeded")                                     \
  XX(ESTALE, -3049, "stale file handle")                                       \
  XX(EREMOTE, -3050, "object is remote")                                       \
  XX(ENOTINIT, -3051, "socket library not initialized (call skc_init)")        \
  XX(ESYSNOTREADY, -3052, "network subsystem is not ready")                    \
  XX(EVERNOTSUPPORTED, -3053, "socket library version not supported")          \
  XX(EDISCON, -3054, "peer is shutting down gracefully")                       \
  XX(EPROVIDER, -3055, "network service provider failed")                      \
  XX(ENOTFOUND, -3056, "name or service not found")                            \
  XX(ENOMORE, -3057, "no more results")                                        \
  XX(EQOS, -3058, "quality-of-service request failed")                         \
  XX(ENOENT, -3059, "no such file or directory")                               \
  XX(ENOTDIR, -3060, "not a directory")                                        \
  XX(EROFS, -3061, "read-only file system")                                    \
  XX(ENOSPC, -3062, "no space left on device")                                 \
  XX(EOVERFLOW, -3063, "value too large")                                      \
  XX(ENOSR, -3064, "out of stream resources")                                  \
  XX(ENODEV, -3065, "no such device")                                          \
  XX(ENXIO, -3066, "no such device or address")                                \
  XX(EBUSY, -3067, "resource busy")                                            \
  XX(EEXIST, -3068, "already exists")                                          \
  XX(ESRCH, -3069, "no such process")                                          \
  XX(ENOLINK, -3070, "link has been severed")

/** @name Error codes */
/**@{*/
/** Every `SKC_E*` code; values are negative, explicit and permanent. */
typedef enum skc_errno {
#define SKC__ERRNO_ENUM(name, value, message) SKC_##name = (value),
  SKC_ERRNO_MAP(SKC__ERRNO_ENUM)
#undef SKC__ERRNO_ENUM
} skc_errno_t;
/**@}*/

/** @name Shutdown directions, for skc_shutdown() */
/**@{*/
#define SKC_SHUT_RD 0   /**< No more receives (`SHUT_RD` / `SD_RECEIVE`). */
#define SKC_SHUT_WR 1   /**< No more sends, FIN to the peer (`SHUT_WR` / `SD_SEND`). */
#define SKC_SHUT_RDWR 2 /**< Both directions (`SHUT_RDWR` / `SD_BOTH`). */
/**@}*/

/** Largest byte count one skc_send() or skc_recv() call moves on any OS. */
#define SKC_IO_MAX 2147483647

/**
 * @brief Initialize the library. Reference-counted and thread-safe.
 *
 * On Windows the first call runs `WSAStartup(2.2)`; on POSIX it does
 * nothing global (in particular it never touches SIGPIPE). Each successful
 * call must be paired with one skc_cleanup().
 *
 * @return 0; on Windows `SKC_ESYSNOTREADY`, `SKC_EVERNOTSUPPORTED`,
 *         `SKC_EPROCLIM` or `SKC_EFAULT` when WSAStartup fails (the count is
 *         then unchanged).
 */
SKC_EXTERN int skc_init(void);

/**
 * @brief Release one reference taken by skc_init(). The last one runs
 * `WSACleanup()` on Windows. A call without a matching skc_init() is
 * ignored.
 */
SKC_EXTERN void skc_cleanup(void);

/**
 * @brief Close a socket handle: `close()` on POSIX, `closesocket()` on
 * Windows.
 *
 * This releases one reference to the connection. When another copy of the
 * handle is still open (a dup, a handle inherited by a child process, a
 * `WSADuplicateSocket` copy), no FIN is sent until the last copy is closed;
 * use skc_shutdown() to end the connection regardless of copies.
 * If unread data is still queued on the socket, the kernel answers with an
 * RST instead of a FIN (RFC 2525 section 2.17), and the peer may lose data.
 *
 * On POSIX, like `close()`, it closes any descriptor, socket or not.
 *
 * On POSIX a close interrupted by a signal (EINTR) is not retried and
 * counts as success: Linux and macOS have released the descriptor already,
 * and retrying could close a descriptor another thread has just opened.
 *
 * @return 0, or `SKC_EBADF` when `s` is not an open socket handle
 *         (`SKC_INVALID_SOCKET` or already closed; Windows reports both, and
 *         a handle that is not a socket, as WSAENOTSOCK, so one code covers
 *         them on every OS), or another `SKC_E*` code.
 */
SKC_EXTERN int skc_close(skc_socket_t s);

/**
 * @brief Shut down one or both directions of a connection, for every copy
 * of the handle at once.
 *
 * @param s the connected socket.
 * @param how `SKC_SHUT_RD`, `SKC_SHUT_WR` or `SKC_SHUT_RDWR`, mapped to the
 *        named `SHUT_*` / `SD_*` constants.
 * @return 0; `SKC_EINVAL` when `how` is none of the three (no system call is
 *         made); `SKC_ENOTCONN` when the socket is not connected, also for
 *         a listener, which keeps listening (Linux would otherwise stop
 *         it accepting on `SKC_SHUT_RD` and `SKC_SHUT_RDWR`); `SKC_EBADF`
 *         for a handle that is not an open socket.
 *
 * After `SKC_SHUT_WR`, skc_send() fails with `SKC_ESHUTDOWN` and the socket
 * can still receive. After `SKC_SHUT_RD`, skc_recv() returns 0 once the
 * receive queue is empty; data that was already queued, or that arrives
 * later, is still delivered on Linux but discarded on macOS and Windows
 * (Windows may answer such data with an RST). Do not rely on `SKC_SHUT_RD`
 * to refuse data.
 */
SKC_EXTERN int skc_shutdown(skc_socket_t s, int how);

/**
 * @brief Abortive close: the peer receives an RST instead of a FIN, and
 * anything still queued for sending is dropped. The handle is closed.
 *
 * Sets `SO_LINGER` to {on, 0 seconds} and closes. Some BSDs reject that
 * setsockopt with EINVAL once the peer has already gone; that error is
 * ignored and the handle is still closed.
 *
 * @return
 *  - 0: the RST was requested and the handle closed.
 *  - `SKC_EBADF`: `s` is not an open socket (nothing is closed then).
 *  - the `SKC_E*` code of the `SO_LINGER` setsockopt when it failed for
 *    another reason: the handle is closed all the same, but with an
 *    ordinary close, so the peer may see a FIN instead of an RST.
 *  - the `SKC_E*` code of the close.
 */
SKC_EXTERN int skc_abort(skc_socket_t s);

/**
 * @brief Send bytes on a connected socket, never raising SIGPIPE.
 *
 * At most `SKC_IO_MAX` bytes are passed to the OS in one call (larger
 * lengths are clamped, never truncated by a cast), so the return value may
 * be smaller than `len`.
 *
 * @return the number of bytes sent (0 only when `len` is 0), or:
 *  - `SKC_ESHUTDOWN`: this side has shut down its write direction
 *    (skc_shutdown() with `SKC_SHUT_WR` or `SKC_SHUT_RDWR`). Linux and macOS
 *    report EPIPE here, Windows WSAESHUTDOWN.
 *  - `SKC_ECONNRESET`: the connection is gone: the peer reset it, or it
 *    closed and answered our data with an RST. Linux reports EPIPE or
 *    ECONNRESET, Windows WSAECONNRESET or WSAECONNABORTED. Every later
 *    skc_send() and skc_recv() on a gone connection (reset, or dead after
 *    `SKC_ETIMEDOUT`) reports it again.
 *  - `SKC_ETIMEDOUT`: the connection is dead: keepalive probes or
 *    retransmissions went unanswered (see skc_set_keepalive()). Linux's
 *    EHOSTUNREACH, ENETUNREACH and EHOSTDOWN in this place, and Windows'
 *    WSAENETRESET, are reported as this code (a connection attempt that
 *    failed, reported by a later call, keeps its unreachable code).
 *  - `SKC_EAGAIN`: a non-blocking socket's send buffer is full, or a
 *    blocking socket's send timeout (`SO_SNDTIMEO`) passed with nothing
 *    sent.
 *  - `SKC_EFAULT`: `buf` is NULL while `len` is not 0 (no system call).
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_ENOTCONN`: the socket was never connected, or is a listener
 *    (Linux reports EPIPE for both; the errno then says ENOTCONN).
 *  - another `SKC_E*` code.
 */
SKC_EXTERN ptrdiff_t skc_send(skc_socket_t s, const void *buf, size_t len);

/**
 * @brief Receive bytes from a connected socket.
 *
 * At most `SKC_IO_MAX` bytes are requested in one call.
 *
 * @return the number of bytes received; 0 for an orderly end of stream (the
 *         peer's FIN, or this side's `SKC_SHUT_RD` with nothing left to
 *         deliver, which Windows reports as WSAESHUTDOWN); or:
 *  - `SKC_ECONNRESET`: the peer reset the connection (RST), also when it
 *    closed with our data unread. Windows' WSAECONNABORTED is reported as
 *    this code too. It stays: every later skc_recv() and skc_send() on
 *    the connection reports it again, never 0 (POSIX kernels return 0
 *    after reporting a reset once; sockclose then asks the TCP state, on
 *    that path only). Exception, Linux: once anything was received on
 *    the connection, a reset reported once leaves nothing that tells it
 *    from the peer's FIN, and later receives return 0 (scenario P3); a
 *    connection that died of unanswered probes or retransmissions is
 *    still recognised. A reset that follows the peer's FIN does not undo
 *    that end of stream: receives keep returning 0. macOS and FreeBSD:
 *    not done yet (not run here); their kernels return 0 after the first
 *    report, and so does skc_recv() there.
 *  - `SKC_ETIMEDOUT`: the connection is dead (keepalive or user timeout,
 *    see skc_set_keepalive()); later calls report `SKC_ECONNRESET`.
 *  - `SKC_EAGAIN`: a non-blocking socket has nothing to read, or a
 *    blocking socket's receive timeout (`SO_RCVTIMEO`) passed (POSIX;
 *    Windows reports that as `SKC_ETIMEDOUT`, WSAETIMEDOUT, per
 *    Microsoft's documentation of `SO_RCVTIMEO`).
 *  - `SKC_EINVAL`: `len` is 0 (a 0 result would be mistaken for end of
 *    stream; no system call is made).
 *  - `SKC_EFAULT`: `buf` is NULL (no system call).
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_ENOTCONN`: the socket was never connected.
 *  - another `SKC_E*` code.
 */
SKC_EXTERN ptrdiff_t skc_recv(skc_socket_t s, void *buf, size_t len);

/**
 * @brief Create a connected TCP pair over the IPv4 loopback address.
 *
 * Windows has no TCP `socketpair()`; this listens on an OS-assigned port of
 * 127.0.0.1, connects, accepts, checks that the accepted connection is the
 * one it made (another local process could have connected first), and
 * closes the listener, with skc_tcp_listen(), skc_connect() and
 * skc_accept(). Both handles are blocking and not inheritable by child
 * processes (the accepted one too, which Windows' accept would otherwise
 * make inheritable when the listener is).
 *
 * A signal caught during the calls (a handler without `SA_RESTART`) does
 * not make it fail: an interrupted connect is waited for and an
 * interrupted accept is repeated.
 *
 * @param pair receives the two ends; set to `SKC_INVALID_SOCKET` on failure.
 * @return 0, `SKC_EFAULT` when `pair` is NULL, or the `SKC_E*` code of the
 *         socket call that failed.
 */
SKC_EXTERN int skc_tcp_pair(skc_socket_t pair[2]);

/**
 * @brief Choose whether child processes inherit the handle: `FD_CLOEXEC`
 * on POSIX (inherited across exec when off), `HANDLE_FLAG_INHERIT` on
 * Windows (inherited by CreateProcess with bInheritHandles).
 *
 * An inherited copy counts as a reference: while a child holds it, the
 * parent's skc_close() sends no FIN. Make listening and connected sockets
 * non-inheritable unless a child really needs them.
 *
 * @param s the socket handle.
 * @param inheritable non-zero to let children inherit the handle.
 * @return 0, or `SKC_EBADF` when `s` is not an open handle.
 */
SKC_EXTERN int skc_set_inheritable(skc_socket_t s, int inheritable);

/**
 * @brief Map a native error code to an `SKC_E*` code, without context.
 *
 * @param native an errno value on POSIX; a Winsock (`WSAE*`, `WSA_*`) or
 *        Win32 (`ERROR_*`) code on Windows. 0 maps to 0.
 * @return the `SKC_E*` code, `SKC_EUNKNOWN` for a value with no meaning.
 *
 * This is the code-for-code mapping. skc_send() and skc_recv() go one step
 * further and report one result per situation (see their documentation).
 */
SKC_EXTERN int skc_translate_error(int native);

/**
 * @brief skc_translate_error() of the calling thread's current native error
 * (errno on POSIX, `WSAGetLastError()` on Windows). The slot is not changed.
 */
SKC_EXTERN int skc_last_error(void);

/**
 * @brief The bare name of an error code, such as "ECONNRESET".
 * @return a static string, never NULL: "EUNKNOWN" for an unknown code, "OK"
 *         for 0.
 */
SKC_EXTERN const char *skc_err_name(int err);

/**
 * @brief A human-readable message for an error code.
 * @return a static string, never NULL: "unknown error" for an unknown code,
 *         "success" for 0.
 */
SKC_EXTERN const char *skc_strerror(int err);

/**
 * @brief Does this code mean the connection is gone? True for every code
 * a reset or dead connection reports on any OS: `SKC_ECONNRESET`,
 * `SKC_ECONNABORTED`, `SKC_EPIPE`, `SKC_ENETRESET`, `SKC_ETIMEDOUT`, and
 * the ICMP errors Linux reports for a dead connection in place of
 * ETIMEDOUT (`SKC_EHOSTUNREACH`, `SKC_ENETUNREACH`, `SKC_EHOSTDOWN`, as
 * skc_translate_error() gives them; skc_send() and skc_recv() report
 * `SKC_ETIMEDOUT` instead).
 * @return 1 or 0.
 */
SKC_EXTERN int skc_is_connection_gone(int err);

/**
 * @brief Can the same call succeed later? True for `SKC_EAGAIN`,
 * `SKC_EINTR` and `SKC_EINPROGRESS`.
 * @return 1 or 0.
 */
SKC_EXTERN int skc_is_try_again(int err);

/* ======================================================================
 * Connection state and audit
 * ====================================================================== */

/** @name TCP connection states
 * One numbering on every OS: the tcpConnState numbering of RFC 1213
 * (MIB-II), which Windows' MIB_TCP_STATE also uses. Linux (`tcpi_state`,
 * CLOSE_WAIT = 8), Windows `SIO_TCP_INFO` (TCPSTATE, CLOSE_WAIT = 7) and
 * the BSDs and macOS (TCPS_*, CLOSE_WAIT = 5) each number the states
 * differently; sockclose translates. The values are permanent.
 */
/**@{*/
/** A TCP connection state, numbered as in RFC 1213 on every OS. */
typedef enum skc_tcp_state_t {
  SKC_TCP_CLOSED = 1,        /**< No connection: never connected, reset, or over. */
  SKC_TCP_LISTEN = 2,        /**< A listening socket. */
  SKC_TCP_SYN_SENT = 3,      /**< connect() sent a SYN, no answer yet. */
  SKC_TCP_SYN_RECEIVED = 4,  /**< A SYN arrived and was answered (not yet accepted). */
  SKC_TCP_ESTABLISHED = 5,   /**< Open in both directions. */
  SKC_TCP_FIN_WAIT_1 = 6,    /**< We sent our FIN; not yet acknowledged. */
  SKC_TCP_FIN_WAIT_2 = 7,    /**< Our FIN is acknowledged; the peer may still send. */
  SKC_TCP_CLOSE_WAIT = 8,    /**< The peer sent its FIN; we have not closed yet. */
  SKC_TCP_CLOSING = 9,       /**< Both sent FIN at once; ours not yet acknowledged. */
  SKC_TCP_LAST_ACK = 10,     /**< Peer's FIN, then ours; waiting for the last ACK. */
  SKC_TCP_TIME_WAIT = 11     /**< We closed first and both FINs are done; the
                                  port pair stays reserved for 2 MSL. */
} skc_tcp_state_t;
/** One more than the largest state value, for arrays indexed by state. */
#define SKC_TCP_STATE_COUNT 12
/** The bit of one state in skc_audit_options::states. */
#define SKC_TCP_STATE_BIT(state) (1u << (unsigned)(state))
/**@}*/

/**
 * @brief The TCP state of a socket's connection, as an `SKC_TCP_*` value.
 *
 * Asks the kernel about this one socket: `TCP_INFO` on Linux and FreeBSD,
 * `TCP_CONNECTION_INFO` on macOS, `SIO_TCP_INFO` on Windows 10 1703 and
 * later (`SO_ACCEPTCONN` first, so a listener reads `SKC_TCP_LISTEN`
 * there on every version).
 *
 * A socket that was never connected reads `SKC_TCP_CLOSED`. Linux differs
 * in one case: once both FINs have been exchanged, the socket this process
 * still holds reads `SKC_TCP_CLOSED` even when it closed first, because
 * Linux hands the TIME_WAIT period to a separate kernel object that only
 * the audit (skc_audit_list()) shows; Windows and macOS report
 * `SKC_TCP_TIME_WAIT` for the socket itself.
 *
 * @return an `SKC_TCP_*` value (always positive), or:
 *  - `SKC_ENOTSUP`: the OS cannot tell (Windows before 10 1703, Wine 8,
 *    which does not implement `SIO_TCP_INFO`, and other systems), or `s`
 *    is not a TCP socket.
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - another `SKC_E*` code.
 */
SKC_EXTERN int skc_tcp_state(skc_socket_t s);

/**
 * @brief The name of a state: "ESTABLISHED", "CLOSE_WAIT", "TIME_WAIT"...
 * @return a static string, never NULL: "UNKNOWN" for a value that is no
 *         `SKC_TCP_*` state.
 */
SKC_EXTERN const char *skc_tcp_state_name(int state);

/**
 * @brief The state named by a string, for command lines and
 * configuration files.
 *
 * Case is ignored and '-' equals '_', so "CLOSE_WAIT", "close-wait" and
 * "Close_Wait" all name `SKC_TCP_CLOSE_WAIT`. Linux's spellings are
 * accepted too: "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "CLOSE".
 *
 * @return the `SKC_TCP_*` value; `SKC_EINVAL` for an unknown name;
 *         `SKC_EFAULT` when `name` is NULL.
 */
SKC_EXTERN int skc_tcp_state_from_name(const char *name);

/**
 * @brief Has the peer ended its side of the connection: did its FIN (or
 * an RST) arrive?
 *
 * Reads the TCP state without receiving anything, so it does not consume
 * data and answers the same while unread data is still queued: after the
 * peer's FIN, skc_recv() first returns every queued byte, then 0.
 * A server can use it to find connections whose client has left (the
 * connections that pile up in CLOSE_WAIT when nobody closes them).
 *
 * Where skc_tcp_state() cannot tell (Windows without `SIO_TCP_INFO`, and
 * Wine), the state is looked up in the system's connection table by this
 * socket's address and port pair, as skc_audit_list() sees it.
 *
 * @return
 *  - 1: nothing more will arrive beyond what is queued. The peer sent its
 *    FIN (`CLOSE_WAIT`, `LAST_ACK`, `CLOSING`, `TIME_WAIT`), or there is no
 *    connection any more (`CLOSED`: reset, over, or never connected).
 *  - 0: the peer may still send (`SYN_SENT`, `SYN_RECEIVED`,
 *    `ESTABLISHED`, `FIN_WAIT_1`, `FIN_WAIT_2`).
 *  - `SKC_ENOTCONN`: `s` is a listening socket.
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_ENOTSUP`: `s` is not a TCP socket, or the OS can tell neither
 *    way.
 *  - another `SKC_E*` code.
 */
SKC_EXTERN int skc_peer_closed(skc_socket_t s);

/**
 * @brief Prepare a listening socket so that a restarted server can bind
 * its port at once, without letting another program take the port over.
 * Call it after creating the socket and before bind().
 *
 * After a server closes connections first, they stay in TIME_WAIT for
 * 2 MSL (60 s on Linux, up to 240 s on Windows). Linux and macOS then
 * refuse to bind the port again (EADDRINUSE) unless the old sockets and the new
 * one all carry `SO_REUSEADDR`: this sets it on POSIX, where it never lets
 * two sockets listen on one port. Call it on every listener, since the
 * TIME_WAIT connections of an old listener count only when that one had it
 * too.
 *
 * On Windows, `SO_REUSEADDR` would let other programs bind the same
 * port and take its connections, and a bind without options already
 * ignores TIME_WAIT, so this clears `SO_REUSEADDR` instead: since Windows
 * Server 2003 a second socket can bind a port in use only when the first
 * one set it, and is refused with `WSAEACCES` (`SKC_EACCES`) otherwise.
 * `SO_EXCLUSIVEADDRUSE` is not used: Microsoft documents that a port bound
 * exclusively may stay unavailable while connections of the previous
 * listener are not yet inactive, which would break the restart. One case
 * stays open on Windows: a program of the same user that binds a specific
 * address of the port while this socket is bound to the wildcard address
 * takes that address's connections. (Decided from Microsoft's
 * documentation; checked under Wine, not yet on Windows.)
 *
 * @return 0; `SKC_EBADF` when `s` is not an open socket; another `SKC_E*`
 *         code.
 */
SKC_EXTERN int skc_listen_reuse(skc_socket_t s);

/** @name Connection audit
 * A portable `netstat -tanp`: every TCP connection of the machine with its
 * state, addresses, queues and, on request, the process that holds it.
 */
/**@{*/

#define SKC_FAMILY_IPV4 4 /**< skc_endpoint::family of an IPv4 address. */
#define SKC_FAMILY_IPV6 6 /**< skc_endpoint::family of an IPv6 address. */

/** One end of a connection. */
typedef struct skc_endpoint {
  int family;                /**< `SKC_FAMILY_IPV4` or `SKC_FAMILY_IPV6`. */
  unsigned char address[16]; /**< Network byte order; IPv4 uses the first 4. */
  unsigned short port;       /**< Host byte order; 0 for "any" (a listener's remote end). */
  unsigned long scope_id;    /**< IPv6 scope (interface index); 0 otherwise. */
} skc_endpoint;

/** Room skc_endpoint_format() needs for any endpoint, terminator included:
 * "[" + 39 address characters + "%" + a 20-digit 64-bit scope + "]:" + 5
 * port digits + terminator = 69, rounded up. */
#define SKC_ENDPOINT_STRLEN 72

/**
 * @brief Write an endpoint as text: "127.0.0.1:80", "[::1]:80",
 * "[fe80::1%2]:80" (IPv6 in the RFC 5952 form).
 * @return the length written (without the terminator); `SKC_EFAULT` when
 *         `endpoint` or `buf` is NULL; `SKC_EINVAL` when the family is
 *         neither IPv4 nor IPv6; `SKC_ENOBUFS` when `size` is too small
 *         (`SKC_ENDPOINT_STRLEN` always suffices; `buf` then holds "").
 */
SKC_EXTERN int skc_endpoint_format(const skc_endpoint *endpoint, char *buf,
                                   size_t size);

/** Room for a process name in skc_connection::process. */
#define SKC_PROCESS_NAME_MAX 64

/** One TCP connection (or listener) as the audit sees it. */
typedef struct skc_connection {
  int state;           /**< An `SKC_TCP_*` value. */
  skc_endpoint local;  /**< This machine's end. */
  skc_endpoint remote; /**< The peer's end (all zero for a listener). */
  /** Bytes received and not yet read by the program: what a CLOSE_WAIT
   * connection still holds for it. (Linux's own tools count the peer's
   * FIN as one more byte until it is read; this does not.) For a Linux
   * listener, the connections waiting for accept(). -1 where the OS does
   * not tell (Windows). */
  long long recv_queue;
  /** Bytes sent and not yet acknowledged by the peer. For a Linux
   * listener, its backlog limit (netlink) or 0 (/proc). -1 where the OS
   * does not tell (Windows). */
  long long send_queue;
  /** The process holding the socket, filled only when owners were asked
   * for: -1 when not asked or not known (a process of another user, on
   * most systems); 0 when no process holds it (TIME_WAIT, and connections
   * closed by their program that are still finishing). Where several
   * processes hold it, the lowest pid. Wine 8 reports 0 for accepted
   * sockets, and for other sockets until the process has made a call that
   * fetches the socket's descriptor from wineserver (a send; an ioctl
   * such as FIONREAD on a listener). */
  long pid;
  /** The process's name ("nginx", "server.exe"), "" when unknown. */
  char process[SKC_PROCESS_NAME_MAX];
  /** Linux: the socket's inode (as in /proc/PID/fd); 0 for sockets no
   * process holds, and on other systems. */
  unsigned long long inode;
} skc_connection;

/** Where skc_audit_list() reads the table (skc_audit_options::source). */
#define SKC_AUDIT_SOURCE_AUTO 0    /**< The best this OS has. */
#define SKC_AUDIT_SOURCE_NETLINK 1 /**< Linux: NETLINK_SOCK_DIAG (inet_diag). */
#define SKC_AUDIT_SOURCE_PROCFS 2  /**< Linux: /proc/net/tcp and /proc/net/tcp6. */

/**
 * What skc_audit_list() reports. Zero-initialize it (`= {0}`) and set only
 * the fields wanted: all zero lists every TCP connection and listener of
 * both IP families, without owners.
 */
typedef struct skc_audit_options {
  /** `SKC_TCP_STATE_BIT()`s of the states wanted; 0 for every state. On
   * Linux the kernel applies it, so the cost follows what is returned. */
  unsigned int states;
  /** Keep connections whose local or remote port is this; 0 for any. */
  unsigned short port;
  /** Keep connections whose local port is this; 0 for any. */
  unsigned short local_port;
  /** Keep connections whose remote port is this; 0 for any. */
  unsigned short remote_port;
  /** `SKC_FAMILY_IPV4` or `SKC_FAMILY_IPV6`; 0 for both. */
  int family;
  /** Keep only connections held by this process id; 0 for any. Implies
   * owners. Under Wine it misses the sockets Wine reports as pid 0. On
   * Linux, when this process's descriptors cannot be read, the list fails
   * (see skc_audit_list()) rather than coming back short. */
  long pid;
  /** Non-zero: fill skc_connection::pid and skc_connection::process. On
   * Linux this scans /proc/PID/fd of every process (only that of `pid` when set), matching
   * only the connections that passed the other filters. */
  int owners;
  /** `SKC_AUDIT_SOURCE_*`: AUTO unless a test or benchmark must pick. */
  int source;
} skc_audit_options;

/**
 * @brief List the machine's TCP connections.
 *
 * Linux: `NETLINK_SOCK_DIAG` inet_diag dumps for IPv4 and IPv6 with the
 * state and port filters run by the kernel, or /proc/net/tcp{,6} where
 * netlink is not available. Owners come from matching socket inodes in
 * /proc/PID/fd. Windows: `GetExtendedTcpTable()` for AF_INET and
 * AF_INET6 (`TCP_TABLE_OWNER_PID_ALL` when owners are asked for, the
 * basic tables otherwise); owner names from the process image. macOS:
 * the kernel's table as netstat reads it (the `net.inet.tcp.pcblist_n`
 * sysctl, with TIME_WAIT and the connections no process holds), owners
 * from libproc (`proc_pidfdinfo`): a TIME_WAIT row has pid 0, a row no
 * visible process holds -1. (The macOS code has not run on macOS yet: see
 * the README.)
 *
 * The list is not an atomic snapshot: no OS offers one. A connection that
 * changes state during the call is listed in one of its states; on a
 * machine that opens and closes connections quickly, Linux's sources can
 * skip a connection that did not change (each resumes by position in a
 * table that other connections shift); repeats are removed. On Linux the
 * rows come out sorted by local address.
 *
 * @param options what to list; NULL for the defaults (everything).
 * @param list receives an array to release with skc_audit_free() (NULL
 *        when nothing matched).
 * @param count receives the number of entries.
 * @return 0, or:
 *  - `SKC_EFAULT`: `list` or `count` is NULL.
 *  - `SKC_EINVAL`: an option is out of range (a state bit that is no
 *    state, an unknown family or source, a negative pid).
 *  - `SKC_ENOTSUP`: this OS has no audit, or the source asked for is not
 *    this OS's.
 *  - `SKC_ESRCH`: with `pid`, that process does not exist (Linux).
 *  - `SKC_EACCES` / `SKC_EPERM`: with `pid`, that process's descriptors
 *    may not be read (another user's process).
 *  - `SKC_ENOMEM`, `SKC_EMFILE` (no descriptor left to read /proc), or
 *    the `SKC_E*` code of the system call that failed. Owners are never
 *    left at -1 for want of descriptors or memory; without `pid`, only
 *    processes that exit during the scan or belong to another user keep
 *    -1.
 *  - `SKC_EPROTO`: the kernel's netlink answer was malformed or cut
 *    short.
 *  On failure `*list` is NULL and `*count` 0.
 */
SKC_EXTERN int skc_audit_list(const skc_audit_options *options,
                              skc_connection **list, size_t *count);

/** @brief Release a list from skc_audit_list(). NULL is ignored. */
SKC_EXTERN void skc_audit_free(skc_connection *list);
/**@}*/

/** @name Leak check for test suites
 * Take a snapshot when a test starts; when it ends, skc_leak_check()
 * reports this process's sockets that the test left behind: connections in
 * CLOSE_WAIT (the peer left and nobody closed the socket) and socket
 * handles opened since the snapshot and still open.
 *
 * With cmocka, as a setup/teardown pair:
 * @code
 * static skc_leak_snapshot *snap;
 * static int setup(void **state) { return skc_leak_snapshot_take(&snap) ? -1 : 0; }
 * static int teardown(void **state) {
 *   skc_leak_report report;
 *   int leaks = skc_leak_check(snap, &report);
 *   skc_leak_snapshot_free(snap);
 *   if (leaks != 0) print_error("%s", report.text);
 *   return leaks == 0 ? 0 : -1;
 * }
 * @endcode
 *
 * Only sockets are considered. The process's socket handles are listed
 * from /proc/self/fd on Linux, libproc on macOS, every descriptor number
 * below the limit on other POSIX systems; on Windows from the process's
 * handle table (Windows 8 and later) or by trying the handle values
 * (Windows 7, Wine). Each Windows handle that can be a socket (a pipe to
 * GetFileType) is asked whether it is one, which may wait while another
 * thread is blocked in synchronous I/O on that handle.
 */
/**@{*/
/** The set of this process's sockets at one moment (opaque). */
typedef struct skc_leak_snapshot skc_leak_snapshot;

/** Room for skc_leak_report::text. */
#define SKC_LEAK_REPORT_TEXT 2048

/** What skc_leak_check() found. */
typedef struct skc_leak_report {
  /** Sockets of this process in CLOSE_WAIT that were not in CLOSE_WAIT
   * (or did not exist) at the snapshot. */
  size_t close_wait;
  /** Other sockets opened since the snapshot and still open. */
  size_t open_sockets;
  /** One line per finding, e.g. "leaked socket 7: CLOSE_WAIT
   * 127.0.0.1:5700 <- 127.0.0.1:41234, 16 bytes unread" or "open socket
   * 8: LISTEN 127.0.0.1:5700"; "" when nothing was found. Truncated to
   * fit, ending with "...". */
  char text[SKC_LEAK_REPORT_TEXT];
} skc_leak_report;

/**
 * @brief Record this process's open sockets and their states.
 * @return 0 and a snapshot for skc_leak_check() and
 *         skc_leak_snapshot_free(); `SKC_EFAULT` when `snapshot` is NULL;
 *         `SKC_ENOTINIT` on Windows before skc_init(); `SKC_ENOMEM`; or
 *         the code of the system call that failed.
 */
SKC_EXTERN int skc_leak_snapshot_take(skc_leak_snapshot **snapshot);

/**
 * @brief Compare this process's sockets now with a snapshot.
 * @param snapshot from skc_leak_snapshot_take().
 * @param report receives the findings; may be NULL.
 * @return the number of findings (`close_wait + open_sockets`, 0 when
 *         none), or `SKC_EFAULT` when `snapshot` is NULL, or the code of
 *         the system call that failed. A socket is left out only when it
 *         was closed during the check; any other failure to list or ask
 *         a socket is returned, never a count that may be short.
 */
SKC_EXTERN int skc_leak_check(const skc_leak_snapshot *snapshot,
                              skc_leak_report *report);

/** @brief Release a snapshot. NULL is ignored. */
SKC_EXTERN void skc_leak_snapshot_free(skc_leak_snapshot *snapshot);
/**@}*/

/* ======================================================================
 * Connections: sockets, endpoints, listen, accept, connect, vectored send
 * ====================================================================== */

/** @name Connections
 *
 * The calls every program that opens connections writes for itself, once
 * per OS: create a socket, listen, accept, connect, switch to non-blocking
 * mode, read the addresses, send several buffers at once. Each gives the
 * same result for the same situation on every OS, with the rules of
 * skc_send() and skc_recv():
 * - Every socket made here is non-inheritable by child processes
 *   (atomically where the OS can: `SOCK_CLOEXEC`, `accept4`,
 *   `WSA_FLAG_NO_HANDLE_INHERIT`).
 * - A connection that the client reset before it was accepted is never
 *   handed out by skc_accept().
 * - A non-blocking connect in progress is `SKC_EINPROGRESS` on every OS.
 * - No call raises SIGPIPE or changes a signal disposition.
 * - After a failure the native code stays in errno / `WSAGetLastError()`;
 *   skc_format_error() writes it into a log line.
 */
/**@{*/

/** Flag for skc_tcp_socket(), skc_tcp_listen() and skc_accept(): the new
 * socket is non-blocking (calls that would wait return `SKC_EAGAIN`, or
 * `SKC_EINPROGRESS` for skc_connect()). Without it the socket blocks. */
#define SKC_SOCK_NONBLOCK 1

/**
 * @brief Switch a socket between blocking and non-blocking mode
 * (`fcntl(O_NONBLOCK)` / `ioctlsocket(FIONBIO)`).
 *
 * @param s the socket.
 * @param on non-zero for non-blocking, 0 for blocking.
 * @return 0; `SKC_EBADF` when `s` is `SKC_INVALID_SOCKET` (no system
 *         call), closed, or not a socket (POSIX sets the flag on any
 *         descriptor; only sockets are accepted here, so the result is the
 *         same on every OS); another `SKC_E*` code.
 */
SKC_EXTERN int skc_set_nonblocking(skc_socket_t s, int on);

/**
 * @brief Create an unconnected TCP socket that child processes do not
 * inherit.
 *
 * Non-inheritable atomically where the OS can (`SOCK_CLOEXEC` on Linux
 * and the BSDs, `WSA_FLAG_NO_HANDLE_INHERIT` on Windows 7 SP1 and later),
 * right after creation elsewhere (macOS), where another thread's fork and
 * exec in between could still inherit it. On macOS `SO_NOSIGPIPE` is set
 * too, so even a plain `send()` on it raises no SIGPIPE. On Windows the
 * socket can be used for overlapped I/O.
 *
 * @param family `SKC_FAMILY_IPV4` or `SKC_FAMILY_IPV6`.
 * @param flags 0 or `SKC_SOCK_NONBLOCK`.
 * @param out receives the socket; `SKC_INVALID_SOCKET` on failure.
 * @return 0, or (no system call for the first three):
 *  - `SKC_EFAULT`: `out` is NULL.
 *  - `SKC_EAFNOSUPPORT`: `family` is neither IPv4 nor IPv6; also when the
 *    OS has no such family (IPv6 disabled).
 *  - `SKC_EINVAL`: `flags` has a bit other than `SKC_SOCK_NONBLOCK`.
 *  - `SKC_EMFILE` / `SKC_ENFILE`: no descriptor left in the process / the
 *    system; `SKC_ENOBUFS`, `SKC_ENOMEM`; `SKC_ENOTINIT` on Windows before
 *    skc_init().
 */
SKC_EXTERN int skc_tcp_socket(int family, int flags, skc_socket_t *out);

/**
 * @brief Read an endpoint from text: the inverse of skc_endpoint_format().
 *
 * Accepts "127.0.0.1:80", "[::1]:80" and "[fe80::1%2]:80": an IPv4
 * address in four decimal parts, or an IPv6 address (any RFC 4291 text
 * form, an embedded IPv4 tail included) in brackets with an optional
 * numeric scope (interface index) after '%'; then ':' and a decimal port
 * 0 to 65535. Nothing may precede or follow. No name is looked up.
 *
 * @param text the text, terminated.
 * @param out receives the endpoint; all zero on failure.
 * @return 0, `SKC_EFAULT` when `text` or `out` is NULL, `SKC_EINVAL` when
 *         the text is not such an endpoint (no system call either way).
 */
SKC_EXTERN int skc_endpoint_parse(const char *text, skc_endpoint *out);

/**
 * @brief The local address and port of a socket (`getsockname`).
 *
 * @param s a bound or connected socket.
 * @param out receives the endpoint; all zero on failure.
 * @return 0, or:
 *  - `SKC_EINVAL`: `s` is not bound yet (Linux and macOS would report
 *    0.0.0.0:0, Windows WSAEINVAL; this is the one result everywhere).
 *  - `SKC_EFAULT`: `out` is NULL.
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_EAFNOSUPPORT`: the socket is neither IPv4 nor IPv6.
 */
SKC_EXTERN int skc_local_endpoint(skc_socket_t s, skc_endpoint *out);

/**
 * @brief The peer's address and port of a connected socket
 * (`getpeername`).
 *
 * @param s a connected socket.
 * @param out receives the endpoint; all zero on failure.
 * @return 0, or:
 *  - `SKC_ENOTCONN`: `s` is not connected (never connected, a listener, a
 *    connect still in progress, or a connection reset by the peer).
 *  - `SKC_EFAULT`: `out` is NULL.
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_EAFNOSUPPORT`: the socket is neither IPv4 nor IPv6.
 */
SKC_EXTERN int skc_peer_endpoint(skc_socket_t s, skc_endpoint *out);

/**
 * @brief A listening TCP socket in one call: skc_tcp_socket(),
 * skc_listen_reuse(), `bind()`, `listen()`.
 *
 * Because of skc_listen_reuse(), a restarted server binds its port at once
 * even while connections of its previous run are in TIME_WAIT, and no
 * other program can take the port over. An IPv6 listener accepts IPv6
 * only (`IPV6_V6ONLY` on, which is Windows' default and not Linux's), so
 * "[::]:80" means the same on every OS; listen on both families with two
 * sockets.
 *
 * @param at the address and port to listen on; port 0 lets the OS choose
 *        (read it back with skc_local_endpoint()).
 * @param backlog the length of the queue of connections not yet accepted;
 *        0 for the largest the OS allows (`SOMAXCONN`).
 * @param flags 0 or `SKC_SOCK_NONBLOCK` (skc_accept() then returns
 *        `SKC_EAGAIN` instead of waiting).
 * @param out receives the listener; `SKC_INVALID_SOCKET` on failure.
 * @return 0, or:
 *  - `SKC_EADDRINUSE`: another socket listens on that port (or is bound
 *    to it).
 *  - `SKC_EADDRNOTAVAIL`: the address is not one of this machine's.
 *  - `SKC_EACCES`: a privileged port (below 1024 on POSIX) without the
 *    right to bind it.
 *  - `SKC_EFAULT`: `at` or `out` is NULL (no system call).
 *  - `SKC_EAFNOSUPPORT`: `at->family` is neither IPv4 nor IPv6 (no system
 *    call), or the OS has no such family.
 *  - `SKC_EINVAL`: `backlog` is negative or `flags` has an unknown bit (no
 *    system call).
 *  - the codes of skc_tcp_socket().
 */
SKC_EXTERN int skc_tcp_listen(const skc_endpoint *at, int backlog, int flags,
                              skc_socket_t *out);

/**
 * @brief Accept one connection, never one that is already dead, as a
 * socket that child processes do not inherit.
 *
 * A client may reset (or abort) its connection while it waits in the
 * listen queue. The BSDs and macOS then fail accept with ECONNABORTED,
 * Windows with WSAECONNRESET, and Linux hands out a socket whose
 * connection is already gone (measured: accept succeeds, the socket's
 * pending error is ECONNRESET, its TCP state CLOSE; its first recv fails
 * with ECONNRESET, the next returns 0 as if the peer had closed in
 * order). Linux also reports some network errors of the new connection
 * from accept itself (ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET,
 * EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH; accept(2)), and Wine 8 fails
 * with WSAENOTCONN (measured). skc_accept() handles
 * all of these alike: the dead connection is closed and skipped, and the
 * call goes on to the next one (a blocking listener waits for it, a
 * non-blocking one returns `SKC_EAGAIN` when there is none).
 *
 * The accepted socket is blocking unless `flags` has `SKC_SOCK_NONBLOCK`,
 * whatever the listener's mode (macOS and Windows would otherwise copy the
 * listener's mode, Linux would not). It is never inheritable: atomically
 * on Linux and the BSDs (`accept4`), right after accept on macOS and
 * Windows (Windows copies the listener's flag, and has no atomic way).
 *
 * @param listener a listening socket.
 * @param flags 0 or `SKC_SOCK_NONBLOCK`, for the accepted socket.
 * @param out receives the connection; `SKC_INVALID_SOCKET` on failure.
 * @param peer receives the client's endpoint; may be NULL.
 * @return 0, or:
 *  - `SKC_EAGAIN`: a non-blocking listener has no connection waiting.
 *  - `SKC_EMFILE` / `SKC_ENFILE`: this process (system) has no descriptor
 *    left. The connection stays in the listen queue and the listener stays
 *    usable: accept again once a descriptor is free. The listener stays
 *    readable meanwhile, so an event loop should stop watching it (or
 *    close some connections) until then, or it will spin.
 *  - `SKC_ENOBUFS` / `SKC_ENOMEM`: out of memory; the listener stays
 *    usable.
 *  - `SKC_EINTR`: a blocking accept was interrupted by a signal handler
 *    (POSIX, a handler installed without `SA_RESTART`).
 *  - `SKC_EINVAL`: `listener` is not listening, or `flags` has an unknown
 *    bit (no system call).
 *  - `SKC_EFAULT`: `out` is NULL (no system call).
 *  - `SKC_EBADF`: `listener` is not an open socket.
 *  - `SKC_ENOTSUP`: `listener` is not a stream socket.
 */
SKC_EXTERN int skc_accept(skc_socket_t listener, int flags, skc_socket_t *out,
                          skc_endpoint *peer);

/**
 * @brief Connect a socket from skc_tcp_socket() to an endpoint.
 *
 * A blocking socket waits until the connection is made or has failed. A
 * non-blocking socket returns `SKC_EINPROGRESS` (POSIX EINPROGRESS,
 * Windows WSAEWOULDBLOCK); wait until it is writable (poll `POLLOUT`,
 * `WSAPoll` `POLLWRNORM`; a failure also makes it readable or reports
 * `POLLERR`/`POLLHUP`) and then read the result with skc_socket_error().
 * Calling skc_connect() again while the connect is under way also returns
 * `SKC_EINPROGRESS` (POSIX EALREADY; Windows WSAEALREADY, or WSAEINVAL
 * from older stacks); once it has succeeded, 0 (POSIX and Windows say
 * EISCONN, Linux once 0 and then EISCONN), so calling it again is also a
 * way to ask whether the connect has finished.
 *
 * @param s an unconnected TCP socket of the endpoint's family.
 * @param to where to connect.
 * @return 0 (connected, also when it already was), `SKC_EINPROGRESS`, or:
 *  - `SKC_ECONNREFUSED`: nothing listens there (the peer answered RST).
 *  - `SKC_ETIMEDOUT`: no answer at all (the SYN was retried until the OS
 *    gave up: about 127 s on Linux, 21 s on Windows and 75 s on macOS by
 *    their documented defaults).
 *  - `SKC_EADDRNOTAVAIL`: no local (ephemeral) port is left for a new
 *    connection to this destination, typically because earlier connections
 *    hold them in TIME_WAIT (see the README's TIME_WAIT chapter). Linux and
 *    macOS report EADDRNOTAVAIL, Windows WSAENOBUFS or WSAEADDRINUSE; all
 *    are this code. Also a destination address that cannot be connected to
 *    (0.0.0.0 on Windows).
 *  - `SKC_ENETUNREACH` / `SKC_EHOSTUNREACH`: no route to the destination.
 *  - `SKC_EINVAL`: `s` is a listening socket.
 *  - `SKC_EAFNOSUPPORT`: `to->family` is neither IPv4 nor IPv6 (no system
 *    call), or is not the socket's family.
 *  - `SKC_EFAULT`: `to` is NULL (no system call).
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_EINTR`: a blocking connect was interrupted by a signal handler
 *    (POSIX); the connect goes on: wait for writability as after
 *    `SKC_EINPROGRESS`.
 *  - another `SKC_E*` code (`SKC_EACCES`, `SKC_ENETDOWN`, ...).
 */
SKC_EXTERN int skc_connect(skc_socket_t s, const skc_endpoint *to);

/**
 * @brief The socket's pending error (`SO_ERROR`) as an `SKC_E*` code, and
 * clear it: the result of a non-blocking connect once the socket is
 * writable.
 *
 * @return 0 when there is none (after a connect: it succeeded); the
 *         pending error, for example `SKC_ECONNREFUSED`, `SKC_ETIMEDOUT`,
 *         `SKC_EADDRNOTAVAIL` (with the same translation as skc_connect());
 *         or, when the call itself fails, `SKC_EBADF` (`s` is not an open
 *         socket). The pending error's native code is left in errno /
 *         `WSAGetLastError()`.
 */
SKC_EXTERN int skc_socket_error(skc_socket_t s);

/** One buffer of a vectored send (the layout of neither `struct iovec`
 * nor `WSABUF`; sockclose converts). */
typedef struct skc_buf {
  const void *base; /**< The bytes; may be NULL when `len` is 0. */
  size_t len;       /**< How many. */
} skc_buf;

/** Most buffers one skc_sendv() call passes to the OS (POSIX's `IOV_MAX`
 * is at least 1024 on Linux, macOS and Windows' WSASend has no smaller
 * limit); larger counts are clamped, as lengths are in skc_send(). */
#define SKC_SENDV_MAX 1024

/**
 * @brief Send several buffers in one call, in order, never raising
 * SIGPIPE: `sendmsg()` with `MSG_NOSIGNAL` (`SO_NOSIGPIPE` on macOS),
 * `WSASend()` on Windows.
 *
 * At most `SKC_SENDV_MAX` buffers and `SKC_IO_MAX` bytes in total are
 * passed in one call (a buffer that would cross that total is shortened),
 * so the result may be less than the sum of the lengths; send the rest
 * with another call.
 *
 * @param s a connected socket.
 * @param bufs the buffers; may be NULL when `count` is 0.
 * @param count how many.
 * @return the number of bytes sent (0 only when every length is 0 or
 *         `count` is 0), or the same codes in the same situations as
 *         skc_send(): `SKC_ESHUTDOWN`, `SKC_ECONNRESET`, `SKC_EAGAIN`,
 *         `SKC_EBADF`, `SKC_ENOTCONN`; and `SKC_EFAULT` when `bufs` is NULL
 *         with `count` above 0, or a buffer's `base` is NULL with its `len`
 *         above 0 (no system call).
 */
SKC_EXTERN ptrdiff_t skc_sendv(skc_socket_t s, const skc_buf *bufs,
                               size_t count);

/** One buffer of a vectored receive: skc_buf's layout with writable
 * bytes. */
typedef struct skc_recv_buf {
  void *base; /**< Where the bytes go; may be NULL when `len` is 0. */
  size_t len; /**< Room there, in bytes. */
} skc_recv_buf;

/**
 * @brief Receive into several buffers in one call, filling them in order:
 * `recvmsg()` on POSIX, `WSARecv()` on Windows.
 *
 * At most `SKC_SENDV_MAX` buffers and `SKC_IO_MAX` bytes in total are
 * passed in one call (as in skc_sendv(); empty buffers are left out).
 *
 * @param s a connected socket.
 * @param bufs the buffers.
 * @param count how many.
 * @return the number of bytes received, 0 for an orderly end of stream,
 *         or the same codes in the same situations as skc_recv() (a
 *         reset stays reported, `SKC_ETIMEDOUT` for a dead connection,
 *         `SKC_EAGAIN`, `SKC_EBADF`, `SKC_ENOTCONN`); and, with no system
 *         call:
 *  - `SKC_EFAULT`: `bufs` is NULL with `count` above 0, or a buffer's
 *    `base` is NULL with its `len` above 0.
 *  - `SKC_EINVAL`: there is no room at all (`count` is 0 or every `len`
 *    is 0): a 0 result would be mistaken for the end of the stream.
 */
SKC_EXTERN ptrdiff_t skc_recvv(skc_socket_t s, const skc_recv_buf *bufs,
                               size_t count);

/**
 * @brief Map a C-runtime `errno` value to an `SKC_E*` code.
 *
 * On POSIX the C runtime and the socket calls share errno, so this is
 * skc_translate_error(). On Windows the C runtime numbers its errno values
 * differently from Winsock (`EINTR` is 4, `EAGAIN` 11, `ECONNRESET` 108 in
 * the Microsoft and MinGW C runtimes), and skc_translate_error() reads
 * Winsock and Win32 codes: pass errno values here, `WSAGetLastError()`
 * values there.
 *
 * @return the `SKC_E*` code; 0 for 0; `SKC_EUNKNOWN` for a value that is
 *         no errno of this C runtime.
 */
SKC_EXTERN int skc_translate_errno(int crt_errno);

/** Room skc_format_error() needs for any code, terminator included. */
#define SKC_ERROR_TEXT_MAX 128

/**
 * @brief A log line for an error that keeps the native code: "connection
 * reset by peer (WSAECONNRESET 10054)", "connection refused (ECONNREFUSED
 * 111)", or for a native code sockclose has no name for "unknown error
 * (native 12345)".
 *
 * @param err an `SKC_E*` code (0 writes "success"); when it is
 *        `SKC_EUNKNOWN` or no code at all, the text comes from `native`.
 * @param native the native code it came from (errno or
 *        `WSAGetLastError()` right after the failure); 0 leaves the
 *        parenthesis out.
 * @param buf where to write; always terminated when `size` is above 0.
 * @param size its size; `SKC_ERROR_TEXT_MAX` always suffices.
 * @return the length written (without the terminator); `SKC_EFAULT` when
 *         `buf` is NULL; `SKC_ENOBUFS` when `size` is too small (`buf`
 *         then holds as much as fits).
 */
SKC_EXTERN int skc_format_error(int err, int native, char *buf, size_t size);

/**
 * @brief The calling thread's native error code: errno on POSIX,
 * `WSAGetLastError()` on Windows, for skc_format_error() in code that has
 * no `#ifdef`. The slot is not changed.
 */
SKC_EXTERN int skc_native_error(void);

/**
 * @brief The name of a native error code: "ECONNRESET" (an errno value on
 * POSIX), "WSAECONNRESET" or "ERROR_NETNAME_DELETED" (a Winsock or Win32
 * code on Windows).
 * @return a static string, or NULL for a code sockclose has no name for.
 */
SKC_EXTERN const char *skc_native_error_name(int native);
/**@}*/

/* ======================================================================
 * Dead-peer detection
 * ====================================================================== */

/** @name Dead-peer detection
 *
 * A peer that vanishes without a word (its machine is gone, a cable is
 * pulled, a NAT entry is dropped) sends neither FIN nor RST: a connection
 * that only waits for input then waits for ever, and one that sends only
 * fills its queue. Two kernel mechanisms notice it, and sockclose sets
 * each with one call on every OS:
 * - keepalive (skc_set_keepalive()): after a silence, the kernel sends
 *   probes; when `count` of them go unanswered, the connection is dead.
 *   This covers an idle connection.
 * - the user timeout (skc_set_user_timeout()): how long sent data may
 *   stay unacknowledged. This covers a connection that is sending.
 *
 * A connection found dead this way ends with `SKC_ETIMEDOUT` on the first
 * skc_recv() or skc_send() that notices it, on every OS, also where the
 * kernel reports an ICMP error it received meanwhile (Linux reports
 * EHOSTUNREACH or ENETUNREACH then; Windows WSAENETRESET or
 * WSAECONNABORTED), and every later call reports `SKC_ECONNRESET`, as for a
 * reset. skc_get_dead_peer_settings() reads back what is in force.
 */
/**@{*/

/** What skc_get_dead_peer_settings() found in force on a socket. A field
 * the OS cannot report holds -1. */
typedef struct skc_dead_peer_settings {
  /** 1 when keepalive is on (`SO_KEEPALIVE`), 0 when off. */
  int keepalive;
  /** Milliseconds of silence before the first probe, as the OS holds it
   * (whole seconds on Linux, macOS, FreeBSD and Windows 10 1709 and
   * later). */
  int idle_ms;
  /** Milliseconds between probes. */
  int interval_ms;
  /** Unanswered probes after which the connection is dead. */
  int count;
  /** The user timeout in milliseconds; 0 when the OS default is in force. */
  int user_timeout_ms;
  /**
   * The longest time, in milliseconds, from the last segment received on
   * an idle connection until the kernel declares the silent peer dead:
   * `idle_ms + interval_ms * count`. On Linux, a user timeout replaces the
   * count (tcp(7), `TCP_USER_TIMEOUT`): the first probe time at or after
   * the user timeout, and at least one probe. -1 when keepalive is off or
   * a part is unknown.
   */
  long long idle_detect_ms;
  /**
   * The longest time, in milliseconds, that sent data may stay
   * unacknowledged before the connection is declared dead: the user
   * timeout. -1 when the OS default is in force (Linux: about 15 minutes
   * with `tcp_retries2` = 15; Windows: about 21 seconds with
   * `TcpMaxDataRetransmissions` = 5; documentation-derived) or unknown.
   */
  long long unacked_detect_ms;
} skc_dead_peer_settings;

/**
 * @brief Turn keepalive on with the given timing, or off.
 *
 * Linux and FreeBSD: `SO_KEEPALIVE`, `TCP_KEEPIDLE`, `TCP_KEEPINTVL`,
 * `TCP_KEEPCNT` (whole seconds). macOS: `TCP_KEEPALIVE` for the idle
 * time, `TCP_KEEPINTVL`, `TCP_KEEPCNT`. Windows 10 1709 and later:
 * `TCP_KEEPIDLE` and `TCP_KEEPINTVL` (whole seconds) and `TCP_KEEPCNT`
 * (1703 and later). Where `TCP_KEEPINTVL` is missing, `SIO_KEEPALIVE_VALS`
 * sets both times in milliseconds (sockclose never sets `TCP_KEEPIDLE`
 * there: before 1709 the same option number read its value in
 * milliseconds). Where `TCP_KEEPCNT` is missing, the count is fixed at 10.
 *
 * Rounding: where the OS takes whole seconds, each time is rounded up to
 * the next second (1 ms becomes 1 s, never 0). Read the times in force
 * back with skc_get_dead_peer_settings().
 *
 * @param s a TCP socket, connected or not (listeners pass the setting on
 *        to accepted sockets on Linux and Windows).
 * @param idle_ms milliseconds of silence before the first probe; 0 turns
 *        keepalive off (then `interval_ms` and `count` are ignored).
 * @param interval_ms milliseconds between probes (> 0).
 * @param count unanswered probes after which the connection is dead (> 0).
 * @return 0, with every part applied; or:
 *  - `SKC_EINVAL`: a negative value, `interval_ms` or `count` 0 while
 *    `idle_ms` is not, or a value the OS refuses (Linux: more than 32767 s
 *    or 127 probes). Nothing is changed when the check is sockclose's own;
 *    a value the OS refuses may leave the earlier parts applied.
 *  - `SKC_ENOTSUP`: `count` is not 10 where the OS cannot set the count
 *    (Windows before 10 1703). Nothing is changed.
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_ENOPROTOOPT`: `s` is not a TCP socket.
 *  - another `SKC_E*` code.
 */
SKC_EXTERN int skc_set_keepalive(skc_socket_t s, int idle_ms, int interval_ms,
                                 int count);

/**
 * @brief Limit how long sent data may stay unacknowledged before the
 * connection is declared dead.
 *
 * Linux: `TCP_USER_TIMEOUT` (milliseconds). Windows: `TCP_MAXRTMS`
 * (milliseconds), or `TCP_MAXRT` (whole seconds, rounded up) where it is
 * missing; this also bounds connection attempts. macOS:
 * `TCP_RXT_CONNDROPTIME` (whole seconds, rounded up). On Linux the user
 * timeout also ends a keepalive that has gone unanswered that long.
 *
 * @param s a TCP socket.
 * @param timeout_ms the limit in milliseconds (> 0), or 0 for the OS
 *        default.
 * @return 0; or:
 *  - `SKC_EINVAL`: `timeout_ms` is negative.
 *  - `SKC_ENOTSUP`: the OS has no such option (FreeBSD and other
 *    systems; Windows without `TCP_MAXRT`, and Wine 8, which implements
 *    neither option), or `timeout_ms` is 0 on Windows, which documents no
 *    value that restores its default. The native error slot holds the
 *    OS's refusal (for example WSAENOPROTOOPT) where there was one.
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_ENOPROTOOPT`: `s` is not a TCP socket.
 *  - another `SKC_E*` code.
 */
SKC_EXTERN int skc_set_user_timeout(skc_socket_t s, int timeout_ms);

/**
 * @brief Read back the keepalive and user timeout in force on a socket,
 * and the longest time until a dead peer is noticed, for logging.
 *
 * @param s a TCP socket.
 * @param settings receives the values; -1 in a field the OS cannot
 *        report. Windows before 10 1709 (and Wine 8) cannot report the
 *        keepalive times; where it cannot report the count either, the
 *        count is the fixed 10 that Windows documents.
 * @return 0; `SKC_EFAULT` when `settings` is NULL; `SKC_EBADF` when `s` is
 *         not an open socket; `SKC_ENOPROTOOPT` when `s` is not a TCP
 *         socket; another `SKC_E*` code. On failure `*settings` holds -1
 *         in every field.
 */
SKC_EXTERN int skc_get_dead_peer_settings(skc_socket_t s,
                                          skc_dead_peer_settings *settings);
/**@}*/

/* ======================================================================
 * Graceful close
 * ====================================================================== */

/** @name Graceful close
 *
 * Closing a socket that still has unread input makes the kernel answer
 * with an RST instead of a FIN (RFC 2525 section 2.17), and an RST
 * destroys data: whatever is still in our send queue is dropped, and
 * Windows also discards what the peer has received but not yet read. A
 * server that answers a request it did not read completely, then closes,
 * loses the tail of its answer. This is the "lingering close" of Apache
 * and nginx.
 *
 * A graceful close avoids it: shut the write side down (our FIN follows
 * everything already sent), read and discard whatever the peer still
 * sends until its FIN or a deadline, then close. Three forms share one
 * procedure and one set of outcomes:
 * - skc_close_graceful() and skc_close_graceful_ex() block until the end;
 * - skc_graceful_start(), skc_graceful_advance(), skc_graceful_timeout()
 *   and skc_graceful_finish() run it from an event loop (epoll, kqueue,
 *   IOCP, libuv, libevent) without blocking and without threads;
 * - skc_closer_new(), skc_closer_add(), skc_closer_run() and
 *   skc_closer_free() linger many sockets at once (epoll, kqueue, IOCP);
 *   skc_closer_handle() and skc_closer_timeout() run one inside a loop.
 *
 * The outcomes, the same in every form:
 * - 0: the peer closed in order: its FIN arrived, no reset. Everything it
 *   sent was read and discarded, and the socket was closed normally.
 * - `SKC_ETIMEDOUT`: the deadline passed before the peer's FIN. The
 *   connection is then aborted (RST, as skc_abort()): nothing stays
 *   behind on this side. The RST is sent once and never retransmitted
 *   (RFC 9293 section 3.5.2), so a peer that does not receive it (loss,
 *   a partition) stays ESTABLISHED until its own next send is answered
 *   with another RST, or its keep-alive or timeout ends it. Data still
 *   queued for sending at that moment is dropped;
 *   skc_graceful_report::all_acked says whether there was any.
 * - `SKC_ECONNRESET`: the peer reset the connection. Our data may not
 *   have been read: the peer, or its kernel, threw it away.
 * - another `SKC_E*` code when a system call failed; the connection is
 *   then aborted too.
 *
 * The socket's blocking mode is never changed: blocking and non-blocking
 * sockets both work. The wait is `poll()` / `WSAPoll()` (never a busy
 * loop), and the deadline is read from a monotonic clock.
 *
 * Windows: no overlapped receive may be pending on the socket (cancel it
 * first with `CancelIoEx`); the procedure makes its own receive calls.
 */
/**@{*/

/** skc_graceful_report::all_acked: the OS cannot tell (Wine 8, Windows
 * before 10 1703, systems other than Linux, macOS and Windows). */
#define SKC_ACKED_UNKNOWN (-1)
/** skc_graceful_report::all_acked: some of what we sent (data or our FIN)
 * had not been acknowledged by the peer's TCP when the socket was closed. */
#define SKC_ACKED_NO 0
/** skc_graceful_report::all_acked: the peer's TCP had acknowledged every
 * byte we sent, and our FIN, when the socket was closed. */
#define SKC_ACKED_YES 1

/**
 * Details of one graceful close, filled by skc_close_graceful_ex(),
 * skc_graceful_finish() and the closer.
 */
typedef struct skc_graceful_report {
  /** Bytes received from the peer during the close and thrown away. */
  unsigned long long discarded;
  /**
   * Had the peer's TCP acknowledged everything we sent, including our FIN,
   * at the moment the socket was closed: `SKC_ACKED_YES`, `SKC_ACKED_NO`
   * or `SKC_ACKED_UNKNOWN`. An acknowledgement means the peer's kernel has
   * the data, not that the peer application read it. Asked of the kernel
   * with `SIOCOUTQ` on Linux, `TCP_CONNECTION_INFO` on macOS and
   * `SIO_TCP_INFO` on Windows 10 1703 and later.
   */
  int all_acked;
  /** Milliseconds from the start of the close to its end. */
  long long elapsed_ms;
} skc_graceful_report;

/**
 * @brief Close a connection without losing data: FIN after everything
 * already sent, discard what the peer still sends until its FIN or the
 * deadline, then close.
 *
 * Blocks for at most about `timeout_ms` milliseconds (measured on a
 * monotonic clock). Except for the two argument errors below, the socket
 * is closed when this returns, whatever the result.
 *
 * @param s a connected TCP socket, blocking or not. Nothing else may use
 *        it from now on.
 * @param timeout_ms how long to wait for the peer's FIN. 0 aborts at once
 *        (RST, as skc_abort()) and returns `SKC_ETIMEDOUT`.
 * @return
 *  - 0: the peer closed in order (its FIN arrived, no reset).
 *  - `SKC_ETIMEDOUT`: the deadline passed first (or `timeout_ms` is 0);
 *    the connection was aborted with an RST. When the RST arrives the
 *    peer's reads end and its writes fail; it is sent once, so a peer
 *    that loses it stays ESTABLISHED until it sends (see the group
 *    description above).
 *  - `SKC_ECONNRESET`: the peer reset the connection; our data may not
 *    have been read.
 *  - `SKC_EINVAL`: `timeout_ms` is negative. The socket is untouched and
 *    still open (no system call is made).
 *  - `SKC_EBADF`: `s` is `SKC_INVALID_SOCKET` or not an open socket
 *    handle (on POSIX, also a descriptor that is not a socket). Nothing is
 *    closed then: the number may already belong to another descriptor.
 *  - `SKC_ENOTCONN`: the socket was never connected (it is closed).
 *  - another `SKC_E*` code when a system call failed (the connection is
 *    aborted and the socket closed). When it was the `SO_LINGER` call of
 *    the abort, the close is an ordinary one (the peer may see a FIN).
 *    Never a code skc_is_try_again() accepts: the socket is gone.
 *
 * A wait that fails for want of resources (poll's `EAGAIN` or `ENOMEM`,
 * WSAPoll's `WSAENOBUFS`) does not end the close: it is retried after a
 * pause that doubles from 1 ms up to 100 ms, within the deadline.
 *
 * A reset or a death the application has already been told about (an
 * earlier skc_recv() returned `SKC_ECONNRESET` or `SKC_ETIMEDOUT`) is
 * reported again as `SKC_ECONNRESET`, never as 0 (on Linux, except for
 * a reset after data had been received: scenario P3). Do not shut the read side down
 * before (`SKC_SHUT_RD`): the end of stream it produces would look like
 * the peer's FIN.
 */
SKC_EXTERN int skc_close_graceful(skc_socket_t s, int timeout_ms);

/**
 * @brief skc_close_graceful(), reporting how many bytes were discarded and
 * whether everything we sent was acknowledged.
 *
 * @param s the connected socket to close, as for skc_close_graceful().
 * @param timeout_ms how long to wait for the peer's FIN, as for
 *        skc_close_graceful().
 * @param report receives the details; may be NULL. It is filled in every
 *        case; after `SKC_EINVAL` or `SKC_EBADF`, with zeros and
 *        `SKC_ACKED_UNKNOWN`.
 * @return the same results as skc_close_graceful().
 */
SKC_EXTERN int skc_close_graceful_ex(skc_socket_t s, int timeout_ms,
                                     skc_graceful_report *report);

/**
 * One graceful close driven by an event loop. The caller owns the memory
 * (on the stack, or inside its own connection structure); no allocation
 * is made. Only skc_graceful_* functions may read or write the members.
 */
typedef struct skc_graceful {
  skc_socket_t socket;          /**< The socket being closed. */
  long long deadline_us;        /**< Private: the deadline, monotonic clock. */
  long long started_us;         /**< Private: when the close started. */
  unsigned long long discarded; /**< Private: bytes discarded so far. */
  int state;                    /**< Private: where the procedure is. */
  int result;                   /**< Private: the final result, once known. */
  int native;                   /**< Private: the native code of the result. */
} skc_graceful;

/**
 * @brief Begin a graceful close without blocking: shut the write side down,
 * then read and discard whatever is already queued.
 *
 * Then call skc_graceful_advance() whenever the loop reports the socket
 * readable (or hung up, or in error), and when a timer set to
 * skc_graceful_timeout() fires, until it returns something other than
 * `SKC_EINPROGRESS`. Then remove the socket from the loop (for example
 * `uv_poll_stop()`, `EPOLL_CTL_DEL`) and call skc_graceful_finish(), which
 * closes it. Readiness may be level- or edge-triggered: each call reads
 * until the socket has nothing more. With IOCP, post a zero-byte
 * overlapped receive and call skc_graceful_advance() when it completes.
 *
 * Call skc_graceful_finish() exactly once after every call of this
 * function with a non-NULL `g`, whatever it returned: after an argument
 * error it only returns that error and leaves the socket alone.
 *
 * @param g the state to initialize.
 * @param s a connected TCP socket, blocking or not: it is never blocked on
 *        and its mode is not changed.
 * @param timeout_ms the deadline for the peer's FIN, from now. 0 means no
 *        wait: skc_graceful_finish() aborts the connection.
 * @return
 *  - `SKC_EINPROGRESS`: waiting for the peer's FIN.
 *  - a final result (see skc_graceful_advance()) when it is already known,
 *    for example 0 when the peer's FIN had already arrived, or
 *    `SKC_ETIMEDOUT` when `timeout_ms` is 0.
 *  - `SKC_EINVAL`: `timeout_ms` is negative; `SKC_EBADF`: `s` is
 *    `SKC_INVALID_SOCKET`; `SKC_EFAULT`: `g` is NULL. The socket is
 *    untouched then (no system call is made).
 */
SKC_EXTERN int skc_graceful_start(skc_graceful *g, skc_socket_t s,
                                  int timeout_ms);

/**
 * @brief Make progress: read and discard what has arrived, and check the
 * deadline. Never blocks.
 *
 * Safe to call at any time, also when the socket is not readable (it then
 * costs one system call, two on Windows) and again after a final result
 * (which it returns again).
 *
 * @param g the state set up by skc_graceful_start().
 * @return
 *  - `SKC_EINPROGRESS`: still waiting; call again when the socket is
 *    readable or the timer fires.
 *  - 0: the peer closed in order.
 *  - `SKC_ETIMEDOUT`: the deadline passed; skc_graceful_finish() aborts.
 *  - `SKC_ECONNRESET`: the peer reset the connection.
 *  - `SKC_EBADF`: the socket is not an open socket handle (then
 *    skc_graceful_finish() leaves it alone), or skc_graceful_finish() has
 *    already been called.
 *  - `SKC_EFAULT`: `g` is NULL.
 *  - another `SKC_E*` code: a receive failed.
 *  - the argument error of skc_graceful_start(), if it had one.
 *  - `SKC_EINVAL`: `g` was never set up by skc_graceful_start() (as far as
 *    can be told from its contents).
 */
SKC_EXTERN int skc_graceful_advance(skc_graceful *g);

/**
 * @brief Milliseconds until the deadline, rounded up: the timeout for the
 * loop's timer or its next wait.
 *
 * @param g the state set up by skc_graceful_start().
 * @return the time left, at most `INT_MAX`; 0 when the deadline has passed
 *         or the result is already known (call skc_graceful_advance()
 *         now); `SKC_EFAULT` when `g` is NULL.
 */
SKC_EXTERN int skc_graceful_timeout(const skc_graceful *g);

/**
 * @brief End the graceful close and close the socket.
 *
 * After a result of 0 or `SKC_ECONNRESET` the socket is closed normally.
 * In every other case the connection is aborted (RST) first, so nothing
 * stays behind on this side (the peer: see `SKC_ETIMEDOUT` above): after
 * `SKC_ETIMEDOUT`, after a failure, and when called before the result
 * was known, which gives `SKC_ECANCELED`.
 *
 * @param g the graceful close, from skc_graceful_start().
 * @param report receives the details (see skc_graceful_report); may be
 *        NULL. `all_acked` is asked of the kernel just before the close.
 * @return the final result (see skc_graceful_advance()), or:
 *  - `SKC_ECANCELED`: called while still in progress; the connection was
 *    aborted.
 *  - `SKC_EBADF`: already finished (nothing is closed twice), or the
 *    socket was found closed (skc_graceful_advance() returned
 *    `SKC_EBADF`): its number is left alone, since it may belong to a new
 *    descriptor by now.
 *  - the `SKC_E*` code of the `SO_LINGER` call when the abort could not
 *    be set up: the socket is closed with an ordinary close instead.
 *  - `SKC_EFAULT`: `g` is NULL.
 *  - `SKC_EINVAL`: `g` was never set up by skc_graceful_start().
 *  - the code of the close when the result was 0 and the close failed.
 */
SKC_EXTERN int skc_graceful_finish(skc_graceful *g,
                                   skc_graceful_report *report);

/** A set of sockets being closed gracefully together; see skc_closer_new(). */
typedef struct skc_closer skc_closer;

/**
 * @brief Called once for each socket of a closer when its graceful close
 * has ended. The socket is already closed; `s` only identifies it.
 *
 * It runs on the thread in skc_closer_run() (or skc_closer_free()), with
 * no lock held. It may call skc_closer_add() (the new socket is watched
 * from the next wait) and skc_closer_free() (the closer is freed once
 * the callbacks due are done); skc_closer_run() returns `SKC_EBUSY` from
 * here.
 *
 * @param user the pointer given to skc_closer_add().
 * @param s the socket, now closed.
 * @param result the outcome, as skc_graceful_finish() returns it.
 * @param report the details; valid until the callback returns, whatever
 *        it adds to the closer meanwhile.
 */
typedef void (*skc_closer_done_fn)(void *user, skc_socket_t s, int result,
                                   const skc_graceful_report *report);

/**
 * @brief Create an empty closer: one thread lingers any number of sockets
 * at once.
 *
 * The sockets wait in the OS's scalable mechanism: epoll on Linux, kqueue
 * on macOS and the BSDs, one I/O completion port with a zero-byte
 * overlapped receive per socket on Windows (`poll()` on other systems).
 * A wake-up costs in proportion to the sockets that are ready, and the
 * deadlines wait in a heap: O(log n) per close, nothing per idle socket.
 *
 * Threads: skc_closer_add() may be called from any thread, and wakes a
 * skc_closer_run() that is waiting on another. skc_closer_run(),
 * skc_closer_timeout() and skc_closer_free() belong to one thread at a
 * time; the `done` callbacks run on it.
 *
 * Descriptors: the epoll descriptor and an eventfd (Linux), the kqueue
 * descriptor (plus a pipe where kqueue has no `EVFILT_USER`), a pipe
 * (`poll()` systems); a completion port handle on Windows. All are
 * close-on-exec / not inherited.
 *
 * @param closer receives the new closer.
 * @return 0, or:
 *  - `SKC_EFAULT`: `closer` is NULL.
 *  - `SKC_ENOMEM`: no memory.
 *  - `SKC_EMFILE`, `SKC_ENFILE`: no descriptor left for the epoll or
 *    kqueue descriptor (or another code of that call).
 */
SKC_EXTERN int skc_closer_new(skc_closer **closer);

/**
 * @brief Hand a socket to the closer: its graceful close starts now (as
 * skc_graceful_start()) with its own deadline.
 *
 * On success the closer owns the socket; the result arrives through
 * `done` during skc_closer_run() or skc_closer_free(). Add each socket
 * once. May be called from any thread (see skc_closer_new()).
 *
 * A socket the OS refuses to watch (on Windows one already bound to
 * another completion port, libuv's for example, or one created without
 * `WSA_FLAG_OVERLAPPED`; anywhere when the OS is out of memory) still
 * ends correctly, but only at its deadline, which then tells an orderly
 * end (0) from a silent peer.
 *
 * @param closer the closer.
 * @param s the connected socket to close.
 * @param timeout_ms the longest time the close may take, from now; 0
 *        aborts the connection in the next round.
 * @param done called when the close has ended; may be NULL.
 * @param user passed to `done`.
 * @return 0, or, with the socket untouched and still the caller's:
 *  - `SKC_EINVAL`: `timeout_ms` is negative.
 *  - `SKC_EBADF`: `s` is `SKC_INVALID_SOCKET`.
 *  - `SKC_EFAULT`: `closer` is NULL.
 *  - `SKC_ENOMEM`: no memory for one more socket.
 *  - `SKC_EBUSY`: the closer is being freed (called from a `done`
 *    callback run by skc_closer_free()).
 */
SKC_EXTERN int skc_closer_add(skc_closer *closer, skc_socket_t s,
                              int timeout_ms, skc_closer_done_fn done,
                              void *user);

/**
 * @brief Wait for the closer's sockets and advance them, calling `done`
 * for each that ends.
 *
 * @param closer the closer.
 * @param wait_ms the longest time to wait: 0 makes one pass without
 *        blocking (to call from another loop's timer or idle hook); a
 *        negative value waits until every socket has ended (each has a
 *        deadline, so this ends too).
 * @return the number of sockets still being closed (0 when none), or:
 *  - `SKC_EFAULT`: `closer` is NULL.
 *  - `SKC_EBUSY`: called from a `done` callback of this closer.
 *  - the code of a failed wait (`epoll_wait()`, `kevent()`,
 *    `GetQueuedCompletionStatusEx()`) other than a want of resources; the
 *    sockets stay in the closer. A wait that fails for want of resources
 *    (`EAGAIN`, `ENOMEM`, `ENOBUFS`) is not returned: the closer pauses
 *    (1 ms, doubling up to 100 ms, within `wait_ms`) and advances every
 *    socket without the wait's answer, so deadlines still hold.
 */
SKC_EXTERN int skc_closer_run(skc_closer *closer, int wait_ms);

/**
 * @brief The handle that an event loop watches to run a closer without a
 * thread of its own: readable when skc_closer_run() has work.
 *
 * Linux: the epoll descriptor; macOS and BSD: the kqueue descriptor. Both
 * can be watched for readability by another epoll, kqueue, `poll()`,
 * libuv (`uv_poll_init()`) or libevent. Windows: the I/O completion port,
 * which cannot be watched that way: call skc_closer_run() with 0 from a
 * timer, or run the closer on a thread. On other systems: a descriptor
 * that is readable only when skc_closer_add() was called from another
 * thread; the timer then does the rest.
 *
 * Together with skc_closer_timeout():
 * @code
 *   skc_socket_t fd;
 *   skc_closer_handle(closer, &fd);
 *   // in the loop (here epoll; libuv: uv_poll_start + uv_timer_start):
 *   struct epoll_event ev = {.events = EPOLLIN};
 *   epoll_ctl(loop_fd, EPOLL_CTL_ADD, (int)fd, &ev);
 *   for (;;) {
 *     int n = epoll_wait(loop_fd, events, 64, skc_closer_timeout(closer));
 *     // ... the loop's own events ...
 *     skc_closer_run(closer, 0); // never blocks; calls the done callbacks
 *   }
 * @endcode
 *
 * @param closer the closer.
 * @param handle receives the handle; it belongs to the closer (do not
 *        close it) and stays the same until skc_closer_free().
 * @return 0, or `SKC_EFAULT` when `closer` or `handle` is NULL (`*handle`
 *         is then `SKC_INVALID_SOCKET` if `handle` is not NULL).
 */
SKC_EXTERN int skc_closer_handle(const skc_closer *closer, skc_socket_t *handle);

/**
 * @brief How long an event loop may wait before it must call
 * skc_closer_run() with 0 even if the handle stays quiet: the time to the
 * closer's next deadline, rounded up.
 *
 * @param closer the closer.
 * @return milliseconds (0: call now, something is due), -1 when the
 *         closer has no socket (wait for the handle only), or `SKC_EFAULT`
 *         when `closer` is NULL.
 */
SKC_EXTERN int skc_closer_timeout(skc_closer *closer);

/**
 * @brief Free a closer. Sockets still being closed are aborted (RST) and
 * closed; their `done` callbacks run with `SKC_ECANCELED`. Sockets whose
 * result was known but not yet delivered get their own result.
 *
 * @param closer the closer; NULL is ignored. Called from a `done` callback
 *        of skc_closer_run(), the closer is freed when that round's
 *        callbacks have run, and skc_closer_run() then returns 0.
 */
SKC_EXTERN void skc_closer_free(skc_closer *closer);
/**@}*/

#ifdef __cplusplus
}
#endif

#endif /* SOCKCLOSE_H */
