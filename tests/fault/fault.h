/*
 * The fault shim: fails the Nth call of the system and allocation calls
 * the library makes, with an errno value the call really returns.
 *
 * Each call below is wrapped at link time (GNU ld --wrap: every reference
 * to socket() in the library becomes __wrap_socket(), which may fail or
 * call __real_socket()). Link-time wrapping, rather than an LD_PRELOAD
 * library, also reaches calls that the sanitizers' runtimes intercept:
 * those interceptors live in the executable, which comes before any
 * preloaded library in symbol lookup.
 */
#ifndef SKC_FAULT_H
#define SKC_FAULT_H

/* Every wrapped call, in the order of skcf_call_name(). */
#define SKCF_CALLS(X)                                                          \
  X(socket) X(setsockopt) X(getsockopt) X(getsockname) X(getpeername)          \
  X(shutdown) X(close) X(send) X(sendto) X(sendmsg) X(recv) X(recvmsg)        \
  X(poll) X(ioctl) X(accept) X(accept4) X(connect) X(bind) X(listen) X(fcntl) X(opendir)        \
  X(readdir) X(readlinkat) X(open) X(read) X(malloc) X(calloc) X(realloc)     \
  X(epoll_create1) X(epoll_ctl) X(epoll_wait) X(eventfd) X(write)

enum {
#define SKCF_ENUM(name) SKCF_##name,
  SKCF_CALLS(SKCF_ENUM)
#undef SKCF_ENUM
  SKCF_CALL_COUNT
};

/* Arm: the nth wrapped call from now (n >= 1) fails; with mask non-zero
 * only calls whose bit (1 << SKCF_x) is set count. variant picks among
 * the errno values that call can return (taken modulo their number).
 * every: after the nth call, every later counted call fails too (with
 * ENOMEM in place of EINTR and ECONNABORTED, which happen once). */
void skcf_arm(long n, unsigned long mask, int variant, int every);

/* Stop failing and counting. */
void skcf_disarm(void);

/* Counted calls since skcf_arm(). */
long skcf_calls(void);

/* 1 when a call was failed since skcf_arm(); which call was failed first,
 * and its errno. */
int skcf_fired(void);
int skcf_fired_call(void);
int skcf_fired_errno(void);

/* "poll" for SKCF_poll. */
const char *skcf_call_name(int call);

/* How many errno values the call may fail with. */
int skcf_variants(int call);

#endif
