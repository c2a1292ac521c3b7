/*
 * POSIX: the machine's connection table (Linux in audit_linux.c, macOS
 * through libproc here) and this process's own sockets for the leak
 * check.
 */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* dirfd */
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* libproc, FIONREAD */
#endif
#include "../platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__linux__)
#include "audit_linux.h"

#include <dirent.h>
#elif defined(__APPLE__)
#include <arpa/inet.h>
#include <libproc.h>
#include <netinet/in.h>
#include <sys/proc_info.h>
#endif

/* ---- the table ---- */

#if defined(__APPLE__)
/* libproc (proc_info.h) describes the sockets each process holds; the
 * kernel's own table (net.inet.tcp.pcblist_n) would add the connections no
 * process holds, such as TIME_WAIT, which this listing does not show. */

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

/* The sockets of one process; with "owners" set, pid and name. A socket
 * shared by several processes is listed once, for the lowest pid. */
static int skc__macos_process(int pid, skc__audit *audit, int owners) {
  struct proc_fdinfo *fds;
  int bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, NULL, 0);
  int count, i, err = 0;
  char name[SKC_PROCESS_NAME_MAX] = "";
  if (bytes <= 0)
    return 0;
  fds = malloc((size_t)bytes);
  if (fds == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  bytes = proc_pidinfo(pid, PROC_PIDLISTFDS, 0, fds, bytes);
  count = bytes > 0 ? bytes / (int)PROC_PIDLISTFD_SIZE : 0;
  if (owners)
    proc_name(pid, name, sizeof name);
  for (i = 0; i < count && err == 0; i++) {
    struct socket_fdinfo si;
    skc_connection row;
    size_t j;
    int duplicate = 0;
    if (fds[i].proc_fdtype != PROX_FDTYPE_SOCKET)
      continue;
    if (proc_pidfdinfo(pid, fds[i].proc_fd, PROC_PIDFDSOCKETINFO, &si,
                       PROC_PIDFDSOCKETINFO_SIZE) != PROC_PIDFDSOCKETINFO_SIZE)
      continue;
    if (si.psi.soi_kind != SOCKINFO_TCP)
      continue;
    memset(&row, 0, sizeof row);
    row.state = skc__tcp_state_from_bsd(si.psi.soi_proto.pri_tcp.tcpsi_state);
    if (row.state == 0)
      continue;
    skc__macos_endpoint(&si.psi.soi_proto.pri_tcp.tcpsi_ini, 1, &row.local);
    skc__macos_endpoint(&si.psi.soi_proto.pri_tcp.tcpsi_ini, 0, &row.remote);
    row.recv_queue = si.psi.soi_rcv.sbi_cc;
    row.send_queue = si.psi.soi_snd.sbi_cc;
    row.pid = owners ? pid : -1;
    if (owners)
      memcpy(row.process, name, sizeof name);
    for (j = 0; j < audit->count && !duplicate; j++)
      duplicate = audit->rows[j].state == row.state &&
                  skc__endpoint_compare(&audit->rows[j].local, &row.local) == 0 &&
                  skc__endpoint_compare(&audit->rows[j].remote, &row.remote) == 0;
    if (!duplicate)
      err = skc__audit_add(audit, &row);
  }
  free(fds);
  return err;
}

static int skc__macos_list(skc__audit *audit) {
  int *pids;
  int n = proc_listallpids(NULL, 0), i, err = 0;
  int owners = audit->options.owners || audit->options.pid != 0;
  if (n <= 0)
    return skc__plat_translate(errno);
  n += 64; /* processes started since */
  pids = malloc((size_t)n * sizeof *pids);
  if (pids == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  n = proc_listallpids(pids, n * (int)sizeof *pids);
  /* Ascending pids, so that a shared socket is kept for the lowest. */
  for (i = 1; i < n; i++) {
    int v = pids[i], j = i;
    for (; j > 0 && pids[j - 1] > v; j--)
      pids[j] = pids[j - 1];
    pids[j] = v;
  }
  for (i = 0; i < n && err == 0; i++)
    if (audit->options.pid == 0 || audit->options.pid == pids[i])
      err = skc__macos_process(pids[i], audit, owners);
  free(pids);
  return err;
}
#endif /* __APPLE__ */

int skc__plat_audit_list(skc__audit *audit) {
#if defined(__linux__)
  return skc__linux_audit_list(audit);
#else
  if (audit->options.source != SKC_AUDIT_SOURCE_AUTO)
    return skc__plat_reject(SKC_ENOTSUP);
#if defined(__APPLE__)
  return skc__macos_list(audit);
#else
  return skc__plat_reject(SKC_ENOTSUP);
#endif
#endif
}

int skc__plat_audit_owners(skc__audit *audit) {
#if defined(__linux__)
  return skc__linux_audit_owners(audit);
#else
  /* libproc lists per process: the owners are known already. */
  (void)audit;
  return 0;
#endif
}

/* ---- this process's sockets ---- */

static int skc__own_add(skc__own_socket **list, size_t *count,
                        size_t *capacity, int fd, unsigned long long id) {
  if (*count == *capacity) {
    size_t grown = *capacity == 0 ? 32 : *capacity * 2;
    skc__own_socket *bigger = realloc(*list, grown * sizeof *bigger);
    if (bigger == NULL)
      return skc__plat_reject(SKC_ENOMEM);
    *list = bigger;
    *capacity = grown;
  }
  (*list)[*count].handle = fd;
  (*list)[*count].id = id;
  (*count)++;
  return 0;
}

int skc__plat_own_sockets(skc__own_socket **sockets, size_t *count) {
  skc__own_socket *list = NULL;
  size_t n = 0, capacity = 0;
  int err = 0;
#if defined(__linux__)
  /* proc(5) /proc/self/fd: one link per open descriptor, "socket:[inode]"
   * for a socket. */
  struct dirent *entry;
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL)
    return skc__plat_translate(errno);
  while (err == 0) {
    char link[64];
    ssize_t len;
    unsigned long long inode;
    int fd;
    /* readdir(3): NULL with errno unchanged at the end, errno set on an
     * error, which must not pass for the end of the list. */
    errno = 0;
    entry = readdir(dir);
    if (entry == NULL) {
      if (errno != 0)
        err = skc__plat_translate(errno);
      break;
    }
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
      continue;
    fd = (int)strtol(entry->d_name, NULL, 10);
    if (fd == dirfd(dir))
      continue;
    len = readlinkat(dirfd(dir), entry->d_name, link, sizeof link);
    if (len < 0 && errno != ENOENT) {
      err = skc__plat_translate(errno);
      break;
    }
    /* ENOENT: closed since it was listed; longer than any
     * "socket:[inode]": not a socket. */
    if (len <= 0 || (size_t)len >= sizeof link)
      continue;
    inode = skc__linux_socket_inode(link, (size_t)len);
    if (inode != 0)
      err = skc__own_add(&list, &n, &capacity, fd, inode);
  }
  {
    int saved = errno;
    closedir(dir);
    errno = saved;
  }
#elif defined(__APPLE__)
  int bytes = proc_pidinfo(getpid(), PROC_PIDLISTFDS, 0, NULL, 0);
  struct proc_fdinfo *fds;
  int i, total;
  if (bytes <= 0)
    return skc__plat_translate(errno);
  bytes += 16 * (int)PROC_PIDLISTFD_SIZE; /* descriptors opened since */
  fds = malloc((size_t)bytes);
  if (fds == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  bytes = proc_pidinfo(getpid(), PROC_PIDLISTFDS, 0, fds, bytes);
  total = bytes > 0 ? bytes / (int)PROC_PIDLISTFD_SIZE : 0;
  for (i = 0; i < total && err == 0; i++)
    if (fds[i].proc_fdtype == PROX_FDTYPE_SOCKET)
      err = skc__own_add(&list, &n, &capacity, fds[i].proc_fd, 0);
  free(fds);
#else
  /* No listing of descriptors: ask every number below the limit. */
  long max = sysconf(_SC_OPEN_MAX);
  int fd;
  if (max < 0 || max > 65536)
    max = 65536;
  for (fd = 0; fd < (int)max && err == 0; fd++) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
      err = skc__own_add(&list, &n, &capacity, fd, (unsigned long long)st.st_ino);
  }
#endif
  if (err != 0) {
    free(list);
    return err;
  }
  *sockets = list;
  *count = n;
  return 0;
}

long long skc__plat_bytes_unread(skc_socket_t s) {
  int n = 0;
  if (ioctl(s, FIONREAD, &n) != 0)
    return skc__plat_translate(errno);
  return n;
}
