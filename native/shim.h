/* prefork's native shim: plain C functions that each do one syscall-level job and return -errno on failure.
 * N-API glue lives in addon*.c; meaning, defaults and messages live in TypeScript. */
#ifndef PREFORK_SHIM_H
#define PREFORK_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* memfd.c: sealed shared memory for datasets */
int pf_memfd_create(const char *name, uint64_t size);
int pf_fill_from_fd(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len, int swap, int huge);
int pf_fill_from_buf(int dst, uint64_t dst_off, const void *buf, uint64_t len, int swap, int huge);
int pf_seal(int fd);
int pf_get_seals(int fd);
void *pf_map(int fd, uint64_t len, int writable, int *err);
int pf_unmap(void *addr, uint64_t len);
int pf_populate(void *addr, uint64_t len);

/* proc.c: forking Node safely, reaping, parent death */
int pf_dofork_sweep(void);
pid_t pf_double_fork(int *err);
int pf_trim_malloc(void);
int pf_v8_low_memory(void);
int pf_getrandom(void *buf, size_t len);
/* uid, gid: the child's credentials (-1: the caller's); setting gid also drops supplementary groups */
pid_t pf_spawn(const char *file, char *const argv[], char *const envp[], const int *fds, int nfds, int pdeathsig, int own_group, int uid, int gid, int *err);
int pf_set_subreaper(void);
int pf_set_pdeathsig(int sig);
int pf_ignore_terminal_stops(void);
int pf_pidfd_open(pid_t pid);
int pf_reap(pid_t pid, int *code, int *sig);
int pf_pipe(int fds[2]);
int pf_reap_orphans(const int *known, int n);
void pf_exit(int code);

/* sock.c: listening sockets that no event loop owns */
int pf_listen_tcp(const char *host, int port, int backlog, int reuse_port, int *bound_port);
int pf_listen_unix(const char *path, int backlog);
int pf_peer_cred(int fd, int *pid, int *uid, int *gid);
int pf_sd_notify(const char *path, const char *msg, size_t len);
int pf_socket_info(int fd, char *label, size_t cap, int *stream, int *listening);
int pf_set_cloexec(int fd);

#endif
