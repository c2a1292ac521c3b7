/*
 * The test side of sockclose-wire (tests/wire/wire.c): talk to its
 * control port and to its peer service, on every OS (the Windows build
 * under Wine uses it from inside the wire's near namespace).
 */
#ifndef SKC_WIRE_CLIENT_H
#define SKC_WIRE_CLIENT_H

#include "sockclose.h"

#include <stddef.h>

/* 1 when this process runs under `sockclose-wire run` (SKC_WIRE is set),
 * else 0. */
int skct_wire_available(void);

/* Why the wire rows cannot run here, for messages: NULL when they can. */
const char *skct_wire_missing(void);

/* Send one control command ("cut", "set loss=10 delay=50", ...) and read
 * the reply line into reply (may be NULL). Returns 0 when the reply starts
 * with "ok", -1 otherwise (the reply says why). */
int skct_wire_command(const char *command, char *reply, size_t size);

/* A blocking TCP connection to the peer service on the far side of the
 * wire, named `name` (the first line sent); SKC_INVALID_SOCKET on failure
 * (the native error slot says why). */
skc_socket_t skct_wire_connect(const char *name);

/* What the peer service received on connection `name`. */
typedef struct skct_wire_result {
  int pending; /* the connection has not ended yet */
  unsigned long long bytes;
  int eof, reset, intact;
} skct_wire_result;

/* 0 and *result filled, or -1 when the wire knows no such connection. */
int skct_wire_result_of(const char *name, skct_wire_result *result);

/* The pattern the peer checks: byte i of a connection's data after its
 * name line is 'a' + i % 26. Fills buf with the bytes from offset on. */
void skct_wire_pattern(char *buf, size_t len, unsigned long long offset);

#endif
