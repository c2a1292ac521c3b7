/*
 * sockclose-probe: runs every situation of the README's table live over
 * loopback on this machine and prints, per situation, what the OS itself
 * returned, what sockclose returned, what sockclose promises, and whether
 * they agree. The situations are the test suite's own
 * (tests/scenarios/scenarios.c).
 */
#if defined(__linux__) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "probe_results.h"
#include "scenarios.h"
#include "support.h"
#include "wire_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <unistd.h>
#endif

static const char usage[] =
    "usage: sockclose-probe [--json] [--only ID[,ID...]] [--markdown] "
    "[--help]\n"
    "\n"
    "Runs each situation of sockclose's table (S1-S12, G1-G2, C1-C3, A1-A2,\n"
    "and the P rows that pin a real difference between platforms) over\n"
    "loopback on this\n"
    "machine, twice: once with the raw system calls and once with sockclose.\n"
    "Each row shows:\n"
    "  native     what the OS returned (e.g. '-1 errno=32 EPIPE, SIGPIPE'\n"
    "             or '-1 WSAESHUTDOWN (10058)'; 'SIGPIPE' means the call\n"
    "             raised one, observed with the signal blocked)\n"
    "  sockclose  what the sockclose API returned\n"
    "  promise    what sockclose promises on this platform\n"
    "and a verdict: 'kept' when sockclose returned its promise, 'BROKEN' when\n"
    "not, 'ERROR' when the situation could not be set up, 'not-run' when\n"
    "what it needs is missing here: the D rows (a peer that vanishes) need\n"
    "the impaired link of tests/wire, root and network namespaces; C2 and\n"
    "C3 the private network namespace of tests/scenarios/private-net.sh\n"
    "(root); A2 a descriptor limit (none on Windows). Run as\n"
    "root on Linux, the probe restarts itself under sockclose-wire when it\n"
    "finds it ($SKC_WIRE_TOOL, next to the probe, or in the build tree's\n"
    "tests/wire/); by hand:\n"
    "  sockclose-wire run -- sockclose-probe --only D1,D2,D3\n"
    "Under Wine, rows\n"
    "where Wine is known to differ from Windows are labelled and checked\n"
    "against Wine's measured result. Every wait has a deadline.\n"
    "\n"
    "options:\n"
    "  --json        print one JSON document instead of the table:\n"
    "                {\"tool\", \"version\", \"platform\", \"wine\",\n"
    "                 \"situations\": [{\"id\", \"title\", \"native\",\n"
    "                 \"native_expected\", \"sockclose\", \"promise\",\n"
    "                 \"verdict\" (\"kept\"|\"broken\"|\"error\"|\"not-run\"),\n"
    "                 \"problem\", \"measured\", \"wine_deviation\"}],\n"
    "                 \"summary\": {\"total\", \"kept\", \"broken\", \"error\",\n"
    "                 \"not_run\"}}\n"
    "                (absent values are null)\n"
    "  --only IDS    run only these situations, e.g. --only S4,S7\n"
    "  --markdown    print the README's situation table (from the scenario\n"
    "                definitions and the recorded runs; runs nothing). Each\n"
    "                platform's cells come from that platform's recorded\n"
    "                --json document and say where they come from: measured\n"
    "                (on Linux, under Wine, on Windows or macOS in CI), or\n"
    "                Microsoft's documentation where no run exists\n"
    "  --results DIR the recorded runs for --markdown (default docs/results):\n"
    "                linux.json, wine-x86_64.json, wine-i686.json,\n"
    "                windows-msvc-x64.json, windows-msvc-x86.json,\n"
    "                windows-mingw.json, macos.json; a missing file is a\n"
    "                platform without a recorded run\n"
    "  --help        this text\n"
    "\n"
    "exit status: 0 when every promise was kept (rows not run do not count),\n"
    "1 when one was broken or a situation could not be set up, 2 on a usage\n"
    "error.\n";

struct row {
  const skcs_scenario *scenario;
  skcs_run native;
  skcs_run sockclose;
  int native_ok;
  int sockclose_ok;
  int not_run;
  const char *verdict;
};

static int selected(const char *only, const char *id) {
  size_t len = strlen(id);
  const char *p = only;
  if (only == NULL)
    return 1;
  while ((p = strstr(p, id)) != NULL) {
    if ((p == only || p[-1] == ',') && (p[len] == '\0' || p[len] == ','))
      return 1;
    p += len;
  }
  return 0;
}

static void json_string(const char *s) {
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void print_json(const struct row *rows, size_t n, int kept, int broken,
                       int errors, int not_run) {
  size_t i;
  printf("{\"tool\":\"sockclose-probe\",\"version\":\"%d.%d.%d\",",
         SKC_VERSION_MAJOR, SKC_VERSION_MINOR, SKC_VERSION_PATCH);
  printf("\"platform\":\"%s\",\"wine\":%s,\"situations\":[", skct_platform(),
         skct_is_wine() ? "true" : "false");
  for (i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    printf("%s{\"id\":", i ? "," : "");
    json_string(r->scenario->id);
    fputs(",\"title\":", stdout);
    json_string(r->scenario->title);
    fputs(",\"native\":", stdout);
    json_string(r->native_ok ? r->native.outcome : NULL);
    fputs(",\"native_expected\":", stdout);
    json_string(skcs_expected_native(r->scenario));
    fputs(",\"sockclose\":", stdout);
    json_string(r->sockclose_ok ? r->sockclose.outcome : NULL);
    fputs(",\"promise\":", stdout);
    json_string(skcs_expected_promise(r->scenario));
    fputs(",\"verdict\":", stdout);
    json_string(r->verdict);
    fputs(",\"problem\":", stdout);
    json_string(!r->sockclose_ok   ? r->sockclose.problem
                : !r->native_ok ? r->native.problem
                                : NULL);
    fputs(",\"measured\":", stdout);
    json_string(r->sockclose_ok && r->sockclose.measured[0]
                    ? r->sockclose.measured
                    : NULL);
    fputs(",\"wine_deviation\":", stdout);
    json_string(skcs_wine_note(r->scenario));
    putchar('}');
  }
  printf("],\"summary\":{\"total\":%d,\"kept\":%d,\"broken\":%d,\"error\":%d,"
         "\"not_run\":%d}}\n",
         kept + broken + errors + not_run, kept, broken, errors, not_run);
}

static void print_table(const struct row *rows, size_t n, int kept, int broken,
                        int errors, int not_run) {
  size_t i;
  printf("sockclose-probe %d.%d.%d on %s%s\n\n", SKC_VERSION_MAJOR,
         SKC_VERSION_MINOR, SKC_VERSION_PATCH, skct_platform(),
         skct_is_wine() ? " (under Wine)" : "");
  for (i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    const char *expected_native = skcs_expected_native(r->scenario);
    const char *note = skcs_wine_note(r->scenario);
    printf("%-4s %-7s %s\n", r->scenario->id, r->verdict, r->scenario->title);
    if (r->not_run) {
      printf("     %s\n", r->sockclose.problem);
      continue;
    }
    if (!r->native_ok)
      printf("     native:    could not run: %s\n", r->native.problem);
    else
      printf("     native:    %s%s\n", r->native.outcome,
             expected_native != NULL && strcmp(expected_native, r->native.outcome)
                 ? "  (differs from the table's native result)"
                 : "");
    if (!r->sockclose_ok)
      printf("     sockclose: could not run: %s\n", r->sockclose.problem);
    else
      printf("     sockclose: %s\n", r->sockclose.outcome);
    printf("     promise:   %s\n", skcs_expected_promise(r->scenario));
    if (r->sockclose_ok && r->sockclose.measured[0])
      printf("     measured:  %s (sockclose)%s%s\n", r->sockclose.measured,
             r->native_ok && r->native.measured[0] ? ", " : "",
             r->native_ok && r->native.measured[0] ? r->native.measured : "");
    if (note != NULL)
      printf("     Wine:      known deviation from Windows: %s\n", note);
  }
  printf("\n%d situations: %d kept, %d broken, %d could not run, %d not run "
         "here (%s%s)\n",
         kept + broken + errors + not_run, kept, broken, errors, not_run,
         skct_platform(), skct_is_wine() ? ", Wine" : "");
}

/* "`value` (source)" into buf. */
static void cell(char *buf, size_t size, const char *value, const char *source) {
  if (source != NULL && source[0] != '\0')
    snprintf(buf, size, "`%s` (%s)", value, source);
  else
    snprintf(buf, size, "`%s`", value);
}

/* The labels of the runs among first..last that recorded value for id,
 * joined with ", " into out. */
static void agreeing_runs(const probe_run *runs, int first, int last,
                          const char *id, const char *value, char *out,
                          size_t size) {
  int i;
  out[0] = '\0';
  for (i = first; i <= last; i++) {
    const char *v = probe_results_native(&runs[i], id);
    if (v != NULL && strcmp(v, value) == 0) {
      size_t used = strlen(out);
      snprintf(out + used, size - used, "%s%s", used ? ", " : "", runs[i].label);
    }
  }
}

/* Linux: the recorded run; without one, the suite's expectation. */
static void linux_cell(const probe_run *runs, const skcs_scenario *s, char *buf,
                       size_t size) {
  const char *v = probe_results_native(&runs[PROBE_LINUX], s->id);
  if (v != NULL)
    cell(buf, size, v, strcmp(v, s->linux_native) == 0
                           ? NULL
                           : "recorded run; differs from the suite's expectation");
  else
    cell(buf, size, s->linux_native, "expected; no recorded Linux run");
}

/* Windows: a run on Windows itself when one is recorded; else the Wine
 * runs where Wine behaves like Windows; else Microsoft's documentation
 * (with what Wine measured, where the documentation allows several
 * results and Wine's own note does not already say it). */
static void windows_cell(const probe_run *runs, const skcs_scenario *s,
                         char *buf, size_t size) {
  char source[384], who[128];
  const char *wine_value = probe_results_native(&runs[PROBE_WINE_X86_64], s->id);
  int i;
  if (wine_value == NULL)
    wine_value = probe_results_native(&runs[PROBE_WINE_I686], s->id);
  for (i = PROBE_WINDOWS_MSVC_X64; i <= PROBE_WINDOWS_MINGW; i++) {
    const char *v = probe_results_native(&runs[i], s->id);
    if (v != NULL) {
      agreeing_runs(runs, PROBE_WINDOWS_MSVC_X64, PROBE_WINDOWS_MINGW, s->id, v,
                    who, sizeof who);
      snprintf(source, sizeof source, "measured on %s in CI", who);
      cell(buf, size, v, source);
      return;
    }
  }
  if (s->windows_native != NULL && s->wine_note == NULL &&
      s->wine_native == NULL && wine_value != NULL) {
    agreeing_runs(runs, PROBE_WINE_X86_64, PROBE_WINE_I686, s->id, wine_value,
                  who, sizeof who);
    snprintf(source, sizeof source,
             "measured under Wine 8 (%s); not yet run on Windows", who);
    cell(buf, size, wine_value, source);
  } else if (s->windows_native != NULL) {
    cell(buf, size, s->windows_native,
         s->wine_note != NULL
             ? "Microsoft's documentation; Wine 8 differs; not yet run on Windows"
             : "expected; no recorded run");
  } else if (wine_value != NULL && s->wine_note == NULL) {
    snprintf(source, sizeof source,
             "Microsoft's documentation; Wine 8 measured `%s`; not yet run on "
             "Windows",
             wine_value);
    cell(buf, size, s->windows_text, source);
  } else {
    cell(buf, size, s->windows_text,
         "Microsoft's documentation; not yet run on Windows");
  }
}

static void macos_cell(const probe_run *runs, const skcs_scenario *s, char *buf,
                       size_t size) {
  const char *v = probe_results_native(&runs[PROBE_MACOS], s->id);
  if (v != NULL)
    cell(buf, size, v, "measured on macOS in CI");
  else
    snprintf(buf, size, "not run yet");
}

/* The README's table, from the scenario definitions and the recorded runs;
 * rows are the scenario table's, whatever it holds. */
static int print_markdown(const char *results_dir) {
  probe_run runs[PROBE_RUNS];
  char linux_text[512], windows_text[512], macos_text[512];
  size_t i;
  int err = probe_results_load(results_dir, runs);
  puts("| # | situation | Linux native | Windows native | macOS native | "
       "sockclose | Wine 8, where it differs from Windows |");
  puts("|---|---|---|---|---|---|---|");
  for (i = 0; i < skcs_scenario_count; i++) {
    const skcs_scenario *s = &skcs_scenarios[i];
    linux_cell(runs, s, linux_text, sizeof linux_text);
    windows_cell(runs, s, windows_text, sizeof windows_text);
    macos_cell(runs, s, macos_text, sizeof macos_text);
    printf("| %s | %s | %s | %s | %s | %s%s%s | %s%s%s |\n", s->id, s->title,
           linux_text, windows_text, macos_text, s->per_platform ? "" : "`",
           s->per_platform ? s->per_platform : s->promise,
           s->per_platform ? "" : "`", s->wine_note ? s->wine_note : "",
           s->wine_promise ? "; sockclose: " : "",
           s->wine_promise ? s->wine_promise : "");
  }
  probe_results_free(runs);
  return err == 0 ? 0 : 1;
}

#if defined(__linux__)
/* Run as root with selected rows that need the wire, and sockclose-wire
 * at hand: run this probe again under it (it does not return then). */
static void restart_under_wire(int argc, char **argv, const char *only) {
  char self[4096], tool[4200];
  const char *candidates[3] = {NULL, "/sockclose-wire",
                               "/../tests/wire/sockclose-wire"};
  char **args;
  size_t i;
  int wanted = 0;
  ssize_t len;
  for (i = 0; i < skcs_scenario_count; i++)
    if (skcs_scenarios[i].needs_wire && selected(only, skcs_scenarios[i].id))
      wanted = 1;
  if (!wanted || skct_wire_available() || geteuid() != 0 ||
      access("/dev/net/tun", R_OK | W_OK) != 0)
    return;
  len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0)
    return;
  self[len] = '\0';
  candidates[0] = getenv("SKC_WIRE_TOOL");
  for (i = 0; i < 3; i++) {
    if (i == 0) {
      if (candidates[0] == NULL)
        continue;
      snprintf(tool, sizeof tool, "%s", candidates[0]);
    } else {
      snprintf(tool, sizeof tool, "%.*s%s",
               (int)(strrchr(self, '/') - self), self, candidates[i]);
    }
    if (access(tool, X_OK) == 0)
      break;
  }
  if (i == 3)
    return;
  args = calloc((size_t)argc + 4, sizeof *args);
  if (args == NULL)
    return;
  args[0] = tool;
  args[1] = (char *)"run";
  args[2] = (char *)"--";
  args[3] = self;
  for (i = 1; i < (size_t)argc; i++)
    args[i + 3] = argv[i];
  fflush(stdout);
  execv(tool, args);
  free(args); /* it could not be started: run without it */
}
#endif

int main(int argc, char **argv) {
  const char *only = NULL;
  const char *results_dir = "docs/results";
  int json = 0, markdown = 0;
  int i;
  size_t n = 0, k;
  int kept = 0, broken = 0, errors = 0, not_run = 0;
  struct row *rows;
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc; /* a child role of a scenario */

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0) {
      json = 1;
    } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (strncmp(argv[i], "--only=", 7) == 0) {
      only = argv[i] + 7;
    } else if (strcmp(argv[i], "--markdown") == 0) {
      markdown = 1;
    } else if (strcmp(argv[i], "--results") == 0 && i + 1 < argc) {
      results_dir = argv[++i];
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    } else {
      fprintf(stderr, "sockclose-probe: unknown option '%s'\n\n%s", argv[i],
              usage);
      return 2;
    }
  }
  if (markdown)
    return print_markdown(results_dir);
  if (only != NULL) {
    const char *p = only;
    while (*p) {
      size_t len = strcspn(p, ",");
      int found = 0;
      for (k = 0; k < skcs_scenario_count; k++)
        if (strlen(skcs_scenarios[k].id) == len &&
            strncmp(skcs_scenarios[k].id, p, len) == 0)
          found = 1;
      if (!found) {
        fprintf(stderr, "sockclose-probe: no situation '%.*s'\n", (int)len, p);
        return 2;
      }
      p += len;
      if (*p == ',')
        p++;
    }
  }

#if defined(__linux__)
  restart_under_wire(argc, argv, only);
#endif
  rc = skc_init();
  if (rc != 0) {
    fprintf(stderr, "sockclose-probe: skc_init: %s\n", skc_strerror(rc));
    return 1;
  }
  rows = calloc(skcs_scenario_count, sizeof *rows);
  if (rows == NULL)
    return 1;
  for (k = 0; k < skcs_scenario_count; k++) {
    struct row *r = &rows[n];
    if (!selected(only, skcs_scenarios[k].id))
      continue;
    r->scenario = &skcs_scenarios[k];
    r->native_ok = skcs_execute(r->scenario, &skcs_native_ops, &r->native) == 0;
    r->sockclose_ok =
        skcs_execute(r->scenario, &skcs_sockclose_ops, &r->sockclose) == 0;
    if (r->sockclose.not_run) {
      r->not_run = 1;
      r->verdict = "not-run";
      not_run++;
    } else if (!r->sockclose_ok || !r->native_ok) {
      r->verdict = "error";
      errors++;
    } else if (strcmp(r->sockclose.outcome, skcs_expected_promise(r->scenario)) ==
               0) {
      r->verdict = "kept";
      kept++;
    } else {
      r->verdict = "BROKEN";
      broken++;
    }
    n++;
  }
  if (json) {
    for (k = 0; k < n; k++)
      if (strcmp(rows[k].verdict, "BROKEN") == 0)
        rows[k].verdict = "broken";
    print_json(rows, n, kept, broken, errors, not_run);
  } else {
    print_table(rows, n, kept, broken, errors, not_run);
  }
  free(rows);
  skc_cleanup();
  return broken || errors ? 1 : 0;
}
