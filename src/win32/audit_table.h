/*
 * Windows: the parsers behind skc__plat_audit_list() (src/win32/audit.c).
 * They read the documented layout of the tables GetExtendedTcpTable()
 * fills, byte by byte, so they can be fed any buffer on any platform.
 */
#ifndef SKC_WIN32_AUDIT_TABLE_H
#define SKC_WIN32_AUDIT_TABLE_H

#include "../platform.h"

#include <stddef.h>

/* The four table layouts read. */
enum skc__win32_table {
  SKC__TABLE4_OWNER_PID, /* MIB_TCPTABLE_OWNER_PID */
  SKC__TABLE6_OWNER_PID, /* MIB_TCP6TABLE_OWNER_PID */
  SKC__TABLE4_BASIC,     /* MIB_TCPTABLE */
  SKC__TABLE6_BASIC      /* MIB_TCP6TABLE */
};

/* Parse a table of the given layout, len bytes, adding each connection to
 * the audit (with its owning pid for the OWNER_PID layouts, -1 for the
 * others). Returns 0, SKC_EPROTO when the entry count does not fit in
 * len, or SKC_ENOMEM. */
int skc__win32_parse_tcp_table(const void *buf, size_t len, int layout,
                               skc__audit *audit);

#endif
