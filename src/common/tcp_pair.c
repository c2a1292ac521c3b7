/*
 * skc_tcp_pair(): a connected loopback TCP pair, built from the public
 * connection calls (skc_tcp_listen, skc_connect, skc_accept), so both ends
 * are non-inheritable on every OS (Windows' accept would copy the
 * listener's flag) and a connection reset in the queue is never taken.
 * Windows has no TCP socketpair(), and POSIX socketpair(2) only makes
 * AF_UNIX pairs, whose close semantics are not TCP's.
 */
#include "sockclose.h"
#include "../platform.h"

#include <string.h>

/* How many foreign connections to turn away before giving up: another
 * local process may connect to the listener between listen and accept. */
#define SKC__PAIR_MAX_STRANGERS 16

static void skc__close_kept(skc_socket_t *s) {
  if (*s != SKC_INVALID_SOCKET) {
    int native = skc__plat_get_native_error();
    skc__plat_close(*s);
    skc__plat_set_native_error(native);
    *s = SKC_INVALID_SOCKET;
  }
}

int skc_tcp_pair(skc_socket_t pair[2]) {
  skc_socket_t listener = SKC_INVALID_SOCKET;
  skc_socket_t client = SKC_INVALID_SOCKET;
  skc_socket_t server = SKC_INVALID_SOCKET;
  skc_endpoint at, client_end, peer;
  int strangers;
  int err;

  if (pair == NULL)
    return skc__plat_reject(SKC_EFAULT);
  pair[0] = SKC_INVALID_SOCKET;
  pair[1] = SKC_INVALID_SOCKET;

  memset(&at, 0, sizeof at);
  at.family = SKC_FAMILY_IPV4;
  at.address[0] = 127;
  at.address[3] = 1;
  err = skc_tcp_listen(&at, 1, 0, &listener);
  if (err == 0)
    err = skc_local_endpoint(listener, &at);
  if (err == 0)
    err = skc_tcp_socket(SKC_FAMILY_IPV4, 0, &client);
  if (err == 0) {
    /* A signal may interrupt the blocking connect; the connect goes on.
     * Calling again waits for it on Linux, but the BSDs (macOS included)
     * answer EALREADY (SKC_EINPROGRESS) at once, so each such answer is
     * followed by a 1 ms pause rather than a busy loop. */
    for (;;) {
      err = skc_connect(client, &at);
      if (err == SKC_EINPROGRESS)
        skc__plat_sleep_ms(1);
      else if (err != SKC_EINTR)
        break;
    }
  }
  if (err == 0)
    err = skc_local_endpoint(client, &client_end);
  for (strangers = 0; err == 0; strangers++) {
    do
      err = skc_accept(listener, 0, &server, &peer);
    while (err == SKC_EINTR);
    if (err != 0 || (peer.port == client_end.port &&
                     memcmp(peer.address, client_end.address, 4) == 0))
      break;
    skc__close_kept(&server);
    if (strangers == SKC__PAIR_MAX_STRANGERS)
      err = skc__plat_reject(SKC_ECONNREFUSED);
  }
  skc__close_kept(&listener);
  if (err != 0) {
    skc__close_kept(&client);
    skc__close_kept(&server);
    return err;
  }
  pair[0] = client;
  pair[1] = server;
  return 0;
}
