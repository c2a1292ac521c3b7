/*
 * The check and the report, the periodic thread and the at-exit report.
 *
 * The check walks the descriptor table; for each recorded descriptor it
 * confirms the descriptor still holds the recorded socket (same inode),
 * asks its TCP state (skc_tcp_state), and for CLOSE_WAIT how long since
 * the peer's FIN: the larger of two lower bounds, the time since the
 * peer's last segment (tcp_info's tcpi_last_ack_recv: in CLOSE_WAIT the
 * peer's FIN is its last segment unless the program sent data after it
 * and the peer acknowledged it) and the time since the check first saw
 * the socket in CLOSE_WAIT.
 *
 * The periodic thread blocks every signal, so no signal meant for the
 * program is ever delivered to it, and changes no disposition. Reports
 * are written with one write() each, to the output file (opened for the
 * write, with O_APPEND and O_CLOEXEC, then closed) or to standard error.
 */
#define _GNU_SOURCE
#include "trace.h"

#include "sockclose.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../src/sockaddr.h"

static double skc__after_s = 10.0;
static double skc__interval_s = 10.0;
static int skc__json;
static const char *skc__output;
static pthread_mutex_t skc__report_lock = PTHREAD_MUTEX_INITIALIZER;
static int skc__exiting;
/* The process the launcher started: its exit report is made even when
 * empty; other processes (forked, or started by it) report only what
 * they find. */
static long skc__root_pid;

/* ---- a growing text buffer ---- */

typedef struct skc__text {
  char *data;
  size_t length, capacity;
} skc__text;

static void skc__add(skc__text *t, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void skc__add(skc__text *t, const char *format, ...) {
  va_list ap;
  int n;
  va_start(ap, format);
  n = vsnprintf(NULL, 0, format, ap);
  va_end(ap);
  if (n < 0)
    return;
  if (t->length + (size_t)n + 1 > t->capacity) {
    size_t capacity = (t->capacity + (size_t)n + 1) * 2;
    char *grown = realloc(t->data, capacity);
    if (grown == NULL)
      return;
    t->data = grown;
    t->capacity = capacity;
  }
  va_start(ap, format);
  vsnprintf(t->data + t->length, t->capacity - t->length, format, ap);
  va_end(ap);
  t->length += (size_t)n;
}

/* A JSON string (RFC 8259): quotes, backslashes and control characters
 * escaped. */
static void skc__add_json(skc__text *t, const char *s) {
  skc__add(t, "\"");
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      skc__add(t, "\\%c", c);
    else if (c < 0x20)
      skc__add(t, "\\u%04x", c);
    else
      skc__add(t, "%c", c);
  }
  skc__add(t, "\"");
}

/* ---- the check ---- */

typedef struct skc__item {
  int fd;
  skc__trace_record record;
  char local[SKC_ENDPOINT_STRLEN];
  char remote[SKC_ENDPOINT_STRLEN];
  double since_fin_s;
  long long unread;
  uintptr_t key; /* the creation call's address: the grouping key */
  unsigned first_frame; /* the first frame of the program's own (below interceptors) */
} skc__item;

static int64_t skc__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void skc__endpoint_text(int fd, int peer, char *buf) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  skc_endpoint e;
  int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
                : getsockname(fd, (struct sockaddr *)&ss, &len);
  buf[0] = '\0';
  if (rc != 0)
    return;
  skc__endpoint_from(&ss, &e);
  if (skc_endpoint_format(&e, buf, SKC_ENDPOINT_STRLEN) < 0)
    buf[0] = '\0';
}

static int skc__same_socket(int fd, uint64_t inode) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && (uint64_t)st.st_ino == inode;
}

/* Fills `item` when fd is a recorded socket in CLOSE_WAIT for at least
 * --after seconds. */
static int skc__check(int fd, int64_t now, skc__item *item) {
  struct tcp_info info;
  socklen_t size = sizeof info;
  int64_t first;
  double by_kernel, by_check;
  int unread = 0;
  if (skc__trace_read(fd, &item->record) != 0 || !skc__same_socket(fd, item->record.inode))
    return 0;
  if (skc_tcp_state(fd) != SKC_TCP_CLOSE_WAIT) {
    skc__trace_clear_first_seen(fd, item->record.site);
    return 0;
  }
  first = skc__trace_first_seen(fd, item->record.site, now);
  by_check = first != 0 ? (double)(now - first) / 1e9 : 0.0;
  by_kernel = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) == 0
                  ? info.tcpi_last_ack_recv / 1000.0
                  : 0.0;
  item->since_fin_s = by_kernel > by_check ? by_kernel : by_check;
  if (item->since_fin_s < skc__after_s)
    return 0;
  item->unread = ioctl(fd, SIOCINQ, &unread) == 0 ? unread : -1;
  skc__endpoint_text(fd, 0, item->local);
  skc__endpoint_text(fd, 1, item->remote);
  item->fd = fd;
  /* the descriptor may have been closed and reused meanwhile */
  return skc__same_socket(fd, item->record.inode);
}

/* ---- symbolised stacks, once per site for the life of the process ----
 * A site's addresses do not change while its module stays loaded, so each
 * is symbolised once, by the first report that shows it: later periodic
 * reports of the same sites open no file at all. (A module unloaded and
 * another loaded at the same address would keep the old names.) */

typedef struct skc__stack {
  uint32_t site;
  unsigned count;
  skc__trace_frame *frames;
} skc__stack;

typedef struct skc__stacks {
  skc__trace_symbolizer *symbolizer; /* open during one report at most */
  skc__stack *items;
  size_t count, capacity;
} skc__stacks;

static skc__stacks skc__cache; /* under skc__report_lock */

static const skc__stack *skc__stack_of(skc__stacks *all, uint32_t site) {
  const skc__trace_site *s;
  skc__stack *stack;
  for (size_t i = 0; i < all->count; i++)
    if (all->items[i].site == site)
      return &all->items[i];
  if (all->count == all->capacity) {
    size_t capacity = all->capacity * 2 + 8;
    skc__stack *grown = realloc(all->items, capacity * sizeof *grown);
    if (grown == NULL)
      return NULL;
    all->items = grown;
    all->capacity = capacity;
  }
  stack = &all->items[all->count];
  stack->site = site;
  stack->count = 0;
  stack->frames = NULL;
  s = skc__trace_site_get(site);
  if (s != NULL && s->frame_count > 0) {
    if (all->symbolizer == NULL)
      all->symbolizer = skc__trace_symbolizer_open();
    stack->frames = calloc(s->frame_count, sizeof *stack->frames);
    if (stack->frames != NULL) {
      stack->count = s->frame_count;
      for (unsigned i = 0; i < s->frame_count; i++)
        skc__trace_symbolize(all->symbolizer, s->frames[i], &stack->frames[i]);
    }
  }
  all->count++;
  return stack;
}

/* Sanitizers and other preloaded tools wrap the same calls; their frames
 * sit between the program and the tracer and are not the creation site. */
static int skc__is_wrapper(const skc__trace_frame *f) {
  static const char *const names[] = {"socket", "accept", "accept4", "dup", "dup2",
                                      "dup3", "fcntl", "fcntl64", "close"};
  if (strstr(f->function, "interceptor") != NULL)
    return 1;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(f->function, names[i]) == 0)
      return 1;
  return 0;
}

static unsigned skc__first_own_frame(const skc__stack *stack) {
  unsigned i = 0;
  while (i + 1 < stack->count && skc__is_wrapper(&stack->frames[i]))
    i++;
  return i;
}

static const char *skc__basename(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash != NULL ? slash + 1 : path;
}

/* "server.c:88 in handle_accept", or the best that is known. */
static void skc__add_place(skc__text *t, const skc__trace_frame *f) {
  if (f->file[0] != '\0')
    skc__add(t, "%s:%d", skc__basename(f->file), f->line);
  else if (f->module[0] != '\0')
    skc__add(t, "%s+0x%lx", skc__basename(f->module), (unsigned long)f->module_offset);
  else
    skc__add(t, "0x%lx", (unsigned long)f->address);
  if (f->function[0] != '\0')
    skc__add(t, " in %s", f->function);
}

static void skc__add_stack_text(skc__text *t, const skc__stack *stack, unsigned from) {
  for (unsigned i = from; stack != NULL && i < stack->count; i++) {
    const skc__trace_frame *f = &stack->frames[i];
    skc__add(t, "      #%u %s", i - from, f->function[0] != '\0' ? f->function : "??");
    if (f->file[0] != '\0')
      skc__add(t, " at %s:%d", f->file, f->line);
    skc__add(t, " (%s+0x%lx)\n", f->module[0] != '\0' ? f->module : "?",
             (unsigned long)f->module_offset);
  }
}

static void skc__add_stack_json(skc__text *t, const skc__stack *stack, unsigned from) {
  skc__add(t, "[");
  for (unsigned i = from; stack != NULL && i < stack->count; i++) {
    const skc__trace_frame *f = &stack->frames[i];
    skc__add(t, "%s{\"address\":\"0x%lx\",\"function\":", i > from ? "," : "",
             (unsigned long)f->address);
    skc__add_json(t, f->function);
    skc__add(t, ",\"file\":");
    skc__add_json(t, f->file);
    skc__add(t, ",\"line\":%d,\"module\":", f->line);
    skc__add_json(t, f->module);
    skc__add(t, ",\"module_offset\":\"0x%lx\"}", (unsigned long)f->module_offset);
  }
  skc__add(t, "]");
}

static int skc__by_key(const void *a, const void *b) {
  const skc__item *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->fd - y->fd;
}

/* ---- output ---- */

/* Standard error as the program started with it: a program that closes
 * it may reuse descriptor 2 for a file or a client's socket, which must
 * not receive reports; then they are dropped (use --output). */
static dev_t skc__stderr_dev;
static ino_t skc__stderr_ino;
static int skc__stderr_known;

static int skc__stderr_unchanged(void) {
  struct stat st;
  return skc__stderr_known && fstat(2, &st) == 0 && st.st_dev == skc__stderr_dev &&
         st.st_ino == skc__stderr_ino;
}

static void skc__emit(const skc__text *t) {
  int fd = 2;
  size_t done = 0;
  if (t->data == NULL)
    return;
  if (skc__output == NULL && !skc__stderr_unchanged())
    return;
  if (skc__output != NULL) {
    fd = open(skc__output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return;
  }
  while (done < t->length) {
    ssize_t n = write(fd, t->data + done, t->length - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    done += (size_t)n;
  }
  if (fd != 2)
    skc__trace_real_close(fd);
}

static void skc__heading(skc__text *t, int at_exit, size_t sockets, size_t sites) {
  char when[32];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (skc__json) {
    skc__add(t, "{\"tool\":\"sockclose-trace\",\"pid\":%ld,\"process\":", (long)getpid());
    skc__add_json(t, program_invocation_short_name);
    skc__add(t, ",\"report\":\"%s\",\"time\":\"%s\",\"after_seconds\":%g,"
                "\"symbolizer\":\"%s\",\"close_wait\":%zu,\"sites\":[",
             at_exit ? "exit" : "periodic", when, skc__after_s,
             skc__trace_symbolizer_kind(), sockets);
  } else {
    skc__add(t, "sockclose-trace: pid %ld (%s) %s, %s: %zu socket%s in CLOSE_WAIT for %g s or more",
             (long)getpid(), program_invocation_short_name, at_exit ? "at exit" : "periodic check",
             when, sockets, sockets == 1 ? "" : "s", skc__after_s);
    if (sockets > 0)
      skc__add(t, ", from %zu creation site%s", sites, sites == 1 ? "" : "s");
    skc__add(t, "\n");
  }
}

static void skc__group(skc__text *t, skc__stacks *stacks, const skc__item *items,
                       size_t count, int first_group) {
  const skc__item *head = &items[0];
  const skc__stack *stack = skc__stack_of(stacks, head->record.site);
  const skc__stack *origin = head->record.origin_site != 0
                                 ? skc__stack_of(stacks, head->record.origin_site)
                                 : NULL;
  unsigned from = head->first_frame;
  const char *kind = skc__trace_kind_name(head->record.kind);
  static const skc__trace_frame unknown;
  const skc__trace_frame *site =
      stack != NULL && stack->count > from ? &stack->frames[from] : &unknown;
  if (skc__json) {
    skc__add(t, "%s{\"count\":%zu,\"kind\":\"%s\",\"function\":", first_group ? "" : ",",
             count, kind);
    skc__add_json(t, site->function);
    skc__add(t, ",\"file\":");
    skc__add_json(t, site->file);
    skc__add(t, ",\"line\":%d,\"stack\":", site->line);
    skc__add_stack_json(t, stack, from);
    if (origin != NULL) {
      skc__add(t, ",\"socket_stack\":");
      skc__add_stack_json(t, origin, skc__first_own_frame(origin));
    }
    skc__add(t, ",\"sockets\":[");
    for (size_t i = 0; i < count; i++) {
      skc__add(t, "%s{\"fd\":%d,\"local\":\"%s\",\"remote\":\"%s\","
                  "\"since_fin_seconds\":%.1f,\"unread_bytes\":%lld}",
               i > 0 ? "," : "", items[i].fd, items[i].local, items[i].remote,
               items[i].since_fin_s, items[i].unread);
    }
    skc__add(t, "]}");
    return;
  }
  skc__add(t, "  %zu socket%s created at ", count, count == 1 ? "" : "s");
  skc__add_place(t, site);
  skc__add(t, " (%s) %s in CLOSE_WAIT\n", kind, count == 1 ? "is" : "are");
  for (size_t i = 0; i < count; i++)
    skc__add(t, "    fd %d  %s <- %s  peer's FIN %.1f s ago or more  %lld byte%s unread\n",
             items[i].fd, items[i].local, items[i].remote, items[i].since_fin_s,
             items[i].unread, items[i].unread == 1 ? "" : "s");
  skc__add(t, "    created by %s at:\n", kind);
  skc__add_stack_text(t, stack, from);
  if (origin != NULL) {
    skc__add(t, "    the socket it duplicates was created at:\n");
    skc__add_stack_text(t, origin, skc__first_own_frame(origin));
  }
}

void skc__trace_report(int at_exit) {
  int saved = errno;
  int limit;
  int64_t now = skc__now_ns();
  skc__item *items = NULL;
  size_t count = 0, capacity = 0, sites = 0;
  skc__stacks *stacks = &skc__cache;
  skc__text text = {0};

  pthread_mutex_lock(&skc__report_lock);
  if (skc__exiting) {
    pthread_mutex_unlock(&skc__report_lock);
    errno = saved;
    return;
  }
  if (at_exit)
    skc__exiting = 1;
  limit = skc__trace_fd_limit();
  for (int fd = 0; fd < limit; fd++) {
    skc__item item;
    if (!skc__trace_is_recorded(fd))
      continue;
    memset(&item, 0, sizeof item);
    if (!skc__check(fd, now, &item))
      continue;
    if (count == capacity) {
      size_t grown_capacity = capacity * 2 + 16;
      skc__item *grown = realloc(items, grown_capacity * sizeof *grown);
      if (grown == NULL)
        break;
      items = grown;
      capacity = grown_capacity;
    }
    items[count++] = item;
  }
  if (count == 0 && (!at_exit || (long)getpid() != skc__root_pid))
    goto done;

  /* every stack is symbolised here, so that the pointers skc__group()
   * takes stay valid (skc__stack_of grows the array) */
  for (size_t i = 0; i < count; i++)
    if (items[i].record.origin_site != 0)
      (void)skc__stack_of(stacks, items[i].record.origin_site);
  for (size_t i = 0; i < count; i++) {
    const skc__stack *stack = skc__stack_of(stacks, items[i].record.site);
    items[i].first_frame = stack != NULL ? skc__first_own_frame(stack) : 0;
    items[i].key = stack != NULL && stack->count > items[i].first_frame
                       ? stack->frames[items[i].first_frame].address
                       : 0;
  }
  if (count > 0)
    qsort(items, count, sizeof *items, skc__by_key);
  for (size_t i = 0; i < count; i++)
    if (i == 0 || items[i].key != items[i - 1].key)
      sites++;

  skc__heading(&text, at_exit, count, sites);
  for (size_t i = 0, group = 0; i < count; group++) {
    size_t j = i;
    while (j < count && items[j].key == items[i].key)
      j++;
    skc__group(&text, stacks, &items[i], j - i, group == 0);
    i = j;
  }
  if (skc__json)
    skc__add(&text, "]}\n");
  skc__emit(&text);

done:
  /* the symboliser's mappings and files go; the names stay cached */
  skc__trace_symbolizer_close(stacks->symbolizer);
  stacks->symbolizer = NULL;
  free(text.data);
  free(items);
  pthread_mutex_unlock(&skc__report_lock);
  errno = saved;
}

/* ---- configuration, the periodic thread, fork and exit ---- */

static double skc__env_seconds(const char *name, double fallback) {
  const char *value = getenv(name);
  char *end;
  double seconds;
  if (value == NULL || *value == '\0')
    return fallback;
  seconds = strtod(value, &end);
  return *end == '\0' && seconds >= 0 ? seconds : fallback;
}

void skc__trace_report_configure(void) {
  const char *json = getenv("SOCKCLOSE_TRACE_JSON");
  const char *output = getenv("SOCKCLOSE_TRACE_OUTPUT");
  const char *root = getenv("SOCKCLOSE_TRACE_PID");
  skc__after_s = skc__env_seconds("SOCKCLOSE_TRACE_AFTER", 10.0);
  skc__interval_s = skc__env_seconds("SOCKCLOSE_TRACE_INTERVAL", 10.0);
  struct stat st;
  if (fstat(2, &st) == 0) {
    skc__stderr_dev = st.st_dev;
    skc__stderr_ino = st.st_ino;
    skc__stderr_known = 1;
  }
  skc__root_pid = root != NULL ? strtol(root, NULL, 10) : 0;
  skc__json = json != NULL && strcmp(json, "1") == 0;
  /* a copy: the program may change its environment */
  skc__output = output != NULL && *output != '\0' ? strdup(output) : NULL;
}

static _Atomic int skc__periodic_running;

static void *skc__periodic(void *arg) {
  struct timespec delay;
  (void)arg;
  atomic_store(&skc__periodic_running, 1);
  delay.tv_sec = (time_t)skc__interval_s;
  delay.tv_nsec = (long)((skc__interval_s - (double)delay.tv_sec) * 1e9);
  for (;;) {
    struct timespec left = delay;
    while (nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
    skc__trace_report(0);
  }
  return NULL;
}

static void skc__start_periodic(void) {
  pthread_t thread;
  pthread_attr_t attr;
  sigset_t all, old;
  if (skc__interval_s <= 0)
    return;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the thread */
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  atomic_store(&skc__periodic_running, 0);
  if (pthread_create(&thread, &attr, skc__periodic, NULL) == 0) {
    pthread_setname_np(thread, "sockclose-trace");
    /* Wait (at most a second) until the thread runs: a process that
     * exits while a thread is still starting can hang in
     * LeakSanitizer's exit check (clang 14), and the program should not
     * race the tracer's start anyway. */
    for (int i = 0; i < 10000 && !atomic_load(&skc__periodic_running); i++) {
      struct timespec pause = {0, 100000};
      nanosleep(&pause, NULL);
    }
  }
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The child of fork() has only the forking thread, which holds the lock
 * (taken before the fork). The periodic thread is not started here: inside
 * fork(), other fork handlers (a sanitizer's allocator, for one) may still
 * hold their locks, and a thread started now can deadlock with them
 * (seen under AddressSanitizer). The child's next socket(), accept() or
 * accept4() starts it. */
static _Atomic int skc__periodic_wanted;

/* A report in progress allocates memory and may hold libdw's state: fork
 * waits for it to end (the lock is taken in the prepare handler), so that
 * the child never inherits an allocator or library lock the periodic
 * thread held. (AddressSanitizer before LLVM 15 does not lock its
 * allocator around fork: a child forked while the thread allocated would
 * deadlock at its first allocation of that size.) */
static void skc__before_fork(void) { pthread_mutex_lock(&skc__report_lock); }
static void skc__after_fork_parent(void) { pthread_mutex_unlock(&skc__report_lock); }

static void skc__after_fork_child(void) {
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  memcpy(&skc__report_lock, &fresh, sizeof fresh);
  skc__cache.symbolizer = NULL;
  /* ThreadSanitizer ends a program that starts a thread in the child of
   * a multi-threaded fork ("not supported"): there, children make only
   * the report at exit. */
  atomic_store(&skc__periodic_wanted, dlsym(RTLD_DEFAULT, "__tsan_init") == NULL);
}

void skc__trace_resume_periodic(void) {
  if (atomic_load_explicit(&skc__periodic_wanted, memory_order_relaxed) &&
      atomic_exchange(&skc__periodic_wanted, 0)) {
    int saved = errno;
    skc__start_periodic();
    errno = saved;
  }
}

__attribute__((constructor)) static void skc__trace_start(void) {
  int saved = errno;
  skc__trace_table_init();
  skc__trace_report_configure();
  pthread_atfork(skc__before_fork, skc__after_fork_parent, skc__after_fork_child);
  skc__start_periodic();
  errno = saved;
}

__attribute__((destructor)) static void skc__trace_stop(void) { skc__trace_report(1); }
