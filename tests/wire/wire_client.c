/*
 * The test side of sockclose-wire: its control port (127.0.0.1:PORT from
 * SKC_WIRE, in the near namespace) and its peer service (10.77.0.2:9000,
 * across the wire).
 */
#include "wire_client.h"

#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
typedef SOCKET raw_socket;
typedef int raw_socklen;
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
typedef int raw_socket;
typedef socklen_t raw_socklen;
#endif

#define SKCT_WIRE_FAR "10.77.0.2"
#define SKCT_WIRE_PEER_PORT 9000

int skct_wire_available(void) { return getenv("SKC_WIRE") != NULL; }

const char *skct_wire_missing(void) {
  if (skct_wire_available())
    return NULL;
  return "needs the impaired link: run as root under 'sockclose-wire run -- "
         "COMMAND' (tests/wire/README.md)";
}

static skc_socket_t skct__wire_connect_to(const char *address,
                                          unsigned short port) {
  struct sockaddr_in sin;
  raw_socket s;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (inet_pton(AF_INET, address, &sin.sin_addr) != 1)
    return SKC_INVALID_SOCKET;
  s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
#ifdef _WIN32
  if (s == INVALID_SOCKET)
    return SKC_INVALID_SOCKET;
#else
  if (s < 0)
    return SKC_INVALID_SOCKET;
#endif
  if (connect(s, (struct sockaddr *)&sin, (raw_socklen)sizeof sin) != 0) {
    int saved = skct_native_error();
    skc_close((skc_socket_t)s);
    skct_set_native_error(saved);
    return SKC_INVALID_SOCKET;
  }
  return (skc_socket_t)s;
}

int skct_wire_command(const char *command, char *reply, size_t size) {
  const char *address = getenv("SKC_WIRE");
  const char *colon = address ? strchr(address, ':') : NULL;
  char host[64], line[512], buf[600];
  size_t len = 0;
  skc_socket_t s;
  if (reply != NULL && size > 0)
    reply[0] = '\0';
  if (colon == NULL || (size_t)(colon - address) >= sizeof host)
    return -1;
  memcpy(host, address, (size_t)(colon - address));
  host[colon - address] = '\0';
  s = skct__wire_connect_to(host, (unsigned short)atoi(colon + 1));
  if (s == SKC_INVALID_SOCKET)
    return -1;
  snprintf(line, sizeof line, "%s\n", command);
  if (skc_send(s, line, strlen(line)) != (ptrdiff_t)strlen(line)) {
    skc_close(s);
    return -1;
  }
  while (len + 1 < sizeof buf && memchr(buf, '\n', len) == NULL) {
    ptrdiff_t n = skc_recv(s, buf + len, sizeof buf - 1 - len);
    if (n <= 0)
      break;
    len += (size_t)n;
  }
  skc_close(s);
  buf[len] = '\0';
  buf[strcspn(buf, "\r\n")] = '\0';
  if (reply != NULL && size > 0)
    snprintf(reply, size, "%s", buf);
  return strncmp(buf, "ok", 2) == 0 ? 0 : -1;
}

skc_socket_t skct_wire_connect(const char *name) {
  char line[64];
  size_t len;
  skc_socket_t s = skct__wire_connect_to(SKCT_WIRE_FAR, SKCT_WIRE_PEER_PORT);
  if (s == SKC_INVALID_SOCKET)
    return s;
  snprintf(line, sizeof line, "%s\n", name);
  len = strlen(line);
  if (skc_send(s, line, len) != (ptrdiff_t)len) {
    skc_close(s);
    return SKC_INVALID_SOCKET;
  }
  return s;
}

int skct_wire_result_of(const char *name, skct_wire_result *result) {
  char command[96], reply[256];
  const char *p;
  memset(result, 0, sizeof *result);
  snprintf(command, sizeof command, "result %s", name);
  if (skct_wire_command(command, reply, sizeof reply) != 0)
    return -1;
  result->pending = strstr(reply, "pending") != NULL;
  if ((p = strstr(reply, "bytes=")) != NULL)
    result->bytes = strtoull(p + 6, NULL, 10);
  if ((p = strstr(reply, "eof=")) != NULL)
    result->eof = atoi(p + 4);
  if ((p = strstr(reply, "reset=")) != NULL)
    result->reset = atoi(p + 6);
  if ((p = strstr(reply, "intact=")) != NULL)
    result->intact = atoi(p + 7);
  return 0;
}

void skct_wire_pattern(char *buf, size_t len, unsigned long long offset) {
  size_t i;
  for (i = 0; i < len; i++)
    buf[i] = (char)('a' + (offset + i) % 26);
}
