/* N-API glue for memfd.c: converts arguments, throws errno names, wraps read-only mappings as external buffers. */
#include "addon.h"
#include "shim.h"

#include <errno.h>
#include <stdlib.h>

/* memfdCreate(name, size) -> fd */
static napi_value memfd_create_js(napi_env env, napi_callback_info info) {
  napi_value a[2];
  char name[250];
  int64_t size;
  if (!pf_args(env, info, 2, a) || !pf_arg_str(env, a[0], name, sizeof name) || !pf_arg_i64(env, a[1], &size)) return NULL;
  int fd = pf_memfd_create(name, (uint64_t)size);
  return fd < 0 ? pf_throw_errno(env, "memfd_create", -fd) : pf_int(env, fd);
}

/* fillFromFd(dst, dstOff, src, srcOff, len, swapSize, huge) */
static napi_value fill_from_fd_js(napi_env env, napi_callback_info info) {
  napi_value a[7];
  int64_t v[7];
  if (!pf_args(env, info, 7, a)) return NULL;
  for (int i = 0; i < 7; i++) if (!pf_arg_i64(env, a[i], &v[i])) return NULL;
  int rc = pf_fill_from_fd((int)v[0], (uint64_t)v[1], (int)v[2], (uint64_t)v[3], (uint64_t)v[4], (int)v[5], (int)v[6]);
  return rc < 0 ? pf_throw_errno(env, "fill", -rc) : pf_undefined(env);
}

/* fillFromBuffer(dst, dstOff, bytes: Uint8Array, swapSize, huge) */
static napi_value fill_from_buf_js(napi_env env, napi_callback_info info) {
  napi_value a[5];
  int64_t dst, off, swap, huge;
  if (!pf_args(env, info, 5, a) || !pf_arg_i64(env, a[0], &dst) || !pf_arg_i64(env, a[1], &off) ||
      !pf_arg_i64(env, a[3], &swap) || !pf_arg_i64(env, a[4], &huge)) return NULL;
  void *data;
  size_t length;
  if (!pf_arg_bytes(env, a[2], &data, &length)) return NULL;
  int rc = pf_fill_from_buf((int)dst, (uint64_t)off, data, length, (int)swap, (int)huge);
  return rc < 0 ? pf_throw_errno(env, "fill", -rc) : pf_undefined(env);
}

static napi_value seal_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t fd;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &fd)) return NULL;
  int rc = pf_seal((int)fd);
  return rc < 0 ? pf_throw_errno(env, "fcntl(F_ADD_SEALS)", -rc) : pf_undefined(env);
}

static napi_value get_seals_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  int64_t fd;
  if (!pf_args(env, info, 1, a) || !pf_arg_i64(env, a[0], &fd)) return NULL;
  int rc = pf_get_seals((int)fd);
  return rc < 0 ? pf_throw_errno(env, "fcntl(F_GET_SEALS)", -rc) : pf_int(env, rc);
}

typedef struct {
  uint64_t len;
} mapping_t;

static void unmap_finalize(napi_env env, void *data, void *hint) {
  mapping_t *m = hint;
  pf_unmap(data, m->len);
  free(m);
}

/* map(fd, len, writable) -> ArrayBuffer over a MAP_SHARED mapping; unmapped when the buffer is collected. */
static napi_value map_js(napi_env env, napi_callback_info info) {
  napi_value a[3];
  int64_t fd, len;
  bool writable = false;
  if (!pf_args(env, info, 3, a) || !pf_arg_i64(env, a[0], &fd) || !pf_arg_i64(env, a[1], &len)) return NULL;
  napi_get_value_bool(env, a[2], &writable);
  int err = 0;
  void *addr = pf_map((int)fd, (uint64_t)len, writable, &err);
  if (addr == NULL) return pf_throw_errno(env, "mmap", err);
  mapping_t *m = malloc(sizeof *m);
  if (m == NULL) {
    pf_unmap(addr, (uint64_t)len);
    return pf_throw_errno(env, "malloc", ENOMEM);
  }
  m->len = (uint64_t)len;
  napi_value ab;
  napi_status st = napi_create_external_arraybuffer(env, addr, (size_t)len, unmap_finalize, m, &ab);
  if (st != napi_ok) {
    pf_unmap(addr, (uint64_t)len);
    free(m);
    pf_throw_napi(env, "napi_create_external_arraybuffer");
    return NULL;
  }
  return ab;
}

/* populate(arrayBuffer) -> MADV_POPULATE_READ over the whole mapping */
static napi_value populate_js(napi_env env, napi_callback_info info) {
  napi_value a[1];
  if (!pf_args(env, info, 1, a)) return NULL;
  void *data;
  size_t len;
  PF_CALL(env, napi_get_arraybuffer_info(env, a[0], &data, &len));
  int rc = pf_populate(data, len);
  return rc < 0 ? pf_throw_errno(env, "madvise(MADV_POPULATE_READ)", -rc) : pf_undefined(env);
}

void pf_register_dataset(napi_env env, napi_value exports) {
  pf_export(env, exports, "memfdCreate", memfd_create_js);
  pf_export(env, exports, "fillFromFd", fill_from_fd_js);
  pf_export(env, exports, "fillFromBuffer", fill_from_buf_js);
  pf_export(env, exports, "seal", seal_js);
  pf_export(env, exports, "getSeals", get_seals_js);
  pf_export(env, exports, "map", map_js);
  pf_export(env, exports, "populate", populate_js);
}
