/*
 * Linux: the machine's TCP connections from NETLINK_SOCK_DIAG (inet_diag,
 * as ss(8) reads them) or from /proc/net/tcp and /proc/net/tcp6, and
 * their owners from the socket inodes in /proc/PID/fd.
 */
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* dirfd, readlinkat, openat */
#endif
#include "audit_linux.h"

#if defined(__linux__)

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Largest netlink message batch the kernel sends per recv(): a dump
 * fills at most max(NLMSG_GOODSIZE, the last receive buffer size), capped
 * at 32 KiB (netlink_dump). Twice that is safe. */
#define SKC__DIAG_BUFFER 65536

/* ---- parsing ---- */

static int skc__proto_error(void) {
  errno = EPROTO;
  return SKC_EPROTO;
}

static int skc__is_link_local(const unsigned char *a16) {
  return a16[0] == 0xfe && (a16[1] & 0xc0) == 0x80;
}

static void skc__row_init(skc_connection *row) {
  memset(row, 0, sizeof *row);
  row->pid = -1;
}

/* Linux reports the receive queue as rcv_nxt - copied_seq, and the peer's
 * FIN takes one sequence number: from the FIN until the program reads the
 * end of stream, the queue is one more than the bytes waiting (the seed's
 * netstat shows 16 bytes ESTABLISHED, then 17 in CLOSE_WAIT). The states
 * after a received FIN give the bytes. */
static long long skc__unread_bytes(int state, unsigned long long queue) {
  int fin_received = state == SKC_TCP_CLOSE_WAIT || state == SKC_TCP_LAST_ACK ||
                     state == SKC_TCP_CLOSING || state == SKC_TCP_TIME_WAIT;
  return (long long)(fin_received && queue > 0 ? queue - 1 : queue);
}

int skc__linux_parse_diag(const void *buf, size_t len, skc__audit *audit) {
  const unsigned char *bytes = buf;
  size_t off = 0;
  while (len - off >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr h;
    memcpy(&h, bytes + off, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > len - off)
      return skc__proto_error();
    if (h.nlmsg_type == NLMSG_DONE)
      return 1;
    if (h.nlmsg_type == NLMSG_ERROR) {
      int code;
      if (h.nlmsg_len < NLMSG_LENGTH(sizeof code))
        return skc__proto_error();
      memcpy(&code, bytes + off + NLMSG_HDRLEN, sizeof code);
      if (code != 0) {
        /* netlink(7): the negative errno of the failed request. A value
         * with no positive counterpart (INT_MIN) is no errno at all. */
        errno = code == INT_MIN ? EPROTO : code < 0 ? -code : code;
        return skc__plat_translate(errno);
      }
    } else if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      struct inet_diag_msg m;
      skc_connection row;
      /* A connection's message too short for its fixed part would be a
       * row lost without a word: refuse the batch instead. */
      if (h.nlmsg_len < NLMSG_LENGTH(sizeof m))
        return skc__proto_error();
      memcpy(&m, bytes + off + NLMSG_HDRLEN, sizeof m);
      skc__row_init(&row);
      row.state = skc__tcp_state_from_linux(m.idiag_state);
      if (row.state != 0 &&
          (m.idiag_family == AF_INET || m.idiag_family == AF_INET6)) {
        size_t alen = m.idiag_family == AF_INET ? 4 : 16;
        int family =
            m.idiag_family == AF_INET ? SKC_FAMILY_IPV4 : SKC_FAMILY_IPV6;
        int err;
        row.local.family = row.remote.family = family;
        memcpy(row.local.address, m.id.idiag_src, alen);
        memcpy(row.remote.address, m.id.idiag_dst, alen);
        row.local.port = ntohs(m.id.idiag_sport);
        row.remote.port = ntohs(m.id.idiag_dport);
        if (family == SKC_FAMILY_IPV6) {
          if (skc__is_link_local(row.local.address))
            row.local.scope_id = m.id.idiag_if;
          if (skc__is_link_local(row.remote.address))
            row.remote.scope_id = m.id.idiag_if;
        }
        row.recv_queue = skc__unread_bytes(row.state, m.idiag_rqueue);
        row.send_queue = m.idiag_wqueue;
        row.inode = m.idiag_inode;
        err = skc__audit_add(audit, &row);
        if (err != 0)
          return err;
      }
    }
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (off > len)
      break;
  }
  /* Bytes left that cannot hold a header: a truncated message, whose row
   * would otherwise be missing from a list reported as complete. */
  if (off < len)
    return skc__proto_error();
  return 0;
}

static int skc__hex(const char *s, size_t n, unsigned long long *out) {
  unsigned long long v = 0;
  size_t i;
  if (n == 0 || n > 16)
    return 0;
  for (i = 0; i < n; i++) {
    int c = (unsigned char)s[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return 0;
    v = v << 4 | (unsigned long long)d;
  }
  *out = v;
  return 1;
}

static int skc__dec(const char *s, size_t n, unsigned long long *out) {
  unsigned long long v = 0;
  size_t i;
  if (n == 0 || n > 20)
    return 0;
  for (i = 0; i < n; i++) {
    unsigned d;
    if (s[i] < '0' || s[i] > '9')
      return 0;
    d = (unsigned)(s[i] - '0');
    if (v > (~0ULL - d) / 10)
      return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

/* "0100007F:1F90": the address as the kernel prints it, each 32-bit word
 * of the network-order address as a host-order number ("%08X", net/ipv4/
 * tcp_ipv4.c get_tcp4_sock and net/ipv6/tcp_ipv6.c get_tcp6_sock), so
 * each word goes back to memory as a host-order number. */
static int skc__proc_endpoint(const char *s, size_t n, int family,
                              skc_endpoint *e) {
  size_t words = family == SKC_FAMILY_IPV4 ? 1 : 4, i;
  unsigned long long v;
  if (n != words * 8 + 5 || s[words * 8] != ':')
    return 0;
  e->family = family;
  for (i = 0; i < words; i++) {
    unsigned int word;
    if (!skc__hex(s + i * 8, 8, &v))
      return 0;
    word = (unsigned int)v;
    memcpy(e->address + i * 4, &word, 4);
  }
  if (!skc__hex(s + words * 8 + 1, 4, &v))
    return 0;
  e->port = (unsigned short)v;
  return 1;
}

/* One line: "sl local rem st tx:rx tr:when retrnsmt uid timeout inode". */
static int skc__proc_line(const char *line, size_t len, int family,
                          skc_connection *row) {
  const char *tok[10];
  size_t tlen[10];
  size_t i = 0, n = 0;
  unsigned long long v;
  const char *colon;
  while (n < 10) {
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
      i++;
    if (i >= len)
      break;
    tok[n] = line + i;
    while (i < len && line[i] != ' ' && line[i] != '\t')
      i++;
    tlen[n] = (size_t)(line + i - tok[n]);
    n++;
  }
  if (n < 10 || tlen[0] < 2 || tok[0][tlen[0] - 1] != ':')
    return 0;
  skc__row_init(row);
  if (!skc__proc_endpoint(tok[1], tlen[1], family, &row->local) ||
      !skc__proc_endpoint(tok[2], tlen[2], family, &row->remote))
    return 0;
  if (!skc__hex(tok[3], tlen[3], &v) || v > 255)
    return 0;
  row->state = skc__tcp_state_from_linux((int)v);
  if (row->state == 0)
    return 0;
  colon = memchr(tok[4], ':', tlen[4]);
  if (colon == NULL)
    return 0;
  if (!skc__hex(tok[4], (size_t)(colon - tok[4]), &v))
    return 0;
  row->send_queue = (long long)(v & 0xffffffffULL);
  if (!skc__hex(colon + 1, (size_t)(tok[4] + tlen[4] - colon - 1), &v))
    return 0;
  row->recv_queue = skc__unread_bytes(row->state, v & 0xffffffffULL);
  if (!skc__dec(tok[9], tlen[9], &v))
    return 0;
  row->inode = v;
  return 1;
}

int skc__linux_parse_proc_tcp(const char *buf, size_t len, int family,
                              skc__audit *audit, size_t *consumed) {
  size_t start = 0;
  *consumed = 0;
  if (family != SKC_FAMILY_IPV4 && family != SKC_FAMILY_IPV6)
    return skc__plat_reject(SKC_EINVAL);
  for (;;) {
    const char *end = memchr(buf + start, '\n', len - start);
    skc_connection row;
    if (end == NULL)
      break;
    if (skc__proc_line(buf + start, (size_t)(end - (buf + start)), family,
                       &row)) {
      int err = skc__audit_add(audit, &row);
      if (err != 0)
        return err;
    }
    start = (size_t)(end - buf) + 1;
    *consumed = start;
  }
  return 0;
}

unsigned long long skc__linux_socket_inode(const char *link, size_t len) {
  static const char prefix[] = "socket:[";
  unsigned long long inode;
  size_t plen = sizeof prefix - 1;
  if (len < plen + 2 || memcmp(link, prefix, plen) != 0 ||
      link[len - 1] != ']')
    return 0;
  if (!skc__dec(link + plen, len - plen - 1, &inode))
    return 0;
  return inode;
}

/* ---- reading ---- */

/* Linux numbering bits for the SKC_TCP_* bits asked for; every state when
 * none. A request socket (NEW_SYN_RECV) is asked for with SYN_RECV. */
static unsigned int skc__linux_states(unsigned int states) {
  unsigned int mask = 0;
  int linux_state;
  if (states == 0)
    return ~0u;
  for (linux_state = 1; linux_state < 14; linux_state++) {
    int state = skc__tcp_state_from_linux(linux_state);
    if (state != 0 && (states & SKC_TCP_STATE_BIT(state)) != 0)
      mask |= 1u << linux_state;
  }
  return mask;
}

/* inet_diag bytecode for the port filters, as inet_diag_bc_run() runs it:
 * each operation jumps "yes" or "no" bytes ahead, the program accepts when
 * it reaches its end exactly and rejects when it jumps 4 bytes past it.
 * inet_diag_bc_audit() also requires every jump target to be on the path
 * of "yes" jumps, which is why an OR takes the shape ss(8) gives it:
 * A (no: to B), JMP (to the end of the OR), B. Returns the length. */
static size_t skc__diag_bytecode(const skc_audit_options *o,
                                 struct inet_diag_bc_op *bc) {
  struct {
    int code; /* 0 for "local or remote" */
    unsigned short port;
  } clauses[3];
  size_t n = 0, i, total = 0, at = 0, k = 0;
  if (o->local_port != 0)
    clauses[n].code = INET_DIAG_BC_S_EQ, clauses[n++].port = o->local_port;
  if (o->remote_port != 0)
    clauses[n].code = INET_DIAG_BC_D_EQ, clauses[n++].port = o->remote_port;
  if (o->port != 0)
    clauses[n].code = 0, clauses[n++].port = o->port;
  for (i = 0; i < n; i++)
    total += clauses[i].code != 0 ? 8 : 20;
  for (i = 0; i < n; i++) {
    unsigned short port = clauses[i].port;
    if (clauses[i].code != 0) {
      bc[k].code = (unsigned char)clauses[i].code;
      bc[k].yes = 8;
      bc[k++].no = (unsigned short)(total - at + 4);
      bc[k].code = INET_DIAG_BC_NOP, bc[k].yes = 0, bc[k++].no = port;
      at += 8;
    } else {
      bc[k].code = INET_DIAG_BC_S_EQ, bc[k].yes = 8, bc[k++].no = 12;
      bc[k].code = INET_DIAG_BC_NOP, bc[k].yes = 0, bc[k++].no = port;
      bc[k].code = INET_DIAG_BC_JMP, bc[k].yes = 4, bc[k++].no = 12;
      bc[k].code = INET_DIAG_BC_D_EQ, bc[k].yes = 8;
      bc[k++].no = (unsigned short)(total - (at + 12) + 4);
      bc[k].code = INET_DIAG_BC_NOP, bc[k].yes = 0, bc[k++].no = port;
      at += 20;
    }
  }
  return total;
}

/* One inet_diag dump of one address family. */
static int skc__diag_dump(int af, skc__audit *audit, int with_bytecode) {
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
    struct rtattr rta;
    struct inet_diag_bc_op bc[16];
  } msg;
  struct sockaddr_nl kernel;
  unsigned char *buf;
  size_t bclen = 0;
  int fd, err = 0, done = 0, saved;

  memset(&msg, 0, sizeof msg);
  if (with_bytecode)
    bclen = skc__diag_bytecode(&audit->options, msg.bc);
  msg.nlh.nlmsg_len = (unsigned int)NLMSG_LENGTH(
      sizeof msg.req + (bclen != 0 ? RTA_SPACE(bclen) : 0));
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = 1;
  msg.req.sdiag_family = (unsigned char)af;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = skc__linux_states(audit->options.states);
  if (bclen != 0) {
    msg.rta.rta_type = INET_DIAG_REQ_BYTECODE;
    msg.rta.rta_len = (unsigned short)RTA_LENGTH(bclen);
  }

  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0)
    return skc__plat_translate(errno);
  buf = malloc(SKC__DIAG_BUFFER);
  if (buf == NULL) {
    close(fd);
    return skc__plat_reject(SKC_ENOMEM);
  }
  memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &msg, msg.nlh.nlmsg_len, 0, (struct sockaddr *)&kernel,
             sizeof kernel) < 0)
    err = skc__plat_translate(errno);
  while (err == 0 && !done) {
    ssize_t n = recv(fd, buf, SKC__DIAG_BUFFER, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err = skc__plat_translate(errno);
    } else if (n == 0) {
      err = skc__proto_error();
    } else {
      int r = skc__linux_parse_diag(buf, (size_t)n, audit);
      if (r < 0)
        err = r;
      done = r == 1;
    }
  }
  saved = errno;
  free(buf);
  close(fd);
  errno = saved;
  return err;
}

/* One family from netlink, with the port filters in the kernel when it
 * knows INET_DIAG_BC_S_EQ/D_EQ (Linux 4.17); older kernels refuse the
 * program with EINVAL, and the filter then runs here. */
static int skc__netlink_family(int af, skc__audit *audit) {
  size_t before = audit->count;
  const skc_audit_options *o = &audit->options;
  int with_bytecode = o->port != 0 || o->local_port != 0 || o->remote_port != 0;
  int err = skc__diag_dump(af, audit, with_bytecode);
  if (err == SKC_EINVAL && with_bytecode && audit->count == before)
    err = skc__diag_dump(af, audit, 0);
  return err;
}

static int skc__procfs_family(const char *path, int family,
                              skc__audit *audit) {
  char *buf;
  size_t size = 65536, used = 0;
  int fd, err = 0, saved;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    /* No tcp6 file when IPv6 is disabled: no IPv6 connections. */
    if (errno == ENOENT && family == SKC_FAMILY_IPV6)
      return 0;
    return skc__plat_translate(errno);
  }
  buf = malloc(size);
  if (buf == NULL) {
    close(fd);
    return skc__plat_reject(SKC_ENOMEM);
  }
  for (;;) {
    size_t consumed;
    ssize_t n = read(fd, buf + used, size - used);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      err = skc__plat_translate(errno);
      break;
    }
    if (n == 0)
      break;
    used += (size_t)n;
    err = skc__linux_parse_proc_tcp(buf, used, family, audit, &consumed);
    if (err != 0)
      break;
    memmove(buf, buf + consumed, used - consumed);
    used -= consumed;
    if (used == size) {
      /* A line longer than the buffer is no line of this file. */
      err = skc__proto_error();
      break;
    }
  }
  saved = errno;
  free(buf);
  close(fd);
  errno = saved;
  return err;
}

/* Order of rows by address pair and inode, for finding repeats. */
static int skc__row_order(const void *a, const void *b) {
  const skc_connection *x = a, *y = b;
  int c = skc__endpoint_compare(&x->local, &y->local);
  if (c == 0)
    c = skc__endpoint_compare(&x->remote, &y->remote);
  if (c == 0)
    c = x->inode < y->inode ? -1 : x->inode > y->inode;
  return c;
}

/* Neither source is a snapshot: a netlink dump resumes each batch by its
 * position in a hash bucket, and /proc/net/tcp each read() by its line
 * position (tcp_seek_last_pos), so sockets created or destroyed meanwhile
 * shift the others, which may then be listed twice (or not at all). Rows
 * audit->rows[from..] that repeat a socket (same address pair and inode)
 * are dropped; the rest come out sorted by address. */
static void skc__drop_repeats(skc__audit *audit, size_t from) {
  size_t i, kept;
  size_t n = audit->count - from;
  skc_connection *rows;
  if (n < 2)
    return;
  rows = audit->rows + from;
  qsort(rows, n, sizeof *rows, skc__row_order);
  for (i = 1, kept = 1; i < n; i++)
    if (skc__row_order(&rows[i], &rows[kept - 1]) != 0)
      rows[kept++] = rows[i];
  audit->count = from + kept;
}

int skc__linux_audit_list(skc__audit *audit) {
  static const struct {
    int af;
    int family;
    const char *path;
  } families[2] = {{AF_INET, SKC_FAMILY_IPV4, "/proc/net/tcp"},
                   {AF_INET6, SKC_FAMILY_IPV6, "/proc/net/tcp6"}};
  int source = audit->options.source;
  size_t i;
  for (i = 0; i < 2; i++) {
    size_t before = audit->count;
    int err = 0;
    if (audit->options.family != 0 &&
        audit->options.family != families[i].family)
      continue;
    if (source != SKC_AUDIT_SOURCE_PROCFS) {
      err = skc__netlink_family(families[i].af, audit);
      if (err == 0) {
        skc__drop_repeats(audit, before);
        continue;
      }
      if (source == SKC_AUDIT_SOURCE_NETLINK)
        return err;
      /* Netlink refused (a sandbox, a kernel without inet_diag or
       * without IPv6): read the family again from /proc. */
      audit->count = before;
    }
    err = skc__procfs_family(families[i].path, families[i].family, audit);
    if (err != 0)
      return err;
    skc__drop_repeats(audit, before);
  }
  return 0;
}

/* ---- owners ---- */

typedef struct skc__inode_index {
  unsigned long long inode;
  size_t row;
} skc__inode_index;

static int skc__inode_order(const void *a, const void *b) {
  unsigned long long x = ((const skc__inode_index *)a)->inode;
  unsigned long long y = ((const skc__inode_index *)b)->inode;
  return x < y ? -1 : x > y;
}

static void skc__read_comm(const char *pid, char *name, size_t size) {
  char path[64];
  ssize_t n;
  int fd;
  name[0] = '\0';
  (void)snprintf(path, sizeof path, "/proc/%s/comm", pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  n = read(fd, name, size - 1);
  close(fd);
  if (n <= 0)
    n = 0;
  name[n] = '\0';
  if (n > 0 && name[n - 1] == '\n')
    name[n - 1] = '\0';
}

/* Why /proc/PID/fd could not be read: the process is gone (ENOENT, or
 * ESRCH from a directory whose process exited) or belongs to another user
 * (EACCES, EPERM). */
static int skc__process_unreadable(int native) {
  return native == ENOENT || native == ESRCH || native == EACCES ||
         native == EPERM;
}

/* Match the sockets in /proc/PID/fd against the index. When scanning
 * every process (only), a process that has exited or whose descriptors
 * this user may not read is skipped: its sockets keep pid -1. Any other
 * failure (descriptors or memory running out, a read error) is returned:
 * skipping it would present unknown owners as a complete answer. For the
 * one process of a pid filter every failure is returned, a process that
 * does not exist as SKC_ESRCH. */
static int skc__scan_process(const char *pid, skc__audit *audit,
                             const skc__inode_index *index, size_t n,
                             int only) {
  char path[64], link[64], name[SKC_PROCESS_NAME_MAX];
  long pid_value = strtol(pid, NULL, 10);
  int have_name = 0, err = 0, saved;
  DIR *dir;
  (void)snprintf(path, sizeof path, "/proc/%s/fd", pid);
  dir = opendir(path);
  if (dir == NULL) {
    if (only && errno == ENOENT)
      errno = ESRCH;
    return !only && skc__process_unreadable(errno) ? 0
                                                   : skc__plat_translate(errno);
  }
  for (;;) {
    struct dirent *entry;
    ssize_t len;
    unsigned long long inode;
    size_t lo = 0, hi = n;
    /* readdir(3): NULL with errno unchanged at the end, errno set on an
     * error. */
    errno = 0;
    entry = readdir(dir);
    if (entry == NULL) {
      if (errno != 0 && (only || !skc__process_unreadable(errno)))
        err = skc__plat_translate(errno);
      break;
    }
    if (entry->d_name[0] == '.')
      continue;
    len = readlinkat(dirfd(dir), entry->d_name, link, sizeof link);
    if (len < 0 && errno == ENOENT)
      continue; /* closed since it was listed */
    if (len < 0) {
      if (only || !skc__process_unreadable(errno))
        err = skc__plat_translate(errno);
      break;
    }
    if (len == 0 || (size_t)len >= sizeof link)
      continue; /* longer than any "socket:[inode]" */
    inode = skc__linux_socket_inode(link, (size_t)len);
    if (inode == 0)
      continue;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (index[mid].inode < inode)
        lo = mid + 1;
      else
        hi = mid;
    }
    for (; lo < n && index[lo].inode == inode; lo++) {
      skc_connection *row = &audit->rows[index[lo].row];
      if (row->pid > 0 && row->pid <= pid_value)
        continue;
      if (!have_name) {
        skc__read_comm(pid, name, sizeof name);
        have_name = 1;
      }
      row->pid = pid_value;
      memcpy(row->process, name, sizeof name);
    }
  }
  saved = errno;
  closedir(dir);
  errno = saved;
  return err;
}

int skc__linux_audit_owners(skc__audit *audit) {
  skc__inode_index *index;
  size_t n = 0, i;
  int err = 0;
  index = malloc((audit->count > 0 ? audit->count : 1) * sizeof *index);
  if (index == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  for (i = 0; i < audit->count; i++) {
    skc_connection *row = &audit->rows[i];
    if (row->inode == 0) {
      /* No socket object: TIME_WAIT, or closed by its program and still
       * finishing. No process holds it. */
      row->pid = 0;
      row->process[0] = '\0';
      continue;
    }
    index[n].inode = row->inode;
    index[n++].row = i;
  }
  if (n > 0 || audit->options.pid != 0) {
    qsort(index, n, sizeof *index, skc__inode_order);
    if (audit->options.pid != 0) {
      char pid[32];
      (void)snprintf(pid, sizeof pid, "%ld", audit->options.pid);
      err = skc__scan_process(pid, audit, index, n, 1);
    } else {
      DIR *proc = opendir("/proc");
      int saved;
      if (proc == NULL) {
        err = skc__plat_translate(errno);
        free(index);
        return err;
      }
      for (;;) {
        struct dirent *entry;
        errno = 0;
        entry = readdir(proc);
        if (entry == NULL) {
          if (errno != 0)
            err = skc__plat_translate(errno);
          break;
        }
        if (isdigit((unsigned char)entry->d_name[0]))
          err = skc__scan_process(entry->d_name, audit, index, n, 0);
        if (err != 0)
          break;
      }
      saved = errno;
      closedir(proc);
      errno = saved;
    }
  }
  free(index);
  return err;
}

#endif /* __linux__ */
