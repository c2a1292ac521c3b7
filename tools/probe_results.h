/*
 * sockclose-probe's recorded results: the probe's own JSON documents
 * (--json), one per platform, in docs/results/, read back to generate the
 * README table's per-platform columns with where each cell comes from.
 */
#ifndef SKC_PROBE_RESULTS_H
#define SKC_PROBE_RESULTS_H

#include <stddef.h>

/* One situation of one recorded run. */
typedef struct probe_result {
  char id[16];
  char native[256]; /* what the OS returned; "" when the run recorded none */
} probe_result;

/* One recorded run: docs/results/<name>.json. */
typedef struct probe_run {
  const char *name;  /* "linux", "wine-x86_64", ... (the file's name) */
  const char *label; /* how the table names it: "Windows x64 (MSVC)",
                        "i686" (a Wine run: its architecture) */
  int loaded;        /* the file exists and was read */
  int wine;          /* the run's "wine" field */
  probe_result *results;
  size_t count;
} probe_run;

/* The runs the table knows of, in the order it consults them; runs
 * without a file stay unloaded (that platform has no recorded run). */
enum {
  PROBE_LINUX,
  PROBE_WINE_X86_64,
  PROBE_WINE_I686,
  PROBE_WINDOWS_MSVC_X64,
  PROBE_WINDOWS_MSVC_X86,
  PROBE_WINDOWS_MINGW,
  PROBE_MACOS,
  PROBE_RUNS
};

/* Read every known file of dir. Returns 0, or -1 when a file exists but
 * is not a probe document (a message names it on stderr). */
int probe_results_load(const char *dir, probe_run runs[PROBE_RUNS]);
void probe_results_free(probe_run runs[PROBE_RUNS]);

/* The recorded native result of situation id, or NULL. */
const char *probe_results_native(const probe_run *run, const char *id);

#endif
