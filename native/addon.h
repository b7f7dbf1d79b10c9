/* Shared N-API glue helpers: argument conversion and errno-named errors. No decisions are made here. */
#ifndef PREFORK_ADDON_H
#define PREFORK_ADDON_H

#include <node_api.h>
#include <stdint.h>

#define PF_CALL(env, call)                                      \
  do {                                                          \
    if ((call) != napi_ok) {                                    \
      pf_throw_napi(env, #call);                                \
      return NULL;                                              \
    }                                                           \
  } while (0)

napi_value pf_throw_errno(napi_env env, const char *syscall, int err);
void pf_throw_napi(napi_env env, const char *what);
int pf_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv);
int pf_arg_i64(napi_env env, napi_value v, int64_t *out);
int pf_arg_str(napi_env env, napi_value v, char *buf, size_t cap);
/* A Uint8Array's bytes (a TypeError for anything else). */
int pf_arg_bytes(napi_env env, napi_value v, void **data, size_t *len);
/* Copies up to `cap` int32 elements of a JS array into `out` (non-numbers become `missing`); returns the count. */
uint32_t pf_arg_int_array(napi_env env, napi_value arr, int *out, uint32_t cap, int missing);
napi_value pf_int(napi_env env, int64_t v);
napi_value pf_undefined(napi_env env);
void pf_export(napi_env env, napi_value exports, const char *name, napi_callback fn);

void pf_register_dataset(napi_env env, napi_value exports);
void pf_register_process(napi_env env, napi_value exports);

#endif
