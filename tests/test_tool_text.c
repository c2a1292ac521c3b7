/*
 * sockclose-audit treats process names as untrusted text (Linux, where a
 * process sets its own name with prctl): a child names itself with an
 * invalid UTF-8 byte, an escape sequence and a newline, and holds a
 * listener. The JSON must stay valid UTF-8 with the name escaped, and the
 * table must keep one connection per line with no control byte in it.
 * Also: --fail-if accepts "total" in any case, as it does state names.
 *
 * Usage: test_tool_text PATH-OF-sockclose-audit
 */
#if !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif
#include "skc_test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_SIZE 65536
#define RUN_MS 60000

/* 0xFF (never valid UTF-8), ESC [ 2 J (clear the screen), a newline. */
static const char hostile_name[] = "n\xff\x1b[2J\nX";

static const char *tool_path = NULL;
static char out[OUT_SIZE];
static pid_t child = -1;
static char child_pid[24];

/* The child: renames itself, listens, and waits to be killed. */
static pid_t start_named_child(void) {
  int ready[2];
  char c = 0;
  pid_t pid;
  if (pipe(ready) != 0)
    return -1;
  pid = fork();
  if (pid == 0) {
    struct sockaddr_in addr;
    int s;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (prctl(PR_SET_NAME, hostile_name, 0, 0, 0) != 0 || s < 0 ||
        bind(s, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(s, 1) != 0)
      _exit(1);
    c = 1;
    if (write(ready[1], &c, 1) != 1)
      _exit(1);
    for (;;)
      pause();
  }
  close(ready[1]);
  if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 1) {
    close(ready[0]);
    return -1;
  }
  close(ready[0]);
  return pid;
}

static int run(const char *first, ...) {
  const char *args[16];
  size_t n = 0;
  int status;
  va_list ap;
  va_start(ap, first);
  for (args[n] = first; args[n] != NULL && n + 1 < sizeof args / sizeof args[0];)
    args[++n] = va_arg(ap, const char *);
  va_end(ap);
  args[n] = NULL;
  status = skct_run_capture(tool_path, args, out, sizeof out, RUN_MS);
  assert_true(status >= 0);
  return status;
}
#define RUN(...) run(__VA_ARGS__, (const char *)NULL)

/* Is text well-formed UTF-8 (RFC 3629)? */
static int valid_utf8(const unsigned char *s) {
  while (*s != '\0') {
    size_t len, i;
    unsigned long c;
    if (s[0] < 0x80) {
      s++;
      continue;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
      len = 2, c = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
      len = 3, c = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
      len = 4, c = s[0] & 0x07u;
    else
      return 0;
    for (i = 1; i < len; i++) {
      if ((s[i] & 0xc0) != 0x80)
        return 0;
      c = c << 6 | (s[i] & 0x3fu);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
      return 0;
    s += len;
  }
  return 1;
}

/* Control bytes other than the line ends. */
static int control_bytes(const char *text) {
  int n = 0;
  for (; *text != '\0'; text++)
    if (((unsigned char)*text < 0x20 && *text != '\n') || *text == 0x7f)
      n++;
  return n;
}

static int setup(void **state) {
  (void)state;
  child = start_named_child();
  if (child < 0)
    return -1;
  (void)snprintf(child_pid, sizeof child_pid, "%ld", (long)child);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  if (child > 0) {
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
  }
  return 0;
}

static void json_escapes_a_hostile_process_name(void **state) {
  (void)state;
  assert_int_equal(RUN("--pid", child_pid, "--json"), 0);
  print_message("%s", out);
  assert_true(valid_utf8((const unsigned char *)out));
  assert_int_equal(control_bytes(out), 0);
  /* One line: the document and its final newline. */
  assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
  assert_non_null(strstr(out, "\"process\":\"n\\ufffd\\u001b[2J\\u000aX\""));
  assert_non_null(strstr(out, "\"state\":\"LISTEN\""));
}

static void table_escapes_a_hostile_process_name(void **state) {
  const char *row;
  (void)state;
  assert_int_equal(RUN("--pid", child_pid), 0);
  print_message("%s", out);
  assert_int_equal(control_bytes(out), 0);
  assert_null(strchr(out, '\xff'));
  /* The listener's row ends with the escaped name, on one line. */
  row = strstr(out, "LISTEN");
  assert_non_null(row);
  assert_non_null(strstr(row, "n\\xff\\x1b[2J\\x0aX\n"));
  assert_true(strchr(row, '\n') == strstr(row, "n\\xff") + strlen("n\\xff\\x1b[2J\\x0aX"));
}

static void fail_if_total_in_any_case(void **state) {
  (void)state;
  assert_int_equal(RUN("--pid", child_pid, "--fail-if", "Total>0"), 1);
  assert_int_equal(RUN("--pid", child_pid, "--fail-if", "TOTAL>5"), 0);
  assert_int_equal(RUN("--pid", child_pid, "--fail-if", "total==1"), 1);
  assert_int_equal(RUN("--pid", child_pid, "--fail-if", "Listen==1"), 1);
  assert_int_equal(RUN("--pid", child_pid, "--fail-if", "Totals>0"), 2);
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(json_escapes_a_hostile_process_name),
      cmocka_unit_test(table_escapes_a_hostile_process_name),
      cmocka_unit_test(fail_if_total_in_any_case),
  };
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  if (argc < 2) {
    fprintf(stderr, "usage: test_tool_text PATH-OF-sockclose-audit\n");
    return 2;
  }
  tool_path = argv[1];
  rc = cmocka_run_group_tests_name("tool_text", tests, setup, teardown);
  return rc;
}
