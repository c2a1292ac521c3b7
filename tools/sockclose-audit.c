/*
 * sockclose-audit: the machine's TCP connections with their states, as
 * one portable command (netstat -tanp / ss -tanp / Get-NetTCPConnection),
 * with thresholds that make a CI job fail on a socket leak.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* nanosleep, localtime in C11 mode */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* with _POSIX_C_SOURCE, macOS hides INADDR_LOOPBACK and the BSD names */
#endif
#include "sockclose.h"

#include "audit_prometheus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <errno.h>
#endif

#define EXIT_THRESHOLD 1
#define EXIT_USAGE 2
#define EXIT_AUDIT 3
#define MAX_THRESHOLDS 16

static const char usage_text[] =
    "usage: sockclose-audit [options]\n"
    "\n"
    "Lists the TCP connections of this machine with their state, addresses,\n"
    "queues and (with -P) the process that holds each one.\n"
    "\n"
    "options:\n"
    "  -s, --state LIST       only these states, comma-separated: listen,\n"
    "                         syn-sent, syn-received, established, fin-wait-1,\n"
    "                         fin-wait-2, close-wait, closing, last-ack,\n"
    "                         time-wait, closed\n"
    "  -p, --port PORT        connections whose local or remote port is PORT\n"
    "      --local-port PORT  connections whose local port is PORT\n"
    "      --remote-port PORT connections whose remote port is PORT\n"
    "      --pid PID          connections held by process PID (implies -P)\n"
    "  -4, -6                 IPv4 or IPv6 only\n"
    "  -P, --processes        show the process holding each connection\n"
    "      --json             JSON instead of a table\n"
    "      --prometheus       metrics in the Prometheus text format (connections\n"
    "                         per state, CLOSE_WAIT per process, TIME_WAIT\n"
    "                         against the ephemeral port range); implies -P\n"
    "  -w, --watch SECONDS    print the count per state every SECONDS\n"
    "  -n, --count N          with --watch: stop after N refreshes\n"
    "      --fail-if EXPR     exit with status 1 when EXPR holds, e.g.\n"
    "                         'close-wait>0', 'time-wait>=1000', 'total>50';\n"
    "                         STATE or total (any case), then > >= < <= ==\n"
    "                         or !=, then a\n"
    "                         number; may be repeated. With --watch, checked\n"
    "                         at every refresh, and the first that holds ends\n"
    "                         the watch.\n"
    "      --source NAME      Linux: netlink or procfs (default: netlink,\n"
    "                         /proc/net/tcp when netlink is unavailable)\n"
    "      --time-wait        TIME_WAIT entries per local address against the\n"
    "                         ephemeral port range: how many hold an\n"
    "                         ephemeral port, and the busiest destination's\n"
    "                         share of the range (a client runs out of ports\n"
    "                         for a destination when it reaches 100%)\n"
    "  -h, --help             this text\n"
    "\n"
    "exit status: 0 done, 1 a --fail-if condition held, 2 bad arguments,\n"
    "3 the connection table could not be read.\n"
    "\n"
    "What the states to worry about mean:\n"
    "\n"
    "  CLOSE_WAIT  The peer has closed its side (its FIN arrived) and the\n"
    "              program holding the socket has not closed it yet. A few,\n"
    "              briefly, are normal. A number that grows means a socket\n"
    "              leak: the program never closes sockets whose peer left,\n"
    "              usually an error path that returns without close, or a\n"
    "              read loop that does not treat 0 (end of stream) as the\n"
    "              end. Each one keeps a descriptor, its unread data\n"
    "              (RECV-Q) and the port pair. Find the process with -P, fix\n"
    "              the code so that every path closes the socket after the\n"
    "              peer's end of stream (or an error); restarting only hides\n"
    "              it. Test suites can catch it with skc_leak_check().\n"
    "\n"
    "  TIME_WAIT   This side closed first and both sides have finished; the\n"
    "              kernel keeps the port pair reserved for 2 MSL (60 s on\n"
    "              Linux, up to 240 s elsewhere) so that late segments of\n"
    "              the old connection cannot enter a new one. It is normal\n"
    "              and holds no process resources. Many of them on a client\n"
    "              can exhaust ephemeral ports: reuse connections\n"
    "              (keep-alive, pooling), or let the peer close first. On a\n"
    "              server they block a restart from binding its port on\n"
    "              Linux and macOS: set SO_REUSEADDR on the listener\n"
    "              (skc_listen_reuse()). Do not shorten TIME_WAIT with an\n"
    "              RST (SO_LINGER 0) just to avoid it.\n"
    "\n"
    "  FIN_WAIT_2  This side closed and the peer acknowledged but has not\n"
    "              closed its own side yet: if they pile up, look at the\n"
    "              peer (it is in CLOSE_WAIT).\n";

typedef struct threshold {
  const char *text;
  int state; /* SKC_TCP_*, or 0 for the total */
  int op;    /* '>', 'G' (>=), '<', 'L' (<=), '=', '!' */
  long long value;
} threshold;

typedef struct config {
  skc_audit_options options;
  int json;
  int prometheus;
  int processes;
  double watch;
  long count;
  threshold thresholds[MAX_THRESHOLDS];
  int threshold_count;
  int time_wait;
} config;

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "sockclose-audit: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry 'sockclose-audit --help'.\n");
  return EXIT_USAGE;
}

static int parse_number(const char *s, long long min, long long max,
                        long long *out) {
  char *end;
  long long v;
  if (s == NULL || *s == '\0')
    return 0;
  v = strtoll(s, &end, 10);
  if (*end != '\0' || v < min || v > max)
    return 0;
  *out = v;
  return 1;
}

static int parse_states(const char *list, unsigned int *states) {
  char name[32];
  const char *p = list;
  while (*p != '\0') {
    size_t n = strcspn(p, ",");
    int state;
    if (n == 0 || n >= sizeof name)
      return 0;
    memcpy(name, p, n);
    name[n] = '\0';
    state = skc_tcp_state_from_name(name);
    if (state < 0)
      return 0;
    *states |= SKC_TCP_STATE_BIT(state);
    p += n;
    if (*p == ',')
      p++;
  }
  return *states != 0;
}

/* "total" in any case, as state names are. */
static int is_total(const char *name) {
  static const char total[] = "total";
  size_t i;
  for (i = 0; total[i] != '\0'; i++) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != total[i])
      return 0;
  }
  return name[i] == '\0';
}

static int parse_threshold(const char *text, threshold *t) {
  char name[32];
  size_t n = strcspn(text, "<>=!");
  const char *op = text + n;
  const char *number;
  if (n == 0 || n >= sizeof name || *op == '\0')
    return 0;
  memcpy(name, text, n);
  name[n] = '\0';
  if (is_total(name)) {
    t->state = 0;
  } else {
    t->state = skc_tcp_state_from_name(name);
    if (t->state < 0)
      return 0;
  }
  if (op[0] == '>' && op[1] == '=')
    t->op = 'G', number = op + 2;
  else if (op[0] == '<' && op[1] == '=')
    t->op = 'L', number = op + 2;
  else if (op[0] == '=' && op[1] == '=')
    t->op = '=', number = op + 2;
  else if (op[0] == '!' && op[1] == '=')
    t->op = '!', number = op + 2;
  else if (op[0] == '>' || op[0] == '<' || op[0] == '=')
    t->op = op[0], number = op + 1;
  else
    return 0;
  t->text = text;
  return parse_number(number, 0, 1000000000000LL, &t->value);
}

static int threshold_holds(const threshold *t, long long have) {
  switch (t->op) {
  case '>': return have > t->value;
  case 'G': return have >= t->value;
  case '<': return have < t->value;
  case 'L': return have <= t->value;
  case '=': return have == t->value;
  default: return have != t->value;
  }
}

static int port_arg(const char *arg, unsigned short *port) {
  long long v;
  if (!parse_number(arg, 1, 65535, &v))
    return 0;
  *port = (unsigned short)v;
  return 1;
}

/* Parses argv into cfg; returns -1 to go on, or an exit status. */
static int parse_args(int argc, char **argv, config *cfg) {
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    long long v;
#define TAKES_VALUE()                                                          \
  do {                                                                         \
    if (value == NULL)                                                         \
      return usage_error("%s needs a value", a);                               \
    i++;                                                                       \
  } while (0)
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else if (strcmp(a, "-s") == 0 || strcmp(a, "--state") == 0) {
      TAKES_VALUE();
      if (!parse_states(value, &cfg->options.states))
        return usage_error("unknown state in '%s'", value);
    } else if (strcmp(a, "-p") == 0 || strcmp(a, "--port") == 0) {
      TAKES_VALUE();
      if (!port_arg(value, &cfg->options.port))
        return usage_error("bad port '%s'", value);
    } else if (strcmp(a, "--local-port") == 0) {
      TAKES_VALUE();
      if (!port_arg(value, &cfg->options.local_port))
        return usage_error("bad port '%s'", value);
    } else if (strcmp(a, "--remote-port") == 0) {
      TAKES_VALUE();
      if (!port_arg(value, &cfg->options.remote_port))
        return usage_error("bad port '%s'", value);
    } else if (strcmp(a, "--pid") == 0) {
      TAKES_VALUE();
      if (!parse_number(value, 1, 0x7fffffffLL, &v))
        return usage_error("bad pid '%s'", value);
      cfg->options.pid = (long)v;
      cfg->processes = 1;
    } else if (strcmp(a, "-4") == 0) {
      cfg->options.family = SKC_FAMILY_IPV4;
    } else if (strcmp(a, "-6") == 0) {
      cfg->options.family = SKC_FAMILY_IPV6;
    } else if (strcmp(a, "-P") == 0 || strcmp(a, "--processes") == 0) {
      cfg->processes = 1;
    } else if (strcmp(a, "--time-wait") == 0) {
      cfg->time_wait = 1;
    } else if (strcmp(a, "--json") == 0) {
      cfg->json = 1;
    } else if (strcmp(a, "--prometheus") == 0) {
      cfg->prometheus = 1;
      cfg->processes = 1;
    } else if (strcmp(a, "-w") == 0 || strcmp(a, "--watch") == 0) {
      char *end;
      TAKES_VALUE();
      cfg->watch = strtod(value, &end);
      if (*end != '\0' || !(cfg->watch > 0) || cfg->watch > 86400)
        return usage_error("bad interval '%s'", value);
    } else if (strcmp(a, "-n") == 0 || strcmp(a, "--count") == 0) {
      TAKES_VALUE();
      if (!parse_number(value, 1, 0x7fffffffLL, &v))
        return usage_error("bad count '%s'", value);
      cfg->count = (long)v;
    } else if (strcmp(a, "--fail-if") == 0) {
      TAKES_VALUE();
      if (cfg->threshold_count == MAX_THRESHOLDS)
        return usage_error("too many --fail-if%s", "");
      if (!parse_threshold(value, &cfg->thresholds[cfg->threshold_count]))
        return usage_error("bad condition '%s' (e.g. close-wait>0)", value);
      cfg->threshold_count++;
    } else if (strcmp(a, "--source") == 0) {
      TAKES_VALUE();
      if (strcmp(value, "netlink") == 0)
        cfg->options.source = SKC_AUDIT_SOURCE_NETLINK;
      else if (strcmp(value, "procfs") == 0 || strcmp(value, "proc") == 0)
        cfg->options.source = SKC_AUDIT_SOURCE_PROCFS;
      else
        return usage_error("unknown source '%s'", value);
    } else {
      return usage_error("unknown option '%s'", a);
    }
#undef TAKES_VALUE
  }
  if (cfg->count != 0 && cfg->watch == 0)
    return usage_error("%s", "--count needs --watch");
  if (cfg->prometheus && (cfg->json || cfg->watch > 0))
    return usage_error("%s", "--prometheus prints once, without --json or --watch");
  cfg->options.owners = cfg->processes;
  return -1;
}

/* "127.0.0.1:80" -> address "127.0.0.1"; "[::1]:80" -> "::1". */
static void split_endpoint(const skc_endpoint *e, char *text, size_t size,
                           char *address, size_t address_size) {
  char *colon;
  if (skc_endpoint_format(e, text, size) < 0) {
    snprintf(text, size, "?");
    snprintf(address, address_size, "?");
    return;
  }
  snprintf(address, address_size, "%s", text[0] == '[' ? text + 1 : text);
  colon = strrchr(address, text[0] == '[' ? ']' : ':');
  if (colon != NULL)
    *colon = '\0';
}

/* ---- text from the kernel (process names) is untrusted ----
 * A process chooses its own name (prctl PR_SET_NAME, argv[0]): any bytes
 * but NUL. Printed raw, invalid UTF-8 breaks a JSON document and escape
 * sequences or newlines forge table rows on a terminal. */

/* The length of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF) and its code
 * point, or 0 when s does not start one. */
static size_t utf8_sequence(const unsigned char *s, unsigned long *code) {
  size_t len, i;
  unsigned long c;
  if (s[0] < 0x80) {
    *code = s[0];
    return 1;
  }
  if (s[0] >= 0xc2 && s[0] <= 0xdf)
    len = 2, c = s[0] & 0x1fu;
  else if (s[0] >= 0xe0 && s[0] <= 0xef)
    len = 3, c = s[0] & 0x0fu;
  else if (s[0] >= 0xf0 && s[0] <= 0xf4)
    len = 4, c = s[0] & 0x07u;
  else
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0; /* also stops at the terminator */
    c = c << 6 | (s[i] & 0x3fu);
  }
  if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
      (c >= 0xd800 && c <= 0xdfff))
    return 0;
  *code = c;
  return len;
}

/* C0 and C1 control characters and DEL: a terminal acts on them. */
static int is_control(unsigned long code) {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/* A JSON string (RFC 8259) that is always valid UTF-8: controls as
 * \u00XX, each byte that is not part of a well-formed sequence as
 * U+FFFD. */
static void json_string(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  putchar('"');
  while (*s != '\0') {
    unsigned long code = 0;
    size_t len = utf8_sequence(s, &code);
    if (len == 0) {
      fputs("\\ufffd", stdout);
      s++;
      continue;
    }
    if (code == '"' || code == '\\')
      printf("\\%c", (char)code);
    else if (is_control(code))
      printf("\\u%04lx", code);
    else
      fwrite(s, 1, len, stdout);
    s += len;
  }
  putchar('"');
}

/* For the table: controls, backslashes and bytes of no well-formed UTF-8
 * sequence as \xNN, so that one connection is always one line. */
static void table_text(const char *text) {
  const unsigned char *s = (const unsigned char *)text;
  while (*s != '\0') {
    unsigned long code = 0;
    size_t len = utf8_sequence(s, &code), i;
    if (len == 0 || code == '\\' || is_control(code)) {
      if (len == 0)
        len = 1;
      for (i = 0; i < len; i++)
        printf("\\x%02x", s[i]);
    } else {
      fwrite(s, 1, len, stdout);
    }
    s += len;
  }
}

static void count_states(const skc_connection *list, size_t n,
                         long long counts[SKC_TCP_STATE_COUNT]) {
  size_t i;
  memset(counts, 0, sizeof(long long) * SKC_TCP_STATE_COUNT);
  for (i = 0; i < n; i++)
    if (list[i].state > 0 && list[i].state < SKC_TCP_STATE_COUNT)
      counts[list[i].state]++;
}

static void print_queue(long long q) {
  if (q < 0)
    printf(" %7s", "-");
  else
    printf(" %7lld", q);
}

static void print_table(const config *cfg, const skc_connection *list,
                        size_t n, const long long *counts) {
  size_t i;
  int state, first = 1;
  printf("%-12s %7s %7s  %-40s %-40s", "STATE", "RECV-Q", "SEND-Q", "LOCAL",
         "REMOTE");
  if (cfg->processes)
    printf(" %7s  %s", "PID", "PROCESS");
  printf("\n");
  for (i = 0; i < n; i++) {
    char local[SKC_ENDPOINT_STRLEN], remote[SKC_ENDPOINT_STRLEN];
    const skc_connection *c = &list[i];
    if (skc_endpoint_format(&c->local, local, sizeof local) < 0)
      snprintf(local, sizeof local, "?");
    if (c->state == SKC_TCP_LISTEN)
      snprintf(remote, sizeof remote, "*");
    else if (skc_endpoint_format(&c->remote, remote, sizeof remote) < 0)
      snprintf(remote, sizeof remote, "?");
    printf("%-12s", skc_tcp_state_name(c->state));
    print_queue(c->recv_queue);
    print_queue(c->send_queue);
    printf("  %-40s %-40s", local, remote);
    if (cfg->processes) {
      if (c->pid < 0)
        printf(" %7s  %s", "?", "");
      else if (c->pid == 0)
        printf(" %7s  %s", "-", "(no process)");
      else {
        printf(" %7ld  ", c->pid);
        table_text(c->process);
      }
    }
    printf("\n");
  }
  printf("%lu connection%s", (unsigned long)n, n == 1 ? "" : "s");
  for (state = 1; state < SKC_TCP_STATE_COUNT; state++) {
    if (counts[state] == 0)
      continue;
    printf("%s%lld %s", first ? ": " : ", ", counts[state],
           skc_tcp_state_name(state));
    first = 0;
  }
  printf("\n");
  if (counts[SKC_TCP_CLOSE_WAIT] > 0)
    printf("CLOSE_WAIT: the peer has closed and the program holding the "
           "socket has not (see --help).\n");
}

static void print_json(const config *cfg, const skc_connection *list,
                       size_t n, const long long *counts) {
  size_t i;
  int state;
  printf("{\"connections\":[");
  for (i = 0; i < n; i++) {
    const skc_connection *c = &list[i];
    char text[SKC_ENDPOINT_STRLEN], address[SKC_ENDPOINT_STRLEN];
    printf("%s{\"state\":\"%s\",", i == 0 ? "" : ",",
           skc_tcp_state_name(c->state));
    split_endpoint(&c->local, text, sizeof text, address, sizeof address);
    printf("\"local\":{\"address\":");
    json_string(address);
    printf(",\"port\":%u},", (unsigned)c->local.port);
    split_endpoint(&c->remote, text, sizeof text, address, sizeof address);
    printf("\"remote\":{\"address\":");
    json_string(address);
    printf(",\"port\":%u},", (unsigned)c->remote.port);
    if (c->recv_queue < 0)
      printf("\"recv_queue\":null,\"send_queue\":null");
    else
      printf("\"recv_queue\":%lld,\"send_queue\":%lld", c->recv_queue,
             c->send_queue);
    if (cfg->processes) {
      if (c->pid < 0)
        printf(",\"pid\":null,\"process\":null");
      else {
        printf(",\"pid\":%ld,\"process\":", c->pid);
        json_string(c->process);
      }
    }
    printf("}");
  }
  printf("],\"counts\":{");
  for (state = 1; state < SKC_TCP_STATE_COUNT; state++)
    printf("%s\"%s\":%lld", state == 1 ? "" : ",", skc_tcp_state_name(state),
           counts[state]);
  printf("},\"total\":%lu}\n", (unsigned long)n);
}

/* Checks every threshold; returns 1 when one holds (after saying so). */
static int check_thresholds(const config *cfg, const long long *counts,
                            size_t total) {
  int i, held = 0;
  for (i = 0; i < cfg->threshold_count; i++) {
    const threshold *t = &cfg->thresholds[i];
    long long have = t->state == 0 ? (long long)total : counts[t->state];
    if (threshold_holds(t, have)) {
      fprintf(stderr, "sockclose-audit: condition '%s' holds: %s = %lld\n",
              t->text, t->state == 0 ? "total" : skc_tcp_state_name(t->state),
              have);
      held = 1;
    }
  }
  return held;
}

static void sleep_seconds(double seconds) {
#ifdef _WIN32
  Sleep((DWORD)(seconds * 1000.0));
#else
  struct timespec ts;
  ts.tv_sec = (time_t)seconds;
  ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

static int audit_once(const config *cfg, skc_connection **list, size_t *n) {
  int err = skc_audit_list(&cfg->options, list, n);
  if (err != 0)
    fprintf(stderr, "sockclose-audit: cannot read the connection table: %s (%s)\n",
            skc_strerror(err), skc_err_name(err));
  return err;
}

static int watch(const config *cfg) {
  static const char *const short_names[SKC_TCP_STATE_COUNT] = {
      NULL,       "CLOSED", "LISTEN",  "SYN-SENT", "SYN-RECV", "ESTAB",
      "FIN-WAIT1", "FIN-WAIT2", "CLOSE-WAIT", "CLOSING", "LAST-ACK",
      "TIME-WAIT"};
  long round;
  int state;
  if (!cfg->json) {
    printf("%-8s %7s", "TIME", "TOTAL");
    for (state = 1; state < SKC_TCP_STATE_COUNT; state++)
      printf(" %10s", short_names[state]);
    printf("\n");
  }
  for (round = 0; cfg->count == 0 || round < cfg->count; round++) {
    skc_connection *list = NULL;
    size_t n = 0;
    long long counts[SKC_TCP_STATE_COUNT];
    char stamp[16];
    time_t now = time(NULL);
    struct tm *tm = localtime(&now);
    if (round > 0)
      sleep_seconds(cfg->watch);
    if (audit_once(cfg, &list, &n) != 0)
      return EXIT_AUDIT;
    count_states(list, n, counts);
    skc_audit_free(list);
    if (tm == NULL || strftime(stamp, sizeof stamp, "%H:%M:%S", tm) == 0)
      snprintf(stamp, sizeof stamp, "?");
    if (cfg->json) {
      printf("{\"time\":%lld,\"total\":%lu,\"counts\":{", (long long)now,
             (unsigned long)n);
      for (state = 1; state < SKC_TCP_STATE_COUNT; state++)
        printf("%s\"%s\":%lld", state == 1 ? "" : ",",
               skc_tcp_state_name(state), counts[state]);
      printf("}}\n");
    } else {
      printf("%-8s %7lu", stamp, (unsigned long)n);
      for (state = 1; state < SKC_TCP_STATE_COUNT; state++)
        printf(" %10lld", counts[state]);
      printf("\n");
    }
    fflush(stdout);
    if (check_thresholds(cfg, counts, n))
      return EXIT_THRESHOLD;
  }
  return 0;
}

/* ---- --time-wait: TIME_WAIT against the ephemeral port range ---- */

/* The range the OS hands out for connect(): *source says where it comes
 * from. 0, or -1 when it cannot be read (defaults are used then). */
static int ephemeral_range(unsigned *low, unsigned *high, const char **source) {
#if defined(__linux__) || defined(_WIN32)
  /* Under Wine the Linux kernel hands out the ports: its sysctl is
   * readable through Wine's Z: drive (the Unix root). */
  static const char *const path =
#if defined(_WIN32)
      "Z:\\proc\\sys\\net\\ipv4\\ip_local_port_range";
  FARPROC wine = GetProcAddress(GetModuleHandleA("ntdll.dll"),
                                "wine_get_version");
  FILE *f = wine != NULL ? fopen(path, "r") : NULL;
#else
      "/proc/sys/net/ipv4/ip_local_port_range";
  FILE *f = fopen(path, "r");
#endif
  if (f != NULL) {
    int ok = fscanf(f, "%u %u", low, high) == 2;
    fclose(f);
    if (ok && *low <= *high && *high <= 65535) {
#if defined(_WIN32)
      *source = "under Wine: the Linux kernel's net.ipv4.ip_local_port_range";
#else
      *source = "net.ipv4.ip_local_port_range";
#endif
      return 0;
    }
  }
#endif
#if defined(__linux__)
  *low = 32768;
  *high = 60999;
  *source = "Linux's default; the sysctl could not be read";
  return -1;
#elif defined(_WIN32)
  /* The range is a netsh setting with no documented API to read it. */
  *low = 49152;
  *high = 65535;
  *source = "Windows' default (Microsoft's documentation), not read from "
            "this machine: see 'netsh int ipv4 show dynamicport tcp'";
  return -1;
#else
  /* macOS and the BSDs: net.inet.ip.portrange.first / .last. */
  *low = 49152;
  *high = 65535;
  *source = "the IANA range, macOS's default (sysctl "
            "net.inet.ip.portrange.first/last), not read from this machine";
  return -1;
#endif
}

static int endpoint_order(const skc_endpoint *a, const skc_endpoint *b,
                          int with_port) {
  int d = a->family - b->family;
  if (d == 0)
    d = memcmp(a->address, b->address, sizeof a->address);
  if (d == 0 && with_port)
    d = (int)a->port - (int)b->port;
  return d;
}

/* By local address, then destination (address and port). */
static int time_wait_order(const void *pa, const void *pb) {
  const skc_connection *a = pa, *b = pb;
  int d = endpoint_order(&a->local, &b->local, 0);
  return d != 0 ? d : endpoint_order(&a->remote, &b->remote, 1);
}

static int time_wait_report(const config *cfg) {
  skc_audit_options options = cfg->options;
  skc_connection *list = NULL;
  size_t n = 0, i, j;
  unsigned low, high, range;
  const char *source;
  options.states = SKC_TCP_STATE_BIT(SKC_TCP_TIME_WAIT);
  if (skc_audit_list(&options, &list, &n) != 0) {
    fprintf(stderr, "sockclose-audit: cannot read the connection table\n");
    return EXIT_AUDIT;
  }
  ephemeral_range(&low, &high, &source);
  range = high - low + 1;
  printf("ephemeral ports %u-%u (%u ports; %s)\n", low, high, range, source);
  printf("%-40s %9s %9s  %-46s %7s\n", "LOCAL ADDRESS", "TIME_WAIT",
         "EPHEMERAL", "BUSIEST DESTINATION", "OF RANGE");
  if (n > 0)
    qsort(list, n, sizeof *list, time_wait_order);
  for (i = 0; i < n; i = j) {
    size_t total = 0, ephemeral = 0, best = 0, run = 0;
    const skc_connection *best_row = NULL;
    char local[SKC_ENDPOINT_STRLEN], remote[SKC_ENDPOINT_STRLEN], *colon;
    for (j = i; j < n && endpoint_order(&list[j].local, &list[i].local, 0) == 0;
         j++) {
      total++;
      if (list[j].local.port < low || list[j].local.port > high)
        continue;
      ephemeral++;
      /* Rows to one destination are adjacent: count the run. */
      run = (j > i && endpoint_order(&list[j].remote, &list[j - 1].remote, 1) ==
                          0 &&
             list[j - 1].local.port >= low && list[j - 1].local.port <= high)
                ? run + 1
                : 1;
      if (run > best) {
        best = run;
        best_row = &list[j];
      }
    }
    skc_endpoint_format(&list[i].local, local, sizeof local);
    colon = strrchr(local, ':'); /* the address only */
    if (colon != NULL)
      *colon = '\0';
    remote[0] = '\0';
    if (best_row != NULL)
      skc_endpoint_format(&best_row->remote, remote, sizeof remote);
    printf("%-40s %9lu %9lu  %-36s %9lu %6.2f%%\n", local,
           (unsigned long)total, (unsigned long)ephemeral,
           best_row != NULL ? remote : "-", (unsigned long)best,
           100.0 * (double)best / (double)range);
  }
  if (n == 0)
    printf("(no connection in TIME_WAIT)\n");
  skc_audit_free(list);
  return 0;
}

int main(int argc, char **argv) {
  config cfg;
  int rc;
  memset(&cfg, 0, sizeof cfg);
  rc = parse_args(argc, argv, &cfg);
  if (rc >= 0)
    return rc;
  if (skc_init() != 0) {
    fprintf(stderr, "sockclose-audit: cannot start the socket library\n");
    return EXIT_AUDIT;
  }
  if (cfg.time_wait) {
    rc = time_wait_report(&cfg);
  } else if (cfg.watch > 0) {
    rc = watch(&cfg);
  } else {
    skc_connection *list = NULL;
    size_t n = 0;
    long long counts[SKC_TCP_STATE_COUNT];
    int write_failed = 0;
    if (audit_once(&cfg, &list, &n) != 0) {
      rc = EXIT_AUDIT;
    } else {
      count_states(list, n, counts);
      if (cfg.prometheus) {
        audit_port_range ports = audit_ephemeral_ports();
        if (audit_write_prometheus(stdout, list, n, &ports) != 0 || fflush(stdout) != 0) {
          fprintf(stderr, "sockclose-audit: cannot write the metrics\n");
          write_failed = 1;
        }
      } else if (cfg.json)
        print_json(&cfg, list, n, counts);
      else
        print_table(&cfg, list, n, counts);
      fflush(stdout);
      rc = write_failed ? EXIT_AUDIT
           : check_thresholds(&cfg, counts, n) ? EXIT_THRESHOLD : 0;
      skc_audit_free(list);
    }
  }
  skc_cleanup();
  return rc;
}
