/*
 * Windows: the closer's wait for many sockets at once
 * (src/common/closer.c). WSAPoll() walks every socket on each call; an
 * I/O completion port reports only what completed. Each watched socket
 * has one zero-byte overlapped WSARecv outstanding: it completes when
 * data, the peer's FIN (0 bytes) or an RST arrives, without taking any
 * byte ("Windows Sockets 2.0: Write Scalable Winsock Apps Using Completion
 * Ports", MSDN Magazine, October 2000: the zero-byte receive; libuv's
 * src/win/tcp.c posts the same for its readers). The closer then reads
 * with skc__plat_recv_nowait() and rearms.
 *
 * The OVERLAPPED of a receive must stay valid until its completion is
 * dequeued, also after the closer has closed the socket (the close
 * cancels the receive, and the cancellation is queued as a completion
 * with ERROR_OPERATION_ABORTED). A watch forgotten while its receive is
 * outstanding is therefore kept as an orphan and freed by that
 * completion; freeing the waiter waits for the orphans (they are already
 * cancelled, so this is short).
 */
#include "../platform.h"

#include <winsock2.h>
#include <windows.h>

#include <stdlib.h>
#include <string.h>

/* Completions taken per wait. */
#define SKC__WAITER_BATCH 256

/* Completion keys: a socket's receive, or a wake-up. */
#define SKC__KEY_SOCKET ((ULONG_PTR)1)
#define SKC__KEY_WAKE ((ULONG_PTR)2)

/* Longest wait for the orphans' cancellations when freeing. */
#define SKC__ORPHAN_WAIT_MS 2000

struct skc__win_watch {
  OVERLAPPED overlapped; /* first: the completion gives its address */
  unsigned long long key;
  int pending; /* a receive is outstanding */
  int orphan;  /* forgotten while pending: its completion frees it */
};

struct skc__plat_waiter {
  SRWLOCK lock;
  HANDLE port;
  struct skc__win_watch **watches; /* by slot; NULL when not watched */
  size_t slots;
  size_t orphans;
  OVERLAPPED_ENTRY completions[SKC__WAITER_BATCH];
};

int skc__plat_waiter_new(skc__plat_waiter **waiter) {
  skc__plat_waiter *w = calloc(1, sizeof *w);
  *waiter = NULL;
  if (w == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  InitializeSRWLock(&w->lock);
  /* One thread dequeues. */
  w->port = CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1);
  if (w->port == NULL) {
    int native = (int)GetLastError();
    free(w);
    WSASetLastError(native);
    return skc__plat_translate(native);
  }
  *waiter = w;
  return 0;
}

/* One dequeued completion: NULL for a wake-up or an orphan's (freed
 * here), else the watch whose receive completed. */
static struct skc__win_watch *skc__waiter_completed(skc__plat_waiter *w,
                                                    const OVERLAPPED_ENTRY *c) {
  struct skc__win_watch *watch;
  if (c->lpCompletionKey != SKC__KEY_SOCKET || c->lpOverlapped == NULL)
    return NULL;
  watch = (struct skc__win_watch *)c->lpOverlapped;
  watch->pending = 0;
  if (watch->orphan) {
    w->orphans--;
    free(watch);
    return NULL;
  }
  return watch;
}

void skc__plat_waiter_free(skc__plat_waiter *waiter) {
  int saved = WSAGetLastError();
  DWORD started;
  if (waiter == NULL)
    return;
  started = GetTickCount();
  while (waiter->orphans > 0 && GetTickCount() - started < SKC__ORPHAN_WAIT_MS) {
    ULONG n = 0, i;
    if (!GetQueuedCompletionStatusEx(waiter->port, waiter->completions,
                                     SKC__WAITER_BATCH, &n, 100, FALSE))
      continue;
    for (i = 0; i < n; i++)
      (void)skc__waiter_completed(waiter, &waiter->completions[i]);
  }
  /* An orphan whose cancellation never came is left allocated: freeing it
   * could let the system write into freed memory. */
  CloseHandle(waiter->port);
  free(waiter->watches);
  free(waiter);
  WSASetLastError(saved);
}

int skc__plat_waiter_reserve(skc__plat_waiter *waiter, size_t slots) {
  struct skc__win_watch **grown;
  size_t i;
  if (slots <= waiter->slots)
    return 0;
  if (slots > (size_t)-1 / sizeof(struct skc__win_watch *))
    return skc__plat_reject(SKC_ENOMEM);
  grown = realloc(waiter->watches, slots * sizeof(struct skc__win_watch *));
  if (grown == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  for (i = waiter->slots; i < slots; i++)
    grown[i] = NULL;
  waiter->watches = grown;
  waiter->slots = slots;
  return 0;
}

/* Post the zero-byte receive. A receive that fails at once queues no
 * completion: queue one ourselves, so that the closer reads the socket
 * and finds the failure there. */
static int skc__waiter_post(skc__plat_waiter *w, skc_socket_t s,
                            struct skc__win_watch *watch) {
  static char none;
  WSABUF buf;
  DWORD flags = 0;
  buf.len = 0;
  buf.buf = &none;
  memset(&watch->overlapped, 0, sizeof watch->overlapped);
  watch->pending = 1;
  if (WSARecv((SOCKET)s, &buf, 1, NULL, &flags, &watch->overlapped, NULL) == 0 ||
      WSAGetLastError() == WSA_IO_PENDING)
    return 0;
  if (!PostQueuedCompletionStatus(w->port, 0, SKC__KEY_SOCKET, &watch->overlapped)) {
    int native = (int)GetLastError();
    watch->pending = 0;
    WSASetLastError(native);
    return skc__plat_translate(native);
  }
  return 0;
}

/* Was s made for synchronous I/O (WSASocket without WSA_FLAG_OVERLAPPED)?
 * WSARecv ignores lpOverlapped on such a socket and blocks ("For
 * nonoverlapped sockets, the lpOverlapped and lpCompletionRoutine
 * parameters are ignored", WSARecv documentation), which would stop the
 * adding thread until the peer sends. The handle's mode says it:
 * FILE_SYNCHRONOUS_IO_ALERT (0x10) or FILE_SYNCHRONOUS_IO_NONALERT (0x20)
 * from NtQueryInformationFile(FileModeInformation = 16); measured under
 * Wine 8: 0x20 for WSASocket(..., 0), 0 for socket(). Looked up at run
 * time so that the library imports nothing from ntdll. */
static int skc__is_synchronous(skc_socket_t s) {
  typedef LONG(WINAPI * query_fn)(HANDLE, void *, void *, ULONG, int);
  struct {
    LONG_PTR status;
    ULONG_PTR information;
  } io_status;
  ULONG mode = 0;
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  query_fn query;
  if (ntdll == NULL)
    return 0;
  query = (query_fn)(void (*)(void))GetProcAddress(ntdll, "NtQueryInformationFile");
  if (query == NULL || query((HANDLE)s, &io_status, &mode, sizeof mode, 16) != 0)
    return 0;
  return (mode & 0x30) != 0;
}

int skc__plat_waiter_watch(skc__plat_waiter *waiter, skc_socket_t s,
                           unsigned long long key) {
  struct skc__win_watch *watch;
  int err;
  if (skc__is_synchronous(s))
    return skc__plat_reject(SKC_ENOTSUP);
  /* Fails for a handle that is not open (ERROR_INVALID_HANDLE) and for
   * one already bound to another port (ERROR_INVALID_PARAMETER): a
   * handle stays bound to its port until it is closed
   * (CreateIoCompletionPort documentation). */
  if (CreateIoCompletionPort((HANDLE)s, waiter->port, SKC__KEY_SOCKET, 0) == NULL) {
    int native = (int)GetLastError();
    WSASetLastError(native);
    return skc__plat_translate(native);
  }
  watch = calloc(1, sizeof *watch);
  if (watch == NULL)
    return skc__plat_reject(SKC_ENOMEM);
  watch->key = key;
  err = skc__waiter_post(waiter, s, watch);
  if (err != 0) {
    free(watch);
    return err;
  }
  waiter->watches[SKC__WAITER_SLOT(key)] = watch;
  return 0;
}

int skc__plat_waiter_rearm(skc__plat_waiter *waiter, skc_socket_t s,
                           unsigned long long key) {
  struct skc__win_watch *watch = waiter->watches[SKC__WAITER_SLOT(key)];
  if (watch == NULL || watch->key != key)
    return skc__plat_reject(SKC_EINVAL);
  if (watch->pending)
    return 0;
  return skc__waiter_post(waiter, s, watch);
}

void skc__plat_waiter_forget(skc__plat_waiter *waiter, skc_socket_t s,
                             unsigned long long key) {
  size_t slot = SKC__WAITER_SLOT(key);
  struct skc__win_watch *watch = waiter->watches[slot];
  (void)s;
  if (watch == NULL || watch->key != key)
    return;
  waiter->watches[slot] = NULL;
  if (watch->pending) {
    /* The socket's close, which follows, cancels the receive. */
    watch->orphan = 1;
    waiter->orphans++;
    return;
  }
  free(watch);
}

int skc__plat_waiter_wait(skc__plat_waiter *waiter, unsigned long long *keys,
                          size_t max, int timeout_ms) {
  ULONG n = 0, i;
  size_t stored = 0;
  if (max > SKC__WAITER_BATCH)
    max = SKC__WAITER_BATCH;
  if (!GetQueuedCompletionStatusEx(waiter->port, waiter->completions, (ULONG)max,
                                   &n, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms,
                                   FALSE)) {
    int native = (int)GetLastError();
    if (native == WAIT_TIMEOUT)
      return 0;
    WSASetLastError(native);
    return skc__plat_translate(native);
  }
  /* The entries and orphans are the closer's, whose lock the caller does
   * not hold during the wait: take it for the bookkeeping. */
  AcquireSRWLockExclusive(&waiter->lock);
  for (i = 0; i < n; i++) {
    struct skc__win_watch *watch =
        skc__waiter_completed(waiter, &waiter->completions[i]);
    if (watch != NULL)
      keys[stored++] = watch->key;
  }
  ReleaseSRWLockExclusive(&waiter->lock);
  return (int)stored;
}

int skc__plat_waiter_wake(skc__plat_waiter *waiter) {
  if (!PostQueuedCompletionStatus(waiter->port, 0, SKC__KEY_WAKE, NULL)) {
    int native = (int)GetLastError();
    WSASetLastError(native);
    return skc__plat_translate(native);
  }
  return 0;
}

skc_socket_t skc__plat_waiter_handle(const skc__plat_waiter *waiter) {
  return (skc_socket_t)(ULONG_PTR)waiter->port;
}

void skc__plat_waiter_lock(skc__plat_waiter *waiter) {
  AcquireSRWLockExclusive(&waiter->lock);
}

void skc__plat_waiter_unlock(skc__plat_waiter *waiter) {
  ReleaseSRWLockExclusive(&waiter->lock);
}
