/*
 * macOS: the machine's connection table from the kernel, as netstat reads
 * it (the net.inet.tcp.pcblist_n sysctl), with owners from libproc.
 *
 * libproc alone (proc_pidfdinfo) sees only the sockets a process still
 * holds: connections in TIME_WAIT and those whose program has closed them
 * (FIN_WAIT_2 after close, LAST_ACK) belong to no process and never
 * appear there. The kernel's own table has every connection.
 *
 * The records of pcblist_n are xnu's private structures (bsd/netinet/
 * in_pcb.h, tcp_var.h, sys/socketvar.h), which the SDK does not ship.
 * Their layout is fixed by the kernel ABI that netstat depends on; the
 * offsets below are those of xnu's definitions, which are declared inside
 * #pragma pack(4) (so a 64-bit member may sit at a 4-byte offset). Each
 * record carries its own length, which is checked before every read.
 */
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* sysctlbyname, libproc */
#endif
#include "audit_macos.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__APPLE__)
#include <libproc.h>
#include <netinet/in.h>
#include <sys/proc_info.h>
#include <sys/sysctl.h>
#include <sys/types.h>
#endif

/* Record kinds (sys/socketvar.h: XSO_*). A TCP connection is one run of
 * socket, receive buffer, send buffer, statistics, inpcb and tcpcb items,
 * in that order (in_pcblist.c: get_pcblist_n). */
#define SKC__XSO_SOCKET 0x001u
#define SKC__XSO_RCVBUF 0x002u
#define SKC__XSO_SNDBUF 0x004u
#define SKC__XSO_STATS 0x008u
#define SKC__XSO_INPCB 0x010u
#define SKC__XSO_TCPCB 0x020u
#define SKC__XSO_ALL_TCP                                                       \
  (SKC__XSO_SOCKET | SKC__XSO_RCVBUF | SKC__XSO_SNDBUF | SKC__XSO_STATS |      \
   SKC__XSO_INPCB | SKC__XSO_TCPCB)

/* struct xinpgen: u_int32_t xig_len; u_int xig_count; inp_gen_t (u_quad_t)
 * xig_gen at 8; so_gen_t xig_sogen at 16. 24 bytes. */
#define SKC__XIG_GEN 8
#define SKC__XIG_SIZE 24

/* struct xinpcb_n: xi_len 0, xi_kind 4, xi_inpp 8, inp_fport 16,
 * inp_lport 18 (network order), inp_ppcb 20, inp_gencnt 28, inp_flags 36,
 * inp_flow 40, inp_vflag 44, inp_ip_ttl 45, inp_ip_p 46, then the foreign
 * and local address unions at 48 and 64: a struct in6_addr, or for IPv4 a
 * struct in_addr_4in6 whose IPv4 address is its last 4 bytes. */
#define SKC__XI_FPORT 16
#define SKC__XI_LPORT 18
#define SKC__XI_GENCNT 28
#define SKC__XI_VFLAG 44
#define SKC__XI_FADDR 48
#define SKC__XI_LADDR 64
#define SKC__XI_END 80
#define SKC__INP_IPV4 0x1u
#define SKC__INP_IPV6 0x2u

/* struct xtcpcb_n: xt_len 0, xt_kind 4, t_segq 8 (u_int64_t), t_dupacks 16,
 * t_timer[TCPT_NTIMERS_EXT = 4] 20, t_state 36 (TCPS_*). */
#define SKC__XT_STATE 36
/* struct xsockbuf_n: xsb_len 0, xsb_kind 4, sb_cc 8 (bytes queued). */
#define SKC__XSB_CC 8

/* Items are padded to a multiple of 8 bytes (ROUNDUP64 in xnu). */
static size_t skc__roundup8(uint32_t n) {
  return n == 0 ? 8 : (((size_t)n - 1) | 7u) + 1;
}

static uint32_t skc__u32(const unsigned char *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static uint64_t skc__u64(const unsigned char *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

static unsigned short skc__port(const unsigned char *p) {
  return (unsigned short)((p[0] << 8) | p[1]); /* network order */
}

static void skc__xnu_endpoint(const unsigned char *inp, size_t at,
                              size_t port_at, int ipv6, skc_endpoint *e) {
  memset(e, 0, sizeof *e);
  e->port = skc__port(inp + port_at);
  if (ipv6) {
    e->family = SKC_FAMILY_IPV6;
    memcpy(e->address, inp + at, 16);
  } else {
    e->family = SKC_FAMILY_IPV4;
    memcpy(e->address, inp + at + 12, 4);
  }
}

int skc__xnu_parse_pcblist(const void *buf, size_t len, skc__audit *audit) {
  const unsigned char *base = buf;
  const unsigned char *inp = NULL, *tcp = NULL;
  long long recv_queue = -1, send_queue = -1;
  uint64_t generation;
  unsigned seen = 0;
  size_t at;
  if (len < SKC__XIG_SIZE || skc__u32(base) < SKC__XIG_SIZE ||
      skc__roundup8(skc__u32(base)) > len)
    return SKC_EPROTO;
  generation = skc__u64(base + SKC__XIG_GEN);
  for (at = skc__roundup8(skc__u32(base)); at + 8 <= len;) {
    const unsigned char *item = base + at;
    uint32_t item_len = skc__u32(item), kind = skc__u32(item + 4);
    /* The closing struct xinpgen ends the list; every item is longer
     * (netstat stops the same way). */
    if (item_len <= SKC__XIG_SIZE)
      break;
    if (item_len > len - at)
      return SKC_EPROTO;
    if (kind == SKC__XSO_SOCKET) {
      /* A new connection starts: forget a previous incomplete run. */
      seen = 0;
      inp = tcp = NULL;
      recv_queue = send_queue = -1;
    }
    switch (kind) {
    case SKC__XSO_RCVBUF:
    case SKC__XSO_SNDBUF:
      if (item_len < SKC__XSB_CC + 4)
        return SKC_EPROTO;
      if (kind == SKC__XSO_RCVBUF)
        recv_queue = skc__u32(item + SKC__XSB_CC);
      else
        send_queue = skc__u32(item + SKC__XSB_CC);
      break;
    case SKC__XSO_INPCB:
      if (item_len < SKC__XI_END)
        return SKC_EPROTO;
      inp = item;
      break;
    case SKC__XSO_TCPCB:
      if (item_len < SKC__XT_STATE + 4)
        return SKC_EPROTO;
      tcp = item;
      break;
    default:
      break;
    }
    seen |= kind & SKC__XSO_ALL_TCP;
    at += skc__roundup8(item_len);
    if (seen == SKC__XSO_ALL_TCP && inp != NULL && tcp != NULL) {
      skc_connection row;
      unsigned vflag = inp[SKC__XI_VFLAG];
      int ipv6 = (vflag & SKC__INP_IPV4) == 0;
      int err;
      seen = 0;
      /* A connection created while the kernel copied the list (netstat
       * skips these too), or neither IPv4 nor IPv6. */
      if (skc__u64(inp + SKC__XI_GENCNT) > generation ||
          (vflag & (SKC__INP_IPV4 | SKC__INP_IPV6)) == 0)
        continue;
      memset(&row, 0, sizeof row);
      row.state = skc__tcp_state_from_bsd((int)skc__u32(tcp + SKC__XT_STATE));
      if (row.state == 0)
        continue;
      skc__xnu_endpoint(inp, SKC__XI_LADDR, SKC__XI_LPORT, ipv6, &row.local);
      skc__xnu_endpoint(inp, SKC__XI_FADDR, SKC__XI_FPORT, ipv6, &row.remote);
      row.recv_queue = recv_queue;
      row.send_queue = send_queue;
      row.pid = -1;
      err = skc__audit_add(audit, &row);
      if (err != 0)
        return err;
    }
  }
  return 0;
}

#if defined(__APPLE__)
int skc__macos_audit_list(skc__audit *audit) {
  static const char name[] = "net.inet.tcp.pcblist_n";
  void *buf = NULL;
  size_t len = 0;
  int tries, err;
  /* The table grows between the two calls: ask for room and some more,
   * and again when it still did not fit. */
  for (tries = 0; tries < 5; tries++) {
    if (sysctlbyname(name, NULL, &len, NULL, 0) != 0)
      return skc__plat_translate(errno);
    len += len / 4 + 4096;
    free(buf);
    buf = malloc(len);
    if (buf == NULL)
      return skc__plat_reject(SKC_ENOMEM);
    if (sysctlbyname(name, buf, &len, NULL, 0) == 0)
      break;
    if (errno != ENOMEM) {
      err = skc__plat_translate(errno);
      free(buf);
      return err;
    }
  }
  if (tries == 5) {
    free(buf);
    return skc__plat_reject(SKC_ENOMEM);
  }
  err = skc__xnu_parse_pcblist(buf, len, audit);
  free(buf);
  return err;
}

static void skc__macos_endpoint(const struct in_sockinfo *in, int local,
                                skc_endpoint *e) {
  memset(e, 0, sizeof *e);
  e->port = ntohs((unsigned short)(local ? in->insi_lport : in->insi_fport));
  if (in->insi_vflag & INI_IPV4) {
    e->family = SKC_FAMILY_IPV4;
    memcpy(e->address,
           local ? &in->insi_laddr.ina_46.i46a_addr4
                 : &in->insi_faddr.ina_46.i46a_addr4,
           4);
  } else {
    e->family = SKC_FAMILY_IPV6;
    memcpy(e->address, local ? &in->insi_laddr.ina_6 : &in->insi_faddr.ina_6,
           16);
  }
}

/* Give the rows that one process's TCP sockets match their owner, unless
 * a lower pid already holds them (the rows' documented rule). */
static int skc__macos_owner_of(int pid, skc__audit *audit) {
  struct proc_fdinfo *fds;
  int bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, NULL, 0);
  int count, i;
  char name[SKC_PROCESS_NAME_MAX] = "";
  if (bytes <= 0)
    return 0; /* gone, or another user's: not known */
  fds = malloc((size_t)bytes);
  if (fds == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, fds, bytes);
  count = bytes > 0 ? bytes / (int)PROC_PIDLISTFD_SIZE : 0;
  proc_name(pid, name, sizeof name);
  for (i = 0; i < count; i++) {
    struct socket_fdinfo si;
    skc_endpoint local, remote;
    size_t j;
    if (fds[i].proc_fdtype != PROX_FDTYPE_SOCKET)
      continue;
    if (proc_pidfdinfo(pid, fds[i].proc_fd, PROC_PIDFDSOCKETINFO, &si,
                       PROC_PIDFDSOCKETINFO_SIZE) != PROC_PIDFDSOCKETINFO_SIZE)
      continue;
    if (si.psi.soi_kind != SOCKINFO_TCP)
      continue;
    skc__macos_endpoint(&si.psi.soi_proto.pri_tcp.tcpsi_ini, 1, &local);
    skc__macos_endpoint(&si.psi.soi_proto.pri_tcp.tcpsi_ini, 0, &remote);
    for (j = 0; j < audit->count; j++) {
      skc_connection *row = &audit->rows[j];
      if ((row->pid <= 0 || pid < row->pid) &&
          skc__endpoint_compare(&row->local, &local) == 0 &&
          skc__endpoint_compare(&row->remote, &remote) == 0) {
        row->pid = pid;
        memcpy(row->process, name, sizeof name);
      }
    }
  }
  free(fds);
  return 0;
}

/* Each row gets its lowest owner. A TIME_WAIT row is held by no process
 * (pid 0); another row that no visible process holds stays -1: it may be
 * a connection its program closed, or a socket of a process this user
 * may not inspect, and libproc cannot tell the two apart. */
int skc__macos_audit_owners(skc__audit *audit) {
  int *pids;
  int n, i, err = 0;
  size_t j;
  for (j = 0; j < audit->count; j++)
    audit->rows[j].pid = audit->rows[j].state == SKC_TCP_TIME_WAIT ? 0 : -1;
  if (audit->options.pid != 0)
    return skc__macos_owner_of((int)audit->options.pid, audit);
  n = proc_listallpids(NULL, 0);
  if (n <= 0)
    return skc__plat_translate(errno);
  n += 64; /* processes started since */
  pids = malloc((size_t)n * sizeof *pids);
  if (pids == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  n = proc_listallpids(pids, n * (int)sizeof *pids);
  for (i = 0; i < n && err == 0; i++)
    err = skc__macos_owner_of(pids[i], audit);
  free(pids);
  return err;
}
#endif /* __APPLE__ */
