/*
 * A program for sockclose-trace's tests: each scenario leaks sockets on
 * some paths and not on others. The lines that create a socket carry a
 * SITE(name) marker; test_trace.py reads the markers and checks that the
 * report names exactly the leaking sites, with this file's line numbers
 * and the right counts.
 *
 * Usage: trace_target basic|threads|fork|errno|foreign|periodic|environment
 * Exits 0 when the scenario itself ran as planned.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void die(const char *what) {
  fprintf(stderr, "trace_target: %s: %s\n", what, strerror(errno));
  exit(3);
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static NOINLINE int make_listener(struct sockaddr_in *addr) {
  socklen_t len = sizeof *addr;
  int fd = socket(AF_INET, SOCK_STREAM, 0); /* SITE(listener) */
  if (fd < 0)
    die("socket");
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, (struct sockaddr *)addr, &len) != 0)
    die("bind/listen");
  return fd;
}

/* The client side: connects, sends one byte and closes in order. */
static NOINLINE void client_visit(const struct sockaddr_in *addr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0); /* SITE(client) */
  if (fd < 0)
    die("client socket");
  if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) != 0)
    die("connect");
  if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
    die("send");
  close(fd);
}

static int tcp_state(int fd) {
  struct tcp_info info;
  socklen_t size = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    return -1;
  return info.tcpi_state;
}

/* Waits until the peer's FIN has arrived on fd. */
static void wait_close_wait(int fd) {
  for (int i = 0; i < 500; i++) {
    if (tcp_state(fd) == TCP_CLOSE_WAIT)
      return;
    sleep_ms(10);
  }
  fprintf(stderr, "trace_target: fd %d never reached CLOSE_WAIT\n", fd);
  exit(3);
}

/* Reads to the end of the stream and closes: the path that does not leak. */
static void finish(int fd) {
  char buf[16];
  while (recv(fd, buf, sizeof buf, 0) > 0) {
  }
  close(fd);
}

static NOINLINE int leak_accept(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(leak-accept) */
  if (fd < 0)
    die("accept");
  return fd;
}

static NOINLINE void closing_accept(int listener) {
  int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC); /* SITE(ok-accept) */
  if (fd < 0)
    die("accept4");
  wait_close_wait(fd);
  finish(fd);
}

static NOINLINE int accept_for_dup(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(dup-source) */
  if (fd < 0)
    die("accept");
  return fd;
}

static NOINLINE int leak_dup(int fd) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 100); /* SITE(leak-dup) */
  if (copy < 0)
    die("fcntl");
  return copy;
}

static int scenario_basic(void) {
  struct sockaddr_in addr;
  int listener = make_listener(&addr);
  int leaked[5], source, copy;
  for (int i = 0; i < 5; i++) {
    client_visit(&addr);
    leaked[i] = leak_accept(listener);
  }
  for (int i = 0; i < 3; i++) {
    client_visit(&addr);
    closing_accept(listener);
  }
  client_visit(&addr);
  source = accept_for_dup(listener);
  copy = leak_dup(source);
  close(source);
  for (int i = 0; i < 5; i++)
    wait_close_wait(leaked[i]);
  wait_close_wait(copy);
  return 0; /* exits with 6 sockets in CLOSE_WAIT */
}

/* ---- threads ---- */

static NOINLINE int thread_leak(int listener) {
  int fd = accept4(listener, NULL, NULL, 0); /* SITE(thread-leak) */
  if (fd < 0)
    die("accept4");
  return fd;
}

static NOINLINE void thread_ok(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(thread-ok) */
  if (fd < 0)
    die("accept");
  wait_close_wait(fd);
  finish(fd);
}

/* Each thread duplicates onto its own number (300 + index). */
static NOINLINE void thread_dup2_leak(int listener, int target) {
  int fd = accept(listener, NULL, NULL); /* SITE(thread-dup2-source) */
  if (fd < 0)
    die("accept");
  if (dup2(fd, target) < 0) /* SITE(thread-dup2-leak) */
    die("dup2");
  close(fd);
  wait_close_wait(target);
}

static void *thread_main(void *arg) {
  struct sockaddr_in addr;
  int listener = make_listener(&addr);
  int leaked[2];
  for (int round = 0; round < 2; round++) {
    client_visit(&addr);
    leaked[round] = thread_leak(listener);
    client_visit(&addr);
    thread_ok(listener);
  }
  client_visit(&addr);
  thread_dup2_leak(listener, 300 + (int)(intptr_t)arg);
  wait_close_wait(leaked[0]);
  wait_close_wait(leaked[1]);
  close(listener);
  return NULL;
}

static int scenario_threads(void) {
  pthread_t threads[4];
  for (int i = 0; i < 4; i++)
    if (pthread_create(&threads[i], NULL, thread_main, (void *)(intptr_t)i) != 0)
      die("pthread_create");
  for (int i = 0; i < 4; i++)
    pthread_join(threads[i], NULL);
  return 0; /* 8 thread-leak and 4 thread-dup2-leak sockets */
}

/* ---- fork ---- */

static NOINLINE int fork_inherited(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(fork-inherited) */
  if (fd < 0)
    die("accept");
  return fd;
}

static NOINLINE int fork_child_leak(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(fork-child-leak) */
  if (fd < 0)
    die("accept");
  return fd;
}

static int scenario_fork(void) {
  struct sockaddr_in addr;
  int listener = make_listener(&addr);
  int inherited[2], status;
  pid_t child;
  for (int i = 0; i < 2; i++) {
    client_visit(&addr);
    inherited[i] = fork_inherited(listener);
  }
  child = fork();
  if (child < 0)
    die("fork");
  if (child == 0) {
    /* keeps the inherited copies and leaks one of its own */
    int own = fork_child_leak(listener);
    wait_close_wait(own);
    wait_close_wait(inherited[0]);
    wait_close_wait(inherited[1]);
    sleep_ms(300); /* for the child's periodic checks */
    exit(0);
  }
  client_visit(&addr); /* for the child's accept */
  close(inherited[0]);
  close(inherited[1]);
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "trace_target: the child failed\n");
    return 3;
  }
  close(listener);
  return 0; /* the parent leaves nothing */
}

/* ---- errno: each interposed call leaves errno as the real call does ---- */

static int failures;

static void expect_errno(const char *call, int expected) {
  if (errno != expected) {
    fprintf(stderr, "trace_target: after %s errno is %d, expected %d\n", call, errno, expected);
    failures++;
  }
}

static int scenario_errno(void) {
  struct sockaddr_in addr;
  int listener = make_listener(&addr), fd, copy, pipes[2];
  if (pipe(pipes) != 0)
    die("pipe");

  errno = 4242;
  fd = socket(AF_INET, SOCK_STREAM, 0);
  expect_errno("a successful socket()", 4242);
  errno = 4242;
  if (socket(AF_INET, 12345, 0) != -1)
    failures++;
  expect_errno("socket() of a bad type", EINVAL);

  errno = 4242;
  copy = dup(fd);
  expect_errno("a successful dup()", 4242);
  errno = 4242;
  if (dup2(fd, copy) != copy)
    failures++;
  expect_errno("a successful dup2()", 4242);
  errno = 4242;
  if (dup3(fd, copy, O_CLOEXEC) != copy)
    failures++;
  expect_errno("a successful dup3()", 4242);
  errno = 4242;
  if (fcntl(fd, F_DUPFD, 50) < 50)
    failures++;
  expect_errno("a successful fcntl(F_DUPFD)", 4242);
  errno = 4242;
  if (fcntl(fd, F_GETFD) < 0)
    failures++;
  expect_errno("a successful fcntl(F_GETFD)", 4242);
  errno = 4242;
  if (close(copy) != 0)
    failures++;
  expect_errno("a successful close()", 4242);

  if (dup(-1) != -1)
    failures++;
  expect_errno("dup(-1)", EBADF);
  if (dup2(fd, -5) != -1)
    failures++;
  expect_errno("dup2(fd, -5)", EBADF);
  if (dup3(fd, fd, 0) != -1)
    failures++;
  expect_errno("dup3(fd, fd)", EINVAL);
  if (fcntl(-1, F_DUPFD, 0) != -1)
    failures++;
  expect_errno("fcntl(-1, F_DUPFD)", EBADF);
  if (close(-1) != -1)
    failures++;
  expect_errno("close(-1)", EBADF);
  if (close(1 << 22) != -1)
    failures++;
  expect_errno("close(1 << 22)", EBADF);
  if (accept(pipes[0], NULL, NULL) != -1)
    failures++;
  expect_errno("accept() on a pipe", ENOTSOCK);
  fcntl(listener, F_SETFL, O_NONBLOCK);
  if (accept4(listener, NULL, NULL, 0) != -1)
    failures++;
  expect_errno("accept4() with nothing waiting", EAGAIN);
  errno = 4242;
  client_visit(&addr);
  errno = 4242;
  for (int i = 0; i < 200; i++) {
    int accepted = accept(listener, NULL, NULL);
    if (accepted >= 0) {
      expect_errno("a successful accept()", 4242);
      close(accepted);
      break;
    }
    errno = 4242;
    sleep_ms(10);
  }
  return failures == 0 ? 0 : 1;
}

/* ---- a program that closes descriptors it does not own ---- */

static NOINLINE int foreign_leak(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(foreign-leak) */
  if (fd < 0)
    die("accept");
  return fd;
}

static int scenario_foreign(void) {
  struct sockaddr_in addr;
  int listener, stale, replaced, leaked, pipes[2];
  /* everything beyond stderr, whoever opened it */
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
  listener = make_listener(&addr);
  client_visit(&addr);
  stale = accept(listener, NULL, NULL); /* SITE(stale) */
  /* closed behind the tracer's back: close_range is not interposed */
  if (syscall(SYS_close_range, (unsigned)stale, (unsigned)stale, 0u) != 0)
    die("close_range");
  /* the number is reused by a pipe: not a socket any more */
  if (pipe(pipes) != 0)
    die("pipe");
  /* a CLOSE_WAIT socket replaced by a pipe through dup2 */
  client_visit(&addr);
  replaced = accept(listener, NULL, NULL); /* SITE(replaced) */
  wait_close_wait(replaced);
  if (dup2(pipes[0], replaced) != replaced)
    die("dup2");
  client_visit(&addr);
  leaked = foreign_leak(listener);
  wait_close_wait(leaked);
  for (int fd = 3; fd < 1024; fd++)
    if (fd != leaked)
      close(fd);
  return 0; /* exactly one socket, from foreign-leak */
}

/* ---- periodic: CLOSE_WAIT for 2.5 s, then closed ---- */

static NOINLINE int periodic_leak(int listener) {
  int fd = accept(listener, NULL, NULL); /* SITE(periodic-leak) */
  if (fd < 0)
    die("accept");
  return fd;
}

static int scenario_periodic(void) {
  struct sockaddr_in addr;
  int listener = make_listener(&addr), held[2];
  for (int i = 0; i < 2; i++) {
    client_visit(&addr);
    held[i] = periodic_leak(listener);
    wait_close_wait(held[i]);
  }
  sleep_ms(2500);
  finish(held[0]);
  finish(held[1]);
  close(listener);
  return 0; /* reported while held, not at exit */
}

/* ---- what the program can see of the tracer: printed, for the test to
 * compare with the same program run without it ---- */

static void print_environment(const char *when) {
  sigset_t mask;
  DIR *dir = opendir("/proc/self/fd");
  struct dirent *entry;
  printf("%s: descriptors", when);
  if (dir == NULL)
    die("opendir");
  while ((entry = readdir(dir)) != NULL)
    if (entry->d_name[0] != '.' && atoi(entry->d_name) != dirfd(dir)) {
      char link[320], target[256] = "";
      snprintf(link, sizeof link, "/proc/self/fd/%s", entry->d_name);
      if (atoi(entry->d_name) > 2 && readlink(link, target, sizeof target - 1) < 0)
        target[0] = '\0';
      printf(" %s%s%s", entry->d_name, target[0] != '\0' ? "=" : "", target);
    }
  closedir(dir);
  printf("; handlers");
  for (int sig = 1; sig < NSIG; sig++) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL)
      printf(" %d:%s", sig, sa.sa_handler == SIG_IGN ? "ignored" : "caught");
  }
  sigprocmask(SIG_SETMASK, NULL, &mask);
  printf("; blocked");
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember(&mask, sig) == 1)
      printf(" %d", sig);
  printf("\n");
}

static int scenario_environment(void) {
  struct sockaddr_in addr;
  int listener, leaked;
  print_environment("start");
  /* one CLOSE_WAIT socket, so that the periodic checks report (and open
   * the output and the debug files) while the program looks */
  listener = make_listener(&addr);
  client_visit(&addr);
  leaked = accept(listener, NULL, NULL); /* SITE(environment) */
  wait_close_wait(leaked);
  sleep_ms(800);
  close(leaked);
  close(listener);
  print_environment("end");
  return 0;
}

/* ---- a program that closes standard error and reuses descriptor 2 for
 * a connection: the report at exit must not go into it ---- */

static int scenario_stderr_reuse(void) {
  struct sockaddr_in addr;
  int listener = make_listener(&addr), client, server, leaked, pipes[2];
  pid_t reader;
  char buf[256];
  ssize_t got;
  close(2);
  client = socket(AF_INET, SOCK_STREAM, 0); /* descriptor 2 */
  if (client != 2 || connect(client, (struct sockaddr *)&addr, sizeof addr) != 0)
    die("client on descriptor 2");
  server = accept(listener, NULL, NULL);
  client_visit(&addr);
  leaked = accept(listener, NULL, NULL); /* SITE(stderr-leak) */
  wait_close_wait(leaked);
  if (pipe(pipes) != 0)
    die("pipe");
  reader = fork();
  if (reader < 0)
    die("fork");
  if (reader == 0) {
    /* reads what arrives on the other end of descriptor 2 once the
     * parent has exited (its end of the pipe closes) */
    struct timeval wait = {2, 0};
    close(pipes[1]);
    close(client);
    (void)read(pipes[0], buf, 1);
    setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    got = recv(server, buf, sizeof buf - 1, 0);
    printf("descriptor 2's peer received %zd bytes\n", got < 0 ? (ssize_t)0 : got);
    fflush(stdout);
    _exit(0);
  }
  close(pipes[0]);
  close(server);
  return 0; /* exits with one socket in CLOSE_WAIT; the pipe closes at exit */
}

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : "";
  if (strcmp(name, "basic") == 0)
    return scenario_basic();
  if (strcmp(name, "threads") == 0)
    return scenario_threads();
  if (strcmp(name, "fork") == 0)
    return scenario_fork();
  if (strcmp(name, "errno") == 0)
    return scenario_errno();
  if (strcmp(name, "foreign") == 0)
    return scenario_foreign();
  if (strcmp(name, "periodic") == 0)
    return scenario_periodic();
  if (strcmp(name, "environment") == 0)
    return scenario_environment();
  if (strcmp(name, "stderr-reuse") == 0)
    return scenario_stderr_reuse();
  fprintf(stderr, "usage: trace_target basic|threads|fork|errno|foreign|periodic|environment\n");
  return 2;
}
