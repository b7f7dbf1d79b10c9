/* Sealed memfds: create, fill through a (optionally huge-page) writable mapping, seal, map read-only.
 * The writable mapping never reaches JavaScript, so no ArrayBuffer is ever detached (docs/ARCHITECTURE.md, "Dataset memory"). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

int pf_memfd_create(const char *name, uint64_t size) {
  int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -errno;
  if (ftruncate(fd, (off_t)size) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

static void swap_elements(unsigned char *p, uint64_t len, int size) {
  uint64_t n = len / (uint64_t)size;
  if (size == 2) {
    uint16_t *q = (uint16_t *)(void *)p;
    for (uint64_t i = 0; i < n; i++) q[i] = __builtin_bswap16(q[i]);
  } else if (size == 4) {
    uint32_t *q = (uint32_t *)(void *)p;
    for (uint64_t i = 0; i < n; i++) q[i] = __builtin_bswap32(q[i]);
  } else if (size == 8) {
    uint64_t *q = (uint64_t *)(void *)p;
    for (uint64_t i = 0; i < n; i++) q[i] = __builtin_bswap64(q[i]);
  }
}

/* Maps [off, off+len) of fd writable; *base and *base_len describe the page-aligned mapping to unmap later. */
static unsigned char *map_window(int fd, uint64_t off, uint64_t len, int huge, void **base, size_t *base_len) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  uint64_t start = off & ~(page - 1);
  size_t maplen = (size_t)(off - start + len);
  void *m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)start);
  if (m == MAP_FAILED) return NULL;
  if (huge) madvise(m, maplen, MADV_HUGEPAGE); /* advisory: ignored where shmem THP is off */
  *base = m;
  *base_len = maplen;
  return (unsigned char *)m + (off - start);
}

/* sendfile() copies page cache to shmem inside the kernel, without faulting a mapping page by page: about 1.6x the
 * pread-into-mmap path here. It cannot swap bytes or choose huge pages, so those cases take the mapping path. */
static int copy_with_sendfile(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len) {
  if (lseek(dst, (off_t)dst_off, SEEK_SET) < 0) return -errno;
  off_t in = (off_t)src_off;
  uint64_t done = 0;
  while (done < len) {
    ssize_t n = sendfile(dst, src, &in, (size_t)(len - done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (n == 0) return -ENODATA; /* the file shrank under us */
    done += (uint64_t)n;
  }
  return 0;
}

int pf_fill_from_fd(int dst, uint64_t dst_off, int src, uint64_t src_off, uint64_t len, int swap, int huge) {
  if (len == 0) return 0;
  if (!huge && swap <= 1) {
    int rc = copy_with_sendfile(dst, dst_off, src, src_off, len);
    if (rc != -EINVAL && rc != -ENOSYS) return rc;
  }
  void *base;
  size_t base_len;
  unsigned char *p = map_window(dst, dst_off, len, huge, &base, &base_len);
  if (p == NULL) return -errno;
  uint64_t done = 0;
  int rc = 0;
  while (done < len) {
    ssize_t n = pread(src, p + done, (size_t)(len - done), (off_t)(src_off + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      break;
    }
    if (n == 0) {
      rc = -ENODATA; /* the file shrank under us */
      break;
    }
    done += (uint64_t)n;
  }
  if (rc == 0 && swap > 1) swap_elements(p, len, swap);
  munmap(base, base_len);
  return rc;
}

int pf_fill_from_buf(int dst, uint64_t dst_off, const void *buf, uint64_t len, int swap, int huge) {
  if (len == 0) return 0;
  void *base;
  size_t base_len;
  unsigned char *p = map_window(dst, dst_off, len, huge, &base, &base_len);
  if (p == NULL) return -errno;
  memcpy(p, buf, (size_t)len);
  if (swap > 1) swap_elements(p, len, swap);
  munmap(base, base_len);
  return 0;
}

int pf_seal(int fd) {
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) return -errno;
  return 0;
}

int pf_get_seals(int fd) {
  int s = fcntl(fd, F_GET_SEALS);
  return s < 0 ? -errno : s;
}

void *pf_map(int fd, uint64_t len, int writable, int *err) {
  void *m = mmap(NULL, (size_t)len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    *err = errno;
    return NULL;
  }
  return m;
}

int pf_unmap(void *addr, uint64_t len) {
  return munmap(addr, (size_t)len) == 0 ? 0 : -errno;
}

int pf_populate(void *addr, uint64_t len) {
  if (len == 0) return 0;
  return madvise(addr, (size_t)len, MADV_POPULATE_READ) == 0 ? 0 : -errno;
}
