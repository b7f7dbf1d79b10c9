/* Module entry and the argument/error helpers every glue file shares. */
#include "addon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

napi_value pf_throw_errno(napi_env env, const char *syscall, int err) {
  const char *name = strerrorname_np(err);
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", syscall, strerror(err));
  napi_value code, message, error, num, sc;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

void pf_throw_napi(napi_env env, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[512];
  snprintf(msg, sizeof msg, "%s failed: %s", what, info && info->error_message ? info->error_message : "unknown");
  napi_throw_error(env, info && info->error_code == napi_no_external_buffers_allowed ? "ENOEXTERNAL" : "ENAPI", msg);
}

int pf_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    napi_throw_type_error(env, "EINVAL", "missing arguments");
    return 0;
  }
  return 1;
}

int pf_arg_i64(napi_env env, napi_value v, int64_t *out) {
  if (napi_get_value_int64(env, v, out) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected a number");
    return 0;
  }
  return 1;
}

int pf_arg_str(napi_env env, napi_value v, char *buf, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "expected a string");
    return 0;
  }
  if (len + 1 >= cap) {
    napi_throw_range_error(env, "ENAMETOOLONG", "string argument too long");
    return 0;
  }
  return 1;
}

int pf_arg_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t byte_offset;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, data, &ab, &byte_offset) != napi_ok || type != napi_uint8_array) {
    napi_throw_type_error(env, "EINVAL", "expected a Uint8Array");
    return 0;
  }
  return 1;
}

uint32_t pf_arg_int_array(napi_env env, napi_value arr, int *out, uint32_t cap, int missing) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  if (n > cap) n = cap;
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    int32_t x = missing;
    napi_get_element(env, arr, i, &v);
    if (napi_get_value_int32(env, v, &x) != napi_ok) x = missing;
    out[i] = x;
  }
  return n;
}

napi_value pf_int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

napi_value pf_undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

void pf_export(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
}

static napi_value init(napi_env env, napi_value exports) {
  pf_register_dataset(env, exports);
  pf_register_process(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
