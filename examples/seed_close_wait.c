/*
 * The CLOSE_WAIT experiment, end to end, with the audit instead of
 * `netstat -alepn | grep PORT`:
 *
 *   1. a server accepts a connection and then sleeps without reading;
 *   2. a client process sends a message and is killed (SIGKILL /
 *      TerminateProcess) during that sleep;
 *   3. the audit shows the server's connection in CLOSE_WAIT, its unread
 *      bytes still queued: the client's kernel sent the data, then a FIN;
 *   4. after the sleep the server reads the message, then the end of the
 *      stream (0), and closes: CLOSE_WAIT is gone.
 *
 * Usage: seed_close_wait [--sleep MS]   (default 2000)
 * Exits 0 when every step was observed as described.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* with _POSIX_C_SOURCE, macOS hides INADDR_LOOPBACK and the BSD names */
#endif
#include "sockclose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>

#include <windows.h>
typedef int socklen_type;
#else
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
typedef socklen_t socklen_type;
#endif

static const char message[] = "msg2 from the client: 213";

/* ---- the few platform calls sockclose does not wrap ---- */

static void sleep_ms(int ms) {
#ifdef _WIN32
  Sleep((DWORD)ms);
#else
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

/* The client process: this program run with "--client PORT". */
typedef struct client_process {
#ifdef _WIN32
  HANDLE process;
#else
  pid_t pid;
#endif
} client_process;

static int start_client(const char *self, unsigned short port,
                        client_process *client) {
  char port_text[8];
  snprintf(port_text, sizeof port_text, "%u", (unsigned)port);
#ifdef _WIN32
  {
    char path[MAX_PATH], cmd[MAX_PATH + 32];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    (void)self;
    if (GetModuleFileNameA(NULL, path, sizeof path) == 0)
      return -1;
    snprintf(cmd, sizeof cmd, "\"%s\" --client %s", path, port_text);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
      return -1;
    CloseHandle(pi.hThread);
    client->process = pi.hProcess;
    return 0;
  }
#else
  client->pid = fork();
  if (client->pid < 0)
    return -1;
  if (client->pid == 0) {
    execl(self, self, "--client", port_text, (char *)NULL);
    _exit(127);
  }
  return 0;
#endif
}

/* kill -9: the process gets no chance to close anything. */
static void kill_client(client_process *client) {
#ifdef _WIN32
  TerminateProcess(client->process, 9);
  WaitForSingleObject(client->process, INFINITE);
  CloseHandle(client->process);
#else
  int status;
  kill(client->pid, SIGKILL);
  while (waitpid(client->pid, &status, 0) < 0 && errno == EINTR) {
  }
#endif
}

static skc_socket_t listen_loopback(unsigned short *port) {
  struct sockaddr_in addr;
  socklen_type len = (socklen_type)sizeof addr;
  skc_socket_t s = (skc_socket_t)socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (s == SKC_INVALID_SOCKET)
    return s;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  /* A server that restarts must be able to bind its port again while
   * old connections are in TIME_WAIT. */
  if (skc_listen_reuse(s) != 0 ||
      bind(s, (struct sockaddr *)&addr, (socklen_type)sizeof addr) != 0 ||
      listen(s, 3) != 0 ||
      getsockname(s, (struct sockaddr *)&addr, &len) != 0) {
    skc_close(s);
    return SKC_INVALID_SOCKET;
  }
  *port = ntohs(addr.sin_port);
  return s;
}

/* Wait until s is readable; 1, or 0 after timeout_ms. */
static int wait_readable(skc_socket_t s, int timeout_ms) {
  fd_set readable;
  struct timeval tv;
  FD_ZERO(&readable);
  FD_SET(s, &readable);
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = (timeout_ms % 1000) * 1000;
  return select((int)s + 1, &readable, NULL, NULL, &tv) > 0;
}

/* ---- the client ---- */

static int run_client(unsigned short port) {
  struct sockaddr_in addr;
  skc_socket_t s;
  if (skc_init() != 0)
    return 1;
  s = (skc_socket_t)socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (s == SKC_INVALID_SOCKET ||
      connect(s, (struct sockaddr *)&addr, (socklen_type)sizeof addr) != 0)
    return 2;
  if (skc_send(s, message, sizeof message - 1) != (ptrdiff_t)(sizeof message - 1))
    return 3;
#ifdef _WIN32
  /* Reports say Windows resets the connections of a process that ends
   * without closing them, which would destroy the message before the
   * server reads it; no Microsoft document says either way. Closing the
   * socket here (FIN after the data) gives the server the same CLOSE_WAIT
   * on every OS; the process is still killed below. */
  skc_close(s);
#endif
  printf("client: sent %u bytes; now waiting to be killed\n",
         (unsigned)(sizeof message - 1));
  fflush(stdout);
  sleep_ms(60000); /* bounded, should the server be gone */
  return 0;
}

/* ---- the server ---- */

/* The audit's view of the server's side of the connection, like the
 * seed's `netstat -alepn | grep PORT`. Returns its state (0: not listed). */
static int show_connection(unsigned short port, const char *when) {
  skc_audit_options options;
  skc_connection *rows = NULL;
  size_t n = 0, i;
  int state = 0;
  memset(&options, 0, sizeof options);
  options.local_port = port;
  options.family = SKC_FAMILY_IPV4;
  if (skc_audit_list(&options, &rows, &n) != 0) {
    printf("  (audit unavailable on this system)\n");
    return 0;
  }
  printf("audit, %s:\n", when);
  for (i = 0; i < n; i++) {
    char local[SKC_ENDPOINT_STRLEN], remote[SKC_ENDPOINT_STRLEN];
    skc_endpoint_format(&rows[i].local, local, sizeof local);
    if (rows[i].state == SKC_TCP_LISTEN)
      snprintf(remote, sizeof remote, "*");
    else
      skc_endpoint_format(&rows[i].remote, remote, sizeof remote);
    if (rows[i].recv_queue >= 0)
      printf("  %-12s recv-q %5lld  %s <- %s\n", skc_tcp_state_name(rows[i].state),
             rows[i].recv_queue, local, remote);
    else
      printf("  %-12s recv-q     ?  %s <- %s\n", skc_tcp_state_name(rows[i].state),
             local, remote);
    if (rows[i].state != SKC_TCP_LISTEN)
      state = rows[i].state;
  }
  skc_audit_free(rows);
  return state;
}

static int run_server(const char *self, int sleep_for) {
  unsigned short port = 0;
  skc_socket_t listener, conn;
  client_process client;
  char buf[256];
  size_t got = 0;
  ptrdiff_t r;
  int waited, ok = 1;

  if (skc_init() != 0)
    return 1;
  listener = listen_loopback(&port);
  if (listener == SKC_INVALID_SOCKET) {
    fprintf(stderr, "server: cannot listen\n");
    return 1;
  }
  printf("server: listening on 127.0.0.1:%u\n", (unsigned)port);
  fflush(stdout);
  if (start_client(self, port, &client) != 0) {
    fprintf(stderr, "server: cannot start the client\n");
    return 1;
  }
  conn = (skc_socket_t)accept(listener, NULL, NULL);
  if (conn == SKC_INVALID_SOCKET) {
    kill_client(&client);
    return 1;
  }
  printf("server: accepted a connection; sleeping %d ms without reading\n",
         sleep_for);
  fflush(stdout);

  /* During the sleep: the message arrives ... */
  if (!wait_readable(conn, 10000)) {
    fprintf(stderr, "server: the client's message never arrived\n");
    kill_client(&client);
    return 1;
  }
  sleep_ms(100);
  show_connection(port, "the message has arrived, unread");

  /* ... the client is killed; its kernel closes the connection: FIN. */
  kill_client(&client);
  printf("server: the client was killed\n");
  for (waited = 0; skc_peer_closed(conn) != 1 && waited < 10000; waited += 10)
    sleep_ms(10);
  if (show_connection(port, "the client is gone, the server still sleeps") !=
      SKC_TCP_CLOSE_WAIT) {
    fprintf(stderr, "server: expected CLOSE_WAIT\n");
    ok = 0;
  }
  r = skc_tcp_state(conn);
  printf("skc_tcp_state: %s; skc_peer_closed: %d (nothing was read)\n",
         r > 0 ? skc_tcp_state_name((int)r) : skc_err_name((int)r),
         skc_peer_closed(conn));
  sleep_ms(sleep_for);

  /* After the sleep: the data first, then the end of the stream. */
  while (got < sizeof message - 1) {
    r = skc_recv(conn, buf + got, sizeof buf - 1 - got);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  buf[got] = '\0';
  printf("server: read %u bytes: \"%s\"\n", (unsigned)got, buf);
  r = skc_recv(conn, buf, sizeof buf);
  printf("server: next read: %ld (%s)\n", (long)r,
         r == 0 ? "end of stream" : skc_err_name((int)r));
  if (got != sizeof message - 1 || memcmp(buf, message, got) != 0 || r != 0)
    ok = 0;
  skc_close(conn);
  printf("server: closed the connection\n");
  sleep_ms(100);
  if (show_connection(port, "after close") == SKC_TCP_CLOSE_WAIT)
    ok = 0;
  skc_close(listener);
  skc_cleanup();
  printf("%s\n", ok ? "as expected" : "NOT as expected");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  int sleep_for = 2000;
  if (argc == 3 && strcmp(argv[1], "--client") == 0)
    return run_client((unsigned short)atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "--sleep") == 0)
    sleep_for = atoi(argv[2]);
  else if (argc != 1) {
    fprintf(stderr, "usage: %s [--sleep MS]\n", argv[0]);
    return 2;
  }
  return run_server(argv[0], sleep_for);
}
