/*
 * POSIX: the errno-to-SKC table, the one place this platform translates.
 * Covers every errno that socket calls document on Linux (socket(7),
 * tcp(7), send(2), recv(2), connect(2), ...) and macOS (intro(2)).
 */
#include "../platform.h"

#include <errno.h>

int skc__plat_translate(int native) {
  switch (native) {
  case 0: return 0;
  case EACCES: return SKC_EACCES;
  case EADDRINUSE: return SKC_EADDRINUSE;
  case EADDRNOTAVAIL: return SKC_EADDRNOTAVAIL;
  case EAFNOSUPPORT: return SKC_EAFNOSUPPORT;
  case EAGAIN: return SKC_EAGAIN;
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK: return SKC_EAGAIN;
#endif
  case EALREADY: return SKC_EALREADY;
  case EBADF: return SKC_EBADF;
  case ECANCELED: return SKC_ECANCELED;
  case ECONNABORTED: return SKC_ECONNABORTED;
  case ECONNREFUSED: return SKC_ECONNREFUSED;
  case ECONNRESET: return SKC_ECONNRESET;
  case EDESTADDRREQ: return SKC_EDESTADDRREQ;
  case EFAULT: return SKC_EFAULT;
#ifdef EHOSTDOWN
  case EHOSTDOWN: return SKC_EHOSTDOWN;
#endif
  case EHOSTUNREACH: return SKC_EHOSTUNREACH;
  case EINPROGRESS: return SKC_EINPROGRESS;
  case EINTR: return SKC_EINTR;
  case EINVAL: return SKC_EINVAL;
  case EIO: return SKC_EIO;
  case EISCONN: return SKC_EISCONN;
  case ELOOP: return SKC_ELOOP;
  case EMFILE: return SKC_EMFILE;
  case EMSGSIZE: return SKC_EMSGSIZE;
  case ENAMETOOLONG: return SKC_ENAMETOOLONG;
  case ENETDOWN: return SKC_ENETDOWN;
  case ENETRESET: return SKC_ENETRESET;
  case ENETUNREACH: return SKC_ENETUNREACH;
  case ENFILE: return SKC_ENFILE;
  case ENOBUFS: return SKC_ENOBUFS;
  case ENOMEM: return SKC_ENOMEM;
  case ENOPROTOOPT: return SKC_ENOPROTOOPT;
  case ENOTCONN: return SKC_ENOTCONN;
  case ENOTSOCK: return SKC_ENOTSOCK;
  case ENOTSUP: return SKC_ENOTSUP;
#if defined(EOPNOTSUPP) && EOPNOTSUPP != ENOTSUP
  case EOPNOTSUPP: return SKC_ENOTSUP; /* distinct from ENOTSUP on macOS */
#endif
  case EPERM: return SKC_EPERM;
  case EPIPE: return SKC_EPIPE;
  case EPROTO: return SKC_EPROTO;
  case EPROTONOSUPPORT: return SKC_EPROTONOSUPPORT;
  case EPROTOTYPE: return SKC_EPROTOTYPE;
#ifdef ESHUTDOWN
  case ESHUTDOWN: return SKC_ESHUTDOWN;
#endif
#ifdef ESOCKTNOSUPPORT
  case ESOCKTNOSUPPORT: return SKC_ESOCKTNOSUPPORT;
#endif
  case ETIMEDOUT: return SKC_ETIMEDOUT;
#ifdef ETOOMANYREFS
  case ETOOMANYREFS: return SKC_ETOOMANYREFS;
#endif
#ifdef EPFNOSUPPORT
  case EPFNOSUPPORT: return SKC_EPFNOSUPPORT;
#endif
  case ENOTEMPTY: return SKC_ENOTEMPTY;
#ifdef EPROCLIM
  case EPROCLIM: return SKC_EPROCLIM;
#endif
#ifdef EUSERS
  case EUSERS: return SKC_EUSERS;
#endif
  case EDQUOT: return SKC_EDQUOT;
  case ESTALE: return SKC_ESTALE;
#ifdef EREMOTE
  case EREMOTE: return SKC_EREMOTE;
#endif
  case ENOENT: return SKC_ENOENT;
  case ENOTDIR: return SKC_ENOTDIR;
  case EROFS: return SKC_EROFS;
  case ENOSPC: return SKC_ENOSPC;
  case EOVERFLOW: return SKC_EOVERFLOW;
#ifdef ENOSR
  case ENOSR: return SKC_ENOSR;
#endif
  case ENODEV: return SKC_ENODEV;
  case ENXIO: return SKC_ENXIO;
  case EBUSY: return SKC_EBUSY;
  case EEXIST: return SKC_EEXIST;
  case ESRCH: return SKC_ESRCH;
#ifdef ENOLINK
  case ENOLINK: return SKC_ENOLINK;
#endif
  default: return SKC_EUNKNOWN;
  }
}

int skc__plat_get_native_error(void) { return errno; }

void skc__plat_set_native_error(int native) { errno = native; }

int skc__plat_reject(int err) {
  switch (err) {
  case SKC_EINVAL: errno = EINVAL; break;
  case SKC_EFAULT: errno = EFAULT; break;
  case SKC_EBADF: errno = EBADF; break;
  case SKC_ENOTCONN: errno = ENOTCONN; break;
  case SKC_ENOBUFS: errno = ENOBUFS; break;
  case SKC_ENOMEM: errno = ENOMEM; break;
  case SKC_ENOTSUP: errno = ENOTSUP; break;
  case SKC_ETIMEDOUT: errno = ETIMEDOUT; break;
  case SKC_ECANCELED: errno = ECANCELED; break;
  case SKC_EBUSY: errno = EBUSY; break;
  case SKC_ENOPROTOOPT: errno = ENOPROTOOPT; break;
  case SKC_ECONNRESET: errno = ECONNRESET; break;
  case SKC_EAFNOSUPPORT: errno = EAFNOSUPPORT; break;
  default: errno = EINVAL; break;
  }
  return err;
}

/* The C runtime and the socket calls share errno and its numbering. */
int skc__plat_translate_errno(int crt_errno) {
  return skc__plat_translate(crt_errno);
}
