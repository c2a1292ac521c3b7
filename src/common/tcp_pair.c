/*
 * skc_tcp_pair(): a connected loopback TCP pair, built from the platform's
 * loopback primitives. Windows has no TCP socketpair(), and POSIX
 * socketpair(2) only makes AF_UNIX pairs, whose close semantics are not
 * TCP's.
 */
#include "sockclose.h"
#include "../platform.h"

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
  unsigned short port = 0, client_port = 0, peer_port = 0;
  int strangers;
  int err;

  if (pair == NULL)
    return skc__plat_reject(SKC_EFAULT);
  pair[0] = SKC_INVALID_SOCKET;
  pair[1] = SKC_INVALID_SOCKET;

  err = skc__plat_loopback_listen(&listener, &port);
  if (err == 0)
    err = skc__plat_loopback_connect(port, &client, &client_port);
  for (strangers = 0; err == 0; strangers++) {
    err = skc__plat_loopback_accept(listener, &server, &peer_port);
    if (err != 0 || peer_port == client_port)
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
