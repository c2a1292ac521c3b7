/*
 * sockclose-wire: an impaired network link in user space, for tests.
 *
 * The kernel of the test machines has no netem, so this program plays the
 * link itself. `sockclose-wire run -- COMMAND` creates two private network
 * namespaces, "near" and "far", each with a TUN device (10.77.0.1/24 near,
 * 10.77.0.2/24 far), and forwards every IP packet between the two devices
 * through a user-space queue that can drop, delay (with jitter), reorder,
 * duplicate or corrupt packets, swallow them all ("cut": the peer vanishes
 * in silence), or answer them with an ICMP host-unreachable. COMMAND runs
 * in the near namespace; when it exits, the devices and both namespaces
 * disappear with this process.
 *
 * In the far namespace a peer service listens on 10.77.0.2:9000 (TCP): it
 * reads a first line naming the connection, then counts the bytes that
 * follow (checking that byte i is 'a' + i % 26) until the end of stream
 * (then it closes in order) or a reset, and keeps the result for the
 * `result` command. It also echoes UDP datagrams sent to 10.77.0.2:9000.
 *
 * The test controls the link at run time over TCP on 127.0.0.1 in the near
 * namespace (the address is in the environment variable SKC_WIRE, so a
 * Windows program under Wine can use it too); one command per line, one
 * reply line ("ok ..." or "error ..."). See tests/wire/README.md.
 *
 * Linux only; needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WIRE_NEAR "10.77.0.1"
#define WIRE_FAR "10.77.0.2"
#define WIRE_ROUTER "10.77.0.254" /* source of the ICMP errors */
#define WIRE_PEER_PORT 9000
#define WIRE_MTU 1500
#define WIRE_QUEUE_MAX 20000  /* packets in flight inside the wire */
#define WIRE_RESULTS_MAX 8192 /* finished peer connections remembered */
#define WIRE_NAME 40

static const char usage[] =
    "usage: sockclose-wire run [OPTIONS] -- COMMAND [ARG...]\n"
    "       sockclose-wire ctl COMMAND [ARG...]\n"
    "\n"
    "run: create two private network namespaces joined by a user-space\n"
    "link (near 10.77.0.1, far 10.77.0.2, one TUN device each), run COMMAND\n"
    "in the near one, and remove everything when it exits; the exit status\n"
    "is COMMAND's. The far namespace holds a peer service on port 9000.\n"
    "COMMAND finds the control address in SKC_WIRE (127.0.0.1:PORT).\n"
    "options (the starting impairments, also settable at run time):\n"
    "  --loss P --delay MS --jitter MS --reorder P --duplicate P\n"
    "  --corrupt P --seed N\n"
    "\n"
    "ctl: send one command to the wire named by SKC_WIRE and print the\n"
    "reply; the exit status is 0 when it starts with 'ok'. Commands:\n"
    "  set KEY=VALUE...  loss, duplicate, corrupt, reorder (percent of\n"
    "                    packets, each direction), delay, jitter (ms)\n"
    "  cut               swallow every packet (the peer vanishes)\n"
    "  unreach           answer every packet with ICMP host unreachable\n"
    "  restore           end cut and unreach\n"
    "  clear             every impairment off\n"
    "  reboot            the far host forgets its connections: they are\n"
    "                    reset while the link swallows the resets\n"
    "  result NAME       what the peer received on connection NAME:\n"
    "                    bytes=N eof=0|1 reset=0|1 intact=0|1, or 'pending'\n"
    "  stats             packet counts\n"
    "  info              the addresses\n";

/* ---- small helpers ---- */

static void die(const char *fmt, ...) {
  va_list ap;
  int saved = errno;
  fputs("sockclose-wire: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (saved != 0)
    fprintf(stderr, ": %s", strerror(saved));
  fputc('\n', stderr);
  exit(125);
}

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    die("fcntl");
}

/* xorshift64*: reproducible with --seed. */
static uint64_t rng_state = 88172645463325252ULL;
static double random_unit(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) /
         (double)(1ULL << 53);
}
static int chance(double percent) {
  return percent > 0 && random_unit() * 100.0 < percent;
}

/* ---- the link ---- */

struct impairments {
  double loss, duplicate, corrupt, reorder; /* percent */
  int delay_ms, jitter_ms;
  int cut, unreach;
};

struct packet {
  struct packet *next;
  long long due_us;
  int to; /* index of the TUN device it goes out of */
  size_t len;
  unsigned char data[WIRE_MTU + 64];
};

struct stats {
  unsigned long long forwarded, lost, cut, duplicated, corrupted, reordered,
      icmp, overflow;
};

static struct impairments imp;
static struct stats st;
static int tun_fd[2] = {-1, -1}; /* 0 near, 1 far */
static struct packet *queue_head;
static size_t queue_len;

static int open_tun(const char *name) {
  struct ifreq ifr;
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    die("open /dev/net/tun");
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0)
    die("TUNSETIFF %s", name);
  set_nonblocking(fd);
  return fd;
}

/* Address, netmask and up, with the classic ioctls (IPv4 is enough). */
static void configure_interface(const char *name, const char *address) {
  struct ifreq ifr;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    die("socket");
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (address != NULL) {
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, address, &sin->sin_addr);
    if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
      die("SIOCSIFADDR %s", name);
    inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
    if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
      die("SIOCSIFNETMASK %s", name);
  }
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
    die("SIOCGIFFLAGS %s", name);
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
    die("SIOCSIFFLAGS %s", name);
  close(s);
}

static void enqueue(struct packet *p) {
  struct packet **at = &queue_head;
  /* Sorted by due time; equal times keep their arrival order. */
  while (*at != NULL && (*at)->due_us <= p->due_us)
    at = &(*at)->next;
  p->next = *at;
  *at = p;
  queue_len++;
}

static uint16_t checksum(const unsigned char *data, size_t len) {
  uint32_t sum = 0;
  size_t i;
  for (i = 0; i + 1 < len; i += 2)
    sum += (uint32_t)(data[i] << 8 | data[i + 1]);
  if (len & 1)
    sum += (uint32_t)(data[len - 1] << 8);
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* ICMP destination unreachable, code 1 (host), back to the sender
 * (RFC 792: the original IP header and the first 8 bytes of its payload,
 * which carry the TCP ports and sequence number the kernel matches). */
static void answer_unreachable(int from, const unsigned char *orig,
                               size_t len) {
  unsigned char out[20 + 8 + 60 + 8];
  size_t quoted, ihl;
  struct in_addr router;
  if (len < 20 || (orig[0] >> 4) != 4 || orig[9] == 1 /* never for ICMP */)
    return;
  ihl = (size_t)(orig[0] & 0x0f) * 4;
  quoted = ihl + 8 < len ? ihl + 8 : len;
  memset(out, 0, sizeof out);
  out[0] = 0x45;
  out[2] = (unsigned char)((20 + 8 + quoted) >> 8);
  out[3] = (unsigned char)(20 + 8 + quoted);
  out[8] = 64;
  out[9] = 1; /* ICMP */
  inet_pton(AF_INET, WIRE_ROUTER, &router);
  memcpy(out + 12, &router, 4);
  memcpy(out + 16, orig + 12, 4); /* to the original source */
  {
    uint16_t c = checksum(out, 20);
    out[10] = (unsigned char)(c >> 8);
    out[11] = (unsigned char)c;
  }
  out[20] = 3; /* destination unreachable */
  out[21] = 1; /* host unreachable */
  memcpy(out + 28, orig, quoted);
  {
    uint16_t c = checksum(out + 20, 8 + quoted);
    out[22] = (unsigned char)(c >> 8);
    out[23] = (unsigned char)c;
  }
  if (write(tun_fd[from], out, 20 + 8 + quoted) > 0)
    st.icmp++;
}

/* One packet read from device `from`: impair it and queue it for the
 * other device. */
static void impair(int from, const unsigned char *data, size_t len) {
  long long now = now_us();
  int copies = 1, i;
  if (imp.cut) {
    st.cut++;
    return;
  }
  if (imp.unreach) {
    answer_unreachable(from, data, len);
    return;
  }
  if (chance(imp.loss)) {
    st.lost++;
    return;
  }
  if (chance(imp.duplicate)) {
    copies = 2;
    st.duplicated++;
  }
  for (i = 0; i < copies; i++) {
    struct packet *p;
    long long delay_us = (long long)imp.delay_ms * 1000;
    if (queue_len >= WIRE_QUEUE_MAX) {
      st.overflow++;
      return;
    }
    p = malloc(sizeof *p);
    if (p == NULL) {
      st.overflow++;
      return;
    }
    p->to = 1 - from;
    p->len = len;
    memcpy(p->data, data, len);
    if (imp.jitter_ms > 0)
      delay_us += (long long)((random_unit() * 2.0 - 1.0) * imp.jitter_ms *
                              1000.0);
    if (chance(imp.reorder)) {
      /* Ahead of the packets already delayed (netem's reorder), or, with
       * no delay set, held back 10 ms so that later ones overtake it. */
      delay_us = imp.delay_ms > 0 ? 0 : 10000;
      st.reordered++;
    }
    if (delay_us < 0)
      delay_us = 0;
    p->due_us = now + delay_us;
    if (chance(imp.corrupt) && len > 20) {
      /* One flipped bit past the IP header: the TCP or UDP checksum
       * catches it and the receiving kernel drops the packet. */
      size_t at = 20 + (size_t)(random_unit() * (double)(len - 20));
      if (at >= len)
        at = len - 1;
      p->data[at] ^= (unsigned char)(1u << (int)(random_unit() * 8));
      st.corrupted++;
    }
    enqueue(p);
  }
}

static void read_tun(int from) {
  unsigned char buf[WIRE_MTU + 64];
  int n;
  for (n = 0; n < 256; n++) {
    ssize_t len = read(tun_fd[from], buf, sizeof buf);
    if (len <= 0)
      return;
    impair(from, buf, (size_t)len);
  }
}

static void release_due(void) {
  long long now = now_us();
  while (queue_head != NULL && queue_head->due_us <= now) {
    struct packet *p = queue_head;
    queue_head = p->next;
    queue_len--;
    if (imp.cut)
      st.cut++; /* cut while in flight */
    else if (write(tun_fd[p->to], p->data, p->len) == (ssize_t)p->len)
      st.forwarded++;
    else
      st.overflow++;
    free(p);
  }
}

/* ---- the peer service (far namespace) ---- */

struct result {
  char name[WIRE_NAME];
  unsigned long long bytes;
  int eof, reset, intact, done;
};

struct peer_conn {
  int fd;
  int named;
  size_t name_len;
  struct result r;
};

static struct result results[WIRE_RESULTS_MAX];
static size_t results_next;
static struct peer_conn *conns;
static size_t conn_count, conn_cap;

static struct result *find_result(const char *name) {
  size_t i;
  for (i = 0; i < conn_count; i++)
    if (conns[i].named && strcmp(conns[i].r.name, name) == 0)
      return &conns[i].r;
  for (i = WIRE_RESULTS_MAX; i-- > 0;) {
    struct result *r = &results[(results_next + i) % WIRE_RESULTS_MAX];
    if (r->done && strcmp(r->name, name) == 0)
      return r;
  }
  return NULL;
}

static void add_conn(int fd) {
  if (conn_count == conn_cap) {
    size_t cap = conn_cap ? conn_cap * 2 : 64;
    struct peer_conn *grown = realloc(conns, cap * sizeof *grown);
    if (grown == NULL) {
      close(fd);
      return;
    }
    conns = grown;
    conn_cap = cap;
  }
  memset(&conns[conn_count], 0, sizeof conns[conn_count]);
  conns[conn_count].fd = fd;
  conns[conn_count].r.intact = 1;
  conn_count++;
}

/* The connection ended: remember it and drop it (index i). */
static void end_conn(size_t i, int abort_it) {
  struct peer_conn *c = &conns[i];
  if (abort_it) {
    struct linger lin = {1, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
  }
  close(c->fd);
  if (c->named) {
    c->r.done = 1;
    results[results_next] = c->r;
    results_next = (results_next + 1) % WIRE_RESULTS_MAX;
  }
  conns[i] = conns[--conn_count];
}

/* Read what arrived on connection i; returns 1 when it ended. */
static int serve_conn(size_t i) {
  struct peer_conn *c = &conns[i];
  unsigned char buf[65536];
  for (;;) {
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    ssize_t k = 0;
    if (n == 0) {
      c->r.eof = 1;
      end_conn(i, 0); /* our FIN follows */
      return 1;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return 0;
      c->r.reset = 1;
      end_conn(i, 0);
      return 1;
    }
    while (!c->named && k < n) {
      if (buf[k] == '\n') {
        c->r.name[c->name_len] = '\0';
        c->named = 1;
      } else if (c->name_len + 1 < WIRE_NAME) {
        c->r.name[c->name_len++] = (char)buf[k];
      }
      k++;
    }
    for (; k < n; k++) {
      if (buf[k] != 'a' + c->r.bytes % 26)
        c->r.intact = 0;
      c->r.bytes++;
    }
  }
}

/* The far host "reboots": every connection is reset, and the link
 * swallows the resets, so the other end never hears of it. */
static int reboot_peer(void) {
  int saved = imp.cut, n = 0;
  imp.cut = 1;
  while (conn_count > 0) {
    end_conn(conn_count - 1, 1);
    n++;
  }
  read_tun(1); /* the resets, swallowed */
  imp.cut = saved;
  return n;
}

/* ---- control ---- */

struct control {
  int fd;
  size_t len;
  char line[512];
};

static struct control controls[16];
static size_t control_count;

static int set_value(const char *key, const char *value) {
  char *end;
  double v = strtod(value, &end);
  if (*end != '\0' || v < 0)
    return -1;
  if (strcmp(key, "loss") == 0 && v <= 100)
    imp.loss = v;
  else if (strcmp(key, "duplicate") == 0 && v <= 100)
    imp.duplicate = v;
  else if (strcmp(key, "corrupt") == 0 && v <= 100)
    imp.corrupt = v;
  else if (strcmp(key, "reorder") == 0 && v <= 100)
    imp.reorder = v;
  else if (strcmp(key, "delay") == 0 && v <= 60000)
    imp.delay_ms = (int)v;
  else if (strcmp(key, "jitter") == 0 && v <= 60000)
    imp.jitter_ms = (int)v;
  else
    return -1;
  return 0;
}

static void execute(const char *line, char *reply, size_t size) {
  char copy[512], *word, *save = NULL;
  snprintf(copy, sizeof copy, "%s", line);
  word = strtok_r(copy, " \t\r", &save);
  if (word == NULL) {
    snprintf(reply, size, "error empty command");
  } else if (strcmp(word, "set") == 0) {
    char *kv;
    struct impairments saved = imp;
    snprintf(reply, size, "ok");
    while ((kv = strtok_r(NULL, " \t\r", &save)) != NULL) {
      char *eq = strchr(kv, '=');
      if (eq == NULL || (*eq = '\0', set_value(kv, eq + 1) != 0)) {
        imp = saved;
        snprintf(reply, size, "error bad setting '%s'", kv);
        break;
      }
    }
  } else if (strcmp(word, "cut") == 0) {
    imp.cut = 1;
    snprintf(reply, size, "ok");
  } else if (strcmp(word, "unreach") == 0) {
    imp.unreach = 1;
    snprintf(reply, size, "ok");
  } else if (strcmp(word, "restore") == 0) {
    imp.cut = imp.unreach = 0;
    snprintf(reply, size, "ok");
  } else if (strcmp(word, "clear") == 0) {
    memset(&imp, 0, sizeof imp);
    snprintf(reply, size, "ok");
  } else if (strcmp(word, "reboot") == 0) {
    snprintf(reply, size, "ok %d", reboot_peer());
  } else if (strcmp(word, "result") == 0) {
    char *name = strtok_r(NULL, " \t\r", &save);
    struct result *r = name ? find_result(name) : NULL;
    if (r == NULL)
      snprintf(reply, size, "error unknown connection");
    else if (!r->done)
      snprintf(reply, size, "ok pending bytes=%llu", r->bytes);
    else
      snprintf(reply, size, "ok bytes=%llu eof=%d reset=%d intact=%d",
               r->bytes, r->eof, r->reset, r->intact);
  } else if (strcmp(word, "stats") == 0) {
    snprintf(reply, size,
             "ok forwarded=%llu lost=%llu cut=%llu duplicated=%llu "
             "corrupted=%llu reordered=%llu icmp=%llu overflow=%llu "
             "queued=%zu peers=%zu",
             st.forwarded, st.lost, st.cut, st.duplicated, st.corrupted,
             st.reordered, st.icmp, st.overflow, queue_len, conn_count);
  } else if (strcmp(word, "info") == 0) {
    snprintf(reply, size, "ok near=%s far=%s port=%d", WIRE_NEAR, WIRE_FAR,
             WIRE_PEER_PORT);
  } else {
    snprintf(reply, size, "error unknown command '%s'", word);
  }
}

/* Read commands from control connection i; returns 1 when it closed. */
static int serve_control(size_t i) {
  struct control *c = &controls[i];
  for (;;) {
    ssize_t n = recv(c->fd, c->line + c->len, sizeof c->line - 1 - c->len, 0);
    char *nl;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      close(c->fd);
      controls[i] = controls[--control_count];
      return 1;
    }
    if (n < 0)
      return 0;
    c->len += (size_t)n;
    c->line[c->len] = '\0';
    while ((nl = strchr(c->line, '\n')) != NULL) {
      char reply[600];
      size_t used = (size_t)(nl - c->line) + 1;
      *nl = '\0';
      execute(c->line, reply, sizeof reply - 1);
      strcat(reply, "\n");
      /* Replies are short; the control socket's buffer holds them. */
      if (send(c->fd, reply, strlen(reply), MSG_NOSIGNAL) < 0) {
        close(c->fd);
        controls[i] = controls[--control_count];
        return 1;
      }
      memmove(c->line, c->line + used, c->len - used + 1);
      c->len -= used;
    }
    if (c->len == sizeof c->line - 1) { /* a line too long: drop it */
      c->len = 0;
    }
  }
}

/* ---- setup ---- */

static int listen_tcp(const char *address, int port) {
  struct sockaddr_in sin;
  int one = 1;
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0)
    die("socket");
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, address, &sin.sin_addr);
  if (bind(s, (struct sockaddr *)&sin, sizeof sin) < 0)
    die("bind %s:%d", address, port);
  if (listen(s, 4096) < 0)
    die("listen");
  return s;
}

static int bind_udp(const char *address, int port) {
  struct sockaddr_in sin;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s < 0)
    die("socket");
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)port);
  inet_pton(AF_INET, address, &sin.sin_addr);
  if (bind(s, (struct sockaddr *)&sin, sizeof sin) < 0)
    die("bind udp");
  return s;
}

static void echo_udp(int s) {
  unsigned char buf[2048];
  int n;
  for (n = 0; n < 256; n++) {
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t len =
        recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (len < 0)
      return;
    sendto(s, buf, (size_t)len, 0, (struct sockaddr *)&from, fl);
  }
}

/* A fresh network namespace for this process, with loopback up. */
static void new_namespace(void) {
  if (unshare(CLONE_NEWNET) < 0)
    die("unshare(CLONE_NEWNET) (the wire needs root)");
  configure_interface("lo", NULL);
}

static int run(int argc, char **argv) {
  int first = 0, i, ctl_listener, peer_listener, udp, pidfd, status = 0;
  char name[IFNAMSIZ], env[64];
  struct sockaddr_in sin;
  socklen_t sl = sizeof sin;
  struct rlimit rl;
  pid_t child;
  long long seed = (long long)getpid();

  for (i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      first = i + 1;
      break;
    }
    if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
      seed = atoll(argv[++i]);
    } else if (strncmp(argv[i], "--", 2) == 0 && i + 1 < argc &&
               set_value(argv[i] + 2, argv[i + 1]) == 0) {
      i++;
    } else {
      fprintf(stderr, "sockclose-wire: bad option '%s'\n\n%s", argv[i], usage);
      return 2;
    }
  }
  if (first == 0 || first >= argc) {
    fprintf(stderr, "sockclose-wire: no command\n\n%s", usage);
    return 2;
  }
  rng_state ^= (uint64_t)seed * 0x9E3779B97F4A7C15ULL;
  if (rng_state == 0)
    rng_state = 1;

  /* The peer service holds hundreds of connections: CI's soft limit on
   * descriptors is 1024. */
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }

  /* Far side first, then near: this process stays in the near one. */
  new_namespace();
  snprintf(name, sizeof name, "skcw%db", (int)getpid() % 1000000);
  tun_fd[1] = open_tun(name);
  configure_interface(name, WIRE_FAR);
  peer_listener = listen_tcp(WIRE_FAR, WIRE_PEER_PORT);
  udp = bind_udp(WIRE_FAR, WIRE_PEER_PORT);

  new_namespace();
  snprintf(name, sizeof name, "skcw%da", (int)getpid() % 1000000);
  tun_fd[0] = open_tun(name);
  configure_interface(name, WIRE_NEAR);
  ctl_listener = listen_tcp("127.0.0.1", 0);
  if (getsockname(ctl_listener, (struct sockaddr *)&sin, &sl) < 0)
    die("getsockname");
  snprintf(env, sizeof env, "127.0.0.1:%d", ntohs(sin.sin_port));
  setenv("SKC_WIRE", env, 1);
  fprintf(stderr,
          "sockclose-wire: link %s <-> %s, control %s, seed %lld "
          "(loss %g%%, delay %d ms, jitter %d ms)\n",
          WIRE_NEAR, WIRE_FAR, env, seed, imp.loss, imp.delay_ms,
          imp.jitter_ms);

  child = fork();
  if (child < 0)
    die("fork");
  if (child == 0) {
    /* If the wire is killed (a test driver's time-out), COMMAND goes too:
     * it would otherwise live on in a namespace without a link. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(argv[first], argv + first);
    fprintf(stderr, "sockclose-wire: cannot run %s: %s\n", argv[first],
            strerror(errno));
    _exit(127);
  }
  pidfd = (int)syscall(SYS_pidfd_open, child, 0);
  if (pidfd < 0)
    die("pidfd_open");

  for (;;) {
    struct pollfd *fds;
    size_t n = 0, k, base;
    int timeout = -1;
    fds = calloc(6 + control_count + conn_count, sizeof *fds);
    if (fds == NULL)
      die("out of memory");
    fds[n].fd = pidfd, fds[n++].events = POLLIN;
    fds[n].fd = tun_fd[0], fds[n++].events = POLLIN;
    fds[n].fd = tun_fd[1], fds[n++].events = POLLIN;
    fds[n].fd = ctl_listener, fds[n++].events = POLLIN;
    fds[n].fd = peer_listener, fds[n++].events = POLLIN;
    fds[n].fd = udp, fds[n++].events = POLLIN;
    base = n;
    for (k = 0; k < control_count; k++)
      fds[n].fd = controls[k].fd, fds[n++].events = POLLIN;
    for (k = 0; k < conn_count; k++)
      fds[n].fd = conns[k].fd, fds[n++].events = POLLIN;
    if (queue_head != NULL) {
      long long wait = queue_head->due_us - now_us();
      timeout = wait <= 0 ? 0 : (int)((wait + 999) / 1000);
    }
    if (poll(fds, n, timeout) < 0 && errno != EINTR)
      die("poll");
    if (fds[0].revents) {
      free(fds);
      break;
    }
    if (fds[1].revents)
      read_tun(0);
    if (fds[2].revents)
      read_tun(1);
    if (fds[5].revents)
      echo_udp(udp);
    /* Serve the existing connections before accepting new ones: the
     * indexes of fds match the arrays until something is removed, so
     * walk them from the end. */
    for (k = conn_count; k-- > 0;)
      if (fds[base + control_count + k].revents)
        serve_conn(k);
    for (k = control_count; k-- > 0;)
      if (fds[base + k].revents)
        serve_control(k);
    if (fds[3].revents) {
      int c = accept4(ctl_listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0 && control_count < sizeof controls / sizeof controls[0]) {
        memset(&controls[control_count], 0, sizeof controls[control_count]);
        controls[control_count++].fd = c;
      } else if (c >= 0) {
        close(c);
      }
    }
    if (fds[4].revents) {
      int c, one = 1;
      while ((c = accept4(peer_listener, NULL, NULL,
                          SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        add_conn(c);
      }
    }
    free(fds);
    release_due();
  }
  if (waitpid(child, &status, 0) < 0)
    die("waitpid");
  /* Everything else (the devices, the namespaces, the peer's sockets)
   * goes away with this process. */
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

/* ---- ctl ---- */

static int ctl(int argc, char **argv) {
  const char *address = getenv("SKC_WIRE");
  char line[512] = "", reply[600];
  struct sockaddr_in sin;
  size_t len = 0;
  int s, i;
  char *colon;
  if (address == NULL || (colon = strchr(address, ':')) == NULL) {
    fprintf(stderr, "sockclose-wire: SKC_WIRE is not set (run the command "
                    "under 'sockclose-wire run')\n");
    return 2;
  }
  for (i = 0; i < argc; i++)
    snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s",
             i ? " " : "", argv[i]);
  strcat(line, "\n");
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_port = htons((uint16_t)atoi(colon + 1));
  inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
  s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof sin) < 0 ||
      send(s, line, strlen(line), MSG_NOSIGNAL) < 0)
    die("control %s", address);
  while (len + 1 < sizeof reply) {
    ssize_t n = recv(s, reply + len, sizeof reply - 1 - len, 0);
    if (n <= 0)
      break;
    len += (size_t)n;
    if (memchr(reply, '\n', len) != NULL)
      break;
  }
  reply[len] = '\0';
  close(s);
  fputs(reply, stdout);
  return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "run") == 0)
    return run(argc - 2, argv + 2);
  if (argc >= 3 && strcmp(argv[1], "ctl") == 0)
    return ctl(argc - 2, argv + 2);
  if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(usage, stdout);
    return 0;
  }
  fputs(usage, stderr);
  return 2;
}
