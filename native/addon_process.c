/* N-API glue for proc.c and sock.c: fork with uv_loop_fork in the child, pidfd watching on the event loop,
 * fork+exec, listening sockets. */
#include "addon.h"
#include "shim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

static napi_value after_fork(napi_env env, pid_t pid, int err) {
  if (pid < 0) return pf_throw_errno(env, "fork", err);
  if (pid == 0) {
    uv_loop_t *loop = NULL;
    napi_get_uv_event_loop(env, &loop);
    int rc = uv_loop_fork(loop);
    if (rc != 0) _exit(70); /* the child cannot run JS without a working loop */
  }
  return pf_int(env, pid);
}

/* doubleFork() -> 0 in the grandchild, its pid in the caller; the grandchild is re-parented to the subreaper */
static napi_value double_fork_js(napi_env env, napi_callback_info info) {
  int err = 0;
  pid_t pid = pf_double_fork(&err);
  return after_fork(env, pid, err);
}

static char **string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof *out);
  for (uint32_t i = 0; out != NULL && i < n; i++) {
    napi_value v;
    size_t len = 0;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
    out[i] = malloc(len + 1);
    if (out[i] == NULL) return NULL;
    napi_get_value_string_utf8(env, v, out[i], len + 1, &len);
  }
  return out;
}

static void free_strings(char **s) {
  for (char **p = s; p && *p; p++) free(*p);
  free(s);
}

/* spawn(file, argv[], envp[], fds[], pdeathsig, ownGroup, uid, gid) -> pid; uid and gid -1 keep the caller's */
static napi_value spawn_js(napi_env env, napi_callback_info info) {
  napi_value a[8];
  char file[4096];
  int64_t sig, uid, gid;
  bool own_group = false;
  if (!pf_args(env, info, 8, a) || !pf_arg_str(env, a[0], file, sizeof file) || !pf_arg_i64(env, a[4], &sig) ||
      !pf_arg_i64(env, a[6], &uid) || !pf_arg_i64(env, a[7], &gid)) return NULL;
  napi_get_value_bool(env, a[5], &own_group);
  char **argv = string_array(env, a[1]);
  char **envp = string_array(env, a[2]);
  int fds[256];
  uint32_t nfds = pf_arg_int_array(env, a[3], fds, 256, -1);
  napi_value result = NULL;
  if (argv == NULL || envp == NULL) {
    result = pf_throw_errno(env, "spawn", EINVAL);
  } else {
    int err = 0;
    pid_t pid = pf_spawn(file, argv, envp, fds, (int)nfds, (int)sig, own_group, (int)uid, (int)gid, &err);
    result = pid < 0 ? pf_throw_errno(env, "spawn", err) : pf_int(env, pid);
  }
  free_strings(argv);
  free_strings(envp);
  return result;
}

static napi_value set_subreaper_js(napi_env env, napi_callback_info info) {
  int rc = pf_set_subreaper();
  return rc < 0 ? pf_throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)", -rc) : pf_undefined(env);
}

static napi_value set_pdeathsig_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t sig;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &sig)) return NULL;
  int rc = pf_set_pdeathsig((int)sig);
  return rc < 0 ? pf_throw_errno(env, "prctl(PR_SET_PDEATHSIG)", -rc) : pf_undefined(env);
}

static napi_value ignore_terminal_stops_js(napi_env env, napi_callback_info info) {
  int rc = pf_ignore_terminal_stops();
  return rc < 0 ? pf_throw_errno(env, "sigaction(SIGTTOU, SIGTTIN)", -rc) : pf_undefined(env);
}

static napi_value getppid_js(napi_env env, napi_callback_info info) {
  return pf_int(env, getppid());
}

static napi_value getpid_js(napi_env env, napi_callback_info info) {
  return pf_int(env, getpid());
}

static napi_value exit_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t code = 0;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &code)) return NULL;
  pf_exit((int)code);
  return NULL;
}

/* reap(pid) -> undefined while it runs, else [code, signal] */
static napi_value reap_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t pid;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &pid)) return NULL;
  int code = -1, sig = 0;
  int r = pf_reap((pid_t)pid, &code, &sig);
  if (r < 0) return pf_throw_errno(env, "waitpid", -r);
  if (r == 0) return pf_undefined(env);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, pf_int(env, code));
  napi_set_element(env, arr, 1, pf_int(env, sig));
  return arr;
}

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  pid_t pid;
  int pidfd;
} watch_t;

static void watch_closed(uv_handle_t *h) {
  watch_t *w = h->data;
  close(w->pidfd);
  free(w);
}

static void watch_fire(uv_poll_t *h, int status, int events) {
  watch_t *w = h->data;
  int code = -1, sig = 0;
  int r = pf_reap(w->pid, &code, &sig);
  if (r == 0) return; /* readable before the zombie is visible: wait for the next wakeup */
  uv_poll_stop(&w->poll);
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, global, argv[2], result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &global);
  argv[0] = pf_int(env, code);
  argv[1] = pf_int(env, sig);
  napi_delete_reference(env, w->cb);
  uv_close((uv_handle_t *)&w->poll, watch_closed);
  if (napi_make_callback(env, NULL, global, cb, 2, argv, &result) == napi_pending_exception) {
    napi_value e;
    napi_get_and_clear_last_exception(env, &e);
    napi_fatal_exception(env, e);
  }
  napi_close_handle_scope(env, scope);
}

/* watchPid(pid, (code, signal) => void[, keepAlive = true]): pidfd + uv_poll; the callback runs once, after the pid
 * is reaped; with keepAlive false the watch does not keep the event loop alive (a successor that outlives us) */
static napi_value watch_pid_js(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int64_t pid;
  size_t argc = 3;
  bool keep_alive = true;
  if (!pf_args(env, info, 2, a) || !pf_arg_i64(env, a[0], &pid)) return NULL;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc >= 3) napi_get_value_bool(env, a[2], &keep_alive);
  int fd = pf_pidfd_open((pid_t)pid);
  if (fd < 0) return pf_throw_errno(env, "pidfd_open", -fd);
  uv_loop_t *loop = NULL;
  napi_get_uv_event_loop(env, &loop);
  watch_t *w = calloc(1, sizeof *w);
  if (w == NULL) {
    close(fd);
    return pf_throw_errno(env, "calloc", ENOMEM);
  }
  w->env = env;
  w->pid = (pid_t)pid;
  w->pidfd = fd;
  w->poll.data = w;
  int rc = uv_poll_init(loop, &w->poll, fd);
  if (rc != 0) {
    close(fd);
    free(w);
    return pf_throw_errno(env, "uv_poll_init", -rc);
  }
  napi_create_reference(env, a[1], 1, &w->cb);
  uv_poll_start(&w->poll, UV_READABLE, watch_fire);
  if (!keep_alive) uv_unref((uv_handle_t *)&w->poll);
  return pf_undefined(env);
}

/* listenTcp(host, port, backlog[, reusePort]) -> [fd, boundPort] */
static napi_value listen_tcp_js(napi_env env, napi_callback_info info) {
  napi_value a[4];
  char host[256];
  int64_t port, backlog;
  size_t argc = 4;
  bool reuse_port = false;
  if (!pf_args(env, info, 3, a) || !pf_arg_str(env, a[0], host, sizeof host) || !pf_arg_i64(env, a[1], &port) ||
      !pf_arg_i64(env, a[2], &backlog)) return NULL;
  napi_get_cb_info(env, info, &argc, a, NULL, NULL);
  if (argc >= 4) napi_get_value_bool(env, a[3], &reuse_port);
  int bound = 0;
  int fd = pf_listen_tcp(host, (int)port, (int)backlog, reuse_port, &bound);
  if (fd < 0) return pf_throw_errno(env, "listen", -fd);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, pf_int(env, fd));
  napi_set_element(env, arr, 1, pf_int(env, bound));
  return arr;
}

/* listenUnix(path, backlog) -> fd */
static napi_value listen_unix_js(napi_env env, napi_callback_info info) {
  napi_value a[2];
  char path[256];
  int64_t backlog;
  if (!pf_args(env, info, 2, a) || !pf_arg_str(env, a[0], path, sizeof path) || !pf_arg_i64(env, a[1], &backlog)) return NULL;
  int fd = pf_listen_unix(path, (int)backlog);
  return fd < 0 ? pf_throw_errno(env, "listen", -fd) : pf_int(env, fd);
}

/* peerCred(fd) -> [pid, uid, gid] of a connected unix socket's peer */
static napi_value peer_cred_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t fd;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &fd)) return NULL;
  int pid = 0, uid = 0, gid = 0;
  int rc = pf_peer_cred((int)fd, &pid, &uid, &gid);
  if (rc < 0) return pf_throw_errno(env, "getsockopt(SO_PEERCRED)", -rc);
  napi_value arr;
  napi_create_array_with_length(env, 3, &arr);
  napi_set_element(env, arr, 0, pf_int(env, pid));
  napi_set_element(env, arr, 1, pf_int(env, uid));
  napi_set_element(env, arr, 2, pf_int(env, gid));
  return arr;
}

/* pipe() -> [readFd, writeFd], both close-on-exec */
static napi_value pipe_js(napi_env env, napi_callback_info info) {
  int fds[2];
  int rc = pf_pipe(fds);
  if (rc < 0) return pf_throw_errno(env, "pipe2", -rc);
  napi_value arr;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, pf_int(env, fds[0]));
  napi_set_element(env, arr, 1, pf_int(env, fds[1]));
  return arr;
}

/* reapOrphans(knownPids[]) -> number reaped. Every known pid counts (a cut-off list would reap a worker whose
 * status its pidfd watcher is waiting for). */
static napi_value reap_orphans_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!pf_args(env, info, 1, a)) return NULL;
  uint32_t len = 0;
  napi_get_array_length(env, a[0], &len);
  int *known = malloc((len ? len : 1) * sizeof(int));
  if (known == NULL) return pf_throw_errno(env, "reapOrphans", ENOMEM);
  uint32_t n = pf_arg_int_array(env, a[0], known, len, 0);
  int reaped = pf_reap_orphans(known, (int)n);
  free(known);
  return pf_int(env, reaped);
}

/* sdNotify(path, message) -> undefined; throws with the errno when the datagram cannot be sent */
static napi_value sd_notify_js(napi_env env, napi_callback_info info) {
  napi_value a[2];
  char path[128];
  if (!pf_args(env, info, 2, a) || !pf_arg_str(env, a[0], path, sizeof path)) return NULL;
  size_t len = 0;
  if (napi_get_value_string_utf8(env, a[1], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected a string");
    return NULL;
  }
  char *msg = malloc(len + 1);
  if (msg == NULL) return pf_throw_errno(env, "sd_notify", ENOMEM);
  napi_get_value_string_utf8(env, a[1], msg, len + 1, &len);
  int rc = pf_sd_notify(path, msg, len);
  free(msg);
  return rc < 0 ? pf_throw_errno(env, "sendto(NOTIFY_SOCKET)", -rc) : pf_undefined(env);
}

/* socketInfo(fd) -> [label, stream, listening] of a passed socket, which it marks close-on-exec */
static napi_value socket_info_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t fd;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &fd)) return NULL;
  char label[256];
  int stream = 0, listening = 0;
  int rc = pf_socket_info((int)fd, label, sizeof label, &stream, &listening);
  if (rc < 0) return pf_throw_errno(env, "socket", -rc);
  napi_value arr, s, st, li;
  napi_create_array_with_length(env, 3, &arr);
  napi_create_string_utf8(env, label, NAPI_AUTO_LENGTH, &s);
  napi_get_boolean(env, stream, &st);
  napi_get_boolean(env, listening, &li);
  napi_set_element(env, arr, 0, s);
  napi_set_element(env, arr, 1, st);
  napi_set_element(env, arr, 2, li);
  return arr;
}

/* setCloexec(fd) -> undefined */
static napi_value set_cloexec_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t fd;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &fd)) return NULL;
  int rc = pf_set_cloexec((int)fd);
  return rc < 0 ? pf_throw_errno(env, "fcntl(FD_CLOEXEC)", -rc) : pf_undefined(env);
}

/* trimMalloc() -> whether malloc gave memory back to the kernel */
static napi_value trim_malloc_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value b;
  napi_get_boolean(env, pf_trim_malloc() != 0, &b);
  return b;
}

/* lowMemory() -> whether V8's low-memory collection ran */
static napi_value low_memory_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value b;
  napi_get_boolean(env, pf_v8_low_memory() != 0, &b);
  return b;
}

/* fillRandom(u8) fills the Uint8Array from the kernel's CSPRNG */
static napi_value fill_random_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  void *data;
  size_t length;
  if (!pf_args(env, info, 1, a) || !pf_arg_bytes(env, a[0], &data, &length)) return NULL;
  int rc = pf_getrandom(data, length);
  return rc < 0 ? pf_throw_errno(env, "getrandom", -rc) : pf_undefined(env);
}

void pf_register_process(napi_env env, napi_value exports) {
  pf_export(env, exports, "doubleFork", double_fork_js);
  pf_export(env, exports, "trimMalloc", trim_malloc_js);
  pf_export(env, exports, "lowMemory", low_memory_js);
  pf_export(env, exports, "fillRandom", fill_random_js);
  pf_export(env, exports, "spawn", spawn_js);
  pf_export(env, exports, "setSubreaper", set_subreaper_js);
  pf_export(env, exports, "setPdeathsig", set_pdeathsig_js);
  pf_export(env, exports, "ignoreTerminalStops", ignore_terminal_stops_js);
  pf_export(env, exports, "getppid", getppid_js);
  pf_export(env, exports, "getpid", getpid_js);
  pf_export(env, exports, "exit", exit_js);
  pf_export(env, exports, "reap", reap_js);
  pf_export(env, exports, "watchPid", watch_pid_js);
  pf_export(env, exports, "listenTcp", listen_tcp_js);
  pf_export(env, exports, "listenUnix", listen_unix_js);
  pf_export(env, exports, "pipe", pipe_js);
  pf_export(env, exports, "peerCred", peer_cred_js);
  pf_export(env, exports, "sdNotify", sd_notify_js);
  pf_export(env, exports, "socketInfo", socket_info_js);
  pf_export(env, exports, "setCloexec", set_cloexec_js);
  pf_export(env, exports, "reapOrphans", reap_orphans_js);
}
