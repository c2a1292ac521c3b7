/*
 * Linux: the readers behind skc__plat_audit_list() and
 * skc__plat_audit_owners() (src/posix/audit_linux.c). The parsers take a
 * plain buffer, so they can be fed any bytes.
 */
#ifndef SKC_POSIX_AUDIT_LINUX_H
#define SKC_POSIX_AUDIT_LINUX_H

#include "../platform.h"

#include <stddef.h>

/* Parse one buffer of NETLINK_SOCK_DIAG replies (a sequence of netlink
 * messages carrying struct inet_diag_msg), adding each connection to the
 * audit. Returns 1 when the dump's NLMSG_DONE was seen, 0 when more is to
 * come, or a negative SKC_E* code for an NLMSG_ERROR (errno then holds the
 * kernel's code), a malformed buffer (SKC_EPROTO) or SKC_ENOMEM. */
int skc__linux_parse_diag(const void *buf, size_t len, skc__audit *audit);

/* Parse the complete lines at the start of buf, in the format of
 * /proc/net/tcp (family SKC_FAMILY_IPV4) or /proc/net/tcp6
 * (SKC_FAMILY_IPV6); lines that are not connections (the header) are
 * skipped. *consumed receives the bytes of the complete lines. Returns 0
 * or SKC_ENOMEM. */
int skc__linux_parse_proc_tcp(const char *buf, size_t len, int family,
                              skc__audit *audit, size_t *consumed);

/* Extract the inode from a /proc/PID/fd link text "socket:[12345]" of
 * length len; 0 when it is not a socket. */
unsigned long long skc__linux_socket_inode(const char *link, size_t len);

int skc__linux_audit_list(skc__audit *audit);
int skc__linux_audit_owners(skc__audit *audit);

#endif
