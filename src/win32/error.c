/*
 * Windows: the Winsock/Win32-to-SKC table, the one place this platform
 * translates. Covers every WSAE* code of "Windows Sockets Error Codes"
 * (10004-10112, 11001-11004, the QoS range), the WSA_* overlapped codes,
 * and the Win32 codes that overlapped socket I/O reports (GetLastError
 * after GetOverlappedResult, or an IOCP completion status).
 *
 * Where libuv maps the same code, the name agrees with libuv's, except
 * where noted.
 *
 * A Win32 code reaches a socket user when overlapped I/O completes: the
 * driver (AFD) fails the request with an NTSTATUS, and GetOverlappedResult
 * or GetQueuedCompletionStatus turn it into a Win32 code with
 * RtlNtStatusToDosError, while WSAGetOverlappedResult turns the same
 * NTSTATUS into a WSAE* code with Winsock's own table. Both tables are
 * recorded in Wine (dlls/ntdll/error.c and NtStatusToWSAError in
 * dlls/ws2_32/socket.c, written from Windows' behaviour). A Win32 code is
 * mapped here to what the Winsock path says for the same NTSTATUS, so the
 * two ways of reading one completion give one SKC_E* code; the rows that
 * depart from that say why.
 */
#include "../platform.h"

#include <winsock2.h>

#include <windows.h>

/* First and last code of the Winsock QoS range (WSA_QOS_RECEIVERS ..
 * WSA_QOS_RESERVED_PETYPE). The two codes after it are not QoS codes. */
#define SKC__WSA_QOS_FIRST 11005
#define SKC__WSA_QOS_LAST 11031
/* Not in every MinGW-w64 <winerror.h>. */
#ifndef WSA_SECURE_HOST_NOT_FOUND
#define WSA_SECURE_HOST_NOT_FOUND 11032
#endif
#ifndef WSA_IPSEC_NAME_POLICY_ERROR
#define WSA_IPSEC_NAME_POLICY_ERROR 11033
#endif

int skc__plat_translate(int native) {
  if (native >= SKC__WSA_QOS_FIRST && native <= SKC__WSA_QOS_LAST)
    return SKC_EQOS;
  switch (native) {
  case 0: return 0;
  /* Winsock codes (WSAE*, WSA*). */
  /* Not EINTR: no signal interrupts a Winsock call. WSAEINTR means a
   * blocking call was cancelled (WSACancelBlockingCall, the socket closed
   * by another thread, the I/O cancelled: STATUS_REQUEST_ABORTED, which the
   * Win32 path reports as ERROR_REQUEST_ABORTED). Retrying it, as
   * skc_is_try_again() would ask for SKC_EINTR, cannot succeed. libuv:
   * ECANCELED too. */
  case WSAEINTR: return SKC_ECANCELED;
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
  case WSAENOMORE:
  case WSA_E_NO_MORE: return SKC_ENOMORE;
  case WSAECANCELLED:
  case WSA_E_CANCELLED: return SKC_ECANCELED;
  case WSAEINVALIDPROCTABLE:
  case WSAEINVALIDPROVIDER:
  case WSAEPROVIDERFAILEDINIT:
  case WSASYSCALLFAILURE: return SKC_EPROVIDER;
  case WSASERVICE_NOT_FOUND:
  case WSATYPE_NOT_FOUND: return SKC_ENOTFOUND;
  case WSAEREFUSED: return SKC_EACCES; /* a name-service query refused */
  case WSAHOST_NOT_FOUND: return SKC_ENOTFOUND;
  /* A temporary name-service failure (getaddrinfo's EAI_AGAIN): trying
   * again later is the right action, which is all SKC_EAGAIN promises. No
   * socket call returns it, so no caller polls a socket because of it. */
  case WSATRY_AGAIN: return SKC_EAGAIN;
  case WSANO_RECOVERY: return SKC_EIO; /* non-recoverable name-service error */
  case WSANO_DATA: return SKC_ENOTFOUND;
  /* After the QoS range: "name-based IPsec policy could not be added" (the
   * IPsec service failed, not the caller's arguments), and "no such host
   * is known securely" (a name lookup under IPsec). */
  case WSA_IPSEC_NAME_POLICY_ERROR: return SKC_EPROVIDER;
  case WSA_SECURE_HOST_NOT_FOUND: return SKC_ENOTFOUND;
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
  case ERROR_BROKEN_PIPE:
  case ERROR_NO_DATA: return SKC_EPIPE; /* "The pipe is being closed." */
  case ERROR_SEM_TIMEOUT:
  case ERROR_TIMEOUT: return SKC_ETIMEDOUT;
  case ERROR_NETWORK_UNREACHABLE: return SKC_ENETUNREACH;
  case ERROR_HOST_UNREACHABLE: return SKC_EHOSTUNREACH;
  /* An ICMP "protocol unreachable" from the path, not a protocol this host
   * lacks (that fails socket() with WSAEPROTONOSUPPORT): Winsock's path
   * says WSAENETUNREACH for the same STATUS_PROTOCOL_UNREACHABLE. */
  case ERROR_PROTOCOL_UNREACHABLE: return SKC_ENETUNREACH;
  /* Departs from the Winsock path (WSAECONNRESET for the same
   * STATUS_PORT_UNREACHABLE): that code cannot be told apart from a real
   * reset once it is a WSAE* code, but this Win32 code can, and it means
   * nobody listens on the port, which Linux and macOS report as
   * ECONNREFUSED for the same ICMP message. */
  case ERROR_PORT_UNREACHABLE: return SKC_ECONNREFUSED;
  case ERROR_GRACEFUL_DISCONNECT: return SKC_EDISCON;
  case ERROR_REQUEST_ABORTED: return SKC_ECANCELED; /* Winsock: WSAEINTR,
                                                      also SKC_ECANCELED */
  case ERROR_CONNECTION_INVALID: return SKC_ENOTCONN;
  case ERROR_CONNECTION_ACTIVE: return SKC_EISCONN;
  case ERROR_ADDRESS_ALREADY_ASSOCIATED: return SKC_EADDRINUSE;
  case ERROR_INVALID_NETNAME: return SKC_EADDRNOTAVAIL;
  case ERROR_NETWORK_ACCESS_DENIED:
  case ERROR_ACCESS_DENIED: return SKC_EACCES;
  case ERROR_TOO_MANY_OPEN_FILES: return SKC_EMFILE;
  case ERROR_OUTOFMEMORY: return SKC_ENOMEM;
  case ERROR_NOT_SUPPORTED: return SKC_ENOTSUP;
  /* The caller's buffer is too small for the result (STATUS_BUFFER_TOO_SMALL),
   * which Winsock reports as WSAEFAULT (getsockopt, WSAIoctl with a short
   * buffer). Not ENOBUFS: that reads as the system running out of buffer
   * space and invites a retry that cannot succeed. libuv: EINVAL. */
  case ERROR_INSUFFICIENT_BUFFER: return SKC_EFAULT;
  case ERROR_MORE_DATA: return SKC_EMSGSIZE;
  /* STATUS_PIPE_DISCONNECTED: AFD's answer to a send after our own
   * shutdown(SD_SEND), which the Winsock path reports as WSAESHUTDOWN; the
   * same situation gives SKC_ESHUTDOWN on every OS (S2). libuv: EPIPE. */
  case ERROR_PIPE_NOT_CONNECTED: return SKC_ESHUTDOWN;
  case ERROR_UNEXP_NET_ERR: return SKC_EIO;
  case ERROR_BAD_NETPATH: return SKC_EHOSTUNREACH;
  /* Not EAGAIN: that tells the caller to poll the socket and retry at
   * once, and the socket will report ready while the network stays busy.
   * Winsock's path: WSAENETDOWN. */
  case ERROR_NETWORK_BUSY:
  case ERROR_DEV_NOT_EXIST: return SKC_ENETDOWN; /* DEV_NOT_EXIST: the
                                                   network device or share
                                                   went away */
  case ERROR_NOT_CONNECTED: return SKC_ENOTCONN;
  case ERROR_CANCELLED: return SKC_ECANCELED;
  case ERROR_INVALID_FUNCTION: return SKC_ENOTSUP;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND: return SKC_ENOENT;
  case ERROR_BUSY: return SKC_EBUSY;
  /* Resource exhaustion under memory pressure: STATUS_INSUFFICIENT_RESOURCES,
   * STATUS_QUOTA_EXCEEDED / STATUS_PAGEFILE_QUOTA, STATUS_COMMITMENT_LIMIT,
   * STATUS_WORKING_SET_QUOTA; and STATUS_TOO_MANY_ADDRESSES, the transport
   * out of addresses (ERROR_TOO_MANY_NAMES). Winsock's path: WSAENOBUFS. */
  case ERROR_NO_SYSTEM_RESOURCES:
  case ERROR_NOT_ENOUGH_QUOTA:
  case ERROR_COMMITMENT_LIMIT:
  case ERROR_WORKING_SET_QUOTA:
  case ERROR_TOO_MANY_NAMES: return SKC_ENOBUFS;
  /* STATUS_ACCESS_VIOLATION, STATUS_DATATYPE_MISALIGNMENT_ERROR: a buffer
   * the caller passed is not valid memory; Winsock: WSAEFAULT. (libuv:
   * EACCES, from its file-system use.) */
  case ERROR_NOACCESS: return SKC_EFAULT;
  /* STATUS_INVALID_BUFFER_SIZE; Winsock: WSAEMSGSIZE. */
  case ERROR_INVALID_USER_BUFFER: return SKC_EMSGSIZE;
  /* STATUS_HOST_DOWN; Winsock: WSAEHOSTDOWN. */
  case ERROR_HOST_DOWN: return SKC_EHOSTDOWN;
  /* STATUS_DEVICE_NOT_READY and STATUS_REQUEST_NOT_ACCEPTED: the transport
   * cannot take the request now; Winsock: WSAEWOULDBLOCK. */
  case ERROR_NOT_READY:
  case ERROR_REQ_NOT_ACCEP: return SKC_EAGAIN;
  /* STATUS_REMOTE_NOT_LISTENING; Winsock: WSAECONNREFUSED. */
  case ERROR_REM_NOT_LIST: return SKC_ECONNREFUSED;
  /* STATUS_ADDRESS_ALREADY_EXISTS; Winsock: WSAEADDRINUSE. */
  case ERROR_DUP_NAME: return SKC_EADDRINUSE;
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
  case SKC_ENOPROTOOPT: WSASetLastError(WSAENOPROTOOPT); break;
  case SKC_ECONNRESET: WSASetLastError(WSAECONNRESET); break;
  case SKC_EAFNOSUPPORT: WSASetLastError(WSAEAFNOSUPPORT); break;
  default: WSASetLastError(WSAEINVAL); break;
  }
  return err;
}
