/*
 * Conversions between the BSD socket address structures and sockclose's
 * own types, shared by src/posix and src/win32: POSIX and Winsock define
 * sockaddr_in, sockaddr_in6 and sockaddr_storage alike. Include it after
 * the platform's socket headers (<netinet/in.h> and <sys/socket.h>, or
 * <winsock2.h> and <ws2tcpip.h>) and <string.h>.
 */
#ifndef SKC_SOCKADDR_H
#define SKC_SOCKADDR_H

#include "platform.h"

/* An IPv4 or IPv6 address as an skc_endpoint; all zero for any other
 * family. */
static inline void skc__endpoint_from(const struct sockaddr_storage *ss,
                                      skc_endpoint *e) {
  memset(e, 0, sizeof *e);
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
    e->family = SKC_FAMILY_IPV4;
    memcpy(e->address, &in->sin_addr, 4);
    e->port = ntohs(in->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
    e->family = SKC_FAMILY_IPV6;
    memcpy(e->address, &in6->sin6_addr, 16);
    e->port = ntohs(in6->sin6_port);
    e->scope_id = in6->sin6_scope_id;
  }
}

/* An skc_endpoint as a sockaddr_in / sockaddr_in6 in *ss; the length to
 * pass to bind/connect, 0 for a family that is neither. */
static inline int skc__sockaddr_from(const skc_endpoint *e,
                                     struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  if (e->family == SKC_FAMILY_IPV4) {
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, e->address, 4);
    in->sin_port = htons(e->port);
    return (int)sizeof *in;
  }
  if (e->family == SKC_FAMILY_IPV6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, e->address, 16);
    in6->sin6_port = htons(e->port);
    in6->sin6_scope_id = (unsigned int)e->scope_id;
    return (int)sizeof *in6;
  }
  return 0;
}

#endif
