{
  "targets": [
    {
      "target_name": "prefork",
      "sources": ["native/memfd.c", "native/proc.c", "native/sock.c", "native/addon.c", "native/addon_dataset.c", "native/addon_process.c"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags_c": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
