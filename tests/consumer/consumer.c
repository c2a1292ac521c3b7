/*
 * A program that uses an installed (or embedded) sockclose the way an
 * application does: includes <sockclose.h>, links the library, and ends a
 * loopback connection with it. Built by scripts/consumer-check against the
 * installed CMake package, add_subdirectory, FetchContent and pkg-config.
 *
 *   sockclose-consumer static|shared
 *
 * The argument is the linkage the build was meant to produce; the program
 * checks where skc_init()'s code really lives (in the executable for a
 * static build, in libsockclose.so / .dylib / .dll for a shared one).
 * SOCKCLOSE_EXPECT_VERSION, given by the build, must match the header.
 * Prints one line per check; exits 0 only when every check passes.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr */
#endif

#include <sockclose.h>

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#ifndef SOCKCLOSE_EXPECT_VERSION
#error "build with -DSOCKCLOSE_EXPECT_VERSION=\"x.y.z\""
#endif

#define STR2(x) #x
#define STR(x) STR2(x)
#define HEADER_VERSION                                                         \
  STR(SKC_VERSION_MAJOR) "." STR(SKC_VERSION_MINOR) "." STR(SKC_VERSION_PATCH)

static int checks, failures;

static void check(int ok, const char *what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  checks++;
  if (!ok)
    failures++;
}

/* The address of a function's code as a data pointer (ISO C has no
 * conversion between the two; every supported platform uses one size). */
typedef int (*int_fn)(void);
static const void *code_address(int_fn fn) {
  const void *p;
  typedef char same_size[sizeof p == sizeof fn ? 1 : -1];
  (void)sizeof(same_size);
  memcpy(&p, &fn, sizeof p);
  return p;
}

static int local_function(void) { return 0; }

/* Whether two code addresses lie in the same module (executable or shared
 * library); the name of the module holding `a` goes to `name`. */
static int same_module(const void *a, const void *b, char *name, size_t size) {
#ifdef _WIN32
  HMODULE ma, mb;
  DWORD flags = GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT;
  if (!GetModuleHandleExA(flags, (LPCSTR)a, &ma) ||
      !GetModuleHandleExA(flags, (LPCSTR)b, &mb))
    return -1;
  if (GetModuleFileNameA(ma, name, (DWORD)size) == 0)
    return -1;
  return ma == mb;
#else
  Dl_info ia, ib;
  if (dladdr(a, &ia) == 0 || dladdr(b, &ib) == 0 || ia.dli_fname == NULL)
    return -1;
  snprintf(name, size, "%s", ia.dli_fname);
  return ia.dli_fbase == ib.dli_fbase;
#endif
}

int main(int argc, char **argv) {
  skc_socket_t pair[2];
  char buf[8];
  char module[512] = "";
  int linked_in;

  if (argc != 2 || (strcmp(argv[1], "static") != 0 &&
                    strcmp(argv[1], "shared") != 0)) {
    fprintf(stderr, "usage: %s static|shared\n", argv[0]);
    return 2;
  }

  printf("sockclose %s, expected %s\n", HEADER_VERSION,
         SOCKCLOSE_EXPECT_VERSION);
  check(strcmp(HEADER_VERSION, SOCKCLOSE_EXPECT_VERSION) == 0,
        "header version is the package version");

  linked_in = same_module(code_address(skc_init), code_address(local_function),
                          module, sizeof module);
  printf("skc_init is in %s\n", module);
  check(linked_in >= 0, "located skc_init's module");
  if (strcmp(argv[1], "static") == 0)
    check(linked_in == 1, "static build: library code is in the executable");
  else
    check(linked_in == 0, "shared build: library code is in a shared library");

  check(skc_init() == 0, "skc_init");
  check(skc_tcp_pair(pair) == 0, "skc_tcp_pair");
  check(skc_send(pair[0], "ping", 4) == 4, "skc_send");
  check(skc_shutdown(pair[0], SKC_SHUT_WR) == 0, "skc_shutdown(SKC_SHUT_WR)");
  check(skc_recv(pair[1], buf, 4) == 4 && memcmp(buf, "ping", 4) == 0,
        "peer receives the data");
  check(skc_recv(pair[1], buf, sizeof buf) == 0, "peer then receives EOF");
  check(skc_send(pair[0], "x", 1) == SKC_ESHUTDOWN,
        "send after own shutdown is SKC_ESHUTDOWN");
  check(strcmp(skc_err_name(SKC_ESHUTDOWN), "ESHUTDOWN") == 0,
        "skc_err_name(SKC_ESHUTDOWN)");
  check(skc_close(SKC_INVALID_SOCKET) == SKC_EBADF,
        "skc_close(SKC_INVALID_SOCKET) is SKC_EBADF");
  check(skc_close(pair[0]) == 0 && skc_close(pair[1]) == 0, "skc_close");
  skc_cleanup();

  printf("consumer (%s): %d of %d checks passed\n", argv[1], checks - failures,
         checks);
  return failures == 0 ? 0 : 1;
}
