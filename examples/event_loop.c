/*
 * An event-loop echo server and its client on sockclose, with no #ifdef
 * around any socket call: the whole connection lifecycle (listen, a
 * non-blocking accept that never hands out a dead connection, a
 * non-blocking connect and its result, vectored sends, half-close, end of
 * stream, close) is the same source on Linux, macOS and Windows. The only
 * platform lines name the poll call: poll() or WSAPoll(), which take the
 * same structure and flags.
 *
 *   event_loop --self-test N BYTES    N clients and the server in one loop;
 *                                     each client sends BYTES and checks
 *                                     the echo. Exits 0 when all did.
 *   event_loop --serve N              listen on 127.0.0.1 (port printed as
 *                                     "port P"), echo N connections, exit
 *                                     0 when every one ended in order.
 *   event_loop --connect ADDR:PORT N BYTES
 *                                     N clients against another server.
 *
 * Protocol: the client sends its bytes and shuts its sending side down;
 * the server echoes everything and closes after the client's end of
 * stream; the client checks what came back and closes.
 */
#include "sockclose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
typedef WSAPOLLFD loop_pollfd;
#define loop_poll WSAPoll
#else
#include <poll.h>
typedef struct pollfd loop_pollfd;
#define loop_poll poll
#endif

#define MAX_CONNECTIONS 256
#define CHUNK 16384

enum role { SERVER_SIDE, CLIENT_SIDE };
enum state { CONNECTING, SENDING, RECEIVING, ECHOING, DONE };

struct connection {
  skc_socket_t s;
  enum role role;
  enum state state;
  /* server side: bytes received and not yet echoed */
  char *pending;
  size_t pending_len;
  int peer_done; /* its end of stream arrived */
  /* client side */
  size_t total, sent, received;
  int ok;
};

struct loop {
  skc_socket_t listener;
  struct connection conns[MAX_CONNECTIONS];
  size_t count;
  int serve_left; /* connections the server still accepts */
  int finished_ok, finished_bad;
  int clients_left;
};

/* The byte at position i of a client's message: checkable on return. */
static char pattern(size_t i) { return (char)('a' + (char)(i % 23)); }

/* Log a failure with the native code kept: call right after the failing
 * call, e.g. "connection refused (WSAECONNREFUSED 10061)". */
static void report_native(const char *what, int err, int native) {
  char text[SKC_ERROR_TEXT_MAX];
  skc_format_error(err, native, text, sizeof text);
  fprintf(stderr, "event_loop: %s: %s\n", what, text);
}

#define report(what, err) report_native(what, err, skc_native_error())

static struct connection *add(struct loop *l, skc_socket_t s, enum role role,
                              enum state state) {
  struct connection *c;
  if (l->count == MAX_CONNECTIONS)
    return NULL;
  c = &l->conns[l->count++];
  memset(c, 0, sizeof *c);
  c->s = s;
  c->role = role;
  c->state = state;
  return c;
}

static void finish(struct loop *l, struct connection *c, int ok) {
  int err = skc_close(c->s);
  if (err != 0)
    report("close", err);
  free(c->pending);
  c->pending = NULL;
  c->state = DONE;
  if (ok && err == 0)
    l->finished_ok++;
  else
    l->finished_bad++;
  if (c->role == CLIENT_SIDE)
    l->clients_left--;
}

/* The listener is readable: accept everything waiting. A connection the
 * client reset before we got to it is skipped by skc_accept itself. */
static void on_listener(struct loop *l) {
  for (;;) {
    skc_socket_t s;
    int err = skc_accept(l->listener, SKC_SOCK_NONBLOCK, &s, NULL);
    if (err == SKC_EAGAIN)
      return;
    if (err == SKC_EMFILE || err == SKC_ENFILE) {
      /* The connection stays queued; a real server would stop watching
       * the listener until a descriptor is free. */
      report("accept", err);
      return;
    }
    if (err != 0) {
      report("accept", err);
      return;
    }
    if (add(l, s, SERVER_SIDE, ECHOING) == NULL) {
      skc_close(s);
      return;
    }
    if (--l->serve_left == 0) {
      skc_close(l->listener);
      l->listener = SKC_INVALID_SOCKET;
      return;
    }
  }
}

static void server_read(struct loop *l, struct connection *c) {
  char buf[CHUNK];
  for (;;) {
    ptrdiff_t n = skc_recv(c->s, buf, sizeof buf);
    if (n > 0) {
      char *grown = realloc(c->pending, c->pending_len + (size_t)n);
      if (grown == NULL) {
        finish(l, c, 0);
        return;
      }
      c->pending = grown;
      memcpy(c->pending + c->pending_len, buf, (size_t)n);
      c->pending_len += (size_t)n;
      continue;
    }
    if (n == 0)
      c->peer_done = 1;
    else if (n != SKC_EAGAIN) {
      report("server recv", (int)n);
      finish(l, c, 0);
    }
    return;
  }
}

static void server_write(struct loop *l, struct connection *c) {
  while (c->pending_len > 0) {
    ptrdiff_t n = skc_send(c->s, c->pending, c->pending_len);
    if (n == SKC_EAGAIN)
      return;
    if (n < 0) {
      report("server send", (int)n);
      finish(l, c, 0);
      return;
    }
    memmove(c->pending, c->pending + n, c->pending_len - (size_t)n);
    c->pending_len -= (size_t)n;
  }
  if (c->peer_done)
    finish(l, c, 1); /* everything echoed, the client is done: close */
}

static void client_send(struct loop *l, struct connection *c) {
  char chunk[CHUNK];
  while (c->sent < c->total) {
    /* Two buffers per call, to show the vectored send: a header-sized
     * piece and the rest of a chunk. */
    skc_buf bufs[2];
    size_t n = c->total - c->sent, i, first;
    ptrdiff_t done;
    if (n > sizeof chunk)
      n = sizeof chunk;
    for (i = 0; i < n; i++)
      chunk[i] = pattern(c->sent + i);
    first = n < 16 ? n : 16;
    bufs[0].base = chunk;
    bufs[0].len = first;
    bufs[1].base = chunk + first;
    bufs[1].len = n - first;
    done = skc_sendv(c->s, bufs, 2);
    if (done == SKC_EAGAIN)
      return;
    if (done < 0) {
      report("client send", (int)done);
      finish(l, c, 0);
      return;
    }
    c->sent += (size_t)done;
  }
  if (skc_shutdown(c->s, SKC_SHUT_WR) != 0) {
    finish(l, c, 0);
    return;
  }
  c->state = RECEIVING;
}

static void client_receive(struct loop *l, struct connection *c) {
  char buf[CHUNK];
  for (;;) {
    ptrdiff_t n = skc_recv(c->s, buf, sizeof buf), i;
    if (n == SKC_EAGAIN)
      return;
    if (n < 0) {
      report("client recv", (int)n);
      finish(l, c, 0);
      return;
    }
    if (n == 0) {
      finish(l, c, c->ok == 0 && c->received == c->total);
      return;
    }
    for (i = 0; i < n; i++)
      if (buf[i] != pattern(c->received + (size_t)i))
        c->ok = -1;
    c->received += (size_t)n;
  }
}

static void on_ready(struct loop *l, struct connection *c, short revents) {
  if (c->state == CONNECTING) {
    /* The non-blocking connect has ended: its result is the socket's. */
    int err = skc_socket_error(c->s);
    if (err != 0) {
      report("connect", err);
      finish(l, c, 0);
      return;
    }
    c->state = SENDING;
  }
  if (c->role == CLIENT_SIDE) {
    if (c->state == SENDING)
      client_send(l, c);
    if (c->state == RECEIVING)
      client_receive(l, c);
    return;
  }
  if (revents & (POLLIN | POLLHUP | POLLERR))
    server_read(l, c);
  if (c->state == ECHOING)
    server_write(l, c);
}

static int start_client(struct loop *l, const skc_endpoint *to, size_t bytes) {
  skc_socket_t s;
  struct connection *c;
  int err = skc_tcp_socket(to->family, SKC_SOCK_NONBLOCK, &s);
  if (err != 0) {
    report("socket", err);
    return err;
  }
  err = skc_connect(s, to);
  if (err != 0 && err != SKC_EINPROGRESS) {
    report_native("connect", err, skc_native_error());
    skc_close(s);
    return err;
  }
  c = add(l, s, CLIENT_SIDE, err == 0 ? SENDING : CONNECTING);
  if (c == NULL) {
    skc_close(s);
    return SKC_ENOMEM;
  }
  c->total = bytes;
  l->clients_left++;
  return 0;
}

/* One pass: wait for any socket, then serve the ready ones. */
static int run_once(struct loop *l) {
  loop_pollfd fds[MAX_CONNECTIONS + 1];
  struct connection *which[MAX_CONNECTIONS + 1];
  size_t n = 0, i;
  int ready;
  if (l->listener != SKC_INVALID_SOCKET) {
    fds[n].fd = l->listener;
    fds[n].events = POLLIN;
    fds[n].revents = 0;
    which[n++] = NULL;
  }
  for (i = 0; i < l->count; i++) {
    struct connection *c = &l->conns[i];
    short events = 0;
    if (c->state == DONE)
      continue;
    if (c->state == CONNECTING || c->state == SENDING ||
        (c->state == ECHOING && c->pending_len > 0))
      events |= POLLOUT;
    if (c->state == RECEIVING || (c->state == ECHOING && !c->peer_done))
      events |= POLLIN;
    if (events == 0) {
      /* An echoing connection with nothing left to send after the
       * client's end of stream: finish now. */
      server_write(l, c);
      continue;
    }
    fds[n].fd = c->s;
    fds[n].events = events;
    fds[n].revents = 0;
    which[n++] = c;
  }
  if (n == 0)
    return 0;
  ready = loop_poll(fds, (unsigned long)n, 10000);
  if (ready == 0) {
    fprintf(stderr, "event_loop: nothing happened for 10 s\n");
    return -1;
  }
  if (ready < 0) {
    report("poll", skc_last_error());
    return -1;
  }
  for (i = 0; i < n; i++) {
    if (fds[i].revents == 0)
      continue;
    if (which[i] == NULL)
      on_listener(l);
    else if (which[i]->state != DONE)
      on_ready(l, which[i], fds[i].revents);
  }
  return 1;
}

static int listen_loopback(struct loop *l, int serve, skc_endpoint *at) {
  int err;
  memset(at, 0, sizeof *at);
  err = skc_endpoint_parse("127.0.0.1:0", at);
  if (err == 0)
    err = skc_tcp_listen(at, 0, SKC_SOCK_NONBLOCK, &l->listener);
  if (err == 0)
    err = skc_local_endpoint(l->listener, at);
  if (err != 0) {
    report("listen", err);
    return err;
  }
  l->serve_left = serve;
  return 0;
}

int main(int argc, char **argv) {
  static struct loop l;
  skc_endpoint at;
  int rc = 1, i, wanted = 0;
  size_t bytes = 0;
  if (skc_init() != 0)
    return 1;
  l.listener = SKC_INVALID_SOCKET;
  if (argc == 4 && strcmp(argv[1], "--self-test") == 0) {
    wanted = atoi(argv[2]);
    bytes = (size_t)strtoul(argv[3], NULL, 10);
    if (wanted < 1 || wanted > MAX_CONNECTIONS / 2 ||
        listen_loopback(&l, wanted, &at) != 0)
      goto out;
    for (i = 0; i < wanted; i++)
      if (start_client(&l, &at, bytes) != 0)
        goto out;
    wanted *= 2; /* both ends of each connection must end in order */
  } else if (argc == 3 && strcmp(argv[1], "--serve") == 0) {
    char text[SKC_ENDPOINT_STRLEN];
    wanted = atoi(argv[2]);
    if (wanted < 1 || wanted > MAX_CONNECTIONS ||
        listen_loopback(&l, wanted, &at) != 0)
      goto out;
    skc_endpoint_format(&at, text, sizeof text);
    printf("port %u\n", (unsigned)at.port);
    fflush(stdout);
    fprintf(stderr, "event_loop: serving %d connections on %s\n", wanted,
            text);
  } else if (argc == 5 && strcmp(argv[1], "--connect") == 0) {
    wanted = atoi(argv[3]);
    bytes = (size_t)strtoul(argv[4], NULL, 10);
    if (skc_endpoint_parse(argv[2], &at) != 0 || wanted < 1 ||
        wanted > MAX_CONNECTIONS) {
      fprintf(stderr, "event_loop: bad arguments\n");
      goto out;
    }
    for (i = 0; i < wanted; i++)
      if (start_client(&l, &at, bytes) != 0)
        goto out;
  } else {
    fprintf(stderr, "usage: event_loop --self-test N BYTES | --serve N | "
                    "--connect ADDR:PORT N BYTES\n");
    goto out;
  }
  while (l.finished_ok + l.finished_bad < wanted) {
    if (run_once(&l) <= 0)
      break;
  }
  printf("%d connection ends closed in order, %d failed\n", l.finished_ok,
         l.finished_bad);
  rc = l.finished_ok == wanted ? 0 : 1;
out:
  if (l.listener != SKC_INVALID_SOCKET)
    skc_close(l.listener);
  for (i = 0; i < (int)l.count; i++)
    if (l.conns[i].state != DONE) {
      skc_close(l.conns[i].s);
      free(l.conns[i].pending);
    }
  skc_cleanup();
  return rc;
}
