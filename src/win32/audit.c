/*
 * Windows: the machine's connection table from GetExtendedTcpTable(), the
 * owners' names, and this process's own sockets for the leak check.
 */
#include "audit_table.h"

#include <winsock2.h>
#include <ws2tcpip.h>

#include <iphlpapi.h>
#include <windows.h>

#include <stdlib.h>
#include <string.h>

/* ---- parsing ---- */

/* A DWORD of the table, which Windows stores little-endian. */
static unsigned long skc__dword(const unsigned char *p) {
  return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
         (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/* dwLocalPort/dwRemotePort: "the port number in network byte order" in
 * the low 16 bits (MIB_TCPROW_OWNER_PID documentation), i.e. the first
 * two bytes of the DWORD in memory. */
static unsigned short skc__port(const unsigned char *p) {
  return (unsigned short)(p[0] << 8 | p[1]);
}

/* Layouts (iprtrmib.h / tcpmib.h): each table is a DWORD count followed
 * by the rows.
 *  MIB_TCPROW_OWNER_PID: state, local address, local port, remote address,
 *    remote port, pid: six DWORDs.
 *  MIB_TCP6ROW_OWNER_PID: local address[16], local scope, local port,
 *    remote address[16], remote scope, remote port, state, pid: 56 bytes.
 *  MIB_TCPROW: the first five DWORDs of MIB_TCPROW_OWNER_PID.
 *  MIB_TCP6ROW: state, local address[16], local scope, local port, remote
 *    address[16], remote scope, remote port: 52 bytes. */
#define SKC__ROW4_PID 24
#define SKC__ROW6_PID 56
#define SKC__ROW4 20
#define SKC__ROW6 52
_Static_assert(sizeof(MIB_TCPROW_OWNER_PID) == SKC__ROW4_PID, "layout");
_Static_assert(sizeof(MIB_TCP6ROW_OWNER_PID) == SKC__ROW6_PID, "layout");
_Static_assert(sizeof(MIB_TCPROW) == SKC__ROW4, "layout");
_Static_assert(sizeof(MIB_TCP6ROW) == SKC__ROW6, "layout");

/* The IPv6 part of a row at offset at: address, scope, port. Only a
 * link-local address has a zone to name (RFC 4007; Linux reports none for
 * others): Wine 8 fills a scope for ::1 as well (4096, measured). */
static void skc__row6_end(const unsigned char *at, skc_endpoint *e) {
  memcpy(e->address, at, 16);
  if (at[0] == 0xfe && (at[1] & 0xc0) == 0x80)
    e->scope_id = skc__dword(at + 16);
  e->port = skc__port(at + 20);
}

int skc__win32_parse_tcp_table(const void *buf, size_t len, int layout,
                               skc__audit *audit) {
  static const size_t row_sizes[] = {SKC__ROW4_PID, SKC__ROW6_PID, SKC__ROW4,
                                     SKC__ROW6};
  const unsigned char *bytes = buf;
  size_t row_size;
  int family;
  unsigned long count, i;
  if (layout < SKC__TABLE4_OWNER_PID || layout > SKC__TABLE6_BASIC)
    return skc__plat_reject(SKC_EINVAL);
  row_size = row_sizes[layout];
  family = layout == SKC__TABLE4_OWNER_PID || layout == SKC__TABLE4_BASIC
               ? SKC_FAMILY_IPV4
               : SKC_FAMILY_IPV6;
  if (len < 4) {
    WSASetLastError(WSAEINVAL);
    return SKC_EPROTO;
  }
  count = skc__dword(bytes);
  if (count > (len - 4) / row_size) {
    WSASetLastError(WSAEINVAL);
    return SKC_EPROTO;
  }
  for (i = 0; i < count; i++) {
    const unsigned char *r = bytes + 4 + i * row_size;
    skc_connection row;
    unsigned long state_value;
    long pid = -1;
    int err;
    memset(&row, 0, sizeof row);
    row.local.family = row.remote.family = family;
    switch (layout) {
    case SKC__TABLE4_OWNER_PID:
    case SKC__TABLE4_BASIC:
      state_value = skc__dword(r);
      memcpy(row.local.address, r + 4, 4);
      row.local.port = skc__port(r + 8);
      memcpy(row.remote.address, r + 12, 4);
      row.remote.port = skc__port(r + 16);
      if (layout == SKC__TABLE4_OWNER_PID)
        pid = (long)skc__dword(r + 20);
      break;
    case SKC__TABLE6_OWNER_PID:
      skc__row6_end(r, &row.local);
      skc__row6_end(r + 24, &row.remote);
      state_value = skc__dword(r + 48);
      pid = (long)skc__dword(r + 52);
      break;
    default:
      state_value = skc__dword(r);
      skc__row6_end(r + 4, &row.local);
      skc__row6_end(r + 28, &row.remote);
      break;
    }
    row.state = state_value <= 12 ? skc__tcp_state_from_mib((int)state_value)
                                  : 0;
    if (row.state == 0)
      continue;
    if (row.state == SKC_TCP_LISTEN) {
      /* A listener's remote fields carry no meaning. */
      memset(&row.remote, 0, sizeof row.remote);
      row.remote.family = family;
    }
    /* The tables have no queue sizes. */
    row.recv_queue = -1;
    row.send_queue = -1;
    row.pid = pid;
    err = skc__audit_add(audit, &row);
    if (err != 0)
      return err;
  }
  return 0;
}

/* ---- reading ---- */

/* One table. It may grow between the size query and the read, so the
 * read is retried with the new size. The owner tables cost far more under
 * Wine (its iphlpapi matches every socket against every process's
 * descriptors: about 5 s for 3000 connections, measured, against 0.09 s
 * for the basic table), so they are read only when owners are wanted;
 * the basic IPv6 table comes from GetTcp6Table (Vista and later). */
static DWORD skc__get_table(int layout, void *table, DWORD *size) {
  ULONG size6;
  DWORD rc;
  switch (layout) {
  case SKC__TABLE4_OWNER_PID:
    return GetExtendedTcpTable(table, size, FALSE, AF_INET,
                               TCP_TABLE_OWNER_PID_ALL, 0);
  case SKC__TABLE6_OWNER_PID:
    return GetExtendedTcpTable(table, size, FALSE, AF_INET6,
                               TCP_TABLE_OWNER_PID_ALL, 0);
  case SKC__TABLE4_BASIC:
    return GetExtendedTcpTable(table, size, FALSE, AF_INET,
                               TCP_TABLE_BASIC_ALL, 0);
  default:
    size6 = *size;
    rc = GetTcp6Table((PMIB_TCP6TABLE)table, &size6, FALSE);
    *size = size6;
    return rc;
  }
}

static int skc__read_table(int layout, skc__audit *audit) {
  DWORD size = 0;
  void *table = NULL;
  DWORD rc;
  int tries, err;
  int ipv6 = layout == SKC__TABLE6_OWNER_PID || layout == SKC__TABLE6_BASIC;
  if (layout == SKC__TABLE4_OWNER_PID || layout == SKC__TABLE6_OWNER_PID) {
    /* Under Wine every owner-table call, the size query included, does
     * the whole slow owner search, and a TIME_WAIT connection can expire
     * between two such calls on a busy machine: the cheap basic table's
     * size gives an estimate, so that one call usually suffices. */
    DWORD basic = 0;
    skc__get_table(ipv6 ? SKC__TABLE6_BASIC : SKC__TABLE4_BASIC, NULL, &basic);
    size = basic + basic / 2 + 16384;
    table = malloc(size);
    if (table == NULL)
      return skc__plat_reject(SKC_ENOMEM);
  }
  rc = skc__get_table(layout, table, &size);
  for (tries = 0; tries < 8 && (rc == ERROR_INSUFFICIENT_BUFFER ||
                                rc == ERROR_OUTOFMEMORY ||
                                rc == ERROR_NOT_ENOUGH_MEMORY);
       tries++) {
    void *bigger;
    /* Wine 8 reads the table in up to five attempts, each larger than the
     * count it last saw, and answers ERROR_OUTOFMEMORY when the table
     * outgrew all five (dlls/nsi/nsi.c, NsiAllocateAndGetTable): on a
     * machine opening connections fast, reading again succeeds. */
    size += size / 4 + 4096;
    bigger = realloc(table, size);
    if (bigger == NULL) {
      free(table);
      return skc__plat_reject(SKC_ENOMEM);
    }
    table = bigger;
    rc = skc__get_table(layout, table, &size);
  }
  if (rc != NO_ERROR) {
    free(table);
    /* A machine without IPv6 has no IPv6 table. */
    if (ipv6 && (rc == ERROR_NOT_SUPPORTED || rc == ERROR_INVALID_PARAMETER ||
                 rc == ERROR_NO_DATA))
      return 0;
    WSASetLastError((int)rc);
    return skc__plat_translate((int)rc);
  }
  err = table == NULL ? 0
                      : skc__win32_parse_tcp_table(table, size, layout, audit);
  free(table);
  return err;
}

int skc__plat_audit_list(skc__audit *audit) {
  int owners = audit->options.owners || audit->options.pid != 0;
  int err = 0;
  if (audit->options.source != SKC_AUDIT_SOURCE_AUTO)
    return skc__plat_reject(SKC_ENOTSUP);
  if (audit->options.family != SKC_FAMILY_IPV6)
    err = skc__read_table(owners ? SKC__TABLE4_OWNER_PID : SKC__TABLE4_BASIC,
                          audit);
  if (err == 0 && audit->options.family != SKC_FAMILY_IPV4)
    err = skc__read_table(owners ? SKC__TABLE6_OWNER_PID : SKC__TABLE6_BASIC,
                          audit);
  return err;
}

/* The file name of a process's image, in UTF-8; "" when the process is
 * gone or may not be opened. */
static void skc__process_name(DWORD pid, char *name, size_t size) {
  WCHAR path[MAX_PATH];
  DWORD len = MAX_PATH;
  const WCHAR *base;
  HANDLE process;
  name[0] = '\0';
  process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == NULL)
    return;
  if (QueryFullProcessImageNameW(process, 0, path, &len)) {
    base = wcsrchr(path, L'\\');
    base = base != NULL ? base + 1 : path;
    if (WideCharToMultiByte(CP_UTF8, 0, base, -1, name, (int)size, NULL,
                            NULL) == 0)
      name[0] = '\0';
  }
  CloseHandle(process);
}

int skc__plat_audit_owners(skc__audit *audit) {
  /* The pids came with the table; the names are looked up once per
   * process. */
  char name[SKC_PROCESS_NAME_MAX] = "";
  long named = -1;
  size_t i;
  int saved = WSAGetLastError();
  for (i = 0; i < audit->count; i++) {
    skc_connection *row = &audit->rows[i];
    if (row->pid <= 0)
      continue;
    if (row->pid != named) {
      skc__process_name((DWORD)row->pid, name, sizeof name);
      named = row->pid;
    }
    memcpy(row->process, name, sizeof name);
  }
  WSASetLastError(saved);
  return 0;
}

/* ---- this process's sockets ---- */

/* ProcessHandleInformation (51, Windows 8 and later) lists this process's
 * handles with their object types (winternl.h documents
 * NtQueryInformationProcess, not this class). Wine 8 does not implement
 * it; there, and on Windows 7, the handle values are probed instead. The
 * system-wide list (SystemExtendedHandleInformation) would work under
 * Wine too, but it reads every process's handle table, and wineserver was
 * seen to crash on it (1 run in 15) while other Wine processes came and
 * went. */
typedef LONG(NTAPI *skc__query_process_fn)(HANDLE, ULONG, PVOID, ULONG,
                                           PULONG);

typedef struct skc__process_handle_entry {
  HANDLE HandleValue;
  ULONG_PTR HandleCount;
  ULONG_PTR PointerCount;
  ULONG GrantedAccess;
  ULONG ObjectTypeIndex;
  ULONG HandleAttributes;
  ULONG Reserved;
} skc__process_handle_entry;

typedef struct skc__process_handles {
  ULONG_PTR NumberOfHandles;
  ULONG_PTR Reserved;
  skc__process_handle_entry Handles[1];
} skc__process_handles;

#define SKC__STATUS_INFO_LENGTH_MISMATCH ((LONG)0xC0000004L)
#define SKC__STATUS_BUFFER_TOO_SMALL ((LONG)0xC0000023L)
#define SKC__HANDLES_MAX_BYTES (64UL << 20)
/* Probing stops after this many handle values in a row are unused. */
#define SKC__PROBE_GAP 1024

/* The table of this process's handles, or NULL where the OS has none. */
static skc__process_handles *skc__query_handles(ULONG *size_out) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  ULONG size = 16 * 1024;
  void *buf = NULL;
  FARPROC fn;
  if (ntdll == NULL)
    return NULL;
  fn = GetProcAddress(ntdll, "NtQueryInformationProcess");
  if (fn == NULL)
    return NULL;
  for (;;) {
    ULONG needed = 0;
    LONG status;
    void *bigger = realloc(buf, size);
    if (bigger == NULL)
      break;
    buf = bigger;
    status = ((skc__query_process_fn)(void (*)(void))fn)(GetCurrentProcess(),
                                                         51, buf, size, &needed);
    if (status == 0) {
      *size_out = size;
      return buf;
    }
    if ((status != SKC__STATUS_INFO_LENGTH_MISMATCH &&
         status != SKC__STATUS_BUFFER_TOO_SMALL) ||
        size >= SKC__HANDLES_MAX_BYTES)
      break;
    size = needed > size ? needed + 4096 : size * 2;
  }
  free(buf);
  return NULL;
}

/* Is h a socket? getsockopt() asks the socket provider, which on Windows
 * may have to send a request to the handle's driver: only handles that
 * can be sockets (GetFileType: FILE_TYPE_PIPE, "a socket, a named pipe,
 * or an anonymous pipe") are asked. */
static int skc__is_socket(HANDLE h) {
  int type = 0, len = (int)sizeof type;
  if (GetFileType(h) != FILE_TYPE_PIPE)
    return 0;
  return getsockopt((SOCKET)h, SOL_SOCKET, SO_TYPE, (char *)&type, &len) == 0;
}

static int skc__own_add(skc__own_socket **list, size_t *n, size_t *capacity,
                        HANDLE h) {
  if (*n == *capacity) {
    size_t grown = *capacity == 0 ? 32 : *capacity * 2;
    skc__own_socket *bigger = realloc(*list, grown * sizeof *bigger);
    if (bigger == NULL)
      return skc__plat_reject(SKC_ENOMEM);
    *list = bigger;
    *capacity = grown;
  }
  (*list)[*n].handle = (skc_socket_t)(ULONG_PTR)h;
  (*list)[*n].id = 0;
  (*n)++;
  return 0;
}

/* Windows 8 and later: the sockets among this process's handles, from
 * its handle table; SKC_ENOTSUP where the OS has no such table. A socket
 * of our own shows which object type sockets have, so that only handles
 * of that type are looked at. */
static int skc__sockets_from_table(skc__own_socket **list, size_t *n,
                                   size_t *capacity) {
  ULONG size = 0;
  ULONG_PTR i, total;
  ULONG socket_type = 0;
  int have_type = 0, err = 0;
  skc__process_handles *table;
  SOCKET probe = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  if (probe == INVALID_SOCKET)
    return skc__plat_translate(WSAGetLastError());
  table = skc__query_handles(&size);
  if (table == NULL) {
    closesocket(probe);
    return SKC_ENOTSUP;
  }
  total = table->NumberOfHandles;
  if (total > (size - offsetof(skc__process_handles, Handles)) /
                  sizeof table->Handles[0])
    total = 0;
  for (i = 0; i < total && !have_type; i++)
    if (table->Handles[i].HandleValue == (HANDLE)probe) {
      socket_type = table->Handles[i].ObjectTypeIndex;
      have_type = 1;
    }
  for (i = 0; i < total && err == 0; i++) {
    HANDLE h = table->Handles[i].HandleValue;
    if (h == (HANDLE)probe ||
        (have_type && table->Handles[i].ObjectTypeIndex != socket_type))
      continue;
    if (skc__is_socket(h))
      err = skc__own_add(list, n, capacity, h);
  }
  free(table);
  closesocket(probe);
  return err;
}

/* Windows 7 and Wine 8: probe the handle values 4, 8, 12, ... (handle
 * values are multiples of 4; Wine hands out the lowest free one) until
 * SKC__PROBE_GAP values in a row are unused. */
static int skc__sockets_by_probing(skc__own_socket **list, size_t *n,
                                   size_t *capacity) {
  ULONG_PTR value;
  unsigned gap = 0;
  int err = 0;
  for (value = 4; gap < SKC__PROBE_GAP && err == 0; value += 4) {
    HANDLE h = (HANDLE)value;
    DWORD flags;
    if (!GetHandleInformation(h, &flags)) {
      gap++;
      continue;
    }
    gap = 0;
    if (skc__is_socket(h))
      err = skc__own_add(list, n, capacity, h);
  }
  return err;
}

int skc__plat_own_sockets(skc__own_socket **sockets, size_t *count) {
  skc__own_socket *list = NULL;
  size_t n = 0, capacity = 0;
  int saved = WSAGetLastError();
  int err = skc__sockets_from_table(&list, &n, &capacity);
  if (err == SKC_ENOTSUP)
    err = skc__sockets_by_probing(&list, &n, &capacity);
  if (err != 0) {
    free(list);
    return err;
  }
  WSASetLastError(saved);
  *sockets = list;
  *count = n;
  return 0;
}

long long skc__plat_bytes_unread(skc_socket_t s) {
  u_long n = 0;
  if (ioctlsocket((SOCKET)s, FIONREAD, &n) != 0)
    return skc__plat_translate(WSAGetLastError());
  return (long long)n;
}
