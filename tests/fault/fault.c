/*
 * The fault shim (see fault.h). The errno values are those each call
 * documents for a failure that the caller cannot prevent: running out of
 * descriptors, memory or buffers, a signal, the peer, a racing close.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* accept4 */
#endif
#include "fault.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

/* The state is shared by every thread of the program under test (a peer
 * thread's calls pass through the same wrappers), so it is atomic: the
 * count stays exact and ThreadSanitizer sees no race. */
static _Atomic long skcf_target; /* 0: disarmed */
static _Atomic long skcf_counted;
static _Atomic unsigned long skcf_mask;
static _Atomic int skcf_variant;
static _Atomic int skcf_every;
static _Atomic int skcf_fired_flag;
static _Atomic int skcf_fired_which;
static _Atomic int skcf_fired_code;

/* The failures each call can meet (Linux man pages, ERRORS). */
static const int skcf_socket_errors[] = {EMFILE, ENFILE, ENOBUFS, ENOMEM};
static const int skcf_sockopt_errors[] = {ENOMEM, ENOBUFS};
static const int skcf_name_errors[] = {ENOBUFS};
static const int skcf_shutdown_errors[] = {ENOBUFS};
static const int skcf_close_errors[] = {EIO, EINTR};
static const int skcf_send_errors[] = {ENOBUFS, ENOMEM, EINTR, EAGAIN};
static const int skcf_recv_errors[] = {ENOMEM, EINTR};
static const int skcf_poll_errors[] = {EINTR, ENOMEM, EAGAIN};
static const int skcf_ioctl_errors[] = {ENOMEM};
static const int skcf_accept_errors[] = {EMFILE, ENFILE, ENOBUFS, ENOMEM,
                                         EINTR, ECONNABORTED};
static const int skcf_connect_errors[] = {EINTR, ENOBUFS, EADDRNOTAVAIL,
                                          ETIMEDOUT};
static const int skcf_bind_errors[] = {EADDRINUSE, ENOMEM};
static const int skcf_listen_errors[] = {EADDRINUSE};
static const int skcf_fcntl_errors[] = {ENOMEM};
static const int skcf_opendir_errors[] = {EMFILE, ENFILE, ENOMEM, EACCES};
static const int skcf_readdir_errors[] = {ENOENT, EIO};
static const int skcf_readlink_errors[] = {EACCES, EIO};
static const int skcf_open_errors[] = {EMFILE, ENFILE, ENOMEM, EACCES};
static const int skcf_read_errors[] = {EIO, EINTR};
static const int skcf_alloc_errors[] = {ENOMEM};
static const int skcf_epoll_create_errors[] = {EMFILE, ENFILE, ENOMEM};
static const int skcf_epoll_ctl_errors[] = {ENOMEM, ENOSPC};
/* ENOMEM is kevent(2)'s (macOS, BSD): the closer's common code meets it
 * there, and only this wrapper can stage it on Linux. */
static const int skcf_epoll_wait_errors[] = {EINTR, ENOMEM};
static const int skcf_eventfd_errors[] = {EMFILE, ENFILE, ENOMEM};
static const int skcf_write_errors[] = {EAGAIN, EINTR};

#define SKCF_LIST(a) a, (int)(sizeof a / sizeof a[0])

static const struct {
  const char *name;
  const int *errors;
  int count;
} skcf_table[SKCF_CALL_COUNT] = {
    {"socket", SKCF_LIST(skcf_socket_errors)},
    {"setsockopt", SKCF_LIST(skcf_sockopt_errors)},
    {"getsockopt", SKCF_LIST(skcf_sockopt_errors)},
    {"getsockname", SKCF_LIST(skcf_name_errors)},
    {"getpeername", SKCF_LIST(skcf_name_errors)},
    {"shutdown", SKCF_LIST(skcf_shutdown_errors)},
    {"close", SKCF_LIST(skcf_close_errors)},
    {"send", SKCF_LIST(skcf_send_errors)},
    {"sendto", SKCF_LIST(skcf_send_errors)},
    {"sendmsg", SKCF_LIST(skcf_send_errors)},
    {"recv", SKCF_LIST(skcf_recv_errors)},
    {"recvmsg", SKCF_LIST(skcf_recv_errors)},
    {"poll", SKCF_LIST(skcf_poll_errors)},
    {"ioctl", SKCF_LIST(skcf_ioctl_errors)},
    {"accept", SKCF_LIST(skcf_accept_errors)},
    {"accept4", SKCF_LIST(skcf_accept_errors)},
    {"connect", SKCF_LIST(skcf_connect_errors)},
    {"bind", SKCF_LIST(skcf_bind_errors)},
    {"listen", SKCF_LIST(skcf_listen_errors)},
    {"fcntl", SKCF_LIST(skcf_fcntl_errors)},
    {"opendir", SKCF_LIST(skcf_opendir_errors)},
    {"readdir", SKCF_LIST(skcf_readdir_errors)},
    {"readlinkat", SKCF_LIST(skcf_readlink_errors)},
    {"open", SKCF_LIST(skcf_open_errors)},
    {"read", SKCF_LIST(skcf_read_errors)},
    {"malloc", SKCF_LIST(skcf_alloc_errors)},
    {"calloc", SKCF_LIST(skcf_alloc_errors)},
    {"realloc", SKCF_LIST(skcf_alloc_errors)},
    {"epoll_create1", SKCF_LIST(skcf_epoll_create_errors)},
    {"epoll_ctl", SKCF_LIST(skcf_epoll_ctl_errors)},
    {"epoll_wait", SKCF_LIST(skcf_epoll_wait_errors)},
    {"eventfd", SKCF_LIST(skcf_eventfd_errors)},
    {"write", SKCF_LIST(skcf_write_errors)},
};

void skcf_arm(long n, unsigned long mask, int variant, int every) {
  skcf_counted = 0;
  skcf_mask = mask;
  skcf_variant = variant < 0 ? 0 : variant;
  skcf_every = every;
  skcf_fired_flag = 0;
  skcf_fired_which = -1;
  skcf_fired_code = 0;
  skcf_target = n;
}

void skcf_disarm(void) { skcf_target = 0; }
long skcf_calls(void) { return skcf_counted; }
int skcf_fired(void) { return skcf_fired_flag; }
int skcf_fired_call(void) { return skcf_fired_which; }
int skcf_fired_errno(void) { return skcf_fired_code; }

const char *skcf_call_name(int call) {
  return call >= 0 && call < SKCF_CALL_COUNT ? skcf_table[call].name : "?";
}

int skcf_variants(int call) {
  return call >= 0 && call < SKCF_CALL_COUNT ? skcf_table[call].count : 0;
}

/* Should this call fail? Sets errno to the injected value when it should. */
static int skcf_fail(int call) {
  int code, unfired = 0;
  long target = skcf_target, counted;
  unsigned long mask = skcf_mask;
  if (target <= 0)
    return 0;
  if (mask != 0 && (mask & (1ul << call)) == 0)
    return 0;
  counted = ++skcf_counted; /* one atomic step: each call its own number */
  if (counted < target || (counted > target && !skcf_every))
    return 0;
  code = skcf_table[call].errors[skcf_variant % skcf_table[call].count];
  /* A signal interrupts one call and a connection is aborted once, not
   * every call from now on: a failure that persists is a resource that
   * stays exhausted. */
  if (skcf_every && (code == EINTR || code == ECONNABORTED))
    code = ENOMEM;
  if (atomic_compare_exchange_strong(&skcf_fired_flag, &unfired, 1)) {
    skcf_fired_which = call;
    skcf_fired_code = code;
  }
  errno = code;
  return 1;
}


int __real_socket(int, int, int);
int __real_setsockopt(int, int, int, const void *, socklen_t);
int __real_getsockopt(int, int, int, void *, socklen_t *);
int __real_getsockname(int, struct sockaddr *, socklen_t *);
int __real_getpeername(int, struct sockaddr *, socklen_t *);
int __real_shutdown(int, int);
int __real_close(int);
ssize_t __real_send(int, const void *, size_t, int);
ssize_t __real_sendto(int, const void *, size_t, int, const struct sockaddr *,
                      socklen_t);
ssize_t __real_sendmsg(int, const struct msghdr *, int);
ssize_t __real_recv(int, void *, size_t, int);
ssize_t __real_recvmsg(int, struct msghdr *, int);
int __real_poll(struct pollfd *, nfds_t, int);
int __real_ioctl(int, unsigned long, void *);
int __real_accept(int, struct sockaddr *, socklen_t *);
int __real_accept4(int, struct sockaddr *, socklen_t *, int);
int __real_connect(int, const struct sockaddr *, socklen_t);
int __real_bind(int, const struct sockaddr *, socklen_t);
int __real_listen(int, int);
int __real_fcntl(int, int, void *);
DIR *__real_opendir(const char *);
struct dirent *__real_readdir(DIR *);
ssize_t __real_readlinkat(int, const char *, char *, size_t);
int __real_open(const char *, int, int);
ssize_t __real_read(int, void *, size_t);
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_epoll_create1(int);
int __real_epoll_ctl(int, int, int, struct epoll_event *);
int __real_epoll_wait(int, struct epoll_event *, int, int);
int __real_eventfd(unsigned int, int);
ssize_t __real_write(int, const void *, size_t);

/* The wrappers: declared here, since no header names them. */
int __wrap_socket(int domain, int type, int protocol);
int __wrap_setsockopt(int s, int level, int name, const void *value,
                      socklen_t len);
int __wrap_getsockopt(int s, int level, int name, void *value, socklen_t *len);
int __wrap_getsockname(int s, struct sockaddr *addr, socklen_t *len);
int __wrap_getpeername(int s, struct sockaddr *addr, socklen_t *len);
int __wrap_shutdown(int s, int how);
int __wrap_close(int fd);
ssize_t __wrap_send(int s, const void *buf, size_t len, int flags);
ssize_t __wrap_sendto(int s, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t tolen);
ssize_t __wrap_sendmsg(int s, const struct msghdr *msg, int flags);
ssize_t __wrap_recv(int s, void *buf, size_t len, int flags);
ssize_t __wrap_recvmsg(int s, struct msghdr *msg, int flags);
int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout);
int __wrap_ioctl(int fd, unsigned long request, ...);
int __wrap_accept(int s, struct sockaddr *addr, socklen_t *len);
int __wrap_accept4(int s, struct sockaddr *addr, socklen_t *len, int flags);
int __wrap_connect(int s, const struct sockaddr *addr, socklen_t len);
int __wrap_bind(int s, const struct sockaddr *addr, socklen_t len);
int __wrap_listen(int s, int backlog);
int __wrap_fcntl(int fd, int cmd, ...);
DIR *__wrap_opendir(const char *path);
struct dirent *__wrap_readdir(DIR *dir);
ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t size);
int __wrap_open(const char *path, int flags, ...);
ssize_t __wrap_read(int fd, void *buf, size_t len);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
int __wrap_epoll_create1(int flags);
int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int __wrap_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout);
int __wrap_eventfd(unsigned int initval, int flags);
ssize_t __wrap_write(int fd, const void *buf, size_t len);

int __wrap_socket(int domain, int type, int protocol) {
  return skcf_fail(SKCF_socket) ? -1 : __real_socket(domain, type, protocol);
}

int __wrap_setsockopt(int s, int level, int name, const void *value,
                      socklen_t len) {
  return skcf_fail(SKCF_setsockopt) ? -1
                                    : __real_setsockopt(s, level, name, value, len);
}

int __wrap_getsockopt(int s, int level, int name, void *value, socklen_t *len) {
  return skcf_fail(SKCF_getsockopt) ? -1
                                    : __real_getsockopt(s, level, name, value, len);
}

int __wrap_getsockname(int s, struct sockaddr *addr, socklen_t *len) {
  return skcf_fail(SKCF_getsockname) ? -1 : __real_getsockname(s, addr, len);
}

int __wrap_getpeername(int s, struct sockaddr *addr, socklen_t *len) {
  return skcf_fail(SKCF_getpeername) ? -1 : __real_getpeername(s, addr, len);
}

int __wrap_shutdown(int s, int how) {
  return skcf_fail(SKCF_shutdown) ? -1 : __real_shutdown(s, how);
}

/* close(2): Linux releases the descriptor even when close reports EIO or
 * EINTR, so the injected failure closes it for real first. */
int __wrap_close(int fd) {
  int failed = skcf_fail(SKCF_close);
  int saved = errno;
  int rc = __real_close(fd);
  if (!failed)
    return rc;
  errno = saved;
  return -1;
}

ssize_t __wrap_send(int s, const void *buf, size_t len, int flags) {
  return skcf_fail(SKCF_send) ? -1 : __real_send(s, buf, len, flags);
}

ssize_t __wrap_sendto(int s, const void *buf, size_t len, int flags,
                      const struct sockaddr *to, socklen_t tolen) {
  return skcf_fail(SKCF_sendto) ? -1 : __real_sendto(s, buf, len, flags, to, tolen);
}

ssize_t __wrap_sendmsg(int s, const struct msghdr *msg, int flags) {
  return skcf_fail(SKCF_sendmsg) ? -1 : __real_sendmsg(s, msg, flags);
}

ssize_t __wrap_recv(int s, void *buf, size_t len, int flags) {
  return skcf_fail(SKCF_recv) ? -1 : __real_recv(s, buf, len, flags);
}

ssize_t __wrap_recvmsg(int s, struct msghdr *msg, int flags) {
  return skcf_fail(SKCF_recvmsg) ? -1 : __real_recvmsg(s, msg, flags);
}

int __wrap_poll(struct pollfd *fds, nfds_t n, int timeout) {
  return skcf_fail(SKCF_poll) ? -1 : __real_poll(fds, n, timeout);
}

int __wrap_ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  void *arg;
  va_start(ap, request);
  arg = va_arg(ap, void *);
  va_end(ap);
  return skcf_fail(SKCF_ioctl) ? -1 : __real_ioctl(fd, request, arg);
}

int __wrap_accept(int s, struct sockaddr *addr, socklen_t *len) {
  return skcf_fail(SKCF_accept) ? -1 : __real_accept(s, addr, len);
}

int __wrap_accept4(int s, struct sockaddr *addr, socklen_t *len, int flags) {
  return skcf_fail(SKCF_accept4) ? -1 : __real_accept4(s, addr, len, flags);
}

/* connect(2) EINTR: the connection goes on being established; the real
 * call is made first so that the socket is in the state a signal leaves
 * it in. */
int __wrap_connect(int s, const struct sockaddr *addr, socklen_t len) {
  int failed = skcf_fail(SKCF_connect);
  int saved = errno;
  if (failed && saved == EINTR) {
    (void)__real_connect(s, addr, len);
    errno = EINTR;
    return -1;
  }
  return failed ? -1 : __real_connect(s, addr, len);
}

int __wrap_bind(int s, const struct sockaddr *addr, socklen_t len) {
  return skcf_fail(SKCF_bind) ? -1 : __real_bind(s, addr, len);
}

int __wrap_listen(int s, int backlog) {
  return skcf_fail(SKCF_listen) ? -1 : __real_listen(s, backlog);
}

int __wrap_fcntl(int fd, int cmd, ...) {
  va_list ap;
  void *arg;
  va_start(ap, cmd);
  arg = va_arg(ap, void *);
  va_end(ap);
  return skcf_fail(SKCF_fcntl) ? -1 : __real_fcntl(fd, cmd, arg);
}

DIR *__wrap_opendir(const char *path) {
  return skcf_fail(SKCF_opendir) ? NULL : __real_opendir(path);
}

struct dirent *__wrap_readdir(DIR *dir) {
  return skcf_fail(SKCF_readdir) ? NULL : __real_readdir(dir);
}

ssize_t __wrap_readlinkat(int dirfd, const char *path, char *buf, size_t size) {
  return skcf_fail(SKCF_readlinkat) ? -1 : __real_readlinkat(dirfd, path, buf, size);
}

int __wrap_open(const char *path, int flags, ...) {
  va_list ap;
  int mode;
  va_start(ap, flags);
  mode = (flags & O_CREAT) != 0 ? va_arg(ap, int) : 0;
  va_end(ap);
  return skcf_fail(SKCF_open) ? -1 : __real_open(path, flags, mode);
}

ssize_t __wrap_read(int fd, void *buf, size_t len) {
  return skcf_fail(SKCF_read) ? -1 : __real_read(fd, buf, len);
}

void *__wrap_malloc(size_t size) {
  return skcf_fail(SKCF_malloc) ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size) {
  return skcf_fail(SKCF_calloc) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size) {
  return skcf_fail(SKCF_realloc) ? NULL : __real_realloc(p, size);
}

int __wrap_epoll_create1(int flags) {
  return skcf_fail(SKCF_epoll_create1) ? -1 : __real_epoll_create1(flags);
}

int __wrap_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
  return skcf_fail(SKCF_epoll_ctl) ? -1 : __real_epoll_ctl(epfd, op, fd, event);
}

int __wrap_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout) {
  return skcf_fail(SKCF_epoll_wait) ? -1 : __real_epoll_wait(epfd, events, max, timeout);
}

int __wrap_eventfd(unsigned int initval, int flags) {
  return skcf_fail(SKCF_eventfd) ? -1 : __real_eventfd(initval, flags);
}

ssize_t __wrap_write(int fd, const void *buf, size_t len) {
  return skcf_fail(SKCF_write) ? -1 : __real_write(fd, buf, len);
}
