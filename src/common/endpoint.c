/*
 * skc_endpoint_parse(): the inverse of skc_endpoint_format(), written
 * here rather than with inet_pton() so that every OS accepts exactly the
 * same text (inet_pton's IPv4 forms differ between C libraries) and no
 * socket library start-up is needed on Windows.
 */
#include "sockclose.h"
#include "../platform.h"

#include <string.h>

static int skc__hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A decimal number of 1 to max_digits digits, at most max; the text after
 * it in *end. -1 when there is none. */
static long skc__decimal(const char *p, int max_digits, long max,
                         const char **end) {
  long value = 0;
  int digits = 0;
  while (*p >= '0' && *p <= '9') {
    if (++digits > max_digits)
      return -1;
    value = value * 10 + (*p - '0');
    p++;
  }
  if (digits == 0 || value > max)
    return -1;
  *end = p;
  return value;
}

/* Four dotted decimal parts 0-255 (no leading zeros, which some C
 * libraries read as octal), up to end. */
static int skc__parse_ipv4(const char *p, const char *end,
                           unsigned char out[4]) {
  int i;
  for (i = 0; i < 4; i++) {
    const char *next = p;
    long part;
    if (i > 0) {
      if (p >= end || *p != '.')
        return -1;
      p++;
    }
    if (p + 1 < end && p[0] == '0' && p[1] >= '0' && p[1] <= '9')
      return -1;
    /* end always points at a non-digit (':', '%', ']'), so the digits
     * read stop there. */
    part = skc__decimal(p, 3, 255, &next);
    if (part < 0 || next > end)
      return -1;
    out[i] = (unsigned char)part;
    p = next;
  }
  return p == end ? 0 : -1;
}

/* RFC 4291 section 2.2 text, up to end: eight groups of 1-4 hex digits,
 * "::" once for a run of zero groups, and optionally the last 32 bits as
 * a dotted IPv4 address. */
static int skc__parse_ipv6(const char *p, const char *end,
                           unsigned char out[16]) {
  unsigned short groups[8];
  int count = 0, gap = -1, i;
  memset(groups, 0, sizeof groups);
  if (p + 1 < end && p[0] == ':' && p[1] == ':') {
    gap = 0;
    p += 2;
  } else if (p < end && *p == ':') {
    return -1;
  }
  while (p < end) {
    const char *q = p;
    unsigned value = 0;
    int digits = 0;
    while (q < end && skc__hex_digit(*q) >= 0 && digits < 5) {
      value = value * 16 + (unsigned)skc__hex_digit(*q);
      digits++;
      q++;
    }
    if (q < end && *q == '.') {
      /* The IPv4 tail takes the last two groups. */
      unsigned char v4[4];
      if (count > 6 || skc__parse_ipv4(p, end, v4) != 0)
        return -1;
      groups[count++] = (unsigned short)(v4[0] << 8 | v4[1]);
      groups[count++] = (unsigned short)(v4[2] << 8 | v4[3]);
      break;
    }
    if (digits == 0 || digits > 4 || count == 8)
      return -1;
    groups[count++] = (unsigned short)value;
    p = q;
    if (p == end)
      break;
    if (*p != ':')
      return -1;
    p++;
    if (p < end && *p == ':') {
      if (gap >= 0)
        return -1; /* "::" twice */
      gap = count;
      p++;
    } else if (p == end) {
      return -1; /* a trailing single ':' */
    }
  }
  if (gap < 0 && count != 8)
    return -1;
  if (gap >= 0) {
    int zeros = 8 - count;
    if (zeros < 1)
      return -1;
    memmove(groups + gap + zeros, groups + gap,
            (size_t)(count - gap) * sizeof groups[0]);
    for (i = 0; i < zeros; i++)
      groups[gap + i] = 0;
  }
  for (i = 0; i < 8; i++) {
    out[(size_t)i * 2] = (unsigned char)(groups[i] >> 8);
    out[(size_t)i * 2 + 1] = (unsigned char)(groups[i] & 0xff);
  }
  return 0;
}

static int skc__parse_endpoint(const char *text, skc_endpoint *out) {
  const char *port_at;
  const char *end;
  long port;
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    const char *percent;
    const char *host_end;
    if (close == NULL || close[1] != ':')
      return -1;
    percent = memchr(text, '%', (size_t)(close - text));
    host_end = percent != NULL ? percent : close;
    if (skc__parse_ipv6(text + 1, host_end, out->address) != 0)
      return -1;
    if (percent != NULL) {
      long scope = skc__decimal(percent + 1, 10, 0x7fffffffL, &end);
      if (scope < 0 || end != close)
        return -1;
      out->scope_id = (unsigned long)scope;
    }
    out->family = SKC_FAMILY_IPV6;
    port_at = close + 2;
  } else {
    const char *colon = strchr(text, ':');
    if (colon == NULL || skc__parse_ipv4(text, colon, out->address) != 0)
      return -1;
    out->family = SKC_FAMILY_IPV4;
    port_at = colon + 1;
  }
  port = skc__decimal(port_at, 5, 65535, &end);
  if (port < 0 || *end != '\0')
    return -1;
  out->port = (unsigned short)port;
  return 0;
}

int skc_endpoint_parse(const char *text, skc_endpoint *out) {
  if (out != NULL)
    memset(out, 0, sizeof *out);
  if (text == NULL || out == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (skc__parse_endpoint(text, out) != 0) {
    memset(out, 0, sizeof *out);
    return skc__plat_reject(SKC_EINVAL);
  }
  return 0;
}
