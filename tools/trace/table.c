/*
 * The descriptor table and the interned creation stacks.
 *
 * Every interposed call may run on any thread, and close(), dup(), dup2()
 * and fcntl() may run in a signal handler, so nothing here takes a lock
 * or calls malloc: the table is two-level (chunks of descriptors mapped
 * with mmap on first use and installed with compare-and-swap), each record
 * is written under its own sequence counter (odd while written; a writer
 * that finds it odd gives up instead of waiting), and the stacks are
 * interned in a fixed open-addressing table whose slots are claimed with
 * compare-and-swap.
 */
#define _GNU_SOURCE
#include "trace.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define SKC_TRACE_CHUNK 1024
#define SKC_TRACE_CHUNKS (SKC_TRACE_MAX_FD / SKC_TRACE_CHUNK)

/* One descriptor's record: 32 bytes. */
typedef struct skc__trace_entry {
  _Atomic uint32_t seq;
  _Atomic uint32_t site;
  _Atomic uint32_t origin_site;
  _Atomic uint32_t kind;
  _Atomic uint64_t inode;
  _Atomic int64_t first_seen_ns;
} skc__trace_entry;

static _Atomic(skc__trace_entry *) skc__chunks[SKC_TRACE_CHUNKS];
static _Atomic int skc__fd_limit;

/* Slot states of the site table. */
enum { SKC_SLOT_EMPTY, SKC_SLOT_WRITING, SKC_SLOT_READY };
static _Atomic uint32_t skc__slot_state[SKC_TRACE_MAX_SITES];
static skc__trace_site skc__sites[SKC_TRACE_MAX_SITES];

/* The tracer's own code, whose frames are dropped from every stack. */
static uintptr_t skc__self_begin, skc__self_end;

static int skc__find_self(struct dl_phdr_info *info, size_t size, void *arg) {
  uintptr_t probe = (uintptr_t)arg;
  (void)size;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t begin = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && probe >= begin && probe < begin + ph->p_memsz) {
      skc__self_begin = begin;
      skc__self_end = begin + ph->p_memsz;
      return 1;
    }
  }
  return 0;
}

void skc__trace_table_init(void) {
  void *warm[2];
  dl_iterate_phdr(skc__find_self, (void *)(uintptr_t)&skc__trace_capture);
  /* backtrace() loads the unwinder (libgcc_s) on its first call, with
   * malloc and the loader lock: do that now, not inside a signal
   * handler's dup2(). */
  (void)backtrace(warm, 2);
}

static skc__trace_entry *skc__entry(int fd, int create) {
  skc__trace_entry *chunk, *fresh, *expected = NULL;
  if (fd < 0 || fd >= SKC_TRACE_MAX_FD)
    return NULL;
  chunk = atomic_load_explicit(&skc__chunks[fd / SKC_TRACE_CHUNK], memory_order_acquire);
  if (chunk == NULL && create) {
    fresh = mmap(NULL, sizeof(skc__trace_entry) * SKC_TRACE_CHUNK,
                 PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED)
      return NULL;
    if (atomic_compare_exchange_strong(&skc__chunks[fd / SKC_TRACE_CHUNK], &expected, fresh)) {
      chunk = fresh;
    } else {
      munmap(fresh, sizeof(skc__trace_entry) * SKC_TRACE_CHUNK);
      chunk = expected;
    }
    {
      int limit = atomic_load(&skc__fd_limit);
      int want = (fd / SKC_TRACE_CHUNK + 1) * SKC_TRACE_CHUNK;
      while (limit < want && !atomic_compare_exchange_weak(&skc__fd_limit, &limit, want)) {
      }
    }
  }
  return chunk != NULL ? &chunk[fd % SKC_TRACE_CHUNK] : NULL;
}

int skc__trace_fd_limit(void) { return atomic_load(&skc__fd_limit); }

/* Write a record; gives up (the record stays as it was) when another
 * writer holds it, which only a program racing on one descriptor number,
 * or a signal handler interrupting the write, can cause. */
static void skc__write(int fd, uint32_t site, uint32_t origin, int kind, uint64_t inode) {
  skc__trace_entry *e = skc__entry(fd, site != 0);
  uint32_t seq;
  if (e == NULL)
    return;
  seq = atomic_load(&e->seq);
  if ((seq & 1u) != 0 || !atomic_compare_exchange_strong(&e->seq, &seq, seq + 1))
    return;
  atomic_store_explicit(&e->site, site, memory_order_relaxed);
  atomic_store_explicit(&e->origin_site, origin, memory_order_relaxed);
  atomic_store_explicit(&e->kind, (uint32_t)kind, memory_order_relaxed);
  atomic_store_explicit(&e->inode, inode, memory_order_relaxed);
  atomic_store_explicit(&e->first_seen_ns, 0, memory_order_relaxed);
  atomic_store_explicit(&e->seq, seq + 2, memory_order_release);
}

int skc__trace_read(int fd, skc__trace_record *out) {
  skc__trace_entry *e = skc__entry(fd, 0);
  if (e == NULL)
    return -1;
  for (int attempt = 0; attempt < 100; attempt++) {
    uint32_t before = atomic_load_explicit(&e->seq, memory_order_acquire);
    if ((before & 1u) != 0)
      continue;
    out->site = atomic_load_explicit(&e->site, memory_order_relaxed);
    out->origin_site = atomic_load_explicit(&e->origin_site, memory_order_relaxed);
    out->kind = (int)atomic_load_explicit(&e->kind, memory_order_relaxed);
    out->inode = atomic_load_explicit(&e->inode, memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&e->seq, memory_order_relaxed) == before)
      return out->site != 0 ? 0 : -1;
  }
  return -1;
}

int skc__trace_is_recorded(int fd) {
  skc__trace_entry *e = skc__entry(fd, 0);
  return e != NULL && atomic_load_explicit(&e->site, memory_order_relaxed) != 0;
}

int64_t skc__trace_first_seen(int fd, uint32_t site, int64_t now) {
  skc__trace_entry *e = skc__entry(fd, 0);
  int64_t seen = 0;
  if (e == NULL || atomic_load(&e->site) != site)
    return 0;
  if (atomic_compare_exchange_strong(&e->first_seen_ns, &seen, now))
    return now;
  return seen;
}

void skc__trace_clear_first_seen(int fd, uint32_t site) {
  skc__trace_entry *e = skc__entry(fd, 0);
  if (e != NULL && atomic_load(&e->site) == site)
    atomic_store(&e->first_seen_ns, 0);
}

void skc__trace_forget(int fd) {
  if (skc__trace_is_recorded(fd))
    skc__write(fd, 0, 0, 0, 0);
}

static uint64_t skc__inode(int fd) {
  struct stat st;
  int saved = errno;
  uint64_t inode = 0;
  if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
    inode = (uint64_t)st.st_ino;
  errno = saved;
  return inode;
}

void skc__trace_record_new(int fd, int kind) {
  uint64_t inode = skc__inode(fd);
  if (inode != 0)
    skc__write(fd, skc__trace_capture(), 0, kind, inode);
}

void skc__trace_record_dup(int from, int to, int kind) {
  skc__trace_record source;
  if (from == to)
    return;
  if (skc__trace_read(from, &source) != 0) {
    skc__trace_forget(to);
    return;
  }
  skc__write(to, skc__trace_capture(),
             source.origin_site != 0 ? source.origin_site : source.site, kind,
             source.inode);
}

/* ---- creation stacks ---- */

static uint64_t skc__hash(const uintptr_t *frames, unsigned count) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a over the addresses */
  for (unsigned i = 0; i < count; i++) {
    h ^= (uint64_t)frames[i];
    h *= 1099511628211ull;
  }
  return h;
}

static uint32_t skc__intern(const uintptr_t *frames, unsigned count) {
  uint64_t hash = skc__hash(frames, count);
  for (uint32_t probe = 0; probe < SKC_TRACE_MAX_SITES; probe++) {
    uint32_t slot = (uint32_t)((hash + probe) % SKC_TRACE_MAX_SITES);
    uint32_t state = atomic_load_explicit(&skc__slot_state[slot], memory_order_acquire);
    if (state == SKC_SLOT_READY) {
      const skc__trace_site *site = &skc__sites[slot];
      if (site->hash == hash && site->frame_count == count &&
          memcmp(site->frames, frames, count * sizeof frames[0]) == 0)
        return slot + 1;
      continue;
    }
    if (state == SKC_SLOT_EMPTY) {
      uint32_t expected = SKC_SLOT_EMPTY;
      if (!atomic_compare_exchange_strong(&skc__slot_state[slot], &expected, SKC_SLOT_WRITING))
        continue; /* taken meanwhile: probe on (a duplicate stack is harmless) */
      skc__sites[slot].hash = hash;
      skc__sites[slot].frame_count = count;
      memcpy(skc__sites[slot].frames, frames, count * sizeof frames[0]);
      atomic_store_explicit(&skc__slot_state[slot], SKC_SLOT_READY, memory_order_release);
      return slot + 1;
    }
    /* being written by another thread: probe on rather than wait */
  }
  return SKC_TRACE_UNKNOWN_SITE;
}

uint32_t skc__trace_capture(void) {
  void *raw[SKC_TRACE_FRAMES + 4];
  uintptr_t frames[SKC_TRACE_FRAMES];
  int saved = errno;
  int n = backtrace(raw, SKC_TRACE_FRAMES + 4);
  unsigned count = 0;
  int i = 0;
  /* The program's frames start after the last of the tracer's own; a
   * sanitizer's backtrace() interceptor may come before them. */
  for (int k = 0; k < n && k < 8; k++)
    if ((uintptr_t)raw[k] >= skc__self_begin && (uintptr_t)raw[k] < skc__self_end)
      i = k + 1;
  for (; i < n && count < SKC_TRACE_FRAMES; i++)
    frames[count++] = (uintptr_t)raw[i];
  errno = saved;
  return skc__intern(frames, count);
}

const skc__trace_site *skc__trace_site_get(uint32_t id) {
  if (id == 0 || id > SKC_TRACE_MAX_SITES)
    return NULL;
  if (atomic_load_explicit(&skc__slot_state[id - 1], memory_order_acquire) != SKC_SLOT_READY)
    return NULL;
  return &skc__sites[id - 1];
}

const char *skc__trace_kind_name(int kind) {
  switch (kind) {
  case SKC_TRACE_SOCKET: return "socket";
  case SKC_TRACE_ACCEPT: return "accept";
  case SKC_TRACE_ACCEPT4: return "accept4";
  case SKC_TRACE_DUP: return "dup";
  case SKC_TRACE_DUP2: return "dup2";
  case SKC_TRACE_DUP3: return "dup3";
  case SKC_TRACE_FCNTL: return "fcntl";
  default: return "unknown";
  }
}
