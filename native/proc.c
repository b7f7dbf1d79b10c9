/* Forking Node safely (docs/ARCHITECTURE.md, "Forking Node"): re-arm V8's MADV_DONTFORK areas, fork, double fork so workers are
 * re-parented to the subreaper supervisor, fork+exec with PDEATHSIG for exec mode, reap through pidfds, _exit. */
#include "shim.h"

#include <errno.h>
#include <grp.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Re-arms MADV_DOFORK on every private anonymous area listed in /proc/self/maps. V8 marks its heap DONTFORK; the
 * sweep reads the short maps file (not smaps) and skips file mappings, so its cost does not grow with datasets. */
int pf_dofork_sweep(void) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  static char buf[1 << 16];
  char line[512];
  size_t used = 0;
  int count = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++) {
      char c = buf[i];
      if (c != '\n') {
        if (used < sizeof line - 1) line[used++] = c;
        continue;
      }
      line[used] = '\0';
      used = 0;
      unsigned long start, end, inode;
      char perms[5];
      int path_at = 0;
      if (sscanf(line, "%lx-%lx %4s %*s %*s %lu %n", &start, &end, perms, &inode, &path_at) < 4) continue;
      if (perms[3] != 'p' || inode != 0) continue;
      const char *path = line + path_at;
      if (path[0] != '\0' && strcmp(path, "[heap]") != 0 && strncmp(path, "[anon", 5) != 0) continue;
      if (madvise((void *)start, end - start, MADV_DOFORK) == 0) count++;
    }
  }
  close(fd);
  return count;
}

/* Returns the free memory of malloc's heap to the kernel (glibc's malloc_trim(0), which also drops whole free pages
 * in the middle of the heap): a zygote calls it just before it forks, so no child inherits a resident page that holds
 * nothing. Returns 1 if memory was released, 0 if not (or not glibc). */
int pf_trim_malloc(void) {
#ifdef __GLIBC__
  return malloc_trim(0);
#else
  return 0;
#endif
}

/* V8's C++ entry points for the low-memory collection, by their Itanium-mangled names: the node binary exports them
 * (as it exports libuv's), and a non-virtual member function takes `this` as its first argument. Weak, so that a
 * runtime without them loads the shim with both NULL (no dlsym, hence no libdl and no newer glibc symbol version). */
extern void *_ZN2v87Isolate10GetCurrentEv(void) __attribute__((weak));
extern void _ZN2v87Isolate21LowMemoryNotificationEv(void *isolate) __attribute__((weak));

/* Asks V8 for its low-memory collection (v8::Isolate::LowMemoryNotification: full collections until nothing more is
 * freed, with the memory-reducing flag that also shrinks the young generation and gives its spare pages back).
 * Node's JS has no way to ask for it on V8 11, whose gc() knows no 'last-resort' flavour. Call it only on the JS
 * thread. Returns 1 if it ran, 0 where the runtime does not export the entry points. */
int pf_v8_low_memory(void) {
  if (_ZN2v87Isolate10GetCurrentEv == NULL || _ZN2v87Isolate21LowMemoryNotificationEv == NULL) return 0;
  void *isolate = _ZN2v87Isolate10GetCurrentEv();
  if (isolate == NULL) return 0;
  _ZN2v87Isolate21LowMemoryNotificationEv(isolate);
  return 1;
}

/* Fills buf with len bytes from the kernel's CSPRNG (getrandom(2), blocking only until it is seeded once at boot).
 * A forked worker seeds Math.random with it: cheaper after fork than OpenSSL, whose generator reseeds itself (and
 * writes its state) on the first use in each child. Returns 0 or -errno. */
int pf_getrandom(void *buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    long n = syscall(SYS_getrandom, (char *)buf + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    done += (size_t)n;
  }
  return 0;
}

/* Forks twice: returns 0 in the grandchild, the grandchild's pid in the caller (the middle process exits at once). */
pid_t pf_double_fork(int *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    *err = errno;
    return -1;
  }
  pf_dofork_sweep();
  pid_t mid = fork();
  if (mid < 0) {
    *err = errno;
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (mid == 0) {
    pid_t child = fork();
    if (child == 0) {
      close(p[0]);
      close(p[1]);
      return 0;
    }
    int32_t msg = child < 0 ? -errno : (int32_t)child;
    ssize_t w = write(p[1], &msg, sizeof msg);
    (void)w;
    _exit(0);
  }
  close(p[1]);
  int32_t msg = -EPIPE;
  ssize_t r;
  do r = read(p[0], &msg, sizeof msg); while (r < 0 && errno == EINTR);
  close(p[0]);
  while (waitpid(mid, NULL, 0) < 0 && errno == EINTR) {}
  if (r != (ssize_t)sizeof msg || msg < 0) {
    *err = r == (ssize_t)sizeof msg ? -msg : EPIPE;
    return -1;
  }
  return (pid_t)msg;
}

/* fork + exec with fds[i] placed at fd i (-1: closed), PDEATHSIG armed before exec, optionally in a process group of its
 * own (same session, so the same scheduler autogroup as the caller; docs/ARCHITECTURE.md, "Processes"). Returns the child's pid, or
 * -1 with *err set (including the exec's own errno, passed back through a close-on-exec pipe). */
pid_t pf_spawn(const char *file, char *const argv[], char *const envp[], const int *fds, int nfds, int pdeathsig, int own_group, int uid, int gid, int *err) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    *err = errno;
    return -1;
  }
  pid_t parent = getpid();
  /* no signal handler of this process may run in the child before exec (libuv's would write to our signal pipe) */
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  pid_t pid = fork();
  if (pid < 0) {
    *err = errno;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    close(p[0]);
    close(p[1]);
    return -1;
  }
  if (pid == 0) {
    int e = 0;
    /* keep the error pipe out of the range the fd table is placed in */
    int errfd = fcntl(p[1], F_DUPFD_CLOEXEC, nfds + 3);
    if (errfd >= 0) {
      close(p[1]);
      p[1] = errfd;
    }
    /* move every source above the targets first, so a dup2 never clobbers a source not yet placed */
    int high[256];
    if (nfds > 256) nfds = 256;
    for (int i = 0; i < nfds; i++) {
      high[i] = fds[i] < 0 ? -1 : fcntl(fds[i], F_DUPFD_CLOEXEC, nfds + 3);
      if (fds[i] >= 0 && high[i] < 0) { e = errno; goto fail; }
    }
    for (int i = 0; i < nfds; i++) {
      if (high[i] < 0) {
        close(i);
        continue;
      }
      if (dup2(high[i], i) < 0) { e = errno; goto fail; }
    }
    if (own_group && setpgid(0, 0) < 0) { e = errno; goto fail; }
    /* drop privileges (--user/--group): supplementary groups first, then the group, then the user; a changed
     * uid clears the parent-death signal, so it is armed after this */
    if (gid >= 0 && (setgroups(0, NULL) != 0 || setgid((gid_t)gid) != 0)) { e = errno; goto fail; }
    if (uid >= 0 && setuid((uid_t)uid) != 0) { e = errno; goto fail; }
    if (pdeathsig > 0) {
      if (prctl(PR_SET_PDEATHSIG, pdeathsig) != 0) { e = errno; goto fail; }
      if (getppid() != parent) _exit(128 + pdeathsig);
    }
    for (int s = 1; s < 32; s++) if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(file, argv, envp);
    e = errno;
  fail: {
      ssize_t w = write(p[1], &e, sizeof e);
      (void)w;
      _exit(127);
    }
  }
  pthread_sigmask(SIG_SETMASK, &saved, NULL);
  close(p[1]);
  int e = 0;
  ssize_t r;
  do r = read(p[0], &e, sizeof e); while (r < 0 && errno == EINTR);
  close(p[0]);
  if (r == (ssize_t)sizeof e) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    *err = e;
    return -1;
  }
  return pid;
}

int pf_set_subreaper(void) {
  return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -errno;
}

int pf_set_pdeathsig(int sig) {
  return prctl(PR_SET_PDEATHSIG, sig) == 0 ? 0 : -errno;
}

/* A process group that is not the terminal's foreground one is stopped by SIGTTOU when it writes to a terminal set to
 * `tostop` (and by SIGTTIN when it reads): ignored, a write goes through and a read fails with EIO. Node resets signal
 * dispositions at start-up, so this runs in the new process, not before its exec. */
int pf_ignore_terminal_stops(void) {
  struct sigaction ign;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  return sigaction(SIGTTOU, &ign, NULL) == 0 && sigaction(SIGTTIN, &ign, NULL) == 0 ? 0 : -errno;
}

int pf_pidfd_open(pid_t pid) {
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  return fd < 0 ? -errno : fd;
}

/* Collects `pid` if it has ended: 1 with *code or *sig set, 0 if it still runs, -errno on error. */
int pf_reap(pid_t pid, int *code, int *sig) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, WNOHANG); while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (r == 0) return 0;
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return 1;
}

/* As a subreaper, collects zombies nobody watches (an app's orphaned grandchildren). It peeks with WNOWAIT and stops
 * at the first zombie in `known` (its pidfd watcher collects it with its status). Returns how many it reaped. */
int pf_reap_orphans(const int *known, int n) {
  int reaped = 0;
  for (;;) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
    for (int i = 0; i < n; i++) {
      if (known[i] == info.si_pid) return reaped;
    }
    /* A child in our own process group is one the supervisor's runtime spawned itself (child_process, an upgrade's
     * successor): libuv or a pidfd waits for it. Orphans of the app come from the zygotes' and exec workers' groups
     * (or sessions of their own). */
    if (getpgid(info.si_pid) == getpgrp()) return reaped;
    if (waitpid(info.si_pid, NULL, WNOHANG) <= 0) break;
    reaped++;
  }
  return reaped;
}

int pf_pipe(int fds[2]) {
  return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

void pf_exit(int code) {
  _exit(code);
}
