/*
 * The platform contract: every function a platform must provide.
 *
 * src/posix/ and src/win32/ implement each of these with the same name, in
 * files named after the same roles (error.c, init.c, socket.c, tcp_pair.c).
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

/* ---- error.c: the native error slot and its translation ---- */

/* The one native-to-SKC table of this platform. 0 maps to 0, a code with
 * no meaning to SKC_EUNKNOWN. */
int skc__plat_translate(int native);

/* The calling thread's native error slot: errno, or WSAGetLastError(). */
int skc__plat_get_native_error(void);
void skc__plat_set_native_error(int native);

/* Store in the native slot the code this platform uses for a condition that
 * the common code rejected without a system call (SKC_EINVAL, SKC_EFAULT,
 * SKC_EBADF), and return err unchanged. */
int skc__plat_reject(int err);

/* ---- init.c: library start-up ---- */

/* Take / release one reference on the platform's socket library. */
int skc__plat_init(void);
void skc__plat_cleanup(void);

/* ---- socket.c: the calls on one socket ---- */

int skc__plat_close(skc_socket_t s);

/* how is SKC_SHUT_RD, SKC_SHUT_WR or SKC_SHUT_RDWR (already validated). */
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

int skc__plat_set_inheritable(skc_socket_t s, int inheritable);

/* ---- tcp_pair.c: loopback primitives for skc_tcp_pair() ---- */

/* A blocking, non-inheritable TCP socket listening on 127.0.0.1 at an
 * OS-assigned port, stored in *port (host byte order). */
int skc__plat_loopback_listen(skc_socket_t *listener, unsigned short *port);

/* A blocking, non-inheritable TCP socket connected to 127.0.0.1:port;
 * *local_port receives its own port. */
int skc__plat_loopback_connect(unsigned short port, skc_socket_t *client,
                               unsigned short *local_port);

/* Accept one connection (non-inheritable). *peer_port receives the peer's
 * port when the peer is 127.0.0.1, else 0. */
int skc__plat_loopback_accept(skc_socket_t listener, skc_socket_t *server,
                              unsigned short *peer_port);

#endif /* SKC_PLATFORM_H */
