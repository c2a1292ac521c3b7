/*
 * The graceful close: shut the write side down, discard what the peer
 * still sends until its FIN or a deadline, then close; abort when the
 * deadline passes so that nothing half-open remains. One procedure, the
 * event-loop form (skc_graceful_*), with the blocking form on top of it.
 *
 * Why not SO_LINGER: a close with unread input sends an RST at once,
 * lingering or not (RFC 2525 section 2.17; Linux tcp_close() checks for
 * unread data before it looks at the linger time), and the RST discards
 * what is still queued on both sides. Only reading the input until the
 * peer's FIN avoids it. This is the "lingering close" of Apache httpd
 * (ap_lingering_close) and nginx (lingering_close), with a deadline and
 * an outcome the caller can see.
 */
#include "sockclose.h"
#include "../platform.h"

#include <limits.h>

/* Distinct values, so that a structure that skc_graceful_start() never
 * initialized is unlikely to look like one it did. */
enum {
  SKC__GRACEFUL_RUNNING = 0x5c6c0001, /* waiting for the peer's FIN */
  SKC__GRACEFUL_DONE,                 /* result known, socket still open */
  SKC__GRACEFUL_LEFT_ALONE,           /* result known, socket not ours */
  SKC__GRACEFUL_FINISHED              /* socket closed */
};

/* Bytes read per receive call while discarding. */
#define SKC__DISCARD_CHUNK 16384

/* The result is known: remember it with its native code, which
 * skc_graceful_finish() restores after its own calls. */
static int skc__graceful_end(skc_graceful *g, int result) {
  /* SKC_EBADF: no open socket under this number any more (closed
   * elsewhere). The number may be given to a new descriptor at any time,
   * so skc_graceful_finish() must never touch it. */
  g->state = result == SKC_EBADF ? SKC__GRACEFUL_LEFT_ALONE : SKC__GRACEFUL_DONE;
  g->result = result;
  g->native = result == 0 ? 0 : skc__plat_get_native_error();
  return result;
}

static int skc__graceful_timed_out(skc_graceful *g) {
  return skc__graceful_end(g, skc__plat_reject(SKC_ETIMEDOUT));
}

/* One situation, one result for a failed receive or shutdown while
 * closing. */
static int skc__graceful_failure(int err) {
  switch (err) {
  case SKC_ECONNABORTED:
    /* Windows reports some resets as WSAECONNABORTED ("Windows Sockets
     * Error Codes"); for the peer's data it is the same loss. */
    return SKC_ECONNRESET;
  case SKC_ENOTSOCK:
    /* Windows says WSAENOTSOCK for a closed or invalid handle. */
    return SKC_EBADF;
  default:
    return skc__dead_connection(err);
  }
}

int skc_graceful_start(skc_graceful *g, skc_socket_t s, int timeout_ms) {
  int err;
  if (g == NULL)
    return skc__plat_reject(SKC_EFAULT);
  g->socket = s;
  g->discarded = 0;
  g->started_us = skc__plat_monotonic_us();
  g->deadline_us = g->started_us;
  g->state = SKC__GRACEFUL_LEFT_ALONE;
  g->native = 0;
  if (timeout_ms < 0) {
    g->result = skc__plat_reject(SKC_EINVAL);
    g->native = skc__plat_get_native_error();
    return g->result;
  }
  if (s == SKC_INVALID_SOCKET) {
    g->result = skc__plat_reject(SKC_EBADF);
    g->native = skc__plat_get_native_error();
    return g->result;
  }
  g->deadline_us = g->started_us + (long long)timeout_ms * 1000LL;
  g->state = SKC__GRACEFUL_RUNNING;
  if (timeout_ms == 0)
    return skc__graceful_timed_out(g);

  /* Our FIN goes after everything already queued for sending (RFC 9293
   * section 3.6: a CLOSE "will be sent as soon as the queued data has
   * been sent"). */
  err = skc__plat_shutdown(s, SKC_SHUT_WR);
  if (err == SKC_EBADF || err == SKC_ENOTSOCK)
    return skc__graceful_end(g, SKC_EBADF);
  /* ENOTCONN is not final: Linux also reports it once the connection has
   * ended (inet_shutdown() in TCP_CLOSE, after an RST or once both FINs
   * are through). The receive below tells which: ECONNRESET, end of
   * stream, or ENOTCONN again for a socket that was never connected. */
  if (err != 0 && err != SKC_ENOTCONN)
    return skc__graceful_end(g, skc__graceful_failure(err));
  return skc_graceful_advance(g);
}

int skc_graceful_advance(skc_graceful *g) {
  char buf[SKC__DISCARD_CHUNK];
  if (g == NULL)
    return skc__plat_reject(SKC_EFAULT);
  switch (g->state) {
  case SKC__GRACEFUL_RUNNING:
    break;
  case SKC__GRACEFUL_DONE:
  case SKC__GRACEFUL_LEFT_ALONE:
    if (g->result != 0)
      skc__plat_set_native_error(g->native);
    return g->result;
  case SKC__GRACEFUL_FINISHED:
    return skc__plat_reject(SKC_EBADF);
  default:
    return skc__plat_reject(SKC_EINVAL);
  }
  for (;;) {
    ptrdiff_t n = skc__plat_recv_nowait(g->socket, buf, sizeof buf);
    if (n > 0) {
      g->discarded += (unsigned long long)n;
      /* A peer that sends without pause never lets the socket run dry:
       * the deadline still ends the close. */
      if (skc__plat_monotonic_us() >= g->deadline_us)
        return skc__graceful_timed_out(g);
      continue;
    }
    if (n == 0) /* or a death an earlier call reported: not 0 then */
      return skc__graceful_end(g, skc__end_of_stream(g->socket));
    if (n == SKC_EAGAIN)
      break;
    if (n == SKC_EINTR)
      continue;
    if (n == SKC_ESHUTDOWN) {
      /* Windows fails a receive after our own SD_RECEIVE with
       * WSAESHUTDOWN where POSIX returns 0 (as in skc_recv()): the caller
       * shut the read side down before, and no more input will come. */
      return skc__graceful_end(g, 0);
    }
    return skc__graceful_end(g, skc__graceful_failure((int)n));
  }
  if (skc__plat_monotonic_us() >= g->deadline_us)
    return skc__graceful_timed_out(g);
  return SKC_EINPROGRESS;
}

int skc_graceful_timeout(const skc_graceful *g) {
  long long left;
  if (g == NULL)
    return skc__plat_reject(SKC_EFAULT);
  if (g->state != SKC__GRACEFUL_RUNNING)
    return 0;
  left = g->deadline_us - skc__plat_monotonic_us();
  if (left <= 0)
    return 0;
  left = (left + 999) / 1000; /* round up: never wake before the deadline */
  return left > INT_MAX ? INT_MAX : (int)left;
}

static void skc__graceful_report(const skc_graceful *g, int all_acked,
                                 skc_graceful_report *report) {
  if (report == NULL)
    return;
  report->discarded = g->discarded;
  report->all_acked = all_acked;
  report->elapsed_ms = (skc__plat_monotonic_us() - g->started_us) / 1000;
}

int skc_graceful_finish(skc_graceful *g, skc_graceful_report *report) {
  int result, acked, closed;
  if (report != NULL) {
    report->discarded = 0;
    report->all_acked = SKC_ACKED_UNKNOWN;
    report->elapsed_ms = 0;
  }
  if (g == NULL)
    return skc__plat_reject(SKC_EFAULT);
  switch (g->state) {
  case SKC__GRACEFUL_RUNNING:
    result = skc__plat_reject(SKC_ECANCELED);
    g->native = skc__plat_get_native_error();
    break;
  case SKC__GRACEFUL_DONE:
    result = g->result;
    break;
  case SKC__GRACEFUL_LEFT_ALONE:
    skc__graceful_report(g, SKC_ACKED_UNKNOWN, report);
    g->state = SKC__GRACEFUL_FINISHED;
    skc__plat_set_native_error(g->native);
    return g->result;
  case SKC__GRACEFUL_FINISHED:
    return skc__plat_reject(SKC_EBADF);
  default:
    return skc__plat_reject(SKC_EINVAL);
  }

  /* The send queue (SIOCOUTQ, TCP_INFO, SIO_TCP_INFO: one more system
   * call) is read only for a report that was asked for. */
  acked = SKC_ACKED_UNKNOWN;
  if (report != NULL) {
    acked = skc__plat_send_queue_acked(g->socket);
    acked = acked == 1 ? SKC_ACKED_YES : acked == 0 ? SKC_ACKED_NO : SKC_ACKED_UNKNOWN;
  }
  if (result != 0 && result != SKC_ECONNRESET) {
    /* The peer has not closed in order (deadline, failure, or the caller
     * gave up): abort, so that neither side keeps a half-open connection
     * (ours in FIN_WAIT_2, the peer's in CLOSE_WAIT). */
    int linger = skc__graceful_failure(skc__plat_set_linger_zero(g->socket));
    if (linger == SKC_EBADF) {
      /* Closed elsewhere meanwhile: leave the number alone. */
      g->state = SKC__GRACEFUL_FINISHED;
      skc__graceful_report(g, SKC_ACKED_UNKNOWN, report);
      return linger;
    }
    if (linger != 0) {
      /* No RST can be sent: the close below is an ordinary one (as in
       * skc_abort()), so report the failure, not the abort. */
      result = linger;
      g->native = skc__plat_get_native_error();
    }
  }
  closed = skc__plat_close(g->socket);
  g->state = SKC__GRACEFUL_FINISHED;
  skc__graceful_report(g, acked, report);
  if (result == 0) {
    if (closed != 0)
      result = skc__graceful_failure(closed);
  } else {
    skc__plat_set_native_error(g->native);
  }
  return result;
}

/* Did a wait fail for want of resources that may come back (poll(2):
 * EAGAIN, ENOMEM; WSAPoll: WSAENOBUFS)? */
static int skc__graceful_wait_may_recover(int err) {
  return err == SKC_EAGAIN || err == SKC_ENOMEM || err == SKC_ENOBUFS ||
         err == SKC_EINTR;
}

/* The first and the longest pause after a failed wait, in milliseconds. */
#define SKC__BACKOFF_FIRST_MS 1
#define SKC__BACKOFF_MAX_MS 100

int skc_close_graceful_ex(skc_socket_t s, int timeout_ms,
                          skc_graceful_report *report) {
  skc_graceful g;
  int backoff = SKC__BACKOFF_FIRST_MS;
  int rc = skc_graceful_start(&g, s, timeout_ms);
  while (rc == SKC_EINPROGRESS) {
    /* Sleep in poll/WSAPoll until input, hang-up or the deadline: no busy
     * loop, whatever the socket's blocking mode. */
    int left = skc_graceful_timeout(&g);
    int ready = skc__plat_wait_readable(s, left);
    if (ready < 0 && skc__graceful_wait_may_recover(ready)) {
      /* A transient failure of the wait is no reason to reset the
       * connection: pause (doubling, never past the deadline) and look
       * again; the deadline still ends the close. */
      skc__plat_sleep_ms(backoff < left ? backoff : left);
      if (backoff < SKC__BACKOFF_MAX_MS)
        backoff *= 2;
    } else if (ready < 0) {
      skc__graceful_end(&g, skc__graceful_failure(ready));
      break;
    } else {
      backoff = SKC__BACKOFF_FIRST_MS;
    }
    rc = skc_graceful_advance(&g);
  }
  return skc_graceful_finish(&g, report);
}

int skc_close_graceful(skc_socket_t s, int timeout_ms) {
  return skc_close_graceful_ex(s, timeout_ms, NULL);
}
