/*
 * The situations of the README's table, each implemented once and run by
 * both the test suite (tests/test_situations.c) and sockclose-probe
 * (tools/probe.c), so that the table, the probe and the tests cannot
 * drift apart.
 *
 * A scenario runs against a set of operations: the sockclose API, or the
 * raw system calls ("native"). It records what each observed step
 * returned as one outcome string, e.g. "5 bytes, 0" or "SKC_ESHUTDOWN" or
 * "-1 errno=32 EPIPE, SIGPIPE", which is compared with the promise.
 */
#ifndef SKC_SCENARIOS_H
#define SKC_SCENARIOS_H

#include "sockclose.h"

#include <stddef.h>

/* A graceful close in two steps, so that one thread can play both ends:
 * begin (sockclose: skc_graceful_start; native: a plain close, which is
 * what a program does without sockclose), then end (sockclose: advance
 * until a result, then skc_graceful_finish; native: nothing). */
typedef struct skcs_graceful {
  skc_graceful g;
  skc_socket_t s;
  int result;
} skcs_graceful;

/* The calls a scenario makes on its sockets. */
typedef struct skcs_ops {
  const char *name; /* "sockclose" or "native" */
  int is_native;
  int (*close)(skc_socket_t s);
  int (*shutdown)(skc_socket_t s, int how);
  int (*abort)(skc_socket_t s);
  ptrdiff_t (*send)(skc_socket_t s, const void *buf, size_t len);
  ptrdiff_t (*recv)(skc_socket_t s, void *buf, size_t len);
  int (*graceful_begin)(skcs_graceful *state, skc_socket_t s, int timeout_ms);
  int (*graceful_end)(skcs_graceful *state);
  /* Dead-peer detection (the D rows). */
  int (*set_keepalive)(skc_socket_t s, int idle_ms, int interval_ms,
                       int count);
  int (*set_user_timeout)(skc_socket_t s, int timeout_ms);
} skcs_ops;

extern const skcs_ops skcs_sockclose_ops;
extern const skcs_ops skcs_native_ops;

#define SKCS_TEXT 256

/* One run of one scenario. */
typedef struct skcs_run {
  const skcs_ops *ops;
  char outcome[SKCS_TEXT]; /* the observed results, comma-separated */
  char problem[SKCS_TEXT]; /* set when the scenario could not be run */
  /* Last recorded entry and how many times in a row it was seen, so that
   * repeated identical results read "X (N calls)". */
  char last[96];
  int repeat;
  size_t last_at;
  /* Set when the scenario was not run because what it needs is missing
   * here (the D rows need the wire, tests/wire); problem says why. */
  int not_run;
  /* Measurements shown next to the outcome but not compared, e.g. the
   * time until a dead peer was noticed. */
  char measured[SKCS_TEXT];
} skcs_run;

typedef struct skcs_scenario {
  const char *id;    /* "S1" */
  const char *title; /* the situation, one line */
  void (*run)(skcs_run *run);
  /* sockclose's result on this platform (the same string on every OS
   * except for the "P" rows, which pin a real platform difference). */
  const char *promise;
  /* Native results: asserted by the suite on that platform when not
   * NULL. windows_text is shown where windows_native is NULL (behaviour
   * known from documentation only). */
  const char *linux_native;
  const char *windows_native;
  const char *windows_text;
  /* Under Wine 8, where it measurably differs from Windows: its results
   * and the deviation, named. NULL where Wine behaves like Windows. */
  const char *wine_promise;
  const char *wine_native;
  const char *wine_note;
  /* For the pinned "P" rows: sockclose's result on each platform, as the
   * README shows it. NULL for rows with one result everywhere. */
  const char *per_platform;
  /* 1 for rows that need the impaired link of tests/wire (sockclose-wire):
   * root and network namespaces. */
  int needs_wire;
  /* Where the situation cannot be made in this process: returns why (a
   * sentence for the suite's and the probe's output), or NULL when it can.
   * NULL: it can everywhere. */
  const char *(*unavailable)(void);
} skcs_scenario;

extern const skcs_scenario skcs_scenarios[];
extern const size_t skcs_scenario_count;

/* Run one scenario with the given operations; returns 0 when it ran (the
 * outcome is in run->outcome), -1 when it could not (run->problem), 1
 * when it was not run because the wire is missing or the situation is
 * unavailable here (run->not_run, run->problem says why). */
int skcs_execute(const skcs_scenario *scenario, const skcs_ops *ops,
                 skcs_run *run);

/* What this platform should observe, Wine taken into account. */
const char *skcs_expected_promise(const skcs_scenario *scenario);
const char *skcs_expected_native(const skcs_scenario *scenario);
/* Why the scenario cannot run in this process (see
 * skcs_scenario::unavailable), or NULL. */
const char *skcs_unavailable(const skcs_scenario *scenario);

/* The Wine deviation note when running under Wine, else NULL. */
const char *skcs_wine_note(const skcs_scenario *scenario);

#endif
