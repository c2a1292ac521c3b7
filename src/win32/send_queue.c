/*
 * Windows: has the peer acknowledged everything we sent? For the report
 * of a graceful close (src/common/graceful.c).
 */
#include "../platform.h"
#include "tcp_info.h"

#include <winsock2.h>

#include <string.h>

/* SIO_TCP_INFO: see tcp_info.h. */

/* TCPSTATE (mstcpip.h). */
enum {
  SKC__TCPSTATE_FIN_WAIT_1 = 5,
  SKC__TCPSTATE_FIN_WAIT_2 = 6,
  SKC__TCPSTATE_CLOSING = 8,
  SKC__TCPSTATE_LAST_ACK = 9,
  SKC__TCPSTATE_TIME_WAIT = 10
};

int skc__plat_send_queue_acked(skc_socket_t s) {
  skc__tcp_info_v0 info;
  DWORD version = 0, bytes = 0;
  int saved = WSAGetLastError();
  int result;
  memset(&info, 0, sizeof info);
  if (WSAIoctl((SOCKET)s, SKC__SIO_TCP_INFO, &version, sizeof version, &info,
               sizeof info, &bytes, NULL, NULL) != 0) {
    /* Windows before 10 1703 and Wine 8 answer WSAEOPNOTSUPP. */
    result = SKC_ENOTSUP;
  } else {
    switch (info.State) {
    case SKC__TCPSTATE_FIN_WAIT_2:
    case SKC__TCPSTATE_TIME_WAIT:
      /* Our FIN is acknowledged, and it follows every byte we sent. */
      result = 1;
      break;
    case SKC__TCPSTATE_FIN_WAIT_1:
    case SKC__TCPSTATE_CLOSING:
    case SKC__TCPSTATE_LAST_ACK:
      /* Our FIN, at least, is still waiting for its acknowledgement. */
      result = 0;
      break;
    default:
      /* Before our FIN, TCP_INFO_v0 counts what is in flight
       * (BytesInFlight) but not what is still queued unsent; after an
       * RST (CLOSED) nothing is left to ask. */
      result = SKC_ENOTSUP;
      break;
    }
  }
  WSASetLastError(saved);
  return result;
}
