/*
 * Windows: the Winsock/Win32-to-SKC table, the one place this platform
 * translates. Covers every WSAE* code of "Windows Sockets Error Codes"
 * (10004-10112, 11001-11004, the QoS range), the WSA_* overlapped codes,
 * and the Win32 codes that overlapped socket I/O reports (GetLastError
 * after GetOverlappedResult, or an IOCP completion status).
 *
 * Where libuv maps the same code, the name agrees with libuv's, except
 * where noted.
 */
#include "../platform.h"

#include <winsock2.h>

#include <windows.h>

/* First and last code of the Winsock QoS range (WSA_QOS_RECEIVERS ..
 * WSA_IPSEC_NAME_POLICY_ERROR). */
#define SKC__WSA_QOS_FIRST 11005
#define SKC__WSA_QOS_LAST 11033

int skc__plat_translate(int native) {
  if (native >= SKC__WSA_QOS_FIRST && native <= SKC__WSA_QOS_LAST)
    return SKC_EQOS;
  switch (native) {
  case 0: return 0;
  /* Winsock codes (WSAE*, WSA*). */
  case WSAEINTR: return SKC_EINTR; /* libuv: ECANCELED; a blocking call was
                                      interrupted, as EINTR on POSIX */
  case WSAEBADF: return SKC_EBADF;
  case WSAEACCES: return SKC_EACCES;
  case WSAEFAULT: return SKC_EFAULT;
  case WSAEINVAL: return SKC_EINVAL;
  case WSAEMFILE: return SKC_EMFILE;
  case WSAEWOULDBLOCK: return SKC_EAGAIN;
  case WSAEINPROGRESS: return SKC_EINPROGRESS;
  case WSAEALREADY: return SKC_EALREADY;
  case WSAENOTSOCK: return SKC_ENOTSOCK;
  case WSAEDESTADDRREQ: return SKC_EDESTADDRREQ;
  case WSAEMSGSIZE: return SKC_EMSGSIZE;
  case WSAEPROTOTYPE: return SKC_EPROTOTYPE;
  case WSAENOPROTOOPT: return SKC_ENOPROTOOPT;
  case WSAEPROTONOSUPPORT: return SKC_EPROTONOSUPPORT;
  case WSAESOCKTNOSUPPORT: return SKC_ESOCKTNOSUPPORT;
  case WSAEOPNOTSUPP: return SKC_ENOTSUP;
  case WSAEPFNOSUPPORT: return SKC_EPFNOSUPPORT;
  case WSAEAFNOSUPPORT: return SKC_EAFNOSUPPORT;
  case WSAEADDRINUSE: return SKC_EADDRINUSE;
  case WSAEADDRNOTAVAIL: return SKC_EADDRNOTAVAIL;
  case WSAENETDOWN: return SKC_ENETDOWN;
  case WSAENETUNREACH: return SKC_ENETUNREACH;
  case WSAENETRESET: return SKC_ENETRESET;
  case WSAECONNABORTED: return SKC_ECONNABORTED;
  case WSAECONNRESET: return SKC_ECONNRESET;
  case WSAENOBUFS: return SKC_ENOBUFS;
  case WSAEISCONN: return SKC_EISCONN;
  case WSAENOTCONN: return SKC_ENOTCONN;
  case WSAESHUTDOWN: return SKC_ESHUTDOWN; /* libuv: EPIPE; this is the
                                              sender's own shutdown, which
                                              ESHUTDOWN names exactly */
  case WSAETOOMANYREFS: return SKC_ETOOMANYREFS;
  case WSAETIMEDOUT: return SKC_ETIMEDOUT;
  case WSAECONNREFUSED: return SKC_ECONNREFUSED;
  case WSAELOOP: return SKC_ELOOP;
  case WSAENAMETOOLONG: return SKC_ENAMETOOLONG;
  case WSAEHOSTDOWN: return SKC_EHOSTDOWN;
  case WSAEHOSTUNREACH: return SKC_EHOSTUNREACH;
  case WSAENOTEMPTY: return SKC_ENOTEMPTY;
  case WSAEPROCLIM: return SKC_EPROCLIM;
  case WSAEUSERS: return SKC_EUSERS;
  case WSAEDQUOT: return SKC_EDQUOT;
  case WSAESTALE: return SKC_ESTALE;
  case WSAEREMOTE: return SKC_EREMOTE;
  case WSASYSNOTREADY: return SKC_ESYSNOTREADY;
  case WSAVERNOTSUPPORTED: return SKC_EVERNOTSUPPORTED;
  case WSANOTINITIALISED: return SKC_ENOTINIT;
  case WSAEDISCON: return SKC_EDISCON;
  case WSAENOMORE: return SKC_ENOMORE;
  case WSA_E_NO_MORE: return SKC_ENOMORE;
  case WSAECANCELLED: return SKC_ECANCELED;
  case WSA_E_CANCELLED: return SKC_ECANCELED;
  case WSAEINVALIDPROCTABLE: return SKC_EPROVIDER;
  case WSAEINVALIDPROVIDER: return SKC_EPROVIDER;
  case WSAEPROVIDERFAILEDINIT: return SKC_EPROVIDER;
  case WSASYSCALLFAILURE: return SKC_EPROVIDER;
  case WSASERVICE_NOT_FOUND: return SKC_ENOTFOUND;
  case WSATYPE_NOT_FOUND: return SKC_ENOTFOUND;
  case WSAEREFUSED: return SKC_EACCES; /* a name-service query refused */
  case WSAHOST_NOT_FOUND: return SKC_ENOTFOUND;
  case WSATRY_AGAIN: return SKC_EAGAIN; /* temporary name-service failure */
  case WSANO_RECOVERY: return SKC_EIO; /* non-recoverable name-service error */
  case WSANO_DATA: return SKC_ENOTFOUND;
  /* Overlapped-I/O codes; each equals the Win32 code of the same name. */
  case WSA_INVALID_HANDLE: return SKC_EBADF;
  case WSA_NOT_ENOUGH_MEMORY: return SKC_ENOMEM;
  case WSA_INVALID_PARAMETER: return SKC_EINVAL;
  case WSA_OPERATION_ABORTED: return SKC_ECANCELED;
  case WSA_IO_INCOMPLETE: return SKC_EAGAIN; /* not finished yet: ask again */
  case WSA_IO_PENDING: return SKC_EINPROGRESS;
  /* Win32 codes seen by socket users through overlapped I/O and IOCP. */
  case ERROR_NETNAME_DELETED: return SKC_ECONNRESET; /* how AFD reports a
                                                       reset to a pending
                                                       overlapped receive */
  case ERROR_CONNECTION_ABORTED: return SKC_ECONNABORTED;
  case ERROR_CONNECTION_REFUSED: return SKC_ECONNREFUSED;
  case ERROR_BROKEN_PIPE: return SKC_EPIPE;
  case ERROR_NO_DATA: return SKC_EPIPE; /* "The pipe is being closed." */
  case ERROR_SEM_TIMEOUT: return SKC_ETIMEDOUT;
  case ERROR_TIMEOUT: return SKC_ETIMEDOUT;
  case ERROR_NETWORK_UNREACHABLE: return SKC_ENETUNREACH;
  case ERROR_HOST_UNREACHABLE: return SKC_EHOSTUNREACH;
  case ERROR_PROTOCOL_UNREACHABLE: return SKC_EPROTONOSUPPORT;
  case ERROR_PORT_UNREACHABLE: return SKC_ECONNREFUSED;
  case ERROR_GRACEFUL_DISCONNECT: return SKC_EDISCON;
  case ERROR_REQUEST_ABORTED: return SKC_ECANCELED;
  case ERROR_CONNECTION_INVALID: return SKC_ENOTCONN;
  case ERROR_CONNECTION_ACTIVE: return SKC_EISCONN;
  case ERROR_ADDRESS_ALREADY_ASSOCIATED: return SKC_EADDRINUSE;
  case ERROR_INVALID_NETNAME: return SKC_EADDRNOTAVAIL;
  case ERROR_NETWORK_ACCESS_DENIED: return SKC_EACCES;
  case ERROR_ACCESS_DENIED: return SKC_EACCES;
  case ERROR_TOO_MANY_OPEN_FILES: return SKC_EMFILE;
  case ERROR_OUTOFMEMORY: return SKC_ENOMEM;
  case ERROR_NOT_SUPPORTED: return SKC_ENOTSUP;
  case ERROR_INSUFFICIENT_BUFFER: return SKC_ENOBUFS;
  case ERROR_MORE_DATA: return SKC_EMSGSIZE;
  case ERROR_PIPE_NOT_CONNECTED: return SKC_ENOTCONN;
  case ERROR_UNEXP_NET_ERR: return SKC_EIO;
  case ERROR_BAD_NETPATH: return SKC_EHOSTUNREACH;
  case ERROR_NETWORK_BUSY: return SKC_EAGAIN;
  case ERROR_DEV_NOT_EXIST: return SKC_ENETDOWN; /* the network device or
                                                   share went away */
  case ERROR_NOT_CONNECTED: return SKC_ENOTCONN;
  case ERROR_CANCELLED: return SKC_ECANCELED;
  case ERROR_INVALID_FUNCTION: return SKC_ENOTSUP;
  case ERROR_FILE_NOT_FOUND: return SKC_ENOENT;
  case ERROR_PATH_NOT_FOUND: return SKC_ENOENT;
  case ERROR_BUSY: return SKC_EBUSY;
  default: return SKC_EUNKNOWN;
  }
}

/* WSAGetLastError() and GetLastError() read the same per-thread slot. */
int skc__plat_get_native_error(void) { return WSAGetLastError(); }

void skc__plat_set_native_error(int native) { WSASetLastError(native); }

int skc__plat_reject(int err) {
  switch (err) {
  case SKC_EFAULT: WSASetLastError(WSAEFAULT); break;
  case SKC_EBADF: WSASetLastError(WSAENOTSOCK); break;
  case SKC_EINVAL: WSASetLastError(WSAEINVAL); break;
  case SKC_ENOTCONN: WSASetLastError(WSAENOTCONN); break;
  case SKC_ENOBUFS: WSASetLastError(WSAENOBUFS); break;
  case SKC_ENOMEM: WSASetLastError(WSA_NOT_ENOUGH_MEMORY); break;
  case SKC_ENOTSUP: WSASetLastError(WSAEOPNOTSUPP); break;
  case SKC_ETIMEDOUT: WSASetLastError(WSAETIMEDOUT); break;
  case SKC_ECANCELED: WSASetLastError(WSAECANCELLED); break;
  case SKC_EBUSY: WSASetLastError(ERROR_BUSY); break;
  case SKC_EAFNOSUPPORT: WSASetLastError(WSAEAFNOSUPPORT); break;
  default: WSASetLastError(WSAEINVAL); break;
  }
  return err;
}
