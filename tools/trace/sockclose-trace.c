/*
 * sockclose-trace: run a program with the tracer preloaded, which reports
 * the sockets it leaves in CLOSE_WAIT with the call stack that created
 * each. See `sockclose-trace --help` and the man page sockclose-trace(1).
 *
 * The launcher only sets the environment and executes the program (same
 * process, same pid, same signals): LD_PRELOAD gets the tracer library,
 * and SOCKCLOSE_TRACE_* carry the options to it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SKC_TRACE_LIBRARY_NAME
#define SKC_TRACE_LIBRARY_NAME "libsockclose-trace.so"
#endif
/* The installed library, relative to the installed launcher's directory. */
#ifndef SKC_TRACE_LIBRARY_RELATIVE
#define SKC_TRACE_LIBRARY_RELATIVE "../lib/sockclose/" SKC_TRACE_LIBRARY_NAME
#endif

static const char usage[] =
    "usage: sockclose-trace [--after SECONDS] [--interval SECONDS] [--json]\n"
    "                       [--output FILE] -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM (dynamically linked) with a preloaded library that records the\n"
    "call stack creating each TCP socket (socket, accept, accept4, and dup, dup2,\n"
    "dup3, fcntl F_DUPFD of them; forked children inherit the records), and reports\n"
    "every socket that stays in CLOSE_WAIT: the peer closed and the program did\n"
    "not. Sockets are grouped by creation site, with descriptor, endpoints, time\n"
    "since the peer's FIN (at least), unread bytes and the stack, with function,\n"
    "file and line where debug information exists.\n"
    "\n"
    "  --after SECONDS     report sockets in CLOSE_WAIT for at least this long\n"
    "                      (default 10; 0 reports every one)\n"
    "  --interval SECONDS  check every SECONDS while the program runs (default 10;\n"
    "                      0: only at exit); the report at exit is always made\n"
    "  --json              one JSON document per report, one per line\n"
    "  --output FILE       write reports to FILE (created or emptied first; every\n"
    "                      process of the program appends to it) instead of\n"
    "                      standard error\n"
    "\n"
    "Exit status: the program's own; 2 for a usage error; 127 when PROGRAM cannot\n"
    "be run. See sockclose-trace(1).\n";

static int parse_seconds(const char *option, const char *value, const char **out) {
  char *end;
  double seconds;
  if (value == NULL) {
    fprintf(stderr, "sockclose-trace: %s needs a number of seconds\n", option);
    return -1;
  }
  errno = 0;
  seconds = strtod(value, &end);
  if (errno != 0 || end == value || *end != '\0' || !(seconds >= 0) || seconds > 1e7) {
    fprintf(stderr, "sockclose-trace: %s: '%s' is not a number of seconds from 0 to 10000000\n",
            option, value);
    return -1;
  }
  *out = value;
  return 0;
}

/* The tracer library: SOCKCLOSE_TRACE_LIBRARY, else next to this program
 * (the build tree), else where it is installed. */
static int find_library(char *path, size_t size) {
  const char *given = getenv("SOCKCLOSE_TRACE_LIBRARY");
  char self[PATH_MAX];
  ssize_t n;
  char *slash;
  if (given != NULL && *given != '\0') {
    snprintf(path, size, "%s", given);
    return access(path, R_OK) == 0 ? 0 : -1;
  }
  n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return -1;
  self[n] = '\0';
  slash = strrchr(self, '/');
  if (slash == NULL)
    return -1;
  *slash = '\0';
  snprintf(path, size, "%s/%s", self, SKC_TRACE_LIBRARY_NAME);
  if (access(path, R_OK) == 0)
    return 0;
  snprintf(path, size, "%s/%s", self, SKC_TRACE_LIBRARY_RELATIVE);
  return access(path, R_OK) == 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  const char *after = "10", *interval = "10", *output = NULL;
  int json = 0, i;
  char library[PATH_MAX + 64];
  const char *preload;
  char *preload_value;

  for (i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(arg, "--after") == 0) {
      if (parse_seconds(arg, i + 1 < argc ? argv[i + 1] : NULL, &after) != 0)
        return 2;
      i++;
    } else if (strcmp(arg, "--interval") == 0) {
      if (parse_seconds(arg, i + 1 < argc ? argv[i + 1] : NULL, &interval) != 0)
        return 2;
      i++;
    } else if (strcmp(arg, "--json") == 0) {
      json = 1;
    } else if (strcmp(arg, "--output") == 0) {
      if (i + 1 >= argc || argv[i + 1][0] == '\0') {
        fprintf(stderr, "sockclose-trace: --output needs a file name\n");
        return 2;
      }
      output = argv[++i];
    } else if (arg[0] == '-') {
      fprintf(stderr, "sockclose-trace: unknown option '%s'\n%s", arg, usage);
      return 2;
    } else {
      break; /* the program, without "--" */
    }
  }
  if (i >= argc) {
    fprintf(stderr, "sockclose-trace: no program given\n%s", usage);
    return 2;
  }
  if (find_library(library, sizeof library) != 0) {
    fprintf(stderr, "sockclose-trace: cannot find %s (set SOCKCLOSE_TRACE_LIBRARY)\n",
            SKC_TRACE_LIBRARY_NAME);
    return 127;
  }
  if (output != NULL) {
    /* absolute, since the program may change directory; emptied now so
     * that the file holds this run's reports only */
    char output_path[PATH_MAX + 64];
    int fd;
    if (output[0] == '/') {
      snprintf(output_path, sizeof output_path, "%s", output);
    } else {
      char cwd[PATH_MAX];
      if (getcwd(cwd, sizeof cwd) == NULL) {
        fprintf(stderr, "sockclose-trace: getcwd: %s\n", strerror(errno));
        return 2;
      }
      snprintf(output_path, sizeof output_path, "%s/%s", cwd, output);
    }
    fd = open(output_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      fprintf(stderr, "sockclose-trace: --output %s: %s\n", output, strerror(errno));
      return 2;
    }
    close(fd);
    setenv("SOCKCLOSE_TRACE_OUTPUT", output_path, 1);
  } else {
    unsetenv("SOCKCLOSE_TRACE_OUTPUT");
  }
  {
    char pid[32]; /* exec keeps the pid: this is the program's */
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    setenv("SOCKCLOSE_TRACE_PID", pid, 1);
  }
  setenv("SOCKCLOSE_TRACE_AFTER", after, 1);
  setenv("SOCKCLOSE_TRACE_INTERVAL", interval, 1);
  setenv("SOCKCLOSE_TRACE_JSON", json ? "1" : "0", 1);
  preload = getenv("LD_PRELOAD");
  if (preload != NULL && *preload != '\0') {
    if (asprintf(&preload_value, "%s:%s", library, preload) < 0)
      return 127;
  } else {
    preload_value = library;
  }
  setenv("LD_PRELOAD", preload_value, 1);
  execvp(argv[i], &argv[i]);
  fprintf(stderr, "sockclose-trace: cannot run %s: %s\n", argv[i], strerror(errno));
  return 127;
}
