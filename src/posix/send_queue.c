/*
 * POSIX: has the peer acknowledged everything we sent? For the report of
 * a graceful close (src/common/graceful.c).
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* TCP_CONNECTION_INFO */
#endif
#include "../platform.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <linux/sockios.h>
#endif

int skc__plat_send_queue_acked(skc_socket_t s) {
  int saved = errno;
  int result;
#if defined(__linux__)
  /* tcp(7) SIOCOUTQ: "the amount of unsent data in the socket send queue"
   * plus what is sent but not acknowledged: tcp_ioctl() answers
   * write_seq - snd_una. Our FIN takes one sequence number in write_seq
   * (tcp_send_fin() queues it like a byte), so 0 means every byte and the
   * FIN are acknowledged. The answer stays valid after an RST moved the
   * socket to CLOSE: the sequence numbers are kept. */
  int queued = 0;
  if (ioctl(s, SIOCOUTQ, &queued) != 0)
    result = SKC_ENOTSUP;
  else
    result = queued == 0;
#elif defined(__APPLE__) && defined(TCP_CONNECTION_INFO)
  /* xnu netinet/tcp.h, struct tcp_connection_info: tcpi_state uses the
   * TCPS_* numbering of netinet/tcp_fsm.h. FIN_WAIT_2 (9) and TIME_WAIT
   * (10) come after the peer acknowledged our FIN, which follows every
   * byte; FIN_WAIT_1 (6), CLOSING (7) and LAST_ACK (8) are waiting for
   * that acknowledgement. Before our FIN (ESTABLISHED 4, CLOSE_WAIT 5),
   * tcpi_snd_sbbytes counts the bytes still in the send buffer, sent or
   * not. */
  struct tcp_connection_info info;
  socklen_t size = sizeof info;
  if (getsockopt(s, IPPROTO_TCP, TCP_CONNECTION_INFO, &info, &size) != 0)
    result = SKC_ENOTSUP;
  else if (info.tcpi_state == 9 || info.tcpi_state == 10)
    result = 1;
  else if (info.tcpi_state >= 6 && info.tcpi_state <= 8)
    result = 0;
  else if (info.tcpi_state == 4 || info.tcpi_state == 5)
    result = info.tcpi_snd_sbbytes == 0;
  else
    result = SKC_ENOTSUP;
#else
  (void)s;
  result = SKC_ENOTSUP;
#endif
  errno = saved;
  return result;
}
