/*
 * The Prometheus text exposition format (version 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/): for each
 * metric a "# HELP" line (backslash and line feed escaped), a "# TYPE"
 * line, then its samples; label values escape backslash, double quote and
 * line feed. Every metric here is a gauge: a count at the moment of the
 * audit. Label values are written in full, whatever bytes a process name
 * holds.
 */
#include "audit_prometheus.h"

#include <stdlib.h>
#include <string.h>

audit_port_range audit_ephemeral_ports(void) {
  audit_port_range range = {49152, 65535, 0};
#if defined(__linux__)
  /* ip(7): ip_local_port_range, "first last" */
  FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
  if (f != NULL) {
    unsigned first, last;
    if (fscanf(f, "%u %u", &first, &last) == 2 && first <= last && last <= 65535) {
      range.first = first;
      range.last = last;
      range.from_kernel = 1;
    }
    fclose(f);
  }
#endif
  return range;
}

static void help(FILE *out, const char *name, const char *text) {
  fprintf(out, "# HELP %s ", name);
  for (; *text != '\0'; text++) {
    if (*text == '\\')
      fputs("\\\\", out);
    else if (*text == '\n')
      fputs("\\n", out);
    else
      fputc(*text, out);
  }
  fprintf(out, "\n# TYPE %s gauge\n", name);
}

static void label_value(FILE *out, const char *value) {
  fputc('"', out);
  for (; *value != '\0'; value++) {
    if (*value == '\\')
      fputs("\\\\", out);
    else if (*value == '"')
      fputs("\\\"", out);
    else if (*value == '\n')
      fputs("\\n", out);
    else
      fputc(*value, out);
  }
  fputc('"', out);
}

/* "CLOSE_WAIT" -> "close_wait" */
static void state_label(int state, char *buf, size_t size) {
  const char *name = skc_tcp_state_name(state);
  size_t i;
  for (i = 0; name[i] != '\0' && i + 1 < size; i++)
    buf[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
  buf[i] = '\0';
}

typedef struct owner_count {
  long pid;
  const char *process;
  long long count;
} owner_count;

static int by_owner(const void *a, const void *b) {
  const owner_count *x = a, *y = b;
  if (x->pid != y->pid)
    return x->pid < y->pid ? -1 : 1;
  return strcmp(x->process, y->process);
}

static int by_remote(const void *a, const void *b) {
  const skc_endpoint *x = *(const skc_endpoint *const *)a;
  const skc_endpoint *y = *(const skc_endpoint *const *)b;
  int c;
  if (x->family != y->family)
    return x->family < y->family ? -1 : 1;
  c = memcmp(x->address, y->address, sizeof x->address);
  if (c != 0)
    return c;
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  return 0;
}

/* CLOSE_WAIT connections per holding process. */
static int write_close_wait(FILE *out, const skc_connection *list, size_t n) {
  owner_count *owners = calloc(n > 0 ? n : 1, sizeof *owners);
  size_t count = 0, i;
  if (owners == NULL)
    return -1;
  for (i = 0; i < n; i++) {
    if (list[i].state != SKC_TCP_CLOSE_WAIT)
      continue;
    owners[count].pid = list[i].pid > 0 ? list[i].pid : 0;
    owners[count].process = list[i].pid > 0 ? list[i].process : "";
    owners[count].count = 1;
    count++;
  }
  qsort(owners, count, sizeof *owners, by_owner);
  help(out, "sockclose_tcp_close_wait_connections",
       "TCP connections in CLOSE_WAIT (the peer closed, the program has not) by the process "
       "holding them; pid=\"\" and process=\"\" when no process holds them or the owner is "
       "not visible (another user's process, without privileges). A count that keeps "
       "growing is a socket leak in that process.");
  for (i = 0; i < count;) {
    size_t j = i;
    long long total = 0;
    while (j < count && by_owner(&owners[i], &owners[j]) == 0)
      total += owners[j++].count;
    fputs("sockclose_tcp_close_wait_connections{pid=", out);
    if (owners[i].pid > 0)
      fprintf(out, "\"%ld\"", owners[i].pid);
    else
      fputs("\"\"", out);
    fputs(",process=", out);
    label_value(out, owners[i].process);
    fprintf(out, "} %lld\n", total);
    i = j;
  }
  free(owners);
  return 0;
}

/* TIME_WAIT connections holding an ephemeral local port, and the most of
 * them towards one remote address and port. */
static int write_time_wait(FILE *out, const skc_connection *list, size_t n,
                           const audit_port_range *ports) {
  const skc_endpoint **remote = calloc(n > 0 ? n : 1, sizeof *remote);
  size_t count = 0, i, most = 0;
  unsigned size = ports->last - ports->first + 1;
  if (remote == NULL)
    return -1;
  for (i = 0; i < n; i++)
    if (list[i].state == SKC_TCP_TIME_WAIT && list[i].local.port >= ports->first &&
        list[i].local.port <= ports->last)
      remote[count++] = &list[i].remote;
  qsort(remote, count, sizeof *remote, by_remote);
  for (i = 0; i < count;) {
    size_t j = i;
    while (j < count && by_remote(&remote[i], &remote[j]) == 0)
      j++;
    if (j - i > most)
      most = j - i;
    i = j;
  }
  free(remote);

  help(out, "sockclose_ephemeral_port_range_first",
       ports->from_kernel
           ? "First port of the ephemeral range new outgoing connections take their local port "
             "from (net.ipv4.ip_local_port_range)."
           : "First port of the ephemeral range new outgoing connections take their local port "
             "from: the IANA default 49152, which Windows and macOS use unless configured (not "
             "read from the system).");
  fprintf(out, "sockclose_ephemeral_port_range_first %u\n", ports->first);
  help(out, "sockclose_ephemeral_port_range_last", "Last port of the ephemeral range.");
  fprintf(out, "sockclose_ephemeral_port_range_last %u\n", ports->last);
  help(out, "sockclose_tcp_time_wait_ephemeral_connections",
       "TCP connections in TIME_WAIT whose local port is in the ephemeral range: this machine "
       "closed first, and the port stays reserved for 2 MSL.");
  fprintf(out, "sockclose_tcp_time_wait_ephemeral_connections %lu\n", (unsigned long)count);
  help(out, "sockclose_tcp_time_wait_ephemeral_max_per_destination",
       "The most TIME_WAIT connections with an ephemeral local port towards one remote address "
       "and port. New connections to that destination run out of local ports as it approaches "
       "the range's size (Linux reuses a TIME_WAIT port for a new outgoing connection only when "
       "net.ipv4.tcp_tw_reuse allows it: by default, for loopback only).");
  fprintf(out, "sockclose_tcp_time_wait_ephemeral_max_per_destination %lu\n",
          (unsigned long)most);
  help(out, "sockclose_tcp_time_wait_ephemeral_ratio",
       "sockclose_tcp_time_wait_ephemeral_max_per_destination divided by the size of the "
       "ephemeral range (0 to 1).");
  fprintf(out, "sockclose_tcp_time_wait_ephemeral_ratio %.6g\n", (double)most / (double)size);
  return 0;
}

int audit_write_prometheus(FILE *out, const skc_connection *list, size_t n,
                           const audit_port_range *ports) {
  long long counts[SKC_TCP_STATE_COUNT] = {0};
  size_t i;
  int state;
  for (i = 0; i < n; i++)
    if (list[i].state > 0 && list[i].state < SKC_TCP_STATE_COUNT)
      counts[list[i].state]++;
  help(out, "sockclose_tcp_connections",
       "TCP connections and listeners of this machine by state, as sockclose-audit lists them "
       "(its filters applied).");
  for (state = 1; state < SKC_TCP_STATE_COUNT; state++) {
    char name[32];
    state_label(state, name, sizeof name);
    fprintf(out, "sockclose_tcp_connections{state=\"%s\"} %lld\n", name, counts[state]);
  }
  if (write_close_wait(out, list, n) != 0 || write_time_wait(out, list, n, ports) != 0)
    return -1;
  return ferror(out) ? -1 : 0;
}
