/*
 * POSIX: the machine's connection table (Linux in audit_linux.c, macOS in
 * audit_macos.c) and this process's own sockets for the leak check.
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
#include "audit_macos.h"

#include <libproc.h>
#include <sys/proc_info.h>
#endif

/* ---- the table ---- */

int skc__plat_audit_list(skc__audit *audit) {
#if defined(__linux__)
  return skc__linux_audit_list(audit);
#else
  if (audit->options.source != SKC_AUDIT_SOURCE_AUTO)
    return skc__plat_reject(SKC_ENOTSUP);
#if defined(__APPLE__)
  return skc__macos_audit_list(audit);
#else
  return skc__plat_reject(SKC_ENOTSUP);
#endif
#endif
}

int skc__plat_audit_owners(skc__audit *audit) {
#if defined(__linux__)
  return skc__linux_audit_owners(audit);
#elif defined(__APPLE__)
  return skc__macos_audit_owners(audit);
#else
  (void)audit;
  return skc__plat_reject(SKC_ENOTSUP);
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
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL)
    return skc__plat_translate(errno);
  while (err == 0) {
    struct dirent *entry;
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
