/* Listening sockets created outside any event loop, so only the processes that call listen({ fd }) accept. */
#include "shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>
#include <unistd.h>

int pf_listen_tcp(const char *host, int port, int backlog, int reuse_port, int *bound_port) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  int gai = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res);
  if (gai != 0) return gai == EAI_SYSTEM ? -errno : -EADDRNOTAVAIL;
  int e = EADDRNOTAVAIL;
  int fd = -1;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) { e = errno; continue; }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* reuse_port: each worker binds its own socket on the port and the kernel spreads connections over them */
    if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
    e = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return -e;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
    *bound_port = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
  }
  return fd;
}

int pf_listen_unix(const char *path, int backlog) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa.sun_path) return -ENAMETOOLONG;
  strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

/* The credentials the kernel recorded for the peer of a connected unix socket (SO_PEERCRED). */
int pf_peer_cred(int fd, int *pid, int *uid, int *gid) {
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -errno;
  *pid = (int)cred.pid;
  *uid = (int)cred.uid;
  *gid = (int)cred.gid;
  return 0;
}

/* One datagram to the service manager's notification socket (sd_notify(3)'s protocol, without libsystemd): `path`
 * is a filesystem path or, starting with '@', an abstract name. */
int pf_sd_notify(const char *path, const char *msg, size_t len) {
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t plen = strlen(path);
  if (plen == 0 || plen >= sizeof sa.sun_path) return -EINVAL;
  memcpy(sa.sun_path, path, plen);
  if (path[0] == '@') sa.sun_path[0] = '\0';
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  ssize_t n = sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  int e = n < 0 ? errno : 0;
  close(fd);
  return n < 0 ? -e : 0;
}

/* What a socket passed by the service manager is (socket activation): marks it close-on-exec (children get it only
 * through an explicit fd table), then writes its local address as text (`127.0.0.1:8000`, `[::1]:8000`,
 * `unix:/run/x.sock`, `unix:@name`) into `label`. `*stream` is 1 for SOCK_STREAM, `*listening` 1 if listen() was
 * called on it. Returns 0, or -errno (ENOTSOCK for an fd that is not a socket). */
int pf_socket_info(int fd, char *label, size_t cap, int *stream, int *listening) {
  int rc = pf_set_cloexec(fd);
  if (rc < 0) return rc;
  int type = 0, acc = 0;
  socklen_t olen = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) != 0) return -errno;
  olen = sizeof acc;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &olen) != 0) acc = 0;
  *stream = type == SOCK_STREAM;
  *listening = acc != 0;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) return -errno;
  char host[INET6_ADDRSTRLEN];
  if (ss.ss_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    snprintf(label, cap, "%s:%d", host, ntohs(in->sin_port));
  } else if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    snprintf(label, cap, "[%s]:%d", host, ntohs(in6->sin6_port));
  } else if (ss.ss_family == AF_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *)&ss;
    size_t n = len > offsetof(struct sockaddr_un, sun_path) ? len - offsetof(struct sockaddr_un, sun_path) : 0;
    if (n > 0 && un->sun_path[0] == '\0') snprintf(label, cap, "unix:@%.*s", (int)(n - 1), un->sun_path + 1);
    else snprintf(label, cap, "unix:%.*s", (int)strnlen(un->sun_path, n), un->sun_path);
  } else {
    snprintf(label, cap, "family %d", ss.ss_family);
  }
  return 0;
}

/* Marks an inherited fd close-on-exec: the process keeps it, a program it execs does not get it. */
int pf_set_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0) return -errno;
  return 0;
}
