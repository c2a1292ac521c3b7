/*
 * macOS: the readers behind skc__plat_audit_list() and
 * skc__plat_audit_owners() (src/posix/audit_macos.c). The parser of the
 * kernel's table takes a plain buffer and is built on every POSIX system,
 * so it is tested (and can be fuzzed) where macOS cannot run.
 */
#ifndef SKC_POSIX_AUDIT_MACOS_H
#define SKC_POSIX_AUDIT_MACOS_H

#include "../platform.h"

#include <stddef.h>

/* Parse the answer of the net.inet.tcp.pcblist_n sysctl (xnu's
 * get_pcblist_n(): a struct xinpgen, then per connection a run of items
 * each headed by its length and kind, then a closing struct xinpgen),
 * adding each TCP connection to the audit with pid -1. Returns 0, SKC_EPROTO
 * for a malformed buffer (an item shorter than its header or running past
 * the end), or SKC_ENOMEM. */
int skc__xnu_parse_pcblist(const void *buf, size_t len, skc__audit *audit);

#if defined(__APPLE__)
int skc__macos_audit_list(skc__audit *audit);
int skc__macos_audit_owners(skc__audit *audit);
#endif

#endif
