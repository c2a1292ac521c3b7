/*
 * Windows: the C runtime's errno numbering to SKC_E* codes.
 *
 * The Microsoft and MinGW-w64 C runtimes number errno in their own way
 * (<errno.h>: EINTR 4, EAGAIN 11, and the POSIX supplement from 100 on:
 * EADDRINUSE 100, ECONNRESET 108, EWOULDBLOCK 140, ...), which overlaps
 * Win32 codes (4 is ERROR_TOO_MANY_OPEN_FILES), so errno values need this
 * table of their own; Winsock never sets errno.
 */
#include "../platform.h"

#include <errno.h>

int skc__plat_translate_errno(int crt_errno) {
  switch (crt_errno) {
  case 0: return 0;
  case EPERM: return SKC_EPERM;
  case ENOENT: return SKC_ENOENT;
  case ESRCH: return SKC_ESRCH;
  case EINTR: return SKC_EINTR;
  case EIO: return SKC_EIO;
  case ENXIO: return SKC_ENXIO;
  case EBADF: return SKC_EBADF;
  case EAGAIN: return SKC_EAGAIN;
  case ENOMEM: return SKC_ENOMEM;
  case EACCES: return SKC_EACCES;
  case EFAULT: return SKC_EFAULT;
  case EBUSY: return SKC_EBUSY;
  case EEXIST: return SKC_EEXIST;
  case ENODEV: return SKC_ENODEV;
  case ENOTDIR: return SKC_ENOTDIR;
  case EINVAL: return SKC_EINVAL;
  case ENFILE: return SKC_ENFILE;
  case EMFILE: return SKC_EMFILE;
  case ENOSPC: return SKC_ENOSPC;
  case EROFS: return SKC_EROFS;
  case EPIPE: return SKC_EPIPE;
  case ENAMETOOLONG: return SKC_ENAMETOOLONG;
  case ENOTEMPTY: return SKC_ENOTEMPTY;
#ifdef EADDRINUSE /* the POSIX supplement (not with _CRT_NO_POSIX_ERROR_CODES) */
  case EADDRINUSE: return SKC_EADDRINUSE;
  case EADDRNOTAVAIL: return SKC_EADDRNOTAVAIL;
  case EAFNOSUPPORT: return SKC_EAFNOSUPPORT;
  case EALREADY: return SKC_EALREADY;
  case ECANCELED: return SKC_ECANCELED;
  case ECONNABORTED: return SKC_ECONNABORTED;
  case ECONNREFUSED: return SKC_ECONNREFUSED;
  case ECONNRESET: return SKC_ECONNRESET;
  case EDESTADDRREQ: return SKC_EDESTADDRREQ;
  case EHOSTUNREACH: return SKC_EHOSTUNREACH;
  case EINPROGRESS: return SKC_EINPROGRESS;
  case EISCONN: return SKC_EISCONN;
  case ELOOP: return SKC_ELOOP;
  case EMSGSIZE: return SKC_EMSGSIZE;
  case ENETDOWN: return SKC_ENETDOWN;
  case ENETRESET: return SKC_ENETRESET;
  case ENETUNREACH: return SKC_ENETUNREACH;
  case ENOBUFS: return SKC_ENOBUFS;
  case ENOLINK: return SKC_ENOLINK;
  case ENOPROTOOPT: return SKC_ENOPROTOOPT;
  case ENOSR: return SKC_ENOSR;
  case ENOTCONN: return SKC_ENOTCONN;
  case ENOTSOCK: return SKC_ENOTSOCK;
  case ENOTSUP:
  case EOPNOTSUPP: return SKC_ENOTSUP;
  case EOVERFLOW: return SKC_EOVERFLOW;
  case EPROTO: return SKC_EPROTO;
  case EPROTONOSUPPORT: return SKC_EPROTONOSUPPORT;
  case EPROTOTYPE: return SKC_EPROTOTYPE;
  case ETIMEDOUT: return SKC_ETIMEDOUT;
  case EWOULDBLOCK: return SKC_EAGAIN;
#endif
  default: return SKC_EUNKNOWN;
  }
}
