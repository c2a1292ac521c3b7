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
typedef int skc_socket_t;
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
 * @param how `SKC_SHUT_RD`, `SKC_SHUT_WR` or `SKC_SHUT_RDWR`, mapped to the
 *        named `SHUT_*` / `SD_*` constants.
 * @return 0; `SKC_EINVAL` when `how` is none of the three (no system call is
 *         made); `SKC_ENOTCONN` when the socket is not connected (also a
 *         listener); `SKC_EBADF` for a handle that is not an open socket.
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
 * @return 0, or `SKC_EBADF` when `s` is not an open socket (nothing is
 *         closed then), or the `SKC_E*` code of the close.
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
 *    ECONNRESET, Windows WSAECONNRESET or WSAECONNABORTED.
 *  - `SKC_EAGAIN`: a non-blocking socket's send buffer is full.
 *  - `SKC_EFAULT`: `buf` is NULL while `len` is not 0 (no system call).
 *  - `SKC_EBADF`: `s` is not an open socket.
 *  - `SKC_ENOTCONN`: the socket was never connected.
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
 *    this code too.
 *  - `SKC_EAGAIN`: a non-blocking socket has nothing to read.
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
 * closes the listener. Both handles are blocking and not inheritable by
 * child processes.
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
 * @brief Does this code mean the connection is gone? True for
 * `SKC_ECONNRESET`, `SKC_ECONNABORTED`, `SKC_EPIPE` and `SKC_ENETRESET`.
 * @return 1 or 0.
 */
SKC_EXTERN int skc_is_connection_gone(int err);

/**
 * @brief Can the same call succeed later? True for `SKC_EAGAIN`,
 * `SKC_EINTR` and `SKC_EINPROGRESS`.
 * @return 1 or 0.
 */
SKC_EXTERN int skc_is_try_again(int err);

#ifdef __cplusplus
}
#endif

#endif /* SOCKCLOSE_H */
