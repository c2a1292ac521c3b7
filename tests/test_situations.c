/*
 * One situation, one result: runs every scenario of tests/scenarios (the
 * README's table) with the sockclose API and checks its promise, then
 * with the raw system calls and checks the native result recorded for
 * this platform, so that the table's native columns are measured facts.
 * Under Wine, rows with a known Wine deviation assert Wine's own result
 * and say so.
 *
 * The rows that need the impaired link (the D rows: a peer that vanishes)
 * run in their own executable, test_wire_situations, built from this file
 * with SKCT_WIRE_ROWS defined and run under sockclose-wire (tests/wire).
 */
#include "skc_test.h"

#include "scenarios.h"
#include "wire_client.h"

#include <stdio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run_scenario(void **state) {
  const skcs_scenario *scenario = *state;
  const char *expected_native = skcs_expected_native(scenario);
  const char *note = skcs_wine_note(scenario);
  const char *unavailable = skcs_unavailable(scenario);
  skcs_run run;

  if (unavailable != NULL) {
    /* Said plainly in the output; the environment that has it (CI, as
     * root) runs the row in test_situations_private_net. */
    print_message("%s not run here: %s\n", scenario->id, unavailable);
    skip();
    return;
  }
  if (note != NULL)
    print_message("%s: known deviation: %s\n", scenario->id, note);

  if (skcs_execute(scenario, &skcs_sockclose_ops, &run) != 0)
    fail_msg("%s could not run: %s", scenario->id, run.problem);
  print_message("%s sockclose: %s\n", scenario->id, run.outcome);
  if (run.measured[0] != '\0')
    print_message("%s sockclose: %s\n", scenario->id, run.measured);
  assert_string_equal(run.outcome, skcs_expected_promise(scenario));

  if (skcs_execute(scenario, &skcs_native_ops, &run) != 0)
    fail_msg("%s could not run natively: %s", scenario->id, run.problem);
  print_message("%s native:    %s\n", scenario->id, run.outcome);
  if (run.measured[0] != '\0')
    print_message("%s native:    %s\n", scenario->id, run.measured);
  if (expected_native != NULL)
    assert_string_equal(run.outcome, expected_native);
}

/* Arguments, when given, name the rows to run ("C2 C3"). */
static int wanted(int argc, char **argv, const char *id) {
  int i;
  if (argc < 2)
    return 1;
  for (i = 1; i < argc; i++)
    if (strcmp(argv[i], id) == 0)
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  struct CMUnitTest *tests;
  size_t i, n = 0;
#ifdef SKCT_WIRE_ROWS
  const int wire_rows = 1;
#else
  const int wire_rows = 0;
#endif
  int rc = skct_main(argc, argv);
  if (rc >= 0)
    return rc;
  tests = calloc(skcs_scenario_count, sizeof *tests);
  if (tests == NULL || skc_init() != 0)
    return 1;
  if (wire_rows && !skct_wire_available()) {
    fprintf(stderr, "test_wire_situations: %s\n", skct_wire_missing());
    free(tests);
    return 1;
  }
  for (i = 0; i < skcs_scenario_count; i++) {
    if (skcs_scenarios[i].needs_wire != wire_rows ||
        !wanted(argc, argv, skcs_scenarios[i].id))
      continue;
    tests[n].name = skcs_scenarios[i].id;
    tests[n].test_func = run_scenario;
    tests[n].initial_state = (void *)&skcs_scenarios[i];
    /* Each scenario must leave no socket behind (skc_leak_check). */
    tests[n].setup_func = skct_leak_setup;
    tests[n].teardown_func = skct_leak_teardown;
    n++;
  }
  if (n == 0) {
    fprintf(stderr, "test_situations: no such row\n");
    free(tests);
    return 2;
  }
  rc = _cmocka_run_group_tests(wire_rows ? "wire situations" : "situations",
                               tests, n, NULL, NULL);
  skc_cleanup();
  free(tests);
  return rc;
}
