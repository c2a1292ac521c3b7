/*
 * The interposed calls. Each calls the real function first, then records
 * what it did to the descriptor table, and returns the real result with
 * errno exactly as the real call left it. fork() needs no interposition:
 * the child inherits the table with the rest of the memory, as it
 * inherits the descriptors; the child's first socket(), accept() or
 * accept4() restarts the periodic check (see report.c).
 */
#define _GNU_SOURCE
#include "trace.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SKC_VISIBLE __attribute__((visibility("default")))

typedef int (*socket_fn)(int, int, int);
/* glibc declares the address as __SOCKADDR_ARG (a transparent union in
 * GNU mode); the definitions below must match its declarations. */
typedef int (*accept_fn)(int, __SOCKADDR_ARG, socklen_t *);
typedef int (*accept4_fn)(int, __SOCKADDR_ARG, socklen_t *, int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);
typedef int (*close_fn)(int);

/* Looked up on first use: other libraries' constructors may create
 * sockets before ours runs. dlsym does not change errno on success. */
#define SKC_REAL(type, name)                                                   \
  static type skc__real_##name(void) {                                         \
    static _Atomic(type) fn;                                                   \
    type f = atomic_load_explicit(&fn, memory_order_acquire);                  \
    if (f == NULL) {                                                           \
      int saved = errno;                                                       \
      void *symbol = dlsym(RTLD_NEXT, #name);                                  \
      memcpy(&f, &symbol, sizeof f);                                           \
      atomic_store_explicit(&fn, f, memory_order_release);                     \
      errno = saved;                                                           \
    }                                                                          \
    return f;                                                                  \
  }
SKC_REAL(socket_fn, socket)
SKC_REAL(accept_fn, accept)
SKC_REAL(accept4_fn, accept4)
SKC_REAL(dup_fn, dup)
SKC_REAL(dup2_fn, dup2)
SKC_REAL(dup3_fn, dup3)
SKC_REAL(fcntl_fn, fcntl)
SKC_REAL(fcntl_fn, fcntl64)
SKC_REAL(close_fn, close)

int skc__trace_real_close(int fd) { return skc__real_close()(fd); }

static int skc__is_tcp(int domain, int type, int protocol) {
  type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM &&
         (protocol == 0 || protocol == IPPROTO_TCP);
}

/* An accepted socket is TCP when its listener is a recorded TCP socket;
 * a listener the tracer did not see created (inherited, or made before
 * the tracer loaded) is asked. */
static int skc__accepted_tcp(int listener, int fd) {
  int protocol = 0;
  socklen_t len = sizeof protocol;
  if (skc__trace_is_recorded(listener))
    return 1;
  return getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 &&
         protocol == IPPROTO_TCP;
}

SKC_VISIBLE int socket(int domain, int type, int protocol) {
  int fd;
  skc__trace_resume_periodic();
  fd = skc__real_socket()(domain, type, protocol);
  if (fd >= 0 && skc__is_tcp(domain, type, protocol)) {
    int saved = errno;
    skc__trace_record_new(fd, SKC_TRACE_SOCKET);
    errno = saved;
  }
  return fd;
}

SKC_VISIBLE int accept(int listener, __SOCKADDR_ARG addr, socklen_t *restrict len) {
  int fd;
  skc__trace_resume_periodic();
  fd = skc__real_accept()(listener, addr, len);
  if (fd >= 0) {
    int saved = errno;
    if (skc__accepted_tcp(listener, fd))
      skc__trace_record_new(fd, SKC_TRACE_ACCEPT);
    else
      skc__trace_forget(fd);
    errno = saved;
  }
  return fd;
}

SKC_VISIBLE int accept4(int listener, __SOCKADDR_ARG addr, socklen_t *restrict len, int flags) {
  int fd;
  skc__trace_resume_periodic();
  fd = skc__real_accept4()(listener, addr, len, flags);
  if (fd >= 0) {
    int saved = errno;
    if (skc__accepted_tcp(listener, fd))
      skc__trace_record_new(fd, SKC_TRACE_ACCEPT4);
    else
      skc__trace_forget(fd);
    errno = saved;
  }
  return fd;
}

SKC_VISIBLE int dup(int old) {
  int fd = skc__real_dup()(old);
  if (fd >= 0) {
    int saved = errno;
    skc__trace_record_dup(old, fd, SKC_TRACE_DUP);
    errno = saved;
  }
  return fd;
}

SKC_VISIBLE int dup2(int old, int new_fd) {
  int fd = skc__real_dup2()(old, new_fd);
  if (fd >= 0) {
    int saved = errno;
    skc__trace_record_dup(old, fd, SKC_TRACE_DUP2);
    errno = saved;
  }
  return fd;
}

SKC_VISIBLE int dup3(int old, int new_fd, int flags) {
  int fd = skc__real_dup3()(old, new_fd, flags);
  if (fd >= 0) {
    int saved = errno;
    skc__trace_record_dup(old, fd, SKC_TRACE_DUP3);
    errno = saved;
  }
  return fd;
}

/* fcntl's third argument is an int, a pointer or nothing depending on
 * the command; glibc's own fcntl reads it as a pointer whatever the
 * command (sysdeps/unix/sysv/linux/fcntl64.c), so passing it on the same
 * way is exactly as correct. */
static int skc__fcntl(fcntl_fn real, int fd, int cmd, void *arg) {
  int result = real(fd, cmd, arg);
  if (result >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) {
    int saved = errno;
    skc__trace_record_dup(fd, result, SKC_TRACE_FCNTL);
    errno = saved;
  }
  return result;
}

SKC_VISIBLE int fcntl(int fd, int cmd, ...) {
  va_list ap;
  void *arg;
  va_start(ap, cmd);
  arg = va_arg(ap, void *);
  va_end(ap);
  return skc__fcntl(skc__real_fcntl(), fd, cmd, arg);
}

/* With _FILE_OFFSET_BITS=64 (and on 64-bit glibc since 2.28 for
 * time64 builds), <fcntl.h> redirects fcntl to fcntl64. */
SKC_VISIBLE int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  void *arg;
  fcntl_fn real = skc__real_fcntl64();
  va_start(ap, cmd);
  arg = va_arg(ap, void *);
  va_end(ap);
  return skc__fcntl(real != NULL ? real : skc__real_fcntl(), fd, cmd, arg);
}

/* The record goes before the real close: once the kernel frees the
 * number, another thread's socket() may receive it, and a late forget
 * would erase that socket's record. Closing a descriptor the program
 * does not own, or one that is not open, only reaches the kernel. */
SKC_VISIBLE int close(int fd) {
  skc__trace_forget(fd);
  return skc__real_close()(fd);
}
