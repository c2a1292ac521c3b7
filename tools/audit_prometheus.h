/*
 * sockclose-audit --prometheus: the connection table as metrics in the
 * Prometheus text exposition format (version 0.0.4), as node_exporter's
 * textfile collector and any scrape endpoint read it.
 */
#ifndef SKC_AUDIT_PROMETHEUS_H
#define SKC_AUDIT_PROMETHEUS_H

#include <stddef.h>
#include <stdio.h>

#include "sockclose.h"

/* The ephemeral (dynamic) port range new outgoing connections take their
 * local port from: read from the kernel on Linux, the IANA default
 * 49152-65535 elsewhere (the default of Windows since Vista and of
 * macOS). `from_kernel` says which. */
typedef struct audit_port_range {
  unsigned first, last;
  int from_kernel;
} audit_port_range;
audit_port_range audit_ephemeral_ports(void);

/* Writes the metrics for `list` (owners looked up) to `out`; returns 0,
 * or -1 when writing failed. */
int audit_write_prometheus(FILE *out, const skc_connection *list, size_t n,
                           const audit_port_range *ports);

#endif
