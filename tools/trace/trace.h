/*
 * sockclose-trace's preloaded library: the parts shared by its files.
 *
 * table.c     records, for each descriptor number, the creation site of the
 *             TCP socket it holds (lock-free: the interposed calls may run
 *             on any thread and in signal handlers);
 * interpose.c the interposed calls (socket, accept, accept4, dup, dup2,
 *             dup3, fcntl, close);
 * symbolize.c addresses to function, file and line (libdw, or dladdr);
 * report.c    the periodic and at-exit check and the report.
 */
#ifndef SKC_TRACE_H
#define SKC_TRACE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Frames kept per creation stack. */
#define SKC_TRACE_FRAMES 16
/* Descriptors above this are not tracked (documented in the man page). */
#define SKC_TRACE_MAX_FD (1024 * 1024)
/* Distinct creation stacks kept; later new stacks count as "unknown". */
#define SKC_TRACE_MAX_SITES 16384

/* How a descriptor came to hold its socket. */
enum skc__trace_kind {
  SKC_TRACE_SOCKET = 1,
  SKC_TRACE_ACCEPT,
  SKC_TRACE_ACCEPT4,
  SKC_TRACE_DUP,
  SKC_TRACE_DUP2,
  SKC_TRACE_DUP3,
  SKC_TRACE_FCNTL
};
const char *skc__trace_kind_name(int kind);

/* One interned creation stack: return addresses, innermost first, the
 * tracer's own frames removed. */
typedef struct skc__trace_site {
  uint64_t hash;
  unsigned frame_count;
  uintptr_t frames[SKC_TRACE_FRAMES];
} skc__trace_site;

/* What the table holds for one descriptor (a consistent copy). */
typedef struct skc__trace_record {
  uint32_t site;        /* skc__trace_site_get() id; 0: no socket recorded */
  uint32_t origin_site; /* for a duplicate: the site that created the socket */
  int kind;             /* enum skc__trace_kind */
  uint64_t inode;       /* the socket's inode, to tell a stale record */
} skc__trace_record;

/* The creation stack of the caller of the interposed function, interned.
 * Returns its id (>= 1), or SKC_TRACE_UNKNOWN_SITE when the site table
 * is full. Async-signal-safe once skc__trace_table_init() ran. */
#define SKC_TRACE_UNKNOWN_SITE 0xffffffffu
uint32_t skc__trace_capture(void);
/* The site with this id, or NULL (unknown site). */
const skc__trace_site *skc__trace_site_get(uint32_t id);

void skc__trace_table_init(void);
/* Record `fd` as a new socket (socket, accept): its inode is read here. */
void skc__trace_record_new(int fd, int kind);
/* Record `to` as a duplicate of `from` when `from` is recorded; forget
 * `to` otherwise. */
void skc__trace_record_dup(int from, int to, int kind);
/* `fd` no longer holds a recorded socket. Never changes errno. */
void skc__trace_forget(int fd);
/* Is `fd` recorded? */
int skc__trace_is_recorded(int fd);
/* A consistent copy of fd's record; 0 when there is one, -1 otherwise. */
int skc__trace_read(int fd, skc__trace_record *out);
/* One past the highest descriptor that may hold a record. */
int skc__trace_fd_limit(void);
/* When the check first saw fd in CLOSE_WAIT (monotonic ns), setting it
 * to `now` if unset; 0 when fd's record changed meanwhile. */
int64_t skc__trace_first_seen(int fd, uint32_t site, int64_t now);
void skc__trace_clear_first_seen(int fd, uint32_t site);

/* The real functions behind the interposed ones. */
int skc__trace_real_close(int fd);

/* Symbolisation of one address (a return address: the call before it). */
typedef struct skc__trace_frame {
  uintptr_t address;
  char function[256]; /* "" when unknown */
  char file[512];     /* "" without debug information */
  int line;           /* 0 without debug information */
  char module[512];   /* the executable or library */
  uintptr_t module_offset;
} skc__trace_frame;
typedef struct skc__trace_symbolizer skc__trace_symbolizer;
skc__trace_symbolizer *skc__trace_symbolizer_open(void);
void skc__trace_symbolize(skc__trace_symbolizer *s, uintptr_t address,
                          skc__trace_frame *out);
void skc__trace_symbolizer_close(skc__trace_symbolizer *s);
/* "libdw" or "dladdr": how names are found, for the report. */
const char *skc__trace_symbolizer_kind(void);

/* The check and report; `at_exit` selects the heading. */
void skc__trace_report(int at_exit);
void skc__trace_report_configure(void);
/* Starts the periodic check in a forked child, once (see report.c). */
void skc__trace_resume_periodic(void);
long skc__trace_interval_ms(void);

#endif
