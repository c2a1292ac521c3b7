/*
 * Names, messages and classes of the SKC_E* codes, all generated from the
 * one list SKC_ERRNO_MAP in sockclose.h. The native-to-SKC tables are per
 * platform (src/posix/error.c, src/win32/error.c).
 */
#include "sockclose.h"
#include "../platform.h"

#include <stdio.h>
#include <string.h>

/* The codes are the consecutive values -3000 .. -3000-(count-1), so a
 * lookup is one bounds check and one array index, whatever the code. */
#define SKC__ERR_FIRST (-3000)

/* Fails to compile if a value in the list is not its position: codes must
 * stay consecutive for the table lookups below. */
#define SKC__ERR_CHECK_ONE(name, value, message)                               \
  _Static_assert((value) == SKC__ERR_FIRST - skc__err_pos_##name,              \
                 "SKC_" #name " is out of sequence");
#define SKC__ERR_POS_ONE(name, value, message) skc__err_pos_##name,
enum { SKC_ERRNO_MAP(SKC__ERR_POS_ONE) skc__err_count };
#undef SKC__ERR_POS_ONE
SKC_ERRNO_MAP(SKC__ERR_CHECK_ONE)
#undef SKC__ERR_CHECK_ONE

static const char *const skc__err_names[skc__err_count] = {
#define SKC__ERR_NAME_ONE(name, value, message) #name,
    SKC_ERRNO_MAP(SKC__ERR_NAME_ONE)
#undef SKC__ERR_NAME_ONE
};

static const char *const skc__err_messages[skc__err_count] = {
#define SKC__ERR_MESSAGE_ONE(name, value, message) message,
    SKC_ERRNO_MAP(SKC__ERR_MESSAGE_ONE)
#undef SKC__ERR_MESSAGE_ONE
};

/* Position of err in the list, or -1 when err is no SKC_E* code. */
static int skc__err_index(int err) {
  if (err > SKC__ERR_FIRST || err <= SKC__ERR_FIRST - skc__err_count)
    return -1;
  return SKC__ERR_FIRST - err;
}

const char *skc_err_name(int err) {
  int index;
  if (err == 0)
    return "OK";
  index = skc__err_index(err);
  return skc__err_names[index < 0 ? 0 : index];
}

const char *skc_strerror(int err) {
  int index;
  if (err == 0)
    return "success";
  index = skc__err_index(err);
  return skc__err_messages[index < 0 ? 0 : index];
}

int skc_translate_error(int native) { return skc__plat_translate(native); }

int skc_last_error(void) {
  return skc__plat_translate(skc__plat_get_native_error());
}

int skc_is_connection_gone(int err) {
  switch (err) {
  case SKC_ECONNRESET:
  case SKC_ECONNABORTED:
  case SKC_EPIPE:
  case SKC_ENETRESET:
  /* A dead connection: the time-out, and the ICMP errors Linux reports
   * in its place (skc_translate_error() keeps them apart). */
  case SKC_ETIMEDOUT:
  case SKC_EHOSTUNREACH:
  case SKC_ENETUNREACH:
  case SKC_EHOSTDOWN:
    return 1;
  default:
    return 0;
  }
}

int skc_is_try_again(int err) {
  return err == SKC_EAGAIN || err == SKC_EINTR || err == SKC_EINPROGRESS;
}

int skc_translate_errno(int crt_errno) {
  return skc__plat_translate_errno(crt_errno);
}

int skc_format_error(int err, int native, char *buf, size_t size) {
  char text[SKC_ERROR_TEXT_MAX];
  const char *message;
  const char *name = native != 0 ? skc__plat_native_name(native) : NULL;
  int n;
  if (buf == NULL)
    return skc__plat_reject(SKC_EFAULT);
  /* An unknown or missing SKC code: the native code still says what
   * happened, so use its meaning when sockclose has one. */
  if (err != 0 && skc__err_index(err) < 0)
    err = SKC_EUNKNOWN;
  if (err == SKC_EUNKNOWN && native != 0)
    err = skc__plat_translate(native);
  message = skc_strerror(err);
  if (native == 0)
    n = snprintf(text, sizeof text, "%s", message);
  else if (name != NULL)
    n = snprintf(text, sizeof text, "%s (%s %d)", message, name, native);
  else
    n = snprintf(text, sizeof text, "%s (native %d)", message, native);
  if (n < 0)
    n = 0;
  if ((size_t)n >= size) {
    if (size > 0) {
      memcpy(buf, text, size - 1);
      buf[size - 1] = '\0';
    }
    return skc__plat_reject(SKC_ENOBUFS);
  }
  memcpy(buf, text, (size_t)n + 1);
  return n;
}

int skc_native_error(void) { return skc__plat_get_native_error(); }

const char *skc_native_error_name(int native) {
  return skc__plat_native_name(native);
}
