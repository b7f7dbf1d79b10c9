/*
 * bench/seed.js's C reference row: one worker of the "c" row, the floor of the seed's summing kernel on this CPU.
 *
 *   seed-floor FILE BYTES LO HI
 *
 * Maps FILE (raw little-endian float64, BYTES long) read-only and shared, pre-faults it with MAP_POPULATE, prints
 * "ready", then for every line read on stdin sums elements [LO, HI) and prints "SUM MS" (the sum with 17 significant
 * digits, the milliseconds of the loop alone):
 *   serial   one running sum, `s += a[i]`: the natural loop of the Node rows, compiled by cc -O2 (no -ffast-math, so
 *            the compiler keeps the order of the adds: each add waits for the one before it);
 *   four     four running sums over interleaved elements, added at the end: the same data and the same adds, but
 *            four chains instead of one (what numpy's pairwise sum does in its own way).
 * Bad arguments, a file shorter than BYTES, a mapping error or any other line end it with a message on stderr and exit
 * status 1.
 */
#define _GNU_SOURCE /* MAP_POPULATE, CLOCK_MONOTONIC under -std=c11 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double sum_serial(const double *a, size_t lo, size_t hi) {
  double s = 0;
  for (size_t i = lo; i < hi; i++) s += a[i];
  return s;
}

static double sum_four(const double *a, size_t lo, size_t hi) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = lo;
  for (; i + 4 <= hi; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  for (; i < hi; i++) s0 += a[i];
  return (s0 + s1) + (s2 + s3);
}

/* A whole decimal number, or exits naming the argument. */
static size_t number(const char *what, const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-') {
    fprintf(stderr, "seed-floor: %s must be a whole number, got '%s'\n", what, s);
    exit(1);
  }
  return (size_t)v;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: seed-floor FILE BYTES LO HI\n");
    return 1;
  }
  size_t bytes = number("BYTES", argv[2]);
  size_t lo = number("LO", argv[3]);
  size_t hi = number("HI", argv[4]);
  if (bytes % 8 != 0 || lo > hi || hi > bytes / 8) {
    fprintf(stderr, "seed-floor: bad slice [%zu, %zu) of %zu bytes\n", lo, hi, bytes);
    return 1;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    perror("seed-floor: fstat");
    return 1;
  }
  if ((size_t)st.st_size < bytes) {
    fprintf(stderr, "seed-floor: %s holds %lld bytes, not the %zu asked for\n", argv[1], (long long)st.st_size, bytes);
    return 1;
  }
  const double *a = mmap(NULL, bytes, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (a == MAP_FAILED) {
    perror("seed-floor: mmap");
    return 1;
  }
  close(fd);
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("ready\n");
  char line[64];
  while (fgets(line, sizeof line, stdin) != NULL) {
    double t = now_ms(), s;
    if (strcmp(line, "serial\n") == 0) s = sum_serial(a, lo, hi);
    else if (strcmp(line, "four\n") == 0) s = sum_four(a, lo, hi);
    else {
      fprintf(stderr, "seed-floor: unknown kernel line '%s'\n", line);
      return 1;
    }
    printf("%.17g %.3f\n", s, now_ms() - t);
  }
  return 0;
}
