/*
 * The connection audit and the leak check, platform-free: options,
 * filters, the list's memory, endpoint text, and the comparison of this
 * process's sockets with a snapshot. The platforms read the tables
 * (src/posix/audit.c, src/win32/audit.c).
 */
#include "sockclose.h"
#include "../platform.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- endpoints ---- */

int skc__endpoint_compare(const skc_endpoint *a, const skc_endpoint *b) {
  int c;
  if (a->family != b->family)
    return a->family < b->family ? -1 : 1;
  c = memcmp(a->address, b->address, sizeof a->address);
  if (c != 0)
    return c;
  if (a->port != b->port)
    return a->port < b->port ? -1 : 1;
  if (a->scope_id != b->scope_id)
    return a->scope_id < b->scope_id ? -1 : 1;
  return 0;
}

static int skc__format_ipv6(const unsigned char *a, char *out, size_t size) {
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0,
                                           0, 0, 0, 0, 0xff, 0xff};
  unsigned groups[8];
  int best_at = -1, best_len = 0, run_at = -1, run_len = 0;
  int i, used = 0, n;
  size_t g;
  if (memcmp(a, mapped, 12) == 0)
    return snprintf(out, size, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14],
                    a[15]);
  for (g = 0; g < 8; g++)
    groups[g] = (unsigned)a[2 * g] << 8 | a[2 * g + 1];
  /* RFC 5952 4.2: the longest run of two or more zero groups becomes
   * "::", the first one when runs tie. */
  for (i = 0; i < 8; i++) {
    if (groups[i] == 0) {
      if (run_at < 0)
        run_at = i, run_len = 0;
      run_len++;
      if (run_len > best_len && run_len >= 2)
        best_at = run_at, best_len = run_len;
    } else {
      run_at = -1;
    }
  }
  for (i = 0; i < 8; i++) {
    if (i == best_at) {
      n = snprintf(out + used, size - (size_t)used, "::");
      i += best_len - 1;
    } else {
      int need_colon = i > 0 && i != best_at + best_len;
      n = snprintf(out + used, size - (size_t)used, "%s%x",
                   need_colon ? ":" : "", groups[i]);
    }
    if (n < 0 || (size_t)n >= size - (size_t)used)
      return -1;
    used += n;
  }
  return used;
}

int skc_endpoint_format(const skc_endpoint *endpoint, char *buf, size_t size) {
  /* Larger than any endpoint, so that snprintf never truncates and the
   * copy below never reads past it. */
  char text[SKC_ENDPOINT_STRLEN + 8];
  char host[48];
  const unsigned char *a;
  int n;
  if (endpoint == NULL || buf == NULL)
    return skc__plat_reject(SKC_EFAULT);
  a = endpoint->address;
  if (endpoint->family == SKC_FAMILY_IPV4) {
    n = snprintf(text, sizeof text, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3],
                 (unsigned)endpoint->port);
  } else if (endpoint->family == SKC_FAMILY_IPV6) {
    if (skc__format_ipv6(a, host, sizeof host) < 0)
      return skc__plat_reject(SKC_EINVAL);
    if (endpoint->scope_id != 0)
      n = snprintf(text, sizeof text, "[%s%%%lu]:%u", host, endpoint->scope_id,
                   (unsigned)endpoint->port);
    else
      n = snprintf(text, sizeof text, "[%s]:%u", host,
                   (unsigned)endpoint->port);
  } else {
    if (size > 0)
      buf[0] = '\0';
    return skc__plat_reject(SKC_EINVAL);
  }
  if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof text) {
    if (size > 0)
      buf[0] = '\0';
    return skc__plat_reject(SKC_ENOBUFS);
  }
  memcpy(buf, text, (size_t)n + 1);
  return n;
}

/* ---- the audit ---- */

/* Bits of the states that exist. */
#define SKC__ALL_STATES                                                        \
  (((1u << SKC_TCP_STATE_COUNT) - 1u) & ~SKC_TCP_STATE_BIT(0))

int skc__audit_wants(const skc__audit *audit, const skc_connection *row) {
  const skc_audit_options *o = &audit->options;
  if (o->states != 0 &&
      (row->state <= 0 || row->state >= SKC_TCP_STATE_COUNT ||
       (o->states & SKC_TCP_STATE_BIT(row->state)) == 0))
    return 0;
  if (o->family != 0 && row->local.family != o->family)
    return 0;
  if (o->port != 0 && row->local.port != o->port && row->remote.port != o->port)
    return 0;
  if (o->local_port != 0 && row->local.port != o->local_port)
    return 0;
  if (o->remote_port != 0 && row->remote.port != o->remote_port)
    return 0;
  return 1;
}

int skc__audit_add(skc__audit *audit, const skc_connection *row) {
  if (!skc__audit_wants(audit, row))
    return 0;
  if (audit->count == audit->capacity) {
    size_t capacity = audit->capacity == 0 ? 64 : audit->capacity * 2;
    skc_connection *rows;
    if (capacity > (size_t)-1 / sizeof *rows)
      return skc__plat_reject(SKC_ENOMEM);
    rows = realloc(audit->rows, capacity * sizeof *rows);
    if (rows == NULL)
      return skc__plat_reject(SKC_ENOMEM);
    audit->rows = rows;
    audit->capacity = capacity;
  }
  audit->rows[audit->count++] = *row;
  return 0;
}

static int skc__audit_options_valid(const skc_audit_options *o) {
  if ((o->states & ~SKC__ALL_STATES) != 0)
    return 0;
  if (o->family != 0 && o->family != SKC_FAMILY_IPV4 &&
      o->family != SKC_FAMILY_IPV6)
    return 0;
  if (o->pid < 0)
    return 0;
  return o->source == SKC_AUDIT_SOURCE_AUTO ||
         o->source == SKC_AUDIT_SOURCE_NETLINK ||
         o->source == SKC_AUDIT_SOURCE_PROCFS;
}

int skc_audit_list(const skc_audit_options *options, skc_connection **list,
                   size_t *count) {
  skc__audit audit;
  int err;
  if (list == NULL || count == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *list = NULL;
  *count = 0;
  memset(&audit, 0, sizeof audit);
  if (options != NULL)
    audit.options = *options;
  if (!skc__audit_options_valid(&audit.options))
    return skc__plat_reject(SKC_EINVAL);
  if (audit.options.pid != 0)
    audit.options.owners = 1;

  err = skc__plat_audit_list(&audit);
  /* With a pid filter the owners are looked up even for an empty list, so
   * that a process that cannot be read fails the call instead of passing
   * for one that holds no connection. */
  if (err == 0 && audit.options.owners &&
      (audit.count > 0 || audit.options.pid != 0))
    err = skc__plat_audit_owners(&audit);
  if (err != 0) {
    free(audit.rows);
    return err;
  }
  if (audit.options.pid != 0) {
    size_t i, kept = 0;
    for (i = 0; i < audit.count; i++)
      if (audit.rows[i].pid == audit.options.pid)
        audit.rows[kept++] = audit.rows[i];
    audit.count = kept;
  }
  if (audit.count == 0) {
    free(audit.rows);
    return 0;
  }
  *list = audit.rows;
  *count = audit.count;
  return 0;
}

void skc_audit_free(skc_connection *list) { free(list); }

/* ---- the leak check ---- */

typedef struct skc__leak_entry {
  skc__own_socket socket;
  skc__socket_info info;
  int state; /* SKC_TCP_*, 0 when not TCP or not known */
} skc__leak_entry;

struct skc_leak_snapshot {
  skc__leak_entry *entries;
  size_t count;
};

/* The state of every TCP socket of the process. Where the OS cannot say
 * per socket (Windows without SIO_TCP_INFO, Wine), one listing of the
 * table serves them all. */
static int skc__leak_collect(skc__leak_entry **out, size_t *out_count) {
  skc__own_socket *sockets = NULL;
  skc__leak_entry *entries = NULL;
  skc_connection *table = NULL;
  size_t count = 0, kept = 0, table_count = 0, i;
  int have_table = 0, families = 0;
  int err = skc__plat_own_sockets(&sockets, &count);
  if (err != 0)
    return err;
  if (count > 0) {
    entries = calloc(count, sizeof *entries);
    if (entries == NULL) {
      free(sockets);
      return skc__plat_reject(SKC_ENOMEM);
    }
  }
  for (i = 0; i < count; i++) {
    skc__leak_entry *e = &entries[kept];
    e->socket = sockets[i];
    /* A handle closed since it was listed (by another thread) is not
     * this process's any more. Any other failure would drop a socket from
     * the answer without a word: it ends the collection. */
    err = skc__plat_socket_info(sockets[i].handle, &e->info);
    if (err == SKC_EBADF || err == SKC_ENOTSOCK) {
      err = 0;
      continue;
    }
    if (err != 0)
      break;
    kept++;
    if (!e->info.is_tcp)
      continue;
    e->state = skc__plat_tcp_state(sockets[i].handle);
    if (e->state >= 0)
      continue;
    if (e->state == SKC_EBADF || e->state == SKC_ENOTSOCK) {
      kept--; /* closed meanwhile */
      continue;
    }
    if (e->state != SKC_ENOTSUP) {
      err = e->state;
      break;
    }
    if (e->info.is_listener || !e->info.connected)
      e->state = skc__tcp_state_in_rows(NULL, 0, &e->info);
    else
      families |= e->info.local.family == SKC_FAMILY_IPV4 ? 1 : 2;
  }
  if (err == 0 && families != 0) {
    /* Connections whose state only the table knows (Windows without
     * SIO_TCP_INFO, Wine): one listing serves them all, of one family
     * when that is enough. */
    skc_audit_options options;
    memset(&options, 0, sizeof options);
    if (families == 1)
      options.family = SKC_FAMILY_IPV4;
    else if (families == 2)
      options.family = SKC_FAMILY_IPV6;
    err = skc_audit_list(&options, &table, &table_count);
    have_table = err == 0;
  }
  for (i = 0; have_table && i < kept; i++)
    if (entries[i].state == SKC_ENOTSUP && entries[i].info.is_tcp)
      entries[i].state =
          skc__tcp_state_in_rows(table, table_count, &entries[i].info);
  skc_audit_free(table);
  free(sockets);
  if (err != 0) {
    free(entries);
    return err;
  }
  for (i = 0; i < kept; i++)
    if (entries[i].state < 0)
      entries[i].state = 0;
  *out = entries;
  *out_count = kept;
  return 0;
}

int skc_leak_snapshot_take(skc_leak_snapshot **snapshot) {
  skc_leak_snapshot *snap;
  int err;
  if (snapshot == NULL)
    return skc__plat_reject(SKC_EFAULT);
  *snapshot = NULL;
  snap = calloc(1, sizeof *snap);
  if (snap == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  err = skc__leak_collect(&snap->entries, &snap->count);
  if (err != 0) {
    free(snap);
    return err;
  }
  *snapshot = snap;
  return 0;
}

void skc_leak_snapshot_free(skc_leak_snapshot *snapshot) {
  if (snapshot == NULL)
    return;
  free(snapshot->entries);
  free(snapshot);
}

static int skc__same_socket(const skc__leak_entry *a,
                            const skc__leak_entry *b) {
  if (a->socket.handle != b->socket.handle || a->socket.id != b->socket.id)
    return 0;
  if (a->socket.id != 0)
    return 1;
  /* No identity beyond the handle value (Windows): a handle value reused
   * by a new socket shows in its addresses. */
  return a->info.is_tcp == b->info.is_tcp &&
         a->info.connected == b->info.connected &&
         skc__endpoint_compare(&a->info.local, &b->info.local) == 0 &&
         (!a->info.connected ||
          skc__endpoint_compare(&a->info.remote, &b->info.remote) == 0);
}

/* Append one line to the report, ending it with "..." when it is full. */
static void skc__report_line(skc_leak_report *report, const char *line) {
  size_t used, len;
  if (report == NULL)
    return;
  used = strlen(report->text);
  len = strlen(line);
  if (used + len + 1 < sizeof report->text) {
    memcpy(report->text + used, line, len + 1);
  } else if (used + 4 < sizeof report->text) {
    size_t room = sizeof report->text - used - 4;
    memcpy(report->text + used, line, room);
    memcpy(report->text + used + room, "...", 4);
  }
}

/* "what socket H: STATE LOCAL <- REMOTE, N bytes unread" */
static void skc__describe(const skc__leak_entry *e, const char *what,
                          skc_leak_report *report) {
  char line[256];
  unsigned long long handle = (unsigned long long)e->socket.handle;
  if (!e->info.is_tcp) {
    (void)snprintf(line, sizeof line, "%s socket %llu: not TCP\n", what,
                   handle);
  } else {
    char local[SKC_ENDPOINT_STRLEN], remote[SKC_ENDPOINT_STRLEN + 4] = "";
    char unread_text[48] = "";
    if (skc_endpoint_format(&e->info.local, local, sizeof local) < 0)
      (void)snprintf(local, sizeof local, "?");
    if (e->info.connected) {
      long long unread = skc__plat_bytes_unread(e->socket.handle);
      remote[0] = ' ';
      remote[1] = '<';
      remote[2] = '-';
      remote[3] = ' ';
      if (skc_endpoint_format(&e->info.remote, remote + 4,
                              sizeof remote - 4) < 0)
        (void)snprintf(remote + 4, sizeof remote - 4, "?");
      if (unread > 0)
        (void)snprintf(unread_text, sizeof unread_text,
                       ", %lld bytes unread", unread);
    }
    (void)snprintf(line, sizeof line, "%s socket %llu: %s %s%s%s\n", what,
                   handle, skc_tcp_state_name(e->state), local, remote,
                   unread_text);
  }
  skc__report_line(report, line);
}

int skc_leak_check(const skc_leak_snapshot *snapshot, skc_leak_report *report) {
  skc__leak_entry *now = NULL;
  size_t count = 0, i, j;
  size_t close_wait = 0, open_sockets = 0;
  int err;
  if (report != NULL)
    memset(report, 0, sizeof *report);
  if (snapshot == NULL)
    return skc__plat_reject(SKC_EFAULT);
  err = skc__leak_collect(&now, &count);
  if (err != 0)
    return err;
  for (i = 0; i < count; i++) {
    const skc__leak_entry *before = NULL;
    for (j = 0; j < snapshot->count && before == NULL; j++)
      if (skc__same_socket(&now[i], &snapshot->entries[j]))
        before = &snapshot->entries[j];
    if (now[i].state == SKC_TCP_CLOSE_WAIT &&
        (before == NULL || before->state != SKC_TCP_CLOSE_WAIT)) {
      close_wait++;
      skc__describe(&now[i], "leaked", report);
    } else if (before == NULL) {
      open_sockets++;
      skc__describe(&now[i], "open", report);
    }
  }
  free(now);
  if (report != NULL) {
    report->close_wait = close_wait;
    report->open_sockets = open_sockets;
  }
  return (int)(close_wait + open_sockets);
}
