/*
 * libFuzzer target: the error translation and naming functions over the
 * whole int range. Every input is a native code or an SKC_E* code; the
 * invariants are those the header documents.
 */
#include "sockclose.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int code) {
  const char *name = skc_err_name(code);
  const char *message = skc_strerror(code);
  if (name == NULL || message == NULL || name[0] == '\0' || message[0] == '\0')
    abort();
  /* A known code's name is its own spelling in the list; anything else is
   * EUNKNOWN (0 is "OK"). */
  if (code == 0) {
    if (strcmp(name, "OK") != 0)
      abort();
  } else if (code <= SKC_EUNKNOWN && code > SKC_EUNKNOWN - 200) {
    /* inside or just past the list: checked by the predicates below */
  } else if (strcmp(name, "EUNKNOWN") != 0) {
    abort();
  }
  if (skc_is_connection_gone(code) && skc_is_try_again(code))
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int native;
  int translated;
  if (size < sizeof native)
    return 0;
  memcpy(&native, data, sizeof native);
  translated = skc_translate_error(native);
  /* 0 stays 0; everything else becomes one of the list's codes. */
  if ((native == 0) != (translated == 0))
    abort();
  if (translated != 0 &&
      strcmp(skc_err_name(translated), "EUNKNOWN") == 0 &&
      translated != SKC_EUNKNOWN)
    abort();
  if (translated > 0)
    abort();
  check_code(native);
  check_code(translated);
  return 0;
}
