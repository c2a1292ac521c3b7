/*
 * sockclose-probe: runs every situation of the README's table live over
 * loopback on this machine and prints, per situation, what the OS itself
 * returned, what sockclose returned, what sockclose promises, and whether
 * they agree. The situations are the test suite's own
 * (tests/scenarios/scenarios.c).
 */
#include "scenarios.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "not, 'ERROR' when the situation could not be set up, 'not run' when it\n"
    "needs an environment this process does not have (C2 and C3: the\n"
    "private network namespace of tests/scenarios/private-net.sh; A2 on\n"
    "Windows: no descriptor limit to reach). Under Wine, rows\n"
    "where Wine is known to differ from Windows are labelled and checked\n"
    "against Wine's measured result. Every wait has a deadline.\n"
    "\n"
    "options:\n"
    "  --json        print one JSON document instead of the table:\n"
    "                {\"tool\", \"version\", \"platform\", \"wine\",\n"
    "                 \"situations\": [{\"id\", \"title\", \"native\",\n"
    "                 \"native_expected\", \"sockclose\", \"promise\",\n"
    "                 \"verdict\" (\"kept\"|\"broken\"|\"error\"|\"not run\"),\n"
    "                 \"problem\", \"wine_deviation\"}],\n"
    "                 \"summary\": {\"total\", \"kept\", \"broken\", \"error\",\n"
    "                 \"not_run\"}}\n"
    "                (absent values are null)\n"
    "  --only IDS    run only these situations, e.g. --only S4,S7\n"
    "  --markdown    print the README's situation table (from the scenario\n"
    "                definitions; runs nothing)\n"
    "  --help        this text\n"
    "\n"
    "exit status: 0 when every promise was kept, 1 when one was broken or a\n"
    "situation could not run, 2 on a usage error.\n";

struct row {
  const skcs_scenario *scenario;
  skcs_run native;
  skcs_run sockclose;
  int native_ok;
  int sockclose_ok;
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

/* Rows whose situation this process cannot make (skcs_unavailable): not
 * run, with the reason as their problem; not a failure. */
static int not_run(const struct row *rows, size_t n) {
  size_t i;
  int count = 0;
  for (i = 0; i < n; i++)
    count += strcmp(rows[i].verdict, "not run") == 0;
  return count;
}

static void print_json(const struct row *rows, size_t n, int kept, int broken,
                       int errors) {
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
    fputs(",\"wine_deviation\":", stdout);
    json_string(skcs_wine_note(r->scenario));
    putchar('}');
  }
  printf("],\"summary\":{\"total\":%d,\"kept\":%d,\"broken\":%d,\"error\":%d,"
         "\"not_run\":%d}}\n",
         kept + broken + errors + not_run(rows, n), kept, broken, errors,
         not_run(rows, n));
}

static void print_table(const struct row *rows, size_t n, int kept, int broken,
                        int errors) {
  size_t i;
  printf("sockclose-probe %d.%d.%d on %s%s\n\n", SKC_VERSION_MAJOR,
         SKC_VERSION_MINOR, SKC_VERSION_PATCH, skct_platform(),
         skct_is_wine() ? " (under Wine)" : "");
  for (i = 0; i < n; i++) {
    const struct row *r = &rows[i];
    const char *expected_native = skcs_expected_native(r->scenario);
    const char *note = skcs_wine_note(r->scenario);
    printf("%-4s %-7s %s\n", r->scenario->id, r->verdict, r->scenario->title);
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
    if (note != NULL)
      printf("     Wine:      known deviation from Windows: %s\n", note);
  }
  printf("\n%d situations: %d kept, %d broken, %d could not run, %d need "
         "another environment (%s%s)\n",
         kept + broken + errors + not_run(rows, n), kept, broken, errors,
         not_run(rows, n), skct_platform(), skct_is_wine() ? ", Wine" : "");
}

/* The README's table, from the scenario definitions. */
static void print_markdown(void) {
  size_t i;
  puts("| # | situation | Linux native | Windows native | sockclose | Wine 8, "
       "where it differs from Windows |");
  puts("|---|---|---|---|---|---|");
  for (i = 0; i < skcs_scenario_count; i++) {
    const skcs_scenario *s = &skcs_scenarios[i];
    printf("| %s | %s | `%s` | `%s` | %s%s%s | %s%s%s |\n", s->id, s->title,
           s->linux_native, s->windows_native ? s->windows_native : s->windows_text,
           s->per_platform ? "" : "`",
           s->per_platform ? s->per_platform : s->promise,
           s->per_platform ? "" : "`", s->wine_note ? s->wine_note : "",
           s->wine_promise ? "; sockclose: " : "",
           s->wine_promise ? s->wine_promise : "");
  }
}

int main(int argc, char **argv) {
  const char *only = NULL;
  int json = 0;
  int i;
  size_t n = 0, k;
  int kept = 0, broken = 0, errors = 0;
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
      print_markdown();
      return 0;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    } else {
      fprintf(stderr, "sockclose-probe: unknown option '%s'\n\n%s", argv[i],
              usage);
      return 2;
    }
  }
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
    if (skcs_unavailable(r->scenario) != NULL) {
      snprintf(r->native.problem, sizeof r->native.problem, "%s",
               skcs_unavailable(r->scenario));
      snprintf(r->sockclose.problem, sizeof r->sockclose.problem, "%s",
               r->native.problem);
      r->verdict = "not run";
      n++;
      continue;
    }
    r->native_ok = skcs_execute(r->scenario, &skcs_native_ops, &r->native) == 0;
    r->sockclose_ok =
        skcs_execute(r->scenario, &skcs_sockclose_ops, &r->sockclose) == 0;
    if (!r->sockclose_ok || !r->native_ok) {
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
    print_json(rows, n, kept, broken, errors);
  } else {
    print_table(rows, n, kept, broken, errors);
  }
  free(rows);
  skc_cleanup();
  return broken || errors ? 1 : 0;
}
