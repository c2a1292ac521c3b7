/*
 * Test support, the one file of the suite with platform #ifdefs.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#if defined(__APPLE__) && !defined(_DARWIN_C_SOURCE)
#define _DARWIN_C_SOURCE /* FIONREAD from <sys/ioctl.h> */
#endif
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>

#include <windows.h>
typedef SOCKET raw_socket;
typedef int raw_socklen;
#define RAW_INVALID INVALID_SOCKET
#else
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
typedef int raw_socket;
typedef socklen_t raw_socklen;
#define RAW_INVALID (-1)
#endif

static const char *skct__self = NULL;

/* ---- child roles ---- */

/* The seed's client: connect by itself, send n bytes, then wait to be
 * killed (bounded, so a lost parent cannot leave it behind). */
static int skct__child_send_and_wait(long port, long n) {
  char buf[4096];
  long sent = 0;
  skc_socket_t s;
  if (skc_init() != 0)
    return 10;
  s = skct_connect((unsigned short)port);
  if (s == SKC_INVALID_SOCKET)
    return 11;
  while (sent < n) {
    long chunk = n - sent > (long)sizeof buf ? (long)sizeof buf : n - sent;
    long i;
    ptrdiff_t r;
    for (i = 0; i < chunk; i++)
      buf[i] = (char)('a' + (sent + i) % 26);
    r = skc_send(s, buf, (size_t)chunk);
    if (r <= 0)
      return 12;
    sent += (long)r;
  }
  skct_sleep_ms(30000);
  return 0;
}

/* Hold whatever handles were inherited until killed (bounded). */
static int skct__child_hold(void) {
  skct_sleep_ms(30000);
  return 0;
}

int skct_main(int argc, char **argv) {
  skct__self = argc > 0 ? argv[0] : NULL;
  if (argc < 3 || strcmp(argv[1], "--child") != 0)
    return -1;
  if (strcmp(argv[2], "send-and-wait") == 0 && argc >= 5)
    return skct__child_send_and_wait(atol(argv[3]), atol(argv[4]));
  if (strcmp(argv[2], "hold") == 0)
    return skct__child_hold();
  fprintf(stderr, "unknown child role %s\n", argv[2]);
  return 2;
}

int skct_is_wine(void) {
#ifdef _WIN32
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
#else
  return 0;
#endif
}

void skct_sleep_ms(int ms) {
#ifdef _WIN32
  Sleep((DWORD)ms);
#else
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

int skct_native_error(void) {
#ifdef _WIN32
  return WSAGetLastError();
#else
  return errno;
#endif
}

void skct_set_native_error(int native) {
#ifdef _WIN32
  WSASetLastError(native);
#else
  errno = native;
#endif
}

int skct_sigpipe_is_default(void) {
#ifdef _WIN32
  return 1;
#else
  struct sigaction current;
  if (sigaction(SIGPIPE, NULL, &current) != 0)
    return 0;
  return current.sa_handler == SIG_DFL;
#endif
}

/* ---- sockets ---- */

int skct_wait_readable(skc_socket_t s, int timeout_ms) {
#ifdef _WIN32
  /* WSAPoll accepts only POLLRDNORM/POLLRDBAND/POLLWRNORM in events; it
   * reports POLLHUP and POLLERR in revents on its own. */
  WSAPOLLFD pfd;
  pfd.fd = (SOCKET)s;
  pfd.events = POLLRDNORM;
  pfd.revents = 0;
  return WSAPoll(&pfd, 1, timeout_ms) > 0;
#else
  struct pollfd pfd;
  int rc;
  pfd.fd = s;
  pfd.events = POLLIN;
  pfd.revents = 0;
  do {
    rc = poll(&pfd, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
#endif
}

long skct_bytes_queued(skc_socket_t s) {
#ifdef _WIN32
  u_long n = 0;
  if (ioctlsocket((SOCKET)s, FIONREAD, &n) != 0)
    return -1;
  return (long)n;
#else
  int n = 0;
  if (ioctl(s, FIONREAD, &n) != 0)
    return -1;
  return n;
#endif
}

int skct_wait_queued(skc_socket_t s, long n, int timeout_ms) {
  int waited = 0;
  /* No event says "n bytes have arrived" once the socket is readable, so
   * this checks FIONREAD in short steps until the deadline. */
  if (!skct_wait_readable(s, timeout_ms))
    return 0;
  while (skct_bytes_queued(s) < n) {
    if (waited >= timeout_ms)
      return 0;
    skct_sleep_ms(5);
    waited += 5;
  }
  return 1;
}

skc_socket_t skct_tcp_socket(void) {
  raw_socket s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  return s == RAW_INVALID ? SKC_INVALID_SOCKET : (skc_socket_t)s;
}

static struct sockaddr_in skct__loopback(unsigned short port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

skc_socket_t skct_listen(unsigned short *port) {
  struct sockaddr_in addr = skct__loopback(0);
  raw_socklen len = (raw_socklen)sizeof addr;
  skc_socket_t s = skct_tcp_socket();
  if (s == SKC_INVALID_SOCKET)
    return s;
  if (bind((raw_socket)s, (struct sockaddr *)&addr, (raw_socklen)sizeof addr) != 0 ||
      listen((raw_socket)s, 16) != 0 ||
      getsockname((raw_socket)s, (struct sockaddr *)&addr, &len) != 0) {
    skc_close(s);
    return SKC_INVALID_SOCKET;
  }
  *port = ntohs(addr.sin_port);
  return s;
}

skc_socket_t skct_accept(skc_socket_t listener) {
  raw_socket s = accept((raw_socket)listener, NULL, NULL);
  return s == RAW_INVALID ? SKC_INVALID_SOCKET : (skc_socket_t)s;
}

skc_socket_t skct_connect(unsigned short port) {
  struct sockaddr_in addr = skct__loopback(port);
  skc_socket_t s = skct_tcp_socket();
  if (s == SKC_INVALID_SOCKET)
    return s;
  if (connect((raw_socket)s, (struct sockaddr *)&addr, (raw_socklen)sizeof addr) != 0) {
    skc_close(s);
    return SKC_INVALID_SOCKET;
  }
  return s;
}

skc_socket_t skct_duplicate(skc_socket_t s) {
#ifdef _WIN32
  WSAPROTOCOL_INFOW info;
  SOCKET copy;
  if (WSADuplicateSocketW((SOCKET)s, GetCurrentProcessId(), &info) != 0)
    return SKC_INVALID_SOCKET;
  copy = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                    &info, 0, 0);
  return copy == INVALID_SOCKET ? SKC_INVALID_SOCKET : (skc_socket_t)copy;
#else
  int copy = dup(s);
  return copy < 0 ? SKC_INVALID_SOCKET : copy;
#endif
}

/* ---- processes ---- */

int skct_spawn(skct_child *child, const char *role, long arg1, long arg2,
               int inherit_handles) {
  char a1[32], a2[32];
  snprintf(a1, sizeof a1, "%ld", arg1);
  snprintf(a2, sizeof a2, "%ld", arg2);
  child->pid = -1;
  child->handle = NULL;
#ifdef _WIN32
  {
    char self[MAX_PATH];
    char cmd[MAX_PATH + 128];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    if (GetModuleFileNameA(NULL, self, sizeof self) == 0)
      return -1;
    snprintf(cmd, sizeof cmd, "\"%s\" --child %s %s %s", self, role, a1, a2);
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, cmd, NULL, NULL, inherit_handles ? TRUE : FALSE,
                        0, NULL, NULL, &si, &pi))
      return -1;
    CloseHandle(pi.hThread);
    child->pid = (long)pi.dwProcessId;
    child->handle = pi.hProcess;
    return 0;
  }
#else
  {
    /* exec keeps every descriptor without FD_CLOEXEC: inherit_handles is
     * the descriptors' own flag on POSIX. */
    char *argv[7];
    pid_t pid;
    (void)inherit_handles;
    argv[0] = (char *)skct__self;
    argv[1] = (char *)"--child";
    argv[2] = (char *)role;
    argv[3] = a1;
    argv[4] = a2;
    argv[5] = NULL;
    if (skct__self == NULL || posix_spawn(&pid, skct__self, NULL, NULL, argv, environ) != 0)
      return -1;
    child->pid = (long)pid;
    return 0;
  }
#endif
}

void skct_kill(skct_child *child) {
#ifdef _WIN32
  if (child->handle != NULL) {
    TerminateProcess((HANDLE)child->handle, 9);
    WaitForSingleObject((HANDLE)child->handle, INFINITE);
    CloseHandle((HANDLE)child->handle);
    child->handle = NULL;
  }
#else
  if (child->pid > 0) {
    int status;
    kill((pid_t)child->pid, SIGKILL);
    while (waitpid((pid_t)child->pid, &status, 0) < 0 && errno == EINTR) {
    }
    child->pid = -1;
  }
#endif
}

/* ---- threads ---- */

/* The start record lives on the starting thread's stack; the new thread
 * copies what it needs and signals "started" before running fn, so that
 * skct_thread_start() returns only once the thread runs. */
struct skct__thread_start {
  void (*fn)(void *);
  void *arg;
#ifdef _WIN32
  HANDLE started;
#else
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int started;
#endif
};

#ifdef _WIN32
static DWORD WINAPI skct__thread_main(LPVOID param) {
#else
static void *skct__thread_main(void *param) {
#endif
  struct skct__thread_start *start = param;
  void (*fn)(void *) = start->fn;
  void *arg = start->arg;
#ifdef _WIN32
  SetEvent(start->started);
#else
  pthread_mutex_lock(&start->lock);
  start->started = 1;
  pthread_cond_signal(&start->cond);
  pthread_mutex_unlock(&start->lock);
#endif
  fn(arg);
  return 0;
}

int skct_thread_start(skct_thread *thread, void (*fn)(void *), void *arg) {
  struct skct__thread_start start;
  start.fn = fn;
  start.arg = arg;
#ifdef _WIN32
  start.started = CreateEventA(NULL, TRUE, FALSE, NULL);
  if (start.started == NULL)
    return -1;
  thread->handle = CreateThread(NULL, 0, skct__thread_main, &start, 0, NULL);
  if (thread->handle != NULL)
    WaitForSingleObject(start.started, INFINITE);
  CloseHandle(start.started);
  return thread->handle != NULL ? 0 : -1;
#else
  {
    int rc;
    pthread_t *tid = malloc(sizeof *tid);
    if (tid == NULL)
      return -1;
    pthread_mutex_init(&start.lock, NULL);
    pthread_cond_init(&start.cond, NULL);
    start.started = 0;
    rc = pthread_create(tid, NULL, skct__thread_main, &start);
    if (rc == 0) {
      pthread_mutex_lock(&start.lock);
      while (!start.started)
        pthread_cond_wait(&start.cond, &start.lock);
      pthread_mutex_unlock(&start.lock);
    }
    pthread_cond_destroy(&start.cond);
    pthread_mutex_destroy(&start.lock);
    if (rc != 0) {
      free(tid);
      return -1;
    }
    thread->handle = tid;
    return 0;
  }
#endif
}

void skct_thread_join(skct_thread *thread) {
#ifdef _WIN32
  WaitForSingleObject((HANDLE)thread->handle, INFINITE);
  CloseHandle((HANDLE)thread->handle);
#else
  pthread_join(*(pthread_t *)thread->handle, NULL);
  free(thread->handle);
#endif
  thread->handle = NULL;
}

/* ---- SIGPIPE observation (scenarios) ---- */

#ifndef _WIN32
static sigset_t skct__saved_mask;
#endif

void skct_sigpipe_begin(void) {
#ifndef _WIN32
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &skct__saved_mask);
#endif
}

int skct_sigpipe_end(void) {
#ifdef _WIN32
  return 0;
#else
  /* A SIGPIPE raised by send() while blocked stays pending for the thread
   * (POSIX: the signal is generated for the thread that caused it). */
  sigset_t pending, only;
  int raised = 0;
  sigemptyset(&pending);
  sigpending(&pending);
  if (sigismember(&pending, SIGPIPE)) {
    int sig;
    sigemptyset(&only);
    sigaddset(&only, SIGPIPE);
    sigwait(&only, &sig);
    raised = 1;
  }
  pthread_sigmask(SIG_SETMASK, &skct__saved_mask, NULL);
  return raised;
#endif
}

const char *skct_native_name(int native) {
#ifdef _WIN32
  switch (native) {
#define SKCT_NAME(code) case code: return #code;
    SKCT_NAME(WSAEINTR) SKCT_NAME(WSAEBADF) SKCT_NAME(WSAEACCES)
    SKCT_NAME(WSAEFAULT) SKCT_NAME(WSAEINVAL) SKCT_NAME(WSAEMFILE)
    SKCT_NAME(WSAEWOULDBLOCK) SKCT_NAME(WSAEINPROGRESS) SKCT_NAME(WSAEALREADY)
    SKCT_NAME(WSAENOTSOCK) SKCT_NAME(WSAEMSGSIZE) SKCT_NAME(WSAENOPROTOOPT)
    SKCT_NAME(WSAEOPNOTSUPP) SKCT_NAME(WSAEADDRINUSE) SKCT_NAME(WSAEADDRNOTAVAIL)
    SKCT_NAME(WSAENETDOWN) SKCT_NAME(WSAENETUNREACH) SKCT_NAME(WSAENETRESET)
    SKCT_NAME(WSAECONNABORTED) SKCT_NAME(WSAECONNRESET) SKCT_NAME(WSAENOBUFS)
    SKCT_NAME(WSAEISCONN) SKCT_NAME(WSAENOTCONN) SKCT_NAME(WSAESHUTDOWN)
    SKCT_NAME(WSAETIMEDOUT) SKCT_NAME(WSAECONNREFUSED) SKCT_NAME(WSAEHOSTUNREACH)
    SKCT_NAME(WSANOTINITIALISED) SKCT_NAME(WSAEDISCON)
#undef SKCT_NAME
  default: return "?";
  }
#else
  /* POSIX errno names are the SKC names (EWOULDBLOCK is EAGAIN on Linux
   * and macOS). */
  int code = skc_translate_error(native);
  return code == SKC_EUNKNOWN ? "?" : skc_err_name(code);
#endif
}

const char *skct_platform(void) {
#if defined(_WIN32)
  return "windows";
#elif defined(__linux__)
  return "linux";
#elif defined(__APPLE__)
  return "macos";
#elif defined(__FreeBSD__)
  return "freebsd";
#else
  return "posix";
#endif
}

/* ---- bad-input helpers ---- */

#ifndef _WIN32
static int skct__pipe_write_end = -1;
#else
static HANDLE skct__pipe_write_end = NULL;
#endif

skc_socket_t skct_not_a_socket(void) {
#ifdef _WIN32
  HANDLE read_end, write_end;
  if (!CreatePipe(&read_end, &write_end, NULL, 0))
    return SKC_INVALID_SOCKET;
  skct__pipe_write_end = write_end;
  return (skc_socket_t)read_end;
#else
  int fds[2];
  if (pipe(fds) != 0)
    return SKC_INVALID_SOCKET;
  skct__pipe_write_end = fds[1];
  return fds[0];
#endif
}

void skct_release_not_a_socket(skc_socket_t h) {
#ifdef _WIN32
  CloseHandle((HANDLE)h);
  CloseHandle(skct__pipe_write_end);
  skct__pipe_write_end = NULL;
#else
  close(h); /* may already be closed by the call under test: EBADF */
  close(skct__pipe_write_end);
  skct__pipe_write_end = -1;
#endif
}

int skct_set_nonblocking(skc_socket_t s) {
#ifdef _WIN32
  u_long on = 1;
  return ioctlsocket((SOCKET)s, FIONBIO, &on) == 0 ? 0 : -1;
#else
  int on = 1;
  return ioctl(s, FIONBIO, &on) == 0 ? 0 : -1;
#endif
}
