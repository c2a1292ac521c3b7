/*
 * The error table: each platform feeds its own native codes and expects
 * the same SKC_E* results (the shape of libuv's test/test-error.c).
 */
#include "skc_test.h"

#include <string.h>

#ifdef _WIN32
#include <winsock2.h>

#include <windows.h>
#else
#include <errno.h>
#endif

struct mapping {
  int native;
  int expected;
};

/* The same expected column on every OS; only the native inputs differ. */
static const struct mapping common_mappings[] = {
#ifdef _WIN32
    {WSAECONNRESET, SKC_ECONNRESET},
    {WSAECONNABORTED, SKC_ECONNABORTED},
    {WSAESHUTDOWN, SKC_ESHUTDOWN},
    {WSAENOTCONN, SKC_ENOTCONN},
    {WSAEWOULDBLOCK, SKC_EAGAIN},
    {WSAEINPROGRESS, SKC_EINPROGRESS},
    {WSAEALREADY, SKC_EALREADY},
    {WSAENOTSOCK, SKC_ENOTSOCK},
    {WSAEBADF, SKC_EBADF},
    {WSAEINVAL, SKC_EINVAL},
    {WSAEFAULT, SKC_EFAULT},
    {WSAETIMEDOUT, SKC_ETIMEDOUT},
    {WSAECONNREFUSED, SKC_ECONNREFUSED},
    {WSAENETRESET, SKC_ENETRESET},
    {WSAENETDOWN, SKC_ENETDOWN},
    {WSAENETUNREACH, SKC_ENETUNREACH},
    {WSAEHOSTUNREACH, SKC_EHOSTUNREACH},
    {WSAEHOSTDOWN, SKC_EHOSTDOWN},
    {WSAEADDRINUSE, SKC_EADDRINUSE},
    {WSAEADDRNOTAVAIL, SKC_EADDRNOTAVAIL},
    {WSAEAFNOSUPPORT, SKC_EAFNOSUPPORT},
    {WSAEMSGSIZE, SKC_EMSGSIZE},
    {WSAENOBUFS, SKC_ENOBUFS},
    {WSAEISCONN, SKC_EISCONN},
    {WSAEMFILE, SKC_EMFILE},
    {WSAEACCES, SKC_EACCES},
    {WSAEOPNOTSUPP, SKC_ENOTSUP},
    {WSAENOPROTOOPT, SKC_ENOPROTOOPT},
    {WSAEPROTONOSUPPORT, SKC_EPROTONOSUPPORT},
    {WSAEPROTOTYPE, SKC_EPROTOTYPE},
    {WSAEDESTADDRREQ, SKC_EDESTADDRREQ},
    {WSAELOOP, SKC_ELOOP},
    {WSAENAMETOOLONG, SKC_ENAMETOOLONG},
    {WSAECANCELLED, SKC_ECANCELED},
    {ERROR_NETNAME_DELETED, SKC_ECONNRESET},
    {ERROR_CONNECTION_ABORTED, SKC_ECONNABORTED},
    {ERROR_BROKEN_PIPE, SKC_EPIPE},
    {ERROR_OPERATION_ABORTED, SKC_ECANCELED},
#else
    {ECONNRESET, SKC_ECONNRESET},
    {ECONNABORTED, SKC_ECONNABORTED},
    {ESHUTDOWN, SKC_ESHUTDOWN},
    {ENOTCONN, SKC_ENOTCONN},
    {EWOULDBLOCK, SKC_EAGAIN},
    {EINTR, SKC_EINTR},
    {EINPROGRESS, SKC_EINPROGRESS},
    {EALREADY, SKC_EALREADY},
    {ENOTSOCK, SKC_ENOTSOCK},
    {EBADF, SKC_EBADF},
    {EINVAL, SKC_EINVAL},
    {EFAULT, SKC_EFAULT},
    {ETIMEDOUT, SKC_ETIMEDOUT},
    {ECONNREFUSED, SKC_ECONNREFUSED},
    {ENETRESET, SKC_ENETRESET},
    {ENETDOWN, SKC_ENETDOWN},
    {ENETUNREACH, SKC_ENETUNREACH},
    {EHOSTUNREACH, SKC_EHOSTUNREACH},
    {EHOSTDOWN, SKC_EHOSTDOWN},
    {EADDRINUSE, SKC_EADDRINUSE},
    {EADDRNOTAVAIL, SKC_EADDRNOTAVAIL},
    {EAFNOSUPPORT, SKC_EAFNOSUPPORT},
    {EMSGSIZE, SKC_EMSGSIZE},
    {ENOBUFS, SKC_ENOBUFS},
    {EISCONN, SKC_EISCONN},
    {EMFILE, SKC_EMFILE},
    {EACCES, SKC_EACCES},
    {EOPNOTSUPP, SKC_ENOTSUP},
    {ENOPROTOOPT, SKC_ENOPROTOOPT},
    {EPROTONOSUPPORT, SKC_EPROTONOSUPPORT},
    {EPROTOTYPE, SKC_EPROTOTYPE},
    {EDESTADDRREQ, SKC_EDESTADDRREQ},
    {ELOOP, SKC_ELOOP},
    {ENAMETOOLONG, SKC_ENAMETOOLONG},
    {ECANCELED, SKC_ECANCELED},
    /* The reset a pending overlapped receive sees on Windows is an
     * ECONNRESET on POSIX; a broken pipe is EPIPE; an aborted operation
     * ECANCELED. */
    {ECONNRESET, SKC_ECONNRESET},
    {ECONNABORTED, SKC_ECONNABORTED},
    {EPIPE, SKC_EPIPE},
    {ECANCELED, SKC_ECANCELED},
#endif
    {0, 0},
};

static void translates_same_codes_everywhere(void **state) {
  size_t i;
  (void)state;
  for (i = 0; i < sizeof common_mappings / sizeof common_mappings[0]; i++) {
    int got = skc_translate_error(common_mappings[i].native);
    if (got != common_mappings[i].expected)
      print_error("native %d: got %s, expected %s\n", common_mappings[i].native,
                  skc_err_name(got), skc_err_name(common_mappings[i].expected));
    assert_int_equal(got, common_mappings[i].expected);
  }
}

#ifdef _WIN32
#ifndef WSA_SECURE_HOST_NOT_FOUND
#define WSA_SECURE_HOST_NOT_FOUND 11032
#endif
#ifndef WSA_IPSEC_NAME_POLICY_ERROR
#define WSA_IPSEC_NAME_POLICY_ERROR 11033
#endif
/* Every row of the Windows table (src/win32/error.c), with the reasons in
 * that file: the Win32 codes of overlapped I/O give what Winsock's own
 * NTSTATUS translation gives for the same status, except where the table
 * says why not. */
static const struct mapping windows_rows[] = {
    {WSAEINTR, SKC_ECANCELED},
    {WSAEBADF, SKC_EBADF},
    {WSAEACCES, SKC_EACCES},
    {WSAEFAULT, SKC_EFAULT},
    {WSAEINVAL, SKC_EINVAL},
    {WSAEMFILE, SKC_EMFILE},
    {WSAEWOULDBLOCK, SKC_EAGAIN},
    {WSAEINPROGRESS, SKC_EINPROGRESS},
    {WSAEALREADY, SKC_EALREADY},
    {WSAENOTSOCK, SKC_ENOTSOCK},
    {WSAEDESTADDRREQ, SKC_EDESTADDRREQ},
    {WSAEMSGSIZE, SKC_EMSGSIZE},
    {WSAEPROTOTYPE, SKC_EPROTOTYPE},
    {WSAENOPROTOOPT, SKC_ENOPROTOOPT},
    {WSAEPROTONOSUPPORT, SKC_EPROTONOSUPPORT},
    {WSAESOCKTNOSUPPORT, SKC_ESOCKTNOSUPPORT},
    {WSAEOPNOTSUPP, SKC_ENOTSUP},
    {WSAEPFNOSUPPORT, SKC_EPFNOSUPPORT},
    {WSAEAFNOSUPPORT, SKC_EAFNOSUPPORT},
    {WSAEADDRINUSE, SKC_EADDRINUSE},
    {WSAEADDRNOTAVAIL, SKC_EADDRNOTAVAIL},
    {WSAENETDOWN, SKC_ENETDOWN},
    {WSAENETUNREACH, SKC_ENETUNREACH},
    {WSAENETRESET, SKC_ENETRESET},
    {WSAECONNABORTED, SKC_ECONNABORTED},
    {WSAECONNRESET, SKC_ECONNRESET},
    {WSAENOBUFS, SKC_ENOBUFS},
    {WSAEISCONN, SKC_EISCONN},
    {WSAENOTCONN, SKC_ENOTCONN},
    {WSAESHUTDOWN, SKC_ESHUTDOWN},
    {WSAETOOMANYREFS, SKC_ETOOMANYREFS},
    {WSAETIMEDOUT, SKC_ETIMEDOUT},
    {WSAECONNREFUSED, SKC_ECONNREFUSED},
    {WSAELOOP, SKC_ELOOP},
    {WSAENAMETOOLONG, SKC_ENAMETOOLONG},
    {WSAEHOSTDOWN, SKC_EHOSTDOWN},
    {WSAEHOSTUNREACH, SKC_EHOSTUNREACH},
    {WSAENOTEMPTY, SKC_ENOTEMPTY},
    {WSAEPROCLIM, SKC_EPROCLIM},
    {WSAEUSERS, SKC_EUSERS},
    {WSAEDQUOT, SKC_EDQUOT},
    {WSAESTALE, SKC_ESTALE},
    {WSAEREMOTE, SKC_EREMOTE},
    {WSASYSNOTREADY, SKC_ESYSNOTREADY},
    {WSAVERNOTSUPPORTED, SKC_EVERNOTSUPPORTED},
    {WSANOTINITIALISED, SKC_ENOTINIT},
    {WSAEDISCON, SKC_EDISCON},
    {WSAENOMORE, SKC_ENOMORE},
    {WSA_E_NO_MORE, SKC_ENOMORE},
    {WSAECANCELLED, SKC_ECANCELED},
    {WSA_E_CANCELLED, SKC_ECANCELED},
    {WSAEINVALIDPROCTABLE, SKC_EPROVIDER},
    {WSAEINVALIDPROVIDER, SKC_EPROVIDER},
    {WSAEPROVIDERFAILEDINIT, SKC_EPROVIDER},
    {WSASYSCALLFAILURE, SKC_EPROVIDER},
    {WSASERVICE_NOT_FOUND, SKC_ENOTFOUND},
    {WSATYPE_NOT_FOUND, SKC_ENOTFOUND},
    {WSAEREFUSED, SKC_EACCES},
    {WSAHOST_NOT_FOUND, SKC_ENOTFOUND},
    {WSATRY_AGAIN, SKC_EAGAIN},
    {WSANO_RECOVERY, SKC_EIO},
    {WSANO_DATA, SKC_ENOTFOUND},
    {WSA_SECURE_HOST_NOT_FOUND, SKC_ENOTFOUND},
    {WSA_IPSEC_NAME_POLICY_ERROR, SKC_EPROVIDER},
    {WSA_INVALID_HANDLE, SKC_EBADF},
    {WSA_NOT_ENOUGH_MEMORY, SKC_ENOMEM},
    {WSA_INVALID_PARAMETER, SKC_EINVAL},
    {WSA_OPERATION_ABORTED, SKC_ECANCELED},
    {WSA_IO_INCOMPLETE, SKC_EAGAIN},
    {WSA_IO_PENDING, SKC_EINPROGRESS},
    {ERROR_NETNAME_DELETED, SKC_ECONNRESET},
    {ERROR_CONNECTION_ABORTED, SKC_ECONNABORTED},
    {ERROR_CONNECTION_REFUSED, SKC_ECONNREFUSED},
    {ERROR_BROKEN_PIPE, SKC_EPIPE},
    {ERROR_NO_DATA, SKC_EPIPE},
    {ERROR_SEM_TIMEOUT, SKC_ETIMEDOUT},
    {ERROR_TIMEOUT, SKC_ETIMEDOUT},
    {ERROR_NETWORK_UNREACHABLE, SKC_ENETUNREACH},
    {ERROR_HOST_UNREACHABLE, SKC_EHOSTUNREACH},
    {ERROR_PROTOCOL_UNREACHABLE, SKC_ENETUNREACH},
    {ERROR_PORT_UNREACHABLE, SKC_ECONNREFUSED},
    {ERROR_GRACEFUL_DISCONNECT, SKC_EDISCON},
    {ERROR_REQUEST_ABORTED, SKC_ECANCELED},
    {ERROR_CONNECTION_INVALID, SKC_ENOTCONN},
    {ERROR_CONNECTION_ACTIVE, SKC_EISCONN},
    {ERROR_ADDRESS_ALREADY_ASSOCIATED, SKC_EADDRINUSE},
    {ERROR_INVALID_NETNAME, SKC_EADDRNOTAVAIL},
    {ERROR_NETWORK_ACCESS_DENIED, SKC_EACCES},
    {ERROR_ACCESS_DENIED, SKC_EACCES},
    {ERROR_TOO_MANY_OPEN_FILES, SKC_EMFILE},
    {ERROR_OUTOFMEMORY, SKC_ENOMEM},
    {ERROR_NOT_SUPPORTED, SKC_ENOTSUP},
    {ERROR_INSUFFICIENT_BUFFER, SKC_EFAULT},
    {ERROR_MORE_DATA, SKC_EMSGSIZE},
    {ERROR_PIPE_NOT_CONNECTED, SKC_ESHUTDOWN},
    {ERROR_UNEXP_NET_ERR, SKC_EIO},
    {ERROR_BAD_NETPATH, SKC_EHOSTUNREACH},
    {ERROR_NETWORK_BUSY, SKC_ENETDOWN},
    {ERROR_DEV_NOT_EXIST, SKC_ENETDOWN},
    {ERROR_NOT_CONNECTED, SKC_ENOTCONN},
    {ERROR_CANCELLED, SKC_ECANCELED},
    {ERROR_INVALID_FUNCTION, SKC_ENOTSUP},
    {ERROR_FILE_NOT_FOUND, SKC_ENOENT},
    {ERROR_PATH_NOT_FOUND, SKC_ENOENT},
    {ERROR_BUSY, SKC_EBUSY},
    {ERROR_NO_SYSTEM_RESOURCES, SKC_ENOBUFS},
    {ERROR_NOT_ENOUGH_QUOTA, SKC_ENOBUFS},
    {ERROR_COMMITMENT_LIMIT, SKC_ENOBUFS},
    {ERROR_WORKING_SET_QUOTA, SKC_ENOBUFS},
    {ERROR_TOO_MANY_NAMES, SKC_ENOBUFS},
    {ERROR_NOACCESS, SKC_EFAULT},
    {ERROR_INVALID_USER_BUFFER, SKC_EMSGSIZE},
    {ERROR_HOST_DOWN, SKC_EHOSTDOWN},
    {ERROR_NOT_READY, SKC_EAGAIN},
    {ERROR_REQ_NOT_ACCEP, SKC_EAGAIN},
    {ERROR_REM_NOT_LIST, SKC_ECONNREFUSED},
    {ERROR_DUP_NAME, SKC_EADDRINUSE},
    /* The QoS range is 11005..11031; the two codes after it are not QoS. */
    {WSA_QOS_RECEIVERS, SKC_EQOS},
    {11031, SKC_EQOS},
    {11034, SKC_EUNKNOWN},
};

static void windows_table_row_by_row(void **state) {
  size_t i, wrong = 0;
  (void)state;
  for (i = 0; i < sizeof windows_rows / sizeof windows_rows[0]; i++) {
    int got = skc_translate_error(windows_rows[i].native);
    if (got != windows_rows[i].expected) {
      print_error("native %d: got %s, expected %s\n", windows_rows[i].native,
                  skc_err_name(got), skc_err_name(windows_rows[i].expected));
      wrong++;
    }
  }
  assert_int_equal(wrong, 0);
}
#endif

/* Every native code this platform's socket calls can return has a meaning:
 * none of them translates to SKC_EUNKNOWN. */
static void covers_every_socket_code(void **state) {
#ifdef _WIN32
  static const int natives[] = {
      WSAEINTR, WSAEBADF, WSAEACCES, WSAEFAULT, WSAEINVAL, WSAEMFILE,
      WSAEWOULDBLOCK, WSAEINPROGRESS, WSAEALREADY, WSAENOTSOCK,
      WSAEDESTADDRREQ, WSAEMSGSIZE, WSAEPROTOTYPE, WSAENOPROTOOPT,
      WSAEPROTONOSUPPORT, WSAESOCKTNOSUPPORT, WSAEOPNOTSUPP, WSAEPFNOSUPPORT,
      WSAEAFNOSUPPORT, WSAEADDRINUSE, WSAEADDRNOTAVAIL, WSAENETDOWN,
      WSAENETUNREACH, WSAENETRESET, WSAECONNABORTED, WSAECONNRESET,
      WSAENOBUFS, WSAEISCONN, WSAENOTCONN, WSAESHUTDOWN, WSAETOOMANYREFS,
      WSAETIMEDOUT, WSAECONNREFUSED, WSAELOOP, WSAENAMETOOLONG, WSAEHOSTDOWN,
      WSAEHOSTUNREACH, WSAENOTEMPTY, WSAEPROCLIM, WSAEUSERS, WSAEDQUOT,
      WSAESTALE, WSAEREMOTE, WSASYSNOTREADY, WSAVERNOTSUPPORTED,
      WSANOTINITIALISED, WSAEDISCON, WSAENOMORE, WSAECANCELLED,
      WSAEINVALIDPROCTABLE, WSAEINVALIDPROVIDER, WSAEPROVIDERFAILEDINIT,
      WSASYSCALLFAILURE, WSASERVICE_NOT_FOUND, WSATYPE_NOT_FOUND,
      WSA_E_NO_MORE, WSA_E_CANCELLED, WSAEREFUSED, WSAHOST_NOT_FOUND,
      WSATRY_AGAIN, WSANO_RECOVERY, WSANO_DATA, WSA_QOS_RECEIVERS,
      WSA_QOS_EUNKOWNPSOBJ, WSA_INVALID_HANDLE, WSA_NOT_ENOUGH_MEMORY,
      WSA_INVALID_PARAMETER, WSA_OPERATION_ABORTED, WSA_IO_INCOMPLETE,
      WSA_IO_PENDING, ERROR_NETNAME_DELETED, ERROR_CONNECTION_ABORTED,
      ERROR_CONNECTION_REFUSED, ERROR_BROKEN_PIPE, ERROR_NO_DATA,
      ERROR_SEM_TIMEOUT, ERROR_NETWORK_UNREACHABLE, ERROR_HOST_UNREACHABLE,
      ERROR_PORT_UNREACHABLE, ERROR_PROTOCOL_UNREACHABLE,
      ERROR_GRACEFUL_DISCONNECT, ERROR_REQUEST_ABORTED,
      ERROR_CONNECTION_INVALID, ERROR_CONNECTION_ACTIVE,
      ERROR_ADDRESS_ALREADY_ASSOCIATED, ERROR_NETWORK_ACCESS_DENIED,
      ERROR_TIMEOUT,
  };
#else
  static const int natives[] = {
      EACCES, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, EALREADY,
      EBADF, ECANCELED, ECONNABORTED, ECONNREFUSED, ECONNRESET,
      EDESTADDRREQ, EFAULT, EHOSTDOWN, EHOSTUNREACH, EINPROGRESS, EINTR,
      EINVAL, EIO, EISCONN, ELOOP, EMFILE, EMSGSIZE, ENAMETOOLONG, ENETDOWN,
      ENETRESET, ENETUNREACH, ENFILE, ENOBUFS, ENOMEM, ENOPROTOOPT,
      ENOTCONN, ENOTSOCK, ENOTSUP, EOPNOTSUPP, EPERM, EPIPE, EPROTO,
      EPROTONOSUPPORT, EPROTOTYPE, ESHUTDOWN, ESOCKTNOSUPPORT, ETIMEDOUT,
      ETOOMANYREFS, EPFNOSUPPORT, ENOENT, ENOTDIR, EROFS, ENOSPC, EDQUOT,
      EOVERFLOW, ENODEV, ENXIO, EBUSY, EEXIST, ESRCH,
  };
#endif
  size_t i;
  (void)state;
  for (i = 0; i < sizeof natives / sizeof natives[0]; i++) {
    int got = skc_translate_error(natives[i]);
    if (got == SKC_EUNKNOWN)
      print_error("native %d has no meaning\n", natives[i]);
    assert_int_not_equal(got, SKC_EUNKNOWN);
    assert_true(got < 0);
  }
}

/* Every code of the list: a distinct value, a name that is its own
 * spelling, a message; and name and message are never NULL, whatever the
 * input. */
static void names_and_messages(void **state) {
  static const struct {
    int code;
    const char *name;
  } all[] = {
#define ONE(name, value, message) {SKC_##name, #name},
      SKC_ERRNO_MAP(ONE)
#undef ONE
  };
  size_t i, j;
  (void)state;
  for (i = 0; i < sizeof all / sizeof all[0]; i++) {
    assert_string_equal(skc_err_name(all[i].code), all[i].name);
    assert_non_null(skc_strerror(all[i].code));
    assert_true(strlen(skc_strerror(all[i].code)) > 0);
    for (j = i + 1; j < sizeof all / sizeof all[0]; j++)
      assert_int_not_equal(all[i].code, all[j].code);
  }
  assert_string_equal(skc_err_name(SKC_ECONNRESET), "ECONNRESET");
  assert_string_equal(skc_err_name(SKC_ESHUTDOWN), "ESHUTDOWN");
  assert_string_equal(skc_err_name(0), "OK");
  assert_string_equal(skc_strerror(0), "success");
  assert_string_equal(skc_err_name(12345), "EUNKNOWN");
  assert_string_equal(skc_err_name(-1), "EUNKNOWN");
  assert_string_equal(skc_err_name(INT32_MIN), "EUNKNOWN");
  assert_string_equal(skc_err_name(INT32_MAX), "EUNKNOWN");
  assert_string_equal(skc_strerror(-2999), "unknown error");
  assert_string_equal(skc_strerror(-4000), "unknown error");
}

/* The values are part of the ABI: a change here is a breaking change. */
static void values_are_permanent(void **state) {
  (void)state;
  assert_int_equal(SKC_EUNKNOWN, -3000);
  assert_int_equal(SKC_EBADF, -3007);
  assert_int_equal(SKC_ECONNRESET, -3011);
  assert_int_equal(SKC_EINVAL, -3018);
  assert_int_equal(SKC_ENOTCONN, -3032);
  assert_int_equal(SKC_EPIPE, -3036);
  assert_int_equal(SKC_ESHUTDOWN, -3040);
  assert_int_equal(SKC_ENOTINIT, -3051);
  assert_int_equal(SKC_SHUT_RD, 0);
  assert_int_equal(SKC_SHUT_WR, 1);
  assert_int_equal(SKC_SHUT_RDWR, 2);
}

static void unknown_natives(void **state) {
  (void)state;
  assert_int_equal(skc_translate_error(0), 0);
  assert_int_equal(skc_translate_error(-1), SKC_EUNKNOWN);
  assert_int_equal(skc_translate_error(987654), SKC_EUNKNOWN);
  assert_int_equal(skc_translate_error(INT32_MIN), SKC_EUNKNOWN);
}

static void last_error_reads_the_slot_without_changing_it(void **state) {
  (void)state;
#ifdef _WIN32
  skct_set_native_error(WSAECONNRESET);
  assert_int_equal(skc_last_error(), SKC_ECONNRESET);
  assert_int_equal(skct_native_error(), WSAECONNRESET);
#else
  skct_set_native_error(ECONNRESET);
  assert_int_equal(skc_last_error(), SKC_ECONNRESET);
  assert_int_equal(skct_native_error(), ECONNRESET);
#endif
}

static void predicates(void **state) {
  static const int gone[] = {SKC_ECONNRESET,   SKC_ECONNABORTED,
                             SKC_EPIPE,        SKC_ENETRESET,
                             SKC_ETIMEDOUT,    SKC_EHOSTUNREACH,
                             SKC_ENETUNREACH,  SKC_EHOSTDOWN};
  static const int again[] = {SKC_EAGAIN, SKC_EINTR, SKC_EINPROGRESS};
  static const int neither[] = {0, SKC_ESHUTDOWN, SKC_ENOTCONN, SKC_EBADF,
                                SKC_ECONNREFUSED, SKC_EUNKNOWN, 12345};
  size_t i;
  (void)state;
  for (i = 0; i < sizeof gone / sizeof gone[0]; i++) {
    assert_true(skc_is_connection_gone(gone[i]));
    assert_false(skc_is_try_again(gone[i]));
  }
  for (i = 0; i < sizeof again / sizeof again[0]; i++) {
    assert_true(skc_is_try_again(again[i]));
    assert_false(skc_is_connection_gone(again[i]));
  }
  for (i = 0; i < sizeof neither / sizeof neither[0]; i++) {
    assert_false(skc_is_connection_gone(neither[i]));
    assert_false(skc_is_try_again(neither[i]));
  }
}

int main(int argc, char **argv) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(translates_same_codes_everywhere),
      cmocka_unit_test(covers_every_socket_code),
      cmocka_unit_test(names_and_messages),
      cmocka_unit_test(values_are_permanent),
      cmocka_unit_test(unknown_natives),
      cmocka_unit_test(last_error_reads_the_slot_without_changing_it),
      cmocka_unit_test(predicates),
#ifdef _WIN32
      cmocka_unit_test(windows_table_row_by_row),
#endif
  };
  (void)argc;
  (void)argv;
  return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
