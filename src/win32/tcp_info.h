/*
 * Windows: SIO_TCP_INFO and TCP_INFO_v0 (mstcpip.h, Windows 10 1703 and
 * later), shared by tcp_state.c and send_queue.c. MinGW-w64 declares them
 * only when NTDDI_VERSION names Windows 10 RS2, and this library builds
 * for Windows 7, where the ioctl simply fails, so they are spelled out
 * here as documented.
 */
#ifndef SKC_WIN32_TCP_INFO_H
#define SKC_WIN32_TCP_INFO_H

#include <winsock2.h>

#include <windows.h>

#define SKC__SIO_TCP_INFO _WSAIORW(IOC_VENDOR, 39)

typedef struct skc__tcp_info_v0 {
  int State; /* TCPSTATE */
  ULONG Mss;
  ULONG64 ConnectionTimeMs;
  BOOLEAN TimestampsEnabled;
  ULONG RttUs;
  ULONG MinRttUs;
  ULONG BytesInFlight;
  ULONG Cwnd;
  ULONG SndWnd;
  ULONG RcvWnd;
  ULONG RcvBuf;
  ULONG64 BytesOut;
  ULONG64 BytesIn;
  ULONG BytesReordered;
  ULONG BytesRetrans;
  ULONG FastRetrans;
  ULONG DupAcksIn;
  ULONG TimeoutEpisodes;
  UCHAR SynRetrans;
} skc__tcp_info_v0;

#endif
